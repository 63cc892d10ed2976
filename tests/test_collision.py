"""Collision geometry, disabled pairs, obstacles and the exact checks (kinejac.collision)."""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import coal
import numpy as np
import pinocchio as pin
import pytest

import kinejac
from kinejac import urdf
from kinejac.collision import (
    Box,
    Capsule,
    Cylinder,
    LinkNotFound,
    Mesh,
    PointCloud,
    SceneError,
    Sphere,
    generate_disabled_pairs,
    load_scene,
    read_srdf,
    write_srdf,
)
from kinejac.errors import InvalidChoiceError, InvalidValueError, KinejacError

ERD = urdf.erd_share()
needs_erd = pytest.mark.skipif(ERD is None, reason="example-robot-data is not installed")
PANDA_SRDF = None if ERD is None else ERD / "example-robot-data/robots/panda_description/srdf/panda.srdf"


@pytest.fixture(scope="module")
def erd_panda():
    return kinejac.load("erd:panda", srdf=PANDA_SRDF)


@pytest.fixture(scope="module")
def panda():
    robot = kinejac.load("panda")
    robot.set_disabled_pairs(generate_disabled_pairs(robot, samples=1000, seed=3))
    return robot


def _T(xyz, rpy=(0.0, 0.0, 0.0)) -> np.ndarray:
    T = np.eye(4)
    T[:3, :3] = pin.rpy.rpyToMatrix(*rpy)
    T[:3, 3] = xyz
    return T


FOLDED = {"panda_joint2": 1.7, "panda_joint4": -3.0, "panda_joint6": 3.7}
STRETCHED = {"panda_joint4": -0.07, "panda_joint6": 1.57, "panda_joint7": 0.785}


# -- geometry ------------------------------------------------------------------------------------
def test_bundled_robots_have_primitive_collision_geometry():
    for name in ("panda", "ur5", "planar_2r", "planar_3r", "kinejac_test_robot"):
        robot = kinejac.load(name)
        assert robot.has_collision_geometry
        kinds = {type(g.geometry).__name__ for g in robot.collision_model.geometryObjects}
        assert kinds <= {"Box", "Cylinder", "Sphere", "Capsule"}, (name, kinds)


@needs_erd
def test_erd_panda_loads_meshes(erd_panda):
    kinds = [type(g.geometry).__name__ for g in erd_panda.collision_model.geometryObjects]
    assert kinds.count("BVHModelOBBRSS") == 9  # link0..link7 and the hand


# -- self-collision ------------------------------------------------------------------------------
@needs_erd
def test_folded_panda_self_collides_and_stretched_is_free(erd_panda):
    q0 = erd_panda.clip(erd_panda.neutral())
    folded = erd_panda.from_dict(FOLDED, q0)
    stretched = erd_panda.from_dict(STRETCHED, q0)
    pairs = kinejac.collisions(erd_panda, folded)
    assert ("panda_link0", "panda_link6") in pairs and ("panda_link1", "panda_link6") in pairs
    assert kinejac.collisions(erd_panda, stretched) == []
    assert kinejac.in_collision(erd_panda, folded) and not kinejac.in_collision(erd_panda, stretched)
    assert kinejac.clearance(erd_panda, folded).distance < 0 < kinejac.clearance(erd_panda, stretched).distance


def test_bundled_panda_folded_and_stretched(panda):
    q0 = panda.clip(panda.neutral())
    assert kinejac.collisions(panda, panda.from_dict(STRETCHED, q0)) == []
    folded = kinejac.collisions(panda, panda.from_dict(FOLDED, q0))
    assert ("panda_link0", "panda_link6") in folded


def test_batched_equals_one_by_one(panda):
    Q = panda.random_configuration(7, size=25)
    scene = [Box([0.4, 0.4, 0.1], _T([0.5, 0.0, 0.3]), name="table"), Sphere(0.1, [0.0, 0.4, 0.6])]
    batched = kinejac.collisions(panda, Q, scene)
    assert batched == [kinejac.collisions(panda, q, scene) for q in Q]
    assert any(batched) and not all(batched)  # both cases occur
    flags = kinejac.in_collision(panda, Q, scene)
    assert flags.tolist() == [bool(b) for b in batched]
    cl = kinejac.clearance(panda, Q, scene)
    one = [kinejac.clearance(panda, q, scene) for q in Q]
    # coal's GJK starts from the previous call's answer: equal to ~1e-8 m, not bit for bit
    np.testing.assert_allclose([c.distance for c in cl], [c.distance for c in one], rtol=0, atol=1e-7)
    assert [c.pair for c in cl] == [c.pair for c in one]
    assert all((c.distance < 0) == bool(b) for c, b in zip(cl, batched))


