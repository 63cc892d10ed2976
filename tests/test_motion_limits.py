"""Joint bounds of one control step: braking distances, conflicts, recovery."""

from __future__ import annotations

import numpy as np
import pytest

import kinejac
from kinejac.ik import velocity_bounds
from kinejac.motion import JointBounds, stopping_velocity


def _braking_distance(v: float, h: float, dt: float) -> float:
    """Distance covered from velocity ``v`` (this step included), braking by ``h`` per step, by simulation."""
    total = 0.0
    while v > 0:
        total += v * dt
        v = v - h if v >= h else 0.0
    return total


@pytest.mark.parametrize("distance", [0.0, 1e-7, 3e-6, 1e-4, 0.01, 0.3, 2.0])
def test_stopping_velocity_is_the_largest_that_stops_in_time(distance):
    dt, acc = 1e-3, 7.0
    v = float(stopping_velocity(np.array([distance]), dt, np.array([acc]))[0])
    assert _braking_distance(v, acc * dt, dt) <= distance * (1 + 1e-12) + 1e-18
    assert _braking_distance(v * (1 + 1e-6) + 1e-12, acc * dt, dt) > distance  # and it is tight
    if distance > 0.01:  # the continuous limit √(2 a D) - a dt / 2
        assert v == pytest.approx(np.sqrt(2 * acc * distance) - acc * dt / 2, rel=1e-3)


def test_unlimited_acceleration_gives_the_distance_over_dt():
    D = np.array([0.0, 0.01, 1.0])
    assert np.array_equal(stopping_velocity(D, 0.01, np.full(3, np.inf)), D / 0.01)


def test_bounds_of_a_plain_arm_and_conflicts():
    panda = kinejac.load("panda", locked_joints=["panda_finger_joint1"])
    dt = 0.01
    q = (panda.lower + panda.upper) / 2
    q[1] = panda.upper[1] - 0.005  # 5 mrad from the limit: tighter than the velocity limit
    q[3] = panda.upper[3] + 0.1  # outside: must move back, as fast as allowed
    q[5] = panda.lower[5] - 0.001  # slightly outside: back by exactly 1 mrad
    lo, hi = JointBounds(panda).step_bounds(q, dt)
    vdt = panda.velocity_limit * dt
    assert hi[1] == pytest.approx(0.005) and lo[1] == pytest.approx(-vdt[1])
    assert lo[3] == hi[3] == pytest.approx(-vdt[3])
    assert lo[5] == pytest.approx(0.001) and hi[5] == pytest.approx(vdt[5])
    assert np.array_equal(lo[[0, 2, 4, 6]], -vdt[[0, 2, 4, 6]])
    # the older interface gives the same bounds divided by dt
    vlo, vhi = velocity_bounds(panda, q, dt)
    assert np.allclose(vlo * dt, lo) and np.allclose(vhi * dt, hi)


def test_acceleration_bounds_and_overspeed():
    ur5 = kinejac.load("ur5")
    dt, acc = 0.002, 5.0
    bounds = JointBounds(ur5, acceleration_limit=acc)
    q = np.zeros(6)
    v_prev = np.array([0.0, 1.0, -1.0, 2 * np.pi, 0.0, 0.0])  # joint 4 twice its velocity limit (π)
    lo, hi = bounds.step_bounds(q, dt, v_prev)
    assert lo[1] / dt == pytest.approx(1.0 - acc * dt) and hi[1] / dt == pytest.approx(1.0 + acc * dt)
    assert lo[3] == hi[3] == pytest.approx((2 * np.pi - acc * dt) * dt)  # decelerates at the limit
    # at rest next to a limit: at most the braking-aware velocity towards it
    q[2] = ur5.upper[2] - 1e-5
    lo, hi = bounds.step_bounds(q, dt, np.zeros(6))
    assert hi[2] / dt == pytest.approx(stopping_velocity(np.array([1e-5]), dt, np.array([acc]))[0])
    assert hi[2] / dt < acc * dt  # smaller than what the acceleration limit alone would allow


def test_bad_limits():
    panda = kinejac.load("panda", locked_joints=["panda_finger_joint1"])
    with pytest.raises(kinejac.InvalidValueError, match="velocity_limit"):
        JointBounds(panda, velocity_limit=0.0)
    with pytest.raises(kinejac.ShapeError, match="acceleration_limit"):
        JointBounds(panda, acceleration_limit=np.ones(6))


def test_the_arm_fast_paths_equal_the_general_rule():
    panda = kinejac.load("panda", locked_joints=["panda_finger_joint1"])
    rng = np.random.default_rng(0)
    for acc in (None, np.linspace(3.0, 20.0, 7)):
        fast = JointBounds(panda, acceleration_limit=acc)
        assert fast._fast or fast._fast_acc
        for _ in range(300):
            q = panda.random_configuration(rng)
            j = rng.integers(7)
            q[j] = panda.upper[j] + rng.normal() * 1e-3  # near, at or beyond a limit
            k = rng.integers(7)
            q[k] = panda.lower[k] + rng.normal() * 1e-4
            v = rng.normal(size=7) * 2.0
            for dt in (1e-3, 1e-2):
                a = fast.step_bounds(q, dt, v)
                b = fast._general(q, dt, v)
                assert np.allclose(a, b, rtol=0, atol=1e-15)
                assert np.all(a[0] <= a[1])
