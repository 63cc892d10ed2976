// The sphere penalty of collision avoidance (see spheres.hpp).
#include "kinejac/spheres.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace kinejac {
namespace {

inline void to_world(const double* T, double v0, double v1, double v2, double* n) {
    for (int a = 0; a < 3; ++a) n[a] = T[4 * a] * v0 + T[4 * a + 1] * v1 + T[4 * a + 2] * v2;
}

inline double sign(double x) { return x >= 0.0 ? 1.0 : -1.0; }

// The terms of one active pair: gᵣ = -n·(Jₚ(a) - Jₚ(b)) (jb <= 0: an obstacle or the world).
void add_pair(const Tree& tree, int ja, const double* ca, int jb, const double* cb, const double* n, double r,
              const Placements& pl, PenaltyWork& w, double* H, double* b) {
    const int nv = tree.nv;
    double* g = w.g.data();
    double* Jp = w.Jp.data();
    std::fill(g, g + nv, 0.0);
    if (ja > 0) {
        joint_jacobian(tree, ja, pl, ca, Jp);
        for (int c = 0; c < nv; ++c) g[c] -= n[0] * Jp[c] + n[1] * Jp[nv + c] + n[2] * Jp[2 * nv + c];
    }
    if (jb > 0) {
        joint_jacobian(tree, jb, pl, cb, Jp);
        for (int c = 0; c < nv; ++c) g[c] += n[0] * Jp[c] + n[1] * Jp[nv + c] + n[2] * Jp[2 * nv + c];
    }
    for (int i = 0; i < nv; ++i) {
        const double gi = g[i];
        if (gi == 0.0) continue;
        b[i] += r * gi;
        for (int j = 0; j < nv; ++j) H[i * nv + j] += gi * g[j];
    }
}

}  // namespace

double sd_obstacle(const double* c, double r, int kind, const double* T, const double* size, double* n) {
    // the centre in the obstacle's frame
    const double d0 = c[0] - T[3], d1 = c[1] - T[7], d2 = c[2] - T[11];
    const double p0 = T[0] * d0 + T[4] * d1 + T[8] * d2;
    const double p1 = T[1] * d0 + T[5] * d1 + T[9] * d2;
    const double p2 = T[2] * d0 + T[6] * d1 + T[10] * d2;
    if (kind == OBSTACLE_SPHERE || kind == OBSTACLE_CAPSULE) {  // to a point, or to the segment z ∈ [-h, h]
        const double z = kind == OBSTACLE_SPHERE ? 0.0 : std::min(std::max(p2, -size[1]), size[1]);
        const double q2 = p2 - z;
        const double dist = std::sqrt(p0 * p0 + p1 * p1 + q2 * q2);
        if (dist > 0.0)
            to_world(T, p0 / dist, p1 / dist, q2 / dist, n);
        else
            to_world(T, 1.0, 0.0, 0.0, n);
        return dist - size[0] - r;
    }
    if (kind == OBSTACLE_BOX) {
        const double s0 = sign(p0), s1 = sign(p1), s2 = sign(p2);
        const double e0 = std::fabs(p0) - size[0], e1 = std::fabs(p1) - size[1], e2 = std::fabs(p2) - size[2];
        const double o0 = std::max(e0, 0.0), o1 = std::max(e1, 0.0), o2 = std::max(e2, 0.0);
        const double out = std::sqrt(o0 * o0 + o1 * o1 + o2 * o2);
        if (out > 0.0) {  // outside: to the closest point of the surface
            to_world(T, s0 * o0 / out, s1 * o1 / out, s2 * o2 / out, n);
            return out - r;
        }
        if (e0 >= e1 && e0 >= e2) {  // inside: through the nearest face
            to_world(T, s0, 0.0, 0.0, n);
            return e0 - r;
        }
        if (e1 >= e2) {
            to_world(T, 0.0, s1, 0.0, n);
            return e1 - r;
        }
        to_world(T, 0.0, 0.0, s2, n);
        return e2 - r;
    }
    // a solid cylinder of radius size[0], z ∈ [-size[1], size[1]]
    const double rho = std::sqrt(p0 * p0 + p1 * p1);
    const double u0 = rho > 0.0 ? p0 / rho : 1.0, u1 = rho > 0.0 ? p1 / rho : 0.0;
    const double sz = sign(p2);
    const double er = rho - size[0], ez = std::fabs(p2) - size[1];
    if (er > 0.0 && ez > 0.0) {  // beyond the rim
        const double dist = std::sqrt(er * er + ez * ez);
        to_world(T, er * u0 / dist, er * u1 / dist, ez * sz / dist, n);
        return dist - r;
    }
    if (er >= ez) {
        to_world(T, u0, u1, 0.0, n);
        return er - r;
    }
    to_world(T, 0.0, 0.0, sz, n);
    return ez - r;
}

