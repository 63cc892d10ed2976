"""The compiled IK attempts: Levenberg-Marquardt, Gauss-Newton and damped least squares with joint
limits and stall detection, from one start (:mod:`kinejac.core.search` restarts them).

The update rules, stall test and restart schedule are documented in :mod:`kinejac.ik.solvers`. A
problem travels as ``prob = (ti, tw, T, path, sph)``: the task arrays and targets of
:mod:`kinejac.core.residual`, the joints to place, and the sphere model of
:mod:`kinejac.core.spheres` (empty arrays: no collision avoidance). Options travel in one float
array (``O_*`` indices); the work arrays ``ws`` are those of :func:`kinejac.core.search.workspace`.
"""

from __future__ import annotations

import math

import numpy as np

from .clock import monotonic
from .configuration import blocked, integrate, project
from .jit import allocating, compiled, inlined
from .linalg import assign, damped_step, without_columns
from .residual import evaluate
from .spheres import penalty

__all__ = ["attempt", "converged", "gradient", "measure", "record_iterate"]

# methods
LM, GN, DLS = 0, 1, 2
# reasons (kinejac.ik.IKReason, in this order), and a target that needs the slow validation path
CONVERGED, MAX_ITERATIONS, TIMEOUT, STALLED, SINGULAR, LIMITS = range(6)
INVALID_TARGET = -1
# the options array
(
    O_METHOD,
    O_PTOL,
    O_RTOL,
    O_MAX_IT,
    O_RESTARTS,
    O_STALL,
    O_PROGRESS,
    O_TAU,
    O_DLS_EPS,
    O_DLS_LAM2,
    O_MAX_STEP,
    O_DLS_ERR,
    O_TIMEOUT,
    O_HISTORY,
    O_SPREAD0,
    O_SPREAD1,
    O_POLISH,
    O_COLLIDE,
    O_D0,
    O_CLEARANCE,
) = range(20)
N_OPTIONS = 20
_LM_MAX_DAMPING = 1e12
_ARMIJO = 1e-4
_LINE_SEARCH_STEPS = 12


@inlined
def _cost(e, m) -> float:
    s = 0.0
    for i in range(m):
        s += e[i] * e[i]
    return 0.5 * s


@inlined
def gradient(J, e, m, g) -> None:
    """``g = Jᵀ e`` (the gradient of ½‖e‖²)."""
    for c in range(J.shape[1]):
        s = 0.0
        for r in range(m):
            s += J[r, c] * e[r]
        g[c] = s


@compiled
def measure(tree, prob, q, ews, ws, slot, opts) -> tuple[float, float, float, float]:
    """Error and Jacobian into slot ``slot`` of the work arrays, and with collision avoidance the
    penalty terms; returns ``(cost F, position error, rotation error, smallest sphere distance)``.
    (The loops call :func:`_measure_into` with the arrays at hand: passing the work tuples costs.)"""
    return _measure_into(tree, prob, q, ews, ws[1][slot], ws[2][slot], ws[13], slot, opts)


@inlined
def _measure_into(tree, prob, q, ews, e, J, cws, slot, opts) -> tuple[float, float, float, float]:
    ti, tw, T, path, sph = prob
    perr, rerr = evaluate(tree, ti, tw, T, q, path, ews, e, J)
    F = _cost(e, e.shape[0])
    if opts[O_COLLIDE] <= 0.0:
        return F, perr, rerr, math.inf
    C, Jp, g, n, H2, b2 = cws
    h, dmin = penalty(tree, sph, opts[O_D0], ews[0], ews[1], C, Jp, g, n, H2[slot], b2[slot])
    return F + h, perr, rerr, dmin


@inlined
def converged(perr, rerr, dmin, opts) -> bool:
    return perr <= opts[O_PTOL] and rerr <= opts[O_RTOL] and dmin >= opts[O_CLEARANCE]


@inlined
def _full_gradient(J, e, m, ws, slot, opts, g) -> None:
    """``g = Jᵀe`` plus the collision terms' ``b`` (the gradient of the whole cost)."""
    gradient(J, e, m, g)
    if opts[O_COLLIDE] > 0.0:
        b = ws[13][5][slot]
        for c in range(g.shape[0]):
            g[c] += b[c]


