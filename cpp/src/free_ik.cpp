// Collision-free IK by candidates (see free_ik.hpp).
#include "kinejac/free_ik.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <vector>

#include "kinejac/configuration.hpp"
#include "kinejac/pool.hpp"

namespace kinejac {
namespace {

constexpr uint64_t kCandidateKey = 0x9e3779b97f4a7c15ULL;  // the candidates' start stream, apart from the restarts'

double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

FreeResult solve_free(const Model& model, const Tasks& tasks, const Options& opts, const CollisionWorld& world,
                      const FreeOptions& free, const double* T, const double* q0, uint64_t key, uint64_t index,
                      Workspace& ws, CollisionWork& cw, double* q_out) {
    const double t0 = now();
    const Tree& tree = model.tree;
    Result first = solve_one(model, tasks, opts, T, q0, key, index, ws, q_out);
    FreeResult out{first, 0};
    if (first.reason != CONVERGED) return out;  // the targets are out of reach: no candidate will do better
    out.candidates = 1;
    if (check_configuration(tree, world, q_out, free.clearance, cw) == PAIR_FREE) return out;
    const double deadline = std::isfinite(opts.timeout) ? t0 + opts.timeout : std::numeric_limits<double>::infinity();
    std::vector<double> start(tree.nq), q(tree.nq);
    uint64_t rng = seed_state(key ^ kCandidateKey, index);
    Options o = opts;
    o.polish = false;
    int iterations = first.iterations, restarts = first.restarts;
    for (int k = 1; k <= free.candidates; ++k) {
        if (std::isfinite(opts.timeout)) {
            o.timeout = deadline - now();
            if (o.timeout <= 0.0) break;
        }
        random_configuration(tree, k % 3 == 2 ? opts.spread0 : opts.spread1, rng, start.data());
        const Result r = solve_one(model, tasks, o, T, start.data(), key, index + (static_cast<uint64_t>(k) << 32), ws,
                                   q.data());
        iterations += r.iterations;
        restarts += r.restarts + 1;
        if (r.reason != CONVERGED) continue;
        ++out.candidates;
        if (check_configuration(tree, world, q.data(), free.clearance, cw) == PAIR_FREE) {
            std::copy(q.begin(), q.end(), q_out);
            out.result = r;
            out.result.iterations = iterations;
            out.result.restarts = restarts;
            return out;
        }
    }
    out.result.reason = COLLISION;  // the plain answer, in collision
    out.result.iterations = iterations;
    out.result.restarts = restarts;
    return out;
}

void solve_free_batch(const Model& model, const Tasks& tasks, const Options& opts, const CollisionWorld& world,
                      const FreeOptions& free, const double* Ts, const double* Q0, const uint64_t* seeds, int B,
                      double* out_q, double* out_f, int64_t* out_i, int threads) {
    Options batch = opts;
    batch.history = false;
    const int chunk = std::max(1, std::min(64, (B + 8 * threads - 1) / (8 * std::max(threads, 1))));
    const int workers = std::max(1, std::min(threads, B));
    std::vector<Workspace> work(workers);
    std::vector<CollisionWork> cwork(workers);
    const size_t nq = model.tree.nq, nT = 16 * tasks.tasks.size();
    parallel_chunks(B, threads, chunk, [&](int a, int b, int worker) {
        for (int i = a; i < b; ++i) {
            const FreeResult r = solve_free(model, tasks, batch, world, free, Ts + i * nT, Q0 + i * nq, seeds[2 * i],
                                            seeds[2 * i + 1], work[worker], cwork[worker], out_q + i * nq);
            double* f = out_f + 4 * static_cast<size_t>(i);
            f[0] = r.result.position_error;
            f[1] = r.result.rotation_error;
            f[2] = r.result.cost;
            f[3] = r.result.min_distance;
            int64_t* o = out_i + 4 * static_cast<size_t>(i);
            o[0] = r.result.iterations;
            o[1] = r.result.restarts;
            o[2] = r.result.reason;
            o[3] = r.candidates;
        }
    });
}

}  // namespace kinejac
