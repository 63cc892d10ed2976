// The configuration space: seeded sampling, integration q ⊕ δ and the joint limits (projection,
// the active set, and angles returned nearest the seed).
//
// Random restarts draw from a splitmix64 stream per problem, seeded by a 64-bit key and the
// problem's index, so a problem's draws never depend on which thread solves it or in what order.
// Limits, per coordinate (Mode): a 1-DOF joint with finite limits is clamped and can be held on a
// limit (HOLD); a revolute joint whose range spans a full turn is wrapped by 2π back into its range
// (WRAP); other bounded coordinates (a limited floating-base translation) are clamped (CLAMP); a
// revolute joint without limits is a plain angle (ANGLE). Returned WRAP and ANGLE angles are the
// equivalent nearest the seed.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "kinejac/tree.hpp"

namespace kinejac {

inline constexpr double kAtLimit = 1e-10;  // [rad or m]: a coordinate this close to a limit is on it

// splitmix64 (Steele, Lea and Flood, 2014)
inline uint64_t splitmix_mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

inline constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ULL;

// The start of the stream of problem `index` under `key`.
inline uint64_t seed_state(uint64_t key, uint64_t index) { return splitmix_mix(key ^ splitmix_mix(index + kGolden)); }

// A double in [0, 1) from the stream (advanced).
inline double uniform(uint64_t& state) {
    state += kGolden;
    return static_cast<double>(splitmix_mix(state) >> 11) * (1.0 / 9007199254740992.0);
}

inline double normal(uint64_t& state) {
    const double u = uniform(state);
    return std::sqrt(-2.0 * std::log(1.0 - u)) * std::cos(kTwoPi * uniform(state));
}

// A configuration drawn uniformly within the limits into q (nq), every bounded 1-DOF range shrunk to
// its middle `spread` fraction; angles without limits over a full turn, translations without limits
// in ±1 m, rotations of floating and spherical joints uniformly over SO(3).
void random_configuration(const Tree& tree, double spread, uint64_t& state, double* q);

// out = q ⊕ d on the configuration manifold (as pinocchio.integrate).
void integrate(const Tree& tree, const double* q, const double* d, double* out);

// out = q clipped into the limits, with quaternions and (cos, sin) pairs renormalised (a start as
// Robot.clip makes it). False if q is not finite or a group has norm 0 (it cannot be normalised).
bool clip_start(const Tree& tree, const double* q, double* out);

// The angle x + 2πk inside [lo, hi] nearest x (clamped if none is).
inline double wrap_into(double x, double lo, double hi) {
    if (x > hi)
        x -= kTwoPi * std::ceil((x - hi) / kTwoPi);
    else if (x < lo)
        x += kTwoPi * std::ceil((lo - x) / kTwoPi);
    return std::min(std::max(x, lo), hi);
}

// Bring q into the limits in place; `taken` (nv), the tangent step that led to q, is corrected for
// the clamped joints. Returns whether a 1-DOF joint was clamped onto a limit.
inline bool project(const Tree& tree, double* q, double* taken) {
    bool clamped = false;
    for (int k = 0; k < tree.nq; ++k) {
        const int m = tree.mode[k];
        const double x = q[k];
        if (m == HOLD || m == CLAMP) {
            const double y = std::min(std::max(x, tree.lo[k]), tree.hi[k]);
            if (y != x) {
                q[k] = y;
                if (m == HOLD) {
                    taken[tree.cv[k]] += y - x;
                    clamped = true;
                }
            }
        } else if (m == WRAP && (x < tree.lo[k] || x > tree.hi[k])) {
            q[k] = wrap_into(x, tree.lo[k], tree.hi[k]);
        }
    }
    return clamped;
}

// mask (nv): the joints on a limit that the descent direction -grad pushes outward (dropped from the
// next linear solve). Returns whether any is.
inline bool blocked(const Tree& tree, const double* q, const double* grad, bool* mask) {
    for (int k = 0; k < tree.nv; ++k) mask[k] = false;
    bool any = false;
    for (int k = 0; k < tree.nq; ++k)
        if (tree.mode[k] == HOLD) {
            const int v = tree.cv[k];
            if ((q[k] <= tree.lo[k] + kAtLimit && grad[v] > 0.0) || (q[k] >= tree.hi[k] - kAtLimit && grad[v] < 0.0)) {
                mask[v] = true;
                any = true;
            }
        }
    return any;
}

// Replace each full-turn or unlimited revolute angle of q by its equivalent q + 2πk nearest `seed`,
// staying within the limits.
inline void nearest_to_seed(const Tree& tree, double* q, const double* seed) {
    for (int k = 0; k < tree.nq; ++k)
        if (tree.mode[k] == WRAP || tree.mode[k] == ANGLE) {
            double y = q[k] + kTwoPi * std::nearbyint((seed[k] - q[k]) / kTwoPi);  // ties to even, as Python's round
            if (y > tree.hi[k])
                y -= kTwoPi;
            else if (y < tree.lo[k])
                y += kTwoPi;
            if (tree.lo[k] <= y && y <= tree.hi[k]) q[k] = y;
        }
}

}  // namespace kinejac
