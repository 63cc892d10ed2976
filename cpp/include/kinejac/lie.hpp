// SO(3) and SE(3) maps: exp, log and the Jacobians of the log, on 3x3 row-major rotations and
// 3-vectors, without allocation.
//
// Conventions as in pinocchio: a twist is [v; ω]; log6(R, p) is the [v; ω] with exp6([v; ω]) = (R, p);
// Jlog3(R) and Jlog6(R, p) are the right Jacobians of the logs (log(M exp(δ)) ≈ log(M) + Jlog(M) δ),
// in pinocchio's closed form. Angles below kSmall use Taylor expansions, angles beyond kNearPi take
// the axis from the symmetric part of R.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

// A small function the hot loops need inlined where the compiler's size heuristics would not.
#if defined(__GNUC__) || defined(__clang__)
#define KINEJAC_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define KINEJAC_ALWAYS_INLINE inline
#endif

namespace kinejac {

inline constexpr double kPi = 3.14159265358979323846;
inline constexpr double kTwoPi = 2.0 * kPi;

// The sine and cosine of x [rad] together. The angle is reduced by multiples of π/2 (Cody and
// Waite's three-part constant, exact products for |x| < 2^20) and the minimax polynomials of
// Cephes' sin.c (S. L. Moshier, "Methods and Programs for Mathematical Functions", 1989) are
// evaluated on [-π/4, π/4]: within a few units in the last place of the C library, inline.
// Beyond 2^20 rad (and for nan, inf) the C library takes over.
inline void sincos(double x, double& s, double& c) {
    constexpr double kLarge = 1048576.0;  // 2^20
    if (!(std::fabs(x) < kLarge)) {
        s = std::sin(x);
        c = std::cos(x);
        return;
    }
    constexpr double kTwoOverPi = 2.0 / kPi;
    constexpr double kA = 1.57079625129699707031e0, kB = 7.54978941586159635335e-8,
                     kC = 5.39030285815811905290e-15;  // π/2 in three parts
    // k = floor(v) by truncation (|v| < 2^20: no overflow; v ≠ -0, so no zero's sign to keep): the
    // x86-64 baseline has no rounding instruction, and this reuses the integer for the quadrant
    const double v = x * kTwoOverPi + 0.5;
    int64_t ki = static_cast<int64_t>(v);
    if (static_cast<double>(ki) > v) --ki;
    const double k = static_cast<double>(ki);
    const double r = ((x - k * kA) - k * kB) - k * kC;
    const double z = r * r;
    const double sr = r + r * z * (((((1.58962301576546568060e-10 * z - 2.50507477628578072866e-8) * z +
                                     2.75573136213857245213e-6) * z - 1.98412698295895385996e-4) * z +
                                   8.33333333332211858878e-3) * z - 1.66666666666666307295e-1);
    const double cr = 1.0 - 0.5 * z + z * z * (((((-1.13585365213876817300e-11 * z + 2.08757008419747316778e-9) * z -
                                                 2.75573141792967388112e-7) * z + 2.48015872888517045348e-5) * z -
                                               1.38888888888730564116e-3) * z + 4.16666666666665929218e-2);
    switch (ki & 3) {
        case 0: s = sr; c = cr; return;
        case 1: s = cr; c = -sr; return;
        case 2: s = -sr; c = -cr; return;
        default: s = -cr; c = sr; return;
    }
}

// atan(t) for t ≥ 0: reduced to |t| ≤ 0.66 by atan(t) = π/4 + atan((t - 1)/(t + 1)) and
// atan(t) = π/2 - atan(1/t), then the rational minimax approximation of Cephes' atan.c (Moshier,
// as above; the constants are π/2 and π/4 with their rounding error added back): within one unit
// in the last place of the C library, inline and with no data-dependent call.
inline double atan_nonnegative(double t) {
    constexpr double kTan3Pi8 = 2.41421356237309504880, kMoreBits = 6.123233995736765886130e-17;
    double base = 0.0, extra = 0.0;
    if (t > kTan3Pi8) {
        base = 0.5 * kPi;
        extra = kMoreBits;
        t = -1.0 / t;
    } else if (t > 0.66) {
        base = 0.25 * kPi;
        extra = 0.5 * kMoreBits;
        t = (t - 1.0) / (t + 1.0);
    }
    const double z = t * t;
    const double p = (((-8.750608600031904122785e-1 * z - 1.615753718733365076637e1) * z - 7.500855792314704667340e1) * z -
                      1.228866684490136173410e2) * z - 6.485021904942025371773e1;
    const double q = ((((z + 2.485846490142306297962e1) * z + 1.650270098316988542046e2) * z + 4.328810604912902668951e2) * z +
                      4.853903996359136964868e2) * z + 1.945506571482613964425e2;
    return base + (t + t * z * p / q + extra);
}

// atan2(y, x) [rad] in [-π, π], as std::atan2 to a few units in the last place; zeros, infinities
// and nan go to the C library.
inline double fast_atan2(double y, double x) {
    const double ax = std::fabs(x), ay = std::fabs(y);
    if (!(ax > 0.0) || !(ax < std::numeric_limits<double>::infinity()) || !(ay < std::numeric_limits<double>::infinity()))
        return std::atan2(y, x);
    double r = atan_nonnegative(ay / ax);
    if (std::signbit(x)) r = kPi - r;
    return std::copysign(r, y);
}

// acos(c) [rad] for c in [-1, 1] (clamped), as atan2(√((1 - c)(1 + c)), c).
inline double fast_acos(double c) {
    c = std::fmin(1.0, std::fmax(-1.0, c));
    return fast_atan2(std::sqrt((1.0 - c) * (1.0 + c)), c);
}

// ω = log3(R) into w (3); returns the angle θ = ‖ω‖ in [0, π].
inline double log3(const double* R, double* w) {
    constexpr double kNearPi = 3.0;
    constexpr double kEps = std::numeric_limits<double>::epsilon();
    w[0] = R[7] - R[5];
    w[1] = R[2] - R[6];
    w[2] = R[3] - R[1];
    const double s2 = std::sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2]);  // 2 sin θ
    const double c2 = R[0] + R[4] + R[8] - 1.0;                            // 2 cos θ
    double t = std::atan2(s2, c2);
    if (t <= kNearPi) {
        const double f = s2 > 1e-300 ? t / s2 : 0.5;
        w[0] *= f;
        w[1] *= f;
        w[2] *= f;
        return t;
    }
    // near π: the axis from the diagonal, its sign from the antisymmetric part
    const double tr = R[0] + R[4] + R[8];
    int i0 = 0;
    double best = 2.0 * R[0] - tr + 1.0;
    for (int i = 1; i < 3; ++i) {
        const double v = 2.0 * R[4 * i] - tr + 1.0;
        if (v > best) {
            best = v;
            i0 = i;
        }
    }
    const int i1 = (i0 + 1) % 3, i2 = (i0 + 2) % 3;
    double s = std::sqrt(best + kEps + kEps * kEps);
    if (R[3 * i2 + i1] < R[3 * i1 + i2]) s = -s;
    const double a0 = 0.5 * s;
    const double a1 = (R[3 * i1 + i0] + R[3 * i0 + i1]) / (2.0 * s);
    const double a2 = (R[3 * i2 + i0] + R[3 * i0 + i2]) / (2.0 * s);
    const double c = (R[3 * i2 + i1] - R[3 * i1 + i2]) / (2.0 * s);
    const double n = std::sqrt(a0 * a0 + a1 * a1 + a2 * a2);
    t = 2.0 * std::atan2(n, c);
    const double f = t / n;
    w[i0] = a0 * f;
    w[i1] = a1 * f;
    w[i2] = a2 * f;
    return t;
}

