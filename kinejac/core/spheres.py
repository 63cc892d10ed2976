"""Collision avoidance in the compiled core: the fitted sphere model (:mod:`kinejac.collision.spheres`)
as a one-sided penalty with its Gauss-Newton terms.

Each pair (two robot spheres, or a robot sphere and an obstacle primitive) closer than
``d0 = clearance + margin`` contributes the residual ``r = d0 - d(q)`` (``d``: signed distance, [m]),
so the solver minimises ``½‖e‖² + ½ Σ r²`` and the pose error alone once every pair is at least
``d0`` apart. Its Gauss-Newton terms ``H = Σ gᵣ gᵣᵀ`` and ``b = Σ r gᵣ`` (``gᵣ = ∂r/∂q = -n · Jₚ``,
``n`` the unit gradient of ``d`` at the sphere centre, ``Jₚ`` the centre's linear Jacobian) are
added to the damped normal equations. The distances are those of
:mod:`kinejac.collision.reference` (the numpy reference the tests compare with).

``sph`` is the tuple ``(sphere_joint (S,), sphere_center (S, 3), sphere_radius (S,),
self_pairs (P, 2), obstacle_kind (O,), obstacle_pose (O, 4, 4), obstacle_size (O, 3),
obstacle_pairs (Q, 2))`` of a :class:`~kinejac.collision.spheres.SphereModel`; joint ids are those
of the tree (mimic joints included).
"""

from __future__ import annotations

import math

from .jit import compiled
from .tree import joint_jacobian

__all__ = ["obstacle_distances", "penalty", "sd_obstacle"]

SPHERE, BOX, CAPSULE, CYLINDER = range(4)


@compiled
def _to_world(T, v0, v1, v2, n) -> None:
    for a in range(3):
        n[a] = T[a, 0] * v0 + T[a, 1] * v1 + T[a, 2] * v2


@compiled
def sd_obstacle(c, r, kind, T, size, n) -> float:
    """Signed distance [m] of the sphere (centre ``c (3,)``, radius ``r``) to an obstacle primitive at
    ``T (4, 4)`` with the size encoding of the sphere model; ``n (3,)``: its gradient wrt ``c``."""
    # the centre in the obstacle's frame
    d0, d1, d2 = c[0] - T[0, 3], c[1] - T[1, 3], c[2] - T[2, 3]
    p0 = T[0, 0] * d0 + T[1, 0] * d1 + T[2, 0] * d2
    p1 = T[0, 1] * d0 + T[1, 1] * d1 + T[2, 1] * d2
    p2 = T[0, 2] * d0 + T[1, 2] * d1 + T[2, 2] * d2
    if kind == SPHERE or kind == CAPSULE:  # distance to a point, or to the segment z ∈ [-h, h]
        z = 0.0 if kind == SPHERE else min(max(p2, -size[1]), size[1])
        q2 = p2 - z
        dist = math.sqrt(p0 * p0 + p1 * p1 + q2 * q2)
        if dist > 0.0:
            _to_world(T, p0 / dist, p1 / dist, q2 / dist, n)
        else:
            _to_world(T, 1.0, 0.0, 0.0, n)
        return dist - size[0] - r
    if kind == BOX:
        s0, s1, s2 = (1.0 if p0 >= 0 else -1.0), (1.0 if p1 >= 0 else -1.0), (1.0 if p2 >= 0 else -1.0)
        e0, e1, e2 = abs(p0) - size[0], abs(p1) - size[1], abs(p2) - size[2]
        o0, o1, o2 = max(e0, 0.0), max(e1, 0.0), max(e2, 0.0)
        out = math.sqrt(o0 * o0 + o1 * o1 + o2 * o2)
        if out > 0.0:  # outside: to the closest point of the surface
            _to_world(T, s0 * o0 / out, s1 * o1 / out, s2 * o2 / out, n)
            return out - r
        if e0 >= e1 and e0 >= e2:  # inside: through the nearest face
            _to_world(T, s0, 0.0, 0.0, n)
            return e0 - r
        if e1 >= e2:
            _to_world(T, 0.0, s1, 0.0, n)
            return e1 - r
        _to_world(T, 0.0, 0.0, s2, n)
        return e2 - r
    # solid cylinder of radius size[0] and z ∈ [-size[1], size[1]]
    rho = math.sqrt(p0 * p0 + p1 * p1)
    u0, u1 = (p0 / rho, p1 / rho) if rho > 0.0 else (1.0, 0.0)
    sz = 1.0 if p2 >= 0 else -1.0
    er, ez = rho - size[0], abs(p2) - size[1]
    if er > 0.0 and ez > 0.0:  # beyond the rim
        dist = math.sqrt(er * er + ez * ez)
        _to_world(T, er * u0 / dist, er * u1 / dist, ez * sz / dist, n)
        return dist - r
    if er >= ez:
        _to_world(T, u0, u1, 0.0, n)
        return er - r
    _to_world(T, 0.0, 0.0, sz, n)
    return ez - r


