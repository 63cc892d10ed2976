// The kinematic tree as flat structs, and forward kinematics and frame Jacobians on it.
//
// Every joint kinejac loads: revolute and prismatic about any axis, continuous, mimic, floating,
// planar, spherical and translation joints (fixed joints are already merged into the placements by
// pinocchio). Mimic joints are ordinary 1-DOF joints whose value is scale * q[iq] + offset of the
// joint they follow; their Jacobian column adds to that joint's. Rotations are 3x3 row-major,
// translations 3-vectors [m]; Jacobians are (6, nv) row-major, rows [linear; angular].
#pragma once

#include <vector>

#include "kinejac/lie.hpp"

namespace kinejac {

enum JointType : int { REVOLUTE = 0, PRISMATIC, CONTINUOUS, FREEFLYER, PLANAR, SPHERICAL, TRANSLATION };
// How the limits treat a coordinate of q (see configuration.hpp).
enum Mode : int { FREE = 0, HOLD, WRAP, CLAMP, ANGLE };

struct Joint {
    double R[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};  // placement in the parent joint's frame
    double p[3] = {0, 0, 0};                    // [m]
    double axis[3] = {0, 0, 0};                 // unit axis of a 1-DOF joint, in its own frame
    double scale = 1.0, offset = 0.0;           // mimic: value = scale * q[iq] + offset
    int parent = -1, type = REVOLUTE;
    int iq = -1, iv = -1;  // first coordinate in q and in v (a mimic joint: those it follows)
    int aligned = -1;      // the axis is e_aligned (0, 1, 2), or -1
    bool unrotated = false;  // R is exactly the identity (set by whoever sets R: then B = R_parent)

    // Whether R is exactly the identity (call after setting R).
    bool identity_placement() const {
        for (int a = 0; a < 9; ++a)
            if (R[a] != (a % 4 == 0 ? 1.0 : 0.0)) return false;
        return true;
    }
};

// A joint that owns coordinates (all but mimic joints).
struct Coord {
    int type, iq, iv;
};

struct Frame {
    double R[9];  // placement in its parent joint's frame
    double p[3];
    int joint;
};

struct Tree {
    std::vector<Joint> joints;  // joint 0 is the world
    std::vector<Coord> coords;
    std::vector<Frame> frames;
    std::vector<double> lo, hi;  // (nq,) position limits, ±inf where unbounded
    std::vector<int> mode;       // (nq,) Mode of each coordinate
    std::vector<int> cv;         // (nq,) tangent index of 1-DOF joint coordinates, else -1
    int nq = 0, nv = 0;

