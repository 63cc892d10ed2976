"""Iterative IK solvers (damped least squares, Gauss-Newton, Levenberg-Marquardt) with restarts.

All three minimise ``F(q) = ½‖e(q)‖²`` for the error ``e`` of the native core
(``cpp/include/kinejac/residual.hpp``: the SE(3) log map of ``T_target⁻¹ T(q)``, in the target
frame), with ``J = de/dq`` and steps ``q ⊕ δ``:

- ``"dls"``: damped least squares (Wampler 1986; Nakamura & Hanafusa 1986),
  ``δ = -Jᵀ(J Jᵀ + λ² I)⁻¹ e`` with a damping that grows only near a singularity, from the smallest
  singular value: ``λ² = (1 - (σ_min/ε)²) λ_max²`` if ``σ_min < ε`` else 0 (Maciejewski & Klein 1988;
  Chiaverini 1997), scaled by ``min(1, ‖e‖ / 0.1)`` so that it fades out as the error vanishes
  and the iteration still converges exactly at a near-singular solution. Every step is taken (no line
  search); steps are capped at ``max_step`` [rad].
- ``"gn"``: Gauss-Newton on the normal equations ``(JᵀJ) δ = -Jᵀ e`` with an Armijo backtracking
  line search (halving ``α`` until ``F(q ⊕ αδ) ≤ F(q) + 10⁻⁴ α ∇Fᵀδ``).
- ``"lm"`` (default): Levenberg-Marquardt ``(JᵀJ + λ I) δ = -Jᵀ e`` with Nielsen's (1999) damping
  schedule: ``λ₀ = τ · max diag(JᵀJ)``; a step is accepted when it lowers ``F``, then with gain ratio
  ``ρ = ΔF_actual / ΔF_predicted``, ``λ ← λ · max(1/3, 1 - (2ρ - 1)³)``, ``ν ← 2``; a rejected step
  sets ``λ ← λ ν``, ``ν ← 2ν`` (Madsen, Nielsen & Tingleff, *Methods for non-linear least squares
  problems*, 2004, §3.2).

Joint limits (see ``cpp/include/kinejac/configuration.hpp``): every iterate is projected into the limits
(2π-wrap for full-turn revolute joints, clamp otherwise), and joints held on a limit by the descent
direction are dropped from the next solve (active set), so the returned ``q`` is always inside. A
full-turn or unlimited revolute joint is returned as the equivalent angle nearest the start ``q0``.

Global search: an attempt ends when converged, after ``max_iterations``, or when it stalls: its best
cost has not dropped below ``stall_progress`` times the previous best for ``stall_iterations``
iterations (LM: 0.9 and 3, i.e. 10 % in 3 iterations, since an attempt that will converge almost
always gains more, and abandoning the others sooner is the cheaper bet; GN and DLS: 0.99 and 5).
Then it restarts from a configuration drawn uniformly (``seed``-ed), alternately within the middle
half of each joint's range and within the full range, until ``max_restarts`` or ``timeout``. If no
attempt converged, a patient local solve (0.1 % progress in 10 iterations) continues from the best
configuration found, and the best of all, by cost, is returned.

The whole loop runs in kinejac's native core (C++, :mod:`kinejac.core`) without the GIL: a single
solve and a batch run the same loop, a batch on threads. The null-space ``objective`` runs
afterwards, in Python.
"""

from __future__ import annotations

import difflib
import inspect
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

import numpy as np
import pinocchio as pin

from .. import core
from .._checks import check_memory
from .._checks import positive as _positive
from ..errors import InvalidChoiceError, InvalidValueError, ShapeError, UnknownOptionError
from ..robot import Robot
from .avoidance import MARGIN, Avoidance
from .objectives import Objective
from .problem import Problem, tasks_of
from .result import IKBatchResult, IKReason, IKResult
from .seeds import check_seed, stream, stream_key
from .targets import FrameTarget, as_targets, check_pose_batch, check_start_batch

if TYPE_CHECKING:
    from .analytic import AnalyticIK

__all__ = ["MAX_COUNT", "METHODS", "SOLVER_OPTIONS", "IKSolver", "Method", "check_options"]

Method = Literal["lm", "gn", "dls"]
METHODS: tuple[str, ...] = ("lm", "gn", "dls")

