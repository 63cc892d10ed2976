"""Bounded work: loops that refine or subdivide stop, allocations sized by the user are estimated and
refused first (the memory limit), and ObstacleDistance pushes out of its margin instead of
making the velocity QP infeasible.

The calls that used to hang or exhaust the memory run in a child process with a memory cap and a
generous timeout: a regression fails the test (killed, or timed out) instead of the machine. No
assertion is made on how fast anything is.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pinocchio as pin
import pytest

import kinejac
from kinejac import motion
from kinejac.collision import CollisionChecker, Sphere
from kinejac.errors import InvalidValueError, ResourceLimitError
from kinejac.motion import PathReason

FRAME = "panda_hand_tcp"
_PRELUDE = """
import json, resource, sys
import numpy as np
import kinejac
from kinejac import motion
cap = 1536 * 2**20  # the child may not use more than 1.5 GiB: an allocation that escapes the checks fails
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
panda = kinejac.load("panda", locked_joints=["panda_finger_joint1"])
q0 = panda.clip(np.array([0.0, -0.3, 0.0, -2.2, 0.0, 2.0, 0.8]))
T0 = kinejac.pose(panda, q0, "panda_hand_tcp")
far = T0.copy()
far[0, 3] += 3.0
out = {}
def refused(name, call):
    try:
        call()
    except kinejac.ResourceLimitError as exc:
        out[name] = str(exc)
    else:
        out[name] = None
"""


def _run_capped(body: str, timeout: float = 300.0) -> dict:
    """Run ``body`` after the prelude in a child process (1.5 GiB address space); it fills ``out``."""
    code = _PRELUDE + textwrap.dedent(body) + "\nprint(json.dumps(out))\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_calls_that_hung_or_ran_out_of_memory_now_return_or_refuse():
    out = _run_capped(
        """
        r = kinejac.solve_ik_path(panda, [far], "panda_hand_tcp", q0, max_bisections=50)
        out["bisections"] = [r.success, r.reason.value, len(r), r.fraction]
        refused("tiny_step", lambda: kinejac.solve_ik_path(panda, [far], "panda_hand_tcp", q0,
                                                           max_cartesian_step=1e-300))
        far6 = T0.copy()
        far6[0, 3] += 1e6
        refused("interpolate_far", lambda: motion.interpolate_poses([T0, far6]))
        refused("orientations", lambda: kinejac.reachability(panda, "panda_hand_tcp", orientations=10**9, workers=1))
        refused("resolution", lambda: kinejac.reachability(panda, "panda_hand_tcp", resolution=1e-4, workers=1))
        guard = kinejac.ObstacleDistance([kinejac.Sphere(0.1, [0.5, 0.0, 0.2])], pairs=10**9)
        vik = kinejac.VelocityIK(panda, [kinejac.PostureTask(q0, cost=1.0)], constraints=[guard])
        out["pairs"] = [guard.rows, bool(np.isfinite(vik.solve(q0, 0.01)).all())]
        planar = kinejac.load("planar_2r")
        m = kinejac.reachability(planar, "tool", resolution=0.5, orientations="position",
                                 bounds=[[-2, -2, 0], [2, 2, 0]], workers=1)
        refused("yaws", lambda: m.inverse(np.array([1.0, 0.0, 0.0]), yaws=10**9))
        refused("inverse_resolution", lambda: m.inverse(np.array([1.0, 0.0, 0.0]), resolution=1e-6))
        """
    )
    success, reason, rows, fraction = out["bisections"]
    assert not success and reason == "ik_failed" and 0.0 < fraction < 0.5 and rows < 1000
    assert "3e+300 configurations" in out["tiny_step"] and "max_cartesian_step" in out["tiny_step"]
    assert "2e+08 poses" in out["interpolate_far"] and "max_poses" in out["interpolate_far"]
    assert "1000000000 orientations" in out["orientations"] and "fewer orientations" in out["orientations"]
    assert "voxels" in out["resolution"] and "coarser resolution" in out["resolution"]
    assert 0 < out["pairs"][0] < 10_000 and out["pairs"][1]  # rows: the sphere-obstacle pairs there are
    assert "headings" in out["yaws"] and "fewer yaws" in out["yaws"]
    assert "base positions" in out["inverse_resolution"]


def test_the_memory_limit_is_settable_and_named_in_the_refusal():
    robot = kinejac.load("planar_2r")
    try:
        kinejac.set_memory_limit("1M")
        assert kinejac.memory_limit() == 2**20
        with pytest.raises(ResourceLimitError, match=r"more than the limit of 1 MiB: draw fewer.*set_memory_limit"):
            robot.random_configuration(0, size=100_000)  # 3.2 MB
        assert robot.random_configuration(0, size=1000).shape == (1000, 2)
        with pytest.raises(InvalidValueError, match="memory limit"):
            kinejac.set_memory_limit("lots")
    finally:
        kinejac.set_memory_limit(None)
    assert kinejac.memory_limit() > 2**20
    code = "import kinejac; print(kinejac.memory_limit())"
    env_limit = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                               env={**__import__("os").environ, "KINEJAC_MEMORY_LIMIT": "2G"})  # fmt: skip
    assert int(env_limit.stdout) == 2 * 2**30


@pytest.fixture(scope="module")
def panda():
    return kinejac.load("panda", locked_joints=["panda_finger_joint1"])


def _down(p) -> np.ndarray:
    T = np.diag([1.0, -1.0, -1.0, 1.0])
    T[:3, 3] = p
    return T


def test_a_path_whose_halved_steps_pass_max_waypoints_stops_there(panda):
    q0 = kinejac.solve_ik(panda, _down([0.45, -0.045, 0.35]), FRAME).q
    end = _down([0.45, 0.045, 0.35])  # 9 cm: 2 steps of 4.5 cm, 3 rows, each step halved several times
    res = kinejac.solve_ik_path(panda, [end], FRAME, q0, max_cartesian_step=0.05, max_joint_step=0.005,
                                max_waypoints=3)  # fmt: skip
    assert not res.success and res.reason is PathReason.WAYPOINT_LIMIT and len(res) == 3
    assert res.ik_reason is None and 0.0 < res.fraction < 1.0 and "max_waypoints" in res.message
    assert np.abs(np.diff(res.q, axis=0)).max() <= 0.005
    full = kinejac.solve_ik_path(panda, [end], FRAME, q0, max_cartesian_step=0.05, max_joint_step=0.005)
    assert full.success and len(full) > 3  # the same path, allowed its rows
    with pytest.raises(ResourceLimitError, match=r"would need 3 configurations.*max_waypoints=2"):
        kinejac.solve_ik_path(panda, [end], FRAME, q0, max_cartesian_step=0.05, max_waypoints=2)


def test_halving_stops_where_the_step_stops_shrinking(panda):
    """With 1000 halvings allowed, the step would reach the float resolution of the path
    parameter; it stops at 1e-12 m instead, where the last try's reason stands."""
    q0 = kinejac.solve_ik(panda, _down([0.5, 0.0, 0.4]), FRAME).q
    res = kinejac.solve_ik_path(panda, [_down([1.5, 0.0, 0.4])], FRAME, q0, max_bisections=1000)
    assert not res.success and res.reason is PathReason.IK_FAILED and 0.2 < res.fraction < 0.6
    x = kinejac.pose(panda, res.q, FRAME)[:, 0, 3]
    assert np.diff(x).min() > -1e-9  # never back, and no jump on the way
    assert np.abs(np.diff(res.q, axis=0)).max() <= 0.1
    assert len(res) < 500  # the approach to the edge of the reach ends where the step is 1e-12 m