// α, β and β̇/θ of the log Jacobians (pinocchio's closed forms; Taylor below 0.2 rad, where the
// truncation and the closed forms' rounding are both below 1e-13).
struct LogCoefficients {
    double alpha, beta, bdot;
};

inline LogCoefficients log_coefficients(double t) {
    if (t < 0.2) {  // α = (θ/2) cot(θ/2) = 1 - Σ |B₂ₙ| θ²ⁿ / (2n)!, β = (1 - α)/θ²
        const double u = t * t;
        return {1.0 - u * (1.0 / 12.0 + u * (1.0 / 720.0 + u * (1.0 / 30240.0 + u / 1209600.0))),
                1.0 / 12.0 + u * (1.0 / 720.0 + u * (1.0 / 30240.0 + u * (1.0 / 1209600.0 + u / 47900160.0))),
                1.0 / 360.0 + u * (1.0 / 7560.0 + u * (1.0 / 201600.0 + u / 5987520.0))};
    }
    const double t2 = t * t, st = std::sin(t), h = std::sin(0.5 * t);
    const double omc = 2.0 * h * h;  // 1 - cos θ without cancellation
    return {t * st / (2.0 * omc), 1.0 / t2 - st / (2.0 * t * omc),
            -2.0 / (t2 * t2) + (t + st) / (2.0 * t2 * t * omc)};
}

