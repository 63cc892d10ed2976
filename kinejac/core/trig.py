"""The sine and cosine of an angle together, compiled into the caller.

The forward kinematics take one sine and one cosine per joint, which through the C library cost a
fifth of an IK iteration. :func:`sincos` reduces the angle by multiples of π/2 (Cody and Waite's
three-part constant, exact products for ``|x| < 2²⁰``) and evaluates the minimax polynomials of
Cephes' ``sin.c`` (S. L. Moshier, *Methods and Programs for Mathematical Functions*, 1989) on
``[-π/4, π/4]``: within a few units in the last place of the C library (the tests hold them to
1e-15), inline, and without the library's branches for arguments that do not occur here. Beyond
``2²⁰`` rad the C library takes over.
"""

from __future__ import annotations

import math

from .jit import inlined

__all__ = ["sincos"]

_TWO_OVER_PI = 2.0 / math.pi
# π/2 in three parts (Cephes' DP1, DP2, DP3 for π/4, doubled: exact), so that k·part is exact
_PIO2_A = 1.57079625129699707031e0
_PIO2_B = 7.54978941586159635335e-8
_PIO2_C = 5.39030285815811905290e-15
_LARGE = 1048576.0  # 2²⁰
# sin r = r + r³ S(r²), cos r = 1 - r²/2 + r⁴ C(r²) on [-π/4, π/4] (Cephes sincof, coscof)
_S0, _S1, _S2 = 1.58962301576546568060e-10, -2.50507477628578072866e-8, 2.75573136213857245213e-6
_S3, _S4, _S5 = -1.98412698295895385996e-4, 8.33333333332211858878e-3, -1.66666666666666307295e-1
_C0, _C1, _C2 = -1.13585365213876817300e-11, 2.08757008419747316778e-9, -2.75573141792967388112e-7
_C3, _C4, _C5 = 2.48015872888517045348e-5, -1.38888888888730564116e-3, 4.16666666666665929218e-2


@inlined
def sincos(x: float) -> tuple[float, float]:
    """``(sin x, cos x)`` for ``x`` [rad]."""
    if not abs(x) < _LARGE:  # also nan and inf
        return math.sin(x), math.cos(x)
    k = math.floor(x * _TWO_OVER_PI + 0.5)
    r = ((x - k * _PIO2_A) - k * _PIO2_B) - k * _PIO2_C
    z = r * r
    s = r + r * z * (((((_S0 * z + _S1) * z + _S2) * z + _S3) * z + _S4) * z + _S5)
    c = 1.0 - 0.5 * z + z * z * (((((_C0 * z + _C1) * z + _C2) * z + _C3) * z + _C4) * z + _C5)
    quadrant = int(k) & 3
    if quadrant == 0:
        return s, c
    if quadrant == 1:
        return c, -s
    if quadrant == 2:
        return -s, -c
    return -c, s
