"""Differential IK: resolved-rate control with DLS, within position and velocity limits."""

from __future__ import annotations

import numpy as np
import pytest

import kinejac
from kinejac.errors import InvalidValueError, ShapeError
from kinejac.ik import joint_velocities, velocity_bounds


@pytest.fixture(scope="module")
def panda():
    return kinejac.load("panda", locked_joints=["panda_finger_joint1"])


def test_tracks_the_twist_away_from_limits_and_singularities(panda):
    q = (panda.lower + panda.upper) / 2
    xi = np.array([0.05, -0.02, 0.03, 0.1, 0.0, -0.1])
    v = joint_velocities(panda, q, "panda_hand_tcp", xi, 0.01)
    J = kinejac.jacobian(panda, q, "panda_hand_tcp")
    assert np.allclose(J @ v, xi, atol=1e-9)
    # and it is the least-norm solution
    assert np.allclose(v, np.linalg.pinv(J) @ xi, atol=1e-9)


def test_respects_position_and_velocity_limits(panda):
    rng = np.random.default_rng(3)
    dt = 0.05
    for _ in range(20):
        q = panda.random_configuration(rng)
        q[3] = panda.upper[3] - 1e-3  # close to a limit
        xi = rng.normal(size=6) * 2.0  # fast: saturates
        v = joint_velocities(panda, q, "panda_hand_tcp", xi, dt)
        lo, hi = velocity_bounds(panda, q, dt)
        assert (v >= lo - 1e-12).all() and (v <= hi + 1e-12).all()
        assert (np.abs(v) <= panda.velocity_limit + 1e-12).all()
        assert panda.within_limits(q + v * dt, tol=1e-12)


def test_saturation_keeps_tracking_with_the_other_joints(panda):
    q = panda.random_configuration(4)
    xi = np.array([0.1, -0.05, 0.05, 0.2, -0.1, 0.3])
    J = kinejac.jacobian(panda, q, "panda_hand_tcp")
    v_free = np.linalg.pinv(J) @ xi
    # a joint the others can stand in for (they keep full rank without it)
    k = max(range(7), key=lambda j: np.linalg.svd(np.delete(J, j, axis=1), compute_uv=False)[-1])
    assert np.linalg.svd(np.delete(J, k, axis=1), compute_uv=False)[-1] > 0.05
    dt = 0.01
    q[k] = (panda.upper[k] - 1e-4) if v_free[k] > 0 else (panda.lower[k] + 1e-4)
    assert abs(v_free[k]) * dt > 1e-4  # unconstrained, it would cross the limit
    v = joint_velocities(panda, q, "panda_hand_tcp", xi, dt)
    assert abs(v[k]) <= 1e-4 / dt + 1e-12  # held back by the limit
    J = kinejac.jacobian(panda, q, "panda_hand_tcp")
    assert np.linalg.norm(J @ v - xi) < 1e-6  # the others compensate exactly


def test_damping_bounds_the_velocity_at_a_singularity():
    ur5 = kinejac.load("ur5")
    q = np.zeros(6)  # stretched arm, wrist aligned: singular
    J = kinejac.jacobian(ur5, q, "tool0")
    assert np.linalg.svd(J, compute_uv=False)[-1] < 1e-9
    v = joint_velocities(
        ur5, q, "tool0", [0.0, 0.0, 0.1, 0.0, 0.0, 0.0], 0.01, velocity_limits=False, position_limits=False
    )
    assert np.isfinite(v).all() and np.abs(v).max() < 20.0


def test_bad_arguments(panda):
    q = (panda.lower + panda.upper) / 2
    with pytest.raises(ShapeError, match=r"\(6,\)"):
        joint_velocities(panda, q, "panda_hand_tcp", np.zeros(3), 0.01)
    with pytest.raises(InvalidValueError, match="dt"):
        joint_velocities(panda, q, "panda_hand_tcp", np.zeros(6), 0.0)
    with pytest.raises(InvalidValueError, match="NaN"):
        joint_velocities(panda, q, "panda_hand_tcp", [np.nan] * 6, 0.01)


@pytest.mark.parametrize("dt", [0.0, -0.01, True, float("nan"), "0.01"])
def test_bad_periods_raise(dt):
    robot = kinejac.load("ur5")
    q = robot.random_configuration(0)
    with pytest.raises(InvalidValueError, match=r"dt \[s\] must be a number > 0"):
        velocity_bounds(robot, q, dt)
    with pytest.raises(InvalidValueError, match=r"dt \[s\] must be a number > 0"):
        joint_velocities(robot, q, "tool0", np.zeros(6), dt)
