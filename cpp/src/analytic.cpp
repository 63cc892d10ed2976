// Closed-form IK by subproblems, the 1-D searches, and the refinement into the robot (see analytic.hpp).
#include "kinejac/analytic.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kinejac/configuration.hpp"
#include "kinejac/pool.hpp"

namespace kinejac {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kLimitSlack = 1e-12;  // [rad]: an angle this far past a limit is put on it
constexpr int kFalsePositionSteps = 60;
constexpr double kPrefilterMargin = 1e-9;  // [rad] far more than an exact chain's refinement moves

// The point nearest to both lines o1 + s h1 and o2 + t h2 (their intersection when they meet): the
// midpoint of the closest points, from the normal equations s - b t = h1·r, b s - t = h2·r,
// r = o2 - o1, b = h1·h2 (the lines are not parallel: the family says so).
V3 meet(const V3& o1, const V3& h1, const V3& o2, const V3& h2) {
    const V3 r = o2 - o1;
    const double b = dot(h1, h2), d1 = dot(h1, r), d2 = dot(h2, r), den = 1.0 - b * b;
    const double s = (d1 - b * d2) / den, t = (b * d1 - d2) / den;
    return 0.5 * ((o1 + s * h1) + (o2 + t * h2));
}

// A unit vector across the unit vector h.
V3 across(const V3& h) {
    const V3 e = std::fabs(h.x) < 0.6 ? V3{1.0, 0.0, 0.0} : V3{0.0, 1.0, 0.0};
    const V3 c = cross(h, e);
    return (1.0 / norm(c)) * c;
}

// The angle of rot(h, θ) = R for a rotation R about h: subproblem 1 on a vector across h.
double angle_about(const V3& h, const double* R) {
    const V3 e = across(h);
    bool degenerate = false;
    return sp1(e, mul(R, e), h, 0.0, degenerate);
}

// x - 2πk in [-π, π] (std::remainder is exact but ten times slower; this is exact enough for angles)
double wrap_pi(double x) { return x - kTwoPi * std::floor(x * (1.0 / kTwoPi) + 0.5); }

// |x - y| modulo 2π below tol (the wrap only when the plain difference is not already small).
bool close_angles(double x, double y, double tol) {
    const double d = std::fabs(x - y);
    return d < tol || (d > kPi && std::fabs(wrap_pi(x - y)) < tol);
}

// The chain with its fixed joints folded in at their values in q: with G the motion of the fixed
// joints met so far, each later line is moved by G, and so is the tool; index[i] is the chain
// joint that becomes joint i of the 6-joint chain.
void fold(const Analytic& a, const double* q, Chain6& c, int* index) {
    double RG[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1}, R[9], RN[9];
    V3 tG;
    int n = 0;
    for (int j = 0; j < static_cast<int>(a.joints.size()); ++j) {
        const ChainJoint& J = a.joints[j];
        const V3 h = mul(RG, J.h), o = mul(RG, J.o) + tG;
        if (!J.fixed) {
            c.h[n] = h;
            c.o[n] = o;
            index[n++] = j;
            continue;
        }
        const double theta = J.continuous ? std::atan2(q[J.iq + 1], q[J.iq]) : q[J.iq];
        rotation(h, theta, R);  // exp(ξ θ) x = R x + (o - R o)
        mul33(R, RG, RN);
        std::copy(RN, RN + 9, RG);
        tG = mul(R, tG) + (o - mul(R, o));
    }
    mul33(RG, a.R0, c.R0);
    c.p0 = mul(RG, a.p0) + tG;
}

// The chain read from the tool back: T⁻¹(q) = exp(ξ'₀ q₅) ⋯ exp(ξ'₅ q₀) T₀⁻¹ with ξ'ᵢ = -Ad(T₀⁻¹) ξ₅₋ᵢ:
// line 5 - i moved by T₀⁻¹ = (R0ᵀ, -R0ᵀ p0), its axis negated, so the angles stay the same.
Chain6 reversed(const Chain6& c) {
    Chain6 r;
    r.slack = c.slack;
    for (int i = 0; i < 6; ++i) {
        r.h[i] = -mul_t(c.R0, c.h[5 - i]);
        r.o[i] = mul_t(c.R0, c.o[5 - i] - c.p0);
    }
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) r.R0[3 * i + j] = c.R0[3 * j + i];
    r.p0 = -mul_t(c.R0, c.p0);
    return r;
}

// Where the target puts a point W that the last joints do not move: W_t = T_t T₀⁻¹ W.
V3 moved_point(const Chain6& c, const double* Rt, const V3& pt, const V3& W) {
    return mul(Rt, mul_t(c.R0, W - c.p0)) + pt;
}

// M = R_t R0ᵀ (the rotation the six joints must make).
void joint_rotation(const Chain6& c, const double* Rt, double* M) {
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) M[3 * i + j] = Rt[3 * i] * c.R0[3 * j] + Rt[3 * i + 1] * c.R0[3 * j + 1] + Rt[3 * i + 2] * c.R0[3 * j + 2];
}

// R = rot(h_i, q_i) ⋯ rot(h_j, q_j) for chain joints i..j.
void rotations(const Chain6& c, int i, int j, const double* q, double* R) {
    double A[9], B[9];
    rotation(c.h[i], q[i], R);
    for (int k = i + 1; k <= j; ++k) {
        rotation(c.h[k], q[k], A);
        mul33(R, A, B);
        std::copy(B, B + 9, R);
    }
}

struct Triple {
    double qa, qb, qc;
    int branch;
    bool singular;
};

