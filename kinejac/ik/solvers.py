"""Iterative IK solvers (damped least squares, Gauss-Newton, Levenberg-Marquardt) with restarts.

All three minimise ``F(q) = ½‖e(q)‖²`` for the error ``e`` of :mod:`kinejac.ik.residual` (the SE(3)
log map of ``T_target⁻¹ T(q)``, in the target frame), with ``J = de/dq`` and steps ``q ⊕ δ``:

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

Joint limits (see :mod:`kinejac.ik.limits`): every iterate is projected into the limits (2π-wrap
for full-turn revolute joints, clamp otherwise), and joints held on a limit by the descent
direction are dropped from the next solve (active set), so the returned ``q`` is always inside.

Global search: an attempt ends when converged, after ``max_iterations``, or when it stalls: its best
cost has not dropped below ``stall_progress`` times the previous best for ``stall_iterations``
iterations (LM: 0.9 and 3, i.e. 10 % in 3 iterations, since an attempt that will converge almost
always gains more, and abandoning the others sooner is the cheaper bet; GN and DLS: 0.99 and 5).
Then it restarts from a configuration drawn uniformly (``seed``-ed), alternately within the middle
half of each joint's range and within the full range, until ``max_restarts`` or ``timeout``. The
best configuration seen is returned.
"""

from __future__ import annotations

import math
import time
from typing import Literal

import numpy as np
from scipy.linalg import lapack

from .._checks import positive as _positive
from ..errors import InvalidChoiceError, InvalidValueError, ShapeError
from ..robot import Robot
from .batch import solve_batch
from .limits import Limits
from .objectives import Objective
from .residual import Residual
from .result import IKBatchResult, IKReason, IKResult, _Attempt
from .targets import FrameTarget, as_targets, quick_pose

__all__ = ["METHODS", "IKSolver", "Method", "solve_ik"]

Method = Literal["lm", "gn", "dls"]
METHODS: tuple[str, ...] = ("lm", "gn", "dls")

_solve = np.linalg.solve
_dposv = lapack.dposv
_LinAlgError = np.linalg.LinAlgError
_perf = time.perf_counter


def _check_seed(seed):
    """A seed ``numpy.random.default_rng`` takes, checked now rather than at the first restart."""
    if seed is None or isinstance(seed, (np.random.SeedSequence, np.random.Generator, np.random.BitGenerator)):
        return seed
    try:
        np.random.SeedSequence(seed)
    except (TypeError, ValueError):
        raise InvalidValueError(
            f"seed must be None, a non-negative integer, a sequence of them or a numpy SeedSequence, got {seed!r}"
        ) from None
    return seed


