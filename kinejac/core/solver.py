"""The compiled IK loop: Levenberg-Marquardt, Gauss-Newton and damped least squares with joint
limits, random restarts and stall detection, for one problem or a range of a batch.

One implementation serves a single solve (a batch of one, called directly) and a batch (ranges of
problems on a thread pool, :mod:`kinejac.core`). The update rules, stall test and restart schedule
are documented in :mod:`kinejac.ik.solvers`. A problem travels as ``prob = (ti, tw, T, path, sph)``:
the task arrays and targets of :mod:`kinejac.core.residual`, the joints to place, and the sphere
model of :mod:`kinejac.core.spheres` (empty arrays: no collision avoidance). Options travel in one
float array (``O_*`` indices), results in ``out_q (B, nq)``, ``out_f (B, 4)`` ``[position error,
rotation error, cost, smallest sphere distance]`` and ``out_i (B, 3)`` ``[iterations, restarts,
reason]``.
"""

from __future__ import annotations

import math

import numpy as np

from .borrow import borrowed
from .clock import monotonic
from .configuration import blocked, integrate, nearest_to_seed, project, random_configuration, seed_state
from .jit import compiled, inlined
from .linalg import damped_step, without_columns
from .packing import unpack
from .residual import evaluate, scratch, scratch_size
from .spheres import penalty

__all__ = ["evaluate_at", "solve_range", "step_at"]

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
_ORTHO_TOL = 1e-10  # targets further from a rotation than this take the validating slow path
_LM_MAX_DAMPING = 1e12
_ARMIJO = 1e-4
_LINE_SEARCH_STEPS = 12


@compiled
def _workspace_size(tree, m: int, hist_len: int, n_spheres: int):
    """The sizes of the solver's work arrays (see :func:`_workspace`)."""
    dims = tree[9]
    nq, nv = dims[0], dims[1]
    k = max(m, nv, 1)
    h = max(hist_len, 1)
    sizes = (3 * nq, 2 * m, 2 * m * nv, 4 * nv, k * k, 2 * k, 9, 3, 2 * h * nq, m * nv)
    sizes_c = (3 * n_spheres, 6 * nv, nv, 3, 2 * nv * nv, 2 * nv)
    return np.cumsum(np.array((0,) + sizes + sizes_c))  # noqa: RUF005 (numba has no starred tuple unpacking)


