// The IK attempts, the restart loop and batches (see solver.hpp).
#include "kinejac/solver.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

#include "kinejac/pool.hpp"

namespace kinejac {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kLmMaxDamping = 1e12;
constexpr double kArmijo = 1e-4;
constexpr int kLineSearchSteps = 12;
constexpr double kOrthoTol = 1e-10;  // targets further from a rotation than this are refused
constexpr double kMaxCoordinate = 1e9;  // [m] kinejac.spatial.MAX_COORDINATE: farther targets are refused
constexpr int kClockEvery = 4;       // LM reads the clock every this many iterations (~3 µs)

double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Finite, last row [0, 0, 0, 1], a rotation to kOrthoTol and a translation within kMaxCoordinate.
bool valid_targets(const double* T, size_t nt) {
    for (size_t k = 0; k < nt; ++k) {
        const double* M = T + 16 * k;
        for (int i = 0; i < 16; ++i)
            if (!std::isfinite(M[i])) return false;
        if (M[12] != 0.0 || M[13] != 0.0 || M[14] != 0.0 || M[15] != 1.0) return false;
        if (std::fabs(M[3]) > kMaxCoordinate || std::fabs(M[7]) > kMaxCoordinate || std::fabs(M[11]) > kMaxCoordinate)
            return false;
        for (int a = 0; a < 3; ++a)
            for (int c = a; c < 3; ++c) {
                const double d = M[a] * M[c] + M[4 + a] * M[4 + c] + M[8 + a] * M[8 + c];
                if (std::fabs(d - (a == c ? 1.0 : 0.0)) > kOrthoTol) return false;
            }
        const double det = M[0] * (M[5] * M[10] - M[6] * M[9]) - M[1] * (M[4] * M[10] - M[6] * M[8]) +
                           M[2] * (M[4] * M[9] - M[5] * M[8]);
        if (det < 0.0) return false;
    }
    return true;
}

// The outcome of one attempt.
struct Attempt {
    double F, perr, rerr;
    int iterations, reason;
    bool stuck;
};

struct Measure {
    double F, perr, rerr, dmin;
};

// One attempt's view of a problem: the model, tasks and targets, the options and the work arrays.
class Solve {
  public:
    Solve(const Model& model, const Tasks& tasks, const double* T, Workspace& ws)
        : tree_(model.tree), sph_(model.spheres), tasks_(tasks), T_(T), ws_(ws), m_(tasks.rows), nv_(model.tree.nv) {}

    // The error and Jacobian at q into slot `slot`, and with collision avoidance the penalty terms.
    Measure measure(const double* q, int slot, const Options& o) {
        double* e = ws_.e[slot].data();
        const PoseErrors err = evaluate(tree_, tasks_, T_, q, ws_.scratch, e, ws_.J[slot].data());
        double F = 0.0;
        for (int i = 0; i < m_; ++i) F += e[i] * e[i];
        F *= 0.5;
        if (!o.collide) return {F, err.position, err.rotation, kInf};
        const Penalty p = penalty(tree_, sph_, o.d0, ws_.scratch.pl, ws_.pen, ws_.H[slot].data(), ws_.b[slot].data());
        return {F + p.value, err.position, err.rotation, p.min_distance};
    }

    static bool converged(const Measure& r, const Options& o) {
        return r.perr <= o.position_tolerance && r.rerr <= o.rotation_tolerance && r.dmin >= o.clearance;
    }

    // g = Jᵀ e of slot 0, plus the collision terms' b (the gradient of the whole cost).
    void gradient(const Options& o, double* g) {
        const double* J = ws_.J[0].data();
        const double* e = ws_.e[0].data();
        for (int c = 0; c < nv_; ++c) {
            double s = 0.0;
            for (int r = 0; r < m_; ++r) s += J[r * nv_ + c] * e[r];
            g[c] = s + (o.collide ? ws_.b[0][c] : 0.0);
        }
    }

    bool blocked_joints(const double* q, const double* g) {
        return blocked(tree_, q, g, reinterpret_cast<bool*>(ws_.mask.data()));
    }

