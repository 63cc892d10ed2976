// The tree's ancestor sets and the batched frame poses and Jacobians (kinejac.pose and
// kinejac.jacobian on a batch).
#include "kinejac/tree.hpp"

#include <algorithm>
#include <set>

namespace kinejac {

std::vector<int> Tree::support(const std::vector<int>& frame_ids, const std::vector<int>& joint_ids) const {
    std::set<int> out;
    std::vector<int> starts;
    for (int f : frame_ids) starts.push_back(frames[f].joint);
    starts.insert(starts.end(), joint_ids.begin(), joint_ids.end());
    for (int j : starts)
        while (j > 0 && !out.count(j)) {
            out.insert(j);
            j = joints[j].parent;
        }
    return {out.begin(), out.end()};
}

void frame_range(const Tree& tree, const double* Q, const std::vector<int>& path, int f, const double* point,
                 int reference, int start, int stop, double* T, double* J) {
    const int nv = tree.nv, nq = tree.nq;
    Placements pl(tree.njoints());
    std::vector<double> Jt(6 * static_cast<size_t>(nv));
    double R[9], p[3], c[3];
    for (int b = start; b < stop; ++b) {
        forward(tree, Q + static_cast<size_t>(b) * nq, path.data(), static_cast<int>(path.size()), pl);
        frame_pose(tree, f, pl, R, p);
        for (int a = 0; a < 3; ++a) c[a] = p[a] + R[3 * a] * point[0] + R[3 * a + 1] * point[1] + R[3 * a + 2] * point[2];
        double* Tb = T + 16 * static_cast<size_t>(b);
        for (int a = 0; a < 3; ++a) {
            for (int k = 0; k < 3; ++k) Tb[4 * a + k] = R[3 * a + k];
            Tb[4 * a + 3] = c[a];
            Tb[12 + a] = 0.0;
        }
        Tb[15] = 1.0;
        if (!J) continue;
        frame_jacobian(tree, f, pl, c, Jt.data());  // world-aligned, at the point
        double* Jb = J + static_cast<size_t>(b) * 6 * nv;
        if (reference == LOCAL) {
            to_local_axes(R, Jt.data(), Jb, nv);
            continue;
        }
        for (int k = 0; k < nv; ++k) {
            double l0 = Jt[k], l1 = Jt[nv + k], l2 = Jt[2 * nv + k];
            const double w0 = Jt[3 * nv + k], w1 = Jt[4 * nv + k], w2 = Jt[5 * nv + k];
            if (reference == WORLD) {  // v_origin = v_c - ω × c
                l0 -= w1 * c[2] - w2 * c[1];
                l1 -= w2 * c[0] - w0 * c[2];
                l2 -= w0 * c[1] - w1 * c[0];
            }
            Jb[k] = l0;
            Jb[nv + k] = l1;
            Jb[2 * nv + k] = l2;
            Jb[3 * nv + k] = w0;
            Jb[4 * nv + k] = w1;
            Jb[5 * nv + k] = w2;
        }
    }
}

}  // namespace kinejac