Penalty penalty(const Tree& tree, const SphereModel& sph, double d0, const Placements& pl, PenaltyWork& work,
                double* H, double* b) {
    const int nv = tree.nv, S = sph.spheres();
    std::fill(H, H + static_cast<size_t>(nv) * nv, 0.0);
    std::fill(b, b + nv, 0.0);
    double* C = work.C.data();
    for (int s = 0; s < S; ++s) {  // world centres
        const double* R = pl.rot(sph.joint[s]);
        const double* o = pl.pos(sph.joint[s]);
        const double* c = sph.center.data() + 3 * s;
        for (int a = 0; a < 3; ++a) C[3 * s + a] = o[a] + R[3 * a] * c[0] + R[3 * a + 1] * c[1] + R[3 * a + 2] * c[2];
    }
    double h = 0.0, dmin = std::numeric_limits<double>::infinity();
    double n[3];
    for (const auto& pair : sph.self_pairs) {
        const int i = pair[0], j = pair[1];
        const double x0 = C[3 * i] - C[3 * j], x1 = C[3 * i + 1] - C[3 * j + 1], x2 = C[3 * i + 2] - C[3 * j + 2];
        const double dist = std::sqrt(x0 * x0 + x1 * x1 + x2 * x2);
        const double d = dist - sph.radius[i] - sph.radius[j];
        dmin = std::min(dmin, d);
        if (d < d0) {
            if (dist > 0.0) {
                n[0] = x0 / dist;
                n[1] = x1 / dist;
                n[2] = x2 / dist;
            } else {
                n[0] = 1.0;
                n[1] = n[2] = 0.0;
            }
            const double r = d0 - d;
            h += 0.5 * r * r;
            add_pair(tree, sph.joint[i], C + 3 * i, sph.joint[j], C + 3 * j, n, r, pl, work, H, b);
        }
    }
    for (const auto& pair : sph.obstacle_pairs) {
        const int s = pair[0], o = pair[1];
        const double d = sd_obstacle(C + 3 * s, sph.radius[s], sph.obstacle_kind[o], sph.obstacle_pose.data() + 16 * o,
                                     sph.obstacle_size.data() + 3 * o, n);
        dmin = std::min(dmin, d);
        if (d < d0) {
            const double r = d0 - d;
            h += 0.5 * r * r;
            add_pair(tree, sph.joint[s], C + 3 * s, -1, C + 3 * s, n, r, pl, work, H, b);
        }
    }
    return {h, dmin};
}

void obstacle_distances(const SphereModel& sph, const double* C, double* d, double* N) {
    for (size_t k = 0; k < sph.obstacle_pairs.size(); ++k) {
        const int s = sph.obstacle_pairs[k][0], o = sph.obstacle_pairs[k][1];
        d[k] = sd_obstacle(C + 3 * s, sph.radius[s], sph.obstacle_kind[o], sph.obstacle_pose.data() + 16 * o,
                           sph.obstacle_size.data() + 3 * o, N + 3 * k);
    }
}

}  // namespace kinejac
