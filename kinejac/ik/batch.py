"""Batched IK: many single-frame pose targets in one call, linear algebra vectorised across the batch.

The algorithm is the Levenberg-Marquardt of :mod:`kinejac.ik.solvers` step for step (same damping
schedule, limit handling, stall test and restarts), run on a leading batch axis: the kinematics
(:mod:`kinejac.ik.chain` for serial chains of 1-DOF joints, else a pinocchio pass per sample), the
SE(3) log map and its Jacobian ``Jlog6`` (batch-last: every 3x3 entry a contiguous row), the damped
normal equations (a batch-last Cholesky for many samples) and the limit projection are numpy
operations over the active samples. Converged samples are frozen. Once few samples are left, the
spare rows run their later restart attempts ahead of time; attempts are independent (each starts
from its own draw), and their outcomes are taken in attempt order, so this changes nothing but the
speed. Sample ``i`` restarts from ``np.random.default_rng((seed, i))``, so
``solver.solve(targets[i], seed=(seed, i))`` gives the same answer (to rounding).
"""

from __future__ import annotations

import time

import numpy as np
import pinocchio as pin

from ..errors import InvalidValueError, ShapeError
from .chain import ChainKinematics
from .result import IKBatchResult, IKReason

__all__ = ["jlog6_batch", "log6_batch", "solve_batch"]

_LOCAL = pin.ReferenceFrame.LOCAL
_NEAR_PI = 3.0  # [rad] beyond this rotation angle, the axis from the symmetric part of R (see _log3_near_pi)
_SMALL = 1e-3  # [rad] below this angle, Taylor expansions of the log coefficients
_LANES = 512  # spare rows for attempts run ahead of time
_SPECULATE_BELOW = 384  # run attempts ahead when fewer rows than this are active
_LANES_PER_SAMPLE = 64
_SOA_SOLVE = 256  # from this many samples on, the damped normal equations by a batch-last Cholesky


