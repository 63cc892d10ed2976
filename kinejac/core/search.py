"""The global search around the IK attempts of :mod:`kinejac.core.solver`, and the entry point.

A problem is solved by attempts from its start, then from seeded random draws (alternately within the
middle ``spread0`` and ``spread1`` fractions of the limits) until one converges, the restarts or the
time budget run out; on failure a patient local solve continues from the best configuration found.
:func:`solve_range` runs that for a range of a batch (a single solve is a batch of one); results go
to ``out_q (B, nq)``, ``out_f (B, 4)`` ``[position error, rotation error, cost, smallest sphere
distance]`` and ``out_i (B, 3)`` ``[iterations, restarts, reason]``.
"""

from __future__ import annotations

import math

import numpy as np

from .borrow import borrowed
from .clock import monotonic
from .configuration import blocked, integrate, nearest_to_seed, project, random_configuration, seed_state
from .jit import compiled
from .packing import unpack
from .residual import evaluate, scratch, scratch_size
from .solver import (
    CONVERGED,
    INVALID_TARGET,
    LIMITS,
    MAX_ITERATIONS,
    O_COLLIDE,
    O_HISTORY,
    O_METHOD,
    O_POLISH,
    O_PROGRESS,
    O_RESTARTS,
    O_SPREAD0,
    O_SPREAD1,
    O_STALL,
    O_TIMEOUT,
    SINGULAR,
    STALLED,
    TIMEOUT,
    attempt,
    converged,
    gradient,
    measure,
    record_iterate,
)

__all__ = ["evaluate_at", "solve_range", "step_at", "workspace", "workspace_size"]

_ORTHO_TOL = 1e-10  # targets further from a rotation than this take the validating slow path


@compiled
def workspace_size(tree, m: int, hist_len: int, n_spheres: int):
    """The sizes of the solver's work arrays (see :func:`workspace`)."""
    dims = tree[9]
    nq, nv = dims[0], dims[1]
    k = max(m, nv, 1)
    h = max(hist_len, 1)
    sizes = (3 * nq, 2 * m, 2 * m * nv, 4 * nv, k * k, 2 * k, 9, 3, 2 * h * nq, m * nv)
    sizes_c = (3 * n_spheres, 6 * nv, nv, 3, 2 * nv * nv, 2 * nv)
    return np.cumsum(np.array((0,) + sizes + sizes_c))  # noqa: RUF005 (numba has no starred tuple unpacking)


@compiled
def workspace(tree, m: int, hist_len: int, buf, o, mask, state, hist_n):
    """The solver's work arrays: views of ``buf`` at the offsets ``o`` of :func:`workspace_size`,
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


@compiled
def _why_stuck(tree, q, e, J, m, ws) -> int:
    """Why an attempt that stalled stopped: held by the limits, at a singularity, or otherwise."""
    g, mask = ws[3][2], ws[4]
    gradient(J, e, m, g)
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
        F, perr, rerr, dmin = measure(tree, prob, q2[0], ews, ws, 0, opts)
        q_out[:] = q0
        return perr, rerr, F, dmin, 0, 0, CONVERGED if converged(perr, rerr, dmin, opts) else STALLED
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
    for k in range(int(opts[O_RESTARTS]) + 1):
        if k:
            spread = opts[O_SPREAD0] if (k - 1) % 2 == 0 else opts[O_SPREAD1]
            random_configuration(tree, spread, state, q2[0])
            restarts += 1
        if record:
            hist_n[0] = 0
            record_iterate(ws, 0, q2[0])
        F, perr, rerr, it, reason, stuck = attempt(method, tree, prob, ews, ws, opts, m, deadline, record)
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
        F, perr, rerr, it, reason, stuck = attempt(method, tree, prob, ews, ws, patient, m, deadline, False)
        iterations += it
        if F < best_F or reason == CONVERGED:
            best_F, best_p, best_r, best_reason, best_stuck = F, perr, rerr, reason, stuck
            q_out[:] = q2[0]
        if reason == TIMEOUT:
            timed_out = True
    if best_reason != CONVERGED or opts[O_COLLIDE] > 0.0:  # the error, Jacobian and distances there
        q2[0, :] = q_out
        best_F, best_p, best_r, best_d = measure(tree, prob, q2[0], ews, ws, 0, opts)
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
    tree, sph = unpack(borrowed(mf), borrowed(mi))  # the caller keeps mf and mi alive
    nj, nv = tree[0].shape[0], tree[9][1]
    m = 0
    for k in range(tw.shape[0]):
        for a in range(6):
            if tw[k, a] > 0.0:
                m += 1
    hist_len = hist.shape[0] if opts[O_HISTORY] > 0.0 else 1
    # the work buffers, owned here; everything below sees them, and the arguments, borrowed
    own_e = np.zeros(scratch_size(nj, nv))
    o = workspace_size(tree, m, hist_len, sph[0].shape[0])
    own_w = np.zeros(o[-1])
    own_mask = np.zeros(nv, dtype=np.bool_)
    own_state = np.zeros(1, dtype=np.uint64)
    own_n = np.zeros(2, dtype=np.int64)
    n = _solve_borrowed(
        tree, borrowed(ti), borrowed(tw), borrowed(path), sph, borrowed(Ts),
        borrowed(Q0), borrowed(seeds), borrowed(opts), start, stop, borrowed(out_q), borrowed(out_f),
        borrowed(out_i), borrowed(hist), scratch(borrowed(own_e), nj, nv),
        workspace(tree, m, hist_len, borrowed(own_w), o, borrowed(own_mask), borrowed(own_state), borrowed(own_n)),
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