def test_interpolate_poses_counts_before_it_makes_poses(panda):
    A, B = _down([0.0, 0.0, 0.0]), _down([1.0, 0.0, 0.0])
    assert len(motion.interpolate_poses([A, B], max_step=0.01, max_poses=101)) == 101
    with pytest.raises(ResourceLimitError, match=r"would make 101 poses.*max_poses=100"):
        motion.interpolate_poses([A, B], max_step=0.01, max_poses=100)


@pytest.mark.parametrize("gap", [0.005, -0.01, -0.03])  # inside the margin, touching, deep
def test_obstacle_distance_pushes_out_of_its_margin(panda, gap):
    """The damper's docstring: a pair closer than min_distance (or penetrating) is pushed back out.
    Starting at ``gap`` [m] (sphere distance) from a ball, with a task that does not care, the
    robot leaves within the joint limits, without an InfeasibleError, and settles at min_distance."""
    q0 = panda.clip((panda.lower + panda.upper) / 2)
    T0 = kinejac.pose(panda, q0, FRAME)
    probe = kinejac.ObstacleDistance([Sphere(0.05, T0[:3, 3] + [0.0, 0.0, -0.3])])
    probe.bind(panda)
    pin.computeJointJacobians(panda.model, panda.data, q0)
    d0 = probe.distances(panda).min()
    ball = Sphere(0.05, T0[:3, 3] + [0.0, 0.0, -0.3 + d0 - gap], name="ball")  # moved up: sphere distance = gap
    guard = kinejac.ObstacleDistance([ball], min_distance=0.01, influence=0.1)
    vik = kinejac.VelocityIK(panda, [kinejac.PostureTask(q0, cost=1e-3)], constraints=[guard])
    q, dt, distances, scales = q0.copy(), 1e-3, [], []
    for _ in range(300):
        v = vik.solve(q, dt)
        assert np.isfinite(v).all() and (np.abs(v) <= panda.velocity_limit * (1 + 1e-9)).all()
        q = panda.integrate(q, v * dt)
        pin.computeJointJacobians(panda.model, panda.data, q)
        distances.append(guard.distances(panda).min())
        scales.append(vik.push_scale)
    assert distances[0] == pytest.approx(gap, abs=0.005)
    assert distances[-1] >= 0.01 - 1e-6  # out, at min_distance or beyond
    assert np.all(np.diff(distances) > -1e-9)  # never closer on the way out
    assert panda.within_limits(q)
    checker = CollisionChecker(panda, [ball], self_collision=False)
    assert checker.clearance(q).distance >= 0.01 - 1e-6  # the exact distance: the spheres cover the links
    if gap < -0.02:
        assert min(scales) < 1.0  # deep inside, the pushes could not all be served at once at first
    assert scales[-1] == 1.0