def _coefficients(t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``alpha, beta, beta_dot/θ`` of the SE(3) log (as in pinocchio's log6 / Jlog6)."""
    small = t < _SMALL
    ts = np.where(small, 1.0, t)  # avoid 0/0 in the closed forms; replaced below
    t2 = ts * ts
    st, ct = np.sin(ts), np.cos(ts)
    one_m_ct = 1.0 - ct
    alpha = ts * st / (2.0 * one_m_ct)
    beta = 1.0 / t2 - st / (2.0 * ts * one_m_ct)
    bdot = -2.0 / (t2 * t2) + (ts + st) / (2.0 * t2 * ts * one_m_ct)
    if small.any():
        u2 = t[small] ** 2
        alpha[small] = 1.0 - u2 / 12.0 - u2 * u2 / 720.0
        beta[small] = 1.0 / 12.0 + u2 / 720.0
        bdot[small] = 1.0 / 360.0
    return alpha, beta, bdot


def _log3_near_pi(R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``ω (3, m)``, θ ``(m,)`` of ``R (3, 3, m)`` from the axis component of largest magnitude (as
    pinocchio's log3 near θ = π, where the antisymmetric part of ``R`` carries little of the axis)."""
    eps = np.finfo(float).eps
    tr = R[0, 0] + R[1, 1] + R[2, 2]
    val = 2.0 * np.stack((R[0, 0], R[1, 1], R[2, 2])) - tr + 1.0  # 4 sin²(θ/2) u_i²
    pick = np.argmax(val, axis=0)
    w, t = np.empty((3, R.shape[-1])), np.empty(R.shape[-1])
    for i0 in range(3):
        m = np.flatnonzero(pick == i0)
        if not len(m):
            continue
        i1, i2 = (i0 + 1) % 3, (i0 + 2) % 3
        Rm = R[:, :, m]
        s = np.sqrt(val[i0, m] + eps + eps * eps) * np.where(Rm[i2, i1] >= Rm[i1, i2], 1.0, -1.0)
        a = np.empty((3, len(m)))
        a[i0] = s / 2.0
        a[i1] = (Rm[i1, i0] + Rm[i0, i1]) / (2.0 * s)
        a[i2] = (Rm[i2, i0] + Rm[i0, i2]) / (2.0 * s)
        c = (Rm[i2, i1] - Rm[i1, i2]) / (2.0 * s)
        n = np.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2])
        t[m] = 2.0 * np.arctan2(n, c)
        w[:, m] = a * (t[m] / n)
    return w, t


def _log6_t(R: np.ndarray, p: np.ndarray):
    """Batch-last SE(3) log of ``R (3, 3, b)``, ``p (3, b)``: ``e (6, b)`` [linear; angular], θ ``(b,)``,
    ``alpha, beta, bdot`` (see :func:`_coefficients`), ``ω·p (b,)``; accurate for θ < _NEAR_PI (callers
    handle the rest)."""
    b = R.shape[-1]
    e = np.empty((6, b))
    w = e[3:]
    np.subtract(R[2, 1], R[1, 2], out=w[0])
    np.subtract(R[0, 2], R[2, 0], out=w[1])
    np.subtract(R[1, 0], R[0, 1], out=w[2])
    s2 = np.sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2])  # 2 sin θ
    c2 = R[0, 0] + R[1, 1] + R[2, 2] - 1.0  # 2 cos θ
    t = np.arctan2(s2, c2)
    w *= np.where(s2 > 1e-300, t / np.where(s2 > 1e-300, s2, 1.0), 0.5)
    far = np.flatnonzero(t > _NEAR_PI)
    if len(far):
        w[:, far], t[far] = _log3_near_pi(R[:, :, far])
    alpha, beta, bdot = _coefficients(t)
    w0, w1, w2, p0, p1, p2 = w[0], w[1], w[2], p[0], p[1], p[2]
    wp = w0 * p0 + w1 * p1 + w2 * p2
    bwp = beta * wp
    # v = alpha p - ½ ω × p + beta (ω·p) ω
    e[0] = alpha * p0 - 0.5 * (w1 * p2 - w2 * p1) + bwp * w0
    e[1] = alpha * p1 - 0.5 * (w2 * p0 - w0 * p2) + bwp * w1
    e[2] = alpha * p2 - 0.5 * (w0 * p1 - w1 * p0) + bwp * w2
    return e, t, alpha, beta, bdot, wp


def _jlog6_blocks_t(p, w, t, alpha, beta, bdot, wp) -> tuple[np.ndarray, np.ndarray]:
    """Batch-last blocks of ``Jlog6 = [[A, C A], [0, A]]``: ``A, C (3, 3, b)`` (pinocchio's closed form)."""
    A = _add_diagonal_and_half_skew(beta * w[:, None] * w[None, :], alpha, w)
    v3 = (bdot * wp) * w - (t * t * bdot + 2.0 * beta) * p
    C = _add_diagonal_and_half_skew(v3[:, None] * w[None, :] + beta * w[:, None] * p[None, :], wp * beta, p)
    return A, C


