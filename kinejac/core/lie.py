"""SO(3) and SE(3) maps for the compiled core: exp, log and the Jacobians of the log, scalar and
allocation-free (3x3 rotations and 3-vectors written out, results into caller-owned arrays).

Conventions as in pinocchio: a twist is ``[v; ω]``; ``log6(R, p)`` is the ``[v; ω]`` with
``exp6([v; ω]) = (R, p)``; ``Jlog3(R)`` and ``Jlog6(R, p)`` are the right Jacobians of the logs
(``log(M exp(δ)) ≈ log(M) + Jlog(M) δ``), in pinocchio's closed form. Angles below ``_SMALL`` use
Taylor expansions, angles beyond ``_NEAR_PI`` take the axis from the symmetric part of ``R``.
"""

from __future__ import annotations

import math

import numpy as np

from .jit import compiled, inlined

__all__ = ["exp3_left", "jlog3", "log3", "log6_jlog6", "quat_to_rot"]

_SMALL = 0.2  # [rad]: below, the series (their truncation and the closed forms' rounding both < 1e-13)
_NEAR_PI = 3.0  # [rad]
_EPS = np.finfo(np.float64).eps


@compiled
def log3(R: np.ndarray, w: np.ndarray) -> float:
    """``ω = log3(R)`` into ``w (3,)``; returns the angle ``θ = ‖ω‖`` in ``[0, π]``."""
    w[0] = R[2, 1] - R[1, 2]
    w[1] = R[0, 2] - R[2, 0]
    w[2] = R[1, 0] - R[0, 1]
    s2 = math.sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2])  # 2 sin θ
    c2 = R[0, 0] + R[1, 1] + R[2, 2] - 1.0  # 2 cos θ
    t = math.atan2(s2, c2)
    if t <= _NEAR_PI:
        f = t / s2 if s2 > 1e-300 else 0.5
        w[0] *= f
        w[1] *= f
        w[2] *= f
        return t
    # near π: the axis from the diagonal, its sign from the antisymmetric part
    tr = R[0, 0] + R[1, 1] + R[2, 2]
    i0 = 0
    best = 2.0 * R[0, 0] - tr + 1.0
    for i in range(1, 3):
        v = 2.0 * R[i, i] - tr + 1.0
        if v > best:
            best, i0 = v, i
    i1, i2 = (i0 + 1) % 3, (i0 + 2) % 3
    s = math.sqrt(best + _EPS + _EPS * _EPS)
    if R[i2, i1] < R[i1, i2]:
        s = -s
    a0 = 0.5 * s
    a1 = (R[i1, i0] + R[i0, i1]) / (2.0 * s)
    a2 = (R[i2, i0] + R[i0, i2]) / (2.0 * s)
    c = (R[i2, i1] - R[i1, i2]) / (2.0 * s)
    n = math.sqrt(a0 * a0 + a1 * a1 + a2 * a2)
    t = 2.0 * math.atan2(n, c)
    f = t / n
    w[i0], w[i1], w[i2] = a0 * f, a1 * f, a2 * f
    return t


@compiled
def _coefficients(t: float) -> tuple[float, float, float]:
    """``α, β, β̇/θ`` of the log Jacobians (pinocchio's closed forms; Taylor below ``_SMALL``)."""
    if t < _SMALL:  # α = (θ/2) cot(θ/2) = 1 - Σ |B₂ₙ| θ²ⁿ / (2n)!, β = (1 - α)/θ², β̇/θ
        u = t * t
        alpha = 1.0 - u * (1.0 / 12.0 + u * (1.0 / 720.0 + u * (1.0 / 30240.0 + u / 1209600.0)))
        beta = 1.0 / 12.0 + u * (1.0 / 720.0 + u * (1.0 / 30240.0 + u * (1.0 / 1209600.0 + u / 47900160.0)))
        bdot = 1.0 / 360.0 + u * (1.0 / 7560.0 + u * (1.0 / 201600.0 + u / 5987520.0))
        return alpha, beta, bdot
    t2 = t * t
    st = math.sin(t)
    h = math.sin(0.5 * t)
    omc = 2.0 * h * h  # 1 - cos θ without cancellation
    alpha = t * st / (2.0 * omc)
    beta = 1.0 / t2 - st / (2.0 * t * omc)
    bdot = -2.0 / (t2 * t2) + (t + st) / (2.0 * t2 * t * omc)
    return alpha, beta, bdot


@compiled
def _diag_skew(M: np.ndarray, r: int, c: int, d: float, v0: float, v1: float, v2: float) -> None:
    """``M[r:r+3, c:c+3] += d I + ½ [v]ₓ``."""
    M[r, c] += d
    M[r + 1, c + 1] += d
    M[r + 2, c + 2] += d
    M[r, c + 1] -= 0.5 * v2
    M[r, c + 2] += 0.5 * v1
    M[r + 1, c] += 0.5 * v2
    M[r + 1, c + 2] -= 0.5 * v0
    M[r + 2, c] -= 0.5 * v1
    M[r + 2, c + 1] += 0.5 * v0


