"""Cartesian paths: followed exactly without joint jumps, or stopped where that is impossible."""

from __future__ import annotations

import numpy as np
import pinocchio as pin
import pytest

import kinejac
from kinejac.errors import InvalidChoiceError, InvalidValueError, ShapeError
from kinejac.motion import PathReason, interpolate_poses, solve_ik_path, time_parameterize

FRAME = "panda_hand_tcp"


@pytest.fixture(scope="module")
def panda():
    return kinejac.load("panda", locked_joints=["panda_finger_joint1"])


def _down(p) -> np.ndarray:
    T = np.diag([1.0, -1.0, -1.0, 1.0])  # tool z axis pointing down
    T[:3, 3] = p
    return T


def test_straight_30cm_line_on_the_panda(panda):
    start, end = np.array([0.45, -0.15, 0.35]), np.array([0.45, 0.15, 0.35])
    q0 = kinejac.solve_ik(panda, _down(start), FRAME).q
    step = 0.08
    res = solve_ik_path(panda, [_down(end)], FRAME, q0, max_joint_step=step, max_cartesian_step=0.005)
    assert res.success and res.fraction == 1.0 and res.reason is PathReason.COMPLETED
    assert res.stopped_at is None and res.failed_pose is None
    # forward kinematics of every configuration, checked against the line itself (not the result's poses)
    T = kinejac.pose(panda, res.q, FRAME)
    p = T[:, :3, 3]
    s = (p - start) @ (end - start) / np.sum((end - start) ** 2)
    on_line = start + s[:, None] * (end - start)
    assert np.abs(p - on_line).max() < 1e-5
    assert np.abs(T[:, :3, :3] - _down(start)[:3, :3]).max() < 1e-5
    assert s[0] == pytest.approx(0.0, abs=1e-4) and s[-1] == pytest.approx(1.0, abs=1e-4)  # 1e-4 of 30 cm
    assert np.all(np.diff(s) > 0)  # monotone along the line
    assert np.diff(s).max() * 0.3 <= 0.005 + 1e-6  # interpolated at <= 5 mm
    jumps = np.abs(np.diff(res.q, axis=0)).max(axis=1)
    assert jumps.max() < step and res.max_joint_step == pytest.approx(jumps.max())
    assert res.position_error.max() < 1e-5 and res.rotation_error.max() < 1e-5
    assert panda.within_limits(res.q).all()


def test_a_path_through_a_joint_limit_stops_without_jumping():
    """The planar 2R's shoulder is limited to ±π: a line crossing the negative x axis with the
    elbow bent forward needs q1 > π; following it would take a 2π jump, so the path stops."""
    robot = kinejac.load("planar_2r")
    mask = [1, 1, 0, 0, 0, 0]
    T0, T1 = np.eye(4), np.eye(4)
    T0[:3, 3], T1[:3, 3] = (-1.2, 1.2, 0.0), (-1.2, -1.2, 0.0)
    q0 = kinejac.solve_ik(robot, T0, "tool", q0=[2.0, 1.0], mask=mask, max_restarts=0).q
    assert 0 < q0[1]  # elbow bent forward: q1 = φ - β, which passes π before the tool direction does
    res = solve_ik_path(robot, [T1], "tool", q0, mask=mask, max_joint_step=0.1)
    assert not res.success and 0.5 < res.fraction < 1.0
    assert res.reason is PathReason.JOINT_JUMP and res.stopped_at == 0
    assert abs(res.q[-1, 0]) == pytest.approx(np.pi, abs=0.01)  # stopped at the shoulder limit
    assert np.abs(np.diff(res.q, axis=0)).max() <= 0.1  # and no jump on the way
    p = kinejac.pose(robot, res.q, "tool")[:, :3, 3]
    assert np.abs(p[:, 0] + 1.2).max() < 1e-5  # every reached row is on the line x = -1.2
    assert res.failed_pose[0, 3] == pytest.approx(-1.2) and res.failed_pose[1, 3] < p[-1, 1]
    assert "joint jump" in res.message
    # the naive alternative does reach the end, on the other elbow branch: a jump
    naive = kinejac.solve_ik(robot, T1, "tool", mask=mask)
    assert naive.success and np.abs(naive.q - res.q[-1]).max() > 1.0


def test_an_unreachable_end_stops_with_the_ik_reason(panda):
    q0 = kinejac.solve_ik(panda, _down([0.5, 0.0, 0.4]), FRAME).q
    res = solve_ik_path(panda, [_down([1.5, 0.0, 0.4])], FRAME, q0)
    assert not res.success and res.reason is PathReason.IK_FAILED
    assert res.ik_reason is not None and res.ik_reason is not kinejac.IKReason.CONVERGED
    assert 0.2 < res.fraction < 0.6  # the Panda reaches about 0.85 m out
    assert np.abs(np.diff(res.q, axis=0)).max() <= 0.1
    p = kinejac.pose(panda, res.q, FRAME)[:, :3, 3]
    assert np.abs(p[:, 1:] - [0.0, 0.4]).max() < 1e-5