_perf = time.perf_counter
_F64 = np.dtype(np.float64)
_REASONS = tuple(IKReason)  # in the core's order
_REASON_ARRAY = np.array(_REASONS, dtype=object)  # indexed by the core's codes, for a batch
_U64 = np.uint64
_solve = core.solve
_INVALID_TARGET = core.INVALID_TARGET
#: the most iterations, restarts or rounds an option may ask for: the native core runs without the
#: GIL, so Ctrl-C reaches a solve only when it returns, and a batch or a map has no time budget
MAX_COUNT = 100_000


class IKSolver:
    """A reusable IK solver: validation and set-up happen once, :meth:`solve` runs the iterations.

    Args:
        robot: the :class:`~kinejac.Robot`.
        frame: default frame for array targets (``None``: every call passes :class:`FrameTarget` s).
        method: ``"lm"``, ``"gn"`` or ``"dls"`` (see the module docstring for the update rules).
        position_tolerance: [m] success threshold on every target's position error.
        rotation_tolerance: [rad] success threshold on every target's rotation error.
        max_iterations: per attempt (default 100; 500 for ``dls``), at most :data:`MAX_COUNT`.
        max_restarts: random restarts after the first attempt (0: local solve only), at most
            :data:`MAX_COUNT` (as are the other counts: a batch has no time budget).
        timeout: [s] wall-clock budget of one solve (``None``: no limit; batches ignore it).
        stall_iterations: abandon an attempt whose best cost has not dropped enough (LM: 10 %, else 1 %)
            in this many iterations (default 3 for LM, 5 otherwise).
        objective: optional secondary :class:`~kinejac.ik.objectives.Objective`, minimised in the null
            space of the targets once they are reached (redundant robots).
        objective_iterations: null-space descent steps for ``objective``.
        seed: default seed of the restart sampler (a solve with the same seed is reproducible).
        history: record the iterates of the returned attempt in ``IKResult.history``.
        lm_tau: LM initial damping factor ``τ``.
        dls_epsilon, dls_max_damping: DLS singular-value threshold ``ε`` and ``λ_max``.
        max_step: [rad or m] cap on the largest component of a DLS step.
        obstacles: a scene (:mod:`kinejac.collision` obstacles, or a JSON file) to keep out of.
        self_collision: keep the robot's links apart (needs collision geometry).
        clearance: [m] the distance to keep (with ``obstacles`` or ``self_collision``).
        collision_rounds: with collision avoidance, how many more candidates (solutions of the
            frame's closed form, answers from new seeded starts) may be tried after the plain
            answer, within ``timeout``.
        polish: when no attempt converged, continue with a patient local solve from the best
            configuration found (the closest answer); ``False`` skips it when only success matters
            (reachability maps), which makes failures cheaper.
        analytic_seeds: use closed forms (:mod:`kinejac.ik.analytic`) for pose targets of ``frame``.
            A plain solve on a chain in a known family (:func:`~kinejac.ik_structure`) starts from
            the closed form's solution nearest the start (unless the start already meets the
            tolerances) and iterates from the usual restarts only when there is none (an unreachable
            target, every solution outside the limits). With collision avoidance in the native
            world, the closed form's exact solutions (a 7-joint arm: with the joint nearest the
            frame swept) are candidates after the plain answer; with the coal checker, the nearest
            solution it finds free is returned. ``None`` (default): closed forms only (UR and
            spherical-wrist arms; not the 1-D searches, which cost hundreds of µs); ``True``: every
            family; ``False``: never.

    With ``obstacles`` or ``self_collision`` (methods ``lm`` and ``gn``), candidates (for a pose
    target of ``frame`` with a closed form, possibly with a joint swept, its exact solutions first;
    then converged answers from diverse seeded starts) are checked exactly in the native collision
    world until one is free (:mod:`kinejac.ik.avoidance`): an answer in collision is never
    ``success``; its reason is ``collision``.
    """

    def __init__(
        self,
        robot: Robot,
        frame: str | None = None,
        *,
        method: Method = "lm",
        position_tolerance: float = 1e-6,
        rotation_tolerance: float = 1e-6,
        max_iterations: int | None = None,
        max_restarts: int = 50,
        timeout: float | None = 0.05,
        stall_iterations: int | None = None,
        objective: Objective | None = None,
        objective_iterations: int = 50,
        seed: int | np.random.SeedSequence | None = 0,
        history: bool = False,
        lm_tau: float = 1e-2,
        dls_epsilon: float = 0.05,
        dls_max_damping: float = 0.1,
        max_step: float = 0.5,
        obstacles=(),
        self_collision: bool = False,
        clearance: float = 0.0,
        collision_rounds: int = 500,
        polish: bool = True,
        analytic_seeds: bool | None = None,
    ) -> None:
        # Long on purpose: every documented option is validated here, in signature order, once.
        if not isinstance(robot, Robot):
            raise InvalidValueError(f"IKSolver needs a kinejac.Robot, got {type(robot).__name__}")
        if isinstance(method, str) and method.lower() in METHODS:
            method = method.lower()  # type: ignore[assignment]
        if method not in METHODS:
            raise InvalidChoiceError("IK method", method, METHODS)
        if frame is not None:
            robot.frame_id(frame)
        if objective is not None and not isinstance(objective, Objective):
            raise InvalidValueError(
                f"objective must have cost(robot, q) and gradient(robot, q) methods, got {type(objective).__name__}"
            )
        self.robot, self.frame, self.method = robot, frame, method
        self.position_tolerance = _positive("position_tolerance", position_tolerance)
        self.rotation_tolerance = _positive("rotation_tolerance", rotation_tolerance)
        if max_iterations is None:  # DLS converges only linearly where it is damped
            max_iterations = 500 if method == "dls" else 100
        self.max_iterations = _positive("max_iterations", max_iterations, integer=True, maximum=MAX_COUNT)
        self.max_restarts = _positive("max_restarts", max_restarts, integer=True, zero=True, maximum=MAX_COUNT)
        self.timeout = _positive("timeout", timeout, allow_none=True)
        if stall_iterations is None:  # LM's damping already rejects bad steps: give up on an attempt sooner
            stall_iterations = 3 if method == "lm" else 5
        self.stall_iterations = _positive("stall_iterations", stall_iterations, integer=True, maximum=MAX_COUNT)
        self.objective_iterations = _positive("objective_iterations", objective_iterations, integer=True, zero=True,
                                              maximum=MAX_COUNT)  # fmt: skip
        self.lm_tau = _positive("lm_tau", lm_tau)
        self.dls_epsilon = _positive("dls_epsilon", dls_epsilon)
        self.dls_max_damping = _positive("dls_max_damping", dls_max_damping)
        self.max_step = _positive("max_step", max_step)
        self.dls_error_scale = 0.1
        self.objective, self.seed, self.record_history = objective, check_seed(seed), bool(history)
        if self.record_history:  # the iterates of one attempt are kept: (max_iterations + 1, nq)
            check_memory(8.0 * (self.max_iterations + 1) * robot.nq, "history=True", "lower max_iterations")
        # restarts alternate between the middle half of each joint range and the full range
        self.restart_spreads = (0.5, 1.0)
        # an attempt makes progress when its best cost drops below this fraction of the previous best
        self.stall_progress = 0.9 if method == "lm" else 0.99
        self._avoid = self._avoidance(robot, method, obstacles, self_collision, clearance)
        self.clearance = float(clearance)
        self.collision_rounds = _positive("collision_rounds", collision_rounds, integer=True, zero=True,
                                          maximum=MAX_COUNT)  # fmt: skip
        if not isinstance(polish, (bool, np.bool_)):
            raise InvalidValueError(f"polish must be True or False, got {polish!r}")
        self.polish = bool(polish)
        if analytic_seeds is not None and not isinstance(analytic_seeds, (bool, np.bool_)):
            raise InvalidValueError(f"analytic_seeds must be None, True or False, got {analytic_seeds!r}")
        self.analytic_seeds = None if analytic_seeds is None else bool(analytic_seeds)
        self._prepare_core()

    @staticmethod
    def _avoidance(robot: Robot, method: str, obstacles, self_collision: bool, clearance: float) -> Avoidance | None:
        """The collision avoidance of these options (``None``: no obstacles and no self-collision)."""
        if obstacles is None:
            obstacles = ()
        if not (isinstance(obstacles, (str, Path)) or len(obstacles) or self_collision):
            _positive("clearance [m]", clearance, zero=True)
            return None
        if method == "dls":
            raise InvalidValueError(
                "collision avoidance needs method 'lm' or 'gn' (DLS steps follow the pose error alone)"
            )
        return Avoidance(robot, obstacles, self_collision=self_collision, clearance=clearance)

    def _prepare_core(self) -> None:
        """What every solve hands the native core, made once: the bound robot (with its spheres for
        the rounds that push them apart), the options, the start, the seed's stream, the pose task
        (and its closed-form solver, with ``analytic_seeds``)."""
        robot = self.robot
        self._model = core.model_of(robot)
        self._model_avoid = None if self._avoid is None else core.model_of(robot, self._avoid.sph)
        self._joints = () if self._avoid is None else self._avoid.joints
        self._world = None if self._avoid is None else self._avoid.world
        self._mid = self._middle(robot)
        self._q_shape = (robot.nq,)
        # the restart stream of the solver's own seed (an integer), computed once
        self._seed_int = self.seed if type(self.seed) is int else None
        self._stream = stream(self.seed) if self._seed_int is not None else None
        self._opts = self._options(self.timeout)
        self._batch_opts = self._options(None)
        self._tasks: dict[tuple, core.Tasks] = {}
        self._pose_task: core.Tasks | None = None  # the tasks of a pose target for `frame`
        if self.frame is not None:
            self._pose_task = tasks_of(robot, (FrameTarget.pose(self.frame, np.eye(4)),), self._joints)
        self._analytic: AnalyticIK | None = None  # every solution by closed forms, for pose targets of `frame`
        if self.analytic_seeds is not False and self.frame is not None:
            from .analytic import analytic_solver
            from .structure import ik_structure

            structure = ik_structure(robot, self.frame)
            if structure.method == "closed_form" or (self.analytic_seeds and structure.family is not None):
                self._analytic = analytic_solver(robot, self.frame)
        # the closed form the core starts plain solves of the pose task from (collision avoidance
        # goes through _from_analytic: each solution is checked)
        self._closed = self._analytic._core if self._analytic is not None and self._avoid is None else None
        # the closed form that gives exact candidates to the collision-free solves (None: random starts only)
        self._free_analytic: core.Analytic | None = None
        if self._world is not None and self.frame is not None and self.analytic_seeds is not False:
            from .analytic import candidate_closed_form

            self._free_analytic = candidate_closed_form(robot, self.frame)
        # a plain solve of the frame's pose in one native call (no avoidance, objective or history)
        self._door: Callable[[object, object], IKResult | None] | None = None
        if (self._pose_task is not None and self._avoid is None and self.objective is None
                and not self.record_history and self._stream is not None):  # fmt: skip
            self._door = core.PoseDoor(self._model, self._pose_task, self._opts, self._closed, self._mid,
                                       *self._stream, IKResult, _REASONS).solve  # fmt: skip

    def _options(self, timeout: float | None, collide: bool = False) -> core.Options:
        o = core.Options()
        o.method = core.METHOD_CODES[self.method]
        o.position_tolerance, o.rotation_tolerance = self.position_tolerance, self.rotation_tolerance
        o.max_iterations, o.max_restarts = self.max_iterations, self.max_restarts
        o.stall_iterations, o.stall_progress = self.stall_iterations, self.stall_progress
        o.lm_tau = self.lm_tau
        o.dls_epsilon, o.dls_max_damping = self.dls_epsilon, self.dls_max_damping
        o.max_step, o.dls_error_scale = self.max_step, self.dls_error_scale
        o.timeout = np.inf if timeout is None else timeout
        o.history = self.record_history
        o.spread0, o.spread1 = self.restart_spreads
        o.polish = self.polish
        o.clearance = -np.inf  # the pose decides convergence; the exact check, collisions
        o.d0 = self.clearance + MARGIN
        o.collide = collide
        return o

    @staticmethod
    def _middle(robot: Robot) -> np.ndarray:
        """Middle of the limits where finite, neutral elsewhere (the default start)."""
        q = robot.neutral()
        lo, hi = robot.lower, robot.upper
        both = np.isfinite(lo) & np.isfinite(hi)
        q[both] = 0.5 * (lo[both] + hi[both])
        return q

    # -- set-up per call -------------------------------------------------------------------------
    def _fast_pose(self, target) -> np.ndarray | None:
        """A plain pose target of the default frame as a ``(4, 4)`` C float64 array, else ``None``
        (the core checks that it is a rigid transform)."""
        if self._pose_task is None:
            return None
        if type(target) is np.ndarray and target.shape == (4, 4) and target.dtype is _F64:
            return target
        if isinstance(target, pin.SE3):
            return target.homogeneous
        return None

    def _problem(self, target, frame, weights, mask, relative_to) -> tuple[core.Tasks, np.ndarray]:
        """Validated targets: the core's tasks and the target poses ``(nt, 4, 4)``."""
        targets = as_targets(target, frame or self.frame, weights=weights, mask=mask, relative_to=relative_to)
        key = tuple((t.frame, t.relative_to, t.weights.tobytes()) for t in targets)
        tasks = self._tasks.get(key)
        if tasks is None:
            tasks = self._tasks[key] = tasks_of(self.robot, targets, self._joints)
        return tasks, np.array([t.T for t in targets], dtype=float)

    def _start(self, q0) -> np.ndarray:
        """``q0`` as a float64 array of shape ``(nq,)``; the core checks that it is finite and clips it
        into the limits (a start it refuses takes the slow path in :meth:`solve`)."""
        if type(q0) is np.ndarray and q0.dtype is _F64 and q0.shape == self._q_shape:
            return q0
        q = self.robot.check_q(q0, "q0")
        if q.ndim != 1:
            raise ShapeError(f"expected q0 of shape ({self.robot.nq},), got {q.shape}")
        return q

    def solve(
        self,
        target,
        q0=None,
        *,
        frame: str | None = None,
        weights=None,
        mask=None,
        relative_to: str | None = None,
        seed: int | tuple[int, ...] | np.random.SeedSequence | None = None,
    ) -> IKResult:
        """Solve for ``target`` (see :func:`solve_ik`), starting at ``q0`` (default: mid-limits).

        ``seed`` overrides the solver's seed for the restarts (anything ``numpy.random.default_rng``
        takes; ``(s, i)`` is sample ``i`` of a batch solved with seed ``s``).
        """
        if (self._door is not None and frame is None and weights is None and mask is None and relative_to is None
                and (seed is None or seed is self._seed_int)):  # fmt: skip
            # None: an input the door does not take as it is (below)
            found = self._door(target.homogeneous if type(target) is pin.SE3 else target, q0)
            if found is not None:
                return found
        t0 = _perf()
        T = tasks = None
        if frame is None and weights is None and mask is None and relative_to is None:
            T = self._fast_pose(target)
            tasks = self._pose_task
        if T is None or tasks is None:
            tasks, T = self._problem(target, frame, weights, mask, relative_to)
        start = self._mid if q0 is None else self._start(q0)
        # with the native collision world, the core tries the closed form's solutions as candidates
        # (as in a batch); otherwise they are listed and checked here
        if self._closed is None and self._world is None and self._analytic is not None and tasks is self._pose_task:
            found = self._from_analytic(T, start, t0)
            if found is not None:
                return found
        if self._stream is not None and (seed is None or seed is self._seed_int):
            key, index = self._stream  # the solver's own stream, computed once
        else:
            key, index = stream(self.seed if seed is None else check_seed(seed))
        q = np.empty(self.robot.nq)
        hist = np.empty((self.max_iterations + 1, self.robot.nq)) if self.record_history else None
        perr, rerr, _, _, it, restarts, reason, n_hist = self._run(tasks, T, start, key, index, q, hist)
        if reason < 0:  # the validating slow path explains (raises) or repairs it
            if reason == _INVALID_TARGET:
                tasks, T = self._problem(target, frame, weights, mask, relative_to)
            else:  # the start: not finite (check_q says where) or a zero quaternion (clip says which)
                start = self.robot.clip(self.robot.check_q(start, "q0"))
            perr, rerr, _, _, it, restarts, reason, n_hist = self._run(tasks, T, start, key, index, q, hist)
            if reason < 0:  # validated in Python but refused by the core: the two checks disagree
                what = "target" if reason == _INVALID_TARGET else "q0"
                raise InvalidValueError(f"the native core refused the {what} that the Python checks accepted")
        if self._avoid is not None and self._world is None and reason == 0 and not self._avoid.free(q):
            q, perr, rerr, reason, more = self._avoid_rounds(tasks, T, q, perr, rerr, (key, index), t0)
            n_hist = 0  # the rounds record no iterates
            it, restarts = it + more[0], restarts + more[1]
        if reason == 0 and self.objective is not None:
            q, perr, rerr = self._secondary(tasks, T, q)
        history = None
        if hist is not None:
            history = hist[:n_hist].copy()
            if not len(history) or not np.array_equal(history[-1], q):
                history = np.vstack((history, q))  # the returned angles, nearest the start
        q.setflags(write=False)
        return IKResult.of_fields(q, reason == 0, perr, rerr, it, restarts, _perf() - t0, _REASONS[reason], history)

    def _from_analytic(self, T: np.ndarray, start: np.ndarray, t0: float) -> IKResult | None:
        """The closed-form solution nearest ``start`` that the tolerances (and the exact collision
        check) accept, as a result; ``None`` when there is none (the iterations take over)."""
        if self._analytic is None:
            return None
        sols = self._analytic.solve(T, start)
        for i in range(len(sols)):
            perr, rerr = float(sols.position_error[i]), float(sols.rotation_error[i])
            if perr > self.position_tolerance or rerr > self.rotation_tolerance:
                continue
            q = np.array(sols.q[i])
            if self._avoid is not None and not self._avoid.free(q):
                continue
            if self.objective is not None:
                q, perr, rerr = self._secondary(cast(core.Tasks, self._pose_task), T[None], q)
            q.setflags(write=False)
            history = np.vstack((start, q)) if self.record_history else None
            return IKResult.of_fields(q, True, perr, rerr, 0, 0, _perf() - t0, IKReason.CONVERGED, history)
        return None

    def _run(self, tasks, T, start, key, index, q, hist):
        """One solve in the core: plain, or by candidates in the collision world (then no history is
        recorded). Returns the core's ``(perr, rerr, cost, distance, iterations, restarts, reason, rows)``."""
        if self._world is None:
            closed = self._closed if tasks is self._pose_task else None
            return _solve(self._model, tasks, self._opts, T, start, key, index, q, hist, closed)
        closed = self._free_analytic if tasks is self._pose_task else None
        got = core.solve_free(
            self._model, tasks, self._opts, self._world, self.clearance, self.collision_rounds, T, start, key, index, q,
            closed,
        )  # fmt: skip
        return (*got[:7], 0)

    def _avoid_rounds(self, tasks, T, q, perr, rerr, seed: tuple[int, int], t0: float):
        """The exact check found the answer ``q`` of the plain solve in collision: solve again with
        the spheres pushed apart, from new seeded configurations (round ``r`` uses stream
        ``index + r·2³²``), until an answer is free, the rounds or the time budget run out.
        Returns ``(q, perr, rerr, reason, (iterations, restarts))``; when no round finds a free
        answer, the first answer with reason ``collision``."""
        key, index = int(seed[0]), int(seed[1])
        rng = np.random.default_rng((key, index))
        extra_it = extra_restarts = 0
        push_opts, plain_opts = self._options(self.timeout, collide=True), self._options(self.timeout)
        out = np.empty(self.robot.nq)
        for r in range(1, self.collision_rounds + 1):
            if self.timeout is not None:
                left = self.timeout - (_perf() - t0)
                if left <= 0:
                    break
                push_opts.timeout = plain_opts.timeout = left
            start = self.robot.random_configuration(rng)
            # even rounds push the spheres apart; odd ones search plainly (the spheres cover the
            # geometry with some slack, so they may hold apart what the exact check finds free)
            push = r % 2 == 0
            model, opts = (cast(core.Model, self._model_avoid), push_opts) if push else (self._model, plain_opts)
            p, rot, _, _, it, restarts, reason, _ = _solve(
                model, tasks, opts, T, start, key, (index + (r << 32)) % 2**64, out, None
            )
            extra_it += it
            extra_restarts += restarts + 1
            if reason == 0 and cast(Avoidance, self._avoid).free(out):
                return out, p, rot, 0, (extra_it, extra_restarts)
        return q, perr, rerr, _REASONS.index(IKReason.COLLISION), (extra_it, extra_restarts)

    def solve_batch(self, targets, q0=None, *, seed=None, threads: int | None = None) -> IKBatchResult:
        """Solve many pose targets ``(B, 4, 4)`` for :attr:`frame` at once, on ``threads`` threads
        (default: :func:`kinejac.core.default_threads`, every core this process may use).

        Sample ``i`` restarts from stream ``(seed, i)``: ``solve(targets[i], seed=(seed, i))`` gives
        the same answer, whatever the number of threads. ``q0``: ``(nq,)`` or ``(B, nq)``. The
        per-solve ``timeout`` does not apply.
        """
        t0 = _perf()
        task = self._pose_task
        if task is None:
            raise InvalidValueError("solve_batch needs a solver built with a frame")
        # targets as given when they are a C float64 (B, 4, 4) array: the core checks each one (on the
        # threads); what it refuses goes through check_pose_batch below, which names it or repairs it
        plain = type(targets) is np.ndarray and targets.dtype is _F64 and targets.shape[1:] == (4, 4)
        T = targets if plain and targets.ndim == 3 and targets.flags.c_contiguous else check_pose_batch(targets)
        B, nq = T.shape[0], self.robot.nq
        if q0 is None:
            Q0 = np.broadcast_to(self._mid, (B, nq))
        else:
            Q0 = self.robot.clip(check_start_batch(self.robot, q0, B).copy())
        Q0 = np.ascontiguousarray(Q0)
        base = self.seed if seed is None else check_seed(seed)
        seeds = np.empty((B, 2), dtype=_U64)
        seeds[:, 0] = stream_key(base)
        seeds[:, 1] = np.arange(B, dtype=_U64)
        if threads is None:
            threads = core.default_threads()
        threads = _positive("threads", threads, integer=True, maximum=2**15)
        T4 = T.reshape(B, 1, 4, 4)
        out_q, out_f, out_i = self._batch_rows(task, T, Q0, seeds, threads)
        refused = np.flatnonzero(out_i[:, 2] < 0)
        if len(refused):  # not rigid to the core's 1e-10: named (raises) or repaired, then solved
            T = check_pose_batch(targets)
            T4 = T.reshape(B, 1, 4, 4)
            got = self._batch_rows(task, T[refused], Q0[refused], seeds[refused], threads)
            out_q[refused], out_f[refused], out_i[refused] = got
        reason = out_i[:, 2]
        if self._avoid is not None and self._world is None:  # coal decides; answers in collision get more rounds
            for i in np.flatnonzero(reason == 0):
                if not self._avoid.free(out_q[i]):
                    got = self._avoid_rounds(task, T4[i], out_q[i], 0.0, 0.0, (int(seeds[i, 0]), int(i)), t0)
                    out_q[i], out_f[i, 0], out_f[i, 1], reason[i] = got[:4]
                    out_i[i, 0] += got[4][0]
                    out_i[i, 1] += got[4][1]
        if self.objective is not None:
            for i in np.flatnonzero(reason == 0):
                out_q[i], out_f[i, 0], out_f[i, 1] = self._secondary(task, T[i : i + 1], out_q[i])
        out_q.flags.writeable = False
        return IKBatchResult(
            q=out_q,
            success=reason == 0,
            position_error=out_f[:, 0].copy(),
            rotation_error=out_f[:, 1].copy(),
            iterations=out_i[:, 0].copy(),
            restarts=out_i[:, 1].copy(),
            reason=_REASON_ARRAY[reason],
            time=_perf() - t0,
        )

    def _batch_rows(self, task: core.Tasks, T: np.ndarray, Q0: np.ndarray, seeds: np.ndarray, threads: int):
        """Rows of a batch through the core: ``out_q (B, nq)``, ``out_f (B, 4)``, ``out_i (B, 3 or 4)``."""
        if self._world is None:
            return self._plain_batch(task, T, Q0, seeds, threads)
        B, nq = T.shape[0], self.robot.nq  # candidates checked in the collision world, on threads
        out_q, out_f, out_i = np.empty((B, nq)), np.empty((B, 4)), np.empty((B, 4), dtype=np.int64)
        core.solve_free_batch(
            self._model, task, self._batch_opts, self._world, self.clearance, self.collision_rounds,
            np.ascontiguousarray(T.reshape(B, 1, 4, 4)), Q0, seeds, out_q, out_f, out_i, threads, self._free_analytic,
        )  # fmt: skip
        return out_q, out_f, out_i

    def _plain_batch(self, task: core.Tasks, T: np.ndarray, Q0: np.ndarray, seeds: np.ndarray, threads: int):
        """A batch without collision avoidance (each start replaced by the closed form's nearest
        solution with ``analytic_seeds``, in the core). Returns ``out_q (B, nq)``, ``out_f (B, 4)``,
        ``out_i (B, 3)``."""
        B, nq = T.shape[0], self.robot.nq
        out_q, out_f, out_i = np.empty((B, nq)), np.empty((B, 4)), np.empty((B, 3), dtype=np.int64)
        closed = self._closed if task is self._pose_task else None
        core.solve_batch(self._model, task, self._batch_opts, T.reshape(B, 1, 4, 4), Q0, seeds, out_q, out_f, out_i,
                         threads, closed)  # fmt: skip
        return out_q, out_f, out_i

    # -- secondary objective --------------------------------------------------------------------------
    def _secondary(self, tasks: core.Tasks, T, q: np.ndarray) -> tuple[np.ndarray, float, float]:
        """Descend the objective in the null space of the targets, keeping them within tolerance.

        Each step moves along ``-(I - J⁺J) ∇h`` (at most ``max_step`` per joint), then restores the
        targets with a few Gauss-Newton steps ``-J⁺ e``; it is kept only if the targets are still
        within tolerance and ``h`` went down, otherwise the step is halved.
        """
        robot, obj = self.robot, cast(Objective, self.objective)
        problem = Problem.of_tasks(robot, tasks, T)

        def done(p, r):
            return p <= self.position_tolerance and r <= self.rotation_tolerance

        q = np.array(q, dtype=float)
        h = obj.cost(robot, q)
        alpha = 1.0
        for _ in range(self.objective_iterations):
            grad = obj.gradient(robot, q)
            J = problem.evaluate(q)[1]
            Jp = np.linalg.pinv(J, rcond=1e-8)
            d = -(grad - Jp @ (J @ grad))
            big = float(np.abs(d).max())
            if big < 1e-12:
                break
            d *= min(1.0, self.max_step / big)
            moved = False
            while alpha > 1e-6:
                q_new = problem.step(q, alpha * d)[0]
                for _ in range(5):  # back onto the targets
                    e, J, p, r = problem.evaluate(q_new)
                    if done(p, r):
                        break
                    q_new = problem.step(q_new, -np.linalg.pinv(J, rcond=1e-8) @ e)[0]
                h_new = obj.cost(robot, q_new)
                if h_new < h and done(*problem.evaluate(q_new)[2:]):
                    moved = True
                    break
                alpha *= 0.5
            if not moved:
                break
            improvement, q, h = h - h_new, q_new, h_new
            alpha = min(1.0, 2.0 * alpha)
            if improvement < 1e-10 * max(1.0, abs(h)):
                break
        _, _, p, r = problem.evaluate(q)
        return q, float(p), float(r)