    // Remove the joints held on a limit from the collision terms (as from J).
    void drop_held() {
        double* H = ws_.H[0].data();
        double* b = ws_.b[0].data();
        for (int c = 0; c < nv_; ++c)
            if (ws_.mask[c]) {
                b[c] = 0.0;
                for (int k = 0; k < nv_; ++k) H[c * nv_ + k] = H[k * nv_ + c] = 0.0;
            }
    }

    // J of slot 0 itself, or (if any joint is held) a copy with the held joints' columns zeroed.
    const double* without_held(bool any) {
        const double* J = ws_.J[0].data();
        if (!any) return J;
        double* out = ws_.Jm.data();
        for (int r = 0; r < m_; ++r)
            for (int c = 0; c < nv_; ++c) out[r * nv_ + c] = ws_.mask[c] ? 0.0 : J[r * nv_ + c];
        return out;
    }

    // q[1] = q[0] ⊕ delta projected into the limits, `taken` the step actually taken; whether a
    // joint was clamped onto a limit.
    bool step(const double* delta) {
        std::copy(delta, delta + nv_, ws_.taken.begin());
        integrate(tree_, ws_.q[0].data(), delta, ws_.q[1].data());
        return project(tree_, ws_.q[1].data(), ws_.taken.data());
    }

    // The decrease of the cost that the Gauss-Newton model predicts for the step `taken`.
    double predicted(const Options& o) {
        const double* J = ws_.J[0].data();
        const double* e = ws_.e[0].data();
        const double* d = ws_.taken.data();
        double ed = 0.0, dd = 0.0;
        for (int r = 0; r < m_; ++r) {
            double s = 0.0;
            for (int c = 0; c < nv_; ++c) s += J[r * nv_ + c] * d[c];
            ed += e[r] * s;
            dd += s * s;
        }
        double pred = -ed - 0.5 * dd;
        if (o.collide) {
            const double* H = ws_.H[0].data();
            const double* b = ws_.b[0].data();
            for (int i = 0; i < nv_; ++i) {
                pred -= b[i] * d[i];
                for (int j = 0; j < nv_; ++j) pred -= 0.5 * d[i] * H[i * nv_ + j] * d[j];
            }
        }
        return pred;
    }

    // The trial (slot 1) becomes the current state (slot 0).
    void accept() {
        std::swap(ws_.q[0], ws_.q[1]);
        std::swap(ws_.e[0], ws_.e[1]);
        std::swap(ws_.J[0], ws_.J[1]);
        std::swap(ws_.H[0], ws_.H[1]);
        std::swap(ws_.b[0], ws_.b[1]);
    }

    void record(const double* q) {
        int& n = ws_.hist_n[0];
        if (n < ws_.hist_len) {
            std::copy(q, q + tree_.nq, ws_.hist[0].begin() + static_cast<size_t>(n) * tree_.nq);
            ++n;
        }
    }

    Attempt lm(const Options& o, double deadline, bool rec);
    Attempt gn(const Options& o, double deadline, bool rec);
    Attempt dls(const Options& o, double deadline, bool rec);

    Attempt attempt(const Options& o, double deadline, bool rec) {
        if (o.method == LM) return lm(o, deadline, rec);
        if (o.method == GN) return gn(o, deadline, rec);
        return dls(o, deadline, rec);
    }

    // Why an attempt that stalled at q[0] stopped: held by the limits, at a singularity, or otherwise.
    int why_stuck(const Options& o) {
        Options plain = o;  // the pose error's own gradient Jᵀe
        plain.collide = false;
        gradient(plain, ws_.grad.data());
        if (blocked_joints(ws_.q[0].data(), ws_.grad.data())) return LIMITS;
        if (0 < m_ && m_ <= nv_) {
            const SingularRange s = singular_range(ws_.J[0].data(), m_, nv_);
            if (s.min < 1e-6 * std::max(1.0, s.max)) return SINGULAR;
        }
        return STALLED;
    }