def test_clearance_closed_form_planar_arm():
    # planar_2r at q = 0: link1 is a 1 x 0.05 x 0.04 box along x from the origin; a sphere of
    # radius 0.1 centred 0.5 m above its middle is 0.5 - 0.02 - 0.1 = 0.38 m away from its top face
    robot = kinejac.load("planar_2r")
    ball = Sphere(0.1, [0.5, 0.0, 0.5], name="ball")
    c = kinejac.clearance(robot, np.zeros(2), [ball], self_collision=False)
    assert c.pair == ("link1", "ball")
    assert c.distance == pytest.approx(0.38, abs=1e-9)
    assert c.point_a[2] == pytest.approx(0.02, abs=1e-9) and c.point_b[2] == pytest.approx(0.4, abs=1e-9)
    inside = Sphere(0.1, [0.5, 0.0, 0.07], name="ball")  # penetrates the top face by 0.05 m
    c = kinejac.clearance(robot, np.zeros(2), [inside], self_collision=False)
    assert c.distance == pytest.approx(-0.05, abs=1e-6)
    assert kinejac.collisions(robot, np.zeros(2), [inside], self_collision=False) == [("link1", "ball")]


def test_obstacle_kinds_against_closed_forms():
    robot = kinejac.load("planar_2r")
    q = np.array([0.0, 0.0])
    # every obstacle 0.3 m above the top face of link1 (z = 0.02) at x = 0.5
    cases = {
        "box": Box([0.2, 0.2, 0.1], _T([0.5, 0.0, 0.37])),
        "capsule": Capsule(0.05, 0.4, _T([0.5, 0.0, 0.37], (0.0, math.pi / 2, 0.0))),
        "cylinder": Cylinder(0.05, 0.4, _T([0.5, 0.0, 0.37], (math.pi / 2, 0.0, 0.0))),
        "points": PointCloud([[0.5, 0.0, 0.32], [0.5, 0.0, 0.9]], 0.0),
    }
    for name, obstacle in cases.items():
        c = kinejac.clearance(robot, q, [obstacle], self_collision=False)
        assert c.distance == pytest.approx(0.3, abs=1e-6), name


def test_mesh_obstacle(tmp_path):
    robot = kinejac.load("planar_2r")
    path = tmp_path / "cube.obj"  # a unit cube, scaled to 0.2 m
    v = [(x, y, z) for x in (-0.5, 0.5) for y in (-0.5, 0.5) for z in (-0.5, 0.5)]
    faces = [
        (1, 3, 4),
        (1, 4, 2),
        (5, 6, 8),
        (5, 8, 7),
        (1, 2, 6),
        (1, 6, 5),
        (3, 7, 8),
        (3, 8, 4),
        (1, 5, 7),
        (1, 7, 3),
        (2, 4, 8),
        (2, 8, 6),
    ]
    path.write_text("".join(f"v {x} {y} {z}\n" for x, y, z in v) + "".join(f"f {a} {b} {c}\n" for a, b, c in faces))
    mesh = Mesh(path, _T([0.5, 0.0, 0.42]), scale=0.2)
    c = kinejac.clearance(robot, np.zeros(2), [mesh], self_collision=False)
    assert c.distance == pytest.approx(0.3, abs=1e-6)
    low = Mesh(path, _T([0.5, 0.0, 0.1]), scale=0.2)
    assert kinejac.collisions(robot, np.zeros(2), [low], self_collision=False) == [("link1", "mesh_0")]


# -- disabled pairs ------------------------------------------------------------------------------
def _urdf_adjacent(robot) -> set[tuple[str, str]]:
    """Independent: parent/child links of the URDF's joints, both with <collision> elements."""
    root = ET.parse(robot.urdf_path).getroot()
    have = {link.get("name") for link in root.findall("link") if link.find("collision") is not None}
    pairs = set()
    for j in root.findall("joint"):
        a, b = j.find("parent").get("link"), j.find("child").get("link")
        if a in have and b in have:
            pairs.add(tuple(sorted((a, b))))
    return pairs


