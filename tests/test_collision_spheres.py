"""The sphere model (coverage, array layout) and its numpy reference (closed forms, coal, finite differences)."""

from __future__ import annotations

import math

import coal
import numpy as np
import pinocchio as pin
import pytest

import kinejac
from kinejac import urdf
from kinejac.collision import Box, Capsule, Cylinder, PointCloud, Sphere, generate_disabled_pairs
from kinejac.collision.reference import (
    pair_distances,
    penalty,
    penalty_gradient,
    sd_sphere_box,
    sd_sphere_capsule,
    sd_sphere_cylinder,
    sd_sphere_obstacle,
    sd_sphere_sphere,
    sphere_centers,
)
from kinejac.collision.shapes import fit_spheres, mesh_arrays, surface_points
from kinejac.collision.spheres import (
    BOX,
    CAPSULE,
    CYLINDER,
    SPHERE,
    sphere_model,
)
from kinejac.errors import KinejacError

ROBOTS = ["panda", "ur5", "planar_3r", "kinejac_test_robot"]
if urdf.erd_share() is not None:
    ROBOTS.append("erd:panda")


def random_surface_points(shape: coal.CollisionGeometry, n: int, rng) -> np.ndarray:
    """``(n, 3)`` random points on the surface of a coal shape (its own frame), for coverage tests:
    uniform over the area for primitives, over the triangles (area-weighted) for meshes."""
    rng = np.random.default_rng(rng)
    if isinstance(shape, coal.Box):
        hs = np.array(shape.halfSide, dtype=float)
        P = rng.uniform(-hs, hs, size=(n, 3))
        axis = rng.choice(
            3,
            size=n,
            p=np.array([hs[1] * hs[2], hs[0] * hs[2], hs[0] * hs[1]]) / (hs[1] * hs[2] + hs[0] * hs[2] + hs[0] * hs[1]),
        )
        P[np.arange(n), axis] = rng.choice([-1.0, 1.0], size=n) * hs[axis]
        return P
    if isinstance(shape, coal.Sphere):
        d = rng.standard_normal((n, 3))
        return float(shape.radius) * d / np.linalg.norm(d, axis=1, keepdims=True)
    if isinstance(shape, (coal.Cylinder, coal.Capsule)):
        r, hl = float(shape.radius), float(shape.halfLength)
        t = rng.uniform(0, 2 * math.pi, n)
        P = np.stack([r * np.cos(t), r * np.sin(t), rng.uniform(-hl, hl, n)], axis=1)
        ends = rng.random(n) < 0.3  # a share of the points on the ends
        m = int(ends.sum())
        if isinstance(shape, coal.Cylinder):
            rho = r * np.sqrt(rng.random(m))
            u = rng.uniform(0, 2 * math.pi, m)
            P[ends] = np.stack([rho * np.cos(u), rho * np.sin(u), rng.choice([-hl, hl], m)], axis=1)
        else:
            d = rng.standard_normal((m, 3))
            d = r * d / np.linalg.norm(d, axis=1, keepdims=True)
            d[:, 2] += np.sign(d[:, 2]) * hl
            P[ends] = d
        return P
    if isinstance(shape, coal.BVHModelBase):
        V, F = mesh_arrays(shape)
        A, B, C = V[F[:, 0]], V[F[:, 1]], V[F[:, 2]]
        area = 0.5 * np.linalg.norm(np.cross(B - A, C - A), axis=1)
        k = rng.choice(len(F), size=n, p=area / area.sum())
        s, t = rng.random(n), rng.random(n)
        flip = s + t > 1
        s[flip], t[flip] = 1 - s[flip], 1 - t[flip]
        return A[k] + s[:, None] * (B[k] - A[k]) + t[:, None] * (C[k] - A[k])
    raise KinejacError(f"cannot sample the surface of a {type(shape).__name__}")


def _T(xyz, rpy=(0.0, 0.0, 0.0)) -> np.ndarray:
    T = np.eye(4)
    T[:3, :3] = pin.rpy.rpyToMatrix(*rpy)
    T[:3, 3] = xyz
    return T


def _robot(name: str) -> kinejac.Robot:
    robot = kinejac.load(name)
    robot.set_disabled_pairs(generate_disabled_pairs(robot, samples=300, seed=0))
    return robot


