"""The configuration space in the compiled core: seeded sampling, integration ``q ⊕ δ`` and the
joint limits (projection, the active set, and angles returned nearest the seed).

Random restarts draw from a splitmix64 stream per problem, seeded by a 64-bit key and the
problem's index, so a problem's draws never depend on which thread solves it or in what order.
Limits, per coordinate (:data:`~kinejac.core.tree.FREE` ... ``ANGLE``): a 1-DOF joint with finite
limits is clamped and can be held on a limit (``HOLD``); a revolute joint whose range spans a full
turn is wrapped by 2π back into its range (``WRAP``); other bounded coordinates (a limited
floating-base translation) are clamped (``CLAMP``); a revolute joint without limits is a plain
angle (``ANGLE``). Returned ``WRAP`` and ``ANGLE`` angles are the equivalent nearest the seed.
"""

from __future__ import annotations

import math

import numpy as np

from .jit import compiled, inlined
from .lie import exp3_left, quat_to_rot
from .tree import ANGLE, CLAMP, CONTINUOUS, FREEFLYER, HOLD, PLANAR, PRISMATIC, REVOLUTE, SPHERICAL, TRANSLATION, WRAP

__all__ = ["blocked", "integrate", "nearest_to_seed", "project", "random_configuration", "seed_state", "uniform"]

_TWO_PI = 2.0 * math.pi
_AT_LIMIT = 1e-10  # [rad or m]: a coordinate this close to a limit is on it
_UNBOUNDED_TRANSLATION = 1.0  # [m]: half-range of draws for a translation without limits
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)


@compiled
def _mix(z: np.uint64) -> np.uint64:
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@compiled
def seed_state(key: np.uint64, index: np.uint64) -> np.uint64:
    """The start of the stream of problem ``index`` under ``key``."""
    return _mix(key ^ _mix(index + _GOLDEN))


@compiled
def uniform(state: np.ndarray) -> float:
    """A double in ``[0, 1)`` from the splitmix64 stream ``state (1,) uint64`` (advanced)."""
    z = state[0] + _GOLDEN
    state[0] = z
    return float(_mix(z) >> _S11) * (1.0 / 9007199254740992.0)


@compiled
def _normal(state: np.ndarray) -> float:
    u = uniform(state)
    return math.sqrt(-2.0 * math.log(1.0 - u)) * math.cos(_TWO_PI * uniform(state))


@compiled
def _draw(lo: float, hi: float, default: float, spread: float, state: np.ndarray) -> float:
    """Uniform in ``[lo, hi]`` (``±default`` where unbounded); bounded ranges shrink to their middle
    ``spread`` fraction."""
    a = lo if math.isfinite(lo) else -default
    b = hi if math.isfinite(hi) else default
    if math.isfinite(lo) and math.isfinite(hi) and spread != 1.0:
        mid, half = 0.5 * (a + b), 0.5 * spread * (b - a)
        a, b = mid - half, mid + half
    return a + (b - a) * uniform(state)


@compiled
def _random_quaternion(q: np.ndarray, o: int, state: np.ndarray) -> None:
    n = 0.0
    for k in range(4):
        q[o + k] = _normal(state)
        n += q[o + k] * q[o + k]
    n = math.sqrt(n)
    for k in range(4):
        q[o + k] /= n


@compiled
def random_configuration(tree, spread: float, state: np.ndarray, q: np.ndarray) -> None:
    """A configuration drawn uniformly within the limits into ``q (nq,)``, every bounded 1-DOF range
    shrunk to its middle ``spread`` fraction; angles without limits over a full turn, translations
    without limits in ±1 m, rotations of floating and spherical joints uniformly over SO(3)."""
    _, _, cj, _, _, lo, hi, _, _, _ = tree
    for n in range(cj.shape[0]):
        kind, iq = cj[n, 0], cj[n, 1]
        if kind == REVOLUTE:
            q[iq] = _draw(lo[iq], hi[iq], math.pi, spread, state)
        elif kind == PRISMATIC:
            q[iq] = _draw(lo[iq], hi[iq], _UNBOUNDED_TRANSLATION, spread, state)
        elif kind == CONTINUOUS or kind == PLANAR:
            o = iq
            if kind == PLANAR:
                for k in range(2):
                    q[iq + k] = _draw(lo[iq + k], hi[iq + k], _UNBOUNDED_TRANSLATION, 1.0, state)
                o = iq + 2
            t = math.pi * (2.0 * uniform(state) - 1.0)
            q[o], q[o + 1] = math.cos(t), math.sin(t)
        elif kind == FREEFLYER or kind == TRANSLATION:
            for k in range(3):
                q[iq + k] = _draw(lo[iq + k], hi[iq + k], _UNBOUNDED_TRANSLATION, 1.0, state)
            if kind == FREEFLYER:
                _random_quaternion(q, iq + 3, state)
        elif kind == SPHERICAL:
            _random_quaternion(q, iq, state)


@compiled
def _quat_times_exp(q: np.ndarray, o: int, w0: float, w1: float, w2: float, out: np.ndarray) -> None:
    """``out[o:o+4] = q[o:o+4] ⊗ exp(ω)`` (quaternions ``(x, y, z, w)``), normalised."""
    t = math.sqrt(w0 * w0 + w1 * w1 + w2 * w2)
    c = math.cos(0.5 * t)
    s = 0.5 - t * t / 48.0 if t < 1e-4 else math.sin(0.5 * t) / t  # sin(t/2) / t
    bx, by, bz, bw = s * w0, s * w1, s * w2, c
    ax, ay, az, aw = q[o], q[o + 1], q[o + 2], q[o + 3]
    x = aw * bx + ax * bw + ay * bz - az * by
    y = aw * by - ax * bz + ay * bw + az * bx
    z = aw * bz + ax * by - ay * bx + az * bw
    w = aw * bw - ax * bx - ay * by - az * bz
    n = math.sqrt(x * x + y * y + z * z + w * w)
    out[o], out[o + 1], out[o + 2], out[o + 3] = x / n, y / n, z / n, w / n


