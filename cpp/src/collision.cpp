// The collision world's checks (see collision.hpp).
#include "kinejac/collision.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace kinejac {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

inline double dist3(const double* a, const double* b) {
    const double x = a[0] - b[0], y = a[1] - b[1], z = a[2] - b[2];
    return std::sqrt(x * x + y * y + z * z);
}

// world = R local + p
inline void apply(const double* R, const double* p, const double* local, double* world) {
    for (int a = 0; a < 3; ++a) world[a] = p[a] + R[3 * a] * local[0] + R[3 * a + 1] * local[1] + R[3 * a + 2] * local[2];
}

// A lower bound on the distance [m] from a sphere (world centre c, radius r) to a primitive at
// (R, p): exact for spheres, boxes and capsules; a cylinder is bounded by its capsule.
double sphere_to_primitive(const double* c, double r, const Geometry& g, const double* R, const double* p) {
    const double d0 = c[0] - p[0], d1 = c[1] - p[1], d2 = c[2] - p[2];
    const double x = R[0] * d0 + R[3] * d1 + R[6] * d2;  // the centre in the primitive's frame
    const double y = R[1] * d0 + R[4] * d1 + R[7] * d2;
    const double z = R[2] * d0 + R[5] * d1 + R[8] * d2;
    switch (g.kind) {
        case SHAPE_SPHERE:
            return std::sqrt(x * x + y * y + z * z) - g.size[0] - r;
        case SHAPE_BOX: {
            const double ex = std::fabs(x) - g.size[0], ey = std::fabs(y) - g.size[1], ez = std::fabs(z) - g.size[2];
            const double ox = std::fmax(ex, 0.0), oy = std::fmax(ey, 0.0), oz = std::fmax(ez, 0.0);
            const double out = std::sqrt(ox * ox + oy * oy + oz * oz);
            return (out > 0.0 ? out : std::fmax(ex, std::fmax(ey, ez))) - r;
        }
        default: {  // capsule, and the capsule around a cylinder
            const double zc = std::fmin(std::fmax(z, -g.size[1]), g.size[1]);
            return std::sqrt(x * x + y * y + (z - zc) * (z - zc)) - g.size[0] - r;
        }
    }
}

inline bool primitive(const Geometry& g) { return g.kind != SHAPE_CONVEX; }

// The shape of piece `k` of geometry g (or g itself when it is a primitive) at (R, p).
ConvexShape shape_of(const CollisionWorld& w, const Geometry& g, int k, const double* R, const double* p) {
    ConvexShape s;
    s.kind = g.kind;
    s.size = g.size;
    s.R = R;
    s.p = p;
    if (g.kind == SHAPE_CONVEX) {
        const Piece& pc = w.pieces[k];
        s.vertices = w.vertices.data() + 3 * static_cast<size_t>(pc.begin);
        s.count = pc.count;
    }
    return s;
}

// The broad phase of pair (ga, gb): a lower bound on their distance, computed only as far as
// needed to show it is at least c (returns as soon as a sphere pair is closer than c).
double broad_bound(const CollisionWorld& w, const CollisionWork& work, int ga, int gb, double c) {
    const Geometry& A = w.geoms[ga];
    const Geometry& B = w.geoms[gb];
    const double bound = dist3(work.B.data() + 3 * ga, work.B.data() + 3 * gb) - A.bound_radius - B.bound_radius;
    if (bound >= c) return bound;
    double lower = kInf;
    if (primitive(B) || primitive(A)) {  // covering spheres of the other against the primitive itself
        const bool b_prim = primitive(B);
        const Geometry& P = b_prim ? B : A;
        const Geometry& M = b_prim ? A : B;
        const int gp = b_prim ? gb : ga;
        const double* R = work.R.data() + 9 * gp;
        const double* p = work.p.data() + 3 * gp;
        for (int s = M.sphere_begin; s < M.sphere_end; ++s) {
            const double d = sphere_to_primitive(work.C.data() + 3 * s, w.sphere_radius[s], P, R, p);
            lower = std::fmin(lower, d);
            if (lower < c) return lower;
        }
        return lower;
    }
    for (int i = A.sphere_begin; i < A.sphere_end; ++i) {
        const double* ci = work.C.data() + 3 * i;
        const double ri = w.sphere_radius[i];
        for (int j = B.sphere_begin; j < B.sphere_end; ++j) {
            const double d = dist3(ci, work.C.data() + 3 * j) - ri - w.sphere_radius[j];
            lower = std::fmin(lower, d);
            if (lower < c) return lower;
        }
    }
    return lower;
}

}  // namespace

