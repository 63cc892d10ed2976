// The IK error of a set of frame targets and its exact Jacobian.
//
// A task asks for the pose T_ref_frame of one frame (ref: the world, or another frame). With
// X = T_ref_frame(q) and the target T_t, the pose error M = T_t⁻¹ X is the current pose seen from
// the target frame, and every error is in the target frame's axes:
// - full pose (all six weights > 0): e = W log6(M), de/dq = W Jlog6(M) J_local(q);
// - some weights 0 (masks, position-only, orientation-only): e = W [t(M); log3(R(M))] on the
//   weighted rows, de/dq = W [R(M) J_local,lin; Jlog3(R(M)) J_local,ang] (a free axis is exactly free);
// - relative targets (X = T_world_ref⁻¹ T_world_frame): J_local = J_frame - Ad(X⁻¹) J_ref.
// J_local is the frame Jacobian in its own axes (X ⊕ δ = X exp(J_local δ)). The position error is
// ‖t(M)‖ [m] and the rotation error ‖log3(R(M))‖ [rad], on the constrained axes, the worst over
// the tasks.
#pragma once

#include <vector>

#include "kinejac/tree.hpp"

namespace kinejac {

struct Task {
    int frame = 0;
    int ref = -1;      // the reference frame, or -1: the world
    bool full = true;  // all six weights > 0
    double w[6] = {1, 1, 1, 1, 1, 1};
};

// The tasks of a problem and the joints that move their frames (sorted).
struct Tasks {
    std::vector<Task> tasks;
    std::vector<int> path;
    int rows = 0;  // the rows of the error: the tasks' positive weights

    Tasks() = default;
    Tasks(std::vector<Task> t, std::vector<int> p) : tasks(std::move(t)), path(std::move(p)) {
        for (const Task& k : tasks)
            for (double w : k.w) rows += w > 0.0;
    }
};

// Work arrays of evaluate(), sized for one tree.
struct Scratch {
    Placements pl;
    std::vector<double> Jl, Jb, Jt;  // (6, nv): the frame's local, the reference's local, world-aligned
    explicit Scratch(const Tree& tree = Tree())
        : pl(std::max(1, tree.njoints())),
          Jl(6 * static_cast<size_t>(tree.nv)),
          Jb(6 * static_cast<size_t>(tree.nv)),
          Jt(6 * static_cast<size_t>(tree.nv)) {}
};

struct PoseErrors {
    double position = 0.0, rotation = 0.0;  // [m], [rad]: the worst over the tasks
};

// Error e (m) and its Jacobian J (m, nv) of the tasks at q, from one kinematics pass over the
// tasks' path. T: the targets (nt, 4, 4), row-major.
PoseErrors evaluate(const Tree& tree, const Tasks& tasks, const double* T, const double* q, Scratch& s, double* e,
                    double* J);

}  // namespace kinejac
