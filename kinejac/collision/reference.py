"""Plain numpy reference of the sphere model's distances and collision penalty (the tests hold the
native core, ``cpp/src/spheres.cpp``, to it).

Signed distances are negative when the shapes overlap. Each ``sd_sphere_*`` function returns
``(d, n)``: the signed distance [m] and ``n = ∂d/∂c`` ``(3,)``, the gradient with respect to the
sphere's world centre ``c`` (a unit vector; where it is undefined, at the exact centre of a sphere or
on the axis of a cylinder or capsule, an arbitrary unit vector, ``+x`` of the obstacle frame).
For a convex primitive ``B``, ``d = sdf_B(c) - r`` exactly (distance when apart, minus the
penetration depth when overlapping).

The penalty over the model's pairs (self pairs and sphere-obstacle pairs), with the activation
distance ``d0 = clearance + margin`` [m]::

    h(q) = sum over pairs of 0.5 * max(0, d0 - d(q))**2            [m^2]
    ∇h(q) = sum over pairs of -max(0, d0 - d(q)) * ∂d/∂q            (nv,) [m]

with ``∂d/∂q = n_ab · (Jp_a - Jp_b)`` for two spheres (``n_ab = (c_a - c_b)/|c_a - c_b|``) and
``n · Jp_a`` for a sphere and an obstacle, ``Jp`` the ``(3, nv)`` linear rows of
:func:`kinejac.jacobian` (``local_world_aligned``) of the joint frame at the sphere centre.
``h`` is C¹, zero once every pair is at least ``d0`` apart.
"""

from __future__ import annotations

import math

import numpy as np
import pinocchio as pin

from ..kinematics import jacobian
from .spheres import BOX, CAPSULE, CYLINDER, SPHERE, SphereModel

__all__ = [
    "pair_distances",
    "penalty",
    "penalty_gradient",
    "sd_sphere_box",
    "sd_sphere_capsule",
    "sd_sphere_cylinder",
    "sd_sphere_obstacle",
    "sd_sphere_sphere",
    "sphere_centers",
]

_X = np.array([1.0, 0.0, 0.0])


def sphere_centers(robot, q: np.ndarray, spheres: SphereModel) -> np.ndarray:
    """World centres ``(S, 3)`` [m] of the model's spheres at one configuration ``q`` ``(nq,)``."""
    q = robot.check_q(q)
    data = robot.model.createData()
    pin.forwardKinematics(robot.model, data, q)
    out = np.empty((len(spheres.sphere_radius), 3))
    for s in range(len(out)):
        T = data.oMi[int(spheres.sphere_joint[s])]
        out[s] = T.rotation @ spheres.sphere_center[s] + T.translation
    return out


def sd_sphere_sphere(c_a: np.ndarray, r_a: float, c_b: np.ndarray, r_b: float) -> tuple[float, np.ndarray]:
    """Signed distance of two spheres ``|c_a - c_b| - r_a - r_b`` and its gradient wrt ``c_a``."""
    delta = c_a - c_b
    dist = math.sqrt(delta @ delta)
    n = delta / dist if dist > 0 else _X.copy()
    return dist - r_a - r_b, n


def sd_sphere_box(c: np.ndarray, r: float, T_world_box: np.ndarray, half: np.ndarray) -> tuple[float, np.ndarray]:
    """Sphere (centre ``c``, radius ``r``) to a box of half-extents ``half`` ``(3,)`` centred at ``T_world_box``."""
    R, t = T_world_box[:3, :3], T_world_box[:3, 3]
    p = R.T @ (c - t)  # centre in box coordinates
    sign = np.where(p >= 0, 1.0, -1.0)
    e = np.abs(p) - half  # > 0 on the axes where the centre is outside the slab
    outside = np.maximum(e, 0.0)
    norm_out = math.sqrt(outside @ outside)
    if norm_out > 0:  # outside the box: distance to the closest point of the surface
        return norm_out - r, R @ (sign * outside / norm_out)
    k = int(np.argmax(e))  # inside: the nearest face
    n_local = np.zeros(3)
    n_local[k] = sign[k]
    return float(e[k]) - r, R @ n_local


def sd_sphere_capsule(
    c: np.ndarray, r: float, T_world_capsule: np.ndarray, radius: float, half_length: float
) -> tuple[float, np.ndarray]:
    """Sphere to a capsule of ``radius`` around the segment ``z ∈ [-half_length, half_length]`` of its frame."""
    R, t = T_world_capsule[:3, :3], T_world_capsule[:3, 3]
    p = R.T @ (c - t)
    s = np.array([0.0, 0.0, min(max(p[2], -half_length), half_length)])  # closest point of the segment
    delta = p - s
    dist = math.sqrt(delta @ delta)
    n_local = delta / dist if dist > 0 else _X
    return dist - radius - r, R @ n_local