void CollisionWork::prepare(const Tree& tree, const CollisionWorld& world) {
    const size_t G = world.geoms.size(), S = world.sphere_radius.size();
    if (pl.R.size() == 9 * static_cast<size_t>(tree.njoints()) && R.size() == 9 * G && C.size() == 3 * S) return;
    pl = Placements(tree.njoints());
    R.assign(9 * G, 0.0);
    p.assign(3 * G, 0.0);
    B.assign(3 * G, 0.0);
    C.assign(3 * S, 0.0);
}

void place(const Tree& tree, const CollisionWorld& world, const double* q, CollisionWork& work) {
    work.prepare(tree, world);
    forward(tree, q, world.path.data(), static_cast<int>(world.path.size()), work.pl);
    for (int g = 0; g < world.ngeoms(); ++g) {
        const Geometry& G = world.geoms[g];
        const double* Rj = work.pl.rot(G.joint);
        const double* pj = work.pl.pos(G.joint);
        double* R = work.R.data() + 9 * g;
        double* p = work.p.data() + 3 * g;
        for (int a = 0; a < 3; ++a) {  // T_world_geometry = T_world_joint T_joint_geometry
            for (int b = 0; b < 3; ++b)
                R[3 * a + b] = Rj[3 * a] * G.R[b] + Rj[3 * a + 1] * G.R[3 + b] + Rj[3 * a + 2] * G.R[6 + b];
            p[a] = pj[a] + Rj[3 * a] * G.p[0] + Rj[3 * a + 1] * G.p[1] + Rj[3 * a + 2] * G.p[2];
        }
        apply(R, p, G.bound_center, work.B.data() + 3 * g);
        for (int s = G.sphere_begin; s < G.sphere_end; ++s)
            apply(R, p, world.sphere_center.data() + 3 * s, work.C.data() + 3 * s);
    }
}

