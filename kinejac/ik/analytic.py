"""Every IK solution at once, by closed forms: :func:`solve_ik_all` and :class:`AnalyticIK`.

For a chain whose axes fall into a known family (:func:`~kinejac.ik.structure.ik_structure`), the
native core (``cpp/include/kinejac/analytic.hpp``) lists the candidates of the closed form (or of a
1-D search), puts each into the robot's configuration (the joints off the chain as in ``q0``),
measures its pose error on the real kinematic tree and refines it by damped Gauss-Newton steps,
keeps those within ``solution_tolerance`` and within the joint limits, and returns them sorted by
their distance to ``q0`` (the sum of squared angle differences over the chain's free joints).

Revolute joints whose range exceeds a turn (UR's ±2π) give each solution once, at the equivalent
angle nearest ``q0`` within the limits; ``all_equivalents=True`` lists every equivalent the limits
admit (the same pose, the joint a turn further). A target at a singularity has a continuum of
solutions; the ones returned are representatives, flagged ``singular``: where a subproblem leaves
an angle free (a wrist whose outer axis lines up with its inner one), that joint keeps its value in
``q0`` and the others absorb the rest.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum

import numpy as np
import pinocchio as pin

from .. import core
from .._checks import positive
from ..errors import InvalidValueError, JointNotFound, ShapeError
from ..robot import Robot
from .problem import tasks_of
from .result import IKReason, IKResult
from .structure import DEFAULT_TOLERANCE, IKStructure, plan_of
from .targets import FrameTarget, as_targets, check_pose_batch, check_start_batch

__all__ = [
    "AnalyticIK",
    "BranchFollower",
    "IKSolutions",
    "IKSolutionsBatch",
    "SolutionsReason",
    "analytic_solver",
    "candidate_closed_form",
    "solve_ik_all",
]

_perf = time.perf_counter
_F64 = np.dtype(np.float64)
_SHAPE_T = (4, 4)
_solve_all = core.solve_all
_MAX_ROWS = 1_000_000  # all_equivalents on joints with many turns: refuse rather than allocate gigabytes


class SolutionsReason(str, Enum):
    """Why a target has the solutions it has.

    - ``SOLVED``: at least one solution.
    - ``UNREACHABLE``: the closed form has no candidate: no configuration of the chain reaches the
      target (out of reach, or an orientation the wrist cannot make there).
    - ``OUTSIDE_LIMITS``: configurations reach the target, but none within the joint limits.
    - ``NOT_CONVERGED``: (a chain only near its family) the candidates of the idealised chain did
      not refine to the target on the real one.
    """

    SOLVED = "solved"
    UNREACHABLE = "unreachable"
    OUTSIDE_LIMITS = "outside_limits"
    NOT_CONVERGED = "not_converged"


_REASONS = tuple(SolutionsReason)  # the core's order
_REASON_ARRAY = np.array(_REASONS, dtype=object)


@dataclass(frozen=True)
class IKSolutions:
    """Every solution of one target (see :func:`solve_ik_all`), nearest ``q0`` first.

    Attributes:
        q: ``(k, nq)`` the solutions, within the joint limits, sorted by distance to ``q0``.
        position_error: ``(k,)`` [m]; rotation_error: ``(k,)`` [rad], measured on the real chain.
        branch: ``(k,)`` int: which roots of the subproblems gave each solution (for the closed
            forms a stable label: the same branch along a continuous path, until a singularity).
        reason: :class:`SolutionsReason`.
        singular: the target is at a singularity (a subproblem had a double root or left an angle
            free): the solutions are representatives of a continuum (see the module doc).
        candidates: what the closed form (or search) produced before refinement and limits.
        outside_limits: candidates that reach the target but not within the joint limits.
        not_converged: candidates the refinement could not bring within the tolerance.
        structure: the :class:`~kinejac.ik.structure.IKStructure` that was solved.
        time: [s] wall-clock time of the call.

    ``len(s)`` is the number of solutions, ``s[i]`` the ``(nq,)`` configuration ``i``, iteration
    runs over them, ``s.success`` says there is one and ``s.nearest`` is the first (or ``None``).
    The arrays are views of one block ``rows`` ``(k, nq + 3)`` [q, position error, rotation error,
    branch] that the native core wrote (made on first access).
    """

    rows: np.ndarray
    reason: SolutionsReason
    singular: bool
    candidates: int
    outside_limits: int
    not_converged: int
    structure: IKStructure
    time: float

    @classmethod
    def of_rows(cls, rows: np.ndarray, info, structure: IKStructure, time: float) -> IKSolutions:
        """From the core's rows ``(k, nq + 3)`` and its info ``(count, reason, singular, candidates,
        outside limits, not converged)``, without the frozen dataclass's per-field ``__setattr__``
        (the hot path)."""
        r = object.__new__(cls)
        d = r.__dict__
        d["rows"], d["reason"], d["singular"] = rows, _REASONS[info[1]], info[2]
        d["candidates"], d["outside_limits"], d["not_converged"] = info[3], info[4], info[5]
        d["structure"], d["time"] = structure, time
        return r

    @property
    def q(self) -> np.ndarray:
        return self.rows[:, :-3]

    @property
    def position_error(self) -> np.ndarray:
        return self.rows[:, -3]

    @property
    def rotation_error(self) -> np.ndarray:
        return self.rows[:, -2]

    @property
    def branch(self) -> np.ndarray:
        return self.rows[:, -1].astype(np.int64)

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    def __getitem__(self, i: int) -> np.ndarray:
        return self.rows[i, :-3]

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter(self.q)

    @property
    def success(self) -> bool:
        """At least one solution."""
        return len(self) > 0

    @property
    def nearest(self) -> np.ndarray | None:
        """The solution nearest ``q0`` (``None`` without one)."""
        return self.rows[0, :-3] if len(self) else None

    def __repr__(self) -> str:
        worst = float(self.rows[:, -3:-1].max(initial=0.0))
        return (
            f"IKSolutions({len(self)} solutions, reason={self.reason.value}, singular={self.singular}, "
            f"worst error={worst:.1e}, family={self.structure.family}, time={self.time * 1e6:.1f} us)"
        )


@dataclass(frozen=True)
class IKSolutionsBatch:
    """Every solution of ``B`` targets, padded: rows past ``count[b]`` are NaN.

    Attributes:
        q: ``(B, K, nq)``; position_error, rotation_error: ``(B, K)`` [m], [rad]; branch:
        ``(B, K)`` int (-1 past the count); count: ``(B,)``; reason: ``(B,)`` array of
        :class:`SolutionsReason`; singular: ``(B,)`` bool; candidates, outside_limits,
        not_converged: ``(B,)``; structure; time [s] of the whole batch.

    ``batch[b]`` is target ``b``'s :class:`IKSolutions`, equal to :func:`solve_ik_all` on it alone.
    """

    q: np.ndarray
    position_error: np.ndarray
    rotation_error: np.ndarray
    branch: np.ndarray
    count: np.ndarray
    reason: np.ndarray
    singular: np.ndarray
    candidates: np.ndarray
    outside_limits: np.ndarray
    not_converged: np.ndarray
    structure: IKStructure
    time: float

    def __len__(self) -> int:
        return int(self.q.shape[0])

    def __getitem__(self, b: int) -> IKSolutions:
        k = int(self.count[b])
        rows = np.column_stack((self.q[b, :k], self.position_error[b, :k], self.rotation_error[b, :k],
                                self.branch[b, :k].astype(float)))  # fmt: skip
        return IKSolutions(
            rows=rows,
            reason=SolutionsReason(self.reason[b]),
            singular=bool(self.singular[b]),
            candidates=int(self.candidates[b]),
            outside_limits=int(self.outside_limits[b]),
            not_converged=int(self.not_converged[b]),
            structure=self.structure,
            time=self.time / max(1, len(self)),
        )

    @property
    def success(self) -> np.ndarray:
        """``(B,)`` bool: targets with at least one solution."""
        return self.count > 0


class AnalyticIK:
    """Every IK solution of ``frame``'s pose by closed forms, built once per robot and chain.

    Args:
        robot: the robot.
        frame: the frame whose pose is the target.
        base: targets are ``T_base_frame`` (default: ``T_world_frame``); a frame on the chain's path.
        fixed: joints held at a value, so that the rest is a 6-joint chain: names (their values come
            from ``q0``) or ``{name: value}`` [rad] (defaults, which each call's ``fixed`` overrides).
        tolerance: [m or rad] how far the axes may be from their family (see
            :func:`~kinejac.ik.structure.ik_structure`).
        solution_tolerance: [m and rad] a solution reproduces the target to this (position and
            rotation error, after refinement).
        all_equivalents: list every equivalent angle the limits admit for joints beyond a turn.
        refine_steps: damped Gauss-Newton steps at most per candidate (0: none).
        samples: grid points of a 1-D search over one turn.

    Raises :class:`~kinejac.StructureError` when the chain has no known family (the message names
    what it has).
    """

    def __init__(
        self,
        robot: Robot,
        frame: str,
        *,
        base: str | None = None,
        fixed: Mapping[str, float] | tuple[str, ...] | list[str] | None = None,
        tolerance: float = DEFAULT_TOLERANCE,
        solution_tolerance: float = 1e-10,
        all_equivalents: bool = False,
        refine_steps: int = 30,
        samples: int = 128,
    ) -> None:
        plan = plan_of(robot, frame, base=base, fixed=fixed, tolerance=tolerance)
        self.robot, self.frame, self.base = robot, frame, base
        self.structure: IKStructure = plan.structure
        self.solution_tolerance = positive("solution_tolerance", solution_tolerance)
        self.refine_steps = positive("refine_steps", refine_steps, integer=True, zero=True)
        samples = positive("samples", samples, integer=True)
        if samples < 8:
            raise InvalidValueError(f"samples must be at least 8, got {samples}")
        if not isinstance(all_equivalents, (bool, np.bool_)):
            raise InvalidValueError(f"all_equivalents must be True or False, got {all_equivalents!r}")
        task = tasks_of(robot, (FrameTarget.pose(frame, np.eye(4), relative_to=base),))
        self._core = core.Analytic(
            core.model_of(robot), task, plan.family, max(plan.placement, 0), plan.structure.reversed,
            max(plan.searched, 0), samples, plan.h, plan.o, plan.iq, plan.iv, plan.continuous, plan.fixed, plan.T0,
        )  # fmt: skip
        self._core.tolerance = self.solution_tolerance
        self._core.newton_steps = self.refine_steps
        self._core.all_equivalents = bool(all_equivalents)
        if not self.structure.exact:  # subproblems the idealised copy misses may still seed the real chain
            length = float(np.linalg.norm(np.diff(plan.o, axis=0), axis=1).sum()) or 1.0
            self._core.slack = min(0.05, 20.0 * self.structure.deviation / length)
        self.all_equivalents = bool(all_equivalents)
        rows = self._core.capacity
        if rows > _MAX_ROWS:
            raise InvalidValueError(
                f"all_equivalents=True would list up to {rows} solutions per target (joints with limits over "
                "many turns); pass all_equivalents=False"
            )
        self._shape = (rows, robot.nq + 3)
        self._nq = robot.nq
        # the fixed joints: (coordinate, continuous, lower, upper limit [rad]), and their default values
        # (None: from q0)
        self._fixed_spec: dict[str, tuple[int, bool, float, float]] = {}
        for n in self.structure.fixed:
            k = robot.joint(n).idx_q
            self._fixed_spec[n] = (k, robot.joint(n).kind == "continuous", float(robot.lower[k]), float(robot.upper[k]))
        self._fixed_default = dict(fixed) if isinstance(fixed, Mapping) else {}
        mid = robot.neutral()
        lo, hi = robot.lower, robot.upper
        both = np.isfinite(lo) & np.isfinite(hi)
        mid[both] = 0.5 * (lo[both] + hi[both])
        self._mid = mid
        if self._fixed_default:
            self._mid = self._with_fixed(mid, self._fixed_default)
        self._q_shape = (robot.nq,)
        # a pose from a start (q0 with the fixed values, or the middle) in one native call
        self._door = core.AllDoor(self._core, self._mid, IKSolutions, _REASONS, self.structure).solve

    @property
    def native(self) -> core.Analytic:
        """The native closed form this solver runs (what the collision-free solves take candidates from)."""
        return self._core

    # -- inputs ----------------------------------------------------------------------------------
    def _with_fixed(self, q: np.ndarray, values: Mapping[str, float]) -> np.ndarray:
        """``q`` (copied) with the fixed joints at ``values`` [rad] (checked: fixed joints, finite,
        within their limits)."""
        q = q.copy() if type(q) is np.ndarray and q.dtype is _F64 else np.array(q, dtype=float)
        for name, value in values.items():
            spec = self._fixed_spec.get(name)
            if spec is None:
                raise JointNotFound(name, self.structure.fixed, "the joints fixed for this solver")
            try:
                v = float(value)
            except (TypeError, ValueError):
                raise InvalidValueError(
                    f"fixed value of joint {name!r} must be a number [rad], got {value!r}"
                ) from None
            k, continuous, lo, hi = spec
            if continuous:
                q[k : k + 2] = (np.cos(v), np.sin(v))
                continue
            if not (lo - 1e-12 <= v <= hi + 1e-12):
                raise InvalidValueError(f"fixed value of joint {name!r} is {v!r} rad, outside its limits [{lo}, {hi}]")
            q[k] = v
        return q

    def _start(self, q0, fixed) -> np.ndarray:
        if q0 is None:
            q = self._mid
        elif type(q0) is np.ndarray and q0.dtype is _F64 and q0.shape == self._q_shape:
            q = q0
        else:
            q = self.robot.check_q(q0, "q0")
            if q.ndim != 1:
                raise ShapeError(f"expected q0 of shape ({self.robot.nq},), got {q.shape}")
        if fixed is not None:
            if not isinstance(fixed, Mapping):
                raise InvalidValueError(f"fixed must map joint names to values [rad], got {type(fixed).__name__}")
            return self._with_fixed(q, {**self._fixed_default, **fixed} if q0 is not None else fixed)
        if self._fixed_default and q0 is not None:
            return self._with_fixed(q, self._fixed_default)
        return q

    def _pose(self, target) -> np.ndarray:
        if type(target) is np.ndarray and target.shape == (4, 4) and target.dtype is _F64:
            return target
        if isinstance(target, pin.SE3):
            return target.homogeneous
        (t,) = as_targets(target, self.frame)
        if t.T.shape != (4, 4) or not (t.weights > 0).all():
            raise InvalidValueError("closed-form IK solves full poses: pass a 4x4 target")
        return t.T

    # -- solving ---------------------------------------------------------------------------------
    def solve(self, target, q0=None, *, fixed: Mapping[str, float] | None = None) -> IKSolutions:
        """Every solution for ``target`` (a 4x4 ``T_base_frame`` or ``pinocchio.SE3``), sorted by
        distance to ``q0`` ``(nq,)`` (default: the middle of the limits; the joints off the chain
        keep its values, clipped into the limits); ``fixed``: ``{joint: value}`` [rad] for the fixed
        joints (default: the values given to the constructor, else those of ``q0``)."""
        # in one native call (None: an input the door does not take as it is: the path below)
        if type(target) is pin.SE3:
            target = target.homogeneous
        found = self._door(target, q0 if fixed is None and (q0 is None or not self._fixed_default) else
                           self._start(q0, fixed))  # fmt: skip
        if found is not None:
            return found
        t0 = _perf()
        T = (
            target
            if type(target) is np.ndarray and target.shape == _SHAPE_T and target.dtype is _F64
            else self._pose(target)
        )
        start = self._mid if q0 is None and fixed is None else self._start(q0, fixed)
        out = np.empty(self._shape)
        info = _solve_all(self._core, T, start, out)
        if info[1] < 0:  # the validating slow path explains (raises) or repairs it
            if info[1] == -1:
                T = as_targets(T, self.frame)[0].T
            else:
                start = self.robot.clip(self.robot.check_q(start, "q0"))
            info = _solve_all(self._core, T, start, out)
        return IKSolutions.of_rows(out[: info[0]], info, self.structure, _perf() - t0)

    def solve_batch(self, targets, q0=None, *, fixed=None, threads: int | None = None) -> IKSolutionsBatch:
        """Every solution of each of the targets ``(B, 4, 4)``, on ``threads`` threads (default:
        every core; the answer does not depend on it); ``q0``: ``(nq,)`` or ``(B, nq)``; ``fixed``:
        ``{joint: value}`` or ``{joint: (B,) values}``. Equal to :meth:`solve` on each target."""
        t0 = _perf()
        T = targets
        fast = type(T) is np.ndarray and T.dtype is _F64 and T.ndim == 3 and T.shape[1:] == _SHAPE_T
        if not (fast and T.flags.c_contiguous):  # the core checks the targets it is given (see below)
            T = check_pose_batch(targets)
        B, nq = T.shape[0], self.robot.nq
        if q0 is None:
            Q0 = self._mid if fixed is None else np.broadcast_to(self._mid, (B, nq))  # (nq,): one start for all
        else:
            Q0 = check_start_batch(self.robot, q0, B)
            if self._fixed_default:
                Q0 = self._with_fixed_batch(Q0, self._fixed_default)
        if fixed is not None:
            if not isinstance(fixed, Mapping):
                raise InvalidValueError(f"fixed must map joint names to values [rad], got {type(fixed).__name__}")
            Q0 = self._with_fixed_batch(Q0, fixed)
        threads = core.default_threads() if threads is None else positive("threads", threads, integer=True)
        out = np.empty((B, *self._shape))
        info = np.empty((B, 6), dtype=np.int64)
        # the core clips each start into the limits, as for one target
        Q0 = np.ascontiguousarray(Q0)
        core.solve_all_batch(self._core, T, Q0, out, info, threads)
        bad = np.flatnonzero(info[:, 1] < 0)
        if len(bad):  # the validating path explains (raises) or repairs what the core refused
            T = check_pose_batch(targets)
            Q0 = np.broadcast_to(Q0, (B, nq))
            Q0 = self.robot.clip(self.robot.check_q(Q0, "q0"))
            sub_out, sub_info = np.empty((len(bad), *self._shape)), np.empty((len(bad), 6), dtype=np.int64)
            core.solve_all_batch(self._core, T[bad], Q0[bad], sub_out, sub_info, threads)
            out[bad], info[bad] = sub_out, sub_info
        count = info[:, 0]
        K = int(count.max(initial=0))
        rows = out[:, :K]
        return IKSolutionsBatch(
            q=rows[..., :nq],
            position_error=rows[..., nq],
            rotation_error=rows[..., nq + 1],
            branch=rows[..., nq + 2].astype(np.int64),  # the core writes -1 past each count
            count=count.copy(),
            reason=_REASON_ARRAY[info[:, 1]],
            singular=info[:, 2].astype(bool),
            candidates=info[:, 3].copy(),
            outside_limits=info[:, 4].copy(),
            not_converged=info[:, 5].copy(),
            structure=self.structure,
            time=_perf() - t0,
        )

    def _with_fixed_batch(self, Q0: np.ndarray, values: Mapping) -> np.ndarray:
        Q0 = np.array(Q0)
        for name, value in values.items():
            v = np.asarray(value, dtype=float)
            if v.ndim == 0:
                Q0 = np.array([self._with_fixed(q, {name: float(v)}) for q in Q0]) if len(Q0) else Q0
                continue
            if v.shape != (len(Q0),):
                raise ShapeError(f"expected fixed value of joint {name!r} of shape () or ({len(Q0)},), got {v.shape}")
            Q0 = np.array([self._with_fixed(q, {name: float(x)}) for q, x in zip(Q0, v)])
        return Q0

    def nearest(self, target, q0, *, branch: int | None = None) -> IKResult:
        """The solution nearest ``q0`` as an :class:`~kinejac.IKResult` (``branch``: only solutions of
        that branch count); no solution gives ``success=False`` at ``q0`` with reason ``unreachable``
        or ``limits``."""
        t0 = _perf()
        s = self.solve(target, q0)
        pick = np.flatnonzero(s.branch == branch) if branch is not None else np.arange(len(s))
        if len(pick):
            i = int(pick[0])
            q = np.array(s.q[i])
            q.setflags(write=False)
            return IKResult.of_fields(
                q, True, float(s.position_error[i]), float(s.rotation_error[i]), 0, 0, _perf() - t0,
                IKReason.CONVERGED, None,
            )  # fmt: skip
        q = self.robot.clip(self._start(q0, None))
        p, r = _errors(self.robot, q, self.frame, self.base, self._pose(target))
        reason = IKReason.LIMITS if s.reason is SolutionsReason.OUTSIDE_LIMITS else IKReason.UNREACHABLE
        if len(s):  # solutions, but none on that branch
            reason = IKReason.UNREACHABLE
        q.setflags(write=False)
        return IKResult.of_fields(q, False, p, r, 0, 0, _perf() - t0, reason, None)

    def branch_of(self, q) -> int | None:
        """The branch of configuration ``q`` (the branch of the solution at its own pose that equals
        it), or ``None`` when ``q`` is outside the limits or at a singularity."""
        q = self.robot.check_q(q, "q")
        T = _pose_of(self.robot, q, self.frame, self.base)
        s = self.solve(T, q)
        if len(s) and float(np.abs(self.robot.difference(q, s.q[0])).max()) < 1e-6 and not s.singular:
            return int(s.branch[0])
        return None


class BranchFollower:
    """Solves a sequence of nearby poses on one branch: the closed-form solution of the branch of
    ``q0`` nearest the previous configuration (:func:`kinejac.solve_ik_path` with
    ``hold_branch=True``). For a family solved by a 1-D search (whose root order is no label) and
    for a ``q0`` at a singularity, the nearest solution is taken whatever its branch."""

    def __init__(self, robot: Robot, frame: str, q0, *, base: str | None = None) -> None:
        self._ik = analytic_solver(robot, frame, base=base)
        self.branch = self._ik.branch_of(q0) if self._ik.structure.method == "closed_form" else None

    def solve(self, target, q, **_) -> IKResult:
        """The solution of the branch nearest ``q`` (``success=False`` when the branch has none)."""
        return self._ik.nearest(target, q, branch=self.branch)


def _pose_of(robot: Robot, q: np.ndarray, frame: str, base: str | None) -> np.ndarray:
    from ..kinematics import pose

    T = pose(robot, q, frame)
    if base is not None:
        T = np.linalg.inv(pose(robot, q, base)) @ T
    return T


def _errors(robot: Robot, q, frame, base, T) -> tuple[float, float]:
    X = pin.SE3(_pose_of(robot, q, frame, base))
    M = pin.SE3(T).actInv(X)
    return float(np.linalg.norm(M.translation)), float(np.linalg.norm(pin.log3(M.rotation)))


_CACHE_KEY = "ik.analytic"
_PLAIN_KEY = "ik.analytic.plain"  # {frame: AnalyticIK} with the default options (the fast path)
_CACHE_SIZE = 32


def analytic_solver(robot: Robot, frame: str, *, base=None, fixed=None, **options) -> AnalyticIK:
    """An :class:`AnalyticIK` for these settings, built once per robot (kept in ``robot.cache``;
    ``fixed`` values are passed per call, so only its names key the cache)."""
    names = None if fixed is None else tuple(sorted(fixed.keys() if isinstance(fixed, Mapping) else fixed))
    key = (frame, base, names, *sorted(options.items())) if options else (frame, base, names)
    solvers = robot.cache.setdefault(_CACHE_KEY, {}) if isinstance(robot, Robot) else {}
    try:
        solver = solvers.get(key)
    except TypeError:
        solver, solvers = None, {}
    if solver is None:
        solver = AnalyticIK(robot, frame, base=base, fixed=names, **options)
        if len(solvers) >= _CACHE_SIZE:
            solvers.pop(next(iter(solvers)))
        solvers[key] = solver
    return solver


def candidate_closed_form(robot: Robot, frame: str) -> core.Analytic | None:
    """The closed form whose solutions the collision-free solves of ``frame``'s pose check as
    candidates (before random starts): the chain's own when its 6 free joints have one, else, for 7
    free joints, the one with the joint nearest the frame held fixed among those that leave a
    closed form (not a 1-D search); the solves sweep that joint over its range. ``None`` when there
    is none."""
    structure = plan_of(robot, frame, need=False).structure
    if structure.family is not None:
        return analytic_solver(robot, frame).native if structure.method == "closed_form" else None
    for name in reversed(structure.joints):  # the joint nearest the frame first
        if name not in structure.fixable:
            continue
        if plan_of(robot, frame, fixed=(name,), need=False).structure.method == "closed_form":
            return analytic_solver(robot, frame, fixed=(name,)).native
    return None


def solve_ik_all(
    robot: Robot,
    target,
    frame: str,
    *,
    q0=None,
    fixed: Mapping[str, float] | None = None,
    base: str | None = None,
    all_equivalents: bool = False,
    tolerance: float = DEFAULT_TOLERANCE,
    threads: int | None = None,
) -> IKSolutions | IKSolutionsBatch:
    """Every IK solution of ``frame``'s pose within the joint limits, by closed forms.

    Args:
        robot: the robot.
        target: ``T_world_frame`` (or ``T_base_frame`` with ``base``) as a 4x4 array or
            ``pinocchio.SE3``; or ``(B, 4, 4)`` targets (solved on every core).
        frame: the frame to place.
        q0: ``(nq,)`` (or ``(B, nq)``): solutions are sorted by their distance to it, joints beyond a
            turn come as the equivalent nearest it, and joints off the chain keep its values
            (default: the middle of the limits).
        fixed: ``{joint: value}`` [rad]: joints held at a value (a 7-joint arm: one of them), so
            that the rest is a 6-joint chain with a closed form; a batch takes ``(B,)`` values.
            Sweeping that joint is a loop: ``[solve_ik_all(robot, T, f, fixed={j: a}) for a in
            np.linspace(lo, hi, 20)]``.
        base: the frame the target is given in (default: the world).
        all_equivalents: list every equivalent angle the limits admit (UR's ±2π: each branch up to
            2⁶ times), not only the nearest to ``q0``.
        tolerance: [m or rad] how far the axes may be from their family (see
            :func:`~kinejac.ik_structure`).
        threads: a batch's threads (default: every core).

    Returns:
        :class:`IKSolutions` (one target) or :class:`IKSolutionsBatch`. A target with no solution
        gives an empty one with the reason; a chain with no known family raises
        :class:`~kinejac.StructureError` naming the structure found.

    The solver behind a call is built once per robot, frame and the names of the fixed joints.
    """
    solver = None
    if base is None and all_equivalents is False and tolerance == DEFAULT_TOLERANCE and type(robot) is Robot:
        # the default options: {frame or (frame, *fixed joints): solver} (the fast path)
        plain = robot.cache.get(_PLAIN_KEY)
        key = frame if fixed is None else (frame, *fixed) if type(fixed) is dict else None
        try:
            solver = plain.get(key) if plain is not None and key is not None else None
        except TypeError:  # an unhashable frame: analytic_solver says what is wrong
            key = None
        if solver is None:
            solver = analytic_solver(robot, frame, fixed=None if fixed is None else tuple(fixed))
            if key is not None:
                robot.cache.setdefault(_PLAIN_KEY, {})[key] = solver
    else:
        names = None if fixed is None else tuple(fixed)
        solver = analytic_solver(robot, frame, base=base, fixed=names, all_equivalents=all_equivalents,
                                 tolerance=tolerance)  # fmt: skip
    if type(target) is np.ndarray and target.ndim == 3:
        return solver.solve_batch(target, q0, fixed=fixed, threads=threads)
    if threads is not None:
        positive("threads", threads, integer=True)
    return solver.solve(target, q0, fixed=fixed)