@compiled
def _add_pair(tree, ja, ca, jb, cb, n, r, oR, op, Jp, g, H, b) -> None:
    """The terms of one active pair: ``gᵣ = -n·(Jₚ(a) - Jₚ(b))`` (``jb < 0``: an obstacle)."""
    nv = g.shape[0]
    for c in range(nv):
        g[c] = 0.0
    if ja > 0:
        joint_jacobian(tree, ja, oR, op, ca, Jp)
        for c in range(nv):
            g[c] -= n[0] * Jp[0, c] + n[1] * Jp[1, c] + n[2] * Jp[2, c]
    if jb > 0:
        joint_jacobian(tree, jb, oR, op, cb, Jp)
        for c in range(nv):
            g[c] += n[0] * Jp[0, c] + n[1] * Jp[1, c] + n[2] * Jp[2, c]
    for i in range(nv):
        gi = g[i]
        if gi != 0.0:
            b[i] += r * gi
            for j in range(nv):
                H[i, j] += gi * g[j]


@compiled
def penalty(tree, sph, d0, oR, op, C, Jp, g, n, H, b) -> tuple[float, float]:
    """The penalty ``½ Σ max(0, d0 - d)²`` [m²] at the placements ``oR, op`` and its Gauss-Newton
    terms into ``H (nv, nv)`` and ``b (nv,)`` (overwritten); returns it and the smallest signed
    distance [m] over all pairs. ``C (S, 3)``, ``Jp (6, nv)``, ``g (nv,)``, ``n (3,)``: scratch."""
    sj, sc, sr, sp, ok, oT, osz, opairs = sph
    H[:, :] = 0.0
    b[:] = 0.0
    for s in range(sj.shape[0]):  # world centres
        j = sj[s]
        for a in range(3):
            C[s, a] = op[j, a] + oR[j, a, 0] * sc[s, 0] + oR[j, a, 1] * sc[s, 1] + oR[j, a, 2] * sc[s, 2]
    h = 0.0
    dmin = math.inf
    for k in range(sp.shape[0]):
        i, j = sp[k, 0], sp[k, 1]
        x0, x1, x2 = C[i, 0] - C[j, 0], C[i, 1] - C[j, 1], C[i, 2] - C[j, 2]
        dist = math.sqrt(x0 * x0 + x1 * x1 + x2 * x2)
        d = dist - sr[i] - sr[j]
        dmin = min(dmin, d)
        if d < d0:
            if dist > 0.0:
                n[0], n[1], n[2] = x0 / dist, x1 / dist, x2 / dist
            else:
                n[0], n[1], n[2] = 1.0, 0.0, 0.0
            r = d0 - d
            h += 0.5 * r * r
            _add_pair(tree, sj[i], C[i], sj[j], C[j], n, r, oR, op, Jp, g, H, b)
    for k in range(opairs.shape[0]):
        s, o = opairs[k, 0], opairs[k, 1]
        d = sd_obstacle(C[s], sr[s], ok[o], oT[o], osz[o], n)
        dmin = min(dmin, d)
        if d < d0:
            r = d0 - d
            h += 0.5 * r * r
            _add_pair(tree, sj[s], C[s], -1, C[s], n, r, oR, op, Jp, g, H, b)
    return h, dmin


@compiled
def obstacle_distances(sph, C, d, N) -> None:
    """Signed distances ``d (Q,)`` [m] of the sphere-obstacle pairs and their normals ``N (Q, 3)``
    (the gradient wrt the sphere centre), for world sphere centres ``C (S, 3)``."""
    _, _, sr, _, ok, oT, osz, opairs = sph
    for k in range(opairs.shape[0]):
        s, o = opairs[k, 0], opairs[k, 1]
        d[k] = sd_obstacle(C[s], sr[s], ok[o], oT[o], osz[o], N[k])