@compiled
def _workspace(tree, m: int, hist_len: int, buf, o, mask, state, hist_n):
    """The solver's work arrays: views of ``buf`` at the offsets ``o`` of :func:`_workspace_size`,
    and the mask of held joints ``(nv,)``, the random state ``(1,)`` and history counts ``(2,)``."""
    dims = tree[9]
    nq, nv = dims[0], dims[1]
    k = max(m, nv, 1)
    h = max(hist_len, 1)
    q2 = buf[o[0] : o[1]].reshape((3, nq))  # current, trial, best of the attempt
    e2 = buf[o[1] : o[2]].reshape((2, m))
    J2 = buf[o[2] : o[3]].reshape((2, m, nv))
    vecs = buf[o[3] : o[4]].reshape((4, nv))  # delta, taken, gradient, spare
    A = buf[o[4] : o[5]].reshape((k, k))
    bx = buf[o[5] : o[6]].reshape((2, k))
    R3 = buf[o[6] : o[7]].reshape((3, 3))
    v3 = buf[o[7] : o[8]]
    hist = buf[o[8] : o[9]].reshape((2, h, nq))
    Jm = buf[o[9] : o[10]].reshape((m, nv))  # J with the held joints' columns zeroed
    # the collision terms: sphere centres, a point Jacobian, a gradient, a normal, H and b per slot
    C = buf[o[10] : o[11]].reshape(((o[11] - o[10]) // 3, 3))
    Jp = buf[o[11] : o[12]].reshape((6, nv))
    g = buf[o[12] : o[13]]
    n = buf[o[13] : o[14]]
    H2 = buf[o[14] : o[15]].reshape((2, nv, nv))
    b2 = buf[o[15] : o[16]].reshape((2, nv))
    return q2, e2, J2, vecs, mask, A, bx, R3, v3, state, hist, hist_n, Jm, (C, Jp, g, n, H2, b2)


@compiled
def _valid_targets(T) -> bool:
    """Finite, last row [0, 0, 0, 1] and a rotation to ``_ORTHO_TOL``."""
    for k in range(T.shape[0]):
        for a in range(4):
            for c in range(4):
                if not math.isfinite(T[k, a, c]):
                    return False
        if T[k, 3, 0] != 0.0 or T[k, 3, 1] != 0.0 or T[k, 3, 2] != 0.0 or T[k, 3, 3] != 1.0:
            return False
        for a in range(3):
            for c in range(a, 3):
                d = T[k, 0, a] * T[k, 0, c] + T[k, 1, a] * T[k, 1, c] + T[k, 2, a] * T[k, 2, c]
                if abs(d - (1.0 if a == c else 0.0)) > _ORTHO_TOL:
                    return False
        det = (
            T[k, 0, 0] * (T[k, 1, 1] * T[k, 2, 2] - T[k, 1, 2] * T[k, 2, 1])
            - T[k, 0, 1] * (T[k, 1, 0] * T[k, 2, 2] - T[k, 1, 2] * T[k, 2, 0])
            + T[k, 0, 2] * (T[k, 1, 0] * T[k, 2, 1] - T[k, 1, 1] * T[k, 2, 0])
        )
        if det < 0.0:
            return False
    return True


@inlined
def _cost(e, m) -> float:
    s = 0.0
    for i in range(m):
        s += e[i] * e[i]
    return 0.5 * s


@inlined
def _gradient(J, e, m, g) -> None:
    """``g = Jᵀ e`` (the gradient of ½‖e‖²)."""
    for c in range(J.shape[1]):
        s = 0.0
        for r in range(m):
            s += J[r, c] * e[r]
        g[c] = s


@compiled
def _measure(tree, prob, q, ews, ws, slot, opts) -> tuple[float, float, float, float]:
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
def _done(perr, rerr, dmin, opts) -> bool:
    return perr <= opts[O_PTOL] and rerr <= opts[O_RTOL] and dmin >= opts[O_CLEARANCE]


@inlined
def _full_gradient(J, e, m, ws, slot, opts, g) -> None:
    """``g = Jᵀe`` plus the collision terms' ``b`` (the gradient of the whole cost)."""
    _gradient(J, e, m, g)
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
    q2[0, :] = q2[1]
    e2[0, :] = e2[1]
    J2[0, :, :] = J2[1]
    if collide:
        H2[0, :, :] = H2[1]
        b2[0, :] = b2[1]


@inlined
def _record(ws, slot, q) -> None:
    hist, hist_n = ws[10], ws[11]
    n = hist_n[slot]
    if n < hist.shape[1]:
        hist[slot, n, :] = q
        hist_n[slot] = n + 1


@inlined
def _step(tree, q, delta, out, taken, R3, v3) -> bool:
    """``out = q ⊕ delta`` projected into the limits, ``taken`` the tangent step actually taken;
    returns whether a joint was clamped onto a limit (``R3``, ``v3``: scratch)."""
    taken[:] = delta
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
    if _done(perr, rerr, dmin, opts):
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
                _record(ws, 0, q)
            if _done(perr, rerr, dmin, opts):
                return F, perr, rerr, it, CONVERGED, False
            if F < progress * best_F:
                best_F, best_it = F, it
        else:
            lam *= nu
            nu *= 2.0
        if it - best_it >= stall or lam > _LM_MAX_DAMPING:
            return F, perr, rerr, it, STALLED, True
        if monotonic() > deadline:
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
    if _done(perr, rerr, dmin, opts):
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
            _record(ws, 0, q)
        if _done(perr, rerr, dmin, opts):
            return F, perr, rerr, it, CONVERGED, False
        if F < progress * best_F:
            best_F, best_it = F, it
        if it - best_it >= stall:
            return F, perr, rerr, it, STALLED, True
        if monotonic() > deadline:
            return F, perr, rerr, it, TIMEOUT, False
    return F, perr, rerr, int(opts[O_MAX_IT]), MAX_ITERATIONS, False


@compiled
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
    F, perr, rerr, dmin = _measure(tree, prob, q, ews, ws, 0, opts)
    if _done(perr, rerr, dmin, opts):
        return F, perr, rerr, 0, CONVERGED, False
    best_F, best_it = F, 0  # the stall test (1 % progress)
    qb[:] = q  # the true minimum seen
    best_q_F = F
    stall, progress = int(opts[O_STALL]), opts[O_PROGRESS]
    reason, stuck, it = MAX_ITERATIONS, False, 0
    for it in range(1, int(opts[O_MAX_IT]) + 1):
        _gradient(J, e, m, g)
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
        F, perr, rerr, dmin = _measure(tree, prob, q, ews, ws, 0, opts)
        if record:
            _record(ws, 0, q)
        if _done(perr, rerr, dmin, opts):
            return F, perr, rerr, it, CONVERGED, False
        if F < progress * best_F:
            best_F, best_it = F, it
        if F < best_q_F:
            qb[:] = q
            best_q_F = F
        if it - best_it >= stall:
            reason, stuck = STALLED, True
            break
        if monotonic() > deadline:
            reason = TIMEOUT
            break
    q[:] = qb
    F, perr, rerr, dmin = _measure(tree, prob, q, ews, ws, 0, opts)
    return F, perr, rerr, it, reason, stuck


@compiled
def _attempt(method, tree, prob, ews, ws, opts, m, deadline, record):
    if method == LM:
        return _lm(tree, prob, ews, ws, opts, m, deadline, record)
    if method == GN:
        return _gn(tree, prob, ews, ws, opts, m, deadline, record)
    return _dls(tree, prob, ews, ws, opts, m, deadline, record)


@compiled
def _why_stuck(tree, q, e, J, m, ws) -> int:
    """Why an attempt that stalled stopped: held by the limits, at a singularity, or otherwise."""
    g, mask = ws[3][2], ws[4]
    _gradient(J, e, m, g)
    if blocked(tree, q, g, mask):
        return LIMITS
    nv = J.shape[1]
    if 0 < m <= nv:
        s = np.linalg.svd(J[:m].copy())[1]
        if s[m - 1] < 1e-6 * max(1.0, s[0]):
            return SINGULAR
    return STALLED


@compiled
def _solve_one(tree, prob, q0, key, index, opts, ews, ws, q_out) -> tuple[float, float, float, float, int, int, int]:
    """The restart loop for one problem: attempts from ``q0``, then from seeded random draws,
    alternately within the middle ``spread0`` and ``spread1`` fractions of the limits, until one
    converges, ``max_restarts`` or the time budget; then, on failure, a patient local solve from the
    best configuration found. The best configuration by cost goes to ``q_out``."""
    q2, e2, J2, state, hist_n = ws[0], ws[1], ws[2], ws[9], ws[11]
    t0 = monotonic()
    timeout = opts[O_TIMEOUT]
    deadline = t0 + timeout if math.isfinite(timeout) else math.inf
    if not _valid_targets(prob[2]):
        return math.nan, math.nan, math.nan, math.nan, 0, 0, INVALID_TARGET
    m = e2.shape[1]
    method = int(opts[O_METHOD])
    record = opts[O_HISTORY] > 0.0
    state[0] = seed_state(np.uint64(key), np.uint64(index))
    q2[0, :] = q0
    hist_n[:] = 0
    if tree[9][1] == 0:  # nothing moves: the only configuration reaches the targets or not
        F, perr, rerr, dmin = _measure(tree, prob, q2[0], ews, ws, 0, opts)
        q_out[:] = q0
        return perr, rerr, F, dmin, 0, 0, CONVERGED if _done(perr, rerr, dmin, opts) else STALLED
    best_F, best_p, best_r, best_d, best_reason, best_stuck = (
        math.inf,
        math.inf,
        math.inf,
        math.inf,
        MAX_ITERATIONS,
        False,
    )
    iterations, restarts = 0, 0
    timed_out = False
    for attempt in range(int(opts[O_RESTARTS]) + 1):
        if attempt:
            spread = opts[O_SPREAD0] if (attempt - 1) % 2 == 0 else opts[O_SPREAD1]
            random_configuration(tree, spread, state, q2[0])
            restarts += 1
        if record:
            hist_n[0] = 0
            _record(ws, 0, q2[0])
        F, perr, rerr, it, reason, stuck = _attempt(method, tree, prob, ews, ws, opts, m, deadline, record)
        iterations += it
        if F < best_F or reason == CONVERGED:
            best_F, best_p, best_r, best_reason, best_stuck = F, perr, rerr, reason, stuck
            q_out[:] = q2[0]
            if record:
                _keep_history(ws)
        if reason == CONVERGED:
            break
        if monotonic() > deadline:
            timed_out = True
            break
    if best_reason != CONVERGED and opts[O_POLISH] > 0.0 and not timed_out:
        # a patient local solve from the best configuration: the closest configuration found
        patient = opts.copy()
        patient[O_STALL] = max(opts[O_STALL], 10.0)
        patient[O_PROGRESS] = 0.999
        q2[0, :] = q_out
        F, perr, rerr, it, reason, stuck = _attempt(method, tree, prob, ews, ws, patient, m, deadline, False)
        iterations += it
        if F < best_F or reason == CONVERGED:
            best_F, best_p, best_r, best_reason, best_stuck = F, perr, rerr, reason, stuck
            q_out[:] = q2[0]
        if reason == TIMEOUT:
            timed_out = True
    if best_reason != CONVERGED or opts[O_COLLIDE] > 0.0:  # the error, Jacobian and distances there
        q2[0, :] = q_out
        best_F, best_p, best_r, best_d = _measure(tree, prob, q2[0], ews, ws, 0, opts)
    if best_reason != CONVERGED:
        if best_stuck:
            best_reason = _why_stuck(tree, q2[0], e2[0], J2[0], m, ws)
        if timed_out:
            best_reason = TIMEOUT
    nearest_to_seed(tree, q_out, q0)
    return best_p, best_r, best_F, best_d, iterations, restarts, best_reason


@compiled
def _keep_history(ws) -> None:
    hist, hist_n = ws[10], ws[11]
    n = hist_n[0]
    hist[1, :n] = hist[0, :n]
    hist_n[1] = n


@compiled
def solve_range(mf, mi, ti, tw, path, Ts, Q0, seeds, opts, start, stop, out_q, out_f, out_i, hist):
    """Solve problems ``start:stop`` of a batch for the robot and sphere model packed in ``mf``, ``mi``
    (:mod:`kinejac.core.packing`): targets ``Ts (B, nt, 4, 4)``, starts ``Q0 (B, nq)``, seeds ``(B, 2)
    uint64`` ``[key, index]``. ``hist (H, nq)`` receives the accepted iterates of the returned attempt
    of problem ``start`` when ``opts[O_HISTORY]`` is set; returns their count."""
    tree, sph = unpack(mf, mi)
    nj, nv = tree[0].shape[0], tree[9][1]
    m = 0
    for k in range(tw.shape[0]):
        for a in range(6):
            if tw[k, a] > 0.0:
                m += 1
    hist_len = hist.shape[0] if opts[O_HISTORY] > 0.0 else 1
    # the work buffers, owned here; everything below sees them, and the arguments, borrowed
    own_e = np.zeros(scratch_size(nj, nv))
    o = _workspace_size(tree, m, hist_len, sph[0].shape[0])
    own_w = np.zeros(o[-1])
    own_mask = np.zeros(nv, dtype=np.bool_)
    own_state = np.zeros(1, dtype=np.uint64)
    own_n = np.zeros(2, dtype=np.int64)
    n = _solve_borrowed(
        tree, borrowed(ti), borrowed(tw), borrowed(path), sph, borrowed(Ts),
        borrowed(Q0), borrowed(seeds), borrowed(opts), start, stop, borrowed(out_q), borrowed(out_f),
        borrowed(out_i), borrowed(hist), scratch(borrowed(own_e), nj, nv),
        _workspace(tree, m, hist_len, borrowed(own_w), o, borrowed(own_mask), borrowed(own_state), borrowed(own_n)),
    )  # fmt: skip
    # the owners are used after the loop: numba frees an array after its last use
    return n + int(own_e.size + own_w.size + own_mask.size + own_state.size + own_n.size) * 0


@compiled
def _solve_borrowed(tree, ti, tw, path, sph, Ts, Q0, seeds, opts, start, stop, out_q, out_f, out_i, hist, ews, ws):
    for b in range(start, stop):
        prob = (ti, tw, Ts[b], path, sph)
        p, r, F, d, it, rs, reason = _solve_one(tree, prob, Q0[b], seeds[b, 0], seeds[b, 1], opts, ews, ws, out_q[b])
        out_f[b, 0], out_f[b, 1], out_f[b, 2], out_f[b, 3] = p, r, F, d
        out_i[b, 0], out_i[b, 1], out_i[b, 2] = it, rs, reason
    n = 0
    if opts[O_HISTORY] > 0.0:
        n = min(ws[11][1], hist.shape[0])
        hist[:n] = ws[10][1, :n]
    return n


@compiled
def evaluate_at(tree, ti, tw, path, T, q, e, J) -> tuple[float, float]:
    """:func:`~kinejac.core.residual.evaluate` with its own scratch (for the Python-side stages)."""
    nj, nv = tree[0].shape[0], tree[9][1]
    return evaluate(tree, ti, tw, T, q, path, scratch(np.zeros(scratch_size(nj, nv)), nj, nv), e, J)


@compiled
def step_at(tree, q, delta, out) -> bool:
    """``out = q ⊕ delta`` projected into the limits; whether a joint was clamped."""
    taken = delta.copy()
    R3 = np.zeros((3, 3))
    v3 = np.zeros(3)
    integrate(tree, q, delta, out, R3, v3)
    return project(tree, out, taken)
