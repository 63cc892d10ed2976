// Closed-form inverse kinematics by subproblems: every solution of a 6-joint revolute chain whose
// axes fall into a known family, refined on the real kinematic tree and returned within the limits.
//
// The chain is written as a product of exponentials at zero (Brockett 1984): joint i turns about the
// line through o_i along the unit axis h_i (base frame, every chain joint at 0), and
//     T_base_frame(q) = exp(ξ₁ q₁) ⋯ exp(ξ₆ q₆) T₀,   exp(ξ q) x = o + rot(h, q)(x - o).
// Joints held fixed (a 7-joint arm with one joint given) are folded in first: a fixed joint's motion
// moves the lines of the joints after it and the tool. A family found in the chain read backwards
// (the tool as base: a spherical shoulder instead of a spherical wrist) is solved on the reversed
// chain, T⁻¹ = exp(ξ'₁ q₆) ⋯ exp(ξ'₆ q₁) T₀⁻¹ with the lines moved by T₀⁻¹ and the axes negated.
//
// Families (indices from 0, on the chain in the orientation the family was found in):
// - SPHERICAL_WRIST: axes 3, 4, 5 meet at W. W is fixed by the wrist, so the target gives it:
//   W_t = T_t T₀⁻¹ W, and joints 0-2 move W to W_t (a 3R placement, below); the wrist then solves
//   R₃R₄R₅ = (R₀R₁R₂)ᵀ R_t R₀ᵀ by subproblem 4 (joint 4) and 1 (joints 3, 5). Up to 8 solutions.
// - THREE_PARALLEL (the UR family): axes 1, 2, 3 parallel (h) and axes 4, 5 meet at W. W_t as
//   above; rotations about h keep components along h, so hᵀ rot(h₀, -q₀)(W_t - o₀) = hᵀ(W - o₀) gives
//   q₀ (subproblem 4); hᵀ R₄ h₅ = hᵀ M h₅ with M = R₀ᵀ R_t R₀ᵀ gives q₄, R₅ᵀR₄ᵀ h = Mᵀ h gives q₅
//   (subproblem 1), the sum of the parallel angles follows, then subproblems 3 and 1 place the
//   parallel joints. Up to 8 solutions.
// - TWO_INTERSECTING: axes 4, 5 meet at W, and three of joints 0-3 (1-3 or 0-2) form a 3R placement
//   with a closed form. The fourth is searched over a turn (Elias & Wen's 1-D search): for each of its
//   angles the placement moves W to W_t, and the two-axis wrist can turn R₄R₅ = N only if
//   h₄ᵀ N h₅ = h₄ᵀ h₅; the roots of that error, bracketed on a grid and refined by false position,
//   are the solutions.
// 3R placements (joints a, b, c move the point x to y): b ∥ c, a ∩ b, a ∥ b, b ∩ c have closed forms
// by subproblems 1-4 (up to 4 solutions); a general one is searched over q_a (subproblem 3 for q_c,
// the error along h_b, subproblem 1 for q_b).
//
// Every candidate is then put into the robot's configuration (the other joints as in q0), its pose
// error measured on the real tree and refined by damped Gauss-Newton steps when above kRefineFrom
// (always needed when the chain was only near its family and the subproblems ran on an idealised
// copy), kept if it reaches `tolerance`, its revolute angles moved to the equivalents nearest q0
// within the limits (or every equivalent the limits admit), duplicates dropped, and the solutions
// sorted by their distance to q0. Nothing here allocates once the Workspace is sized.
#pragma once

#include <cstdint>
#include <vector>

#include "kinejac/linalg.hpp"
#include "kinejac/residual.hpp"
#include "kinejac/subproblems.hpp"
#include "kinejac/tree.hpp"

