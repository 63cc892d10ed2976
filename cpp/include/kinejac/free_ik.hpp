// Collision-free IK by candidates: configurations at the targets from diverse sources, each checked
// by the collision world (collision.hpp) as soon as it is found, until one is free with the clearance.
//
// Candidate 0 is the plain solve from the caller's start (with its restarts). If it does not
// reach the targets, neither will the others: its result is returned as it is. Otherwise:
// 1. The closed form (analytic.hpp), when the caller gives one for the tasks' single full-pose
//    target: with a joint held fixed (a 7-joint arm), that joint is swept over its range along a
//    golden-ratio sequence from a seeded offset (stream (key ^ kCandidateKey, index)), `sweeps`
//    values at most; every exact solution of each value (nearest the start first) is a candidate.
//    Without a fixed joint, its ≤ 8 solutions are. No iterations: ~5 µs per value of the joint,
//    which the result counts as a restart.
// 2. Seeded random starts (the same stream), drawn uniformly within the spread1 fraction of the
//    limits, every third within the middle spread0 fraction instead (where a cluttered scene's
//    obstacles are), each a solve with its own restart stream (key, index + k·2³²) and no polish.
// Every candidate (a closed-form solution checked, or a solve from a random start) counts against
// `candidates`. The world decides each: its covering spheres screen the pairs first (a pair whose
// spheres are apart by the clearance is free without GJK), then GJK on the convex pieces; a pair it
// cannot decide (within a mesh's slack) counts as a collision here, so a free answer is free for
// coal too. The exact check costs a few µs, a closed-form value ~5 µs, a random-start solve tens:
// each candidate is checked as soon as it is found.
//
// Measured on the box scene of scripts/bench_collisions.py (Panda, a hole in a lid; 2 threads):
// with random starts only, 137 iterations and 16 restarts per target (converged candidates: median
// 1, 90th percentile 22, up to 463), 4,500-11,000 solves/s; with the closed form (joint 7 swept)
// first, 5 iterations (those of candidate 0), 3 values of joint 7 and 3 checks per target, no random
// start needed on 1,000 targets, 5x the solves per second in the same process. On that scene a
// value of joint 7 gives 0.67 solutions within the limits on average, 55 % of them free; sweeping
// joint 4 instead (its other closed form) needs 17 values per target and misses 8 of 500 targets
// in 64. (Measured and left out before: starting every other candidate near the last one, or
// repairing a candidate in collision with the sphere penalty; both found fewer free answers per
// millisecond than uniform starts; two random starts in three over the whole range rather than
// every other one over its middle half: 100 % success instead of 98.9 % on the box, 1.7x faster.)
#pragma once

#include <cstdint>
#include <vector>

#include "kinejac/analytic.hpp"
#include "kinejac/collision.hpp"
#include "kinejac/solver.hpp"

namespace kinejac {

enum FreeReason : int { COLLISION = 6 };  // kinejac.ik.IKReason.COLLISION's index

struct FreeOptions {
    double clearance = 0.0;  // [m] every pair at least this far apart
    int candidates = 500;    // candidates after the first, at most
    // The closed form of the tasks' one full-pose target (its joint held fixed, if any, is swept),
    // or nullptr: the random starts only.
    const Analytic* analytic = nullptr;
    int sweeps = 64;  // values of the fixed joint tried (a closed form without one: a single call)
};

// The work arrays of one thread besides the solver's Workspace.
struct FreeWork {
    CollisionWork collision;
    AnalyticWork analytic;
    std::vector<double> rows, start, q;  // the closed form's solutions (capacity, nq + 3); (nq); (nq)
};

struct FreeResult {
    Result result;   // of the returned configuration; reason COLLISION when every candidate collided
    int candidates;  // converged candidates checked
};

// One problem (see above): the answer into q_out (nq).
FreeResult solve_free(const Model& model, const Tasks& tasks, const Options& opts, const CollisionWorld& world,
                      const FreeOptions& free, const double* T, const double* q0, uint64_t key, uint64_t index,
                      Workspace& ws, FreeWork& fw, double* q_out);

// A batch (as solve_batch in solver.hpp) on `threads` threads; out_i (B, 4): [iterations, restarts,
// reason, candidates].
void solve_free_batch(const Model& model, const Tasks& tasks, const Options& opts, const CollisionWorld& world,
                      const FreeOptions& free, const double* Ts, const double* Q0, const uint64_t* seeds, int B,
                      double* out_q, double* out_f, int64_t* out_i, int threads);

}  // namespace kinejac
