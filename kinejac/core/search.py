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
from .jit import allocating, compiled, inlined
from .linalg import assign
from .packing import cut, unpack
from .residual import evaluate, scratch, scratch_size
from .solver import (
    CONVERGED,
    INVALID_TARGET,
    LIMITS,
    MAX_ITERATIONS,
    N_OPTIONS,
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

__all__ = ["evaluate_at", "solve_range", "step_at", "work_size", "workspace", "workspace_size"]

_ORTHO_TOL = 1e-10  # targets further from a rotation than this take the validating slow path


@inlined
def _sizes(tree, m: int, hist_len: int, n_spheres: int):
    """The lengths of the solver's work arrays, in :func:`workspace`'s order."""
    nq, nv = tree[9][0], tree[9][1]
    k = max(m, nv, 1)
    h = max(hist_len, 1)
    return (3 * nq, 2 * m, 2 * m * nv, 4 * nv, k * k, 2 * k, 9, 3, 2 * h * nq, m * nv, N_OPTIONS,
            3 * n_spheres, 6 * nv, nv, 3, 2 * nv * nv, 2 * nv)  # fmt: skip


@inlined
def workspace_size(tree, m: int, hist_len: int, n_spheres: int) -> int:
    """The length of the buffer that :func:`workspace` cuts."""
    total = 0
    for n in _sizes(tree, m, hist_len, n_spheres):
        total += n
    return total


@inlined
def workspace(tree, m: int, hist_len: int, n_spheres: int, buf, mask, state, hist_n):
    """The solver's work arrays: views of ``buf`` (:func:`workspace_size` long), and the mask of
    held joints ``(nv,)``, the random state ``(1,)`` and history counts ``(2,)``."""
    nq, nv = tree[9][0], tree[9][1]
    k = max(m, nv, 1)
    s = _sizes(tree, m, hist_len, n_spheres)
    q2, a = cut(buf, 0, s[0])  # current, trial, best of the attempt
    e2, a = cut(buf, a, s[1])
    J2, a = cut(buf, a, s[2])
    vecs, a = cut(buf, a, s[3])  # delta, taken, gradient, spare
    A, a = cut(buf, a, s[4])
    bx, a = cut(buf, a, s[5])
    R3, a = cut(buf, a, s[6])
    v3, a = cut(buf, a, s[7])
    hist, a = cut(buf, a, s[8])
    Jm, a = cut(buf, a, s[9])  # J with the held joints' columns zeroed
    patient, a = cut(buf, a, s[10])  # the options of the patient local solve
    # the collision terms: sphere centres, a point Jacobian, a gradient, a normal, H and b per slot
    C, a = cut(buf, a, s[11])
    Jp, a = cut(buf, a, s[12])
    g, a = cut(buf, a, s[13])
    n, a = cut(buf, a, s[14])
    H2, a = cut(buf, a, s[15])
    b2, a = cut(buf, a, s[16])
    return (
        q2.reshape((3, nq)), e2.reshape((2, m)), J2.reshape((2, m, nv)), vecs.reshape((4, nv)), mask,
        A.reshape((k, k)), bx.reshape((2, k)), R3.reshape((3, 3)), v3, state,
        hist.reshape((2, max(hist_len, 1), nq)), hist_n, Jm.reshape((m, nv)),
        (C.reshape((n_spheres, 3)), Jp.reshape((6, nv)), g, n, H2.reshape((2, nv, nv)), b2.reshape((2, nv))),
        patient,
    )  # fmt: skip


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


@allocating
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
    assign(q2[0], q0)
    hist_n[:] = 0
    if tree[9][1] == 0:  # nothing moves: the only configuration reaches the targets or not
        F, perr, rerr, dmin = measure(tree, prob, q2[0], ews, ws, 0, opts)
        assign(q_out, q0)
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
            assign(q_out, q2[0])
            if record:
                _keep_history(ws)
        if reason == CONVERGED:
            break
        if deadline < math.inf and monotonic() > deadline:
            timed_out = True
            break
    if best_reason != CONVERGED and opts[O_POLISH] > 0.0 and not timed_out:
        # a patient local solve from the best configuration: the closest configuration found
        patient = ws[14]
        assign(patient, opts)
        patient[O_STALL] = max(opts[O_STALL], 10.0)
        patient[O_PROGRESS] = 0.999
        assign(q2[0], q_out)
        F, perr, rerr, it, reason, stuck = attempt(method, tree, prob, ews, ws, patient, m, deadline, False)
        iterations += it
        if F < best_F or reason == CONVERGED:
            best_F, best_p, best_r, best_reason, best_stuck = F, perr, rerr, reason, stuck
            assign(q_out, q2[0])
        if reason == TIMEOUT:
            timed_out = True
    if best_reason != CONVERGED or opts[O_COLLIDE] > 0.0:  # the error, Jacobian and distances there
        assign(q2[0], q_out)
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
    for r in range(n):
        assign(hist[1, r], hist[0, r])
    hist_n[1] = n


@inlined
def _task_rows(tw) -> int:
    """The rows of the error: the tasks' positive weights."""
    m = 0
    for k in range(tw.shape[0]):
        for a in range(6):
            if tw[k, a] > 0.0:
                m += 1
    return m


@inlined
def _work_length(tree, sph, m: int, hist_len: int) -> int:
    """The length of :func:`solve_range`'s work buffer: the evaluation scratch, the solver's work
    arrays, then the random state and history counts (3) and the held-joint mask (in bytes)."""
    nj, nv = tree[0].shape[0], tree[9][1]
    return scratch_size(nj, nv) + workspace_size(tree, m, hist_len, sph[0].shape[0]) + 3 + (nv + 7) // 8


@allocating
def work_size(mf, mi, tw, hist_len: int) -> int:
    """The length of the work buffer that :func:`solve_range` takes for tasks weighted ``tw (nt,
    6)`` and a history of ``hist_len`` rows."""
    tree, sph = unpack(mf, mi)
    return _work_length(tree, sph, _task_rows(tw), max(hist_len, 1))


@allocating
def solve_range(mf, mi, ti, tw, path, Ts, Q0, seeds, opts, start, stop, out_q, out_f, out_i, hist, work):
    """Solve problems ``start:stop`` of a batch for the robot and sphere model packed in ``mf``, ``mi``
    (:mod:`kinejac.core.packing`): targets ``Ts (B, nt, 4, 4)``, starts ``Q0 (B, nq)``, seeds ``(B, 2)
    uint64`` ``[key, index]``. ``hist (H, nq)`` receives the accepted iterates of the returned attempt
    of problem ``start`` when ``opts[O_HISTORY]`` is set; returns their count. ``work`` (float64,
    :func:`work_size` long) holds the work arrays; a shorter one (say empty) makes the call allocate
    its own."""
    tree, sph = unpack(borrowed(mf), borrowed(mi))  # the caller keeps mf and mi alive
    nj, nv = tree[0].shape[0], tree[9][1]
    hist_len = hist.shape[0] if opts[O_HISTORY] > 0.0 else 1
    m = _task_rows(tw)
    need = _work_length(tree, sph, m, hist_len)
    own = work if work.shape[0] >= need else np.zeros(need)
    buf = borrowed(own)  # everything below sees it, and the arguments, borrowed
    e_buf, a = cut(buf, 0, scratch_size(nj, nv))
    w_buf, a = cut(buf, a, workspace_size(tree, m, hist_len, sph[0].shape[0]))
    ints, a = cut(buf, a, 3)
    mask = buf[a:need].view(np.bool_)[:nv]
    ints = ints.view(np.int64)
    n = _solve_borrowed(
        tree, borrowed(ti), borrowed(tw), borrowed(path), sph, borrowed(Ts),
        borrowed(Q0), borrowed(seeds), borrowed(opts), start, stop, borrowed(out_q), borrowed(out_f),
        borrowed(out_i), borrowed(hist), scratch(e_buf, nj, nv),
        workspace(tree, m, hist_len, sph[0].shape[0], w_buf, mask, ints[:1].view(np.uint64), ints[1:3]),
    )  # fmt: skip
    # the owner is used after the loop: numba frees an array after its last use
    return n + int(own.size) * 0


@inlined
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


@allocating
def evaluate_at(tree, ti, tw, path, T, q, e, J) -> tuple[float, float]:
    """:func:`~kinejac.core.residual.evaluate` with its own scratch (for the Python-side stages)."""
    nj, nv = tree[0].shape[0], tree[9][1]
    return evaluate(tree, ti, tw, T, q, path, scratch(np.zeros(scratch_size(nj, nv)), nj, nv), e, J)


@allocating
def step_at(tree, q, delta, out) -> bool:
    """``out = q ⊕ delta`` projected into the limits; whether a joint was clamped."""
    taken = delta.copy()
    R3 = np.zeros((3, 3))
    v3 = np.zeros(3)
    integrate(tree, q, delta, out, R3, v3)
    return project(tree, out, taken)