def sd_sphere_cylinder(
    c: np.ndarray, r: float, T_world_cylinder: np.ndarray, radius: float, half_length: float
) -> tuple[float, np.ndarray]:
    """Sphere to a solid cylinder of ``radius`` and ``z ∈ [-half_length, half_length]`` in its frame."""
    R, t = T_world_cylinder[:3, :3], T_world_cylinder[:3, 3]
    p = R.T @ (c - t)
    rho = math.hypot(p[0], p[1])
    radial = np.array([p[0] / rho, p[1] / rho, 0.0]) if rho > 0 else _X.copy()  # ∂rho/∂p
    axial = np.array([0.0, 0.0, 1.0 if p[2] >= 0 else -1.0])  # ∂|z|/∂p
    e_r, e_z = rho - radius, abs(p[2]) - half_length
    if e_r > 0 and e_z > 0:  # beyond the rim: distance to the circle edge
        dist = math.hypot(e_r, e_z)
        return dist - r, R @ ((e_r * radial + e_z * axial) / dist)
    if e_r >= e_z:  # outside the side only, or inside and nearer the side than a cap
        return e_r - r, R @ radial
    return e_z - r, R @ axial


def sd_sphere_obstacle(c: np.ndarray, r: float, kind: int, T_world_obstacle: np.ndarray, size: np.ndarray):
    """Dispatch on the obstacle kind code (``SPHERE, BOX, CAPSULE, CYLINDER``) with the model's size encoding."""
    if kind == SPHERE:
        return sd_sphere_sphere(c, r, T_world_obstacle[:3, 3], float(size[0]))
    if kind == BOX:
        return sd_sphere_box(c, r, T_world_obstacle, size)
    if kind == CAPSULE:
        return sd_sphere_capsule(c, r, T_world_obstacle, float(size[0]), float(size[1]))
    if kind == CYLINDER:
        return sd_sphere_cylinder(c, r, T_world_obstacle, float(size[0]), float(size[1]))
    raise ValueError(f"unknown obstacle kind code {kind}")


def pair_distances(robot, q: np.ndarray, spheres: SphereModel) -> tuple[np.ndarray, np.ndarray]:
    """Signed distances [m] of the self pairs ``(P,)`` and of the sphere-obstacle pairs ``(Q,)`` at ``q``."""
    C, rad = sphere_centers(robot, q, spheres), spheres.sphere_radius
    d_self = np.array([sd_sphere_sphere(C[i], rad[i], C[j], rad[j])[0] for i, j in spheres.self_pairs])
    d_obs = np.array(
        [
            sd_sphere_obstacle(
                C[s], rad[s], spheres.obstacle_kind[o], spheres.obstacle_pose[o], spheres.obstacle_size[o]
            )[0]
            for s, o in spheres.obstacle_pairs
        ]
    )
    return d_self.reshape(-1), d_obs.reshape(-1)


def penalty(robot, q: np.ndarray, spheres: SphereModel, d0: float) -> float:
    """``h(q) = Σ ½ max(0, d0 - d)²`` [m²] over self and obstacle pairs; ``d0 = clearance + margin`` [m]."""
    d_self, d_obs = pair_distances(robot, q, spheres)
    d = np.concatenate([d_self, d_obs])
    return float(0.5 * np.sum(np.maximum(0.0, d0 - d) ** 2))


def penalty_gradient(robot, q: np.ndarray, spheres: SphereModel, d0: float) -> tuple[float, np.ndarray]:
    """``(h(q), ∇h(q))``: the penalty and its gradient ``(nv,)`` along tangent directions (``q ⊕ t e_k``)."""
    q = robot.check_q(q)
    C, rad = sphere_centers(robot, q, spheres), spheres.sphere_radius
    names = robot.model.names
    Jp: dict[int, np.ndarray] = {}

    def jp(s: int) -> np.ndarray:  # (3, nv) linear Jacobian of the sphere centre
        if s not in Jp:
            joint = int(spheres.sphere_joint[s])
            if joint == 0:
                Jp[s] = np.zeros((3, robot.nv))
            else:
                Jp[s] = jacobian(robot, q, names[joint], point=spheres.sphere_center[s])[:3]
        return Jp[s]

    h, g = 0.0, np.zeros(robot.nv)
    for i, j in spheres.self_pairs:
        d, n = sd_sphere_sphere(C[i], rad[i], C[j], rad[j])
        if d < d0:
            h += 0.5 * (d0 - d) ** 2
            g -= (d0 - d) * (n @ (jp(int(i)) - jp(int(j))))
    for s, o in spheres.obstacle_pairs:
        d, n = sd_sphere_obstacle(
            C[s], rad[s], spheres.obstacle_kind[o], spheres.obstacle_pose[o], spheres.obstacle_size[o]
        )
        if d < d0:
            h += 0.5 * (d0 - d) ** 2
            g -= (d0 - d) * (n @ jp(int(s)))
    return h, g
