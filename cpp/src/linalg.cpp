// Damped normal equations and the symmetric eigensolver (see linalg.hpp).
#include "kinejac/linalg.hpp"

#include <algorithm>
#include <limits>

namespace kinejac {

void symmetric_eigen(double* S, int n, double* w, double* V) {
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) V[i * n + j] = i == j ? 1.0 : 0.0;
    for (int sweep = 0; sweep < 100; ++sweep) {
        double off = 0.0, scale = 0.0;
        for (int i = 0; i < n; ++i)
            for (int j = 0; j < n; ++j) (i == j ? scale : off) += S[i * n + j] * S[i * n + j];
        if (off <= 1e-30 * scale || off == 0.0) break;
        for (int p = 0; p < n - 1; ++p)
            for (int q = p + 1; q < n; ++q) {
                const double apq = S[p * n + q];
                if (apq == 0.0) continue;
                // the rotation that zeroes S[p, q] (Golub & Van Loan, Algorithm 8.4.1)
                const double tau = (S[q * n + q] - S[p * n + p]) / (2.0 * apq);
                const double t = (tau >= 0.0 ? 1.0 : -1.0) / (std::fabs(tau) + std::sqrt(1.0 + tau * tau));
                const double c = 1.0 / std::sqrt(1.0 + t * t), s = t * c;
                for (int k = 0; k < n; ++k) {  // S ← S G (columns p, q)
                    const double sp = S[k * n + p], sq = S[k * n + q];
                    S[k * n + p] = c * sp - s * sq;
                    S[k * n + q] = s * sp + c * sq;
                }
                for (int k = 0; k < n; ++k) {  // S ← Gᵀ S (rows p, q)
                    const double sp = S[p * n + k], sq = S[q * n + k];
                    S[p * n + k] = c * sp - s * sq;
                    S[q * n + k] = s * sp + c * sq;
                }
                for (int k = 0; k < n; ++k) {  // V ← V G
                    const double vp = V[k * n + p], vq = V[k * n + q];
                    V[k * n + p] = c * vp - s * vq;
                    V[k * n + q] = s * vp + c * vq;
                }
            }
    }
    for (int i = 0; i < n; ++i) w[i] = S[i * n + i];
}

void symmetric_lstsq(double* S, const double* b, int n, double* x) {
    std::vector<double> w(n), V(static_cast<size_t>(n) * n);
    symmetric_eigen(S, n, w.data(), V.data());
    double big = 0.0;
    for (double l : w) big = std::max(big, std::fabs(l));
    const double cut = n * std::numeric_limits<double>::epsilon() * big;
    for (int i = 0; i < n; ++i) x[i] = 0.0;
    for (int k = 0; k < n; ++k) {
        if (!(std::fabs(w[k]) > cut)) continue;
        double vb = 0.0;
        for (int i = 0; i < n; ++i) vb += V[i * n + k] * b[i];
        vb /= w[k];
        for (int i = 0; i < n; ++i) x[i] += vb * V[i * n + k];
    }
}

SingularRange singular_range(const double* J, int m, int n) {
    const int k = std::min(m, n);
    if (k <= 0) return {0.0, 0.0};
    std::vector<double> G(static_cast<size_t>(k) * k), w(k), V(static_cast<size_t>(k) * k);
    for (int i = 0; i < k; ++i)
        for (int j = 0; j < k; ++j) {
            double s = 0.0;
            if (m <= n)
                for (int c = 0; c < n; ++c) s += J[i * n + c] * J[j * n + c];
            else
                for (int r = 0; r < m; ++r) s += J[r * n + i] * J[r * n + j];
            G[i * k + j] = s;
        }
    symmetric_eigen(G.data(), k, w.data(), V.data());
    const auto [lo, hi] = std::minmax_element(w.begin(), w.end());
    return {std::sqrt(std::max(0.0, *lo)), std::sqrt(std::max(0.0, *hi))};
}

namespace {

// δ = -Jᵀ (J Jᵀ + λI)⁻¹ e through the m x m system (m <= n): M and N are the sizes when known at
// compile time (the full pose of a 6- or 7-joint arm: the loops unroll), else 0 (m and n at run
// time). False where Cholesky finds the system not positive definite (x undefined then).
template <int M, int N>
bool small_step(const double* J, const double* e, int m_, int n_, double lam, double* A, double* b, double* x,
                double* delta) {
    const int m = M ? M : m_, n = N ? N : n_, k = m;
    for (int i = 0; i < m; ++i) {
        for (int j = 0; j <= i; ++j) {
            double s = 0.0;
            for (int c = 0; c < n; ++c) s += J[i * n + c] * J[j * n + c];
            A[i * k + j] = s;
        }
        A[i * k + i] += lam;
        b[i] = e[i];
    }
    if (!cholesky_solve(A, k, b, k, x)) return false;
    for (int c = 0; c < n; ++c) {
        double s = 0.0;
        for (int i = 0; i < m; ++i) s += J[i * n + c] * x[i];
        delta[c] = -s;
    }
    return true;
}

}  // namespace

void damped_step(const double* J, const double* e, int m, int n, double lam, LinearWork& work, double* delta,
                 const double* Hc, const double* bc, bool extra) {
    const bool small = m <= n && !extra;
    const int k = small ? m : n;
    double* A = work.A.data();
    double* b = work.b.data();
    double* x = work.x.data();
    if (small) {
        bool ok;
        if (m == 6 && n == 6)
            ok = small_step<6, 6>(J, e, m, n, lam, A, b, x, delta);
        else if (m == 6 && n == 7)
            ok = small_step<6, 7>(J, e, m, n, lam, A, b, x, delta);
        else
            ok = small_step<0, 0>(J, e, m, n, lam, A, b, x, delta);
        if (ok) return;
    } else {
        for (int i = 0; i < n; ++i) {
            double s = 0.0;
            for (int r = 0; r < m; ++r) s += J[r * n + i] * e[r];
            b[i] = s;
            for (int j = 0; j <= i; ++j) {
                s = 0.0;
                for (int r = 0; r < m; ++r) s += J[r * n + i] * J[r * n + j];
                A[i * k + j] = s;
            }
            A[i * k + i] += lam;
        }
        if (extra)
            for (int i = 0; i < n; ++i) {
                b[i] += bc[i];
                for (int j = 0; j <= i; ++j) A[i * k + j] += Hc[i * n + j];
            }
        if (cholesky_solve(A, k, b, k, x)) {
            for (int c = 0; c < n; ++c) delta[c] = -x[c];
            return;
        }
    }
    // not positive definite: least squares on the whole system
    double* S = work.fallback.data();
    for (int i = 0; i < k; ++i)
        for (int j = 0; j < k; ++j) {
            double s = i == j ? lam : 0.0;
            if (small) {
                for (int c = 0; c < n; ++c) s += J[i * n + c] * J[j * n + c];
            } else {
                for (int r = 0; r < m; ++r) s += J[r * n + i] * J[r * n + j];
                if (extra) s += Hc[std::max(i, j) * n + std::min(i, j)];
            }
            S[i * k + j] = s;
        }
    if (small)
        for (int i = 0; i < m; ++i) b[i] = e[i];
    symmetric_lstsq(S, b, k, x);
    if (small) {
        for (int c = 0; c < n; ++c) {
            double s = 0.0;
            for (int i = 0; i < m; ++i) s += J[i * n + c] * x[i];
            delta[c] = -s;
        }
    } else {
        for (int c = 0; c < n; ++c) delta[c] = -x[c];
    }
}

}  // namespace kinejac
