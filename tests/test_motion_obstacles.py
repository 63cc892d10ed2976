"""Velocity IK keeps away from obstacles with :class:`kinejac.ObstacleDistance` (a velocity damper
on the fitted spheres), checked by the exact (coal) distance."""

from __future__ import annotations

import numpy as np
import pinocchio as pin
import pytest

import kinejac
from kinejac.collision import CollisionChecker, Sphere

FRAME = "panda_hand_tcp"


@pytest.fixture(scope="module")
def setting():
    robot = kinejac.load("panda", locked_joints=["panda_finger_joint1"])
    q0 = robot.clip((robot.lower + robot.upper) / 2)
    T0 = kinejac.pose(robot, q0, FRAME)
    ball = Sphere(0.05, T0[:3, 3] + [0.0, 0.0, -0.15], name="ball")  # 15 cm below the hand
    target = T0.copy()
    target[:3, 3] += [0.0, 0.0, -0.3]  # the frame task pulls the hand down through the ball
    return robot, q0, ball, target


def _run(robot, q0, target, constraints, steps=1500, dt=1e-3):
    vik = kinejac.VelocityIK(robot, [kinejac.FrameTask(FRAME, target)], constraints=constraints)
    q, trajectory = q0.copy(), []
    for _ in range(steps):
        q = robot.integrate(q, vik.solve(q, dt) * dt)
        trajectory.append(q)
    return np.array(trajectory)


def test_the_damper_keeps_the_distance_that_plain_velocity_ik_violates(setting):
    robot, q0, ball, target = setting
    checker = CollisionChecker(robot, [ball], self_collision=False)
    plain = _run(robot, q0, target, [])
    assert min(checker.clearance(q).distance for q in plain) < 0.0  # straight through the ball
    guard = kinejac.ObstacleDistance([ball], min_distance=0.01, influence=0.1)
    kept = _run(robot, q0, target, [guard])
    exact = np.array([checker.clearance(q).distance for q in kept])
    assert exact.min() >= 0.01 - 1e-3  # the spheres cover the geometry: the real distance is larger
    spheres = []
    for q in kept[::50]:
        pin.computeJointJacobians(robot.model, robot.data, q)  # the placements the constraint reads
        spheres.append(guard.distances(robot).min())
    assert min(spheres) >= 0.01 - 1e-3
    # the frame task still moves the hand: down past the ball's height, beside it
    z0, z = kinejac.pose(robot, q0, FRAME)[2, 3], kinejac.pose(robot, kept[-1], FRAME)[2, 3]
    assert z < ball.center[2] < z0


def test_bad_obstacle_distance_options_raise():
    ball = Sphere(0.05, [0.5, 0.0, 0.3])
    with pytest.raises(kinejac.InvalidValueError, match="influence"):
        kinejac.ObstacleDistance([ball], min_distance=0.1, influence=0.05)
    with pytest.raises(kinejac.InvalidValueError, match="pairs"):
        kinejac.ObstacleDistance([ball], pairs=0)
    with pytest.raises(kinejac.KinejacError, match="not an obstacle"):
        kinejac.ObstacleDistance([object()])