    const Tree& tree_;
    const SphereModel& sph_;
    const Tasks& tasks_;
    const double* T_;
    Workspace& ws_;
    const int m_, nv_;
};

Attempt Solve::lm(const Options& o, double deadline, bool rec) {
    Measure cur = measure(ws_.q[0].data(), 0, o);
    if (converged(cur, o)) return {cur.F, cur.perr, cur.rerr, 0, CONVERGED, false};
    double diag = 1e-12;
    for (int c = 0; c < nv_; ++c) {
        double s = o.collide ? ws_.H[0][c * nv_ + c] : 0.0;
        for (int r = 0; r < m_; ++r) s += ws_.J[0][r * nv_ + c] * ws_.J[0][r * nv_ + c];
        diag = std::max(diag, s);
    }
    double lam = o.lm_tau * diag, nu = 2.0;
    double best_F = cur.F;
    int best_it = 0;
    double* g = ws_.grad.data();
    gradient(o, g);
    bool on_bound = blocked_joints(ws_.q[0].data(), g);
    const bool small = m_ <= nv_ && !o.collide;
    for (int it = 1; it <= o.max_iterations; ++it) {
        bool any_blocked = false;
        if (on_bound) {
            gradient(o, g);
            any_blocked = blocked_joints(ws_.q[0].data(), g);
            if (o.collide && any_blocked) drop_held();
        }
        const double* Jm = without_held(any_blocked);
        damped_step(Jm, ws_.e[0].data(), m_, nv_, lam, ws_.lin, ws_.delta.data(), ws_.H[0].data(), ws_.b[0].data(),
                    o.collide);
        const bool clamped = step(ws_.delta.data());
        const Measure trial = measure(ws_.q[1].data(), 1, o);
        if (trial.F < cur.F) {
            double pred;
            if (small && !clamped) {  // J δ = λx - e for δ = -Jᵀx: predicted decrease ½(‖e‖² - λ²‖x‖²)
                double xx = 0.0;
                for (int i = 0; i < m_; ++i) xx += ws_.lin.x[i] * ws_.lin.x[i];
                pred = cur.F - 0.5 * lam * lam * xx;
            } else {
                pred = predicted(o);
            }
            const double rho = pred > 0.0 ? (cur.F - trial.F) / pred : 1.0;
            const double t = 2.0 * rho - 1.0;
            lam *= std::max(1.0 / 3.0, 1.0 - t * t * t);
            nu = 2.0;
            accept();
            cur = trial;
            on_bound = clamped || any_blocked;
            if (rec) record(ws_.q[0].data());
            if (converged(cur, o)) return {cur.F, cur.perr, cur.rerr, it, CONVERGED, false};
            if (cur.F < o.stall_progress * best_F) {
                best_F = cur.F;
                best_it = it;
            }
        } else {
            lam *= nu;
            nu *= 2.0;
        }
        if (it - best_it >= o.stall_iterations || lam > kLmMaxDamping)
            return {cur.F, cur.perr, cur.rerr, it, STALLED, true};
        if (deadline < kInf && it % kClockEvery == 0 && now() > deadline)
            return {cur.F, cur.perr, cur.rerr, it, TIMEOUT, false};
    }
    return {cur.F, cur.perr, cur.rerr, o.max_iterations, MAX_ITERATIONS, false};
}

Attempt Solve::gn(const Options& o, double deadline, bool rec) {
    Measure cur = measure(ws_.q[0].data(), 0, o);
    if (converged(cur, o)) return {cur.F, cur.perr, cur.rerr, 0, CONVERGED, false};
    double best_F = cur.F;
    int best_it = 0;
    double* g = ws_.grad.data();
    for (int it = 1; it <= o.max_iterations; ++it) {
        gradient(o, g);
        const bool any_blocked = blocked_joints(ws_.q[0].data(), g);
        if (o.collide && any_blocked) drop_held();
        const double* Jf = without_held(any_blocked);
        double tr = 0.0;
        for (int i = 0; i < m_ * nv_; ++i) tr += Jf[i] * Jf[i];
        // a tiny damping keeps a rank-deficient JᵀJ solvable
        damped_step(Jf, ws_.e[0].data(), m_, nv_, 1e-12 * (1.0 + tr), ws_.lin, ws_.delta.data(), ws_.H[0].data(),
                    ws_.b[0].data(), o.collide);
        double alpha = 1.0;
        bool accepted = false;
        Measure trial{};
        for (int k = 0; k < kLineSearchSteps; ++k) {
            for (int c = 0; c < nv_; ++c) ws_.trial[c] = alpha * ws_.delta[c];
            step(ws_.trial.data());
            trial = measure(ws_.q[1].data(), 1, o);
            double slope = 0.0;
            for (int c = 0; c < nv_; ++c) slope += g[c] * ws_.taken[c];
            if (trial.F < cur.F && trial.F <= cur.F + kArmijo * slope) {
                accepted = true;
                break;
            }
            alpha *= 0.5;
        }
        if (!accepted) return {cur.F, cur.perr, cur.rerr, it, STALLED, true};
        accept();
        cur = trial;
        if (rec) record(ws_.q[0].data());
        if (converged(cur, o)) return {cur.F, cur.perr, cur.rerr, it, CONVERGED, false};
        if (cur.F < o.stall_progress * best_F) {
            best_F = cur.F;
            best_it = it;
        }
        if (it - best_it >= o.stall_iterations) return {cur.F, cur.perr, cur.rerr, it, STALLED, true};
        if (deadline < kInf && now() > deadline) return {cur.F, cur.perr, cur.rerr, it, TIMEOUT, false};
    }
    return {cur.F, cur.perr, cur.rerr, o.max_iterations, MAX_ITERATIONS, false};
}

Attempt Solve::dls(const Options& o, double deadline, bool rec) {
    Measure cur = measure(ws_.q[0].data(), 0, o);
    if (converged(cur, o)) return {cur.F, cur.perr, cur.rerr, 0, CONVERGED, false};
    double best_F = cur.F, best_q_F = cur.F;  // the stall test's; the true minimum seen
    int best_it = 0;
    std::copy(ws_.q[0].begin(), ws_.q[0].end(), ws_.q[2].begin());
    int reason = MAX_ITERATIONS, it = 0;
    bool stuck = false;
    double* g = ws_.grad.data();
    const double lam_max2 = o.dls_max_damping * o.dls_max_damping;
    for (it = 1; it <= o.max_iterations; ++it) {
        gradient(o, g);
        blocked_joints(ws_.q[0].data(), g);
        const double* Jf = without_held(true);
        const double s_min = singular_range(Jf, m_, nv_).min;
        double lam2 = s_min >= o.dls_epsilon ? 0.0 : (1.0 - (s_min / o.dls_epsilon) * (s_min / o.dls_epsilon)) * lam_max2;
        lam2 *= std::min(1.0, std::sqrt(2.0 * cur.F) / o.dls_error_scale);  // fades out as the error vanishes
        damped_step(Jf, ws_.e[0].data(), m_, nv_, lam2 + 1e-12, ws_.lin, ws_.delta.data(), nullptr, nullptr, false);
        double big = 0.0;
        for (int c = 0; c < nv_; ++c) big = std::max(big, std::fabs(ws_.delta[c]));
        if (big > o.max_step)
            for (int c = 0; c < nv_; ++c) ws_.delta[c] *= o.max_step / big;
        step(ws_.delta.data());
        std::swap(ws_.q[0], ws_.q[1]);
        cur = measure(ws_.q[0].data(), 0, o);
        if (rec) record(ws_.q[0].data());
        if (converged(cur, o)) return {cur.F, cur.perr, cur.rerr, it, CONVERGED, false};
        if (cur.F < o.stall_progress * best_F) {
            best_F = cur.F;
            best_it = it;
        }
        if (cur.F < best_q_F) {
            std::copy(ws_.q[0].begin(), ws_.q[0].end(), ws_.q[2].begin());
            best_q_F = cur.F;
        }
        if (it - best_it >= o.stall_iterations) {
            reason = STALLED;
            stuck = true;
            break;
        }
        if (deadline < kInf && now() > deadline) {
            reason = TIMEOUT;
            break;
        }
    }
    if (it > o.max_iterations) it = o.max_iterations;
    std::copy(ws_.q[2].begin(), ws_.q[2].end(), ws_.q[0].begin());
    cur = measure(ws_.q[0].data(), 0, o);
    return {cur.F, cur.perr, cur.rerr, it, reason, stuck};
}

}  // namespace