namespace {

// The distance between the pieces of two geometries (outer, or inner where `inner` and the
// geometry has one), stopping once it is known to be >= above or < below.
struct Pieces {
    double lower, upper;
    bool intersect, converged;
    double a[3], b[3];
};

Pieces pieces_distance(const CollisionWorld& w, const CollisionWork& work, int ga, int gb, bool inner, double above,
                       double below) {
    const Geometry& A = w.geoms[ga];
    const Geometry& B = w.geoms[gb];
    const double* RA = work.R.data() + 9 * ga;
    const double* pA = work.p.data() + 3 * ga;
    const double* RB = work.R.data() + 9 * gb;
    const double* pB = work.p.data() + 3 * gb;
    const bool pieces_a = !primitive(A), pieces_b = !primitive(B);
    int a0 = pieces_a ? A.piece_begin : 0, a1 = pieces_a ? A.piece_end : 1;
    int b0 = pieces_b ? B.piece_begin : 0, b1 = pieces_b ? B.piece_end : 1;
    if (inner && A.inner >= 0) a0 = A.inner, a1 = A.inner + 1;
    if (inner && B.inner >= 0) b0 = B.inner, b1 = B.inner + 1;
    const bool many = (a1 - a0) * (b1 - b0) > 1;
    Pieces out{kInf, kInf, false, true, {0, 0, 0}, {0, 0, 0}};
    for (int i = a0; i < a1; ++i) {
        double ca[3];
        const double ra = pieces_a ? w.pieces[i].radius : A.bound_radius;
        if (many) apply(RA, pA, pieces_a ? w.pieces[i].center : A.bound_center, ca);
        for (int j = b0; j < b1; ++j) {
            const double stop = std::fmin(above, out.upper);  // no need to go past the nearest so far
            if (many) {  // the pieces' bounding spheres first
                double cb[3];
                apply(RB, pB, pieces_b ? w.pieces[j].center : B.bound_center, cb);
                const double bound = dist3(ca, cb) - ra - (pieces_b ? w.pieces[j].radius : B.bound_radius);
                if (bound >= stop && bound > 0.0) {
                    out.lower = std::fmin(out.lower, bound);
                    continue;
                }
            }
            const GjkResult r = gjk(shape_of(w, A, i, RA, pA), shape_of(w, B, j, RB, pB), stop, below);
            if (r.intersect) {
                out.intersect = true;
                out.lower = out.upper = -kInf;
                return out;
            }
            out.lower = std::fmin(out.lower, r.lower);
            if (!r.converged && r.lower < stop) out.converged = false;
            if (r.upper < out.upper) {
                out.upper = r.upper;
                std::copy(r.a, r.a + 3, out.a);
                std::copy(r.b, r.b + 3, out.b);
            }
            if (out.upper < below) return out;
        }
    }
    if (out.converged && out.upper < kInf) out.lower = out.upper;  // the distance, to the tolerance
    return out;
}

// Whether geometry `in` lies strictly inside hull piece `piece` of geometry `out`: its support
// along every facet normal is under the facet's plane.
bool inside_piece(const CollisionWorld& w, const CollisionWork& work, int g_in, int g_out, int piece) {
    const Geometry& O = w.geoms[g_out];
    const Piece& hull = w.pieces[piece];
    if (!hull.planes) return false;
    const Geometry& I = w.geoms[g_in];
    if (I.bound_radius > O.bound_radius + 1e-12) {  // larger than the hull's bounding sphere: not inside
        const double* co = work.B.data() + 3 * g_out;
        const double* ci = work.B.data() + 3 * g_in;
        if (I.bound_radius > dist3(co, ci) + O.bound_radius) return false;
    }
    const double* RO = work.R.data() + 9 * g_out;
    const double* pO = work.p.data() + 3 * g_out;
    const double* RI = work.R.data() + 9 * g_in;
    const double* pI = work.p.data() + 3 * g_in;
    const bool pieces_i = !primitive(I);
    const ConvexShape shape = shape_of(w, I, pieces_i ? I.piece_begin : 0, RI, pI);
    const double r_in = (I.kind == SHAPE_SPHERE || I.kind == SHAPE_CAPSULE) ? I.size[0] : 0.0;
    for (int f = 0; f < hull.planes; ++f) {
        const double* pl = w.planes.data() + 4 * static_cast<size_t>(hull.plane_begin + f);
        double n[3], s[3];
        for (int a = 0; a < 3; ++a) n[a] = RO[3 * a] * pl[0] + RO[3 * a + 1] * pl[1] + RO[3 * a + 2] * pl[2];
        const double d = pl[3] - (n[0] * pO[0] + n[1] * pO[1] + n[2] * pO[2]);  // the plane in the world
        support_point(shape, n, s);
        if (n[0] * s[0] + n[1] * s[1] + n[2] * s[2] + r_in + d >= 0.0) return false;
    }
    return !pieces_i || I.piece_end - I.piece_begin == 1;  // a triangle mesh inside: only its first piece was tested
}

// Where geometry `in` lies in mesh geometry `out` (a hull): 2 strictly inside its inner piece (or
// its exact hull), touching no triangle; 1 strictly inside its outer hull only; 0 neither.
int containment(const CollisionWorld& w, const CollisionWork& work, int g_in, int g_out) {
    const Geometry& O = w.geoms[g_out];
    if (primitive(O) || O.piece_end - O.piece_begin != 1) return 0;  // a primitive, or triangles
    if (!inside_piece(w, work, g_in, g_out, O.piece_begin)) return 0;
    if (O.inner < 0) return 2;
    return inside_piece(w, work, g_in, g_out, O.inner) ? 2 : 1;
}

inline bool apart(const Pieces& d, double c) { return !d.intersect && d.lower >= c && d.lower > 0.0; }
inline bool closer(const Pieces& d, double c) { return d.intersect || d.upper < c || (c == 0.0 && d.upper <= 0.0); }

}  // namespace

PairResult check_pair(const CollisionWorld& w, const CollisionWork& work, int k, double c) {
    const int ga = w.pairs[k][0], gb = w.pairs[k][1];
    PairResult out{PAIR_FREE, -kInf, kInf, false, {0, 0, 0}, {0, 0, 0}};
    const double bound = broad_bound(w, work, ga, gb, c);
    if (bound >= c && bound > 0.0) {
        out.lower = bound;
        return out;
    }
    const Pieces outer = pieces_distance(w, work, ga, gb, false, c, c);
    out.lower = outer.lower;
    out.upper = outer.upper;
    if (apart(outer, c) || (outer.converged && !closer(outer, c))) return out;
    const bool exact = w.geoms[ga].inner < 0 && w.geoms[gb].inner < 0;
    out.status = PAIR_UNSURE;
    if (exact && closer(outer, c)) {
        out.status = PAIR_CONTACT;
    } else if (!exact) {  // the inner pieces lie inside the meshes: closer than c there is closer than c
        const Pieces in = pieces_distance(w, work, ga, gb, true, c, c);
        if (closer(in, c)) {
            out.status = PAIR_CONTACT;
            out.upper = in.upper;
        }
    }
    if (out.status == PAIR_CONTACT) {  // a shape inside a mesh touching no triangle is free for coal
        const int inside = std::max(containment(w, work, gb, ga), containment(w, work, ga, gb));
        if (inside == 2) out.status = c > 0.0 ? PAIR_UNSURE : PAIR_FREE;
        if (inside == 1) out.status = PAIR_UNSURE;
        if (inside) out.lower = -kInf, out.upper = kInf;
    }
    return out;
}