// M (3x3) += d I + ½ [v]ₓ
inline void add_diag_skew(double* M, double d, double v0, double v1, double v2) {
    M[0] += d;
    M[4] += d;
    M[8] += d;
    M[1] -= 0.5 * v2;
    M[2] += 0.5 * v1;
    M[3] += 0.5 * v2;
    M[5] -= 0.5 * v0;
    M[6] -= 0.5 * v1;
    M[7] += 0.5 * v0;
}

// A (3x3) = Jlog3 of the rotation whose log is w with angle t.
inline void jlog3(const double* w, double t, double* A) {
    const LogCoefficients k = log_coefficients(t);
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) A[3 * i + j] = k.beta * w[i] * w[j];
    add_diag_skew(A, k.alpha, w[0], w[1], w[2]);
}

// e (6) = log6(R, p) [v; ω] and the blocks of Jlog6 = [[A, C A], [0, A]], A = Jlog3, in one pass;
// returns the angle θ.
inline double log6_jlog6(const double* R, const double* p, double* e, double* A, double* C) {
    double* w = e + 3;
    const double t = log3(R, w);
    const LogCoefficients k = log_coefficients(t);
    const double w0 = w[0], w1 = w[1], w2 = w[2], p0 = p[0], p1 = p[1], p2 = p[2];
    const double wp = w0 * p0 + w1 * p1 + w2 * p2;
    const double bwp = k.beta * wp;
    e[0] = k.alpha * p0 - 0.5 * (w1 * p2 - w2 * p1) + bwp * w0;
    e[1] = k.alpha * p1 - 0.5 * (w2 * p0 - w0 * p2) + bwp * w1;
    e[2] = k.alpha * p2 - 0.5 * (w0 * p1 - w1 * p0) + bwp * w2;
    const double kk = t * t * k.bdot + 2.0 * k.beta;
    const double v[3] = {k.bdot * wp * w0 - kk * p0, k.bdot * wp * w1 - kk * p1, k.bdot * wp * w2 - kk * p2};
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) {
            A[3 * i + j] = k.beta * w[i] * w[j];
            C[3 * i + j] = v[i] * w[j] + k.beta * w[i] * p[j];
        }
    add_diag_skew(A, k.alpha, w0, w1, w2);
    add_diag_skew(C, bwp, p0, p1, p2);
    return t;
}

// (1 - cos t) / t², accurate at every angle.
inline double versine(double t) {
    if (t < 1e-4) return 0.5 - t * t / 24.0;
    const double h = std::sin(0.5 * t);
    return 2.0 * h * h / (t * t);
}

// out (3) = V(ω) v, the translation of exp6([v; ω]) (the left Jacobian of SO(3) times v).
inline void exp3_left(double w0, double w1, double w2, double v0, double v1, double v2, double* out) {
    const double t2 = w0 * w0 + w1 * w1 + w2 * w2;
    const double t = std::sqrt(t2);
    const double b = versine(t);
    const double c = t < 0.2 ? 1.0 / 6.0 - t2 * (1.0 / 120.0 - t2 * (1.0 / 5040.0 - t2 / 362880.0))
                             : (t - std::sin(t)) / (t2 * t);  // (t - sin t) / t³
    // V = I + b [ω]ₓ + c [ω]ₓ²,  [ω]ₓ v = ω × v,  [ω]ₓ² v = ω (ω·v) - t² v
    const double x0 = w1 * v2 - w2 * v1, x1 = w2 * v0 - w0 * v2, x2 = w0 * v1 - w1 * v0;
    const double wv = w0 * v0 + w1 * v1 + w2 * v2;
    out[0] = v0 + b * x0 + c * (w0 * wv - t2 * v0);
    out[1] = v1 + b * x1 + c * (w1 * wv - t2 * v1);
    out[2] = v2 + b * x2 + c * (w2 * wv - t2 * v2);
}

// R (3x3) of the unit quaternion (x, y, z, w) (pinocchio's order).
inline void quat_to_rot(double x, double y, double z, double w, double* R) {
    R[0] = 1.0 - 2.0 * (y * y + z * z);
    R[1] = 2.0 * (x * y - z * w);
    R[2] = 2.0 * (x * z + y * w);
    R[3] = 2.0 * (x * y + z * w);
    R[4] = 1.0 - 2.0 * (x * x + z * z);
    R[5] = 2.0 * (y * z - x * w);
    R[6] = 2.0 * (x * z - y * w);
    R[7] = 2.0 * (y * z + x * w);
    R[8] = 1.0 - 2.0 * (x * x + y * y);
}

}  // namespace kinejac
