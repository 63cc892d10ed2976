// Sampling and integration on the configuration manifold (see configuration.hpp).
#include "kinejac/configuration.hpp"

namespace kinejac {
namespace {

constexpr double kUnboundedTranslation = 1.0;  // [m]: half-range of draws for a translation without limits

// Uniform in [lo, hi] (±fallback where unbounded); bounded ranges shrink to their middle `spread` fraction.
double draw(double lo, double hi, double fallback, double spread, uint64_t& state) {
    double a = std::isfinite(lo) ? lo : -fallback;
    double b = std::isfinite(hi) ? hi : fallback;
    if (std::isfinite(lo) && std::isfinite(hi) && spread != 1.0) {
        const double mid = 0.5 * (a + b), half = 0.5 * spread * (b - a);
        a = mid - half;
        b = mid + half;
    }
    return a + (b - a) * uniform(state);
}

void random_quaternion(double* q, uint64_t& state) {
    double n = 0.0;
    for (int k = 0; k < 4; ++k) {
        q[k] = normal(state);
        n += q[k] * q[k];
    }
    n = std::sqrt(n);
    for (int k = 0; k < 4; ++k) q[k] /= n;
}

// out[0:4] = q[0:4] ⊗ exp(ω) (quaternions (x, y, z, w)), normalised.
void quat_times_exp(const double* q, double w0, double w1, double w2, double* out) {
    const double t = std::sqrt(w0 * w0 + w1 * w1 + w2 * w2);
    const double c = std::cos(0.5 * t);
    const double s = t < 1e-4 ? 0.5 - t * t / 48.0 : std::sin(0.5 * t) / t;  // sin(t/2) / t
    const double bx = s * w0, by = s * w1, bz = s * w2, bw = c;
    const double ax = q[0], ay = q[1], az = q[2], aw = q[3];
    const double x = aw * bx + ax * bw + ay * bz - az * by;
    const double y = aw * by - ax * bz + ay * bw + az * bx;
    const double z = aw * bz + ax * by - ay * bx + az * bw;
    const double w = aw * bw - ax * bx - ay * by - az * bz;
    const double n = std::sqrt(x * x + y * y + z * z + w * w);
    out[0] = x / n;
    out[1] = y / n;
    out[2] = z / n;
    out[3] = w / n;
}

// (c, s) rotated by the angle d, renormalised: a unit complex number times exp(i d).
void rotate_unit_complex(double c, double s, double d, double* out) {
    const double cd = std::cos(d), sd = std::sin(d);
    const double c2 = c * cd - s * sd, s2 = s * cd + c * sd;
    const double n = std::sqrt(c2 * c2 + s2 * s2);
    out[0] = c2 / n;
    out[1] = s2 / n;
}

}  // namespace

void random_configuration(const Tree& tree, double spread, uint64_t& state, double* q) {
    const double* lo = tree.lo.data();
    const double* hi = tree.hi.data();
    for (const Coord& c : tree.coords) {
        const int iq = c.iq;
        switch (c.type) {
            case REVOLUTE:
                q[iq] = draw(lo[iq], hi[iq], kPi, spread, state);
                break;
            case PRISMATIC:
                q[iq] = draw(lo[iq], hi[iq], kUnboundedTranslation, spread, state);
                break;
            case CONTINUOUS:
            case PLANAR: {
                int o = iq;
                if (c.type == PLANAR) {
                    for (int k = 0; k < 2; ++k) q[iq + k] = draw(lo[iq + k], hi[iq + k], kUnboundedTranslation, 1.0, state);
                    o = iq + 2;
                }
                const double t = kPi * (2.0 * uniform(state) - 1.0);
                q[o] = std::cos(t);
                q[o + 1] = std::sin(t);
                break;
            }
            case FREEFLYER:
            case TRANSLATION:
                for (int k = 0; k < 3; ++k) q[iq + k] = draw(lo[iq + k], hi[iq + k], kUnboundedTranslation, 1.0, state);
                if (c.type == FREEFLYER) random_quaternion(q + iq + 3, state);
                break;
            case SPHERICAL:
                random_quaternion(q + iq, state);
                break;
            default:
                break;
        }
    }
}

bool clip_start(const Tree& tree, const double* q, double* out) {
    for (int k = 0; k < tree.nq; ++k) {
        if (!std::isfinite(q[k])) return false;
        out[k] = std::min(std::max(q[k], tree.lo[k]), tree.hi[k]);
    }
    for (const Coord& c : tree.coords) {
        int a = -1, size = 0;
        if (c.type == CONTINUOUS || c.type == SPHERICAL) a = c.iq;
        if (c.type == FREEFLYER || c.type == PLANAR) a = c.iq + (c.type == FREEFLYER ? 3 : 2);
        if (a < 0) continue;
        size = (c.type == SPHERICAL || c.type == FREEFLYER) ? 4 : 2;
        double n = 0.0;
        for (int k = 0; k < size; ++k) n += out[a + k] * out[a + k];
        n = std::sqrt(n);
        if (!(n > 0.0)) return false;
        for (int k = 0; k < size; ++k) out[a + k] /= n;
    }
    return true;
}

void integrate(const Tree& tree, const double* q, const double* d, double* out) {
    for (const Coord& c : tree.coords) {
        const int iq = c.iq, iv = c.iv;
        switch (c.type) {
            case REVOLUTE:
            case PRISMATIC:
                out[iq] = q[iq] + d[iv];
                break;
            case CONTINUOUS:
                rotate_unit_complex(q[iq], q[iq + 1], d[iv], out + iq);
                break;
            case TRANSLATION:
                for (int k = 0; k < 3; ++k) out[iq + k] = q[iq + k] + d[iv + k];
                break;
            case SPHERICAL:
                quat_times_exp(q + iq, d[iv], d[iv + 1], d[iv + 2], out + iq);
                break;
            case FREEFLYER: {  // M ⊕ v = M exp6(v): p += R V(ω) v, rotation q ⊗ exp(ω)
                double R[9], v3[3];
                quat_to_rot(q[iq + 3], q[iq + 4], q[iq + 5], q[iq + 6], R);
                exp3_left(d[iv + 3], d[iv + 4], d[iv + 5], d[iv], d[iv + 1], d[iv + 2], v3);
                for (int a = 0; a < 3; ++a) out[iq + a] = q[iq + a] + R[3 * a] * v3[0] + R[3 * a + 1] * v3[1] + R[3 * a + 2] * v3[2];
                quat_times_exp(q + iq + 3, d[iv + 3], d[iv + 4], d[iv + 5], out + iq + 3);
                break;
            }
            case PLANAR: {  // SE(2): the same with a rotation about z
                double v3[3];
                exp3_left(0.0, 0.0, d[iv + 2], d[iv], d[iv + 1], 0.0, v3);
                const double c0 = q[iq + 2], s0 = q[iq + 3];
                const double x = q[iq] + c0 * v3[0] - s0 * v3[1];
                const double y = q[iq + 1] + s0 * v3[0] + c0 * v3[1];
                rotate_unit_complex(c0, s0, d[iv + 2], out + iq + 2);
                out[iq] = x;
                out[iq + 1] = y;
                break;
            }
            default:
                break;
        }
    }
}

}  // namespace kinejac
