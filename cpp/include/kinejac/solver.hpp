// The IK solvers: Levenberg-Marquardt, Gauss-Newton and damped least squares with joint limits and
// stall detection (one attempt from one start), the restart loop around them, and batches.
//
// The update rules, stall test and restart schedule are documented in kinejac/ik/solvers.py. A
// problem is solved by attempts from its start, then from seeded random draws (alternately within
// the middle spread0 and spread1 fractions of the limits) until one converges, the restarts or the
// time budget run out; on failure a patient local solve continues from the best configuration
// found. A single solve is a batch of one.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "kinejac/analytic.hpp"
#include "kinejac/configuration.hpp"
#include "kinejac/linalg.hpp"
#include "kinejac/residual.hpp"
#include "kinejac/spheres.hpp"
#include "kinejac/tree.hpp"

namespace kinejac {

enum Method : int { LM = 0, GN, DLS };
// kinejac.ik.IKReason, in this order; INVALID_TARGET: a target that is not a finite rigid transform;
// INVALID_START: a start that is not finite, or whose quaternion or (cos, sin) pair is zero
enum Reason : int {
    CONVERGED = 0, MAX_ITERATIONS, TIMEOUT, STALLED, SINGULAR, LIMITS, INVALID_TARGET = -1, INVALID_START = -2
};

struct Options {
    int method = LM;
    double position_tolerance = 1e-6;  // [m]
    double rotation_tolerance = 1e-6;  // [rad]
    int max_iterations = 100;          // per attempt
    int max_restarts = 50;
    int stall_iterations = 3;
    double stall_progress = 0.9;  // progress: the best cost drops below this fraction of the previous best
    double lm_tau = 1e-2;
    double dls_epsilon = 0.05, dls_max_damping = 0.1, dls_error_scale = 0.1;
    double max_step = 0.5;  // [rad or m] cap on a DLS step
    double timeout = std::numeric_limits<double>::infinity();  // [s]
    bool history = false;
    double spread0 = 0.5, spread1 = 1.0;
    bool polish = true;
    bool collide = false;  // push the sphere model apart (the model's spheres)
    double d0 = 0.0;       // [m] the distance the penalty keeps (clearance + margin)
    double clearance = -std::numeric_limits<double>::infinity();  // [m] converged only this far apart
};

// A robot's tree and its sphere model (empty: no collision avoidance).
struct Model {
    Tree tree;
    SphereModel spheres;
};

struct Result {
    double position_error = 0.0, rotation_error = 0.0, cost = 0.0;  // [m], [rad], ½‖e‖² (+ penalty)
    double min_distance = std::numeric_limits<double>::infinity();  // [m] of the sphere pairs
    int iterations = 0, restarts = 0, reason = CONVERGED;
};

// The work arrays of one solve, sized for a model, a row count and a history length; reused.
// Aligned to a cache line: a batch keeps one per thread side by side, and one thread's writes (the
// random stream, the iterates) must not share a line with the next thread's workspace.
struct alignas(64) Workspace {
    int nq = 0, nv = 0, m = -1, hist_len = 0, spheres = -1;
    std::vector<double> start;       // (nq) the start, clipped into the limits
    std::vector<double> q[3];        // current, trial, best of the attempt
    std::vector<double> e[2], J[2];  // (m), (m, nv): current and trial
    std::vector<double> delta, taken, grad, trial, Jm;
    std::vector<char> mask;  // (nv) joints held on a limit
    LinearWork lin;
    Scratch scratch;
    PenaltyWork pen;
    std::vector<double> H[2], b[2];  // the penalty's Gauss-Newton terms: (nv, nv), (nv)
    std::vector<double> hist[2];     // (hist_len, nq): the attempt's iterates, the kept ones
    int hist_n[2] = {0, 0};
    AnalyticWork closed;  // the closed form's work arrays (sized on first use)
    uint64_t rng = 0;

    // Size for `model` and `rows` error rows (a no-op when already sized so).
    void prepare(const Model& model, int rows, int history_length);
};

// One problem: attempts from q0 (clipped into the limits first), then from the seeded stream
// (key, index); the best configuration by cost goes to q_out (nq). T: the targets (nt, 4, 4).
// With `closed` (the closed form of the tasks' one full-pose task, kinejac.ik.analytic), a start
// that does not already meet the tolerances is replaced by the closed form's solution nearest it
// (solve_nearest), and the attempts run from there: zero iterations when it meets the tolerances
// (its error is ~1e-15), the usual attempts and restarts when there is none (an unreachable
// target, every solution outside the limits).
Result solve_one(const Model& model, const Tasks& tasks, const Options& opts, const double* T, const double* q0,
                 uint64_t key, uint64_t index, Workspace& ws, double* q_out, const Analytic* closed = nullptr);

// Problems start:stop of a batch: targets Ts (B, nt, 4, 4), starts Q0 (B, nq), seeds (B, 2)
// [key, index]; results into out_q (B, nq), out_f (B, 4) [position error, rotation error, cost,
// smallest sphere distance] and out_i (B, 3) [iterations, restarts, reason].
void solve_range(const Model& model, const Tasks& tasks, const Options& opts, const double* Ts, const double* Q0,
                 const uint64_t* seeds, int start, int stop, double* out_q, double* out_f, int64_t* out_i,
                 Workspace& ws, const Analytic* closed = nullptr);

// A whole batch on `threads` threads (chunks handed out in order; every problem's result depends
// only on its own inputs and seed, so the thread count changes nothing but the speed).
void solve_batch(const Model& model, const Tasks& tasks, const Options& opts, const double* Ts, const double* Q0,
                 const uint64_t* seeds, int B, double* out_q, double* out_f, int64_t* out_i, int threads,
                 const Analytic* closed = nullptr);

}  // namespace kinejac