PairResult pair_distance(const CollisionWorld& w, const CollisionWork& work, int k) {
    const int ga = w.pairs[k][0], gb = w.pairs[k][1];
    PairResult out{PAIR_FREE, -kInf, kInf, false, {0, 0, 0}, {0, 0, 0}};
    const Pieces outer = pieces_distance(w, work, ga, gb, false, kInf, -kInf);
    out.lower = outer.lower;
    out.upper = outer.upper;
    std::copy(outer.a, outer.a + 3, out.a);
    std::copy(outer.b, outer.b + 3, out.b);
    const bool exact_geometry = w.geoms[ga].inner < 0 && w.geoms[gb].inner < 0;
    if (outer.intersect && std::max(containment(w, work, gb, ga), containment(w, work, ga, gb)) > 0) {
        out.status = PAIR_UNSURE;  // inside a mesh, touching no triangle: coal measures that distance
        return out;
    }
    if (outer.intersect) {
        out.status = exact_geometry ? PAIR_CONTACT : PAIR_UNSURE;
        if (!exact_geometry) {
            const Pieces in = pieces_distance(w, work, ga, gb, true, kInf, -kInf);
            out.upper = in.upper;
            if (in.intersect) out.status = PAIR_CONTACT;
        }
        return out;
    }
    if (exact_geometry) {
        out.exact = outer.converged;
        if (!out.exact) out.status = PAIR_UNSURE;
        return out;
    }
    const Pieces in = pieces_distance(w, work, ga, gb, true, kInf, -kInf);
    out.upper = in.intersect ? -kInf : in.upper;
    if (in.intersect || in.upper <= 0.0) out.status = PAIR_CONTACT;
    else if (out.lower <= 0.0) out.status = PAIR_UNSURE;
    return out;
}

int check_configuration(const Tree& tree, const CollisionWorld& world, const double* q, double c,
                        CollisionWork& work) {
    place(tree, world, q, work);
    int status = PAIR_FREE;
    for (int k = 0; k < static_cast<int>(world.pairs.size()); ++k) {
        const int s = check_pair(world, work, k, c).status;
        if (s == PAIR_CONTACT) return PAIR_CONTACT;
        if (s == PAIR_UNSURE) status = PAIR_UNSURE;
    }
    return status;
}

void check_range(const Tree& tree, const CollisionWorld& world, const double* Q, double c, int start, int stop,
                 uint8_t* status, CollisionWork& work) {
    for (int b = start; b < stop; ++b)
        status[b] = static_cast<uint8_t>(check_configuration(tree, world, Q + static_cast<size_t>(b) * tree.nq, c, work));
}

void collide_range(const Tree& tree, const CollisionWorld& world, const double* Q, int start, int stop,
                   uint8_t* flags, CollisionWork& work) {
    const size_t K = world.pairs.size();
    for (int b = start; b < stop; ++b) {
        place(tree, world, Q + static_cast<size_t>(b) * tree.nq, work);
        for (size_t k = 0; k < K; ++k)
            flags[b * K + k] = static_cast<uint8_t>(check_pair(world, work, static_cast<int>(k), 0.0).status);
    }
}

void distance_range(const Tree& tree, const CollisionWorld& world, const double* Q, int start, int stop,
                    bool nearest_only, double* lower, double* upper, double* W, CollisionWork& work) {
    const int K = static_cast<int>(world.pairs.size());
    std::vector<std::pair<double, int>> order(K);
    for (int b = start; b < stop; ++b) {
        place(tree, world, Q + static_cast<size_t>(b) * tree.nq, work);
        const size_t row = static_cast<size_t>(b) * K;
        for (int k = 0; k < K; ++k) {  // bounding spheres' distances: the visiting order
            const int ga = world.pairs[k][0], gb = world.pairs[k][1];
            const double bound = dist3(work.B.data() + 3 * ga, work.B.data() + 3 * gb) -
                                 world.geoms[ga].bound_radius - world.geoms[gb].bound_radius;
            order[k] = {bound, k};
            lower[row + k] = bound;
            upper[row + k] = kInf;
        }
        if (nearest_only) std::sort(order.begin(), order.end());
        double best_upper = kInf;
        for (const auto& [bound, k] : order) {
            if (nearest_only && bound > best_upper) break;
            const PairResult r = pair_distance(world, work, k);
            lower[row + k] = r.lower;
            upper[row + k] = r.upper;
            double* wk = W + 6 * (row + k);
            std::copy(r.a, r.a + 3, wk);
            std::copy(r.b, r.b + 3, wk + 3);
            best_upper = std::fmin(best_upper, r.upper);
        }
    }
}

}  // namespace kinejac