class IKSolver:
    """A reusable IK solver: validation and set-up happen once, :meth:`solve` runs the iterations.

    Args:
        robot: the :class:`~kinejac.Robot`.
        frame: default frame for array targets (``None``: every call passes :class:`FrameTarget` s).
        method: ``"lm"``, ``"gn"`` or ``"dls"`` (see the module docstring for the update rules).
        position_tolerance: [m] success threshold on every target's position error.
        rotation_tolerance: [rad] success threshold on every target's rotation error.
        max_iterations: per attempt (default 100; 500 for ``dls``).
        max_restarts: random restarts after the first attempt (0: local solve only).
        timeout: [s] wall-clock budget of one solve (``None``: no limit).
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
    ) -> None:
        if not isinstance(robot, Robot):
            raise InvalidValueError(f"IKSolver needs a kinejac.Robot, got {type(robot).__name__}")
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
        self.max_iterations = _positive("max_iterations", max_iterations, integer=True)
        self.max_restarts = _positive("max_restarts", max_restarts, integer=True, zero=True)
        self.timeout = _positive("timeout", timeout, allow_none=True)
        if stall_iterations is None:  # LM's damping already rejects bad steps: give up on an attempt sooner
            stall_iterations = 3 if method == "lm" else 5
        self.stall_iterations = _positive("stall_iterations", stall_iterations, integer=True)
        self.objective_iterations = _positive("objective_iterations", objective_iterations, integer=True, zero=True)
        self.lm_tau = _positive("lm_tau", lm_tau)
        self.dls_epsilon = _positive("dls_epsilon", dls_epsilon)
        self.dls_max_damping = _positive("dls_max_damping", dls_max_damping)
        self.max_step = _positive("max_step", max_step)
        self.dls_error_scale = 0.1
        self.objective, self.seed, self.record_history = objective, _check_seed(seed), bool(history)
        self.limits = Limits(robot)
        # restarts alternate between the middle half of each joint range and the full range
        self.restart_spreads = (0.5, 1.0)
        # an attempt makes progress when its best cost drops below this fraction of the previous best
        self.stall_progress = 0.9 if method == "lm" else 0.99
        self._mid = self._middle(robot)
        self._run = {"lm": self._lm, "gn": self._gn, "dls": self._dls}[method]
        self._residual: Residual | None = None
        self._targets: tuple[FrameTarget, ...] | None = None

    @staticmethod
    def _middle(robot: Robot) -> np.ndarray:
        """Middle of the limits where finite, neutral elsewhere (the default start)."""
        q = robot.neutral()
        lo, hi = robot.lower, robot.upper
        both = np.isfinite(lo) & np.isfinite(hi)
        q[both] = 0.5 * (lo[both] + hi[both])
        return q

    # -- set-up per call -------------------------------------------------------------------------
    def _prepare(self, target, frame, weights, mask, relative_to) -> Residual:
        res = self._residual
        if (
            res is not None
            and weights is None
            and mask is None
            and relative_to is None
            and (frame is None or frame == self.frame)
            and self._targets is not None
            and self._targets[0].frame == self.frame
        ):
            T = quick_pose(target)
            if T is not None and res.set_pose(T):
                return res
        targets = as_targets(target, frame or self.frame, weights=weights, mask=mask, relative_to=relative_to)
        res = self._residual
        if res is None or not res.retarget(targets):
            res = Residual(self.robot, targets)
            self._residual = res
        self._targets = targets
        return res

    def _start(self, q0) -> np.ndarray:
        if q0 is None:
            return self._mid.copy()
        q = self.robot._check_q(q0, "q0")
        if q.ndim != 1:
            raise ShapeError(f"expected q0 of shape ({self.robot.nq},), got {q.shape}")
        return self.robot.clip(q)

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

        ``seed`` overrides the solver's seed for the restarts (anything ``numpy.random.default_rng`` takes).
        """
        t0 = _perf()
        res = self._prepare(target, frame, weights, mask, relative_to)
        q = self._start(q0)
        return self._search(res, q, t0, self.seed if seed is None else _check_seed(seed))

    def _search(self, res: Residual, q: np.ndarray, t0: float, seed) -> IKResult:
        """The restart loop: attempts from ``q``, then from seeded random configurations."""
        deadline = math.inf if self.timeout is None else t0 + self.timeout
        if self.robot.nv == 0:  # nothing moves: the only configuration either reaches the targets or not
            e, _ = res.evaluate(q)
            best = self._finish(res, q, 0.5 * float(e @ e), 0, IKReason.STALLED, None)
            return IKResult(
                q.copy(),
                best.reason is IKReason.CONVERGED,
                best.position_error,
                best.rotation_error,
                0,
                0,
                _perf() - t0,
                best.reason,
            )
        spreads = self.restart_spreads
        timed_out = False
        iterations, restarts = 0, 0
        best: _Attempt | None = None
        rng: np.random.Generator | None = None
        for attempt in range(self.max_restarts + 1):
            if attempt:
                if rng is None:
                    rng = np.random.default_rng(seed)
                q = self.limits.random(self.robot, rng, spreads[(attempt - 1) % len(spreads)])
                restarts += 1
            out = self._run(res, q, deadline)
            iterations += out.iterations
            if best is None or out.cost < best.cost:
                best = out
            if out.reason is IKReason.CONVERGED:
                break
            if _perf() > deadline:
                timed_out = True
                break
        assert best is not None
        reason = best.reason
        if best.stuck and reason is not IKReason.CONVERGED:
            e, J = res.evaluate(best.q)
            reason = self._why_stuck(best.q, e, J)
        if reason is not IKReason.CONVERGED and timed_out:
            reason = IKReason.TIMEOUT
        if reason is IKReason.CONVERGED and self.objective is not None:
            best = self._secondary(res, best)
        history = None
        if self.record_history and best.history is not None:
            history = np.array(best.history).reshape(-1, self.robot.nq)
        q_out = best.q.copy()
        q_out.flags.writeable = False
        return IKResult(
            q=q_out,
            success=reason is IKReason.CONVERGED,
            position_error=best.position_error,
            rotation_error=best.rotation_error,
            iterations=iterations,
            restarts=restarts,
            time=_perf() - t0,
            reason=reason,
            history=history,
        )

    def solve_batch(self, targets, q0=None, *, seed=None) -> IKBatchResult:
        """Solve many pose targets ``(B, 4, 4)`` for :attr:`frame` at once (LM, vectorised).

        Sample ``i`` restarts from ``np.random.default_rng((seed, i))``: ``solve(targets[i],
        seed=(seed, i))`` gives the same answer. Other methods and target kinds are solved one by
        one. ``q0``: ``(nq,)`` or ``(B, nq)``. The per-solve ``timeout`` does not apply.
        """
        if self.frame is None:
            raise InvalidValueError("solve_batch needs a solver built with a frame")
        if self.method == "lm" and self.objective is None:
            return solve_batch(self, targets, q0, seed=seed)
        return self._batch_loop(targets, q0, seed)

    def _batch_loop(self, targets, q0, seed) -> IKBatchResult:
        t0 = _perf()
        T = np.asarray(targets, dtype=float)
        if T.ndim != 3 or T.shape[1:] != (4, 4):
            raise ShapeError(f"expected targets of shape (B, 4, 4), got {T.shape}")
        base = self.seed if seed is None else seed
        Q0 = None if q0 is None else np.broadcast_to(self.robot._check_q(q0, "q0"), (len(T), self.robot.nq))
        out = [
            self.solve(T[i], None if Q0 is None else Q0[i], seed=None if base is None else (base, i))
            for i in range(len(T))
        ]
        return IKBatchResult(
            q=np.array([r.q for r in out]).reshape(len(T), self.robot.nq),
            success=np.array([r.success for r in out], dtype=bool),
            position_error=np.array([r.position_error for r in out]),
            rotation_error=np.array([r.rotation_error for r in out]),
            iterations=np.array([r.iterations for r in out], dtype=int),
            restarts=np.array([r.restarts for r in out], dtype=int),
            reason=np.array([r.reason for r in out], dtype=object),
            time=_perf() - t0,
        )

    # -- shared pieces -----------------------------------------------------------------------------
    def _finish(
        self, res: Residual, q: np.ndarray, F: float, it: int, reason: IKReason, hist, stuck: bool = False
    ) -> _Attempt:
        perr, rerr = res.errors(q)
        if reason is not IKReason.CONVERGED and self._done(perr, rerr):
            reason, stuck = IKReason.CONVERGED, False
        return _Attempt(q, F, perr, rerr, it, reason, hist, stuck)

    def _done(self, perr: float, rerr: float) -> bool:
        return perr <= self.position_tolerance and rerr <= self.rotation_tolerance

    def _why_stuck(self, q: np.ndarray, e: np.ndarray, J: np.ndarray) -> IKReason:
        if self.limits.blocked(q, J.T @ e) is not None:
            return IKReason.LIMITS
        s = np.linalg.svd(J, compute_uv=False)
        if s.size and s[-1] < 1e-6 * max(1.0, s[0]) and J.shape[0] <= J.shape[1]:
            return IKReason.SINGULAR
        return IKReason.STALLED

    @staticmethod
    def _damped(J: np.ndarray, e: np.ndarray, lam: float) -> np.ndarray:
        """``-Jᵀ(J Jᵀ + λI)⁻¹ e`` (= ``-(JᵀJ + λI)⁻¹ Jᵀ e``), through the smaller of the two systems."""
        m, n = J.shape
        if m <= n:
            A = J @ J.T
            A.flat[:: m + 1] += lam
            x, info = _dposv(A, e)[1:]
            if info:
                x = np.linalg.lstsq(A, e, rcond=None)[0]
            return -(J.T @ x)
        A = J.T @ J
        A.flat[:: n + 1] += lam
        b = J.T @ e
        x, info = _dposv(A, b)[1:]
        if info:
            x = np.linalg.lstsq(A, b, rcond=None)[0]
        return -x

    # -- methods ------------------------------------------------------------------------------------
    def _lm(self, res: Residual, q: np.ndarray, deadline: float) -> _Attempt:
        # the hot loop of the package: ndarray.dot rather than @ and Python floats (each numpy call costs ~0.5 µs)
        evaluate, limits, step, errors = res.evaluate, self.limits, self.limits.step, res.errors
        blocked_of = limits.blocked if limits.can_block else None
        ptol, rtol = self.position_tolerance, self.rotation_tolerance
        gate = 2.0 * res.gate_factor * (ptol * ptol + rtol * rtol)  # on ‖e‖² = 2F
        hist = [q.copy()] if self.record_history else None
        e, J = evaluate(q)
        F = 0.5 * float(e.dot(e))
        if 2.0 * F <= gate and self._done(*errors(q)):
            return self._finish(res, q, F, 0, IKReason.CONVERGED, hist)
        lam = self.lm_tau * max(float((J * J).sum(axis=0).max()), 1e-12)
        nu, best_F, best_it = 2.0, F, 0
        on_bound = blocked_of is not None and blocked_of(q, e.dot(J)) is not None
        m, n = J.shape
        small = m <= n  # solve the m x m system J Jᵀ + λI rather than the n x n one
        eye = np.eye(m if small else n)
        stall, progress = self.stall_iterations, self.stall_progress
        reason, stuck = IKReason.MAX_ITERATIONS, False
        it = 0
        for it in range(1, self.max_iterations + 1):
            Jf = J
            blocked = None
            if on_bound and blocked_of is not None:
                blocked = blocked_of(q, e.dot(J))
                if blocked is not None:
                    Jf = J.copy()
                    Jf[:, blocked] = 0.0
            if small:
                x, info = _dposv(Jf.dot(Jf.T) + eye * lam, e)[1:]
                if info:
                    x = np.linalg.lstsq(Jf.dot(Jf.T) + eye * lam, e, rcond=None)[0]
                delta_neg = x.dot(-Jf)
            else:
                b = e.dot(Jf)
                x, info = _dposv(Jf.T.dot(Jf) + eye * lam, b)[1:]
                if info:
                    x = np.linalg.lstsq(Jf.T.dot(Jf) + eye * lam, b, rcond=None)[0]
                delta_neg = -x
            q_new, taken, clamped = step(q, delta_neg)
            e_new, J_new = evaluate(q_new)
            F_new = 0.5 * float(e_new.dot(e_new))
            if F_new < F:
                if small and taken is delta_neg:
                    # J δ = λx - e for δ = -Jᵀx, so the predicted decrease is ½(‖e‖² - λ²‖x‖²)
                    pred = F - 0.5 * lam * lam * float(x.dot(x))
                else:
                    Jd = J.dot(taken)
                    pred = -float(e.dot(Jd)) - 0.5 * float(Jd.dot(Jd))
                rho = (F - F_new) / pred if pred > 0 else 1.0
                lam *= max(1.0 / 3.0, 1.0 - (2.0 * rho - 1.0) ** 3)
                nu = 2.0
                q, e, J, F = q_new, e_new, J_new, F_new
                on_bound = clamped or blocked is not None
                if hist is not None:
                    hist.append(q.copy())
                if 2.0 * F <= gate and self._done(*errors(q)):
                    return self._finish(res, q, F, it, IKReason.CONVERGED, hist)
                if F < progress * best_F:
                    best_F, best_it = F, it
            else:
                lam *= nu
                nu *= 2.0
            if it - best_it >= stall or lam > 1e12:
                reason, stuck = IKReason.STALLED, True
                break
            if _perf() > deadline:
                reason = IKReason.TIMEOUT
                break
        return self._finish(res, q, F, it, reason, hist, stuck)

    def _gn(self, res: Residual, q: np.ndarray, deadline: float) -> _Attempt:
        evaluate, limits, errors = res.evaluate, self.limits, res.errors
        ptol, rtol = self.position_tolerance, self.rotation_tolerance
        gate = 2.0 * res.gate_factor * (ptol * ptol + rtol * rtol)
        hist = [q.copy()] if self.record_history else None
        e, J = evaluate(q)
        F = 0.5 * (e @ e)
        if 2.0 * F <= gate and self._done(*errors(q)):
            return self._finish(res, q, F, 0, IKReason.CONVERGED, hist)
        best_F, best_it, stall = F, 0, self.stall_iterations
        reason, stuck = IKReason.MAX_ITERATIONS, False
        it = 0
        for it in range(1, self.max_iterations + 1):
            g = J.T @ e
            blocked = limits.blocked(q, g)
            Jf = J
            if blocked is not None:
                Jf = J.copy()
                Jf[:, blocked] = 0.0
            A = Jf.T @ Jf
            A.flat[:: A.shape[0] + 1] += 1e-12 * (1.0 + A.trace())  # keeps a rank-deficient JᵀJ solvable
            b = Jf.T @ e
            x, info = _dposv(A, b)[1:]
            delta = -(x if not info else np.linalg.lstsq(Jf, e, rcond=None)[0])
            alpha, accepted = 1.0, False
            for _ in range(12):
                q_new, taken, _ = limits.step(q, alpha * delta)
                e_new, J_new = evaluate(q_new)
                F_new = 0.5 * (e_new @ e_new)
                if F_new < F and F_new <= F + 1e-4 * (g @ taken):
                    accepted = True
                    break
                alpha *= 0.5
            if not accepted:
                reason, stuck = IKReason.STALLED, True
                break
            q, e, J, F = q_new, e_new, J_new, F_new
            if hist is not None:
                hist.append(q.copy())
            if 2.0 * F <= gate and self._done(*errors(q)):
                return self._finish(res, q, F, it, IKReason.CONVERGED, hist)
            if F < self.stall_progress * best_F:
                best_F, best_it = F, it
            if it - best_it >= stall:
                reason, stuck = IKReason.STALLED, True
                break
            if _perf() > deadline:
                reason = IKReason.TIMEOUT
                break
        return self._finish(res, q, F, it, reason, hist, stuck)

    def _dls(self, res: Residual, q: np.ndarray, deadline: float) -> _Attempt:
        evaluate, limits, errors = res.evaluate, self.limits, res.errors
        ptol, rtol = self.position_tolerance, self.rotation_tolerance
        gate = 2.0 * res.gate_factor * (ptol * ptol + rtol * rtol)
        hist = [q.copy()] if self.record_history else None
        eps, lam_max2, max_step = self.dls_epsilon, self.dls_max_damping**2, self.max_step
        err_scale = self.dls_error_scale
        e, J = evaluate(q)
        F = 0.5 * (e @ e)
        if 2.0 * F <= gate and self._done(*errors(q)):
            return self._finish(res, q, F, 0, IKReason.CONVERGED, hist)
        # best_F/best_it drive the stall test (1 % progress); best_q is the true minimum seen
        best_q, best_q_F, best_F, best_it, stall = q, F, F, 0, self.stall_iterations
        reason, stuck = IKReason.MAX_ITERATIONS, False
        it = 0
        for it in range(1, self.max_iterations + 1):
            blocked = limits.blocked(q, J.T @ e)
            Jf = J
            if blocked is not None:
                Jf = J.copy()
                Jf[:, blocked] = 0.0
            s = np.linalg.svd(Jf, compute_uv=False)
            s_min = s[-1] if len(s) else 0.0
            lam2 = 0.0 if s_min >= eps else (1.0 - (s_min / eps) ** 2) * lam_max2
            lam2 *= min(1.0, math.sqrt(2.0 * F) / err_scale)  # fades out as the error vanishes
            delta = self._damped(Jf, e, lam2 + 1e-12)
            big = np.abs(delta).max()
            if big > max_step:
                delta *= max_step / big
            q = limits.step(q, delta)[0]
            e, J = evaluate(q)
            F = 0.5 * (e @ e)
            if hist is not None:
                hist.append(q.copy())
            if 2.0 * F <= gate and self._done(*errors(q)):
                return self._finish(res, q, F, it, IKReason.CONVERGED, hist)
            if F < self.stall_progress * best_F:
                best_F, best_it = F, it
            if F < best_q_F:
                best_q, best_q_F = q, F
            if it - best_it >= stall:
                reason, stuck = IKReason.STALLED, True
                break
            if _perf() > deadline:
                reason = IKReason.TIMEOUT
                break
        e, J = evaluate(best_q)
        return self._finish(res, best_q, 0.5 * float(e @ e), it, reason, hist, stuck)

    # -- secondary objective --------------------------------------------------------------------------
    def _secondary(self, res: Residual, best: _Attempt) -> _Attempt:
        """Descend the objective in the null space of the targets, keeping them within tolerance.

        Each step moves along ``-(I - J⁺J) ∇h`` (at most ``max_step`` per joint), then restores the
        targets with a few Gauss-Newton steps ``-J⁺ e``; it is kept only if the targets are still
        within tolerance and ``h`` went down, otherwise the step is halved.
        """
        robot, obj, limits = self.robot, self.objective, self.limits
        q, h = best.q, obj.cost(robot, best.q)
        alpha = 1.0
        for _ in range(self.objective_iterations):
            grad = obj.gradient(robot, q)
            e, J = res.evaluate(q)  # the objective may have used the robot's Data
            Jp = np.linalg.pinv(J, rcond=1e-8)
            d = -(grad - Jp @ (J @ grad))
            big = float(np.abs(d).max())
            if big < 1e-12:
                break
            d *= min(1.0, self.max_step / big)
            moved = False
            while alpha > 1e-6:
                q_new = limits.step(q, alpha * d)[0]
                for _ in range(5):  # back onto the targets
                    e_new, J_new = res.evaluate(q_new)
                    if self._done(*res.errors(q_new)):
                        break
                    q_new = limits.step(q_new, -np.linalg.pinv(J_new, rcond=1e-8) @ e_new)[0]
                h_new = obj.cost(robot, q_new)
                if h_new < h and self._done(*res.errors(q_new)):
                    moved = True
                    break
                alpha *= 0.5
            if not moved:
                break
            improvement, q, h = h - h_new, q_new, h_new
            alpha = min(1.0, 2.0 * alpha)
            if improvement < 1e-10 * max(1.0, abs(h)):
                break
        e, _ = res.evaluate(q)
        return self._finish(res, q, 0.5 * float(e @ e), best.iterations, best.reason, best.history)


