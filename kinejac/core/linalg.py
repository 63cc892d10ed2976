"""Small dense linear algebra for the compiled core: the damped normal equations by Cholesky.

``damped_step`` solves ``(J Jᵀ + λI) x = e`` (δ = -Jᵀx) when ``J`` has no more rows than columns,
else ``(JᵀJ + λI) δ = -Jᵀe``: the same step, through the smaller system. Joints held on a limit
are dropped by zeroing their columns first (:func:`without_columns`). Where the matrix is not
numerically positive definite, a least-squares solve (LAPACK, rare) takes over.
"""

from __future__ import annotations

import math

import numpy as np

from .jit import allocating, inlined

__all__ = ["assign", "cholesky_solve", "damped_step", "without_columns"]


@inlined
def cholesky_solve(A: np.ndarray, b: np.ndarray, n: int, x: np.ndarray) -> bool:
    """``x[:n]`` with ``A[:n, :n] x = b[:n]`` for symmetric positive definite ``A`` (its lower
    triangle is overwritten by the factor). False, and ``x`` undefined, if ``A`` is not positive
    definite to working precision."""
    for j in range(n):
        d = A[j, j]
        for k in range(j):
            d -= A[j, k] * A[j, k]
        if not d > 0.0:
            return False
        d = math.sqrt(d)
        A[j, j] = d
        inv = 1.0 / d
        for i in range(j + 1, n):
            v = A[i, j]
            for k in range(j):
                v -= A[i, k] * A[j, k]
            A[i, j] = v * inv
    for i in range(n):  # L y = b
        v = b[i]
        for k in range(i):
            v -= A[i, k] * x[k]
        x[i] = v / A[i, i]
    for i in range(n - 1, -1, -1):  # Lᵀ x = y
        v = x[i]
        for k in range(i + 1, n):
            v -= A[k, i] * x[k]
        x[i] = v / A[i, i]
    return True


@inlined
def without_columns(J: np.ndarray, m: int, mask: np.ndarray, any_: bool, out: np.ndarray) -> np.ndarray:
    """``J`` itself, or (if ``any_``) a copy in ``out`` of its first ``m`` rows with the columns in
    ``mask`` zeroed."""
    if not any_:
        return J
    for r in range(m):
        for c in range(J.shape[1]):
            out[r, c] = 0.0 if mask[c] else J[r, c]
    return out


@inlined
def assign(dst: np.ndarray, src: np.ndarray) -> None:
    """``dst[...] = src`` for C-contiguous arrays of one size, element by element (numpy's slice
    assignment may copy, which the core's functions without reference counting cannot do)."""
    d, s = dst.flat, src.flat  # (a reshape here would call numba's generic reshape helper)
    for i in range(dst.size):
        d[i] = s[i]


@allocating
def _least_squares(J, m, lam, b, x, Hc, small, extra) -> None:
    """The damped system of :func:`damped_step` rebuilt whole and solved by least squares (LAPACK),
    for when Cholesky finds it not numerically positive definite (rare)."""
    n = J.shape[1]
    k = m if small else n
    M = np.empty((k, k))
    for i in range(k):
        for j in range(k):
            s = lam if i == j else 0.0
            if small:
                for c in range(n):
                    s += J[i, c] * J[j, c]
            else:
                for r in range(m):
                    s += J[r, i] * J[r, j]
                if extra:
                    s += Hc[max(i, j), min(i, j)]
            M[i, j] = s
    x[:k] = np.linalg.lstsq(M, b[:k].copy())[0]


@inlined
def damped_step(J, e, m, lam, A, b, x, delta, Hc, bc, extra) -> None:
    """``delta (nv,) = -Jᵀ (J Jᵀ + λI)⁻¹ e = -(JᵀJ + λI)⁻¹ Jᵀ e`` for the first ``m`` rows of ``J``;
    with ``extra``, ``-(JᵀJ + Hc + λI)⁻¹ (Jᵀ e + bc)`` (more residuals' Gauss-Newton terms, ``Hc (nv,
    nv)``, ``bc (nv,)``). ``x`` holds the solution of the system solved (``(m,)`` if ``m <= nv`` and
    no ``extra``, else ``(nv,)``); ``A``, ``b`` are scratch of at least ``max(m, nv)``."""
    n = J.shape[1]
    small = m <= n and not extra
    k = m if small else n
    if small:
        for i in range(m):
            for j in range(i + 1):
                s = 0.0
                for c in range(n):
                    s += J[i, c] * J[j, c]
                A[i, j] = s
            A[i, i] += lam
            b[i] = e[i]
    else:
        for i in range(n):
            s = 0.0
            for r in range(m):
                s += J[r, i] * e[r]
            b[i] = s
            for j in range(i + 1):
                s = 0.0
                for r in range(m):
                    s += J[r, i] * J[r, j]
                A[i, j] = s
            A[i, i] += lam
        if extra:
            for i in range(n):
                b[i] += bc[i]
                for j in range(i + 1):
                    A[i, j] += Hc[i, j]
    if not cholesky_solve(A, b, k, x):  # not positive definite: least squares
        _least_squares(J, m, lam, b, x, Hc, small, extra)
    if small:
        for c in range(n):
            s = 0.0
            for i in range(m):
                s += J[i, c] * x[i]
            delta[c] = -s
    else:
        for c in range(n):
            delta[c] = -x[c]