@inlined
def _drop_held(ws, slot, mask, any_) -> None:
    """Remove the joints held on a limit from the collision terms (as from ``J``)."""
    if not any_:
        return
    H, b = ws[13][4][slot], ws[13][5][slot]
    for c in range(mask.shape[0]):
        if mask[c]:
            b[c] = 0.0
            H[c, :] = 0.0
            H[:, c] = 0.0


@inlined
def _accept(q2, e2, J2, H2, b2, collide) -> None:
    """The trial (slot 1) becomes the current state (slot 0)."""
    assign(q2[0], q2[1])
    assign(e2[0], e2[1])
    assign(J2[0], J2[1])
    if collide:
        assign(H2[0], H2[1])
        assign(b2[0], b2[1])


@inlined
def record_iterate(ws, slot, q) -> None:
    hist, hist_n = ws[10], ws[11]
    n = hist_n[slot]
    if n < hist.shape[1]:
        assign(hist[slot, n], q)
        hist_n[slot] = n + 1


@inlined
def _step(tree, q, delta, out, taken, R3, v3) -> bool:
    """``out = q ⊕ delta`` projected into the limits, ``taken`` the tangent step actually taken;
    returns whether a joint was clamped onto a limit (``R3``, ``v3``: scratch)."""
    assign(taken, delta)
    integrate(tree, q, delta, out, R3, v3)
    return project(tree, out, taken)


@inlined
def _predicted(J, e, m, taken, ws, opts) -> float:
    """The decrease of the cost that the Gauss-Newton model predicts for the step ``taken``."""
    ed = dd = 0.0
    for r in range(m):
        s = 0.0
        for c in range(J.shape[1]):
            s += J[r, c] * taken[c]
        ed += e[r] * s
        dd += s * s
    pred = -ed - 0.5 * dd
    if opts[O_COLLIDE] > 0.0:
        H, b = ws[13][4][0], ws[13][5][0]
        for i in range(taken.shape[0]):
            pred -= b[i] * taken[i]
            for j in range(taken.shape[0]):
                pred -= 0.5 * taken[i] * H[i, j] * taken[j]
    return pred


@compiled
def _lm(tree, prob, ews, ws, opts, m, deadline, record):
    """One Levenberg-Marquardt attempt from ``ws[0][0]``; ends with its last iterate there, its error
    and Jacobian in ``ws[1][0]``, ``ws[2][0]``. Returns ``(F, perr, rerr, iterations, reason, stuck)``."""
    q2, e2, J2, vecs, mask, A, bx = ws[0], ws[1], ws[2], ws[3], ws[4], ws[5], ws[6]
    delta, taken, g = vecs[0], vecs[1], vecs[2]
    q, e, J, qn = q2[0], e2[0], J2[0], q2[1]
    nv = J.shape[1]
    collide = opts[O_COLLIDE] > 0.0
    cws = ws[13]
    H2, b2 = cws[4], cws[5]
    H0, b0 = H2[0], b2[0]
    en, Jn = e2[1], J2[1]
    Jscratch, R3, v3, x_solve, b_solve = ws[12], ws[7], ws[8], bx[1], bx[0]
    F, perr, rerr, dmin = _measure_into(tree, prob, q, ews, e, J, cws, 0, opts)
    if converged(perr, rerr, dmin, opts):
        return F, perr, rerr, 0, CONVERGED, False
    diag = 1e-12
    for c in range(nv):
        s = H0[c, c] if collide else 0.0
        for r in range(m):
            s += J[r, c] * J[r, c]
        diag = max(diag, s)
    lam = opts[O_TAU] * diag
    nu = 2.0
    best_F, best_it = F, 0
    _full_gradient(J, e, m, ws, 0, opts, g)
    on_bound = blocked(tree, q, g, mask)
    small = m <= nv and not collide
    stall, progress = int(opts[O_STALL]), opts[O_PROGRESS]
    for it in range(1, int(opts[O_MAX_IT]) + 1):
        any_blocked = False
        if on_bound:
            _full_gradient(J, e, m, ws, 0, opts, g)
            any_blocked = blocked(tree, q, g, mask)
            if collide:
                _drop_held(ws, 0, mask, any_blocked)
        Jm = without_columns(J, m, mask, any_blocked, Jscratch)
        damped_step(Jm, e, m, lam, A, b_solve, x_solve, delta, H0, b0, collide)
        clamped = _step(tree, q, delta, qn, taken, R3, v3)
        Fn, pn, rn, dn = _measure_into(tree, prob, qn, ews, en, Jn, cws, 1, opts)
        if Fn < F:
            if small and not clamped:  # J δ = λx - e for δ = -Jᵀx: predicted decrease ½(‖e‖² - λ²‖x‖²)
                xx = 0.0
                for i in range(m):
                    xx += x_solve[i] * x_solve[i]
                pred = F - 0.5 * lam * lam * xx
            else:
                pred = _predicted(J, e, m, taken, ws, opts)
            rho = (F - Fn) / pred if pred > 0.0 else 1.0
            lam *= max(1.0 / 3.0, 1.0 - (2.0 * rho - 1.0) ** 3)
            nu = 2.0
            _accept(q2, e2, J2, H2, b2, collide)
            F, perr, rerr, dmin = Fn, pn, rn, dn
            on_bound = clamped or any_blocked
            if record:
                record_iterate(ws, 0, q)
            if converged(perr, rerr, dmin, opts):
                return F, perr, rerr, it, CONVERGED, False
            if F < progress * best_F:
                best_F, best_it = F, it
        else:
            lam *= nu
            nu *= 2.0
        if it - best_it >= stall or lam > _LM_MAX_DAMPING:
            return F, perr, rerr, it, STALLED, True
        if deadline < math.inf and monotonic() > deadline:
            return F, perr, rerr, it, TIMEOUT, False
    return F, perr, rerr, int(opts[O_MAX_IT]), MAX_ITERATIONS, False


