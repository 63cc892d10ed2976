"""Batched IK: many single-frame pose targets in one call, linear algebra vectorised across the batch.

The algorithm is the Levenberg-Marquardt of :mod:`kinejac.ik.solvers` step for step (same damping
schedule, limit handling, stall test and restarts), run on a leading batch axis: the kinematics
(:mod:`kinejac.ik.chain` for serial chains of 1-DOF joints, else a pinocchio pass per sample), the
SE(3) log map, its Jacobian ``Jlog6``, the damped normal equations and the limit projection are
numpy operations over the active samples. Converged samples are frozen; the last few hard samples
are handed to the scalar solver, which continues each exactly where it stands. Sample ``i``
restarts from ``np.random.default_rng((seed, i))``, so ``solver.solve(targets[i], seed=(seed, i))``
gives the same answer (to rounding).
"""

from __future__ import annotations

import time

import numpy as np
import pinocchio as pin

from ..errors import InvalidValueError, ShapeError
from .chain import ChainKinematics
from .result import IKBatchResult, IKReason, _Attempt

__all__ = ["jlog6_batch", "log6_batch", "solve_batch"]

_LOCAL = pin.ReferenceFrame.LOCAL
_NEAR_PI = 3.0  # [rad] beyond this rotation angle, defer to pinocchio's log (the axis formula degrades)
_SMALL = 1e-3  # [rad] below this angle, Taylor expansions of the log coefficients


def _skew(v: np.ndarray) -> np.ndarray:
    """``(B, 3) -> (B, 3, 3)`` cross-product matrices."""
    S = np.zeros((*v.shape[:-1], 3, 3))
    S[..., 0, 1], S[..., 0, 2] = -v[..., 2], v[..., 1]
    S[..., 1, 0], S[..., 1, 2] = v[..., 2], -v[..., 0]
    S[..., 2, 0], S[..., 2, 1] = -v[..., 1], v[..., 0]
    return S


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