def test_several_waypoints_and_rotation(panda):
    q0 = kinejac.solve_ik(panda, _down([0.4, -0.1, 0.4]), FRAME).q
    T1 = _down([0.5, -0.1, 0.4])
    T2 = _down([0.5, 0.1, 0.3])
    T2[:3, :3] = T2[:3, :3] @ pin.rpy.rpyToMatrix(0, 0, 0.6)
    res = solve_ik_path(panda, np.stack([T1, T2]), FRAME, q0, max_rotation_step=0.02)
    assert res.success
    T = kinejac.pose(panda, res.q, FRAME)
    # both waypoints are rows of the result, reached exactly
    for W in (T1, T2):
        k = int(np.argmin(np.linalg.norm(res.poses[:, :3, 3] - W[:3, 3], axis=1)))
        assert np.abs(res.poses[k] - W).max() < 1e-12 and np.abs(T[k] - W).max() < 1e-5
    # the rotation step between rows stays within 0.02 rad
    angles = [np.linalg.norm(pin.log3(a[:3, :3].T @ b[:3, :3])) for a, b in zip(res.poses[:-1], res.poses[1:])]
    assert max(angles) <= 0.02 + 1e-9


def test_interpolation_is_the_se3_geodesic():
    A = pin.SE3(pin.rpy.rpyToMatrix(0.1, -0.2, 0.3), np.array([0.1, 0.2, 0.3]))
    B = pin.SE3(pin.rpy.rpyToMatrix(-0.4, 0.5, 1.0), np.array([0.5, -0.2, 0.1]))
    P = interpolate_poses([A.homogeneous, B.homogeneous], max_step=0.01, max_rotation_step=0.05)
    xi = pin.log6(A.actInv(B)).vector
    n = len(P) - 1
    for k, T in enumerate(P):  # T_k = A exp(k/n ξ): the twist between consecutive poses is constant
        expected = (A * pin.exp6(xi * k / n)).homogeneous
        assert np.abs(T - expected).max() < 1e-12
    assert np.linalg.norm(xi[:3]) / n <= 0.01 and np.linalg.norm(xi[3:]) / n <= 0.05
    straight = interpolate_poses([A.homogeneous, B.homogeneous], max_step=0.01, interpolation="decoupled")
    p = straight[:, :3, 3]
    d = B.translation - A.translation
    assert np.abs(np.cross(p - A.translation, d)).max() < 1e-12  # on the straight line


def test_time_parameterization_respects_velocity_limits(panda):
    q0 = kinejac.solve_ik(panda, _down([0.45, -0.1, 0.35]), FRAME).q
    res = solve_ik_path(panda, [_down([0.45, 0.1, 0.35])], FRAME, q0, velocity_scale=0.5)
    t = res.time
    assert t.shape == (len(res),) and t[0] == 0.0 and np.all(np.diff(t) > 0)
    speed = np.abs(np.diff(res.q, axis=0)) / np.diff(t)[:, None]
    ratio = speed / panda.velocity_limit
    assert ratio.max() == pytest.approx(0.5, rel=1e-9)  # some joint at exactly half its limit each segment
    assert np.allclose(ratio.max(axis=1), 0.5)
    assert np.array_equal(t, time_parameterize(panda, res.q, velocity_scale=0.5))


def test_bad_inputs(panda):
    q0 = kinejac.solve_ik(panda, _down([0.45, 0.0, 0.35]), FRAME).q
    with pytest.raises(ShapeError, match=r"\(K, 4, 4\)"):
        solve_ik_path(panda, np.zeros((3, 3, 3)), FRAME, q0)
    with pytest.raises(ShapeError, match="at least one waypoint"):
        solve_ik_path(panda, [], FRAME, q0)
    with pytest.raises(InvalidValueError, match="not a rigid transform"):
        solve_ik_path(panda, [np.ones((4, 4))], FRAME, q0)
    with pytest.raises(InvalidValueError, match="max_joint_step"):
        solve_ik_path(panda, [_down([0.45, 0.1, 0.35])], FRAME, q0, max_joint_step=0.0)
    with pytest.raises(InvalidChoiceError, match="decoupled"):
        solve_ik_path(panda, [_down([0.45, 0.1, 0.35])], FRAME, q0, interpolation="linear")
    outside = q0.copy()
    outside[3] = 0.5  # panda_joint4 is limited to [-3.07, -0.07]
    with pytest.raises(InvalidValueError, match="panda_joint4"):
        solve_ik_path(panda, [_down([0.45, 0.1, 0.35])], FRAME, outside)
    with pytest.raises(kinejac.FrameNotFound):
        solve_ik_path(panda, [_down([0.45, 0.1, 0.35])], "hand", q0)