@inlined
def integrate(tree, q: np.ndarray, d: np.ndarray, out: np.ndarray, R: np.ndarray, v3: np.ndarray) -> None:
    """``out = q ⊕ d`` on the configuration manifold (as ``pinocchio.integrate``); ``R (3, 3)`` and
    ``v3 (3,)`` are scratch."""
    cj = tree[2]
    for n in range(cj.shape[0]):
        kind, iq, iv = cj[n, 0], cj[n, 1], cj[n, 2]
        if kind == REVOLUTE or kind == PRISMATIC:
            out[iq] = q[iq] + d[iv]
        elif kind == CONTINUOUS:
            c, s = q[iq], q[iq + 1]
            cd, sd = math.cos(d[iv]), math.sin(d[iv])
            c2, s2 = c * cd - s * sd, s * cd + c * sd
            norm = math.sqrt(c2 * c2 + s2 * s2)
            out[iq], out[iq + 1] = c2 / norm, s2 / norm
        elif kind == TRANSLATION:
            for k in range(3):
                out[iq + k] = q[iq + k] + d[iv + k]
        elif kind == SPHERICAL:
            _quat_times_exp(q, iq, d[iv], d[iv + 1], d[iv + 2], out)
        elif kind == FREEFLYER:  # M ⊕ v = M exp6(v): p += R V(ω) v, rotation q ⊗ exp(ω)
            quat_to_rot(q[iq + 3], q[iq + 4], q[iq + 5], q[iq + 6], R)
            exp3_left(d[iv + 3], d[iv + 4], d[iv + 5], d[iv], d[iv + 1], d[iv + 2], v3)
            for a in range(3):
                out[iq + a] = q[iq + a] + R[a, 0] * v3[0] + R[a, 1] * v3[1] + R[a, 2] * v3[2]
            _quat_times_exp(q, iq + 3, d[iv + 3], d[iv + 4], d[iv + 5], out)
        elif kind == PLANAR:  # SE(2): the same with a rotation about z
            exp3_left(0.0, 0.0, d[iv + 2], d[iv], d[iv + 1], 0.0, v3)
            c, s = q[iq + 2], q[iq + 3]
            out[iq] = q[iq] + c * v3[0] - s * v3[1]
            out[iq + 1] = q[iq + 1] + s * v3[0] + c * v3[1]
            cd, sd = math.cos(d[iv + 2]), math.sin(d[iv + 2])
            c2, s2 = c * cd - s * sd, s * cd + c * sd
            norm = math.sqrt(c2 * c2 + s2 * s2)
            out[iq + 2], out[iq + 3] = c2 / norm, s2 / norm


@compiled
def _wrap_into(x: float, lo: float, hi: float) -> float:
    """The angle ``x + 2πk`` inside ``[lo, hi]`` nearest ``x`` (clamped if none is)."""
    if x > hi:
        x -= _TWO_PI * math.ceil((x - hi) / _TWO_PI)
    elif x < lo:
        x += _TWO_PI * math.ceil((lo - x) / _TWO_PI)
    return min(max(x, lo), hi)


@inlined
def project(tree, q: np.ndarray, taken: np.ndarray) -> bool:
    """Bring ``q`` into the limits in place; ``taken (nv,)``, the tangent step that led to ``q``, is
    corrected for the clamped joints. Returns whether a 1-DOF joint was clamped onto a limit."""
    lo, hi, mode, cv = tree[5], tree[6], tree[7], tree[8]
    clamped = False
    for k in range(q.shape[0]):
        m = mode[k]
        x = q[k]
        if m == HOLD or m == CLAMP:
            y = min(max(x, lo[k]), hi[k])
            if y != x:
                q[k] = y
                if m == HOLD:
                    taken[cv[k]] += y - x
                    clamped = True
        elif m == WRAP and (x < lo[k] or x > hi[k]):
            q[k] = _wrap_into(x, lo[k], hi[k])
    return clamped


@inlined
def blocked(tree, q: np.ndarray, grad: np.ndarray, mask: np.ndarray) -> bool:
    """``mask (nv,)``: the joints on a limit that the descent direction ``-grad`` pushes outward
    (dropped from the next linear solve). Returns whether any is."""
    lo, hi, mode, cv = tree[5], tree[6], tree[7], tree[8]
    for k in range(mask.shape[0]):
        mask[k] = False
    any_ = False
    for k in range(q.shape[0]):
        if mode[k] == HOLD:
            v = cv[k]
            if (q[k] <= lo[k] + _AT_LIMIT and grad[v] > 0.0) or (q[k] >= hi[k] - _AT_LIMIT and grad[v] < 0.0):
                mask[v] = True
                any_ = True
    return any_


@compiled
def nearest_to_seed(tree, q: np.ndarray, seed: np.ndarray) -> None:
    """Replace each full-turn or unlimited revolute angle of ``q`` by its equivalent ``q + 2πk``
    nearest ``seed``, staying within the limits."""
    _, _, _, _, _, lo, hi, mode, _, _ = tree
    for k in range(q.shape[0]):
        if mode[k] == WRAP or mode[k] == ANGLE:
            y = q[k] + _TWO_PI * round((seed[k] - q[k]) / _TWO_PI)
            if y > hi[k]:
                y -= _TWO_PI
            elif y < lo[k]:
                y += _TWO_PI
            if lo[k] <= y <= hi[k]:
                q[k] = y