// Joints i, i+1, i+2 (a, b, c) of the chain move the point x to y,
//     y = o_a + R_a(o_b - o_a + R_b(o_c - o_b + R_c(x - o_c))),
// for a placement with a closed form (up to 4 solutions into out; see each case for its maths).
int place3(const Chain6& c, int i, int placement, const V3& x, const V3& y, const double* fr, Triple* out) {
    const V3 &ha = c.h[i], &hb = c.h[i + 1], &hc = c.h[i + 2];
    const V3 &oa = c.o[i], &ob = c.o[i + 1], &oc = c.o[i + 2];
    const double fa = fr[i], fb = fr[i + 1], fc = fr[i + 2];
    int n = 0;
    bool deg = false;
    switch (placement) {
        case BC_PARALLEL: {
            // v = R_aᵀ(y - o_a) + o_a - o_b = R_b w, w = o_c - o_b + R_c(x - o_c). R_b and R_c keep
            // components along h_b, so h_bᵀ R_aᵀ (y - o_a) = h_bᵀ (x - o_a): subproblem 4 for q_a
            // (rot(-h_a, q_a) = R_aᵀ); ‖w‖ = ‖v‖: subproblem 3 for q_c; R_b w = v: subproblem 1 for q_b.
            const V3 ya = y - oa, xc = x - oc;
            const Angles A = sp4(hb, ya, -ha, dot(hb, x - oa), std::fmax(norm(ya), norm(x - oa)), fa, c.slack);
            for (int s = 0; s < A.n; ++s) {
                const V3 v = rotate(ha, -A.theta[s], ya) + (oa - ob);
                const Angles C = sp3(xc, ob - oc, hc, norm(v), fc, c.slack);
                for (int t = 0; t < C.n; ++t) {
                    const V3 w = rotate(hc, C.theta[t], xc) + (oc - ob);
                    const double qb = sp1(w, v, hb, fb, deg);
                    out[n++] = {A.theta[s], qb, C.theta[t], 2 * s + t,
                                A.tangent || A.degenerate || C.tangent || C.degenerate || deg};
                }
            }
            return n;
        }
        case AB_INTERSECTING: {
            // a and b meet at O: y - O = R_a R_b w, w = o_c - O + R_c(x - o_c). ‖w‖ = ‖y - O‖: subproblem 3
            // for q_c; R_aᵀ (y - O) = R_b w: subproblem 2 for (q_a, q_b).
            const V3 O = meet(oa, ha, ob, hb), xc = x - oc;
            const Angles C = sp3(xc, O - oc, hc, norm(y - O), fc, c.slack);
            for (int t = 0; t < C.n; ++t) {
                const V3 w = rotate(hc, C.theta[t], xc) + (oc - O);
                const AnglePairs P = sp2(y - O, w, -ha, hb, fa, fb, c.slack);
                for (int s = 0; s < P.n; ++s)
                    out[n++] = {P.theta1[s], P.theta2[s], C.theta[t], 2 * t + s,
                                C.tangent || C.degenerate || P.tangent || P.degenerate};
            }
            return n;
        }
        case AB_PARALLEL: {
            // R_a and R_b keep components along h_a: h_aᵀ R_c (x - o_c) = h_aᵀ (y - o_c), subproblem 4
            // for q_c; with w = o_c - o_b + R_c(x - o_c), ‖R_b w - (o_a - o_b)‖ = ‖y - o_a‖: subproblem 3
            // for q_b; R_a (o_b - o_a + R_b w) = y - o_a: subproblem 1 for q_a.
            const V3 xc = x - oc, ya = y - oa;
            const Angles C = sp4(ha, xc, hc, dot(ha, y - oc), std::fmax(norm(xc), norm(y - oc)), fc, c.slack);
            for (int t = 0; t < C.n; ++t) {
                const V3 w = rotate(hc, C.theta[t], xc) + (oc - ob);
                const Angles B = sp3(w, oa - ob, hb, norm(ya), fb, c.slack);
                for (int s = 0; s < B.n; ++s) {
                    const V3 u = rotate(hb, B.theta[s], w) + (ob - oa);
                    const double qa = sp1(u, ya, ha, fa, deg);
                    out[n++] = {qa, B.theta[s], C.theta[t], 2 * t + s,
                                C.tangent || C.degenerate || B.tangent || B.degenerate || deg};
                }
            }
            return n;
        }
        case BC_INTERSECTING: {
            // b and c meet at O: v = R_aᵀ(y - o_a) + o_a - O = R_b R_c (x - O). ‖v‖ = ‖x - O‖: subproblem 3
            // for q_a; R_bᵀ v = R_c (x - O): subproblem 2 for (q_b, q_c).
            const V3 O = meet(ob, hb, oc, hc), ya = y - oa;
            const Angles A = sp3(ya, O - oa, -ha, norm(x - O), fa, c.slack);
            for (int s = 0; s < A.n; ++s) {
                const V3 v = rotate(ha, -A.theta[s], ya) + (oa - O);
                const AnglePairs P = sp2(v, x - O, -hb, hc, fb, fc, c.slack);
                for (int t = 0; t < P.n; ++t)
                    out[n++] = {A.theta[s], P.theta1[t], P.theta2[t], 2 * s + t,
                                A.tangent || A.degenerate || P.tangent || P.degenerate};
            }
            return n;
        }
        default:
            return 0;
    }
}

// A root of one branch of a 1-D search: the searched angle and the branch.
struct Root {
    double theta;
    int branch;
};

