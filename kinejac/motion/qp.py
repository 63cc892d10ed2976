"""Constrained velocity IK: one quadratic program per control step, solved with DAQP.

For tasks with scaled residuals ``r_i(Δq) = C_i (J_i Δq + gain_i e_i)``, ``C_i = diag(cost_i)``
(:mod:`kinejac.motion.tasks`: pink's and mink's convention), the step ``Δq = v dt`` solves

    minimise    ½ Σ_i ‖r_i(Δq)‖² + ½ (λ + Σ_i μ_i) ‖Δq‖²,   μ_i = lm_damping_i ‖C_i gain_i e_i‖²
    subject to  lo ≤ Δq ≤ hi              (joint limits, :mod:`kinejac.motion.limits`)
                dt·lower ≤ C Δq ≤ dt·upper (optional rows, :mod:`kinejac.motion.constraints`)

and ``v = Δq / dt`` is returned: the objective of ``pink.solve_ik`` (with ``damping = λ``), so the
same tasks give the same velocities when no limit is active (the tests check it against pink to
1e-8). Solving for ``Δq`` [rad] rather than ``v`` keeps the Hessian ``Σ JᵢᵀCᵢ²Jᵢ + λI`` of order
one whatever ``dt``.

Priorities: tasks in one list are *weighted* against each other. ``secondary`` tasks form a
second, *strict* level: with ``Δq₁`` the first level's solution and ``N`` an orthonormal basis of
the null space of the first level's tasks (eigenvectors of ``Σ JᵢᵀCᵢ²Jᵢ`` with eigenvalues below
``rank_tolerance`` times the largest), the second level solves the same kind of QP for ``Δq = Δq₁ + N z``, so the
first level's ``J Δq`` (hence its cost) is exactly unchanged, within the same limits.

The solver is DAQP (Arnström, Bemporad & Axehill, *A dual active-set solver for embedded quadratic
programming using recursive LDLᵀ updates*, IEEE TAC 2022): a dual active-set method for small
dense QPs whose box constraints are handled as simple bounds. Its workspace is allocated once per
:class:`VelocityIK` and updated in place each step (warm-started from the previous active set).
The default damping ``λ = 1e-10`` keeps DAQP's factorisation reliable (with ``1e-12`` and a rank-
deficient task Hessian it reports a box QP infeasible about one time in four on random Panda
states); should DAQP still fail on a QP with box bounds only, which is always feasible, the step is
solved again with DAQP's proximal-point iterations (``eps_prox``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import pinocchio as pin

from .._checks import as_real_array, check_memory, positive
from ..errors import InvalidValueError, KinejacError, ShapeError
from ..robot import Robot
from .constraints import LinearConstraint, relax_to_limits
from .limits import JointBounds
from .tasks import Task

__all__ = ["DenseQP", "InfeasibleError", "VelocityIK", "velocity_ik"]

_BIG = 1e30  # DAQP's infinity
_PROX = 1e-6  # DAQP's proximal weight for the re-solve of a nearly singular box QP
_computeJointJacobians = pin.computeJointJacobians
_maximum, _minimum = np.maximum, np.minimum
_CACHE_KEY = "motion.velocity_ik"  # robot.cache[_CACHE_KEY]: {(tasks, *settings): VelocityIK}
_CACHE_SIZE = 32


class InfeasibleError(KinejacError):
    """The velocity QP has no solution: the given :class:`LinearConstraint` rows cannot be met
    within the joint limits (the joint limits alone are always feasible)."""


def _daqp():
    try:
        import daqp
    except ImportError as exc:  # a core dependency: only a broken installation gets here
        raise KinejacError("the velocity QP needs the daqp package: pip install daqp") from exc
    return daqp


class DenseQP:
    """One DAQP workspace for QPs of a fixed size: ``min ½xᵀHx + fᵀx``, ``lo ≤ x ≤ hi``, ``c_lo ≤ C x ≤ c_hi``."""

    _EXIT: ClassVar[dict[int, str]] = {
        -1: "primal infeasible",
        -2: "cycling",
        -3: "unbounded",
        -4: "iteration limit",
        -5: "not convex",
        -6: "overdetermined initial active set",
    }

    def __init__(self, n: int, m: int, what: str) -> None:
        self.n, self.m, self.what = n, m, what
        self.model = _daqp().Model()
        self.ready = False
        self.upper = np.empty(n + m)
        self.lower = np.empty(n + m)
        self._no_rows = np.zeros((0, n))
        self._default_prox = self.model.settings["eps_prox"]
        self.info: dict = {}
        self.retries = 0  # proximal re-solves (see solve)

    def solve(self, H, f, lo, hi, C=None, c_lo=None, c_hi=None) -> np.ndarray:
        if self.ready and not self.m:  # the hot path: update the workspace in place and solve
            model = self.model
            model.update(H=H, f=f, bupper=hi, blower=lo)  # DAQP takes ±inf for simple bounds
            x, _, exitflag, info = model.solve()
            if exitflag >= 1:
                self.info = info
                return x
        return self._solve(H, f, lo, hi, C, c_lo, c_hi)

    def _solve(self, H, f, lo, hi, C, c_lo, c_hi) -> np.ndarray:
        if self.m:
            upper, lower = self.upper, self.lower
            upper[: self.n], lower[: self.n] = hi, lo
            upper[self.n :], lower[self.n :] = c_hi, c_lo
            A = C
        else:
            upper, lower, A = hi, lo, self._no_rows
        model = self.model
        if not self.ready:
            exitflag, _ = model.setup(H, f, A, upper.clip(-_BIG, _BIG), lower.clip(-_BIG, _BIG))
            if exitflag < 0:
                raise KinejacError(f"DAQP could not set up the {self.what} QP (exit flag {exitflag})")
            self.ready = True
        elif self.m:
            model.update(H=H, f=f, A=A, bupper=upper.clip(-_BIG, _BIG), blower=lower.clip(-_BIG, _BIG))
        else:
            model.update(H=H, f=f, bupper=upper, blower=lower)  # DAQP takes ±inf for simple bounds
        x, _, exitflag, info = model.solve()
        if exitflag < 1 and not self.m:
            # box bounds only: always feasible, so this is DAQP's numerics with a nearly singular
            # Hessian (tiny damping); solve it again with its proximal-point iterations
            model.settings = {"eps_prox": _PROX}
            model.setup(H, f, A, upper, lower)
            x, _, exitflag, info = model.solve()
            model.settings = {"eps_prox": self._default_prox}
            self.ready = False
            self.retries += 1
        if exitflag < 1:
            self.ready = False  # start the next solve afresh
            why = self._EXIT.get(exitflag, f"exit flag {exitflag}")
            if exitflag == -1:
                raise InfeasibleError(
                    f"the {self.what} QP is infeasible: its linear constraints cannot be met within the joint limits"
                )
            raise KinejacError(f"DAQP failed on the {self.what} QP: {why}")
        self.info = info
        return x


class VelocityIK:
    """A reusable velocity-IK solver: tasks, limits and the QP workspace, built once; :meth:`solve` per step.

    Args:
        robot: the robot.
        tasks: the (first-level) tasks, weighted against each other; a non-empty sequence of
            :class:`~kinejac.motion.tasks.Task` (:class:`FrameTask`, :class:`PostureTask`).
        secondary: optional second-level tasks, strictly below ``tasks`` (see the module docstring).
        damping: ``λ`` [cost²/rad²] > 0, the regularisation ``½ λ ‖Δq‖²`` (keeps the QP strictly
            convex at singularities and picks the least motion among equal solutions); pink's
            ``solve_ik(..., damping=)``.
        position_limits: enforce the position limits (braking-aware with ``acceleration_limit``).
        velocity_limit: ``True``: ``robot.velocity_limit``; ``False``: none; or a number / ``(nv,)`` [rad/s].
        acceleration_limit: ``None`` (none), or a number / ``(nv,)`` [rad/s²], enforced relative to
            the previous velocity passed to :meth:`solve`.
        constraints: :class:`~kinejac.motion.constraints.LinearConstraint` rows (the obstacle hook):
            one, a sequence, or ``None`` (none).
        rank_tolerance: the first level's null space is spanned by the eigenvectors of its tasks'
            Hessian ``Σ JᵢᵀCᵢ²Jᵢ`` with eigenvalues below this fraction of the largest.

    Tasks are bound to ``robot`` here (a task serves one robot at a time); change their targets
    between steps with their ``set_target`` methods. :attr:`push_scale` says how much of the
    relaxable rows' push (:class:`ObstacleDistance` inside its margin) the last step kept: 1 all of
    it, less when the pushes could not be met together within the limits (see :meth:`_solve_first`).
    One instance must not be used from several threads (it uses ``robot.data``).
    """

    def __init__(
        self,
        robot: Robot,
        tasks: Sequence[Task],
        *,
        secondary: Sequence[Task] = (),
        damping: float = 1e-10,
        position_limits: bool = True,
        velocity_limit=True,
        acceleration_limit=None,
        constraints: Sequence[LinearConstraint] = (),
        rank_tolerance: float = 1e-10,
    ) -> None:
        if not isinstance(robot, Robot):
            raise InvalidValueError(f"VelocityIK needs a kinejac.Robot, got {type(robot).__name__}")
        self.robot = robot
        self.tasks = _check_tasks(tasks, "tasks", allow_empty=False)
        self.secondary = _check_tasks(secondary, "secondary", allow_empty=True)
        self.constraints = _check_constraints(constraints)
        for c in self.constraints:
            c.bind(robot)
        for t in (*self.tasks, *self.secondary):
            t.bind(robot)
        self.damping = positive("damping", damping)
        self.rank_tolerance = positive("rank_tolerance", rank_tolerance)
        self.bounds = JointBounds(
            robot, position_limits=position_limits, velocity_limit=velocity_limit, acceleration_limit=acceleration_limit
        )
        nv = robot.nv
        self._constant_costs()
        self._f0 = np.zeros(nv)
        mc = _constraint_rows(self.constraints, nv)
        self._C = np.zeros((mc, nv))
        self._c_lo, self._c_hi = np.zeros(mc), np.zeros(mc)
        self._c_slices = []
        self._relax = np.zeros(mc, dtype=bool)  # the rows of constraints with relax_to_limits
        r = 0
        for c in self.constraints:
            self._c_slices.append(slice(r, r + int(c.rows)))
            self._relax[r : r + int(c.rows)] = bool(c.relax_to_limits)
            r += int(c.rows)
        self.push_scale = 1.0  # the scale of the relaxable rows' positive lower bounds at the last step
        self._qp1 = DenseQP(nv, mc, "velocity IK")
        self._qp2: dict[int, DenseQP] = {}

    def _constant_costs(self) -> None:
        """The constant parts of the Hessians (damping, postures): added once, not per step."""
        self._H1_tasks0 = _constant_hessian(self.tasks, self.robot)
        self._H2_tasks0 = _constant_hessian(self.secondary, self.robot)
        self._H1_0 = self._H1_tasks0 + self.damping * np.eye(self.robot.nv)

    def refresh(self) -> None:
        """Bind the tasks that another solver bound to another robot back to this solver's robot,
        and then re-read their constant costs."""
        stale = [t for t in (*self.tasks, *self.secondary) if t.bound_robot is not self.robot]
        for t in stale:
            t.bind(self.robot)
        if stale:
            self._constant_costs()

    def __repr__(self) -> str:
        second = f", secondary={list(self.secondary)}" if self.secondary else ""
        return f"VelocityIK({self.robot.name!r}, tasks={list(self.tasks)}{second})"

    def solve(self, q, dt: float, *, v_prev=None) -> np.ndarray:
        """Joint velocity ``v`` ``(nv,)`` [rad/s or m/s] for the next period ``dt`` [s] at ``q`` ``(nq,)``.

        ``v_prev`` ``(nv,)``: the current velocity, for the acceleration limits (``None``: at rest).
        Integrate with ``robot.integrate(q, v * dt)``; that configuration respects the limits.
        """
        robot = self.robot
        q = robot.check_q(q)
        if q.ndim != 1:
            raise ShapeError(f"velocity IK takes one configuration of shape ({robot.nq},), got {q.shape}")
        dt = positive("dt [s]", dt)
        if v_prev is not None:
            v_prev = robot.check_v(v_prev, "v_prev")
            if v_prev.ndim != 1:
                raise ShapeError(f"expected v_prev of shape ({robot.nv},), got {v_prev.shape}")
        nv = robot.nv
        if nv == 0:
            return np.zeros(0)
        _computeJointJacobians(robot.model, robot.data, q)
        H = self._H1_0.copy()
        f = self._f0.copy()
        mu = 0.0  # the tasks' Levenberg-Marquardt damping, isotropic
        for task in self.tasks:
            mu += task.accumulate(robot, q, H, f)
        if mu:
            H.flat[:: nv + 1] += mu
        lo, hi = self.bounds.step_bounds(q, dt, v_prev)
        C = c_lo = c_hi = None
        if self.constraints:
            C, c_lo, c_hi = self._C, self._c_lo, self._c_hi
            for c, sl in zip(self.constraints, self._c_slices):
                c.fill(robot, q, dt, C[sl], c_lo[sl], c_hi[sl])
                if c.relax_to_limits:
                    relax_to_limits(C[sl], c_lo[sl], lo, hi, dt)
            c_lo, c_hi = c_lo * dt, c_hi * dt
        x, c_lo = self._solve_first(H, f, lo, hi, C, c_lo, c_hi)
        # DAQP meets bounds to its tolerance (1e-6 relative); make them exact
        _minimum(_maximum(x, lo, out=x), hi, out=x)
        if self.secondary:
            x = self._second_level(q, H, self.damping + mu, x, lo, hi, C, c_lo, c_hi)
        return x / dt

    def _solve_first(self, H, f, lo, hi, C, c_lo, c_hi) -> tuple[np.ndarray, np.ndarray | None]:
        """The first level's QP and the lower bounds it met. When its rows cannot be met together and
        some are relaxable (pushes out of a margin, :attr:`LinearConstraint.relax_to_limits`), their
        positive lower bounds are scaled by 1/2, 1/4, 1/8, then 0 (do not get closer) until it is
        feasible; the scale is kept in :attr:`push_scale`. Still infeasible: :class:`InfeasibleError`."""
        self.push_scale = 1.0
        try:
            return self._qp1.solve(H, f, lo, hi, C, c_lo, c_hi), c_lo
        except InfeasibleError:
            pushing = self._relax & (c_lo > 0) if c_lo is not None else None
            if pushing is None or not pushing.any():
                raise
        for scale in (0.5, 0.25, 0.125, 0.0):
            relaxed = c_lo.copy()
            relaxed[pushing] *= scale  # (only there: elsewhere a bound may be -inf)
            try:
                x = self._qp1.solve(H, f, lo, hi, C, relaxed, c_hi)
            except InfeasibleError:
                continue
            self.push_scale = scale
            return x, relaxed
        raise InfeasibleError(
            "the velocity IK QP is infeasible even without pushing out of the obstacle margins: its linear "
            "constraints cannot be met within the joint limits"
        )

    def _second_level(self, q, H1, diagonal, x1, lo, hi, C, c_lo, c_hi) -> np.ndarray:
        robot, nv, lam = self.robot, self.robot.nv, self.damping
        # null space of the first level's tasks: eigenvectors of their Hessian H1 - (λ + Σμ)I = A1ᵀA1
        # whose eigenvalues are below rank_tolerance times the largest
        w, V = np.linalg.eigh(H1 - diagonal * np.eye(nv))
        N = V[:, w <= self.rank_tolerance * max(float(w[-1]), 1e-300)]  # (nv, k): A1 N = 0
        k = N.shape[1]
        if k == 0:
            return x1
        H2 = self._H2_tasks0 + lam * np.eye(nv)
        f2 = np.zeros(nv)
        mu2 = 0.0
        for task in self.secondary:
            mu2 += task.accumulate(robot, q, H2, f2)
        if mu2:
            H2.flat[:: nv + 1] += mu2
        # cost of Δq = x1 + N z: ½ zᵀ NᵀH2N z + (NᵀH2 x1 + Nᵀf2)ᵀ z + const
        H2N = H2.dot(N)
        Hz = N.T.dot(H2N)
        fz = N.T.dot(H2.dot(x1) + f2)
        # the bounds become general rows N z ∈ [lo - x1, hi - x1] (and C N z for the extra rows)
        G, G_lo, G_hi = N, lo - x1, hi - x1
        if C is not None:
            Cx = C.dot(x1)
            G = np.vstack((N, C.dot(N)))
            G_lo, G_hi = np.concatenate((G_lo, c_lo - Cx)), np.concatenate((G_hi, c_hi - Cx))
        qp = self._qp2.get(k)
        if qp is None:
            qp = self._qp2[k] = DenseQP(k, G.shape[0], "second-level")
        free = np.full(k, np.inf)
        z = qp.solve(Hz, fz, -free, free, np.ascontiguousarray(G), G_lo, G_hi)
        return np.clip(x1 + N.dot(z), lo, hi)


def _check_tasks(tasks, name: str, allow_empty: bool) -> tuple[Task, ...]:
    if isinstance(tasks, Task):
        tasks = (tasks,)
    try:
        out = tuple(tasks)
    except TypeError:
        raise InvalidValueError(f"{name} must be a sequence of tasks (FrameTask, PostureTask), got {tasks!r}") from None
    if not out and not allow_empty:
        raise InvalidValueError(f"{name} is empty: give at least one task (FrameTask, PostureTask)")
    for t in out:
        if not isinstance(t, Task):
            raise InvalidValueError(f"{name} must hold tasks (FrameTask, PostureTask), got {type(t).__name__}: {t!r}")
    return out


def _check_constraints(constraints) -> tuple[LinearConstraint, ...]:
    """``constraints`` as a tuple: one :class:`LinearConstraint`, a sequence of them, or ``None``."""
    if constraints is None:
        return ()
    if isinstance(constraints, LinearConstraint):
        return (constraints,)
    try:
        out = tuple(constraints)
    except TypeError:
        raise InvalidValueError(
            f"constraints must be LinearConstraint objects (a sequence, one, or None), got {constraints!r}"
        ) from None
    for c in out:
        if not isinstance(c, LinearConstraint):
            raise InvalidValueError(f"constraints must be LinearConstraint objects, got {type(c).__name__}")
    return out


def _constraint_rows(constraints: tuple[LinearConstraint, ...], nv: int) -> int:
    """The constraints' rows in all (each a non-negative integer), refused when the QP's matrices
    would not fit in the memory limit."""
    rows = 0
    for c in constraints:
        rows += positive(f"{type(c).__name__}.rows", c.rows, integer=True, zero=True)
    check_memory(8.0 * rows * (nv + 4), f"the velocity QP's {rows} constraint rows", "give fewer constraint rows")
    return rows


def _constant_hessian(tasks: tuple[Task, ...], robot: Robot) -> np.ndarray:
    H = np.zeros((robot.nv, robot.nv))
    for t in tasks:
        Ht = t.constant_hessian(robot)
        if Ht is not None:
            H += Ht
    return H


def velocity_ik(
    robot: Robot,
    q,
    tasks: Sequence[Task],
    dt: float,
    *,
    v_prev=None,
    secondary: Sequence[Task] = (),
    damping: float = 1e-10,
    position_limits: bool = True,
    velocity_limit=True,
    acceleration_limit=None,
    constraints: Sequence[LinearConstraint] = (),
) -> np.ndarray:
    """Joint velocity ``v`` ``(nv,)`` realising ``tasks`` over the next period ``dt`` [s] within the limits.

    One-shot form of :class:`VelocityIK` (same arguments; see it and the module docstring). The
    solver behind a call is kept in ``robot.cache`` per set of task, constraint and limit objects
    (tasks keep their targets by reference; one bound to another robot since is bound back), so a
    control loop calling this each step pays the set-up once.
    """
    if v_prev is not None:
        v_prev = as_real_array(v_prev, "v_prev")
    tasks, secondary = _check_tasks(tasks, "tasks", allow_empty=False), _check_tasks(secondary, "secondary", True)
    if isinstance(constraints, list):
        constraints = tuple(constraints)
    solvers = robot.cache.setdefault(_CACHE_KEY, {}) if isinstance(robot, Robot) else None
    key: tuple | None = (
        tasks, secondary, damping, position_limits, velocity_limit, acceleration_limit, constraints
    )  # fmt: skip
    try:
        solver = solvers.get(key) if solvers is not None else None
    except TypeError:  # an unhashable setting (an array of limits): build afresh
        key, solver = None, None
    if solver is None:
        solver = VelocityIK(
            robot, tasks, secondary=secondary, damping=damping, position_limits=position_limits,
            velocity_limit=velocity_limit, acceleration_limit=acceleration_limit, constraints=constraints,
        )  # fmt: skip
        if solvers is not None and key is not None:
            if len(solvers) >= _CACHE_SIZE:
                solvers.pop(next(iter(solvers)))
            solvers[key] = solver
    else:
        solver.refresh()
    return solver.solve(q, dt, v_prev=v_prev)
