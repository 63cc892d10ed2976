// Small dense linear algebra: the damped normal equations by Cholesky, and a symmetric eigensolver
// (cyclic Jacobi) for the rare indefinite system and for DLS's smallest singular value.
//
// damped_step solves (J Jᵀ + λI) x = e (δ = -Jᵀx) when J has no more rows than columns, else
// (JᵀJ + λI) δ = -Jᵀe: the same step, through the smaller system. Joints held on a limit are dropped
// by zeroing their columns first (without_columns). Matrices are row-major; J is (m, n).
#pragma once

#include <cmath>
#include <vector>

namespace kinejac {

// x[:n] with A x = b for symmetric positive definite A (n x n, row stride lda; its lower triangle is
// overwritten by the factor). False, and x undefined, if A is not positive definite to working precision.
inline bool cholesky_solve(double* A, int lda, const double* b, int n, double* x) {
    for (int j = 0; j < n; ++j) {
        double d = A[j * lda + j];
        for (int k = 0; k < j; ++k) d -= A[j * lda + k] * A[j * lda + k];
        if (!(d > 0.0)) return false;
        d = std::sqrt(d);
        A[j * lda + j] = d;
        const double inv = 1.0 / d;
        for (int i = j + 1; i < n; ++i) {
            double v = A[i * lda + j];
            for (int k = 0; k < j; ++k) v -= A[i * lda + k] * A[j * lda + k];
            A[i * lda + j] = v * inv;
        }
    }
    for (int i = 0; i < n; ++i) {  // L y = b
        double v = b[i];
        for (int k = 0; k < i; ++k) v -= A[i * lda + k] * x[k];
        x[i] = v / A[i * lda + i];
    }
    for (int i = n - 1; i >= 0; --i) {  // Lᵀ x = y
        double v = x[i];
        for (int k = i + 1; k < n; ++k) v -= A[k * lda + i] * x[k];
        x[i] = v / A[i * lda + i];
    }
    return true;
}

// The eigenvalues `w` (n) and eigenvectors (columns of V, n x n) of the symmetric S (n x n, full,
// overwritten), by cyclic Jacobi rotations.
void symmetric_eigen(double* S, int n, double* w, double* V);

// The minimum-norm least-squares solution x of the symmetric system S x = b (S overwritten), through
// its eigendecomposition, singular directions cut at n ε max |λ| (as LAPACK's gelsd by default).
void symmetric_lstsq(double* S, const double* b, int n, double* x);

struct SingularRange {
    double min, max;
};

// The smallest and largest singular values of the first m rows of J (m, n), from the eigenvalues of
// the smaller Gram matrix (ample precision for a damping threshold or a rank test).
SingularRange singular_range(const double* J, int m, int n);

// Work arrays of damped_step and of the eigensolver fallback, sized once.
struct LinearWork {
    std::vector<double> A, b, x;  // (k, k), (k,), (k,) with k = max(m, n, 1)
    std::vector<double> fallback;  // (k, k): the system rebuilt for the least-squares fallback
    void resize(int k) {
        A.assign(static_cast<size_t>(k) * k, 0.0);
        b.assign(k, 0.0);
        x.assign(k, 0.0);
        fallback.assign(static_cast<size_t>(k) * k, 0.0);
    }
};

// delta (n) = -Jᵀ (J Jᵀ + λI)⁻¹ e = -(JᵀJ + λI)⁻¹ Jᵀ e for the first m rows of J (m, n); with `extra`,
// -(JᵀJ + Hc + λI)⁻¹ (Jᵀ e + bc), Hc (n, n) and bc (n) being more residuals' Gauss-Newton terms.
// work.x holds the solution of the system solved ((m) if m <= n and no extra, else (n)). Where
// Cholesky finds the system not numerically positive definite, a least-squares solve takes over.
void damped_step(const double* J, const double* e, int m, int n, double lam, LinearWork& work, double* delta,
                 const double* Hc, const double* bc, bool extra);

}  // namespace kinejac