// The roots of f(θ, b) over one turn, for the branches b < nb. f is sampled on `samples` points of
// [-π, π) (eval(θ, sample)); a sign change between neighbours of one branch brackets a root, which
// false position refines (the Illinois variant: Dowell & Jarratt, BIT 1971). A branch that ends
// between two samples ends where it meets another one (the double root of a subproblem, found by
// bisection on its existence): the two form one curve through that point, so a sign change along
// either of them, from the last sample to the meeting point, brackets a root too. At most
// `max_roots` roots go into out.
template <class Eval>
int search_roots(Eval&& eval, int nb, int samples, std::vector<Sample>& grid, Root* out, int max_roots) {
    const double step = kTwoPi / samples;
    for (int k = 0; k < samples; ++k) eval(-kPi + k * step, grid[k]);
    grid[samples] = grid[0];  // θ = π is θ = -π
    int n = 0;
    Sample s;
    // the root of branch b in [a, c], with f(a) = fa and f(c) = fc of opposite signs (or one zero)
    auto refine = [&](int b, double a, double fa, double c, double fc) {
        if (fa == 0.0) return a;
        double root = c;
        int side = 0;
        for (int it = 0; it < kFalsePositionSteps && fc != 0.0; ++it) {
            const double m = (a * fc - c * fa) / (fc - fa);
            eval(m, s);
            root = m;
            if (!s.ok[b] || s.f[b] == 0.0 || c - a < 1e-15) break;
            if ((s.f[b] < 0.0) == (fa < 0.0)) {
                a = m;
                fa = s.f[b];
                if (side == -1) fc *= 0.5;
                side = -1;
            } else {
                c = m;
                fc = s.f[b];
                if (side == 1) fa *= 0.5;
                side = 1;
            }
        }
        return root;
    };
    auto changes = [](double x, double y) { return (x < 0.0 && y >= 0.0) || (x > 0.0 && y <= 0.0); };
    auto add = [&](double root, int b) {
        bool known = false;
        for (int m = 0; m < n && !known; ++m) known = out[m].branch == b && std::fabs(wrap_pi(out[m].theta - root)) < 1e-9;
        if (!known && n < max_roots) out[n++] = {root, b};
    };
    // branch b keeps one sign at both ends of [lo, hi] (values flo, fhi): minimise s·f there (s that
    // sign) by golden section; a minimum of the other sign brackets two roots
    auto dip = [&](int b, double lo, double flo, double hi, double fhi) {
        constexpr double kGold = 0.3819660112501051;
        const double sg = flo > 0.0 ? 1.0 : -1.0, fallback = std::fmax(sg * flo, sg * fhi);
        double x1 = lo + kGold * (hi - lo), x2 = hi - kGold * (hi - lo), a = lo, c = hi;
        eval(x1, s);
        double g1 = s.ok[b] ? sg * s.f[b] : fallback;
        eval(x2, s);
        double g2 = s.ok[b] ? sg * s.f[b] : fallback;
        for (int it = 0; it < 30 && std::min(g1, g2) > 0.0 && c - a > 1e-12; ++it) {
            if (g1 < g2) {
                c = x2;
                x2 = x1;
                g2 = g1;
                x1 = a + kGold * (c - a);
                eval(x1, s);
                g1 = s.ok[b] ? sg * s.f[b] : fallback;
            } else {
                a = x1;
                x1 = x2;
                g1 = g2;
                x2 = c - kGold * (c - a);
                eval(x2, s);
                g2 = s.ok[b] ? sg * s.f[b] : fallback;
            }
        }
        if (std::min(g1, g2) > 0.0) return;
        const double xm = g1 < g2 ? x1 : x2, fm = sg * std::min(g1, g2);
        add(refine(b, lo, flo, xm, fm), b);
        add(refine(b, xm, fm, hi, fhi), b);
    };
    for (int k = 0; k < samples && n < max_roots; ++k) {
        const double a = -kPi + k * step, c = a + step;
        const Sample &L = grid[k], &R = grid[k + 1];
        for (int b = 0; b < nb && n < max_roots; ++b) {
            if (L.ok[b] && R.ok[b]) {
                if (changes(L.f[b], R.f[b])) add(refine(b, a, L.f[b], c, R.f[b]), b);
                continue;
            }
            if (L.ok[b] == R.ok[b]) continue;
            // branch b ends between the samples: find where, and the branch it meets there
            const bool left = L.ok[b];
            double in = left ? a : c, past = left ? c : a;
            for (int it = 0; it < 60 && std::fabs(past - in) > 1e-9; ++it) {
                const double m = 0.5 * (in + past);
                eval(m, s);
                (s.ok[b] ? in : past) = m;
            }
            Sample E;
            eval(in, E);
            int partner = -1;
            double nearest = 1e-3;
            for (int p = 0; p < nb; ++p) {
                if (p == b || !E.ok[p]) continue;
                double d = 0.0;
                for (int j = 0; j < 3; ++j) d = std::max(d, std::fabs(wrap_pi(E.angles[p][j] - E.angles[b][j])));
                if (d < nearest) {
                    nearest = d;
                    partner = p;
                }
            }
            if (!E.ok[b]) continue;
            // along b from the sample to the end, and back along the branch it meets (both ends of a
            // meeting pair do this: a root found twice is kept once)
            const Sample& S = left ? L : R;
            for (int x : {b, partner}) {
                if (x < 0 || !S.ok[x] || n >= max_roots) continue;
                const double lo = left ? a : in, hi = left ? in : c;
                const double flo = left ? S.f[x] : E.f[x], fhi = left ? E.f[x] : S.f[x];
                if (changes(flo, fhi)) {
                    add(refine(x, lo, flo, hi, fhi), x);
                } else if (flo != 0.0) {  // near a branch's end two roots often come close: look for a dip
                    dip(x, lo, flo, hi, fhi);
                }
            }
        }
    }
    // two roots between neighbouring samples show no sign change: where |f| has a minimum at a sample
    // and the parabola through it and its neighbours comes near zero, look for a dip through zero
    for (int k = 0; k < samples && n < max_roots; ++k) {
        const Sample &P = grid[(k + samples - 1) % samples], &C = grid[k], &Q = grid[k + 1];
        const double th = -kPi + k * step;
        for (int b = 0; b < nb && n < max_roots; ++b) {
            if (C.ok[b] && P.ok[b] != Q.ok[b] && C.f[b] != 0.0) {  // next to a branch's end: the valid side
                const Sample& V = P.ok[b] ? P : Q;
                const double lo = P.ok[b] ? th - step : th, hi = P.ok[b] ? th : th + step;
                if (std::fabs(C.f[b]) < std::fabs(V.f[b]) && !changes(C.f[b], V.f[b]))
                    dip(b, lo, P.ok[b] ? P.f[b] : C.f[b], hi, P.ok[b] ? C.f[b] : Q.f[b]);
                continue;
            }
            if (!P.ok[b] || !C.ok[b] || !Q.ok[b]) continue;
            const double sg = C.f[b] > 0.0 ? 1.0 : -1.0, f0 = sg * P.f[b], f1 = sg * C.f[b], f2 = sg * Q.f[b];
            if (!(f1 > 0.0 && f1 < f0 && f1 <= f2)) continue;
            const double curve = 0.5 * (f0 + f2) - f1, slope = 0.5 * (f2 - f0);
            if (f1 - slope * slope / (4.0 * curve) > 0.2 * f1) continue;  // the parabola stays well above 0
            dip(b, th - step, P.f[b], th + step, Q.f[b]);
        }
    }
    return n;
}

// The wrist of SPHERICAL_WRIST: with q[0..2] known, R₃R₄R₅ = M' = (R₀R₁R₂)ᵀ M. h₃ᵀ R₄ h₅ = h₃ᵀ M' h₅
// (R₃ and R₅ turn about their own axes): subproblem 4 for q₄; R₃ (R₄ h₅) = M' h₅: subproblem 1 for
// q₃ (free when the wrist is aligned, R₄ h₅ ∥ h₃); then R₅ = (R₃R₄)ᵀ M' about h₅ gives q₅.
int spherical_wrist(const Chain6& c, const double* M, const double* fr, Candidate base, Candidate* out) {
    double R03[9], Mw[9], A[9], B[9], R5[9];
    rotations(c, 0, 2, base.q, R03);
    mul33_tn(R03, M, Mw);
    const Angles W = sp4(c.h[3], c.h[5], c.h[4], dot(c.h[3], mul(Mw, c.h[5])), 1.0, fr[4], c.slack);
    int n = 0;
    for (int s = 0; s < W.n; ++s) {
        Candidate k = base;
        bool deg = false;
        k.q[4] = W.theta[s];
        k.q[3] = sp1(rotate(c.h[4], k.q[4], c.h[5]), mul(Mw, c.h[5]), c.h[3], fr[3], deg);
        rotation(c.h[3], k.q[3], A);
        rotation(c.h[4], k.q[4], B);
        mul33(A, B, R5);  // R₃R₄, then R₅ = (R₃R₄)ᵀ M'
        mul33_tn(R5, Mw, A);
        k.q[5] = angle_about(c.h[5], A);
        k.branch = 2 * base.branch + s;
        k.singular = base.singular || W.tangent || W.degenerate || deg;
        out[n++] = k;
    }
    return n;
}

