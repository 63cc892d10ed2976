"""Robot models: sizes, limits, sampling, the configuration manifold and named joint values."""

from __future__ import annotations

import math

import numpy as np
import pinocchio as pin
import pytest
from conftest import get_robot

import kinejac


def test_bundled_robot_sizes_and_names():
    expected = {
        "planar_2r": (2, 2, ("joint1", "joint2")),
        "planar_3r": (3, 3, ("joint1", "joint2", "joint3")),
        "ur5": (
            6,
            6,
            tuple(f"{n}_joint" for n in ("shoulder_pan", "shoulder_lift", "elbow", "wrist_1", "wrist_2", "wrist_3")),
        ),
        "panda": (8, 8, (*(f"panda_joint{i}" for i in range(1, 8)), "panda_finger_joint1")),
    }
    for name, (nq, nv, joints) in expected.items():
        robot = kinejac.load(name)
        assert (robot.nq, robot.nv, robot.joint_names) == (nq, nv, joints)
    test = kinejac.load("kinejac_test_robot")
    kinds = {j.name: j.kind for j in test.joints}
    assert kinds["torso_yaw"] == "continuous" and kinds["torso_lift"] == "prismatic"
    assert kinds["right_finger"] == "mimic" and test.joint("right_finger").mimicked == "right_wrist"
    assert {"left_tool", "right_tool"} <= set(test.frame_names)
    assert (test.nq, test.nv) == (9, 7)  # continuous joints take (cos, sin); the mimic joint nothing


def test_panda_limits_are_franka_published_values():
    robot = kinejac.load("panda", locked_joints=["panda_finger_joint1"])
    np.testing.assert_allclose(robot.lower, [-2.8973, -1.7628, -2.8973, -3.0718, -2.8973, -0.0175, -2.8973])
    np.testing.assert_allclose(robot.upper, [2.8973, 1.7628, 2.8973, -0.0698, 2.8973, 3.7525, 2.8973])
    np.testing.assert_allclose(robot.velocity_limit, [2.175] * 4 + [2.61] * 3)


def test_mimic_joint_follows_its_leader():
    robot = kinejac.load("panda")
    q = robot.from_dict({"panda_finger_joint1": 0.03}, q0=robot.clip(robot.neutral()))
    left = kinejac.pose(robot, q, "panda_leftfinger")[:3, 3]
    right = kinejac.pose(robot, q, "panda_rightfinger")[:3, 3]
    assert np.linalg.norm(left - right) == pytest.approx(0.06, abs=1e-12)


def test_locked_joints_give_the_reduced_model():
    full = kinejac.load("ur5")
    reduced = kinejac.load("ur5", locked_joints={"wrist_3_joint": 0.4, "elbow_joint": -1.0})
    assert reduced.nv == 4 and "elbow_joint" not in reduced.joint_names
    q = reduced.random_configuration(0)
    values = {**reduced.to_dict(q), "wrist_3_joint": 0.4, "elbow_joint": -1.0}
    np.testing.assert_allclose(
        kinejac.pose(reduced, q, "tool0"), kinejac.pose(full, full.from_dict(values), "tool0"), atol=1e-12
    )
    with pytest.raises(kinejac.JointNotFound, match="did you mean 'elbow_joint'"):
        kinejac.load("ur5", locked_joints=["elbow"])


def test_locked_joints_keep_the_frame_tree_connected():
    """pinocchio 4.1 makes a locked joint's frame its own parent; kinejac reconnects it."""
    full = kinejac.load("panda")
    for locked in (["panda_joint1"], ["panda_finger_joint1"], ["panda_joint4", "panda_joint6"]):
        model = kinejac.load("panda", locked_joints=locked).model
        for i in range(1, model.nframes):
            frame = model.frames[i]
            assert frame.parentFrame != i, frame.name
            parent = full.model.frames[full.model.frames[full.model.getFrameId(frame.name)].parentFrame].name
            assert model.frames[frame.parentFrame].name == parent, frame.name


def test_unbounded_coordinates_are_infinite():
    robot = kinejac.load("kinejac_test_robot", root_joint="floating")
    assert np.isinf(robot.lower[:7]).all() and np.isinf(robot.upper[:7]).all()
    yaw = robot.joint("torso_yaw")
    assert np.isinf(robot.upper[yaw.idx_q : yaw.idx_q + 2]).all()
    lift = robot.joint("torso_lift")
    assert (robot.lower[lift.idx_q], robot.upper[lift.idx_q]) == (0.0, 0.3)


def test_random_configurations_are_seeded_within_limits_and_valid(robot_case):
    robot, _ = robot_case
    a = robot.random_configuration(np.random.default_rng(42), size=200)
    b = robot.random_configuration(42, size=200)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (200, robot.nq) and robot.within_limits(a).all()
    assert all(pin.isNormalized(robot.model, q) for q in a)
    assert robot.random_configuration(1).shape == (robot.nq,)


def test_random_configuration_covers_a_continuous_joint_fully():
    robot = get_robot("test_left")[0]
    angles = np.array([robot.to_dict(q)["torso_yaw"] for q in robot.random_configuration(0, size=500)])
    assert angles.min() < -3.0 and angles.max() > 3.0


