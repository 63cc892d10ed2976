// The IK error and its Jacobian (see residual.hpp).
#include "kinejac/residual.hpp"

#include <algorithm>
#include <cmath>

namespace kinejac {
namespace {

// M = T_k⁻¹ X as RM, pM: the pose (Rx, px) seen from target T_k (4x4 row-major).
inline void target_error(const double* Tk, const double* Rx, const double* px, double* RM, double* pM) {
    const double d0 = px[0] - Tk[3], d1 = px[1] - Tk[7], d2 = px[2] - Tk[11];
    for (int a = 0; a < 3; ++a) {
        pM[a] = Tk[a] * d0 + Tk[4 + a] * d1 + Tk[8 + a] * d2;
        for (int c = 0; c < 3; ++c) RM[3 * a + c] = Tk[a] * Rx[c] + Tk[4 + a] * Rx[3 + c] + Tk[8 + a] * Rx[6 + c];
    }
}

struct RowErrors {
    int row;
    double position, rotation;
};

// The rows of a task other than a full pose in the world (relative, masked, position or orientation
// only), from `row` on, with the frame placed at (Rf, pf) and its world-aligned Jacobian in s.Jt.
RowErrors other_task(const Tree& tree, const Task& task, const double* Tk, const double* Rf, const double* pf,
                     Scratch& s, double* e, double* J, int row) {
    const int nv = tree.nv;
    double* Jl = s.Jl.data();
    double* Jb = s.Jb.data();
    double* Jt = s.Jt.data();
    double Rx[9], px[3], RM[9], pM[3], A[9], C[9], w[3];
    to_local_axes(Rf, Jt, Jl, nv);
    if (task.ref < 0) {
        std::copy(Rf, Rf + 9, Rx);
        std::copy(pf, pf + 3, px);
    } else {  // X = B⁻¹ F, J_local -= Ad(X⁻¹) J_ref,local
        double Rb[9], pb[3];
        frame_pose(tree, task.ref, s.pl, Rb, pb);
        frame_jacobian(tree, task.ref, s.pl, pb, Jt);
        to_local_axes(Rb, Jt, Jb, nv);
        for (int a = 0; a < 3; ++a) {
            px[a] = Rb[a] * (pf[0] - pb[0]) + Rb[3 + a] * (pf[1] - pb[1]) + Rb[6 + a] * (pf[2] - pb[2]);
            for (int c = 0; c < 3; ++c) Rx[3 * a + c] = Rb[a] * Rf[c] + Rb[3 + a] * Rf[3 + c] + Rb[6 + a] * Rf[6 + c];
        }
        // X⁻¹ = (R', p') = (Rxᵀ, -Rxᵀ px);  Ad(X⁻¹) ν = [R' ν_lin + p' × R' ν_ang; R' ν_ang]
        for (int a = 0; a < 3; ++a) w[a] = -(Rx[a] * px[0] + Rx[3 + a] * px[1] + Rx[6 + a] * px[2]);
        for (int c = 0; c < nv; ++c) {
            double l[3], g[3];
            for (int a = 0; a < 3; ++a) {
                l[a] = Rx[a] * Jb[c] + Rx[3 + a] * Jb[nv + c] + Rx[6 + a] * Jb[2 * nv + c];
                g[a] = Rx[a] * Jb[3 * nv + c] + Rx[3 + a] * Jb[4 * nv + c] + Rx[6 + a] * Jb[5 * nv + c];
            }
            Jl[c] -= l[0] + w[1] * g[2] - w[2] * g[1];
            Jl[nv + c] -= l[1] + w[2] * g[0] - w[0] * g[2];
            Jl[2 * nv + c] -= l[2] + w[0] * g[1] - w[1] * g[0];
            Jl[3 * nv + c] -= g[0];
            Jl[4 * nv + c] -= g[1];
            Jl[5 * nv + c] -= g[2];
        }
    }
    target_error(Tk, Rx, px, RM, pM);  // M = T_t⁻¹ X
    if (task.full) {
        double e6[6];
        const double t = log6_jlog6(RM, pM, e6, A, C);
        for (int a = 0; a < 6; ++a) e[row + a] = task.w[a] * e6[a];
        for (int c = 0; c < nv; ++c) {  // [[A, C A], [0, A]] · [Jl_lin; Jl_ang]
            double g[3];
            for (int a = 0; a < 3; ++a)
                g[a] = A[3 * a] * Jl[3 * nv + c] + A[3 * a + 1] * Jl[4 * nv + c] + A[3 * a + 2] * Jl[5 * nv + c];
            for (int a = 0; a < 3; ++a) {
                double lin = A[3 * a] * Jl[c] + A[3 * a + 1] * Jl[nv + c] + A[3 * a + 2] * Jl[2 * nv + c];
                lin += C[3 * a] * g[0] + C[3 * a + 1] * g[1] + C[3 * a + 2] * g[2];
                J[(row + a) * nv + c] = task.w[a] * lin;
                J[(row + 3 + a) * nv + c] = task.w[3 + a] * g[a];
            }
        }
        return {row + 6, std::sqrt(pM[0] * pM[0] + pM[1] * pM[1] + pM[2] * pM[2]), t};
    }
    const double t = log3(RM, w);
    jlog3(w, t, A);
    double p2 = 0.0, r2 = 0.0;
    for (int a = 0; a < 6; ++a) {
        const double wa = task.w[a];
        if (wa <= 0.0) continue;
        double* Jr = J + static_cast<size_t>(row) * nv;
        if (a < 3) {
            e[row] = wa * pM[a];
            p2 += pM[a] * pM[a];
            for (int c = 0; c < nv; ++c)
                Jr[c] = wa * (RM[3 * a] * Jl[c] + RM[3 * a + 1] * Jl[nv + c] + RM[3 * a + 2] * Jl[2 * nv + c]);
        } else {
            const int b = a - 3;
            e[row] = wa * w[b];
            r2 += w[b] * w[b];
            for (int c = 0; c < nv; ++c)
                Jr[c] = wa * (A[3 * b] * Jl[3 * nv + c] + A[3 * b + 1] * Jl[4 * nv + c] + A[3 * b + 2] * Jl[5 * nv + c]);
        }
        ++row;
    }
    return {row, std::sqrt(p2), std::sqrt(r2)};
}

}  // namespace

PoseErrors evaluate(const Tree& tree, const Tasks& tasks, const double* T, const double* q, Scratch& s, double* e,
                    double* J) {
    const int nv = tree.nv;
    forward(tree, q, tasks.path.data(), static_cast<int>(tasks.path.size()), s.pl);
    PoseErrors out;
    double* Jt = s.Jt.data();
    int row = 0;
    for (size_t k = 0; k < tasks.tasks.size(); ++k) {
        const Task& task = tasks.tasks[k];
        const double* Tk = T + 16 * k;
        double Rf[9], pf[3];
        frame_pose(tree, task.frame, s.pl, Rf, pf);
        frame_jacobian(tree, task.frame, s.pl, pf, Jt);
        if (task.ref >= 0 || !task.full) {
            const RowErrors r = other_task(tree, task, Tk, Rf, pf, s, e, J, row);
            row = r.row;
            out.position = std::max(out.position, r.position);
            out.rotation = std::max(out.rotation, r.rotation);
            continue;
        }
        // the common task, fused: Jlog6(M) · diag(Rfᵀ, Rfᵀ) · J_world
        double RM[9], pM[3], e6[6], A[9], C[9], R[9], CR[9];
        target_error(Tk, Rf, pf, RM, pM);
        const double t = log6_jlog6(RM, pM, e6, A, C);
        for (int a = 0; a < 3; ++a)  // R = A Rfᵀ, CR = C R
            for (int c = 0; c < 3; ++c) R[3 * a + c] = A[3 * a] * Rf[3 * c] + A[3 * a + 1] * Rf[3 * c + 1] + A[3 * a + 2] * Rf[3 * c + 2];
        for (int a = 0; a < 3; ++a)
            for (int c = 0; c < 3; ++c) CR[3 * a + c] = C[3 * a] * R[c] + C[3 * a + 1] * R[3 + c] + C[3 * a + 2] * R[6 + c];
        const double* w = task.w;
        for (int c = 0; c < nv; ++c) {
            const double l0 = Jt[c], l1 = Jt[nv + c], l2 = Jt[2 * nv + c];
            const double a0 = Jt[3 * nv + c], a1 = Jt[4 * nv + c], a2 = Jt[5 * nv + c];
            for (int a = 0; a < 3; ++a) {
                J[(row + a) * nv + c] = w[a] * (R[3 * a] * l0 + R[3 * a + 1] * l1 + R[3 * a + 2] * l2 +
                                                CR[3 * a] * a0 + CR[3 * a + 1] * a1 + CR[3 * a + 2] * a2);
                J[(row + 3 + a) * nv + c] = w[3 + a] * (R[3 * a] * a0 + R[3 * a + 1] * a1 + R[3 * a + 2] * a2);
            }
        }
        for (int a = 0; a < 6; ++a) e[row + a] = w[a] * e6[a];
        row += 6;
        out.position = std::max(out.position, std::sqrt(pM[0] * pM[0] + pM[1] * pM[1] + pM[2] * pM[2]));
        out.rotation = std::max(out.rotation, t);
    }
    return out;
}

}  // namespace kinejac
