"""Robot's frame and name helpers: leaf frames, frame kinds, tangent names, limit violations."""

from __future__ import annotations

import math

import numpy as np
import pytest

import kinejac


@pytest.fixture(scope="module")
def branchy():
    return kinejac.load("kinejac_test_robot")


def test_leaf_frames_are_the_frames_nothing_hangs_from(branchy):
    assert kinejac.load("planar_2r").leaf_frames() == ["tool"]
    assert branchy.leaf_frames() == ["left_tool", "right_finger_link", "right_tool"]
    parents = {int(f.parentFrame) for f in list(branchy.model.frames)[1:]}
    assert set(branchy.leaf_frames()) == {branchy.frame_names[i] for i in range(1, len(branchy.frame_names))} - {
        branchy.frame_names[i] for i in parents
    }


def test_frame_kind_by_name_and_index(branchy):
    kinds = {name: branchy.frame_kind(name) for name in branchy.frame_names}
    assert kinds["universe"] == "fixed" and kinds["left_tool_joint"] == "fixed"
    assert kinds["torso_yaw"] == kinds["right_elbow"] == "continuous"
    assert kinds["torso_lift"] == "prismatic" and kinds["left_shoulder"] == "revolute"
    assert kinds["right_finger"] == "mimic" and kinds["chest"] == kinds["left_tool"] == "body"
    assert branchy.frame_kind(branchy.frame_id("torso_lift")) == "prismatic"
    with pytest.raises(kinejac.FrameNotFound, match="did you mean 'chest'"):
        branchy.frame_kind("chset")
    with pytest.raises(kinejac.FrameNotFound, match=f"'{len(branchy.frame_names)}' not found"):
        branchy.frame_kind(len(branchy.frame_names))


def test_tangent_names_follow_v(branchy):
    assert branchy.tangent_names() == list(branchy.joint_names)  # every moving joint has nv = 1
    floating = kinejac.load("planar_2r", root_joint="floating")
    assert floating.tangent_names() == [f"root_joint[{k}]" for k in range(6)] + ["joint1", "joint2"]
    planar = kinejac.load("planar_2r", root_joint="planar")
    assert planar.tangent_names() == ["root_joint[0]", "root_joint[1]", "root_joint[2]", "joint1", "joint2"]


def test_limit_violations_name_the_joints_outside():
    robot = kinejac.load("planar_2r")
    lo, hi = robot.lower[1], robot.upper[1]
    assert robot.limit_violations([0.0, 0.0]) == []
    assert robot.limit_violations([0.0, hi + 1e-10]) == []  # within the 1e-9 tolerance
    q = np.array([0.0, hi + 0.5])
    assert robot.limit_violations(q) == [f"joint2 = {hi + 0.5:.4g} not in [{lo:.4g}, {hi:.4g}]"]
    degrees = math.degrees
    assert robot.limit_violations(q, degrees=True) == [
        f"joint2 = {degrees(hi + 0.5):.4g} not in [{degrees(lo):.4g}, {degrees(hi):.4g}]"
    ]
    assert robot.within_limits(q) is False
    with pytest.raises(kinejac.ShapeError, match="one configuration"):
        robot.limit_violations(np.zeros((2, 2)))


def test_limit_violations_keep_metres_in_metres():
    robot = kinejac.load("kinejac_test_robot")
    q = robot.from_dict({"torso_lift": 0.5, "left_elbow": 10.0})
    lines = robot.limit_violations(q, degrees=True)
    assert [line.split(" = ")[0] for line in lines] == ["torso_lift", "left_elbow"]
    assert lines[0] == "torso_lift = 0.5 not in [0, 0.3]"  # prismatic: never converted
    assert lines[1].startswith(f"left_elbow = {math.degrees(10.0):.4g} not in [")
