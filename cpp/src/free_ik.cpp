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
constexpr double kGoldenFraction = 0.61803398874989485;  // (√5 - 1) / 2

double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The candidates after the first: their checks, the budget left and the counts they add.
class Candidates {
  public:
    Candidates(const Model& model, const Tasks& tasks, const Options& opts, const CollisionWorld& world,
               const FreeOptions& free, const double* T, double deadline, Workspace& ws, FreeWork& fw)
        : model_(model), tasks_(tasks), opts_(opts), world_(world), free_(free), T_(T), deadline_(deadline), ws_(ws),
          fw_(fw), left_(free.candidates) {}

    // Whether the time budget is spent.
    bool late() const { return std::isfinite(deadline_) && now() > deadline_; }

    // Whether the budget allows one more candidate (a solve from a random start, or a closed-form
    // solution), taking it.
    bool take() { return left_-- > 0; }

    // The exact check of q (a converged candidate): whether it is free.
    bool free(const double* q) {
        ++checked;
        return check_configuration(model_.tree, world_, q, free_.clearance, fw_.collision) == PAIR_FREE;
    }

    // Candidates from the closed form (see free_ik.hpp); the first free one into q_out, its result
    // into r. Whether one was found.
    bool closed_form(const double* q0, uint64_t& rng, double* q_out, Result& r);

    // Candidates from seeded random starts; as closed_form.
    bool random_starts(uint64_t key, uint64_t index, uint64_t& rng, double* q_out, Result& r);

    int checked = 0, iterations = 0, restarts = 0;

  private:
    const Model& model_;
    const Tasks& tasks_;
    const Options& opts_;
    const CollisionWorld& world_;
    const FreeOptions& free_;
    const double* T_;
    const double deadline_;
    Workspace& ws_;
    FreeWork& fw_;
    int left_;
};

bool Candidates::closed_form(const double* q0, uint64_t& rng, double* q_out, Result& r) {
    const Analytic* a = free_.analytic;
    if (a == nullptr || !solves(*a, model_.tree, tasks_)) return false;
    const Tree& tree = model_.tree;
    const int nq = tree.nq, row = nq + 3;
    fw_.rows.resize(static_cast<size_t>(a->capacity()) * row);
    fw_.start.assign(q0, q0 + nq);
    const ChainJoint* fixed = nullptr;
    for (const ChainJoint& J : a->joints)
        if (J.fixed) {
            fixed = &J;
            break;
        }
    double lo = -kPi, width = 2.0 * kPi;  // the swept range: the fixed joint's limits, or a turn
    if (fixed != nullptr && !fixed->continuous && std::isfinite(tree.lo[fixed->iq]) &&
        std::isfinite(tree.hi[fixed->iq])) {
        lo = tree.lo[fixed->iq];
        width = tree.hi[fixed->iq] - lo;
    }
    const int sweeps = fixed != nullptr ? free_.sweeps : 1;
    const double offset = uniform(rng);
    for (int k = 0; k < sweeps && left_ > 0; ++k) {
        if (late()) return false;
        if (fixed != nullptr) {  // the golden-ratio sequence: every prefix spread evenly over the range
            double u = offset + k * kGoldenFraction;
            u -= std::floor(u);
            const double v = lo + width * u;
            if (fixed->continuous) {
                fw_.start[fixed->iq] = std::cos(v);
                fw_.start[fixed->iq + 1] = std::sin(v);
            } else {
                fw_.start[fixed->iq] = v;
            }
        }
        ++restarts;
        const AllResult got = solve_all(*a, T_, fw_.start.data(), fw_.analytic, fw_.rows.data());
        if (got.reason < 0) return false;
        for (int i = 0; i < got.count; ++i) {
            const double* q = fw_.rows.data() + static_cast<size_t>(i) * row;
            if (q[nq] > opts_.position_tolerance || q[nq + 1] > opts_.rotation_tolerance) continue;
            if (!take()) return false;
            if (!free(q)) continue;
            double* e = ws_.e[0].data();
            const PoseErrors err = evaluate(tree, tasks_, T_, q, ws_.scratch, e, ws_.J[0].data());
            if (err.position > opts_.position_tolerance || err.rotation > opts_.rotation_tolerance) continue;
            double F = 0.0;
            for (int j = 0; j < tasks_.rows; ++j) F += e[j] * e[j];
            std::copy(q, q + nq, q_out);
            r = Result{};
            r.position_error = err.position;
            r.rotation_error = err.rotation;
            r.cost = 0.5 * F;
            return true;
        }
    }
    return false;
}

bool Candidates::random_starts(uint64_t key, uint64_t index, uint64_t& rng, double* q_out, Result& r) {
    const Tree& tree = model_.tree;
    fw_.start.resize(tree.nq);
    fw_.q.resize(tree.nq);
    Options o = opts_;
    o.polish = false;
    for (int k = 1; take(); ++k) {
        if (std::isfinite(deadline_)) {
            o.timeout = deadline_ - now();
            if (o.timeout <= 0.0) return false;
        }
        random_configuration(tree, k % 3 == 2 ? opts_.spread0 : opts_.spread1, rng, fw_.start.data());
        const Result got = solve_one(model_, tasks_, o, T_, fw_.start.data(), key,
                                     index + (static_cast<uint64_t>(k) << 32), ws_, fw_.q.data());
        iterations += got.iterations;
        restarts += got.restarts + 1;
        if (got.reason != CONVERGED) continue;
        if (free(fw_.q.data())) {
            std::copy(fw_.q.begin(), fw_.q.end(), q_out);
            r = got;
            return true;
        }
    }
    return false;
}

}  // namespace

FreeResult solve_free(const Model& model, const Tasks& tasks, const Options& opts, const CollisionWorld& world,
                      const FreeOptions& free, const double* T, const double* q0, uint64_t key, uint64_t index,
                      Workspace& ws, FreeWork& fw, double* q_out) {
    const double t0 = now();
    const Tree& tree = model.tree;
    Result first = solve_one(model, tasks, opts, T, q0, key, index, ws, q_out);
    FreeResult out{first, 0};
    if (first.reason != CONVERGED) return out;  // the targets are out of reach: no candidate will do better
    out.candidates = 1;
    if (check_configuration(tree, world, q_out, free.clearance, fw.collision) == PAIR_FREE) return out;
    const double deadline = std::isfinite(opts.timeout) ? t0 + opts.timeout : std::numeric_limits<double>::infinity();
    Candidates c(model, tasks, opts, world, free, T, deadline, ws, fw);
    uint64_t rng = seed_state(key ^ kCandidateKey, index);
    Result r;
    const bool found = c.closed_form(q0, rng, q_out, r) || c.random_starts(key, index, rng, q_out, r);
    out.candidates += c.checked;
    if (found) out.result = r;
    else out.result.reason = COLLISION;  // the plain answer (still in q_out), in collision
    out.result.iterations = first.iterations + c.iterations;
    out.result.restarts = first.restarts + c.restarts;
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
    std::vector<FreeWork> fwork(workers);
    const size_t nq = model.tree.nq, nT = 16 * tasks.tasks.size();
    parallel_chunks(B, threads, chunk, [&](int a, int b, int worker) {
        for (int i = a; i < b; ++i) {
            const FreeResult r = solve_free(model, tasks, batch, world, free, Ts + i * nT, Q0 + i * nq, seeds[2 * i],
                                            seeds[2 * i + 1], work[worker], fwork[worker], out_q + i * nq);
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