def test_within_limits_and_clip():
    robot = kinejac.load("ur5")
    q = robot.neutral()
    assert robot.within_limits(q)
    q[2] = 4.0  # elbow limit is ±π
    assert not robot.within_limits(q)
    clipped = robot.clip(q)
    assert clipped[2] == pytest.approx(math.pi, abs=1e-6) and robot.within_limits(clipped)
    np.testing.assert_array_equal(robot.within_limits(np.stack([q, clipped])), [False, True])
    floating = kinejac.load("kinejac_test_robot", root_joint="floating")
    qf = floating.neutral()
    qf[3:7] = [0, 0, 0, 3.0]
    qf[0] = 50.0
    fixed = floating.clip(qf)
    np.testing.assert_allclose(fixed[3:7], [0, 0, 0, 1.0])
    assert fixed[0] == 50.0


def test_integrate_difference_round_trip(robot_case):
    robot, _ = robot_case
    rng = np.random.default_rng(8)
    Q0 = robot.random_configuration(rng, size=5)
    V = 0.3 * rng.standard_normal((5, robot.nv))
    Q1 = robot.integrate(Q0, V)
    np.testing.assert_allclose(robot.difference(Q0, Q1), V, atol=1e-10)
    for q0, v, q1 in zip(Q0, V, Q1):  # batched == loop
        np.testing.assert_array_equal(robot.integrate(q0, v), q1)
    Q2 = robot.random_configuration(rng, size=5)
    D = robot.difference(Q0, Q2)
    np.testing.assert_allclose(robot.difference(robot.integrate(Q0, D), Q2), 0.0, atol=1e-9)


def test_dict_round_trip_with_a_continuous_joint():
    robot = get_robot("test_left")[0]
    values = {"torso_yaw": 2.5, "torso_lift": 0.1, "left_shoulder": -0.4, "right_elbow": -3.0}
    q = robot.from_dict(values)
    out = robot.to_dict(q)
    for k, v in values.items():
        assert out[k] == pytest.approx(v, abs=1e-12)
    assert set(out) == set(robot.joint_names)
    with pytest.raises(kinejac.JointNotFound, match="did you mean 'torso_yaw'"):
        robot.from_dict({"torso_yawn": 1.0})
    with pytest.raises(kinejac.KinejacError, match="mimic joint of 'right_wrist'"):
        robot.from_dict({"right_finger": 1.0})
    with pytest.raises(kinejac.InvalidValueError, match="not finite"):
        robot.from_dict({"torso_lift": float("nan")})
    with pytest.raises(kinejac.ShapeError, match="takes one angle"):
        robot.from_dict({"torso_yaw": [1.0, 2.0]})
    with pytest.raises(kinejac.InvalidValueError, match="value of joint 'torso_lift' must be an array of numbers"):
        robot.from_dict({"torso_lift": "abc"})


def test_copy_is_independent():
    robot = get_robot("ur5")[0]
    other = robot.copy()
    assert other.model is not robot.model and other.data is not robot.data
    q = robot.random_configuration(3)
    np.testing.assert_array_equal(kinejac.jacobian(other, q, "tool0"), kinejac.jacobian(robot, q, "tool0"))


def test_repr_and_pinocchio_access():
    robot = get_robot("panda_arm")[0]
    assert repr(robot).startswith("Robot('panda', nq=7, nv=7")
    assert isinstance(robot.model, pin.Model) and isinstance(robot.data, pin.Data)
    assert robot.frame_id("panda_hand_tcp") == robot.model.getFrameId("panda_hand_tcp")


class _CountingGeometry:
    """A geometry provider that hands out the URDF's geometry and counts what it was asked for."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def visual_model(self, robot):
        self.asked.append("visual")
        return kinejac.urdf.URDF_GEOMETRY.visual_model(robot)

    def collision_model(self, robot):
        self.asked.append("collision")
        return kinejac.urdf.URDF_GEOMETRY.collision_model(robot)

    def disabled_pairs(self, robot):
        self.asked.append("pairs")
        return {("link1", "link2"): "adjacent"}

    def read_srdf(self, robot, path):
        raise AssertionError("not asked in this test")

    def check_pairs(self, robot, pairs, where):
        self.asked.append(f"check {where}")
        return dict.fromkeys(pairs, "user")


def test_geometry_comes_from_the_provider_the_loader_passes_in():
    loaded = kinejac.load("planar_2r")
    assert loaded.geometry is kinejac.urdf.URDF_GEOMETRY and loaded.copy().geometry is loaded.geometry
    provider = _CountingGeometry()
    robot = kinejac.Robot(loaded.model, urdf_path=loaded.urdf_path, geometry=provider)
    assert robot.collision_model.ngeoms == loaded.collision_model.ngeoms > 0
    assert robot.has_collision_geometry and robot.visual_model.ngeoms == loaded.visual_model.ngeoms
    assert robot.disabled_pairs == {("link1", "link2"): "adjacent"} == robot.disabled_pairs
    robot.set_disabled_pairs([("link1", "link2")])
    assert robot.disabled_pairs == {("link1", "link2"): "user"}
    assert provider.asked == ["collision", "visual", "pairs", "check set_disabled_pairs"]  # each built once
    bare = kinejac.Robot(loaded.model)  # no provider: no geometry, and an error that says why
    assert not bare.has_collision_geometry
    for attribute in ("visual_model", "collision_model", "disabled_pairs"):
        with pytest.raises(kinejac.KinejacError, match="'planar_2r' was not loaded from a URDF"):
            getattr(bare, attribute)
    with pytest.raises(kinejac.KinejacError, match="no collision geometry"):
        bare.set_disabled_pairs([("link1", "link2")])
