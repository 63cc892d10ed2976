"""Task costs in pink's and mink's convention: the same tasks solved by kinejac's ``VelocityIK`` and by
pink (``pin-pink``, QP solver DAQP) give the same joint velocities when no limit is active.

pink's objective (``pink.tasks.Task.compute_qp_objective`` and ``pink.solve_ik``) is
``½ Σ ‖diag(cost) (J Δq + gain e)‖² + ½ (damping + Σ lm_damping ‖diag(cost) gain e‖²) ‖Δq‖²``;
kinejac's is the same (:mod:`kinejac.motion.qp`). Both solve with DAQP. The Tikhonov damping is
``1e-6`` in both: with a frame task alone on the 7-joint Panda the Hessian has a null space, and
with ``1e-10`` the step along it is rounding noise over the damping (about 1e-7 rad/s apart between
any two correct solvers), not a property of the costs.
"""

from __future__ import annotations

import numpy as np
import pinocchio as pin
import pytest

import kinejac

pink = pytest.importorskip("pink")
from pink.tasks import FrameTask as PinkFrameTask  # noqa: E402
from pink.tasks import PostureTask as PinkPostureTask  # noqa: E402

ROBOTS = {"panda": ("panda_hand_tcp", ["panda_finger_joint1"]), "ur5": ("tool0", None)}
DAMPING = 1e-6
TOL = 1e-8  # [rad/s]
PER_AXIS = {"position_cost": [1.0, 2.0, 0.5], "orientation_cost": [0.3, 0.2, 0.1], "posture_cost": 1e-2}


@pytest.fixture(scope="module", params=sorted(ROBOTS))
def robot_frame(request):
    frame, locked = ROBOTS[request.param]
    return kinejac.load(request.param, locked_joints=locked), frame


def _states(robot, frame, n=5, seed=0):
    """``(q, q_ref, T_goal)``: a configuration inside the limits, a posture 0.05 rad away and a
    target about 2 cm and 0.02 rad away, so that a step of 0.1 s stays clear of every limit."""
    rng = np.random.default_rng(seed)
    mid = np.where(np.isfinite(robot.lower), 0.5 * (robot.lower + robot.upper), 0.0)
    half = np.where(np.isfinite(robot.lower), 0.5 * (robot.upper - robot.lower), np.pi)
    for _ in range(n):
        q = mid + rng.uniform(-0.7, 0.7, robot.nq) * half
        q_ref = q + rng.normal(size=robot.nq) * 0.05
        goal = kinejac.pose(robot, robot.integrate(q, rng.normal(size=robot.nv) * 0.02), frame)
        yield q, q_ref, goal


def _both(robot, frame, q, q_ref, goal, which, *, position_cost=1.0, orientation_cost=1.0, posture_cost=1e-3,
          frame_gain=1.0, posture_gain=1.0, lm_damping=0.0, dt=0.1):  # fmt: skip
    """The velocities ``(nv,)`` of kinejac and of pink for the same tasks, and kinejac's step's
    margin to the position and velocity limits (> 0: no limit active)."""
    ours, theirs = [], []
    if "frame" in which:
        ours.append(kinejac.FrameTask(frame, goal, position_cost=position_cost, orientation_cost=orientation_cost,
                                      gain=frame_gain, lm_damping=lm_damping))  # fmt: skip
        task = PinkFrameTask(frame, position_cost=position_cost, orientation_cost=orientation_cost,
                             gain=frame_gain, lm_damping=lm_damping)  # fmt: skip
        task.set_target(pin.SE3(goal))
        theirs.append(task)
    if "posture" in which:
        ours.append(kinejac.PostureTask(q_ref, cost=posture_cost, gain=posture_gain, lm_damping=lm_damping))
        task = PinkPostureTask(cost=posture_cost, gain=posture_gain, lm_damping=lm_damping)
        task.set_target(q_ref)
        theirs.append(task)
    v_ours = kinejac.VelocityIK(robot, ours, damping=DAMPING).solve(q, dt)
    model = robot.model.copy()  # pink attaches its limits to the model it is given
    configuration = pink.Configuration(model, model.createData(), q.copy())
    v_theirs = pink.solve_ik(configuration, theirs, dt, solver="daqp", damping=DAMPING)
    step = v_ours * dt
    margin = min(
        (robot.upper - q - step).min(), (step - robot.lower + q).min(), (robot.velocity_limit - np.abs(v_ours)).min()
    )
    return v_ours, v_theirs, margin


