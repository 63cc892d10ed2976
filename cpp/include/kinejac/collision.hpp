// The collision world: a robot's collision geometry and the obstacles, checked exactly with a
// broad phase in front (kinejac.collision.world builds it from pinocchio's GeometryModel).
//
// Each geometry object moves with one tree joint (0: fixed in the world) and is one of:
// - a primitive (sphere, box, capsule, cylinder): its own single convex shape;
// - a mesh that is convex up to a small slack (most collision meshes: their triangles lie on, or
//   within a slack δ under, the boundary of their convex hull): two convex pieces, the hull
//   (outer, containing the mesh) and the hull eroded by δ (inner, inside the mesh); when δ = 0
//   the hull is the mesh and the geometry is exact;
// - any other mesh: one convex piece per triangle (what coal's mesh checks test: triangles).
// Every geometry is also covered by spheres (kinejac.collision.spheres: every point of the
// surface lies inside one) and bounded by one sphere.
//
// A pair is checked in three steps, each exact in what it proves:
// 1. bounding spheres apart by at least c: free;
// 2. covering spheres of one against the other's covering spheres, or against the other itself
//    when it is a primitive: every pair apart by at least c: free (the spheres contain the surface);
// 3. GJK between the convex pieces (gjk.hpp), each pair of pieces behind its bounding spheres:
//    the outer pieces at least c apart: free; the inner pieces closer than c (or in contact): in
//    contact (for exact geometry the outer pieces decide both ways); otherwise unsure (the distance
//    is within the slack of c): the caller asks coal about that pair.
// coal checks a mesh's triangles, not its volume: a shape strictly inside a mesh's hull (its inner
// hull, for a mesh with slack), touching no triangle, is free for coal; a pair in contact is
// tested for that (the shape's support along every facet normal of the hull) and is then free.
// c is the clearance [m]: a pair is free when its distance is at least c (and positive).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "kinejac/gjk.hpp"
#include "kinejac/tree.hpp"

namespace kinejac {

// A convex piece of a mesh: vertices [begin, begin + count) of the world's vertex table, a sphere
// containing it, and (hulls) its facet planes [plane_begin, plane_begin + planes) as (n, d) with
// n·x + d <= 0 inside (geometry frame).
struct Piece {
    int begin = 0, count = 0;
    double center[3] = {0, 0, 0}, radius = 0.0;
    int plane_begin = 0, planes = 0;
};

struct Geometry {
    int joint = 0;                              // the tree joint it moves with (0: the world)
    double R[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};  // T_joint_geometry
    double p[3] = {0, 0, 0};
    int kind = SHAPE_SPHERE;  // ShapeKind; SHAPE_CONVEX: a mesh made of pieces
    double size[3] = {0, 0, 0};
    int piece_begin = 0, piece_end = 0;    // SHAPE_CONVEX: its (outer) pieces
    int inner = -1;                        // the inner piece of a mesh with slack, else -1 (exact)
    int sphere_begin = 0, sphere_end = 0;  // its covering spheres
    double bound_center[3] = {0, 0, 0}, bound_radius = 0.0;  // one sphere containing it (geometry frame)
};

struct CollisionWorld {
    std::vector<Geometry> geoms;
    std::vector<Piece> pieces;
    std::vector<double> vertices;                // (V, 3) geometry frame [m]
    std::vector<double> planes;                  // (L, 4) facet planes (n, d) of hull pieces
    std::vector<double> sphere_center;           // (S, 3) geometry frame [m]
    std::vector<double> sphere_radius;           // (S,) [m]
    std::vector<std::array<int, 2>> pairs;       // geometry index pairs to check
    std::vector<int> path;                       // the joints moving any geometry, sorted

    int ngeoms() const { return static_cast<int>(geoms.size()); }
};

// Work arrays of one thread: joint and geometry placements, world sphere centres.
struct CollisionWork {
    Placements pl;
    std::vector<double> R, p, C, B;  // (G, 9), (G, 3) T_world_geometry; (S, 3) sphere centres; (G, 3) bound centres
    void prepare(const Tree& tree, const CollisionWorld& world);
};

enum PairStatus : int { PAIR_FREE = 0, PAIR_CONTACT = 1, PAIR_UNSURE = 2 };

// The outcome of one pair: its status for a clearance c, or bounds on its distance [m]
// (lower <= distance <= upper; -inf: in contact, depth unknown).
struct PairResult {
    int status;
    double lower, upper;
    bool exact;         // lower == upper is the distance, and a, b its witness points (world)
    double a[3], b[3];
};

// Place every geometry at q (forward kinematics on the world's path).
void place(const Tree& tree, const CollisionWorld& world, const double* q, CollisionWork& work);

// Pair k at the placements in `work`: its status for clearance c (stops as soon as it is known).
PairResult check_pair(const CollisionWorld& world, const CollisionWork& work, int k, double c);

// Pair k at the placements in `work`: bounds on its distance, exact for exact geometry.
PairResult pair_distance(const CollisionWorld& world, const CollisionWork& work, int k);

// The status of q for clearance c: PAIR_FREE when every pair is free, PAIR_CONTACT as soon as
// one is in contact (or closer than c), else PAIR_UNSURE.
int check_configuration(const Tree& tree, const CollisionWorld& world, const double* q, double c,
                        CollisionWork& work);

// Rows start:stop of Q (B, nq): check_configuration of each, status (B,).
void check_range(const Tree& tree, const CollisionWorld& world, const double* Q, double c, int start, int stop,
                 uint8_t* status, CollisionWork& work);

// Rows start:stop of Q (B, nq): the status of every pair for clearance 0, flags (B, K).
void collide_range(const Tree& tree, const CollisionWorld& world, const double* Q, int start, int stop,
                   uint8_t* flags, CollisionWork& work);

// Rows start:stop of Q (B, nq): bounds on every pair's distance, lower and upper (B, K) [m], and
// witness points W (B, K, 2, 3) where exact. With `nearest_only`, pairs are visited by increasing
// bounding-sphere distance and those that cannot be the nearest (their bound above the smallest
// upper bound) keep lower = that bound, upper = +inf.
void distance_range(const Tree& tree, const CollisionWorld& world, const double* Q, int start, int stop,
                    bool nearest_only, double* lower, double* upper, double* W, CollisionWork& work);

}  // namespace kinejac
