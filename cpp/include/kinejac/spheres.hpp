// Collision avoidance: the fitted sphere model (kinejac.collision.spheres) as a one-sided penalty
// with its Gauss-Newton terms.
//
// Each pair (two robot spheres, or a robot sphere and an obstacle primitive) closer than
// d0 = clearance + margin contributes the residual r = d0 - d(q) (d: signed distance [m]), so the
// solver minimises ½‖e‖² + ½ Σ r² and the pose error alone once every pair is at least d0 apart.
// Its Gauss-Newton terms H = Σ gᵣ gᵣᵀ and b = Σ r gᵣ (gᵣ = ∂r/∂q = -n · Jₚ, n the unit gradient of
// d at the sphere centre, Jₚ the centre's linear Jacobian) join the damped normal equations. The
// distances are those of kinejac.collision.reference (the numpy reference the tests compare with).
#pragma once

#include <array>
#include <vector>

#include "kinejac/tree.hpp"

namespace kinejac {

enum ObstacleKind : int { OBSTACLE_SPHERE = 0, OBSTACLE_BOX, OBSTACLE_CAPSULE, OBSTACLE_CYLINDER };

struct SphereModel {
    std::vector<int> joint;                      // (S,) the tree joint each sphere moves with
    std::vector<double> center;                  // (S, 3) in its joint's frame [m]
    std::vector<double> radius;                  // (S,) [m]
    std::vector<std::array<int, 2>> self_pairs;  // (P, 2) sphere indices
    std::vector<int> obstacle_kind;              // (O,) ObstacleKind
    std::vector<double> obstacle_pose;           // (O, 4, 4) T_world_obstacle
    std::vector<double> obstacle_size;           // (O, 3): half sizes (box), [radius, half length] (others)
    std::vector<std::array<int, 2>> obstacle_pairs;  // (Q, 2) [sphere, obstacle]

    int spheres() const { return static_cast<int>(radius.size()); }
};

// Signed distance [m] of the sphere (centre c, radius r) to an obstacle primitive at T (4x4) with
// the size encoding of the sphere model; n (3): its gradient with respect to c.
double sd_obstacle(const double* c, double r, int kind, const double* T, const double* size, double* n);

// Work arrays of penalty().
struct PenaltyWork {
    std::vector<double> C, Jp, g;  // (S, 3) world centres, (6, nv) a point Jacobian, (nv,) a gradient
    void resize(int spheres, int nv) {
        C.assign(3 * static_cast<size_t>(spheres), 0.0);
        Jp.assign(6 * static_cast<size_t>(nv), 0.0);
        g.assign(nv, 0.0);
    }
};

struct Penalty {
    double value, min_distance;  // ½ Σ max(0, d0 - d)² [m²]; the smallest signed distance [m]
};

// The penalty at the placements `pl` and its Gauss-Newton terms into H (nv, nv) and b (nv)
// (overwritten).
Penalty penalty(const Tree& tree, const SphereModel& sph, double d0, const Placements& pl, PenaltyWork& work,
                double* H, double* b);

// Signed distances d (Q) [m] of the sphere-obstacle pairs and their normals N (Q, 3), for world
// sphere centres C (S, 3).
void obstacle_distances(const SphereModel& sph, const double* C, double* d, double* N);

}  // namespace kinejac