namespace kinejac {

enum Family : int { SPHERICAL_WRIST = 0, THREE_PARALLEL, TWO_INTERSECTING };
// How three joints a, b, c place a point: which pair of consecutive axes is special.
enum Placement : int { BC_PARALLEL = 0, AB_INTERSECTING, AB_PARALLEL, BC_INTERSECTING, SEARCHED };
// Why a target has no solution (kinejac.ik.SolutionsReason, in this order).
enum AllReason : int { SOLVED = 0, UNREACHABLE, OUTSIDE_LIMITS, NOT_CONVERGED };

inline constexpr int kMaxCandidates = 16;  // closed forms give ≤ 8; searches keep the first 16 roots
inline constexpr double kRefineFrom = 1e-13;  // [m] and [rad]: a candidate this close is left alone

// One joint of the chain, base to frame.
struct ChainJoint {
    V3 h, o;            // unit axis and a point on it, base frame, every chain joint at 0 [m]
    int iq = 0, iv = 0;  // its coordinate(s) in q, its tangent index
    bool continuous = false;  // coordinates (cos θ, sin θ)
    bool fixed = false;       // held at its value in q0
};

// A 6-joint chain in product-of-exponentials form: the lines of its joints and T₀ = (R0, p0).
struct Chain6 {
    V3 h[6], o[6];
    double R0[9];
    V3 p0;
    double slack = kSubproblemEps;  // how far a subproblem may miss and still give its closest angle
};

// A robot's chain and its family, as kinejac.ik.structure found them, with the refinement options.
struct Analytic {
    Tree tree;    // the whole robot (the refinement's oracle)
    Tasks tasks;  // one full-pose task: the frame, relative to the base frame (or the world)
    int family = SPHERICAL_WRIST, placement = BC_PARALLEL;
    bool reversed = false;
    int searched = 0;   // TWO_INTERSECTING: the searched joint, 0 or 3
    int samples = 128;  // grid of a 1-D search over one turn
    std::vector<ChainJoint> joints;  // 6 free joints and any fixed ones
    double R0[9];                    // T_base_frame with every chain joint at 0
    V3 p0;
    double tolerance = 1e-10;  // [m] and [rad]: a solution reaches the target this closely
    int newton_steps = 30;
    bool all_equivalents = false;  // every equivalent angle the limits admit, not only the nearest
    double slack = kSubproblemEps;  // a chain only near its family: subproblems keep closest angles this far
    double same = 1e-7;            // [rad]: solutions closer than this in every joint are one

    // The most solutions one target can give: 8 for a closed form, kMaxCandidates for a search, times
    // the equivalents the limits admit with all_equivalents.
    int capacity() const;
};

// One candidate of the closed form: the six angles (in the solved chain's order), its branch (the
// subproblems' root choices, as bits) and whether a subproblem was degenerate or tangent there.
struct Candidate {
    double q[6];
    int branch = 0;
    bool singular = false;
};

// What a 1-D search evaluates at one angle: per branch (at most 4) the error, whether the branch
// exists there, and its angles (to tell which branches meet where one ends).
struct Sample {
    double f[4] = {0, 0, 0, 0};
    double angles[4][3] = {};
    char ok[4] = {0, 0, 0, 0};
};

// The work arrays of one target, sized once per Analytic.
struct alignas(64) AnalyticWork {  // one per thread side by side in a batch: no shared cache line
    Scratch scratch;
    LinearWork lin;
    std::vector<double> e, J, Jc, start, q;  // (6), (6, nv), (6, 6), (nq), (2, nq): a candidate and a trial
    std::vector<double> found;               // (kMaxCandidates, nq + 3): the solutions before expansion
    std::vector<Sample> grid;                // (samples + 1): a 1-D search's errors per branch
    std::vector<int> order;                  // (capacity): the sort
    std::vector<double> dist, sorted;        // (capacity), (capacity, nq + 3)
    void prepare(const Analytic& a);
};

// What one target gave: the solutions written, why none (AllReason), whether one was singular, the
// closed form's candidates, those dropped for the limits and those the refinement could not bring
// within `tolerance`. reason < 0: an invalid target (-1) or start (-2).
struct AllResult {
    int count = 0, reason = SOLVED;
    bool singular = false;
    int candidates = 0, outside_limits = 0, not_converged = 0;
};

// Every solution for the target T (4, 4) = T_base_frame, from q0 (nq) (clipped into the limits; the
// fixed and other joints keep its values) into out (capacity, nq + 3): per row q, position error [m],
// rotation error [rad] and the branch, sorted by the distance to q0.
AllResult solve_all(const Analytic& a, const double* T, const double* q0, AnalyticWork& w, double* out);

// Whether `a` solves `tasks` on `tree`: one full-pose task of its frame, in its reference, on a tree
// of the same shape (what a caller checks before handing a closed form to a solver).
bool solves(const Analytic& a, const Tree& tree, const Tasks& tasks);

// The pose errors of a's task at q (nq) for the target T (4, 4), without the Jacobian: [m], [rad].
PoseErrors pose_errors(const Analytic& a, const double* T, const double* q, AnalyticWork& w);

// The solution nearest qs alone (a start within the limits, as clip_start leaves it) into q_out (nq):
// the candidates at their angles' equivalents nearest qs within the limits, ordered by the distance
// to qs, and the first that refines to `tolerance` (one refinement, where solve_all refines every
// candidate). count is 1 when one was found; reason, candidates, outside limits and not converged
// as for solve_all. T must be a valid pose (solve_all's check).
AllResult solve_nearest(const Analytic& a, const double* T, const double* qs, AnalyticWork& w, double* q_out);

// Targets Ts (B, 4, 4) from starts Q0 (B, nq) (q0_stride = nq; 0: one start (nq) for every target)
// into out (B, capacity, nq + 3) (rows past a target's count are NaN, with branch -1) and info (B, 6)
// [count, reason, singular, candidates, outside limits, not converged], on `threads` threads; a
// target's answer does not depend on the thread count.
void solve_all_batch(const Analytic& a, const double* Ts, const double* Q0, int q0_stride, int B, double* out,
                     int64_t* info, int threads);

}  // namespace kinejac
