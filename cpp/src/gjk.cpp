// GJK on support maps (see gjk.hpp). The nearest point of a simplex to the origin follows the
// Voronoi-region tests of Ericson, Real-Time Collision Detection (2005), §5.1.2 and §5.1.6.
#include "kinejac/gjk.hpp"

#include <cmath>
#include <limits>

namespace kinejac {
namespace {

constexpr int kMaxIterations = 96;

inline double dot(const double* a, const double* b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
inline void sub(const double* a, const double* b, double* o) {
    o[0] = a[0] - b[0];
    o[1] = a[1] - b[1];
    o[2] = a[2] - b[2];
}
inline void cross(const double* a, const double* b, double* o) {
    o[0] = a[1] * b[2] - a[2] * b[1];
    o[1] = a[2] * b[0] - a[0] * b[2];
    o[2] = a[0] * b[1] - a[1] * b[0];
}

// The rounding radius of a shape (its core is a point or a segment for spheres and capsules).
inline double rounding(const ConvexShape& s) {
    return (s.kind == SHAPE_SPHERE || s.kind == SHAPE_CAPSULE) ? s.size[0] : 0.0;
}

}  // namespace

void support_point(const ConvexShape& s, const double* d, double* out) {
    const double* R = s.R;
    // the direction in the shape's frame: Rᵀ d
    const double l0 = R[0] * d[0] + R[3] * d[1] + R[6] * d[2];
    const double l1 = R[1] * d[0] + R[4] * d[1] + R[7] * d[2];
    const double l2 = R[2] * d[0] + R[5] * d[1] + R[8] * d[2];
    double x = 0.0, y = 0.0, z = 0.0;
    switch (s.kind) {
        case SHAPE_SPHERE:
            break;
        case SHAPE_CAPSULE:
            z = l2 >= 0.0 ? s.size[1] : -s.size[1];
            break;
        case SHAPE_BOX:
            x = l0 >= 0.0 ? s.size[0] : -s.size[0];
            y = l1 >= 0.0 ? s.size[1] : -s.size[1];
            z = l2 >= 0.0 ? s.size[2] : -s.size[2];
            break;
        case SHAPE_CYLINDER: {
            const double rho = std::sqrt(l0 * l0 + l1 * l1);
            if (rho > 0.0) {
                x = s.size[0] * l0 / rho;
                y = s.size[0] * l1 / rho;
            }
            z = l2 >= 0.0 ? s.size[1] : -s.size[1];
            break;
        }
        default: {  // a convex polytope: the farthest vertex along d
            const double* v = s.vertices;
            int best = 0;
            double best_dot = -std::numeric_limits<double>::infinity();
            for (int i = 0; i < s.count; ++i) {
                const double t = v[3 * i] * l0 + v[3 * i + 1] * l1 + v[3 * i + 2] * l2;
                if (t > best_dot) {
                    best_dot = t;
                    best = i;
                }
            }
            x = v[3 * best];
            y = v[3 * best + 1];
            z = v[3 * best + 2];
        }
    }
    for (int a = 0; a < 3; ++a) out[a] = s.p[a] + R[3 * a] * x + R[3 * a + 1] * y + R[3 * a + 2] * z;
}

namespace {

inline void support(const ConvexShape& s, const double* d, double* out) { support_point(s, d, out); }

// A simplex of the Minkowski difference: w = a - b for support points a on A and b on B.
struct Simplex {
    double w[4][3], a[4][3], b[4][3];
    double lambda[4];  // barycentric weights of the nearest point
    int n = 0;