@compiled
def jlog3(w: np.ndarray, t: float, A: np.ndarray) -> None:
    """``A (3, 3) = Jlog3`` of the rotation whose log is ``w`` with angle ``t``."""
    alpha, beta, _ = _coefficients(t)
    for i in range(3):
        for j in range(3):
            A[i, j] = beta * w[i] * w[j]
    _diag_skew(A, 0, 0, alpha, w[0], w[1], w[2])


@inlined
def log6_jlog6(R: np.ndarray, p: np.ndarray, e: np.ndarray, A: np.ndarray, C: np.ndarray) -> float:
    """``e (6,) = log6(R, p)`` ``[v; ω]`` and the blocks of ``Jlog6 = [[A, C A], [0, A]]``, ``A (3, 3) =
    Jlog3``, ``C (3, 3)``, in one pass (the coefficients computed once); returns the angle θ."""
    w = e[3:]
    t = log3(R, w)
    alpha, beta, bdot = _coefficients(t)
    w0, w1, w2 = w[0], w[1], w[2]
    p0, p1, p2 = p[0], p[1], p[2]
    wp = w0 * p0 + w1 * p1 + w2 * p2
    bwp = beta * wp
    e[0] = alpha * p0 - 0.5 * (w1 * p2 - w2 * p1) + bwp * w0
    e[1] = alpha * p1 - 0.5 * (w2 * p0 - w0 * p2) + bwp * w1
    e[2] = alpha * p2 - 0.5 * (w0 * p1 - w1 * p0) + bwp * w2
    k = t * t * bdot + 2.0 * beta
    v0 = bdot * wp * w0 - k * p0
    v1 = bdot * wp * w1 - k * p1
    v2 = bdot * wp * w2 - k * p2
    for i in range(3):
        wi, vi = w[i], (v0, v1, v2)[i]
        for j in range(3):
            A[i, j] = beta * wi * w[j]
            C[i, j] = vi * w[j] + beta * wi * p[j]
    _diag_skew(A, 0, 0, alpha, w0, w1, w2)
    _diag_skew(C, 0, 0, bwp, p0, p1, p2)
    return t


@compiled
def _versine(t: float) -> float:
    """``(1 - cos t) / t²`` (= ``2 sin²(t/2) / t²``), accurate at every angle."""
    if t < 1e-4:
        return 0.5 - t * t / 24.0
    h = math.sin(0.5 * t)
    return 2.0 * h * h / (t * t)


@compiled
def exp3_left(w0: float, w1: float, w2: float, v0: float, v1: float, v2: float, out: np.ndarray) -> None:
    """``out (3,) = V(ω) v``, the translation of ``exp6([v; ω])`` (the left Jacobian of SO(3) times v)."""
    t2 = w0 * w0 + w1 * w1 + w2 * w2
    t = math.sqrt(t2)
    b = _versine(t)
    if t < _SMALL:  # (t - sin t) / t³
        c = 1.0 / 6.0 - t2 * (1.0 / 120.0 - t2 * (1.0 / 5040.0 - t2 / 362880.0))
    else:
        c = (t - math.sin(t)) / (t2 * t)
    # V = I + b [ω]ₓ + c [ω]ₓ²,  [ω]ₓ v = ω × v,  [ω]ₓ² v = ω (ω·v) - t² v
    x0, x1, x2 = w1 * v2 - w2 * v1, w2 * v0 - w0 * v2, w0 * v1 - w1 * v0
    wv = w0 * v0 + w1 * v1 + w2 * v2
    out[0] = v0 + b * x0 + c * (w0 * wv - t2 * v0)
    out[1] = v1 + b * x1 + c * (w1 * wv - t2 * v1)
    out[2] = v2 + b * x2 + c * (w2 * wv - t2 * v2)


@compiled
def quat_to_rot(x: float, y: float, z: float, w: float, R: np.ndarray) -> None:
    """``R (3, 3)`` of the unit quaternion ``(x, y, z, w)`` (pinocchio's order)."""
    R[0, 0] = 1.0 - 2.0 * (y * y + z * z)
    R[0, 1] = 2.0 * (x * y - z * w)
    R[0, 2] = 2.0 * (x * z + y * w)
    R[1, 0] = 2.0 * (x * y + z * w)
    R[1, 1] = 1.0 - 2.0 * (x * x + z * z)
    R[1, 2] = 2.0 * (y * z - x * w)
    R[2, 0] = 2.0 * (x * z - y * w)
    R[2, 1] = 2.0 * (y * z + x * w)
    R[2, 2] = 1.0 - 2.0 * (x * x + y * y)