@compiled
def _gn(tree, prob, ews, ws, opts, m, deadline, record):
    """One Gauss-Newton attempt with an Armijo line search (see :func:`_lm` for the contract)."""
    q2, e2, J2, vecs, mask, A, bx = ws[0], ws[1], ws[2], ws[3], ws[4], ws[5], ws[6]
    delta, taken, g, trial = vecs[0], vecs[1], vecs[2], vecs[3]
    q, e, J, qn = q2[0], e2[0], J2[0], q2[1]
    nv = J.shape[1]
    collide = opts[O_COLLIDE] > 0.0
    cws = ws[13]
    H2, b2 = cws[4], cws[5]
    H0, b0 = H2[0], b2[0]
    en, Jn = e2[1], J2[1]
    R3, v3 = ws[7], ws[8]
    F, perr, rerr, dmin = _measure_into(tree, prob, q, ews, e, J, cws, 0, opts)
    if converged(perr, rerr, dmin, opts):
        return F, perr, rerr, 0, CONVERGED, False
    best_F, best_it = F, 0
    stall, progress = int(opts[O_STALL]), opts[O_PROGRESS]
    for it in range(1, int(opts[O_MAX_IT]) + 1):
        _full_gradient(J, e, m, ws, 0, opts, g)
        any_blocked = blocked(tree, q, g, mask)
        if collide:
            _drop_held(ws, 0, mask, any_blocked)
        Jf = without_columns(J, m, mask, any_blocked, ws[12])
        tr = 0.0
        for c in range(nv):
            for r in range(m):
                tr += Jf[r, c] * Jf[r, c]
        # a tiny damping keeps a rank-deficient JᵀJ solvable
        damped_step(Jf, e, m, 1e-12 * (1.0 + tr), A, bx[0], bx[1], delta, H0, b0, collide)
        alpha, accepted = 1.0, False
        Fn = pn = rn = dn = 0.0
        for _ in range(_LINE_SEARCH_STEPS):
            for c in range(nv):
                trial[c] = alpha * delta[c]
            _step(tree, q, trial, qn, taken, R3, v3)
            Fn, pn, rn, dn = _measure_into(tree, prob, qn, ews, en, Jn, cws, 1, opts)
            slope = 0.0
            for c in range(nv):
                slope += g[c] * taken[c]
            if Fn < F and Fn <= F + _ARMIJO * slope:
                accepted = True
                break
            alpha *= 0.5
        if not accepted:
            return F, perr, rerr, it, STALLED, True
        _accept(q2, e2, J2, H2, b2, collide)
        F, perr, rerr, dmin = Fn, pn, rn, dn
        if record:
            record_iterate(ws, 0, q)
        if converged(perr, rerr, dmin, opts):
            return F, perr, rerr, it, CONVERGED, False
        if F < progress * best_F:
            best_F, best_it = F, it
        if it - best_it >= stall:
            return F, perr, rerr, it, STALLED, True
        if deadline < math.inf and monotonic() > deadline:
            return F, perr, rerr, it, TIMEOUT, False
    return F, perr, rerr, int(opts[O_MAX_IT]), MAX_ITERATIONS, False