int solve_spherical_wrist(const Analytic& a, const Chain6& c, const double* Rt, const V3& pt, const double* fr,
                          Candidate* out, AnalyticWork& w) {
    double M[9];
    joint_rotation(c, Rt, M);
    const V3 W = meet(c.o[3], c.h[3], c.o[4], c.h[4]);
    const V3 Wt = moved_point(c, Rt, pt, W);
    Triple tr[4];
    int nt = 0;
    if (a.placement != SEARCHED) {
        nt = place3(c, 0, a.placement, W, Wt, fr, tr);
    } else {
        // a general 3R placement: search q₀; v = R₀ᵀ(W_t - o₀) + o₀ - o₁ = R₁ u, u = o₂ - o₁ + R₂(W - o₂):
        // ‖u‖ = ‖v‖ by subproblem 3 for q₂, and the error h₁ᵀ(u - v) (R₁ keeps it) must vanish.
        const V3 &h0 = c.h[0], &h1 = c.h[1], &h2 = c.h[2], &o0 = c.o[0], &o1 = c.o[1], &o2 = c.o[2];
        const V3 ya = Wt - o0, x2 = W - o2;
        auto eval = [&](double th, Sample& S) {
            const V3 v = rotate(h0, -th, ya) + (o0 - o1);
            const Angles C = sp3(x2, o1 - o2, h2, norm(v), fr[2], c.slack);
            for (int b = 0; b < 2; ++b) {
                S.ok[b] = b < C.n && !C.degenerate;
                if (!S.ok[b]) continue;
                S.f[b] = dot(h1, rotate(h2, C.theta[b], x2) + (o2 - o1) - v);
                S.angles[b][0] = th;
                S.angles[b][1] = S.angles[b][2] = C.theta[b];
            }
        };
        Root roots[kMaxCandidates / 2];
        const int nr = search_roots(eval, 2, a.samples, w.grid, roots, kMaxCandidates / 2);
        for (int r = 0; r < nr && nt < 4; ++r) {
            const double th = roots[r].theta;
            const V3 v = rotate(h0, -th, ya) + (o0 - o1);
            const Angles C = sp3(x2, o1 - o2, h2, norm(v), fr[2], c.slack);
            const int b = std::min(roots[r].branch, C.n - 1);
            if (b < 0) continue;
            bool deg = false;
            const V3 u = rotate(h2, C.theta[b], x2) + (o2 - o1);
            tr[nt++] = {th, sp1(u, v, h1, fr[1], deg), C.theta[b], r, C.tangent || deg};
        }
    }
    int n = 0;
    for (int t = 0; t < nt; ++t) {
        Candidate base;
        base.q[0] = tr[t].qa;
        base.q[1] = tr[t].qb;
        base.q[2] = tr[t].qc;
        base.branch = tr[t].branch;
        base.singular = tr[t].singular;
        n += spherical_wrist(c, M, fr, base, out + n);
    }
    return n;
}

// THREE_PARALLEL (see analytic.hpp): q₀ from W's component along h, the wrist (q₄, q₅) from M's,
// the sum of the parallel angles, then the planar pair by subproblems 3 and 1.
int solve_three_parallel(const Chain6& c, const double* Rt, const V3& pt, const double* fr, Candidate* out) {
    const V3& h = c.h[1];
    double s[4];  // the parallel axes' senses along h
    for (int i = 1; i <= 3; ++i) s[i] = dot(c.h[i], h) > 0.0 ? 1.0 : -1.0;
    double Mt[9];  // R_t R0ᵀ = R₀ M, applied to vectors (no matrix products in the loops)
    joint_rotation(c, Rt, Mt);
    const V3 W = meet(c.o[4], c.h[4], c.o[5], c.h[5]), W3 = W - c.o[3];
    const V3 Wt = moved_point(c, Rt, pt, W), y0 = Wt - c.o[0], Mt_h5 = mul(Mt, c.h[5]);
    const V3 e = across(h), o01 = c.o[0] - c.o[1], o21 = c.o[2] - c.o[1], o32 = c.o[3] - c.o[2], o12 = -o21;
    const Angles A0 = sp4(h, y0, -c.h[0], dot(h, W - c.o[0]), std::fmax(norm(y0), norm(W - c.o[0])), fr[0], c.slack);
    int n = 0;
    for (int i = 0; i < A0.n; ++i) {
        const double q0 = A0.theta[i];
        double s0, c0;
        sincos(q0, s0, c0);
        // M = R₀ᵀ R_t R0ᵀ = R₁R₂R₃ R₄R₅: M v = rot(h₀, -q₀)(Mt v), Mᵀ h = Mtᵀ rot(h₀, q₀) h
        const V3 M_h5 = rotate_cs(c.h[0], c0, -s0, Mt_h5), Mt_h = mul_t(Mt, rotate_cs(c.h[0], c0, s0, h));
        const V3 x0 = rotate_cs(c.h[0], c0, -s0, y0) + o01;
        const Angles A4 = sp4(h, c.h[5], c.h[4], dot(h, M_h5), 1.0, fr[4], c.slack);
        for (int j = 0; j < A4.n; ++j) {
            const double q4 = A4.theta[j];
            bool deg5 = false, deg1 = false;
            double s4, c4, s5, c5;
            sincos(q4, s4, c4);
            // R₅ᵀ R₄ᵀ h = Mᵀ h: subproblem 1 about -h₅ (free when R₄ᵀh ∥ h₅: the wrist lines up with h)
            const double q5 = sp1(rotate_cs(c.h[4], c4, -s4, h), Mt_h, -c.h[5], fr[5], deg5);
            sincos(q5, s5, c5);
            // R₁R₂R₃ = M (R₄R₅)ᵀ = rot(h, φ): R₁₂₃ v = rot(h₀, -q₀) Mt R₅ᵀ R₄ᵀ v
            auto R123 = [&](const V3& v) {
                return rotate_cs(c.h[0], c0, -s0, mul(Mt, rotate_cs(c.h[5], c5, -s5, rotate_cs(c.h[4], c4, -s4, v))));
            };
            bool unused = false;
            const double phi = sp1(e, R123(e), h, 0.0, unused);
            // x = R₀ᵀ(W_t - o₀) + o₀ - o₁ - R₁₂₃(W - o₃) = R₁ (o₂ - o₁ + R₂ (o₃ - o₂))
            const V3 x = x0 - R123(W3);
            const Angles A2 = sp3(o32, o12, c.h[2], norm(x), fr[2], c.slack);
            for (int k = 0; k < A2.n; ++k) {
                const double q2 = A2.theta[k];
                const double q1 = sp1(o21 + rotate(c.h[2], q2, o32), x, c.h[1], fr[1], deg1);
                Candidate& o = out[n++];
                o.q[0] = q0;
                o.q[1] = q1;
                o.q[2] = q2;
                o.q[3] = wrap_pi(s[3] * (phi - s[1] * q1 - s[2] * q2));
                o.q[4] = q4;
                o.q[5] = q5;
                o.branch = 4 * i + 2 * j + k;
                o.singular = A0.tangent || A0.degenerate || A4.tangent || A4.degenerate || deg5 || deg1 ||
                             A2.tangent || A2.degenerate;
            }
        }
    }
    return n;
}