    void keep(const int* idx, const double* weights, int m) {
        double w2[4][3], a2[4][3], b2[4][3];
        for (int k = 0; k < m; ++k)
            for (int c = 0; c < 3; ++c) {
                w2[k][c] = w[idx[k]][c];
                a2[k][c] = a[idx[k]][c];
                b2[k][c] = b[idx[k]][c];
            }
        for (int k = 0; k < m; ++k) {
            for (int c = 0; c < 3; ++c) {
                w[k][c] = w2[k][c];
                a[k][c] = a2[k][c];
                b[k][c] = b2[k][c];
            }
            lambda[k] = weights[k];
        }
        n = m;
    }
};

// The nearest point to the origin of triangle (P[i], P[j], P[k]): the kept vertex indices and weights.
struct Nearest {
    int idx[3];
    double weight[3];
    int m;
    double dist2;
    double v[3];
};

Nearest nearest_triangle(const double (*P)[3], int i, int j, int k) {
    const double *A = P[i], *B = P[j], *C = P[k];
    double ab[3], ac[3], v[3];
    sub(B, A, ab);
    sub(C, A, ac);
    Nearest r{};
    auto finish = [&](int m) {
        for (int c = 0; c < 3; ++c) v[c] = 0.0;
        for (int q = 0; q < m; ++q)
            for (int c = 0; c < 3; ++c) v[c] += r.weight[q] * P[r.idx[q]][c];
        r.m = m;
        r.dist2 = dot(v, v);
        for (int c = 0; c < 3; ++c) r.v[c] = v[c];
        return r;
    };
    const double d1 = -dot(ab, A), d2 = -dot(ac, A);
    if (d1 <= 0.0 && d2 <= 0.0) {  // vertex A
        r.idx[0] = i;
        r.weight[0] = 1.0;
        return finish(1);
    }
    const double d3 = -dot(ab, B), d4 = -dot(ac, B);
    if (d3 >= 0.0 && d4 <= d3) {  // vertex B
        r.idx[0] = j;
        r.weight[0] = 1.0;
        return finish(1);
    }
    const double vc = d1 * d4 - d3 * d2;
    if (vc <= 0.0 && d1 >= 0.0 && d3 <= 0.0) {  // edge AB
        const double t = d1 / (d1 - d3);
        r.idx[0] = i;
        r.idx[1] = j;
        r.weight[0] = 1.0 - t;
        r.weight[1] = t;
        return finish(2);
    }
    const double d5 = -dot(ab, C), d6 = -dot(ac, C);
    if (d6 >= 0.0 && d5 <= d6) {  // vertex C
        r.idx[0] = k;
        r.weight[0] = 1.0;
        return finish(1);
    }
    const double vb = d5 * d2 - d1 * d6;
    if (vb <= 0.0 && d2 >= 0.0 && d6 <= 0.0) {  // edge AC
        const double t = d2 / (d2 - d6);
        r.idx[0] = i;
        r.idx[1] = k;
        r.weight[0] = 1.0 - t;
        r.weight[1] = t;
        return finish(2);
    }
    const double va = d3 * d6 - d5 * d4;
    if (va <= 0.0 && (d4 - d3) >= 0.0 && (d5 - d6) >= 0.0) {  // edge BC
        const double t = (d4 - d3) / ((d4 - d3) + (d5 - d6));
        r.idx[0] = j;
        r.idx[1] = k;
        r.weight[0] = 1.0 - t;
        r.weight[1] = t;
        return finish(2);
    }
    const double den = va + vb + vc;
    if (!(den > 0.0)) {  // a degenerate triangle: its best edge
        Nearest best{};
        best.dist2 = std::numeric_limits<double>::infinity();
        const int e[3][2] = {{i, j}, {i, k}, {j, k}};
        for (const auto& ed : e) {
            double d[3];
            sub(P[ed[1]], P[ed[0]], d);
            const double dd = dot(d, d);
            double t = dd > 0.0 ? -dot(P[ed[0]], d) / dd : 0.0;
            t = std::fmin(1.0, std::fmax(0.0, t));
            Nearest c{};
            c.idx[0] = ed[0];
            c.idx[1] = ed[1];
            c.weight[0] = 1.0 - t;
            c.weight[1] = t;
            for (int q = 0; q < 3; ++q) c.v[q] = P[ed[0]][q] + t * d[q];
            c.dist2 = dot(c.v, c.v);
            c.m = 2;
            if (c.dist2 < best.dist2) best = c;
        }
        return best;
    }
    const double s = vb / den, t = vc / den;  // face interior
    r.idx[0] = i;
    r.idx[1] = j;
    r.idx[2] = k;
    r.weight[0] = 1.0 - s - t;
    r.weight[1] = s;
    r.weight[2] = t;
    return finish(3);
}

// The nearest point of the simplex to the origin: reduces it to the supporting face and returns
// |v|², v into v; -1 when a tetrahedron contains the origin.
double reduce(Simplex& S, double* v) {
    if (S.n == 1) {
        S.lambda[0] = 1.0;
        for (int c = 0; c < 3; ++c) v[c] = S.w[0][c];
        return dot(v, v);
    }
    if (S.n == 2) {
        double d[3];
        sub(S.w[1], S.w[0], d);
        const double dd = dot(d, d);
        double t = dd > 0.0 ? -dot(S.w[0], d) / dd : 0.0;
        if (t <= 0.0) {
            const int idx[1] = {0};
            const double w[1] = {1.0};
            S.keep(idx, w, 1);
        } else if (t >= 1.0) {
            const int idx[1] = {1};
            const double w[1] = {1.0};
            S.keep(idx, w, 1);
        } else {
            S.lambda[0] = 1.0 - t;
            S.lambda[1] = t;
        }
        for (int c = 0; c < 3; ++c) v[c] = 0.0;
        for (int k = 0; k < S.n; ++k)
            for (int c = 0; c < 3; ++c) v[c] += S.lambda[k] * S.w[k][c];
        return dot(v, v);
    }
    Nearest best{};
    if (S.n == 3) {
        best = nearest_triangle(S.w, 0, 1, 2);
    } else {
        // faces (and the vertex opposite each): the origin is outside a face when it lies on the
        // other side of that face's plane from the opposite vertex
        static const int faces[4][4] = {{0, 1, 2, 3}, {0, 2, 3, 1}, {0, 3, 1, 2}, {1, 3, 2, 0}};
        best.dist2 = std::numeric_limits<double>::infinity();
        bool outside_any = false;
        double scale = 0.0;
        for (int k = 0; k < 4; ++k) scale = std::fmax(scale, dot(S.w[k], S.w[k]));
        for (const auto& f : faces) {
            double e1[3], e2[3], n[3], dv[3];
            sub(S.w[f[1]], S.w[f[0]], e1);
            sub(S.w[f[2]], S.w[f[0]], e2);
            cross(e1, e2, n);
            sub(S.w[f[3]], S.w[f[0]], dv);
            const double sd = dot(dv, n), so = -dot(S.w[f[0]], n);
            const bool flat = std::fabs(sd) <= 1e-14 * scale * std::sqrt(scale);
            if (flat || so * sd < 0.0) {
                outside_any = true;
                const Nearest c = nearest_triangle(S.w, f[0], f[1], f[2]);
                if (c.dist2 < best.dist2) best = c;
            }
        }
        if (!outside_any) return -1.0;
    }
    int idx[3];
    double w[3];
    for (int k = 0; k < best.m; ++k) {
        idx[k] = best.idx[k];
        w[k] = best.weight[k];
    }
    S.keep(idx, w, best.m);
    for (int c = 0; c < 3; ++c) v[c] = best.v[c];
    return best.dist2;
}

}  // namespace

GjkResult gjk(const ConvexShape& A, const ConvexShape& B, double stop_above, double stop_below, double tolerance) {
    const double rA = rounding(A), rB = rounding(B), rr = rA + rB;
    constexpr double kInf = std::numeric_limits<double>::infinity();
    GjkResult out{-kInf, kInf, false, false, {0, 0, 0}, {0, 0, 0}};
    Simplex S;
    double v[3];
    sub(A.p, B.p, v);
    if (dot(v, v) == 0.0) v[0] = 1.0;
    double vv = kInf;
    for (int it = 0; it < kMaxIterations; ++it) {
        double nd[3] = {-v[0], -v[1], -v[2]};
        double a[3], b[3], w[3];
        support(A, nd, a);
        support(B, v, b);
        sub(a, b, w);
        if (S.n > 0) {
            const double norm = std::sqrt(vv), vw = dot(v, w);
            const double lower = vw / norm - rr;  // the plane through w orthogonal to v bounds A - B
            if (lower > out.lower) out.lower = lower;
            if (out.lower >= stop_above) return out;
            if (vv - vw <= tolerance * norm) {  // converged: no support point beyond v
                out.converged = true;
                break;
            }
        }
        for (int c = 0; c < 3; ++c) {
            S.w[S.n][c] = w[c];
            S.a[S.n][c] = a[c];
            S.b[S.n][c] = b[c];
        }
        ++S.n;
        const double next = reduce(S, v);
        if (next < 0.0 || next <= 1e-30) {  // the cores overlap
            out.intersect = true;
            out.upper = -rr;
            out.lower = std::fmin(out.lower, out.upper);
            return out;
        }
        if (next >= vv) {  // no progress: numerically converged
            out.converged = true;
            break;
        }
        vv = next;
        out.upper = std::sqrt(vv) - rr;
        if (out.upper < stop_below) return out;
    }
    // the witness points: the weighted support points, moved out by the rounding radii
    double pa[3] = {0, 0, 0}, pb[3] = {0, 0, 0};
    for (int k = 0; k < S.n; ++k)
        for (int c = 0; c < 3; ++c) {
            pa[c] += S.lambda[k] * S.a[k][c];
            pb[c] += S.lambda[k] * S.b[k][c];
        }
    const double norm = std::sqrt(vv);
    for (int c = 0; c < 3; ++c) {
        const double u = norm > 0.0 ? v[c] / norm : 0.0;  // from B towards A
        out.a[c] = pa[c] - rA * u;
        out.b[c] = pb[c] + rB * u;
    }
    return out;
}

}  // namespace kinejac
