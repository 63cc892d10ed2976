"""Small dense linear algebra for the compiled core: the damped normal equations by Cholesky.

``damped_step`` solves ``(J Jᵀ + λI) x = e`` (δ = -Jᵀx) when ``J`` has no more rows than columns,
else ``(JᵀJ + λI) δ = -Jᵀe``: the same step, through the smaller system. Columns flagged in ``mask``
are treated as zero (joints held on a limit). Where the matrix is not numerically positive
definite, a least-squares solve (LAPACK, rare) takes over.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["cholesky_solve", "damped_step"]

_JIT = {"cache": True, "nogil": True, "error_model": "numpy"}


@njit(**_JIT)
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
        for i in range(j + 1, n):
            v = A[i, j]
            for k in range(j):
                v -= A[i, k] * A[j, k]
            A[i, j] = v / d
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


@njit(**_JIT)
def damped_step(J, e, m, lam, mask, A, b, x, delta) -> None:
    """``delta (nv,) = -Jᵀ (J Jᵀ + λI)⁻¹ e = -(JᵀJ + λI)⁻¹ Jᵀ e`` for the first ``m`` rows of ``J``,
    columns in ``mask`` zeroed. ``x`` holds the solution of the system solved (``(m,)`` if
    ``m <= nv``, else ``(nv,)``); ``A``, ``b`` are scratch of at least ``max(m, nv)``."""
    n = J.shape[1]
    if m <= n:
        for i in range(m):
            for j in range(i + 1):
                s = 0.0
                for c in range(n):
                    if not mask[c]:
                        s += J[i, c] * J[j, c]
                A[i, j] = s
            A[i, i] += lam
        if not cholesky_solve(A, e, m, x):
            M = np.empty((m, m))
            for i in range(m):
                for j in range(m):
                    s = lam if i == j else 0.0
                    for c in range(n):
                        if not mask[c]:
                            s += J[i, c] * J[j, c]
                    M[i, j] = s
            x[:m] = np.linalg.lstsq(M, e[:m].copy())[0]
        for c in range(n):
            s = 0.0
            if not mask[c]:
                for i in range(m):
                    s += J[i, c] * x[i]
            delta[c] = -s
        return
    for i in range(n):
        s = 0.0
        if not mask[i]:
            for r in range(m):
                s += J[r, i] * e[r]
        b[i] = s
        for j in range(i + 1):
            s = 0.0
            if not (mask[i] or mask[j]):
                for r in range(m):
                    s += J[r, i] * J[r, j]
            A[i, j] = s
        A[i, i] += lam
    if not cholesky_solve(A, b, n, x):
        M = np.empty((n, n))
        for i in range(n):
            for j in range(n):
                s = lam if i == j else 0.0
                if not (mask[i] or mask[j]):
                    for r in range(m):
                        s += J[r, i] * J[r, j]
                M[i, j] = s
        x[:n] = np.linalg.lstsq(M, b[:n].copy())[0]
    for c in range(n):
        delta[c] = -x[c]