// TWO_INTERSECTING (see analytic.hpp): search joint 0 (or 3), place W with the other three, and ask
// the two-axis wrist for h₄ᵀ N h₅ = h₄ᵀ h₅, N = (R₀R₁R₂R₃)ᵀ M.
int solve_two_intersecting(const Analytic& a, const Chain6& c, const double* Rt, const V3& pt, const double* fr,
                           Candidate* out, AnalyticWork& w) {
    double M[9];
    joint_rotation(c, Rt, M);
    const V3 W = meet(c.o[4], c.h[4], c.o[5], c.h[5]);
    const V3 Wt = moved_point(c, Rt, pt, W);
    const int s = a.searched;
    const double h45 = dot(c.h[4], c.h[5]);
    // the placement of W for the searched angle θ, as full 4-angle sets q[0..3]
    auto place = [&](double th, Triple* tr) {
        if (s == 0) return place3(c, 1, a.placement, W, rotate(c.h[0], -th, Wt - c.o[0]) + c.o[0], fr, tr);
        return place3(c, 0, a.placement, c.o[3] + rotate(c.h[3], th, W - c.o[3]), Wt, fr, tr);
    };
    auto wrist = [&](double th, const Triple& t, double* q, double* N) {
        if (s == 0) {
            q[0] = th;
            q[1] = t.qa;
            q[2] = t.qb;
            q[3] = t.qc;
        } else {
            q[0] = t.qa;
            q[1] = t.qb;
            q[2] = t.qc;
            q[3] = th;
        }
        double R[9];
        rotations(c, 0, 3, q, R);
        mul33_tn(R, M, N);
    };
    const V3 Mh5 = mul(M, c.h[5]);
    auto eval = [&](double th, Sample& S) {
        Triple tr[4];
        const int nt = place(th, tr);
        for (int b = 0; b < 4; ++b) S.ok[b] = 0;
        for (int k = 0; k < nt; ++k) {
            const int b = tr[k].branch;
            // h₄ᵀ N h₅ = (R₀R₁R₂R₃ h₄)ᵀ (M h₅): four vector rotations instead of the matrices
            const double q[4] = {s == 0 ? th : tr[k].qa, s == 0 ? tr[k].qa : tr[k].qb, s == 0 ? tr[k].qb : tr[k].qc,
                                 s == 0 ? tr[k].qc : th};
            V3 v = c.h[4];
            for (int j = 3; j >= 0; --j) v = rotate(c.h[j], q[j], v);
            S.ok[b] = 1;
            S.f[b] = dot(v, Mh5) - h45;
            S.angles[b][0] = tr[k].qa;
            S.angles[b][1] = tr[k].qb;
            S.angles[b][2] = tr[k].qc;
        }
    };
    Root roots[kMaxCandidates];
    const int nr = search_roots(eval, 4, a.samples, w.grid, roots, kMaxCandidates);
    int n = 0;
    for (int r = 0; r < nr; ++r) {
        Triple tr[4];
        const int nt = place(roots[r].theta, tr);
        for (int k = 0; k < nt; ++k) {
            if (tr[k].branch != roots[r].branch) continue;
            Candidate& o = out[n++];
            double N[9], R4[9], R5[9];
            bool d4 = false;
            wrist(roots[r].theta, tr[k], o.q, N);
            o.q[4] = sp1(c.h[5], mul(N, c.h[5]), c.h[4], fr[4], d4);  // R₄ h₅ = N h₅
            rotation(c.h[4], o.q[4], R4);
            mul33_tn(R4, N, R5);
            o.q[5] = angle_about(c.h[5], R5);
            o.branch = r;
            o.singular = tr[k].singular || d4;
            break;
        }
    }
    return n;
}

// T (4x4): finite, last row [0, 0, 0, 1], a rotation to 1e-10 (as the solvers ask).
bool valid_pose(const double* M) {
    for (int i = 0; i < 16; ++i)
        if (!std::isfinite(M[i])) return false;
    if (M[12] != 0.0 || M[13] != 0.0 || M[14] != 0.0 || M[15] != 1.0) return false;
    for (int a = 0; a < 3; ++a)
        for (int c = a; c < 3; ++c) {
            const double d = M[a] * M[c] + M[4 + a] * M[4 + c] + M[8 + a] * M[8 + c];
            if (std::fabs(d - (a == c ? 1.0 : 0.0)) > 1e-10) return false;
        }
    const double det = M[0] * (M[5] * M[10] - M[6] * M[9]) - M[1] * (M[4] * M[10] - M[6] * M[8]) +
                       M[2] * (M[4] * M[9] - M[5] * M[8]);
    return det > 0.0;
}

// The pose errors of the task at q, without the Jacobian: ‖t(M)‖ [m] and the angle of R(M) [rad],
// M = T⁻¹ X with X the frame's pose relative to the base.
PoseErrors errors_at(const Analytic& a, const double* T, const double* q, Placements& pl) {
    const Tree& tree = a.tree;
    const Task& task = a.tasks.tasks[0];
    forward(tree, q, a.tasks.path.data(), static_cast<int>(a.tasks.path.size()), pl);
    double Rf[9], pf[3], RX[9], pX[3];
    frame_pose(tree, task.frame, pl, Rf, pf);
    if (task.ref >= 0) {
        double Rb[9], pb[3];
        frame_pose(tree, task.ref, pl, Rb, pb);
        const V3 d = mul_t(Rb, V3{pf[0] - pb[0], pf[1] - pb[1], pf[2] - pb[2]});
        pX[0] = d.x;
        pX[1] = d.y;
        pX[2] = d.z;
        mul33_tn(Rb, Rf, RX);
    } else {
        std::copy(Rf, Rf + 9, RX);
        std::copy(pf, pf + 3, pX);
    }
    double RT[9] = {T[0], T[1], T[2], T[4], T[5], T[6], T[8], T[9], T[10]}, RM[9], wv[3];
    const V3 d = mul_t(RT, V3{pX[0] - T[3], pX[1] - T[7], pX[2] - T[11]});
    mul33_tn(RT, RX, RM);
    PoseErrors e;
    e.position = norm(d);
    // the angle of RM: ‖vee(RM - RMᵀ)‖ / 2 = sin θ, which is θ to 1e-24 below 1e-8 (the common case)
    const double s = 0.5 * norm(V3{RM[7] - RM[5], RM[2] - RM[6], RM[3] - RM[1]});
    e.rotation = s < 1e-8 && RM[0] + RM[4] + RM[8] > 0.0 ? s : log3(RM, wv);
    return e;
}