# -- coverage ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ROBOTS)
def test_spheres_cover_every_geometry(name):
    robot = _robot(name)
    model = sphere_model(robot)
    rng = np.random.default_rng(5)
    for g_id, g in enumerate(robot.collision_model.geometryObjects):
        P = random_surface_points(g.geometry, 3000, rng)  # fresh points, not the fitting samples
        P_joint = P @ g.placement.rotation.T + g.placement.translation
        mine = model.sphere_geometry == g_id
        assert mine.any()
        assert (model.sphere_joint[mine] == g.parentJoint).all()
        gap = np.linalg.norm(P_joint[:, None] - model.sphere_center[mine][None], axis=2) - model.sphere_radius[mine]
        assert gap.min(axis=1).max() <= 1e-12, (name, g.name)


def test_coverage_check_catches_unpadded_spheres():
    shape = coal.Cylinder(0.05, 0.3)
    points = surface_points(shape, 0.01)
    fresh = random_surface_points(shape, 5000, 1)
    for pad, covered in ((0.0, False), (0.01, True)):
        C, R = fit_spheres(points, pad)
        gap = (np.linalg.norm(fresh[:, None] - C[None], axis=2) - R).min(axis=1).max()
        assert (gap <= 0) == covered


def test_surface_points_resolution():
    # every fresh surface point is within the resolution of a sample (the premise of the coverage proof)
    for shape in (coal.Box(0.1, 0.2, 0.05), coal.Cylinder(0.04, 0.2), coal.Capsule(0.03, 0.1), coal.Sphere(0.05)):
        S = surface_points(shape, 0.01)
        fresh = random_surface_points(shape, 2000, 2)
        nearest = np.linalg.norm(fresh[:, None] - S[None], axis=2).min(axis=1)
        assert nearest.max() <= 0.01, type(shape).__name__