void Workspace::prepare(const Model& model, int rows, int history_length) {
    const Tree& t = model.tree;
    const int S = model.spheres.spheres();
    history_length = std::max(history_length, 1);
    if (nq == t.nq && nv == t.nv && m == rows && hist_len == history_length && spheres == S &&
        scratch.pl.R.size() == 9 * static_cast<size_t>(t.njoints()))
        return;
    nq = t.nq;
    nv = t.nv;
    m = rows;
    hist_len = history_length;
    spheres = S;
    const size_t mv = static_cast<size_t>(m) * nv, vv = static_cast<size_t>(nv) * nv;
    start.assign(nq, 0.0);
    for (auto& v : q) v.assign(nq, 0.0);
    for (int s = 0; s < 2; ++s) {
        e[s].assign(m, 0.0);
        J[s].assign(mv, 0.0);
        H[s].assign(vv, 0.0);
        b[s].assign(nv, 0.0);
        hist[s].assign(static_cast<size_t>(hist_len) * nq, 0.0);
    }
    delta.assign(nv, 0.0);
    taken.assign(nv, 0.0);
    grad.assign(nv, 0.0);
    trial.assign(nv, 0.0);
    Jm.assign(mv, 0.0);
    mask.assign(nv, 0);
    lin.resize(std::max({m, nv, 1}));
    scratch = Scratch(t);
    pen.resize(S, nv);
}