@pytest.mark.parametrize("name", ["panda", "ur5", "kinejac_test_robot"])
def test_generated_pairs_adjacent_never_always(name):
    robot = kinejac.load(name)
    samples, seed = 300, 11
    pairs = generate_disabled_pairs(robot, samples=samples, seed=seed)
    for pair in _urdf_adjacent(robot):
        assert pairs.get(pair) == "adjacent", pair
    # an independent replay of the same samples with only adjacent pairs disabled
    probe = robot.copy()
    probe.set_disabled_pairs({p: r for p, r in pairs.items() if r == "adjacent"})
    Q = robot.random_configuration(np.random.default_rng(seed), size=samples)
    seen = [set(kinejac.collisions(probe, q)) for q in Q]
    ever = set().union(*seen)
    assert ever, "no self-collision in the samples: the test would prove nothing"
    for pair, reason in pairs.items():
        if reason == "never":
            assert pair not in ever, pair
        elif reason == "always":
            assert all(pair in s for s in seen), pair
    for pair in ever:  # every pair seen colliding but not always is checked
        if not all(pair in s for s in seen):
            assert pair not in pairs, pair


@needs_erd
def test_generated_pairs_close_to_moveit_srdf():
    robot = kinejac.load("erd:panda")
    generated = generate_disabled_pairs(robot, samples=2000, seed=0)
    srdf = read_srdf(robot, PANDA_SRDF)
    adjacent = {p for p, r in srdf.items() if r == "adjacent"}
    assert adjacent <= {p for p, r in generated.items() if r == "adjacent"}
    assert len(set(generated) & set(srdf)) >= 0.8 * len(generated)


def test_srdf_round_trip_and_load(tmp_path, panda):
    path = write_srdf(panda, panda.disabled_pairs, tmp_path / "panda.srdf")
    back = read_srdf(panda, path)
    assert set(back) == set(panda.disabled_pairs)
    loaded = kinejac.load("panda", srdf=path)
    assert set(loaded.disabled_pairs) == set(panda.disabled_pairs)


def test_srdf_unknown_link(tmp_path):
    path = tmp_path / "bad.srdf"
    path.write_text('<robot name="panda"><disable_collisions link1="panda_link1" link2="panda_lnk9"/></robot>')
    with pytest.raises(LinkNotFound) as err:
        kinejac.load("panda", srdf=path)
    assert isinstance(err.value, KinejacError) and isinstance(err.value, KeyError)
    assert "'panda_lnk9'" in str(err.value) and "panda_link0" in str(err.value)
    robot = kinejac.load("panda")
    with pytest.raises(LinkNotFound, match="nowhere"):
        robot.set_disabled_pairs([("panda_link1", "nowhere")])
    with pytest.raises(KinejacError, match="cannot read SRDF"):
        robot.set_disabled_pairs(srdf=tmp_path / "missing.srdf")


# -- obstacles and scenes ------------------------------------------------------------------------
def test_bad_obstacles(tmp_path):
    with pytest.raises(InvalidValueError, match=r"box 'table' size\[2\]"):
        Box([1.0, 1.0, -0.1], name="table")
    with pytest.raises(InvalidValueError, match="sphere radius"):
        Sphere(-0.1)
    with pytest.raises(InvalidValueError, match="capsule 'rod' radius"):
        Capsule(0.0, 1.0, name="rod")
    with pytest.raises(InvalidValueError, match="cylinder pose is not a rigid transform"):
        Cylinder(0.1, 0.2, np.diag([2.0, 1.0, 1.0, 1.0]))
    with pytest.raises(InvalidValueError, match="point cloud radius"):
        PointCloud(np.zeros((3, 3)), -1.0)
    with pytest.raises(kinejac.ShapeError, match=r"points of shape \(N, 3\)"):
        PointCloud(np.zeros((3, 2)))
    with pytest.raises(SceneError, match=r"part\.stl.*does not exist"):
        Mesh(tmp_path / "part.stl")
    robot = kinejac.load("planar_2r")
    with pytest.raises(SceneError, match="named 'a'"):
        kinejac.collisions(robot, np.zeros(2), [Sphere(0.1, name="a"), Sphere(0.2, name="a")])
    with pytest.raises(SceneError, match="not an obstacle"):
        kinejac.collisions(robot, np.zeros(2), [coal.Sphere(0.1)])


