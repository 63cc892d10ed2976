"""Task errors and Jacobians: checked by finite differences on the configuration manifold."""

from __future__ import annotations

import numpy as np
import pinocchio as pin
import pytest

import kinejac
from kinejac import FrameTask, PostureTask


def _task_rows(task, robot, q):
    pin.computeJointJacobians(robot.model, robot.data, q)
    return task.residual(robot, q)


@pytest.mark.parametrize(
    "robot_name, frame, relative_to",
    [
        ("panda", "panda_hand_tcp", None),
        ("panda", "panda_hand_tcp", "panda_link2"),
        ("kinejac_test_robot", "left_tool", "right_tool"),
    ],
)
@pytest.mark.parametrize("kind", ["pose", "position", "orientation"])
def test_frame_task_jacobian_by_finite_differences(robot_name, frame, relative_to, kind):
    robot = kinejac.load(robot_name, locked_joints=["panda_finger_joint1"] if robot_name == "panda" else None)
    rng = np.random.default_rng(5)
    q = robot.random_configuration(rng)
    T = kinejac.pose(robot, robot.random_configuration(rng), frame)
    target = {"pose": T, "position": T[:3, 3], "orientation": T[:3, :3]}[kind]
    task = FrameTask(frame, target, position_cost=2.0, orientation_cost=2.0, relative_to=relative_to, gain=0.5)
    task.bind(robot)
    A, b = _task_rows(task, robot, q)
    h = 1e-6
    for k in range(robot.nv):
        d = np.zeros(robot.nv)
        d[k] = h
        qp, qm = pin.integrate(robot.model, q, d), pin.integrate(robot.model, q, -d)
        fd = (task.error(robot, qp) - task.error(robot, qm)) / (2 * h)
        rows = 2.0 * fd  # the cost scales the rows
        if kind == "position":
            rows[3:] = 0.0
        if kind == "orientation":
            rows[:3] = 0.0
        assert np.allclose(A[:, k], rows, atol=1e-6), (k, A[:, k], rows)
    assert np.allclose(b, 2.0 * 0.5 * task.error(robot, q), atol=1e-12)


def test_frame_task_error_is_the_ik_error():
    robot = kinejac.load("ur5")
    q = robot.random_configuration(2)
    T = kinejac.pose(robot, robot.random_configuration(3), "tool0")
    e = FrameTask("tool0", T).error(robot, q)
    assert np.allclose(e, pin.log6(pin.SE3(T).actInv(pin.SE3(kinejac.pose(robot, q, "tool0")))).vector)
    position_only = FrameTask("tool0", T[:3, 3]).error(robot, q)
    assert np.allclose(position_only[:3], kinejac.pose(robot, q, "tool0")[:3, 3] - T[:3, 3])
    assert np.array_equal(position_only[3:], np.zeros(3))


def test_posture_task_on_a_robot_with_a_continuous_joint():
    robot = kinejac.load("kinejac_test_robot")
    rng = np.random.default_rng(1)
    q, q_ref = robot.random_configuration(rng), robot.random_configuration(rng)
    task = PostureTask(q_ref, cost=0.5)
    task.bind(robot)
    e = task.error(robot, q)
    assert np.allclose(e, robot.difference(q_ref, q))
    # one dead-beat step of the posture alone lands on q_ref (first order: exactly, for these joints)
    v = kinejac.velocity_ik(robot, q, [task], 0.1, position_limits=False, velocity_limit=False, damping=1e-12)
    assert np.allclose(robot.difference(q_ref, robot.integrate(q, v * 0.1)), 0.0, atol=1e-8)


def test_a_zero_cost_leaves_its_axis_free():
    """Orientation cost 0 about the target's z axis: the tool reaches the position and the tilt, and
    keeps whatever rotation about z it had; with cost 1 that rotation is removed too."""
    robot = kinejac.load("panda", locked_joints=["panda_finger_joint1"])
    q0 = np.array([0.0, -0.785, 0.0, -2.356, 0.0, 1.571, 0.785])
    goal = kinejac.pose(robot, q0, "panda_hand_tcp")
    goal[:3, 3] += [0.03, -0.02, 0.01]
    goal[:3, :3] = goal[:3, :3] @ pin.rpy.rpyToMatrix(0.05, -0.05, 0.3)  # tilt, and 0.3 rad about z

    def settle(task):
        ik, q = kinejac.VelocityIK(robot, [task]), q0.copy()
        for _ in range(200):
            q = robot.integrate(q, ik.solve(q, 0.01) * 0.01)
        M = pin.SE3(goal).actInv(pin.SE3(kinejac.pose(robot, q, "panda_hand_tcp")))
        return M.translation, pin.log3(M.rotation)

    t, r = settle(FrameTask("panda_hand_tcp", goal, orientation_cost=[1.0, 1.0, 0.0]))
    assert np.abs(t).max() < 1e-9 and np.abs(r[:2]).max() < 1e-9
    assert abs(r[2]) > 0.2  # about z: left where it was (0.3 rad away at the start)
    t, r = settle(FrameTask("panda_hand_tcp", goal))
    assert np.abs(t).max() < 1e-9 and np.abs(r).max() < 1e-9