Result solve_one(const Model& model, const Tasks& tasks, const Options& opts, const double* T, const double* q0,
                 uint64_t key, uint64_t index, Workspace& ws, double* q_out, const Analytic* closed) {
    const double t0 = now();
    const double deadline = std::isfinite(opts.timeout) ? t0 + opts.timeout : kInf;
    if (!valid_targets(T, tasks.tasks.size())) return {kNaN, kNaN, kNaN, kNaN, 0, 0, INVALID_TARGET};
    const Tree& tree = model.tree;
    ws.prepare(model, tasks.rows, opts.history ? opts.max_iterations + 1 : 1);
    if (!clip_start(tree, q0, ws.start.data())) return {kNaN, kNaN, kNaN, kNaN, 0, 0, INVALID_START};
    q0 = ws.start.data();
    Solve solve(model, tasks, T, ws);
    const bool record = opts.history;
    ws.rng = seed_state(key, index);
    std::copy(q0, q0 + tree.nq, ws.q[0].begin());
    ws.hist_n[0] = ws.hist_n[1] = 0;
    if (tree.nv == 0) {  // nothing moves: the only configuration reaches the targets or not
        const Measure r = solve.measure(ws.q[0].data(), 0, opts);
        std::copy(q0, q0 + tree.nq, q_out);
        return {r.perr, r.rerr, r.F, r.dmin, 0, 0, Solve::converged(r, opts) ? CONVERGED : STALLED};
    }
    // the closed form's solution nearest the start replaces a start that does not already solve it
    // (the errors at the start without the Jacobian: the attempt measures again wherever it starts)
    bool seeded = false;
    if (closed != nullptr) {
        const PoseErrors e = pose_errors(*closed, T, q0, ws.closed);
        if (!(e.position <= opts.position_tolerance && e.rotation <= opts.rotation_tolerance))
            seeded = solve_nearest(*closed, T, q0, ws.closed, ws.q[0].data()).count == 1;
    }
    Result best{kInf, kInf, kInf, kInf, 0, 0, MAX_ITERATIONS};
    double best_F = kInf;
    bool best_stuck = false, timed_out = false;
    int iterations = 0, restarts = 0;
    const auto keep = [&](const Attempt& a) {
        best_F = a.F;
        best.position_error = a.perr;
        best.rotation_error = a.rerr;
        best.reason = a.reason;
        best_stuck = a.stuck;
        std::copy(ws.q[0].begin(), ws.q[0].end(), q_out);
    };
    for (int k = 0; k <= opts.max_restarts; ++k) {
        if (k) {
            random_configuration(tree, (k - 1) % 2 == 0 ? opts.spread0 : opts.spread1, ws.rng, ws.q[0].data());
            ++restarts;
        }
        if (record) {
            ws.hist_n[0] = 0;
            if (k == 0 && seeded) solve.record(q0);  // the start, then the closed form's solution
            solve.record(ws.q[0].data());
        }
        const Attempt a = solve.attempt(opts, deadline, record);
        iterations += a.iterations;
        if (a.F < best_F || a.reason == CONVERGED) {
            keep(a);
            if (record) {  // the history of the best attempt so far
                std::copy(ws.hist[0].begin(), ws.hist[0].begin() + static_cast<size_t>(ws.hist_n[0]) * tree.nq,
                          ws.hist[1].begin());
                ws.hist_n[1] = ws.hist_n[0];
            }
        }
        if (a.reason == CONVERGED) break;
        if (deadline < kInf && now() > deadline) {
            timed_out = true;
            break;
        }
    }
    if (best.reason != CONVERGED && opts.polish && !timed_out) {
        // a patient local solve from the best configuration: the closest configuration found
        Options patient = opts;
        patient.stall_iterations = std::max(opts.stall_iterations, 10);
        patient.stall_progress = 0.999;
        std::copy(q_out, q_out + tree.nq, ws.q[0].begin());
        const Attempt a = solve.attempt(patient, deadline, false);
        iterations += a.iterations;
        if (a.F < best_F || a.reason == CONVERGED) keep(a);
        if (a.reason == TIMEOUT) timed_out = true;
    }
    best.cost = best_F;
    if (best.reason != CONVERGED || opts.collide) {  // the error, Jacobian and distances there
        std::copy(q_out, q_out + tree.nq, ws.q[0].begin());
        const Measure r = solve.measure(ws.q[0].data(), 0, opts);
        best.cost = r.F;
        best.position_error = r.perr;
        best.rotation_error = r.rerr;
        best.min_distance = r.dmin;
    }
    if (best.reason != CONVERGED) {
        if (best_stuck) best.reason = solve.why_stuck(opts);
        if (timed_out) best.reason = TIMEOUT;
    }
    nearest_to_seed(tree, q_out, q0);
    best.iterations = iterations;
    best.restarts = restarts;
    return best;
}