def test_scene_json(tmp_path):
    doc = {
        "obstacles": [
            {"type": "box", "name": "table", "size": [1, 1, 0.04], "xyz": [0.5, 0, -0.02]},
            {"type": "sphere", "radius": 0.05, "center": [0.4, 0.2, 0.5]},
            {"type": "capsule", "radius": 0.03, "length": 0.3, "xyz": [0.3, 0, 0.4], "rpy": [1.57, 0, 0]},
            {"type": "cylinder", "radius": 0.03, "length": 0.3, "pose": np.eye(4).tolist()},
            {"type": "point_cloud", "points": [[0.5, 0, 0.3]], "radius": 0.01},
        ]
    }
    path = tmp_path / "scene.json"
    path.write_text(json.dumps(doc))
    scene = load_scene(path)
    assert [type(o).__name__ for o in scene] == ["Box", "Sphere", "Capsule", "Cylinder", "PointCloud"]
    assert scene[0].name == "table" and scene[0].pose[2, 3] == -0.02
    np.testing.assert_allclose(scene[2].pose[:3, :3], pin.rpy.rpyToMatrix(1.57, 0, 0))
    robot = kinejac.load("planar_2r")
    assert kinejac.collisions(robot, np.zeros(2), path) == kinejac.collisions(robot, np.zeros(2), scene)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"type": "cone", "radius": 1}]))
    with pytest.raises(InvalidChoiceError, match="cone"):
        load_scene(bad)
    bad.write_text(json.dumps([{"type": "box", "size": [1, 1, 1], "colour": "red"}]))
    with pytest.raises(SceneError, match="colour"):
        load_scene(bad)
    bad.write_text(json.dumps([{"type": "mesh", "path": "nothing.stl"}]))
    with pytest.raises(SceneError, match=r"nothing\.stl"):
        load_scene(bad)


@needs_erd
def test_exact_check_agrees_with_pinocchio_srdf_reader(erd_panda):
    # independent oracle: pinocchio's own pairs (addAllCollisionPairs + removeCollisionPairs from the SRDF)
    gm = pin.buildGeomFromUrdf(
        erd_panda.model, str(erd_panda.urdf_path), pin.GeometryType.COLLISION, package_dirs=list(erd_panda.package_dirs)
    )
    gm.addAllCollisionPairs()
    pin.removeCollisionPairs(erd_panda.model, gm, str(PANDA_SRDF))
    table = Box([1.6, 1.6, 0.04], _T([0.2, 0.0, -0.021]), name="table")
    k = gm.addGeometryObject(pin.GeometryObject("table", 0, 0, pin.SE3(table.pose), coal.Box(*table.size)))
    for r in range(k):
        gm.addCollisionPair(pin.CollisionPair(r, k))
    gd, data = pin.GeometryData(gm), erd_panda.model.createData()
    Q = erd_panda.random_configuration(21, size=300)
    ours = kinejac.in_collision(erd_panda, Q, [table])
    oracle = np.array([pin.computeCollisions(erd_panda.model, data, gm, gd, q, True) for q in Q])
    assert 0.05 < ours.mean() < 0.95
    np.testing.assert_array_equal(ours, oracle)


def test_readme_scene_format_loads(tmp_path):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    (block,) = re.findall(r"```json\n(.*?)```", readme, flags=re.S)
    doc = json.loads(block)
    (tmp_path / "part.stl").write_text(
        "solid t\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\n"
        "endloop\nendfacet\nendsolid t\n"
    )
    path = tmp_path / "scene.json"
    path.write_text(json.dumps(doc))
    scene = load_scene(path)
    assert [o.kind for o in scene] == ["box", "sphere", "capsule", "cylinder", "point_cloud", "mesh"]
    assert scene[5].path == (tmp_path / "part.stl").resolve() and scene[5].scale.tolist() == [0.001] * 3
    robot = kinejac.load("planar_2r")
    assert isinstance(kinejac.collisions(robot, np.zeros(2), scene), list)


def test_robot_without_collision_geometry(tmp_path):
    text = kinejac.load("planar_2r").urdf_path.read_text()
    bare = re.sub(r"<collision>.*?</collision>", "", text, flags=re.S)
    path = tmp_path / "bare.urdf"
    path.write_text(bare)
    robot = kinejac.load(path)
    assert not robot.has_collision_geometry and robot.disabled_pairs == {}
    assert kinejac.collisions(robot, np.zeros(2)) == []
    assert kinejac.clearance(robot, np.zeros(2)).distance == math.inf
    unbuilt = kinejac.Robot(robot.model.copy())
    assert not unbuilt.has_collision_geometry
    with pytest.raises(KinejacError, match="not loaded from a URDF"):
        kinejac.collisions(unbuilt, np.zeros(2))