# -- array layout ----------------------------------------------------------------------------------
def test_array_layout_and_obstacle_encoding():
    robot = _robot("panda")
    scene = [
        Box([0.4, 0.2, 0.1], _T([0.5, 0, 0.2], (0.1, 0, 0)), name="b"),
        Sphere(0.1, [0, 0.5, 0.5]),
        Capsule(0.05, 0.3, _T([0.3, 0.3, 0.3])),
        Cylinder(0.05, 0.2, _T([0.3, -0.3, 0.3])),
        PointCloud([[0.6, 0, 0.6], [0.6, 0.1, 0.6]], 0.02, name="pc"),
    ]
    m = sphere_model(robot, scene)
    for name, a in m.arrays.items():
        assert a.flags.c_contiguous, name
        assert a.dtype == (
            np.int64
            if name in ("sphere_joint", "sphere_link", "self_pairs", "obstacle_kind", "obstacle_pairs")
            else np.float64
        ), name
    S = len(m.sphere_radius)
    assert m.sphere_center.shape == (S, 3) and m.sphere_joint.shape == (S,)
    assert m.obstacle_kind.tolist() == [BOX, SPHERE, CAPSULE, CYLINDER, SPHERE, SPHERE]
    np.testing.assert_allclose(m.obstacle_size[0], [0.2, 0.1, 0.05])
    np.testing.assert_allclose(m.obstacle_size[2], [0.05, 0.15, 0])
    assert m.obstacle_source.tolist() == [0, 1, 2, 3, 4, 4]
    assert m.obstacle_names == ("b", "sphere_1", "capsule_2", "cylinder_3", "pc")
    moving = (m.sphere_joint != 0).sum()
    assert m.obstacle_pairs.shape == (moving * 6, 2) and (m.sphere_joint[m.obstacle_pairs[:, 0]] != 0).all()
    i, j = m.self_pairs.T
    assert (i < j).all() and (m.sphere_joint[i] != m.sphere_joint[j]).all()
    for a, b in m.self_pairs[:50]:
        pair = tuple(sorted((m.link_names[m.sphere_link[a]], m.link_names[m.sphere_link[b]])))
        assert pair not in robot.disabled_pairs
    # centres: joint frame -> world by pinocchio
    q = robot.random_configuration(3)
    data = robot.model.createData()
    pin.forwardKinematics(robot.model, data, q)
    C = sphere_centers(robot, q, m)
    for s in (0, S // 2, S - 1):
        np.testing.assert_allclose(C[s], data.oMi[int(m.sphere_joint[s])].act(m.sphere_center[s]), atol=1e-12)


# -- distances -------------------------------------------------------------------------------------
def test_distances_closed_forms():
    c = np.array([0.0, 0.0, 0.0])
    d, n = sd_sphere_sphere(c, 0.1, np.array([0.3, 0.4, 0.0]), 0.2)
    assert d == pytest.approx(0.2) and n == pytest.approx([-0.6, -0.8, 0])
    T = _T([1.0, 2.0, 3.0], (0.0, 0.0, math.pi / 2))  # box x axis = world y
    half = np.array([0.3, 0.2, 0.1])
    # beyond the +x face of the box (world +y), 0.5 m from the centre
    d, n = sd_sphere_box(np.array([1.0, 2.5, 3.0]), 0.05, T, half)
    assert d == pytest.approx(0.5 - 0.3 - 0.05) and n == pytest.approx([0, 1, 0])
    # beyond a corner: offsets (0.1, 0.2, 0.2) past the half-extents
    p = T[:3, :3] @ (half + np.array([0.1, 0.2, 0.2])) + T[:3, 3]
    d, _ = sd_sphere_box(p, 0.0, T, half)
    assert d == pytest.approx(0.3)
    # inside, 0.04 m below the top face
    d, n = sd_sphere_box(np.array([1.0, 2.0, 3.06]), 0.01, T, half)
    assert d == pytest.approx(-0.04 - 0.01) and n == pytest.approx([0, 0, 1])
    Tc = _T([0, 0, 0])
    assert sd_sphere_capsule(np.array([0.0, 0.5, 0.1]), 0.1, Tc, 0.2, 0.3)[0] == pytest.approx(0.2)
    assert sd_sphere_capsule(np.array([0.0, 0.0, 0.8]), 0.1, Tc, 0.2, 0.3)[0] == pytest.approx(0.2)
    assert sd_sphere_cylinder(np.array([0.0, 0.5, 0.1]), 0.1, Tc, 0.2, 0.3)[0] == pytest.approx(0.2)
    assert sd_sphere_cylinder(np.array([0.1, 0.0, 0.8]), 0.1, Tc, 0.2, 0.3)[0] == pytest.approx(0.4)
    assert sd_sphere_cylinder(np.array([0.5, 0.0, 0.7]), 0.0, Tc, 0.2, 0.3)[0] == pytest.approx(0.5)  # rim: 3-4-5
    assert sd_sphere_cylinder(np.array([0.0, 0.15, 0.0]), 0.0, Tc, 0.2, 0.3)[0] == pytest.approx(-0.05)


def _coal_shape(kind: int, size: np.ndarray):
    return {
        SPHERE: lambda: coal.Sphere(size[0]),
        BOX: lambda: coal.Box(*(2 * size)),
        CAPSULE: lambda: coal.Capsule(size[0], 2 * size[1]),
        CYLINDER: lambda: coal.Cylinder(size[0], 2 * size[1]),
    }[kind]()


@pytest.mark.parametrize("kind", [SPHERE, BOX, CAPSULE, CYLINDER])
def test_distances_against_coal(kind):
    rng = np.random.default_rng(kind)
    size = {SPHERE: [0.2, 0, 0], BOX: [0.3, 0.2, 0.1], CAPSULE: [0.1, 0.25, 0], CYLINDER: [0.15, 0.2, 0]}[kind]
    size = np.array(size, dtype=float)
    T = _T([0.1, -0.2, 0.3], (0.4, -0.3, 0.9))
    shape = _coal_shape(kind, size)
    checked = {"apart": 0, "overlap": 0}
    for _ in range(200):
        c, r = T[:3, 3] + rng.uniform(-0.45, 0.45, 3), rng.uniform(0.01, 0.1)
        d, n = sd_sphere_obstacle(c, r, kind, T, size)
        req, res = coal.DistanceRequest(), coal.DistanceResult()
        ref = coal.distance(
            coal.Sphere(r), coal.Transform3s(np.eye(3), c), shape, coal.Transform3s(T[:3, :3], T[:3, 3]), req, res
        )
        if ref > 1e-3:
            assert d == pytest.approx(ref, abs=1e-6)
            checked["apart"] += 1
        elif ref < -1e-3 and kind != CYLINDER:  # coal's EPA is exact for these, approximate for cylinders
            assert d == pytest.approx(ref, abs=1e-4)
            checked["overlap"] += 1
        assert np.linalg.norm(n) == pytest.approx(1.0)
        # n is the gradient wrt the centre
        e = 1e-7
        fd = [
            (sd_sphere_obstacle(c + e * u, r, kind, T, size)[0] - sd_sphere_obstacle(c - e * u, r, kind, T, size)[0])
            / (2 * e)
            for u in np.eye(3)
        ]
        np.testing.assert_allclose(fd, n, atol=1e-6)
    assert checked["apart"] > 20 and (checked["overlap"] > 5 or kind == CYLINDER)


def test_pair_distances_match_coal_for_robot_spheres():
    robot = _robot("ur5")
    m = sphere_model(robot, [Box([0.3, 0.3, 0.3], _T([0.4, 0.2, 0.3]))])
    q = robot.random_configuration(4)
    d_self, d_obs = pair_distances(robot, q, m)
    C = sphere_centers(robot, q, m)
    box = coal.Box(0.3, 0.3, 0.3)
    for k, (s, o) in enumerate(m.obstacle_pairs[:40]):
        res = coal.DistanceResult()
        ref = coal.distance(
            coal.Sphere(m.sphere_radius[s]),
            coal.Transform3s(np.eye(3), C[s]),
            box,
            coal.Transform3s(np.eye(3), m.obstacle_pose[o][:3, 3]),
            coal.DistanceRequest(),
            res,
        )
        if abs(ref) > 1e-3:
            assert d_obs[k] == pytest.approx(ref, abs=1e-6)
    i, j = m.self_pairs[0]
    assert d_self[0] == pytest.approx(np.linalg.norm(C[i] - C[j]) - m.sphere_radius[i] - m.sphere_radius[j])


# -- penalty ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["panda", "kinejac_test_robot"])
def test_penalty_gradient_against_finite_differences(name):
    robot = _robot(name)
    scene = [
        Box([0.3, 0.2, 0.1], _T([0.4, 0.1, 0.5], (0.3, 0.2, 0.1))),
        Capsule(0.05, 0.3, _T([0.3, -0.2, 0.4], (1.0, 0, 0))),
        Cylinder(0.06, 0.2, _T([0.2, 0.3, 0.6])),
        Sphere(0.1, [0.3, -0.2, 0.6]),
        PointCloud([[0.5, 0.0, 0.3], [0.5, 0.1, 0.3]], 0.02),
    ]
    m = sphere_model(robot, scene)
    rng = np.random.default_rng(9)
    for _ in range(2):
        q = robot.random_configuration(rng)
        h, g = penalty_gradient(robot, q, m, 0.05)
        assert h > 0 and h == pytest.approx(penalty(robot, q, m, 0.05), rel=1e-12)
        eps = 1e-6
        fd = np.empty(robot.nv)
        for k in range(robot.nv):
            e = np.zeros(robot.nv)
            e[k] = eps
            fd[k] = (
                penalty(robot, pin.integrate(robot.model, q, e), m, 0.05)
                - penalty(robot, pin.integrate(robot.model, q, -e), m, 0.05)
            ) / (2 * eps)
        np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-8 * max(1.0, np.abs(fd).max()))
        assert np.abs(g).max() > 1e-3


def test_penalty_zero_when_far_and_spheres_conservative():
    robot = _robot("panda")
    far = sphere_model(robot, [Sphere(0.1, [5.0, 5.0, 5.0])])
    q = robot.from_dict(
        {"panda_joint4": -0.07, "panda_joint6": 1.57, "panda_joint7": 0.785}, robot.clip(robot.neutral())
    )
    d_self, d_obs = pair_distances(robot, q, far)
    assert (d_obs > 4).all()
    # spheres cover the geometry: a pair of spheres closer than the exact links would be a bug the other way;
    # every exact link distance is at least the smallest sphere distance between the two links
    exact = kinejac.collision.CollisionChecker(robot).distances(q)
    checker = kinejac.collision.CollisionChecker(robot)
    for (a, b), d_exact in zip(checker.pairs, exact):
        la, lb = far.link_names.index(a), far.link_names.index(b)
        sel = [k for k, (i, j) in enumerate(far.self_pairs) if {far.sphere_link[i], far.sphere_link[j]} == {la, lb}]
        if sel:
            assert min(d_self[sel]) <= d_exact + 1e-9, (a, b)
