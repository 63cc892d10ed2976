// The native core from C++ alone, no Python: the Franka Panda's arm (joint origins and limits from
// the bundled kinejac/robots/panda.urdf, Franka Emika's published description) as a Tree, 200
// reachable tool poses (forward kinematics of seeded random configurations), each solved by
// Levenberg-Marquardt from the middle of the limits and checked by forward kinematics.
//
// Build and run (as .ci/run does):
//   cmake -S . -B build/cpp -DKINEJAC_CPP_EXAMPLE=ON && cmake --build build/cpp && build/cpp/solve_panda
// Exit code 0 when every target is reached within 1e-6 m and 1e-6 rad, inside the limits.
#include <cmath>
#include <cstdio>
#include <vector>

#include "kinejac/configuration.hpp"
#include "kinejac/solver.hpp"

using namespace kinejac;

namespace {

// R = Rz(yaw) Ry(pitch) Rx(roll), row-major (URDF's rpy)
void rpy(double r, double p, double y, double* R) {
    const double cr = std::cos(r), sr = std::sin(r), cp = std::cos(p), sp = std::sin(p), cy = std::cos(y),
                 sy = std::sin(y);
    const double M[9] = {cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr,
                         sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr,
                         -sp,     cp * sr,                cp * cr};
    for (int i = 0; i < 9; ++i) R[i] = M[i];
}

Tree panda() {
    const double h = kPi / 2;
    // xyz [m], roll [rad] of each joint origin; every axis is z; [lower, upper] [rad]
    const double origin[7][4] = {{0, 0, 0.333, 0},      {0, 0, 0, -h},       {0, -0.316, 0, h},  {0.0825, 0, 0, h},
                                 {-0.0825, 0.384, 0, -h}, {0, 0, 0, h},       {0.088, 0, 0, h}};
    const double limits[7][2] = {{-2.8973, 2.8973}, {-1.7628, 1.7628}, {-2.8973, 2.8973}, {-3.0718, -0.0698},
                                 {-2.8973, 2.8973}, {-0.0175, 3.7525}, {-2.8973, 2.8973}};
    Tree t;
    t.nq = t.nv = 7;
    t.joints.resize(8);
    for (int j = 1; j <= 7; ++j) {
        Joint& J = t.joints[j];
        rpy(origin[j - 1][3], 0, 0, J.R);
        J.unrotated = J.identity_placement();
        for (int a = 0; a < 3; ++a) J.p[a] = origin[j - 1][a];
        J.axis[2] = 1.0;
        J.aligned = 2;
        J.parent = j - 1;
        J.type = REVOLUTE;
        J.iq = J.iv = j - 1;
        t.coords.push_back({REVOLUTE, j - 1, j - 1});
        t.lo.push_back(limits[j - 1][0]);
        t.hi.push_back(limits[j - 1][1]);
        t.mode.push_back(HOLD);
        t.cv.push_back(j - 1);
    }
    // the tool centre point: flange 0.107 m along z, the hand turned by -π/4, the TCP 0.1034 m further
    Frame tcp{};
    rpy(0, 0, -kPi / 4, tcp.R);
    tcp.p[2] = 0.107 + 0.1034;
    tcp.joint = 7;
    t.frames.push_back(tcp);
    return t;
}

}  // namespace

int main() {
    Model model{panda(), SphereModel{}};
    const Tree& tree = model.tree;
    Tasks tasks({Task{}}, tree.support({0}));  // a full pose of frame 0 (the TCP) in the world
    Options opts;                               // Levenberg-Marquardt, 1e-6 m and rad, 50 restarts
    Workspace ws;
    Placements pl(tree.njoints());
    std::vector<double> q_true(7), q(7), mid(7);
    for (int k = 0; k < 7; ++k) mid[k] = 0.5 * (tree.lo[k] + tree.hi[k]);
    uint64_t state = seed_state(2026, 0);
    int solved = 0, iterations = 0;
    const int n = 200;
    for (int i = 0; i < n; ++i) {
        random_configuration(tree, 1.0, state, q_true.data());
        forward(tree, q_true.data(), tasks.path.data(), static_cast<int>(tasks.path.size()), pl);
        double T[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, R[9], p[3];
        frame_pose(tree, 0, pl, R, p);
        for (int a = 0; a < 3; ++a) {
            for (int c = 0; c < 3; ++c) T[4 * a + c] = R[3 * a + c];
            T[4 * a + 3] = p[a];
        }
        const Result r = solve_one(model, tasks, opts, T, mid.data(), 7, i, ws, q.data());
        iterations += r.iterations;
        // check independently: forward kinematics of the answer against the target
        forward(tree, q.data(), tasks.path.data(), static_cast<int>(tasks.path.size()), pl);
        frame_pose(tree, 0, pl, R, p);
        double dp = 0.0, dr = 0.0;
        for (int a = 0; a < 3; ++a) {
            dp = std::fmax(dp, std::fabs(p[a] - T[4 * a + 3]));
            for (int c = 0; c < 3; ++c) dr = std::fmax(dr, std::fabs(R[3 * a + c] - T[4 * a + c]));
        }
        bool inside = true;
        for (int k = 0; k < 7; ++k) inside = inside && tree.lo[k] <= q[k] && q[k] <= tree.hi[k];
        if (r.reason == CONVERGED && dp < 1e-6 && dr < 1e-6 && inside) ++solved;
        else std::printf("target %d: reason %d, position error %.3g m, rotation error %.3g\n", i, r.reason, dp, dr);
    }
    std::printf("solve_panda: %d/%d Panda targets solved from C++ (%.1f iterations on average)\n", solved, n,
                static_cast<double>(iterations) / n);
    return solved == n ? 0 : 1;
}
