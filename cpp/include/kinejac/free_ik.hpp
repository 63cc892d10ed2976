// Collision-free IK by candidates: converged answers from diverse starts, each checked by the
// collision world (collision.hpp) as soon as it converges, until one is free with the clearance.
//
// Candidate 0 is the plain solve from the caller's start (with its restarts). If it does not
// reach the targets, neither will the others: its result is returned as it is. Otherwise
// candidates 1, 2, ... start from seeded random configurations (stream (key ^ kCandidateKey,
// index), drawn uniformly within the spread1 fraction of the limits (the whole range by default),
// every third within the middle spread0 fraction instead: the middle half that plain restarts
// favour holds the arm in front of the robot, where a cluttered scene's obstacles are), each a
// solve with its own restart stream (key, index + k·2³²) and no polish. The world decides each
// converged one: its covering spheres screen the pairs first (a pair whose spheres are apart by
// the clearance is free without GJK), then GJK on the convex pieces; a pair it cannot decide
// (within a mesh's slack) counts as a collision here, so a free answer is free for coal too.
// With the exact check at a few µs and a solve at tens, a candidate is checked as soon as it
// converges: solving more before checking would only cost time. (Measured and left out: starting
// every other candidate near the last one, or repairing a candidate in collision with the sphere
// penalty; both found fewer free answers per millisecond than uniform starts. On the box scene of
// scripts/bench_collisions.py, two starts in three over the whole range instead of every other one
// over its middle half: 100 % success instead of 98.9 % (1,000 targets), and 1.7x faster.)
#pragma once

#include <cstdint>

#include "kinejac/collision.hpp"
#include "kinejac/solver.hpp"

namespace kinejac {

enum FreeReason : int { COLLISION = 6 };  // kinejac.ik.IKReason.COLLISION's index

struct FreeOptions {
    double clearance = 0.0;  // [m] every pair at least this far apart
    int candidates = 500;    // candidates after the first, at most
};

struct FreeResult {
    Result result;   // of the returned configuration; reason COLLISION when every candidate collided
    int candidates;  // converged candidates checked
};

// One problem (see above): the answer into q_out (nq).
FreeResult solve_free(const Model& model, const Tasks& tasks, const Options& opts, const CollisionWorld& world,
                      const FreeOptions& free, const double* T, const double* q0, uint64_t key, uint64_t index,
                      Workspace& ws, CollisionWork& cw, double* q_out);

// A batch (as solve_batch in solver.hpp) on `threads` threads; out_i (B, 4): [iterations, restarts,
// reason, candidates].
void solve_free_batch(const Model& model, const Tasks& tasks, const Options& opts, const CollisionWorld& world,
                      const FreeOptions& free, const double* Ts, const double* Q0, const uint64_t* seeds, int B,
                      double* out_q, double* out_f, int64_t* out_i, int threads);

}  // namespace kinejac