@allocating
def _dls(tree, prob, ews, ws, opts, m, deadline, record):
    """One damped-least-squares attempt: every step taken (capped at ``max_step``), damping from the
    smallest singular value; ends at the best iterate seen (see :func:`_lm` for the contract).
    Without collision avoidance (its steps follow the error alone)."""
    q2, e2, J2, vecs, mask, A, bx = ws[0], ws[1], ws[2], ws[3], ws[4], ws[5], ws[6]
    delta, taken, g = vecs[0], vecs[1], vecs[2]
    q, e, J, qb = q2[0], e2[0], J2[0], q2[2]
    H0, b0 = ws[13][4][0], ws[13][5][0]
    nv = J.shape[1]
    eps, lam_max2, max_step, err_scale = opts[O_DLS_EPS], opts[O_DLS_LAM2], opts[O_MAX_STEP], opts[O_DLS_ERR]
    F, perr, rerr, dmin = measure(tree, prob, q, ews, ws, 0, opts)
    if converged(perr, rerr, dmin, opts):
        return F, perr, rerr, 0, CONVERGED, False
    best_F, best_it = F, 0  # the stall test (1 % progress)
    qb[:] = q  # the true minimum seen
    best_q_F = F
    stall, progress = int(opts[O_STALL]), opts[O_PROGRESS]
    reason, stuck, it = MAX_ITERATIONS, False, 0
    for it in range(1, int(opts[O_MAX_IT]) + 1):
        gradient(J, e, m, g)
        blocked(tree, q, g, mask)
        Jf = without_columns(J, m, mask, True, ws[12])
        s_min = 0.0
        if min(m, nv) > 0:
            s = np.linalg.svd(Jf)[1]
            s_min = s[min(m, nv) - 1]
        lam2 = 0.0 if s_min >= eps else (1.0 - (s_min / eps) ** 2) * lam_max2
        lam2 *= min(1.0, math.sqrt(2.0 * F) / err_scale)  # fades out as the error vanishes
        damped_step(Jf, e, m, lam2 + 1e-12, A, bx[0], bx[1], delta, H0, b0, False)
        big = 0.0
        for c in range(nv):
            big = max(big, abs(delta[c]))
        if big > max_step:
            for c in range(nv):
                delta[c] *= max_step / big
        _step(tree, q, delta, q2[1], taken, ws[7], ws[8])
        q[:] = q2[1]
        F, perr, rerr, dmin = measure(tree, prob, q, ews, ws, 0, opts)
        if record:
            record_iterate(ws, 0, q)
        if converged(perr, rerr, dmin, opts):
            return F, perr, rerr, it, CONVERGED, False
        if F < progress * best_F:
            best_F, best_it = F, it
        if F < best_q_F:
            qb[:] = q
            best_q_F = F
        if it - best_it >= stall:
            reason, stuck = STALLED, True
            break
        if deadline < math.inf and monotonic() > deadline:
            reason = TIMEOUT
            break
    q[:] = qb
    F, perr, rerr, dmin = measure(tree, prob, q, ews, ws, 0, opts)
    return F, perr, rerr, it, reason, stuck


@inlined
def attempt(method, tree, prob, ews, ws, opts, m, deadline, record):
    if method == LM:
        return _lm(tree, prob, ews, ws, opts, m, deadline, record)
    if method == GN:
        return _gn(tree, prob, ews, ws, opts, m, deadline, record)
    return _dls(tree, prob, ews, ws, opts, m, deadline, record)