def _log3_batch(R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(B, 3, 3) -> ω (B, 3), θ (B,)``; accurate for θ < _NEAR_PI (callers handle the rest)."""
    a = np.stack((R[:, 2, 1] - R[:, 1, 2], R[:, 0, 2] - R[:, 2, 0], R[:, 1, 0] - R[:, 0, 1]), axis=-1)
    s2 = np.sqrt(np.einsum("bi,bi->b", a, a))  # 2 sin θ
    c2 = R[:, 0, 0] + R[:, 1, 1] + R[:, 2, 2] - 1.0  # 2 cos θ
    t = np.arctan2(s2, c2)
    scale = np.where(s2 > 1e-300, t / np.where(s2 > 1e-300, s2, 1.0), 0.5)
    return a * scale[:, None], t


def log6_batch(R: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SE(3) log of ``(R, p)`` ``(B, 3, 3), (B, 3)``: ``(B, 6)`` [linear; angular] and θ ``(B,)``."""
    w, t = _log3_batch(R)
    alpha, beta, _ = _coefficients(t)
    wp = np.einsum("bi,bi->b", w, p)
    v = alpha[:, None] * p - 0.5 * np.cross(w, p) + (beta * wp)[:, None] * w
    out = np.concatenate((v, w), axis=1)
    far = t > _NEAR_PI
    for k in np.flatnonzero(far):
        out[k] = pin.log6(pin.SE3(R[k], p[k])).vector
    return out, t


def jlog6_batch(R: np.ndarray, p: np.ndarray, w: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``Jlog6`` ``(B, 6, 6)`` of ``(R, p)`` given ``ω = log3(R)`` and θ (pinocchio's closed form)."""
    B = R.shape[0]
    alpha, beta, bdot = _coefficients(t)
    I3 = np.eye(3)
    A = alpha[:, None, None] * I3 + 0.5 * _skew(w) + beta[:, None, None] * (w[:, :, None] * w[:, None, :])
    wp = np.einsum("bi,bi->b", w, p)
    v3 = (bdot * wp)[:, None] * w - (t * t * bdot + 2.0 * beta)[:, None] * p
    C = v3[:, :, None] * w[:, None, :] + beta[:, None, None] * (w[:, :, None] * p[:, None, :])
    C += (wp * beta)[:, None, None] * I3 + 0.5 * _skew(p)
    out = np.zeros((B, 6, 6))
    out[:, :3, :3] = A
    out[:, 3:, 3:] = A
    out[:, :3, 3:] = C @ A
    for k in np.flatnonzero(t > _NEAR_PI):
        out[k] = pin.Jlog6(pin.SE3(R[k], p[k]))
    return out


class _Kinematics:
    """Kinematics of the active samples: vectorised for serial chains of 1-DOF joints
    (:class:`~kinejac.ik.chain.ChainKinematics`), else a pinocchio pass per sample; the rest vectorised."""

    def __init__(self, solver, fid: int, T_target: np.ndarray) -> None:
        robot = solver.robot
        self.model, self.data, self.fid, self.nv = robot.model, robot.data, fid, robot.nv
        self.chain = ChainKinematics.build(robot, fid)
        Rt = T_target[:, :3, :3]
        self.RtT = np.ascontiguousarray(np.swapaxes(Rt, 1, 2))  # R_target⁻¹
        self.pt = T_target[:, :3, 3].copy()

    def _pose_jacobian(self, Q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.chain is not None:
            return self.chain.pose_jacobian(Q)
        model, data, fid = self.model, self.data, self.fid
        n = len(Q)
        H = np.empty((n, 4, 4))
        Jl = np.empty((n, 6, self.nv))
        cjj, ufp, gfj, local = pin.computeJointJacobians, pin.updateFramePlacement, pin.getFrameJacobian, _LOCAL
        for k in range(n):
            cjj(model, data, Q[k])
            H[k] = ufp(model, data, fid).homogeneous
            Jl[k] = gfj(model, data, fid, local).reshape(6, -1)  # eigenpy gives (6,) if nv = 1
        return H[:, :3, :3], H[:, :3, 3], Jl

    def evaluate(self, Q: np.ndarray, idx: np.ndarray):
        """``e (b, 6), J (b, 6, nv), position error (b,), rotation error (b,)`` for samples ``idx``."""
        Rw, pw, Jl = self._pose_jacobian(Q)
        RtT = self.RtT[idx]
        R = RtT @ Rw
        p = np.einsum("bij,bj->bi", RtT, pw - self.pt[idx])
        e, t = log6_batch(R, p)
        J = jlog6_batch(R, p, e[:, 3:], t) @ Jl
        perr = np.sqrt(np.einsum("bi,bi->b", p, p))
        rerr = np.sqrt(np.einsum("bi,bi->b", e[:, 3:], e[:, 3:]))
        return e, J, perr, rerr


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
    U, _, Vt = np.linalg.svd(T[:, :3, :3])
    T = T.copy()
    T[:, :3, :3] = U @ Vt
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

    # per-sample state
    E = np.empty((B, 6))
    J = np.empty((B, 6, nv))
    F = np.empty(B)
    lam, nu = np.empty(B), np.empty(B)
    best_F, best_it, it = np.empty(B), np.zeros(B, dtype=int), np.zeros(B, dtype=int)
    on_bound = np.zeros(B, dtype=bool)
    total_it, restarts, attempt = np.zeros(B, dtype=int), np.zeros(B, dtype=int), np.zeros(B, dtype=int)
    out_q = np.empty((B, nq))
    out_F = np.full(B, np.inf)
    out_p, out_r = np.full(B, np.inf), np.full(B, np.inf)
    out_reason = np.empty(B, dtype=object)
    out_stuck = np.zeros(B, dtype=bool)
    finished = np.zeros(B, dtype=bool)
    rngs: list = [None] * B

    def start(idx: np.ndarray) -> np.ndarray:
        """Evaluate fresh attempts at Q[idx]; returns the samples already converged there."""
        e, Jx, perr, rerr = kin.evaluate(Q[idx], idx)
        E[idx], J[idx] = e, Jx
        F[idx] = 0.5 * np.einsum("bi,bi->b", e, e)
        lam[idx] = tau * np.maximum((Jx * Jx).sum(axis=1).max(axis=1), 1e-12)
        nu[idx] = 2.0
        best_F[idx], best_it[idx], it[idx] = F[idx], 0, 0
        on_bound[idx] = _blocked(limits, Q[idx], np.einsum("bij,bi->bj", Jx, e)).any(axis=1)
        done = (perr <= ptol) & (rerr <= rtol)
        return idx[done], perr, rerr

    def record(idx: np.ndarray, converged: np.ndarray, perr: np.ndarray, rerr: np.ndarray, stuck=None) -> None:
        """End the current attempt of samples ``idx``: keep it if best, then finish or restart.

        ``converged`` (bool per sample); the others ended by the stall test (``stuck``) or the cap.
        """
        total_it[idx] += it[idx]
        keep = F[idx] < out_F[idx]  # out_F starts at +inf
        k = idx[keep]
        out_q[k], out_F[k], out_p[k], out_r[k] = Q[k], F[k], perr[keep], rerr[keep]
        st = np.zeros(len(idx), dtype=bool) if stuck is None else stuck
        out_stuck[k] = st[keep]
        reasons = np.full(len(idx), IKReason.MAX_ITERATIONS, dtype=object)
        reasons[st] = IKReason.STALLED
        reasons[converged] = IKReason.CONVERGED
        out_reason[k] = reasons[keep]
        stop = converged | (attempt[idx] >= max_restarts)
        finished[idx[stop]] = True
        again = idx[~stop]
        if not len(again):
            return
        attempt[again] += 1
        restarts[again] += 1
        for i in again:
            if rngs[i] is None:
                rngs[i] = np.random.default_rng((base_seed, int(i)) if base_seed is not None else None)
            Q[i] = limits.random(robot, rngs[i], spreads[(attempt[i] - 1) % len(spreads)])
        conv, perr2, rerr2 = start(again)
        if len(conv):
            pos = np.searchsorted(again, conv)
            record(conv, np.ones(len(conv), dtype=bool), perr2[pos], rerr2[pos])

    all_idx = np.arange(B)
    conv, perr0, rerr0 = start(all_idx)
    if len(conv):
        record(conv, np.ones(len(conv), dtype=bool), perr0[conv], rerr0[conv])
    eye6 = np.eye(6)
    tail = max(1, min(32, B // 64))  # below this many active samples the scalar loop is cheaper
    while True:
        a = np.flatnonzero(~finished)
        if not len(a):
            break
        it[a] += 1
        Ja, Ea, Qa, la = J[a], E[a], Q[a], lam[a]
        Jf = Ja
        blk = None
        if on_bound[a].any():
            blk = _blocked(limits, Qa, np.einsum("bij,bi->bj", Ja, Ea))
            blk[~on_bound[a]] = False
            if blk.any():
                Jf = Ja * ~blk[:, None, :]
        A = Jf @ np.swapaxes(Jf, 1, 2) + la[:, None, None] * eye6
        x = np.linalg.solve(A, Ea[:, :, None])[:, :, 0]
        dneg = -np.einsum("bij,bi->bj", Jf, x)
        Qn, taken, clamped = _project(limits, Qa, dneg)
        En, Jn, pn, rn = kin.evaluate(Qn, a)
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
        Q[ia], E[ia], J[ia], F[ia] = Qn[acc], En[acc], Jn[acc], Fn[acc]
        blocked_any = blk.any(axis=1) if blk is not None else np.zeros(len(a), dtype=bool)
        on_bound[ia] = (clamped | blocked_any)[acc]
        done = acc & (pn <= ptol) & (rn <= rtol)
        if done.any():
            record(a[done], np.ones(int(done.sum()), dtype=bool), pn[done], rn[done])
        improved = acc & ~done & (Fn < progress * best_F[a])
        best_F[a[improved]] = Fn[improved]
        best_it[a[improved]] = it[a[improved]]
        live = ~done
        stuck = live & ((it[a] - best_it[a] >= stall) | (lam[a] > 1e12))
        capped = live & ~stuck & (it[a] >= max_it)
        ended = stuck | capped
        if ended.any():
            idx = a[ended]
            _, _, pe_arr, re_arr = kin.evaluate(Q[idx], idx)
            conv_end = (pe_arr <= ptol) & (re_arr <= rtol)
            record(idx, conv_end, pe_arr, re_arr, stuck[ended] & ~conv_end)
        left = np.flatnonzero(~finished)
        if 0 < len(left) <= tail:
            # a handful of hard samples left: continue each exactly where it is, with the scalar solver
            for i in left:
                res = solver._prepare(T[i], None, None, None, None)
                best = None
                if out_reason[i] is not None:
                    best = _Attempt(out_q[i].copy(), out_F[i], out_p[i], out_r[i], 0, out_reason[i], None, out_stuck[i])
                resume = (
                    E[i].copy(),
                    J[i].copy(),
                    F[i],
                    lam[i],
                    nu[i],
                    best_F[i],
                    int(best_it[i]),
                    int(it[i]),
                    bool(on_bound[i]),
                )
                r = solver._search(
                    res,
                    Q[i].copy(),
                    time.perf_counter(),
                    (base_seed, int(i)) if base_seed is not None else None,
                    attempt=int(attempt[i]),
                    iterations=int(total_it[i]),
                    restarts=int(restarts[i]),
                    best=best,
                    rng=rngs[i],
                    resume=resume,
                    timeout=False,
                )
                out_q[i], out_p[i], out_r[i], out_reason[i] = r.q, r.position_error, r.rotation_error, r.reason
                total_it[i], restarts[i], out_stuck[i] = r.iterations, r.restarts, False
                finished[i] = True
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