def solve_ik(
    robot: Robot,
    target,
    frame: str | None = None,
    *,
    q0=None,
    method: Method = "lm",
    weights=None,
    mask=None,
    relative_to: str | None = None,
    seed: int | np.random.SeedSequence | None = 0,
    **options,
) -> IKResult:
    """Joint configuration reaching ``target`` for ``frame``, within the joint limits.

    Args:
        robot: the robot.
        target: the desired ``T_world_frame`` as a 4x4 array or ``pinocchio.SE3``; or a ``(3,)``
            position [m] (position only); or a ``(3, 3)`` rotation (orientation only); or a
            :class:`~kinejac.ik.FrameTarget` or a sequence of them (several frames at once).
        frame: the frame to place (needed for array targets).
        q0: ``(nq,)`` start configuration (clipped into the limits); default: middle of the limits.
        method: ``"lm"`` (Levenberg-Marquardt, default), ``"gn"`` (Gauss-Newton) or ``"dls"``.
        weights: ``(6,)`` [x, y, z, rx, ry, rz] weights in the target frame's axes (0 = free axis);
            ``(3,)`` for a position or rotation target. mask: ``(6,)`` booleans, the same as 0/1 weights.
        relative_to: place ``frame`` relative to this frame (``target`` is ``T_relative_frame``).
        seed: seed of the random restarts.
        **options: any :class:`IKSolver` option (``position_tolerance``, ``timeout``, ``max_restarts``,
            ``objective``, ``history``, ...).

    Returns:
        An :class:`~kinejac.ik.IKResult`; an unreachable target gives ``success=False`` with the
        closest configuration found. Malformed targets raise :class:`~kinejac.KinejacError`.

    Building an :class:`IKSolver` once is faster when solving repeatedly.
    """
    solver = IKSolver(robot, frame, method=method, seed=seed, **options)
    return solver.solve(target, q0, weights=weights, mask=mask, relative_to=relative_to)