@pytest.mark.parametrize("which", [("frame",), ("posture",), ("frame", "posture")])
def test_same_velocities_as_pink(robot_frame, which):
    robot, frame = robot_frame
    costs = {"position_cost": 1.3, "orientation_cost": 0.7, "frame_gain": 0.6, "posture_gain": 0.8}
    costs["posture_cost"] = 0.5 if which == ("posture",) else 1e-3  # alone, a posture of 1e-3 barely moves
    for q, q_ref, goal in _states(robot, frame):
        v_ours, v_theirs, margin = _both(robot, frame, q, q_ref, goal, which, **costs)
        assert margin > 0.0  # no limit is active: the two objectives are compared
        assert np.abs(v_ours).max() > 0.05  # a real motion
        assert np.abs(v_ours - v_theirs).max() < TOL, np.abs(v_ours - v_theirs).max()


@pytest.mark.parametrize(
    "which, costs",
    [
        (("frame",), {}),  # isotropic costs: kinejac's fast path
        (("frame", "posture"), PER_AXIS),
        (("posture",), {"posture_cost": 0.5}),
    ],
)
def test_same_velocities_as_pink_with_lm_damping(robot_frame, which, costs):
    robot, frame = robot_frame
    for q, q_ref, goal in _states(robot, frame, seed=1):
        v_ours, v_theirs, margin = _both(robot, frame, q, q_ref, goal, which, lm_damping=0.5, **costs)
        assert margin > 0.0
        assert np.abs(v_ours - v_theirs).max() < TOL, np.abs(v_ours - v_theirs).max()
        # the same tasks without lm_damping take another step: the damping term is compared, not ignored
        v_plain, _, _ = _both(robot, frame, q, q_ref, goal, which, **costs)
        assert np.abs(v_plain - v_ours).max() > 100 * TOL


def test_a_posture_cost_of_1e_3_costs_the_same_accuracy_as_in_pink():
    """A 5 cm target, a frame task of cost 1 and a posture task of cost 1e-3 (as written in pink), 3 s
    of 10 ms steps: both libraries end at the same configuration, about 0.8 µm from the target."""
    robot = kinejac.load("panda", locked_joints=["panda_finger_joint1"])
    frame, dt = "panda_hand_tcp", 0.01
    q0 = np.array([0.0, -0.785, 0.0, -2.356, 0.0, 1.571, 0.785])
    goal = kinejac.pose(robot, q0, frame)
    goal[:3, 3] += [0.05, 0.0, 0.0]
    ik = kinejac.VelocityIK(robot, [kinejac.FrameTask(frame, goal), kinejac.PostureTask(q0, cost=1e-3)])
    model = robot.model.copy()
    configuration = pink.Configuration(model, model.createData(), q0.copy())
    tasks = [PinkFrameTask(frame, position_cost=1.0, orientation_cost=1.0), PinkPostureTask(cost=1e-3)]
    tasks[0].set_target(pin.SE3(goal))
    tasks[1].set_target(q0.copy())
    q = q0
    for _ in range(300):
        q = robot.integrate(q, ik.solve(q, dt) * dt)
        configuration.integrate_inplace(pink.solve_ik(configuration, tasks, dt, solver="daqp", damping=1e-10), dt)
    miss_ours = np.linalg.norm(kinejac.pose(robot, q, frame)[:3, 3] - goal[:3, 3])
    miss_theirs = np.linalg.norm(configuration.get_transform_frame_to_world(frame).translation - goal[:3, 3])
    assert np.abs(q - configuration.q).max() < 1e-8
    assert 1e-7 < miss_ours < 2e-6 and abs(miss_ours - miss_theirs) < 1e-9, (miss_ours, miss_theirs)