#: the names of the options of :class:`IKSolver` (what ``solve_ik(**options)`` and friends take)
SOLVER_OPTIONS: tuple[str, ...] = tuple(
    p for p in inspect.signature(IKSolver.__init__).parameters if p not in ("self", "robot", "frame")
)


def _suggest(name: str, options: tuple[str, ...]) -> list[str]:
    """The options closest to ``name``, as a whole or by one of their words (``tolerence`` →
    ``position_tolerance``, ``rotation_tolerance``)."""

    def score(option: str) -> float:
        words = [option, *option.split("_")]
        return max(difflib.SequenceMatcher(None, name, w).ratio() for w in words)

    scores = {o: score(o) for o in options}
    best = max(scores.values(), default=0.0)
    return [o for o in options if scores[o] >= max(0.6, best - 0.05)]


def check_options(where: str, options, allowed: tuple[str, ...] = SOLVER_OPTIONS) -> dict:
    """``options`` (a mapping of :class:`IKSolver` options, or of ``allowed`` ones) as a dict; an
    unknown name raises :class:`~kinejac.UnknownOptionError` from ``where`` with the closest names."""
    for name in options:
        if name not in allowed:
            raise UnknownOptionError(where, name, _suggest(str(name), allowed), allowed)
    return dict(options)