double angle_of(const ChainJoint& J, const double* q) { return J.continuous ? std::atan2(q[J.iq + 1], q[J.iq]) : q[J.iq]; }

void set_angle(const ChainJoint& J, double theta, double* q) {
    if (J.continuous) {
        q[J.iq] = std::cos(theta);
        q[J.iq + 1] = std::sin(theta);
    } else {
        q[J.iq] = theta;
    }
}

// Damped Gauss-Newton steps on the free joints of the chain (the others keep their values) until the
// errors are below kRefineFrom, the steps run out or no step helps; q is updated in place.
// first: the errors at q when the caller has them.
PoseErrors refine(const Analytic& a, const double* T, const int* index, AnalyticWork& w, double* q,
                  const PoseErrors* first = nullptr) {
    PoseErrors cur = first ? *first : errors_at(a, T, q, w.scratch.pl);
    if ((cur.position <= kRefineFrom && cur.rotation <= kRefineFrom) || a.newton_steps <= 0) return cur;
    const Tree& tree = a.tree;
    const int nv = tree.nv;
    double* e = w.e.data();
    double* J = w.J.data();
    double* Jc = w.Jc.data();
    double trial[6];
    cur = evaluate(tree, a.tasks, T, q, w.scratch, e, J);
    double F = 0.0;
    for (int r = 0; r < 6; ++r) F += e[r] * e[r];
    double lam = 0.0;
    double* qt = w.q.data() + tree.nq;  // the trial configuration (w.q holds two)
    for (int it = 0; it < a.newton_steps; ++it) {
        if (cur.position <= kRefineFrom && cur.rotation <= kRefineFrom) break;
        double diag = 0.0;
        for (int r = 0; r < 6; ++r)
            for (int j = 0; j < 6; ++j) {
                const double v = J[r * nv + a.joints[index[j]].iv];
                Jc[r * 6 + j] = v;
                diag = std::max(diag, v * v);
            }
        damped_step(Jc, e, 6, 6, lam, w.lin, trial, nullptr, nullptr, false);
        std::copy(q, q + tree.nq, qt);
        for (int j = 0; j < 6; ++j) {
            const ChainJoint& Jt = a.joints[index[j]];
            set_angle(Jt, angle_of(Jt, q) + trial[j], qt);
        }
        std::copy(e, e + 6, trial);
        const PoseErrors next = evaluate(tree, a.tasks, T, qt, w.scratch, e, J);
        double Fn = 0.0;
        for (int r = 0; r < 6; ++r) Fn += e[r] * e[r];
        if (Fn < F) {
            std::copy(qt, qt + tree.nq, q);
            cur = next;
            F = Fn;
            lam *= 0.1;
        } else {  // back to q and a more damped step
            std::copy(trial, trial + 6, e);
            evaluate(tree, a.tasks, T, q, w.scratch, e, J);
            lam = std::max(10.0 * lam, 1e-10 * std::max(diag, 1e-300));
        }
    }
    return cur;
}

// The equivalent x + 2πk of a revolute angle inside [lo, hi] nearest `ref`; false if there is none.
KINEJAC_ALWAYS_INLINE bool nearest_equivalent(double x, double lo, double hi, double ref, double& out) {
    if (std::fabs(x - ref) < kPi && x >= lo && x <= hi) {  // x itself (the common case)
        out = x;
        return true;
    }
    double y = x + kTwoPi * std::floor((ref - x) * (1.0 / kTwoPi) + 0.5);  // the nearest to ref
    if (y > hi + kLimitSlack) y -= kTwoPi * std::ceil((y - hi - kLimitSlack) * (1.0 / kTwoPi));
    if (y < lo - kLimitSlack) y += kTwoPi * std::ceil((lo - kLimitSlack - y) * (1.0 / kTwoPi));
    if (y > hi + kLimitSlack) return false;  // no equivalent inside: the range is shorter than a turn
    out = std::min(std::max(y, lo), hi);
    return true;
}

// Every equivalent of x inside [lo, hi] into out (unbounded: only the nearest to ref); their count.
int equivalents(double x, double lo, double hi, double ref, double* out, int max_out) {
    if (!std::isfinite(lo) || !std::isfinite(hi)) {
        double y;
        nearest_equivalent(x, lo, hi, ref, y);
        out[0] = y;
        return 1;
    }
    int n = 0;
    for (double y = x + kTwoPi * std::ceil((lo - kLimitSlack - x) / kTwoPi); y <= hi + kLimitSlack && n < max_out;
         y += kTwoPi)
        out[n++] = std::min(std::max(y, lo), hi);
    return n;
}

int max_equivalents(double lo, double hi) {
    if (!std::isfinite(lo) || !std::isfinite(hi)) return 1;
    return static_cast<int>(std::floor((hi - lo + 2.0 * kLimitSlack) / kTwoPi)) + 1;
}

}  // namespace

int Analytic::capacity() const {
    // closed forms give at most 8 candidates; a search keeps up to kMaxCandidates roots
    int cap = family == TWO_INTERSECTING || placement == SEARCHED ? kMaxCandidates : 8;
    if (!all_equivalents) return cap;
    for (const ChainJoint& J : joints)
        if (!J.fixed && !J.continuous) cap *= max_equivalents(tree.lo[J.iq], tree.hi[J.iq]);
    return cap;
}

void AnalyticWork::prepare(const Analytic& a) {
    const int nq = a.tree.nq, nv = a.tree.nv;
    if (static_cast<int>(start.size()) == nq && static_cast<int>(J.size()) == 6 * nv &&
        static_cast<int>(grid.size()) == a.samples + 1 && static_cast<int>(order.size()) == a.capacity())
        return;
    scratch = Scratch(a.tree);
    lin.resize(6);
    e.assign(6, 0.0);
    J.assign(6 * static_cast<size_t>(nv), 0.0);
    Jc.assign(36, 0.0);
    start.assign(nq, 0.0);
    q.assign(2 * static_cast<size_t>(nq), 0.0);
    found.assign(static_cast<size_t>(kMaxCandidates) * (nq + 3), 0.0);
    grid.assign(static_cast<size_t>(a.samples) + 1, Sample());
    order.assign(static_cast<size_t>(a.capacity()), 0);
    dist.assign(static_cast<size_t>(a.capacity()), 0.0);
    sorted.assign(static_cast<size_t>(a.capacity()) * (nq + 3), 0.0);
}