def _add_diagonal_and_half_skew(M: np.ndarray, d: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``M + d I + ½ [v]ₓ`` in place, for batch-last ``M (3, 3, b)``, ``d (b,)``, ``v (3, b)``."""
    M[0, 0] += d
    M[1, 1] += d
    M[2, 2] += d
    h = 0.5 * v
    M[0, 1] -= h[2]
    M[0, 2] += h[1]
    M[1, 0] += h[2]
    M[1, 2] -= h[0]
    M[2, 0] -= h[1]
    M[2, 1] += h[0]
    return M


def log6_batch(R: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SE(3) log of ``(R, p)`` ``(B, 3, 3), (B, 3)``: ``(B, 6)`` [linear; angular] and θ ``(B,)``."""
    e, t = _log6_t(np.moveaxis(R, 0, -1), np.moveaxis(p, 0, -1))[:2]
    return np.ascontiguousarray(e.T), t


def jlog6_batch(R: np.ndarray, p: np.ndarray, w: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``Jlog6`` ``(B, 6, 6)`` of ``(R, p)`` given ``ω = log3(R)`` and θ (pinocchio's closed form)."""
    B = R.shape[0]
    pT, wT = np.ascontiguousarray(p.T), np.ascontiguousarray(w.T)
    alpha, beta, bdot = _coefficients(t)
    A, C = _jlog6_blocks_t(pT, wT, t, alpha, beta, bdot, wT[0] * pT[0] + wT[1] * pT[1] + wT[2] * pT[2])
    out = np.zeros((B, 6, 6))
    out[:, :3, :3] = A.transpose(2, 0, 1)
    out[:, 3:, 3:] = A.transpose(2, 0, 1)
    out[:, :3, 3:] = np.einsum("ikb,kjb->bij", C, A)
    return out


class _Kinematics:
    """Kinematics of the active samples: vectorised for serial chains of 1-DOF joints
    (:class:`~kinejac.ik.chain.ChainKinematics`), else a pinocchio pass per sample; the rest vectorised,
    batch-last."""

    def __init__(self, solver, fid: int, T_target: np.ndarray) -> None:
        robot = solver.robot
        self.model, self.data, self.fid, self.nv = robot.model, robot.data, fid, robot.nv
        self.chain = ChainKinematics.build(robot, fid)
        self.RtT = np.ascontiguousarray(np.moveaxis(T_target[:, :3, :3], 0, -1).swapaxes(0, 1))  # R_targetᵀ (3, 3, B)
        self.pt = np.ascontiguousarray(T_target[:, :3, 3].T)  # (3, B)

    def _pose_jacobian(self, Q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
        """Batch-last ``R_world_frame, p_world_frame, J`` and whether ``J`` is world-aligned (else local)."""
        if self.chain is not None:
            return (*self.chain.pose_jacobian_t(Q), True)
        model, data, fid = self.model, self.data, self.fid
        n = len(Q)
        H = np.empty((4, 4, n))
        Jl = np.empty((6, self.nv, n))
        cjj, ufp, gfj, local = pin.computeJointJacobians, pin.updateFramePlacement, pin.getFrameJacobian, _LOCAL
        for k in range(n):
            cjj(model, data, Q[k])
            H[:, :, k] = ufp(model, data, fid).homogeneous
            Jl[:, :, k] = gfj(model, data, fid, local).reshape(6, -1)  # eigenpy gives (6,) if nv = 1
        return H[:3, :3], H[:3, 3], Jl, False

    def evaluate(self, Q: np.ndarray, idx: np.ndarray):
        """``e (b, 6), J (b, 6, nv), position error (b,), rotation error (b,)`` for samples ``idx``."""
        Rw, pw, Jx, world = self._pose_jacobian(Q)
        full = len(idx) == self.pt.shape[1] and bool((idx[1:] > idx[:-1]).all())  # all samples, in order
        RtT = self.RtT if full else self.RtT[:, :, idx]
        pt = self.pt if full else self.pt[:, idx]
        R = np.einsum("ikb,kjb->ijb", RtT, Rw)  # R_target⁻¹ R_world_frame
        p = np.einsum("ikb,kb->ib", RtT, pw - pt)
        e, t, alpha, beta, bdot, wp = _log6_t(R, p)
        A, C = _jlog6_blocks_t(p, e[3:], t, alpha, beta, bdot, wp)
        # J = Jlog6 · J_local with J_local = diag(Rᵀ, Rᵀ) J_world: [[A Rᵀ, C A Rᵀ], [0, A Rᵀ]] J_world
        b = len(idx)
        M = np.empty((3, 6, b))
        M1, M2 = M[:, :3], M[:, 3:]
        if world:
            np.einsum("ikb,jkb->ijb", A, Rw, out=M1)
        else:
            M1[...] = A
        np.einsum("ikb,kjb->ijb", C, M1, out=M2)
        J = np.empty((b, 6, self.nv))
        J[:, :3] = np.einsum("ikb,kcb->bic", M, Jx)
        J[:, 3:] = np.einsum("ikb,kcb->bic", M1, Jx[3:])
        perr = np.sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2])
        w = e[3:]
        rerr = np.sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2])
        return np.ascontiguousarray(e.T), J, perr, rerr