    int njoints() const { return static_cast<int>(joints.size()); }
    // The joints moving any of `frame_ids` or `joint_ids` (their ancestors), sorted (parents first).
    std::vector<int> support(const std::vector<int>& frame_ids, const std::vector<int>& joint_ids = {}) const;
};

// T_world_joint of every joint: R (nj, 3, 3), p (nj, 3); joint 0 (the world) is the identity.
struct Placements {
    std::vector<double> R, p;
    explicit Placements(int nj = 1) : R(9 * static_cast<size_t>(nj), 0.0), p(3 * static_cast<size_t>(nj), 0.0) {
        R[0] = R[4] = R[8] = 1.0;
    }
    const double* rot(int j) const { return R.data() + 9 * j; }
    const double* pos(int j) const { return p.data() + 3 * j; }
};

// (Rm, pm): the motion of joint j at q, in its own frame after the placement.
inline void joint_motion(const Joint& J, const double* q, double* Rm, double* pm) {
    for (int a = 0; a < 9; ++a) Rm[a] = (a % 4 == 0) ? 1.0 : 0.0;
    pm[0] = pm[1] = pm[2] = 0.0;
    const int iq = J.iq;
    switch (J.type) {
        case REVOLUTE:
        case CONTINUOUS: {
            double s, c;
            if (J.type == REVOLUTE) {
                sincos(J.scale * q[iq] + J.offset, s, c);
            } else {
                c = q[iq];
                s = q[iq + 1];
            }
            if (J.aligned >= 0) {
                const int k1 = (J.aligned + 1) % 3, k2 = (J.aligned + 2) % 3;
                Rm[4 * k1] = c;
                Rm[4 * k2] = c;
                Rm[3 * k1 + k2] = -s;
                Rm[3 * k2 + k1] = s;
            } else {
                const double x = J.axis[0], y = J.axis[1], z = J.axis[2], omc = 1.0 - c;
                Rm[0] = c + x * x * omc;
                Rm[4] = c + y * y * omc;
                Rm[8] = c + z * z * omc;
                Rm[1] = x * y * omc - z * s;
                Rm[3] = x * y * omc + z * s;
                Rm[2] = x * z * omc + y * s;
                Rm[6] = x * z * omc - y * s;
                Rm[5] = y * z * omc - x * s;
                Rm[7] = y * z * omc + x * s;
            }
            return;
        }
        case PRISMATIC: {
            const double d = J.scale * q[iq] + J.offset;
            for (int a = 0; a < 3; ++a) pm[a] = J.axis[a] * d;
            return;
        }
        case FREEFLYER:
            pm[0] = q[iq];
            pm[1] = q[iq + 1];
            pm[2] = q[iq + 2];
            quat_to_rot(q[iq + 3], q[iq + 4], q[iq + 5], q[iq + 6], Rm);
            return;
        case PLANAR: {
            pm[0] = q[iq];
            pm[1] = q[iq + 1];
            const double c = q[iq + 2], s = q[iq + 3];
            Rm[0] = c;
            Rm[1] = -s;
            Rm[3] = s;
            Rm[4] = c;
            return;
        }
        case SPHERICAL:
            quat_to_rot(q[iq], q[iq + 1], q[iq + 2], q[iq + 3], Rm);
            return;
        case TRANSLATION:
            pm[0] = q[iq];
            pm[1] = q[iq + 1];
            pm[2] = q[iq + 2];
            return;
        default:
            return;
    }
}

namespace detail {
// R = B · Rot(e_K, θ) (3x3 row-major) from c = cos θ, s = sin θ: column K of B stays, the other two turn.
template <int K>
inline void turn_about(const double* B, double c, double s, double* R) {
    constexpr int K1 = (K + 1) % 3, K2 = (K + 2) % 3;
    for (int a = 0; a < 3; ++a) {
        const double b1 = B[3 * a + K1], b2 = B[3 * a + K2];
        R[3 * a + K] = B[3 * a + K];
        R[3 * a + K1] = c * b1 + s * b2;
        R[3 * a + K2] = c * b2 - s * b1;
    }
}
}  // namespace detail

// T_world_joint of `joints` (n of them, sorted: parents first) at q into `pl`.
inline void forward(const Tree& tree, const double* q, const int* joints, int n, Placements& pl) {
    double* oR = pl.R.data();
    double* op = pl.p.data();
    for (int i = 0; i < n; ++i) {
        const int j = joints[i];
        const Joint& J = tree.joints[j];
        const double* Rp = oR + 9 * J.parent;
        const double* pp = op + 3 * J.parent;
        double* Rj = oR + 9 * j;
        double* pj = op + 3 * j;
        const double* P = J.R;
        if (J.type == REVOLUTE && J.aligned >= 0) {  // the common joint: R = B · Rot(e_k, θ), no translation
            double s, c;
            sincos(J.scale * q[J.iq] + J.offset, s, c);
            for (int a = 0; a < 3; ++a) pj[a] = pp[a] + Rp[3 * a] * J.p[0] + Rp[3 * a + 1] * J.p[1] + Rp[3 * a + 2] * J.p[2];
            // B = R_parent · R_placement; an unrotated placement leaves R_parent (exactly)
            double Bm[9];
            const double* B = Rp;
            if (!J.unrotated) {
                for (int a = 0; a < 3; ++a)
                    for (int b = 0; b < 3; ++b)
                        Bm[3 * a + b] = Rp[3 * a] * P[b] + Rp[3 * a + 1] * P[3 + b] + Rp[3 * a + 2] * P[6 + b];
                B = Bm;
            }
            switch (J.aligned) {
                case 0: detail::turn_about<0>(B, c, s, Rj); break;
                case 1: detail::turn_about<1>(B, c, s, Rj); break;
                default: detail::turn_about<2>(B, c, s, Rj);
            }
            continue;
        }
        double Rm[9], pm[3];
        joint_motion(J, q, Rm, pm);
        for (int a = 0; a < 3; ++a) {
            // B = R_parent · R_placement (row a), then R = B · Rm, p = p_parent + R_parent p_placement + B pm
            const double r0 = Rp[3 * a], r1 = Rp[3 * a + 1], r2 = Rp[3 * a + 2];
            const double b0 = r0 * P[0] + r1 * P[3] + r2 * P[6];
            const double b1 = r0 * P[1] + r1 * P[4] + r2 * P[7];
            const double b2 = r0 * P[2] + r1 * P[5] + r2 * P[8];
            pj[a] = pp[a] + r0 * J.p[0] + r1 * J.p[1] + r2 * J.p[2] + b0 * pm[0] + b1 * pm[1] + b2 * pm[2];
            for (int c = 0; c < 3; ++c) Rj[3 * a + c] = b0 * Rm[c] + b1 * Rm[3 + c] + b2 * Rm[6 + c];
        }
    }
}

// T_world_frame of frame f as R (3x3), p (3) from the joint placements.
inline void frame_pose(const Tree& tree, int f, const Placements& pl, double* R, double* p) {
    const Frame& F = tree.frames[f];
    const double* oR = pl.rot(F.joint);
    const double* op = pl.pos(F.joint);
    for (int a = 0; a < 3; ++a) {
        p[a] = op[a] + oR[3 * a] * F.p[0] + oR[3 * a + 1] * F.p[1] + oR[3 * a + 2] * F.p[2];
        for (int c = 0; c < 3; ++c)
            R[3 * a + c] = oR[3 * a] * F.R[c] + oR[3 * a + 1] * F.R[3 + c] + oR[3 * a + 2] * F.R[6 + c];
    }
}

namespace detail {
// J[:, col] += scale * [z × d; z] (revolute) or scale * [z; 0] (prismatic); J is (6, nv).
inline void add_column(double* J, int nv, int col, double scale, double z0, double z1, double z2, bool revolute,
                       double d0, double d1, double d2) {
    if (revolute) {
        J[col] += scale * (z1 * d2 - z2 * d1);
        J[nv + col] += scale * (z2 * d0 - z0 * d2);
        J[2 * nv + col] += scale * (z0 * d1 - z1 * d0);
        J[3 * nv + col] += scale * z0;
        J[4 * nv + col] += scale * z1;
        J[5 * nv + col] += scale * z2;
    } else {
        J[col] += scale * z0;
        J[nv + col] += scale * z1;
        J[2 * nv + col] += scale * z2;
    }
}
}  // namespace detail

// J (6, nv): the world-aligned Jacobian of a point p (3) [m] (world coordinates) moving with joint j.
inline void joint_jacobian(const Tree& tree, int j, const Placements& pl, const double* p, double* J) {
    const int nv = tree.nv;
    for (int i = 0; i < 6 * nv; ++i) J[i] = 0.0;
    using detail::add_column;
    while (j > 0) {
        const Joint& Jt = tree.joints[j];
        const double* R = pl.rot(j);
        const double* o = pl.pos(j);
        const double d0 = p[0] - o[0], d1 = p[1] - o[1], d2 = p[2] - o[2];
        const int iv = Jt.iv;
        if (Jt.type <= CONTINUOUS) {  // revolute, prismatic, continuous: one column along the world axis
            double z0, z1, z2;
            if (Jt.aligned >= 0) {
                z0 = R[Jt.aligned];
                z1 = R[3 + Jt.aligned];
                z2 = R[6 + Jt.aligned];
            } else {
                const double x = Jt.axis[0], y = Jt.axis[1], z = Jt.axis[2];
                z0 = R[0] * x + R[1] * y + R[2] * z;
                z1 = R[3] * x + R[4] * y + R[5] * z;
                z2 = R[6] * x + R[7] * y + R[8] * z;
            }
            add_column(J, nv, iv, Jt.scale, z0, z1, z2, Jt.type != PRISMATIC, d0, d1, d2);
        } else if (Jt.type == FREEFLYER || Jt.type == TRANSLATION || Jt.type == SPHERICAL) {
            // v = [v_local; ω_local]: translations along, then rotations about, the joint's axes
            int c = iv;
            if (Jt.type != SPHERICAL)
                for (int a = 0; a < 3; ++a) add_column(J, nv, c++, 1.0, R[a], R[3 + a], R[6 + a], false, d0, d1, d2);
            if (Jt.type != TRANSLATION)
                for (int a = 0; a < 3; ++a) add_column(J, nv, c++, 1.0, R[a], R[3 + a], R[6 + a], true, d0, d1, d2);
        } else if (Jt.type == PLANAR) {  // v = [vx, vy, ωz] in the joint's axes
            add_column(J, nv, iv, 1.0, R[0], R[3], R[6], false, d0, d1, d2);
            add_column(J, nv, iv + 1, 1.0, R[1], R[4], R[7], false, d0, d1, d2);
            add_column(J, nv, iv + 2, 1.0, R[2], R[5], R[8], true, d0, d1, d2);
        }
        j = Jt.parent;
    }
}

// J (6, nv): the world-aligned Jacobian of frame f at the point p (3) [m] (world coordinates; the
// frame origin gives pinocchio's LOCAL_WORLD_ALIGNED).
inline void frame_jacobian(const Tree& tree, int f, const Placements& pl, const double* p, double* J) {
    joint_jacobian(tree, tree.frames[f].joint, pl, p, J);
}

// out = [Rᵀ Jw_lin; Rᵀ Jw_ang]: a world-aligned Jacobian Jw (6, nv) in the axes of a frame whose
// world rotation is R.
inline void to_local_axes(const double* R, const double* Jw, double* out, int nv) {
    for (int c = 0; c < nv; ++c)
        for (int h = 0; h < 6; h += 3) {
            const double x0 = Jw[h * nv + c], x1 = Jw[(h + 1) * nv + c], x2 = Jw[(h + 2) * nv + c];
            for (int a = 0; a < 3; ++a) out[(h + a) * nv + c] = R[a] * x0 + R[3 + a] * x1 + R[6 + a] * x2;
        }
}

// pinocchio.ReferenceFrame's values
enum Reference : int { WORLD = 0, LOCAL = 1, LOCAL_WORLD_ALIGNED = 2 };

// Rows start:stop of a batch Q (B, nq): the pose T (B, 4, 4) of frame f shifted to `point` (frame
// coordinates [m]) and, if J is not null, its Jacobian (B, 6, nv) in `reference`. `path`: the
// frame's ancestor joints, sorted.
void frame_range(const Tree& tree, const double* Q, const std::vector<int>& path, int f, const double* point,
                 int reference, int start, int stop, double* T, double* J);

}  // namespace kinejac