void solve_range(const Model& model, const Tasks& tasks, const Options& opts, const double* Ts, const double* Q0,
                 const uint64_t* seeds, int start, int stop, double* out_q, double* out_f, int64_t* out_i,
                 Workspace& ws, const Analytic* closed) {
    const size_t nq = model.tree.nq, nT = 16 * tasks.tasks.size();
    for (int b = start; b < stop; ++b) {
        const Result r = solve_one(model, tasks, opts, Ts + b * nT, Q0 + b * nq, seeds[2 * b], seeds[2 * b + 1], ws,
                                   out_q + b * nq, closed);
        double* f = out_f + 4 * static_cast<size_t>(b);
        f[0] = r.position_error;
        f[1] = r.rotation_error;
        f[2] = r.cost;
        f[3] = r.min_distance;
        int64_t* i = out_i + 3 * static_cast<size_t>(b);
        i[0] = r.iterations;
        i[1] = r.restarts;
        i[2] = r.reason;
    }
}

void solve_batch(const Model& model, const Tasks& tasks, const Options& opts, const double* Ts, const double* Q0,
                 const uint64_t* seeds, int B, double* out_q, double* out_f, int64_t* out_i, int threads,
                 const Analytic* closed) {
    Options batch = opts;
    batch.history = false;
    const int chunk = std::max(1, std::min(256, (B + 8 * threads - 1) / (8 * std::max(threads, 1))));
    std::vector<Workspace> work(std::max(1, std::min(threads, B)));
    parallel_chunks(B, threads, chunk, [&](int a, int b, int worker) {
        solve_range(model, tasks, batch, Ts, Q0, seeds, a, b, out_q, out_f, out_i, work[worker], closed);
    });
}

}  // namespace kinejac