def _spd_solve_t(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``x (n, m)`` with ``A x = b`` for batch-last symmetric positive definite ``A (n, n, m)`` (its lower
    triangle is read), by Cholesky; NaN where ``A`` is not numerically positive definite."""
    n = A.shape[0]
    L = [[None] * n for _ in range(n)]
    inv = [None] * n  # 1 / L_jj
    with np.errstate(invalid="ignore", divide="ignore"):
        for j in range(n):
            d = A[j, j].copy()
            for k in range(j):
                d -= L[j][k] * L[j][k]
            inv[j] = 1.0 / np.sqrt(d)
            for i in range(j + 1, n):
                v = A[i, j].copy()
                for k in range(j):
                    v -= L[i][k] * L[j][k]
                L[i][j] = v * inv[j]
    y = []
    for i in range(n):  # L y = b
        v = b[i].copy()
        for k in range(i):
            v -= L[i][k] * y[k]
        y.append(v * inv[i])
    x = np.empty_like(b)
    for i in reversed(range(n)):  # Lᵀ x = y
        v = y[i]
        for k in range(i + 1, n):
            v -= L[k][i] * x[k]
        x[i] = v * inv[i]
    return x


def _damped_solve(J: np.ndarray, e: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """``x (b, m)`` of ``(J Jᵀ + λ I) x = e`` for ``J (b, m, n)``, ``e (b, m)``, ``λ (b,)``."""
    b, m = e.shape
    if b < _SOA_SOLVE:  # few samples: numpy's stacked LAPACK solve has less overhead
        A = J @ np.swapaxes(J, 1, 2)
        A += lam[:, None, None] * np.eye(m)
        return np.linalg.solve(A, e[:, :, None])[:, :, 0]
    Jt = np.ascontiguousarray(J.transpose(1, 2, 0))
    At = np.einsum("ikb,jkb->ijb", Jt, Jt)
    for i in range(m):
        At[i, i] += lam
    x = _spd_solve_t(At, np.ascontiguousarray(e.T)).T
    bad = np.flatnonzero(~np.isfinite(x).all(axis=1))
    if len(bad):  # not numerically positive definite: LU
        A = np.ascontiguousarray(At[:, :, bad].transpose(2, 0, 1))
        x[bad] = np.linalg.solve(A, e[bad, :, None])[:, :, 0]
    return x


def _project(limits, Q: np.ndarray, D: np.ndarray):
    """Batched :meth:`Limits.step`: ``(Q ⊕ D, taken, clamped (b,))``."""
    if limits.plain:
        Qn = Q + D
    else:
        Qn = np.array([pin.integrate(limits.model, q, d) for q, d in zip(Q, D)])
    if limits._other_any:
        Qn[:, limits.other] = np.clip(Qn[:, limits.other], limits.other_lo, limits.other_hi)
    if not limits.any:
        return Qn, D, np.zeros(len(Q), dtype=bool)
    X = Qn[:, limits.qi]
    Y = np.clip(X, limits.lo, limits.hi)
    corr = Y - X
    if limits.has_wrap:
        w = limits.wrap[None, :] & (corr != 0.0)
        if w.any():
            lo = np.broadcast_to(limits.lo, X.shape)[w]
            hi = np.broadcast_to(limits.hi, X.shape)[w]
            Y[w] = limits._wrap(X[w], lo, hi)
            corr[w] = 0.0
    Qn[:, limits.qi] = Y
    taken = D.copy()
    taken[:, limits.vi] += corr
    return Qn, taken, (corr != 0.0).any(axis=1)


def _blocked(limits, Q: np.ndarray, G: np.ndarray) -> np.ndarray:
    """Batched :meth:`Limits.blocked` as a ``(b, nv)`` boolean mask."""
    out = np.zeros(G.shape, dtype=bool)
    if not limits.any:
        return out
    X, g = Q[:, limits.qi], G[:, limits.vi]
    hit = ((X <= limits._lo_in) & (g > 0)) | ((X >= limits._hi_in) & (g < 0))
    out[:, limits.vi] = hit & limits._hold
    return out


def solve_batch(solver, targets, q0=None, *, seed=None) -> IKBatchResult:
    """Solve ``targets`` ``(B, 4, 4)`` for ``solver.frame`` with the solver's LM settings.

    ``q0``: ``(nq,)`` or ``(B, nq)`` starts (default: middle of the limits); ``seed``: base seed of
    the per-sample restart generators (default: the solver's). The time budget ``timeout`` of a
    single solve does not apply; iterations and restarts are capped as for one solve.
    """
    t_start = time.perf_counter()
    robot, limits = solver.robot, solver.limits
    T = np.asarray(targets, dtype=float)
    if T.ndim != 3 or T.shape[1:] != (4, 4):
        raise ShapeError(f"expected targets of shape (B, 4, 4), got {T.shape}")
    if not np.isfinite(T).all():
        bad = int(np.argwhere(~np.isfinite(T))[0][0])
        raise InvalidValueError(f"targets[{bad}] contains NaN or inf")
    from ..spatial import as_transform

    RtR = np.swapaxes(T[:, :3, :3], 1, 2) @ T[:, :3, :3]
    dev = np.abs(RtR - np.eye(3)).max(axis=(1, 2))
    bad_rows = np.abs(T[:, 3] - (0.0, 0.0, 0.0, 1.0)).max(axis=1) > 1e-6
    bad = np.flatnonzero((dev > 1e-6) | (np.linalg.det(T[:, :3, :3]) < 0) | bad_rows)
    if len(bad):
        as_transform(T[bad[0]], f"targets[{bad[0]}]")  # raises with the precise reason
    T = T.copy()
    fix = np.flatnonzero(dev > 1e-10)  # re-orthonormalise what the validation tolerated (as one solve does)
    if len(fix):
        U, _, Vt = np.linalg.svd(T[fix, :3, :3])
        T[fix, :3, :3] = U @ Vt
    B, nq, nv = T.shape[0], robot.nq, robot.nv
    if q0 is None:
        Q = np.tile(solver._mid, (B, 1))
    else:
        Q0 = robot._check_q(q0, "q0")
        Q = robot.clip(np.broadcast_to(Q0, (B, nq)).copy())
    fid = robot.frame_id(solver.frame)
    kin = _Kinematics(solver, fid, T)
    base_seed = solver.seed if seed is None else seed
    ptol, rtol = solver.position_tolerance, solver.rotation_tolerance
    tau, stall, max_it = solver.lm_tau, solver.stall_iterations, solver.max_iterations
    progress = solver.stall_progress
    max_restarts = solver.max_restarts
    spreads = solver.restart_spreads

    # Rows: row i < B runs the current attempt of sample i; the spare rows B.. run later attempts of
    # the last hard samples ahead of time ("lanes": attempts are independent, each starts from its own
    # draw), which fills the vectorised step when few samples are left. A lane that ends before its
    # sample gets to it waits; the outcomes are taken in attempt order, as one solve does.
    S = _LANES if max_restarts > 0 else 0
    C = B + S
    Q = np.concatenate((Q, np.empty((S, nq))))
    E = np.empty((C, 6))
    J = np.empty((C, 6, nv))
    F = np.empty(C)
    P_err, R_err = np.empty(C), np.empty(C)  # [m], [rad] at Q
    lam, nu = np.empty(C), np.empty(C)
    best_F, best_it, it = np.empty(C), np.zeros(C, dtype=int), np.zeros(C, dtype=int)
    on_bound = np.zeros(C, dtype=bool)
    ready = np.zeros(C, dtype=bool)  # an attempt in progress, evaluated at Q
    pending = np.zeros(C, dtype=bool)  # an attempt to begin at Q (not evaluated yet)
    ended = np.zeros(C, dtype=bool)  # a lane whose attempt ended before its sample got to it
    end_conv, end_stuck = np.zeros(C, dtype=bool), np.zeros(C, dtype=bool)
    owner = np.concatenate((np.arange(B), np.zeros(S, dtype=int)))  # the sample of each row
    free = list(range(C - 1, B - 1, -1))  # spare rows
    lanes: dict[int, dict[int, int]] = {}  # sample -> {attempt: row} of its lanes
    # per-sample state
    total_it, restarts, attempt = np.zeros(B, dtype=int), np.zeros(B, dtype=int), np.zeros(B, dtype=int)
    drawn = np.zeros(B, dtype=int)  # the last attempt whose start has been drawn
    out_q = np.empty((B, nq))
    out_F = np.full(B, np.inf)
    out_p, out_r = np.full(B, np.inf), np.full(B, np.inf)
    out_reason = np.empty(B, dtype=object)
    out_stuck = np.zeros(B, dtype=bool)
    finished = np.zeros(B, dtype=bool)
    rngs: list = [None] * B
    boxes = None
    if limits.fast_sample:  # the sampling boxes of Limits.random, per spread
        for spread in spreads:
            limits.random(robot, np.random.default_rng(0), spread)  # fills its cache
        boxes = [limits._boxes[spread] for spread in spreads]

    def draw(rows: list[int], samples: list[int]) -> None:
        """Draw the next restart configuration of each sample into its row (in order, per sample)."""
        which = []
        for i in samples:
            if rngs[i] is None:
                rngs[i] = np.random.default_rng((base_seed, i) if base_seed is not None else None)
            drawn[i] += 1
            which.append((drawn[i] - 1) % len(spreads))
        if boxes is not None:  # low + (high - low) · U, as Limits.random, for all at once
            U = np.array([rngs[i].random(nq) for i in samples])
            which = np.array(which)
            rows = np.array(rows)
            for k in np.unique(which).tolist():
                sel = which == k
                Q[rows[sel]] = boxes[k][0] + boxes[k][1] * U[sel]
        else:
            for r, i, k in zip(rows, samples, which):
                Q[r] = limits.random(robot, rngs[i], spreads[k])
        pending[rows] = True

    def release(rows) -> None:
        ready[rows] = pending[rows] = ended[rows] = False
        free.extend(rows)

    def start(idx: np.ndarray, e: np.ndarray, Jx: np.ndarray, perr: np.ndarray, rerr: np.ndarray) -> np.ndarray:
        """Begin attempts at Q[idx] from their evaluation; returns the rows already converged there."""
        E[idx], J[idx], P_err[idx], R_err[idx] = e, Jx, perr, rerr
        F[idx] = 0.5 * np.einsum("bi,bi->b", e, e)
        lam[idx] = tau * np.maximum((Jx * Jx).sum(axis=1).max(axis=1), 1e-12)
        nu[idx] = 2.0
        best_F[idx], best_it[idx], it[idx] = F[idx], 0, 0
        on_bound[idx] = _blocked(limits, Q[idx], np.einsum("bij,bi->bj", Jx, e)).any(axis=1)
        ready[idx] = True
        return idx[(perr <= ptol) & (rerr <= rtol)]

    def end(rows: np.ndarray, converged: np.ndarray, stuck: np.ndarray) -> None:
        """The attempts in ``rows`` ended (converged, else by the stall test (``stuck``) or the cap).

        Called once every row's state is up to date (it may move lanes into their samples' rows).
        """
        if not len(rows):
            return
        ready[rows] = False
        lane = rows >= B
        if lane.any():  # ahead of their samples: wait
            r = rows[lane]
            ended[r], end_conv[r], end_stuck[r] = True, converged[lane], stuck[lane]
        if not lane.all():
            record(rows[~lane], converged[~lane], stuck[~lane])

    def record(rows: np.ndarray, converged: np.ndarray, stuck: np.ndarray) -> None:
        """Take the outcome of the current attempt of each row's sample: keep it if best, then finish,
        or go on with the next attempt (a lane already running it, else a fresh draw)."""
        while len(rows):
            idx = owner[rows]
            total_it[idx] += it[rows]
            keep = F[rows] < out_F[idx]  # out_F starts at +inf
            k, rk = idx[keep], rows[keep]
            out_q[k], out_F[k], out_p[k], out_r[k] = Q[rk], F[rk], P_err[rk], R_err[rk]
            out_stuck[k] = stuck[keep]
            reasons = np.full(len(rows), IKReason.MAX_ITERATIONS, dtype=object)
            reasons[stuck] = IKReason.STALLED
            reasons[converged] = IKReason.CONVERGED
            out_reason[k] = reasons[keep]
            stop = converged | (attempt[idx] >= max_restarts)
            finished[idx[stop]] = True
            done_lanes = rows[rows >= B].tolist()
            for i in idx[stop].tolist():
                done_lanes.extend(lanes.pop(i, {}).values())
            if done_lanes:
                release(done_lanes)
            again = idx[~stop]
            attempt[again] += 1
            restarts[again] += 1
            fresh, waiting = [], []
            for i in again.tolist():
                r = lanes[i].pop(attempt[i], None) if i in lanes else None
                if r is None:
                    fresh.append(i)
                elif ended[r]:
                    waiting.append(r)
                else:  # a lane is running (or about to begin) this attempt: continue it in the sample's row
                    Q[i], E[i], J[i], F[i], P_err[i], R_err[i] = Q[r], E[r], J[r], F[r], P_err[r], R_err[r]
                    lam[i], nu[i], best_F[i], best_it[i], it[i] = lam[r], nu[r], best_F[r], best_it[r], it[r]
                    on_bound[i], ready[i], pending[i] = on_bound[r], ready[r], pending[r]
                    release([r])
            if fresh:
                ready[fresh] = False
                draw(fresh, fresh)
            rows = np.array(waiting, dtype=int)
            converged, stuck = end_conv[rows], end_stuck[rows]

    def spawn() -> None:
        """Run later attempts of the remaining samples ahead of time, in the spare rows."""
        left = np.flatnonzero(~finished).tolist()
        per = max(1, min(_LANES_PER_SAMPLE, S // len(left)))  # lanes per sample, the spare rows shared
        rows, samples = [], []
        for i in left:
            if not free:
                break
            mine = lanes.setdefault(i, {})
            for k in range(drawn[i] + 1, drawn[i] + 1 + min(per - len(mine), max_restarts - drawn[i], len(free))):
                r = free.pop()
                owner[r] = i
                mine[k] = r  # draw() below takes the draws in this order
                rows.append(r)
                samples.append(i)
        if rows:
            ended[rows] = False
            draw(rows, samples)

    all_idx = np.arange(B)
    conv = start(all_idx, *kin.evaluate(Q[:B], all_idx))
    end(conv, np.ones(len(conv), dtype=bool), np.zeros(len(conv), dtype=bool))
    while not finished.all():
        if S and free and np.count_nonzero(ready) + np.count_nonzero(pending) < _SPECULATE_BELOW:
            spawn()
        a = np.flatnonzero(ready)
        s = np.flatnonzero(pending)
        pending[s] = False
        if not len(a):  # only new attempts to evaluate
            conv = start(s, *kin.evaluate(Q[s], owner[s]))
            end(conv, np.ones(len(conv), dtype=bool), np.zeros(len(conv), dtype=bool))
            continue
        it[a] += 1
        Ja, Ea, Qa, la = J[a], E[a], Q[a], lam[a]
        Jf = Ja
        blk = None
        if on_bound[a].any():
            blk = _blocked(limits, Qa, np.einsum("bij,bi->bj", Ja, Ea))
            blk[~on_bound[a]] = False
            if blk.any():
                Jf = Ja * ~blk[:, None, :]
        x = _damped_solve(Jf, Ea, la)
        dneg = -np.einsum("bij,bi->bj", Jf, x)
        Qn, taken, clamped = _project(limits, Qa, dneg)
        if len(s):  # the new attempts' first evaluation rides along
            na = len(a)
            En, Jn, pn, rn = kin.evaluate(np.concatenate((Qn, Q[s])), owner[np.concatenate((a, s))])
            conv0 = start(s, En[na:], Jn[na:], pn[na:], rn[na:])
            En, Jn, pn, rn = En[:na], Jn[:na], pn[:na], rn[:na]
        else:
            En, Jn, pn, rn = kin.evaluate(Qn, owner[a])
            conv0 = s
        Fn = 0.5 * np.einsum("bi,bi->b", En, En)
        Fa = F[a]
        acc = Fn < Fa
        pred = Fa - 0.5 * la * la * np.einsum("bi,bi->b", x, x)
        if clamped.any():
            c = clamped
            Jd = np.einsum("bij,bj->bi", Ja[c], taken[c])
            pred[c] = -np.einsum("bi,bi->b", Ea[c], Jd) - 0.5 * np.einsum("bi,bi->b", Jd, Jd)
        with np.errstate(divide="ignore", invalid="ignore"):
            rho = np.where(pred > 0, (Fa - Fn) / np.where(pred > 0, pred, 1.0), 1.0)
        new_lam = np.where(acc, la * np.maximum(1.0 / 3.0, 1.0 - (2.0 * rho - 1.0) ** 3), la * nu[a])
        nu[a] = np.where(acc, 2.0, nu[a] * 2.0)
        lam[a] = new_lam
        ia = a[acc]
        Q[ia], E[ia], J[ia], F[ia], P_err[ia], R_err[ia] = Qn[acc], En[acc], Jn[acc], Fn[acc], pn[acc], rn[acc]
        blocked_any = blk.any(axis=1) if blk is not None else np.zeros(len(a), dtype=bool)
        on_bound[ia] = (clamped | blocked_any)[acc]
        done = acc & (pn <= ptol) & (rn <= rtol)
        improved = acc & ~done & (Fn < progress * best_F[a])
        best_F[a[improved]] = Fn[improved]
        best_it[a[improved]] = it[a[improved]]
        live = ~done
        stuck = live & ((it[a] - best_it[a] >= stall) | (lam[a] > 1e12))
        capped = live & ~stuck & (it[a] >= max_it)
        over = done | stuck | capped
        rows = a[over]
        conv = done[over] | ((P_err[rows] <= ptol) & (R_err[rows] <= rtol))
        n0 = len(conv0)
        end(
            np.concatenate((conv0, rows)),
            np.concatenate((np.ones(n0, dtype=bool), conv)),
            np.concatenate((np.zeros(n0, dtype=bool), stuck[over] & ~conv)),
        )
    for i in np.flatnonzero(out_stuck):  # the precise reason, only for returned attempts that stalled
        e_i, J_i, _, _ = kin.evaluate(out_q[i : i + 1], np.array([i]))
        out_reason[i] = solver._why_stuck(out_q[i], e_i[0], J_i[0])
    reason = np.array([r if isinstance(r, IKReason) else IKReason(r) for r in out_reason], dtype=object)
    success = np.array([r is IKReason.CONVERGED for r in reason])
    out_q.flags.writeable = False
    return IKBatchResult(
        q=out_q,
        success=success,
        position_error=out_p,
        rotation_error=out_r,
        iterations=total_it,
        restarts=restarts,
        reason=reason,
        time=time.perf_counter() - t_start,
    )