namespace {

// The closed form's (or search's) candidates for T from the start qs (within the limits) into cand,
// in the solved chain's order; index[i]: the chain joint that is joint i of the 6-joint chain.
int candidates_of(const Analytic& a, const double* T, const double* qs, AnalyticWork& w, Candidate* cand, int* index) {
    // the chain with its fixed joints folded in, in the orientation its family was found in
    Chain6 c;
    fold(a, qs, c, index);
    c.slack = a.slack;
    double fr[6], Rt[9] = {T[0], T[1], T[2], T[4], T[5], T[6], T[8], T[9], T[10]};
    V3 pt{T[3], T[7], T[11]};
    for (int i = 0; i < 6; ++i) fr[i] = angle_of(a.joints[index[i]], qs);
    if (a.reversed) {
        c = reversed(c);
        double Ri[9];
        for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 3; ++j) Ri[3 * i + j] = Rt[3 * j + i];
        pt = -mul(Ri, pt);
        std::copy(Ri, Ri + 9, Rt);
        std::reverse(fr, fr + 6);
    }
    switch (a.family) {
        case SPHERICAL_WRIST:
            return solve_spherical_wrist(a, c, Rt, pt, fr, cand, w);
        case THREE_PARALLEL:
            return solve_three_parallel(c, Rt, pt, fr, cand);
        default:
            return solve_two_intersecting(a, c, Rt, pt, fr, cand, w);
    }
}

// Candidate k's angles into q (a copy of qs with the chain's angles set).
void put_candidate(const Analytic& a, const Candidate& k, const int* index, const double* qs, double* q) {
    std::copy(qs, qs + a.tree.nq, q);
    for (int j = 0; j < 6; ++j) set_angle(a.joints[index[j]], k.q[a.reversed ? 5 - j : j], q);
}

// The chain's revolute angles of q moved to their equivalents nearest qs within the limits; false
// when one has none.
bool nearest_inside(const Analytic& a, const int* index, const double* qs, double* q) {
    for (int j = 0; j < 6; ++j) {
        const ChainJoint& J = a.joints[index[j]];
        if (!J.continuous && !nearest_equivalent(q[J.iq], a.tree.lo[J.iq], a.tree.hi[J.iq], qs[J.iq], q[J.iq]))
            return false;
    }
    return true;
}

// Whether every revolute angle of the chain in q has an equivalent within its limits widened by
// `margin` [rad] (q is left as it is).
bool inside_by(const Analytic& a, const int* index, const double* qs, const double* q, double margin) {
    for (int j = 0; j < 6; ++j) {
        const ChainJoint& J = a.joints[index[j]];
        double y;
        if (!J.continuous &&
            !nearest_equivalent(q[J.iq], a.tree.lo[J.iq] - margin, a.tree.hi[J.iq] + margin, qs[J.iq], y))
            return false;
    }
    return true;
}

// The squared distance from qs to q over the chain's free joints (continuous ones modulo 2π).
double chain_distance(const Analytic& a, const int* index, const double* qs, const double* q) {
    double d = 0.0;
    for (int j = 0; j < 6; ++j) {
        const ChainJoint& J = a.joints[index[j]];
        const double x = J.continuous ? wrap_pi(angle_of(J, q) - angle_of(J, qs)) : q[J.iq] - qs[J.iq];
        d += x * x;
    }
    return d;
}

}  // namespace

bool solves(const Analytic& a, const Tree& tree, const Tasks& tasks) {
    if (tasks.tasks.size() != 1 || a.tasks.tasks.size() != 1) return false;
    const Task &t = tasks.tasks[0], &u = a.tasks.tasks[0];
    return t.full && t.frame == u.frame && t.ref == u.ref && a.tree.nq == tree.nq && a.tree.nv == tree.nv &&
           a.tree.njoints() == tree.njoints();
}

PoseErrors pose_errors(const Analytic& a, const double* T, const double* q, AnalyticWork& w) {
    w.prepare(a);
    return errors_at(a, T, q, w.scratch.pl);
}

AllResult solve_nearest(const Analytic& a, const double* T, const double* qs, AnalyticWork& w, double* q_out) {
    AllResult res;
    w.prepare(a);
    const int nq = a.tree.nq;
    Candidate cand[kMaxCandidates];
    int index[6];
    const int nc = candidates_of(a, T, qs, w, cand, index);
    res.candidates = nc;
    // every candidate at its equivalents nearest qs, ordered by the distance (stable)
    double* rows = w.sorted.data();  // (nc, nq): the candidates in the robot's configuration
    double* dist = w.dist.data();
    int* order = w.order.data();
    int n = 0;
    for (int k = 0; k < nc; ++k) {
        double* q = rows + static_cast<size_t>(k) * nq;
        put_candidate(a, cand[k], index, qs, q);
        if (!nearest_inside(a, index, qs, q)) {
            ++res.outside_limits;
            continue;
        }
        dist[k] = chain_distance(a, index, qs, q);
        int j = n++;
        for (; j > 0 && dist[order[j - 1]] > dist[k]; --j) order[j] = order[j - 1];
        order[j] = k;
    }
    // the first that refines to the tolerance and stays within the limits
    for (int m = 0; m < n; ++m) {
        const int k = order[m];
        double* q = rows + static_cast<size_t>(k) * nq;
        const PoseErrors e = refine(a, T, index, w, q);
        if (!(e.position <= a.tolerance && e.rotation <= a.tolerance)) {
            ++res.not_converged;
            continue;
        }
        if (!nearest_inside(a, index, qs, q)) {
            ++res.outside_limits;
            continue;
        }
        std::copy(q, q + nq, q_out);
        res.count = 1;
        res.singular = cand[k].singular;
        return res;
    }
    res.reason = res.outside_limits ? OUTSIDE_LIMITS : res.not_converged ? NOT_CONVERGED : UNREACHABLE;
    return res;
}

