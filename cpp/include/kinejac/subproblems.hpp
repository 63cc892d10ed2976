// The Paden–Kahan subproblems on 3-vectors: the building blocks of closed-form IK.
//
// Rotations are about unit axes through the origin, θ in radians, rot(k, θ) by Rodrigues' formula
//     rot(k, θ) p = (k·p) k + cos θ (p - (k·p) k) + sin θ (k × p).
// Subproblems 1-3 as in Paden (1986) and Murray, Li & Sastry, "A Mathematical Introduction to
// Robotic Manipulation" (1994), §3.2; subproblem 4 and the conventions for inconsistent inputs
// (least-squares answers flagged, so a caller can keep or drop them) after Elias & Wen, "IK-Geo:
// Unified robot inverse kinematics using subproblem decomposition" (Mechanism and Machine Theory,
// 2025). This is kinejac's own implementation of those published formulas.
//
// Every function is allocation-free and branch-light; "degenerate" means the answer is not unique
// (an axis along the vector it should turn): the caller decides the free angle.
#pragma once

#include <algorithm>
#include <cmath>

#include "kinejac/lie.hpp"

namespace kinejac {

struct V3 {
    double x = 0.0, y = 0.0, z = 0.0;
};

inline V3 operator+(const V3& a, const V3& b) { return {a.x + b.x, a.y + b.y, a.z + b.z}; }
inline V3 operator-(const V3& a, const V3& b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
inline V3 operator-(const V3& a) { return {-a.x, -a.y, -a.z}; }
inline V3 operator*(double s, const V3& a) { return {s * a.x, s * a.y, s * a.z}; }
inline double dot(const V3& a, const V3& b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
inline V3 cross(const V3& a, const V3& b) {
    return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
inline double norm(const V3& a) { return std::sqrt(dot(a, a)); }

// rot(k, θ) p for a unit axis k, given c = cos θ and s = sin θ.
inline V3 rotate_cs(const V3& k, double c, double s, const V3& p) {
    const double kp = dot(k, p);
    const V3 kxp = cross(k, p);
    return {kp * k.x + c * (p.x - kp * k.x) + s * kxp.x, kp * k.y + c * (p.y - kp * k.y) + s * kxp.y,
            kp * k.z + c * (p.z - kp * k.z) + s * kxp.z};
}

// rot(k, θ) p for a unit axis k.
inline V3 rotate(const V3& k, double theta, const V3& p) {
    double s, c;
    sincos(theta, s, c);
    const double kp = dot(k, p);
    const V3 kxp = cross(k, p);
    return {kp * k.x + c * (p.x - kp * k.x) + s * kxp.x, kp * k.y + c * (p.y - kp * k.y) + s * kxp.y,
            kp * k.z + c * (p.z - kp * k.z) + s * kxp.z};
}

// R (3x3 row-major) = rot(k, θ).
inline void rotation(const V3& k, double theta, double* R) {
    double s, c;
    sincos(theta, s, c);
    const double t = 1.0 - c;
    R[0] = c + k.x * k.x * t;
    R[4] = c + k.y * k.y * t;
    R[8] = c + k.z * k.z * t;
    R[1] = k.x * k.y * t - k.z * s;
    R[3] = k.x * k.y * t + k.z * s;
    R[2] = k.x * k.z * t + k.y * s;
    R[6] = k.x * k.z * t - k.y * s;
    R[5] = k.y * k.z * t - k.x * s;
    R[7] = k.y * k.z * t + k.x * s;
}

inline V3 mul(const double* R, const V3& v) {
    return {R[0] * v.x + R[1] * v.y + R[2] * v.z, R[3] * v.x + R[4] * v.y + R[5] * v.z,
            R[6] * v.x + R[7] * v.y + R[8] * v.z};
}
inline V3 mul_t(const double* R, const V3& v) {  // Rᵀ v
    return {R[0] * v.x + R[3] * v.y + R[6] * v.z, R[1] * v.x + R[4] * v.y + R[7] * v.z,
            R[2] * v.x + R[5] * v.y + R[8] * v.z};
}
// C = A B (3x3 row-major); C may not alias A or B.
inline void mul33(const double* A, const double* B, double* C) {
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) C[3 * i + j] = A[3 * i] * B[j] + A[3 * i + 1] * B[3 + j] + A[3 * i + 2] * B[6 + j];
}
// C = Aᵀ B
inline void mul33_tn(const double* A, const double* B, double* C) {
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) C[3 * i + j] = A[i] * B[j] + A[3 + i] * B[3 + j] + A[6 + i] * B[6 + j];
}

// Below this fraction of the vectors' length an answer counts as degenerate (the axis is along the
// vector), and a discriminant as zero (a tangency: one double root).
inline constexpr double kSubproblemEps = 1e-9;

// Subproblem 1: θ with rot(k, θ) p = q. Only the components of p and q across k matter:
//     θ = atan2(k · (p' × q'), p' · q'),   p' = p - (k·p) k,  q' = q - (k·q) k,
// the least-squares angle when |p'| ≠ |q'|. When p' or q' vanishes (a vector along k) every θ is
// an answer: `degenerate` is set and `free_angle` returned (the caller's preferred value).
inline double sp1(const V3& p, const V3& q, const V3& k, double free_angle, bool& degenerate) {
    const V3 pp = p - dot(k, p) * k, qq = q - dot(k, q) * k;
    // ‖p'‖ > ε max(‖p‖, ‖q‖) and the same for q', compared squared (no square roots)
    const double floor2 = kSubproblemEps * kSubproblemEps * std::max(dot(p, p), dot(q, q));
    degenerate = !(dot(pp, pp) > floor2) || !(dot(qq, qq) > floor2);
    return degenerate ? free_angle : fast_atan2(dot(k, cross(pp, qq)), dot(pp, qq));
}

// Up to two angles; `tangent` when the two roots merged (the equation is at its extremum) or were
// pulled together from a slightly inconsistent input; `degenerate` when every angle solves it;
// `least_squares` when the equation has no root and the angle is the closest it comes (within the
// caller's slack).
struct Angles {
    int n = 0;
    double theta[2] = {0.0, 0.0};
    bool tangent = false, degenerate = false, least_squares = false;
};

// Subproblem 4: θ with hᵀ rot(k, θ) p = d. By Rodrigues the left side is
//     (k·p)(h·k) + A cos θ + B sin θ,   A = h·p - (k·p)(h·k),  B = h · (k × p),
// so with ρ = √(A² + B²), φ = atan2(B, A) and c = d - (k·p)(h·k): cos(θ - φ) = c / ρ, two roots
// θ = φ ± acos(c/ρ) when |c| < ρ. `scale` is the size of the numbers involved (|h||p|): a |c| beyond ρ
// by less than kSubproblemEps · scale is rounding, and gives the one root at the extremum; beyond that
// and up to slack · scale, the extremum is returned as a least-squares answer (a chain only near its
// family: the real one may reach what its idealised copy misses). When the left side does not depend
// on θ and equals d, every θ is a root: `free_angle` is returned.
inline Angles sp4(const V3& h, const V3& p, const V3& k, double d, double scale, double free_angle,
                  double slack = kSubproblemEps) {
    Angles out;
    const double kp = dot(k, p), hk = dot(h, k);
    const double A = dot(h, p) - kp * hk, B = dot(h, cross(k, p));
    const double c = d - kp * hk, rho = std::sqrt(A * A + B * B);
    const double tol = kSubproblemEps * scale;
    if (!(rho > tol)) {  // the left side does not depend on θ
        out.degenerate = std::fabs(c) <= tol;
        out.n = out.degenerate ? 1 : 0;
        out.theta[0] = free_angle;
        return out;
    }
    const double phi = fast_atan2(B, A);
    if (std::fabs(c) >= rho) {
        if (std::fabs(c) - rho > std::fmax(tol, slack * scale)) return out;  // out of reach
        out.n = 1;
        out.least_squares = std::fabs(c) - rho > tol;
        out.tangent = !out.least_squares;
        out.theta[0] = c > 0.0 ? phi : phi + kPi;
        return out;
    }
    const double a = fast_acos(c / rho);
    out.n = 2;
    out.theta[0] = phi + a;
    out.theta[1] = phi - a;
    out.tangent = a < kSubproblemEps;
    return out;
}

// Subproblem 3: θ with ‖rot(k, θ) p - q‖ = d. Squaring, ‖p‖² + ‖q‖² - 2 qᵀ rot(k, θ) p = d²: subproblem 4
// with h = q and d' = (‖p‖² + ‖q‖² - d²) / 2.
inline Angles sp3(const V3& p, const V3& q, const V3& k, double d, double free_angle, double slack = kSubproblemEps) {
    const double pp = dot(p, p), qq = dot(q, q);
    return sp4(q, p, k, 0.5 * (pp + qq - d * d), std::fmax(pp + qq + d * d, 1e-300), free_angle, slack);
}

// Up to two pairs (θ1, θ2); `tangent`, `degenerate` and `least_squares` as for Angles (degenerate: a
// vector along its axis).
struct AnglePairs {
    int n = 0;
    double theta1[2] = {0.0, 0.0}, theta2[2] = {0.0, 0.0};
    bool tangent = false, degenerate = false, least_squares = false;
};

// Subproblem 2: (θ1, θ2) with rot(k1, θ1) p1 = rot(k2, θ2) p2, for axes that are not parallel. Both
// sides equal a vector c with k1·c = k1·p1, k2·c = k2·p2 and ‖c‖ = ‖p‖ (the mean of ‖p1‖ and ‖p2‖):
// writing c = α k1 + β k2 + γ (k1 × k2) with κ = k1·k2,
//     α = (k1·p1 - κ k2·p2) / (1 - κ²),  β = (k2·p2 - κ k1·p1) / (1 - κ²),
//     γ² ‖k1 × k2‖² = ‖p‖² - α² - β² - 2 α β κ,
// two solutions ±γ (one, tangent, when γ² is zero or negative by rounding), then θ1 (p1 onto c) and
// θ2 (p2 onto c) by subproblem 1 (a vector along its axis leaves that angle free: free1, free2).
inline AnglePairs sp2(const V3& p1, const V3& p2, const V3& k1, const V3& k2, double free1, double free2,
                      double slack = kSubproblemEps) {
    AnglePairs out;
    const double kappa = dot(k1, k2), s2 = 1.0 - kappa * kappa;
    const double a1 = dot(k1, p1), a2 = dot(k2, p2);
    const double alpha = (a1 - kappa * a2) / s2, beta = (a2 - kappa * a1) / s2;
    const double n1 = norm(p1), n2 = norm(p2), nn = 0.5 * (n1 + n2);
    const double g2 = (nn * nn - alpha * alpha - beta * beta - 2.0 * alpha * beta * kappa) / s2;
    const double scale = std::fmax(nn * nn, 1e-300);
    const V3 base = alpha * k1 + beta * k2, kk = cross(k1, k2);
    double gammas[2];
    if (g2 * s2 < -std::fmax(kSubproblemEps, slack) * scale) return out;  // out of reach
    if (g2 * s2 <= kSubproblemEps * scale) {
        out.n = 1;
        out.least_squares = g2 * s2 < -kSubproblemEps * scale;
        out.tangent = !out.least_squares;
        gammas[0] = 0.0;
    } else {
        out.n = 2;
        gammas[0] = std::sqrt(g2);
        gammas[1] = -gammas[0];
    }
    for (int i = 0; i < out.n; ++i) {
        const V3 c = base + gammas[i] * kk;
        bool d1 = false, d2 = false;
        out.theta1[i] = sp1(p1, c, k1, free1, d1);
        out.theta2[i] = sp1(p2, c, k2, free2, d2);
        out.degenerate = out.degenerate || d1 || d2;
    }
    return out;
}

}  // namespace kinejac
