// Distances between convex shapes by GJK (Gilbert, Johnson & Keerthi 1988): the narrow phase of
// the collision world (collision.hpp).
//
// A shape is given by its support map s(d) = argmax_{x ∈ shape} d·x in world coordinates, plus a
// rounding radius: a sphere is a point rounded by r, a capsule a segment rounded by r, so GJK runs
// on the cores and the radii are subtracted at the end (exact for spheres and capsules). GJK
// walks simplices of the Minkowski difference A - B towards the origin: at each step v is the
// point of the current simplex nearest the origin, w = s_A(-v) - s_B(v) a new support point, and
//   |v| >= distance(A, B) >= v·w / |v|      (upper and lower bounds),
// so a query "is the distance at least c?" can stop as soon as either bound decides it. A
// tetrahedron containing the origin proves contact (distance 0).
#pragma once

namespace kinejac {

enum ShapeKind : int { SHAPE_SPHERE = 0, SHAPE_BOX, SHAPE_CAPSULE, SHAPE_CYLINDER, SHAPE_CONVEX };

// A convex shape placed in the world: T_world_shape as R (3x3 row-major) and p [m].
struct ConvexShape {
    int kind = SHAPE_SPHERE;
    const double* size = nullptr;      // sphere (r), box (hx, hy, hz), capsule and cylinder (r, half length) [m]
    const double* vertices = nullptr;  // SHAPE_CONVEX: (n, 3) in the shape's frame [m]
    int count = 0;                     // SHAPE_CONVEX: number of vertices
    const double* R = nullptr;
    const double* p = nullptr;
};

// The support point of a shape's core (less its rounding radius) in world direction d, into out.
void support_point(const ConvexShape& s, const double* d, double* out);

// Bounds on the signed distance [m]: lower <= distance <= upper. When the cores (the shapes less
// their rounding radii) overlap, intersect is set and upper = -(rounding radii) <= 0 (the depth is
// not computed). Exact for rounded cores that are apart (a sphere's depth into another sphere too).
struct GjkResult {
    double lower, upper;
    bool intersect;
    bool converged;     // upper is the distance (to the tolerance); else a bound stopped it early
    double a[3], b[3];  // witness points on A and on B (world): the nearest points when apart
};

// The distance between two convex shapes, stopping early once it is known to be >= stop_above
// (lower >= stop_above) or < stop_below (upper < stop_below); pass +inf / -inf for the exact
// distance, to `tolerance` [m] (upper - lower at convergence).
GjkResult gjk(const ConvexShape& A, const ConvexShape& B, double stop_above, double stop_below,
              double tolerance = 1e-9);

}  // namespace kinejac