AllResult solve_all(const Analytic& a, const double* T, const double* q0, AnalyticWork& w, double* out) {
    AllResult res;
    if (!valid_pose(T)) {
        res.reason = -1;
        return res;
    }
    w.prepare(a);
    const Tree& tree = a.tree;
    const int nq = tree.nq, row = nq + 3;
    double* qs = w.start.data();
    if (!clip_start(tree, q0, qs)) {
        res.reason = -2;
        return res;
    }
    Candidate cand[kMaxCandidates];
    int index[6];
    const int nc = candidates_of(a, T, qs, w, cand, index);
    res.candidates = nc;
    // each candidate into the robot: refined, within the limits, not a duplicate. A chain exactly in
    // its family (no slack beyond rounding) is refined in place if at all (its candidates' errors
    // are at rounding level), so a candidate outside the limits stays outside: it is dropped before
    // the refinement's forward kinematics.
    const bool prefilter = a.slack <= kSubproblemEps;
    double* found = w.found.data();
    double* q = w.q.data();
    double angles[kMaxCandidates][6];  // the kept rows' chain angles, for the duplicate test
    int kept = 0;
    // the chain's joints in the robot's coordinates, read once (the loops below use them per candidate)
    int iq[6];
    bool cont[6];
    double lo[6], hi[6], ref[6];
    for (int j = 0; j < 6; ++j) {
        const ChainJoint& J = a.joints[index[j]];
        iq[j] = J.iq;
        cont[j] = J.continuous;
        lo[j] = tree.lo[J.iq];
        hi[j] = tree.hi[J.iq];
        ref[j] = qs[J.iq];
    }
    for (int k = 0; k < nc; ++k) {
        put_candidate(a, cand[k], index, qs, q);
        // the revolute angles' equivalents nearest qs within the limits (nearest_inside's values),
        // known before the forward kinematics: written into q after it when no refinement step moved q
        double y[6];
        bool inside = true;
        for (int j = 0; j < 6 && inside; ++j) inside = cont[j] || nearest_equivalent(q[iq[j]], lo[j], hi[j], ref[j], y[j]);
        if (!inside && prefilter && !inside_by(a, index, qs, q, kPrefilterMargin)) {  // no forward kinematics for it
            ++res.outside_limits;
            continue;
        }
        PoseErrors e = errors_at(a, T, q, w.scratch.pl);
        const bool moves = !(e.position <= kRefineFrom && e.rotation <= kRefineFrom) && a.newton_steps > 0;
        if (moves) e = refine(a, T, index, w, q, &e);
        if (!(e.position <= a.tolerance && e.rotation <= a.tolerance)) {
            ++res.not_converged;
            continue;
        }
        if (moves ? !nearest_inside(a, index, qs, q) : !inside) {
            ++res.outside_limits;
            continue;
        }
        if (!moves)
            for (int j = 0; j < 6; ++j)
                if (!cont[j]) q[iq[j]] = y[j];
        double th[6];
        for (int j = 0; j < 6; ++j) th[j] = cont[j] ? angle_of(a.joints[index[j]], q) : q[iq[j]];
        int same = -1;
        for (int m = 0; m < kept && same < 0; ++m) {
            int j = 0;
            while (j < 6 && close_angles(th[j], angles[m][j], a.same)) ++j;
            if (j == 6) same = m;
        }
        const double err = std::max(e.position, e.rotation);
        const int slot = same >= 0 ? same : kept;
        double* dst = found + slot * row;
        if (same >= 0 && std::max(dst[nq], dst[nq + 1]) <= err) continue;
        std::copy(th, th + 6, angles[slot]);
        std::copy(q, q + nq, dst);
        dst[nq] = e.position;
        dst[nq + 1] = e.rotation;
        dst[nq + 2] = cand[k].branch;
        res.singular = res.singular || cand[k].singular;
        if (same < 0) ++kept;
    }
    // every equivalent the limits admit (on request) into `rows`, then sorted by the distance to the
    // start into out (stable: equal distances keep the candidates' order)
    int count = kept;
    const double* rows = found;
    if (a.all_equivalents) {
        double* buf = w.sorted.data();
        count = 0;
        for (int m = 0; m < kept; ++m) {
            const double* src = found + m * row;
            // the product of each free revolute joint's equivalents, as an odometer
            int sizes[6], digit[6] = {0, 0, 0, 0, 0, 0};
            double values[6][64];
            for (int j = 0; j < 6; ++j) {
                const ChainJoint& J = a.joints[index[j]];
                sizes[j] = J.continuous ? 1 : equivalents(src[J.iq], tree.lo[J.iq], tree.hi[J.iq], qs[J.iq], values[j], 64);
                if (J.continuous) values[j][0] = 0.0;
            }
            for (;;) {
                double* dst = buf + count++ * row;
                std::copy(src, src + row, dst);
                for (int j = 0; j < 6; ++j)
                    if (!a.joints[index[j]].continuous) dst[a.joints[index[j]].iq] = values[j][digit[j]];
                int j = 0;
                while (j < 6 && ++digit[j] == sizes[j]) digit[j++] = 0;
                if (j == 6) break;
            }
        }
        rows = buf;
    }
    double* dist = w.dist.data();
    int* order = w.order.data();
    for (int m = 0; m < count; ++m) {
        // chain_distance's sum, on the arrays read above
        const double* r = rows + m * row;
        double d = 0.0;
        for (int j = 0; j < 6; ++j) {
            const double x = cont[j] ? wrap_pi(angle_of(a.joints[index[j]], r) - angle_of(a.joints[index[j]], qs))
                                     : r[iq[j]] - ref[j];
            d += x * x;
        }
        dist[m] = d;
        int j = m;  // insertion sort (stable): a handful of rows
        for (; j > 0 && dist[order[j - 1]] > dist[m]; --j) order[j] = order[j - 1];
        order[j] = m;
    }
    for (int m = 0; m < count; ++m)
        for (int c = 0; c < row; ++c) out[m * row + c] = rows[order[m] * row + c];
    res.count = count;
    if (count == 0) res.reason = res.outside_limits ? OUTSIDE_LIMITS : res.not_converged ? NOT_CONVERGED : UNREACHABLE;
    return res;
}

void solve_all_batch(const Analytic& a, const double* Ts, const double* Q0, int q0_stride, int B, double* out,
                     int64_t* info, int threads) {
    const int nq = a.tree.nq, row = nq + 3, cap = a.capacity();
    const size_t per = static_cast<size_t>(cap) * row;
    std::vector<AnalyticWork> work(std::max(1, std::min(threads, B)));
    parallel_chunks(B, threads, 64, [&](int s, int e, int worker) {
        for (int b = s; b < e; ++b) {
            double* o = out + b * per;
            const AllResult r = solve_all(a, Ts + 16 * static_cast<size_t>(b), Q0 + static_cast<size_t>(b) * q0_stride,
                                          work[worker], o);
            for (double* pad = o + static_cast<size_t>(std::max(r.count, 0)) * row; pad < o + per; pad += row) {
                std::fill(pad, pad + row - 1, kNaN);
                pad[row - 1] = -1.0;  // no branch
            }
            int64_t* i = info + 6 * static_cast<size_t>(b);
            i[0] = r.count;
            i[1] = r.reason;
            i[2] = r.singular;
            i[3] = r.candidates;
            i[4] = r.outside_limits;
            i[5] = r.not_converged;
        }
    });
}

}  // namespace kinejac
