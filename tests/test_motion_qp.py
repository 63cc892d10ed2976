"""The velocity QP: equal to an independent scipy solve, within every limit, priorities kept."""

from __future__ import annotations

import numpy as np
import pinocchio as pin
import pytest
from scipy.optimize import lsq_linear, minimize

import kinejac
from kinejac import FrameTask, PostureTask, VelocityIK, velocity_ik
from kinejac.errors import InvalidValueError, KinejacError, ShapeError
from kinejac.motion import InfeasibleError, LinearConstraint

FRAME = "panda_hand_tcp"


@pytest.fixture(scope="module")
def panda():
    return kinejac.load("panda", locked_joints=["panda_finger_joint1"])


def _frame_error(robot, q, T_target):
    """``log6(T_target⁻¹ T(q))`` from the public forward kinematics."""
    T = kinejac.pose(robot, q, FRAME)
    return pin.log6(pin.SE3(T_target).actInv(pin.SE3(T))).vector


def _fd_jacobian(fn, robot, q, h=1e-6):
    """Central differences of ``fn`` along each tangent direction, stepped with pin.integrate."""
    cols = []
    for k in range(robot.nv):
        d = np.zeros(robot.nv)
        d[k] = h
        cols.append((fn(pin.integrate(robot.model, q, d)) - fn(pin.integrate(robot.model, q, -d))) / (2 * h))
    return np.array(cols).T


def test_matches_an_independent_bounded_least_squares_solve(panda):
    rng = np.random.default_rng(7)
    dt = 0.01
    active_seen = 0
    for _ in range(5):
        q = panda.random_configuration(rng)
        T_target = kinejac.pose(panda, panda.random_configuration(rng), FRAME)  # far: the limits bind
        q_ref = panda.random_configuration(rng)
        c_frame, c_post, gain, lam = 1.4, 0.1, 0.7, 1e-6
        frame = FrameTask(FRAME, T_target, position_cost=c_frame, orientation_cost=c_frame, gain=gain)
        v = velocity_ik(panda, q, [frame, PostureTask(q_ref, cost=c_post)], dt, damping=lam)
        # the same problem, stated independently: ½‖A Δq - b‖² within box bounds, by scipy; the costs
        # scale the rows (pink's convention), so they are squared in the objective
        e = _frame_error(panda, q, T_target)
        J = _fd_jacobian(lambda x, T_target=T_target: _frame_error(panda, x, T_target), panda, q)
        A = np.vstack([c_frame * J, c_post * np.eye(7), np.sqrt(lam) * np.eye(7)])
        b = -np.concatenate([c_frame * gain * e, c_post * (q - q_ref), np.zeros(7)])
        lo = np.maximum(panda.lower - q, -panda.velocity_limit * dt)
        hi = np.minimum(panda.upper - q, panda.velocity_limit * dt)
        ref = lsq_linear(A, b, bounds=(lo, hi), method="bvls", tol=1e-14).x
        assert np.allclose(v * dt, ref, atol=1e-7), np.abs(v * dt - ref).max()
        active_seen += int(np.sum(np.isclose(ref, lo) | np.isclose(ref, hi)))
    assert active_seen >= 5  # the comparison covers active bounds, not only the unconstrained optimum


def test_strict_second_level_matches_scipy_and_keeps_the_first(panda):
    rng = np.random.default_rng(11)
    dt = 0.02
    q = panda.random_configuration(rng)
    T_target = kinejac.pose(panda, panda.integrate(q, rng.normal(size=7) * 0.05), FRAME)
    q_ref = panda.random_configuration(rng)
    frame, posture = FrameTask(FRAME, T_target), PostureTask(q_ref, cost=1.0)
    lam = 1e-9
    v = velocity_ik(panda, q, [frame], dt, secondary=[posture], damping=lam, velocity_limit=False)
    x = v * dt
    only_frame = velocity_ik(panda, q, [frame], dt, damping=lam, velocity_limit=False) * dt
    J = _fd_jacobian(lambda y: _frame_error(panda, y, T_target), panda, q)
    assert np.allclose(J @ x, J @ only_frame, atol=1e-7)  # the first level's task velocity is unchanged
    assert np.linalg.norm(x - only_frame) > 1e-3  # while the posture did move the null space
    # scipy: the posture cost, subject to the first level's optimum and the position limits
    lo, hi = panda.lower - q, panda.upper - q

    def cost(y):
        r = y + (q - q_ref)
        return 0.5 * r @ r + 0.5 * lam * y @ y

    res = minimize(
        cost,
        only_frame,
        jac=lambda y: y + (q - q_ref) + lam * y,
        bounds=list(zip(lo, hi)),
        constraints=[{"type": "eq", "fun": lambda y: J @ (y - only_frame), "jac": lambda y: J}],
        method="SLSQP",
        options={"ftol": 1e-15, "maxiter": 500},
    )
    assert res.success
    assert np.allclose(x, res.x, atol=1e-5), np.abs(x - res.x).max()


def test_never_leaves_the_limits_pushing_into_them_for_5000_steps(panda):
    """Targets far outside the workspace drag joints into their position limits at full speed;
    position, velocity and acceleration limits hold at every one of 5,000 steps of 1 ms."""
    dt, acc = 1e-3, np.full(7, 15.0)
    rng = np.random.default_rng(3)
    task = FrameTask(FRAME, np.eye(4), gain=1.0)
    ik = VelocityIK(panda, [task, PostureTask(panda.neutral(), cost=1e-3)], acceleration_limit=acc)
    q = panda.clip((panda.lower + panda.upper) / 2)
    v = np.zeros(7)
    vmax = panda.velocity_limit
    at_position = at_velocity = at_acceleration = 0
    for k in range(5000):
        if k % 500 == 0:  # a new far target every 0.5 s: pushes into other limits
            T = np.eye(4)
            T[:3, :3] = pin.rpy.rpyToMatrix(*rng.uniform(-np.pi, np.pi, 3))
            T[:3, 3] = rng.normal(size=3) * 2.0
            task.set_target(T)
        v_new = ik.solve(q, dt, v_prev=v)
        assert np.all(np.abs(v_new) <= vmax * (1 + 1e-12)), k
        assert np.all(np.abs(v_new - v) <= acc * dt * (1 + 1e-9) + 1e-12), k
        q = panda.integrate(q, v_new * dt)
        assert panda.within_limits(q, tol=1e-12), (k, q)
        at_position += int(np.sum(np.minimum(q - panda.lower, panda.upper - q) < 1e-4))
        at_velocity += int(np.sum(np.abs(v_new) > vmax * (1 - 1e-6)))
        at_acceleration += int(np.sum(np.abs(v_new - v) > acc * dt * (1 - 1e-6)))
        v = v_new
    # the limits were actually reached, many times each
    assert at_position > 500 and at_velocity > 500 and at_acceleration > 500, (
        at_position,
        at_velocity,
        at_acceleration,
    )


def test_posture_moves_the_null_space_without_disturbing_the_frame(panda):
    q = panda.clip(np.array([0.0, -0.3, 0.0, -2.2, 0.0, 2.0, 0.8]))
    T_hold = kinejac.pose(panda, q, FRAME)
    q_ref = q.copy()
    q_ref[0] += 0.6  # turn the base and the upper arm the other way: partly possible holding the tool
    q_ref[2] -= 0.6

    def run(tasks, secondary=()):
        ik = VelocityIK(panda, tasks, secondary=secondary)
        x, errors = q.copy(), []
        for _ in range(300):
            x = panda.integrate(x, ik.solve(x, 0.01) * 0.01)
            T = pin.SE3(kinejac.pose(panda, x, FRAME))
            errors.append(np.abs(pin.log6(pin.SE3(T_hold).actInv(T)).vector).max())
        return x, np.array(errors)

    _, drift = run([PostureTask(q_ref, cost=1.0, gain=0.2)])
    assert drift[-1] > 0.1  # the posture alone would move the tool a lot
    strict, e_strict = run([FrameTask(FRAME, T_hold)], [PostureTask(q_ref, cost=1.0, gain=0.2)])
    weighted, e_weighted = run([FrameTask(FRAME, T_hold), PostureTask(q_ref, cost=1e-2, gain=0.2)])
    for x in (strict, weighted):
        assert np.abs(x - q).max() > 0.3  # the null space moved a lot
        assert np.linalg.norm(x - q_ref) < 0.5 * np.linalg.norm(q - q_ref)  # towards the posture
    # strict priority: only the second-order drift of 2-cm-rad steps, corrected the next step
    assert e_strict.max() < 2e-4 and e_strict[-1] < 1e-9
    # cost 1e-2 against 1 (squared: 1e-4): the posture leaves a small steady error of the frame (a trade-off)
    assert e_weighted.max() < 2e-4 and 1e-7 < e_weighted[-1] < 1e-4


def test_frame_task_variants_converge(panda):
    q = panda.clip(np.array([0.0, -0.3, 0.0, -2.2, 0.0, 2.0, 0.8]))
    T = kinejac.pose(panda, q, FRAME)
    goal = T.copy()
    goal[:3, 3] += [0.05, -0.04, 0.03]
    goal[:3, :3] = goal[:3, :3] @ pin.rpy.rpyToMatrix(0.2, -0.1, 0.3)
    link0 = kinejac.pose(panda, q, "panda_link1")
    cases = [
        (FrameTask(FRAME, goal), lambda x: kinejac.pose(panda, x, FRAME), goal, slice(None)),
        (FrameTask(FRAME, goal[:3, 3]), lambda x: kinejac.pose(panda, x, FRAME), goal, (slice(0, 3), 3)),
        (FrameTask(FRAME, goal[:3, :3]), lambda x: kinejac.pose(panda, x, FRAME), goal, (slice(0, 3), slice(0, 3))),
        (
            FrameTask(FRAME, np.linalg.inv(link0) @ goal, relative_to="panda_link1"),
            lambda x: np.linalg.inv(kinejac.pose(panda, x, "panda_link1")) @ kinejac.pose(panda, x, FRAME),
            np.linalg.inv(link0) @ goal,
            slice(None),
        ),
    ]
    for task, measure, target, part in cases:
        ik = VelocityIK(panda, [task])
        x = q.copy()
        for _ in range(60):
            x = panda.integrate(x, ik.solve(x, 0.01) * 0.01)
        assert np.abs(measure(x)[part] - target[part]).max() < 1e-8, task
        assert np.abs(task.error(panda, x)).max() < 1e-8


def test_linear_constraint_hook(panda):
    """A user constraint row (the hook obstacle distances will use): the tool may not descend."""

    class NoDescent(LinearConstraint):
        rows = 1

        def bind(self, robot):
            self.fid = robot.frame_id(FRAME)

        def fill(self, robot, q, dt, C, lower, upper):
            C[:] = pin.getFrameJacobian(robot.model, robot.data, self.fid, pin.LOCAL_WORLD_ALIGNED)[2]
            lower[:], upper[:] = 0.0, np.inf

    q = panda.clip(np.array([0.0, -0.3, 0.0, -2.2, 0.0, 2.0, 0.8]))
    goal = kinejac.pose(panda, q, FRAME)
    goal[:3, 3] += [0.05, 0.0, -0.2]
    free = velocity_ik(panda, q, [FrameTask(FRAME, goal)], 0.01)
    held = velocity_ik(panda, q, [FrameTask(FRAME, goal)], 0.01, constraints=[NoDescent()])
    J = kinejac.jacobian(panda, q, FRAME)
    assert (J @ free)[2] < -1.0 and (J @ held)[2] >= -1e-9
    assert (J @ held)[0] > 0.5  # it still moves along x

    class Impossible(NoDescent):
        def fill(self, robot, q, dt, C, lower, upper):
            super().fill(robot, q, dt, C, lower, upper)
            lower[:] = 1e3  # 1 km/s upwards

    with pytest.raises(InfeasibleError, match="infeasible"):
        velocity_ik(panda, q, [FrameTask(FRAME, goal)], 0.01, constraints=[Impossible()])


def test_outside_the_limits_it_moves_back_inside(panda):
    q = panda.clip(np.array([0.0, -0.3, 0.0, -2.2, 0.0, 2.0, 0.8]))
    q[3] = panda.upper[3] + 0.05  # 5 cm... 0.05 rad beyond panda_joint4's upper limit
    q[0] = panda.lower[0] - 0.002
    task = FrameTask(FRAME, kinejac.pose(panda, q, FRAME))
    ik = VelocityIK(panda, [task], acceleration_limit=10.0)
    v = np.zeros(7)
    dt = 1e-3
    d4 = [q[3] - panda.upper[3]]
    for _ in range(400):
        v_new = ik.solve(q, dt, v_prev=v)
        assert np.all(np.abs(v_new - v) <= 10.0 * dt + 1e-9)  # recovery within the acceleration limit
        q, v = panda.integrate(q, v_new * dt), v_new
        d4.append(q[3] - panda.upper[3])
        if panda.within_limits(q):
            break
    assert panda.within_limits(q)
    assert np.all(np.diff(d4) <= 1e-15)  # never further out
    for _ in range(500):  # and stays inside
        v_new = ik.solve(q, dt, v_prev=v)
        q, v = panda.integrate(q, v_new * dt), v_new
        assert panda.within_limits(q, tol=1e-12)


def test_bad_inputs(panda):
    q = panda.clip(panda.neutral())
    frame = FrameTask(FRAME, kinejac.pose(panda, q, FRAME))
    with pytest.raises(InvalidValueError, match="empty"):
        velocity_ik(panda, q, [], 0.01)
    with pytest.raises(InvalidValueError, match="tasks"):
        velocity_ik(panda, q, [np.eye(4)], 0.01)
    with pytest.raises(ShapeError, match=r"\(4, 4\) \(pose\), \(3,\) \(position\) or \(3, 3\)"):
        FrameTask(FRAME, np.zeros((2, 2)))
    with pytest.raises(ShapeError, match=r"\(4, 4\)"):
        frame.set_target(np.zeros(5))
    for dt in (0.0, -0.01, float("nan")):
        with pytest.raises(InvalidValueError, match=r"dt \[s\] must be a number > 0"):
            velocity_ik(panda, q, [frame], dt)
    with pytest.raises(ShapeError, match="q"):
        velocity_ik(panda, q[:6], [frame], 0.01)
    with pytest.raises(ShapeError, match="v_prev"):
        velocity_ik(panda, q, [frame], 0.01, v_prev=np.zeros(3))
    with pytest.raises(kinejac.FrameNotFound, match="panda_hand_tcp"):
        velocity_ik(panda, q, [FrameTask("panda_hand_tc", np.eye(4))], 0.01)
    with pytest.raises(KinejacError, match="no target"):
        velocity_ik(panda, q, [FrameTask(FRAME)], 0.01)
    with pytest.raises(InvalidValueError, match="gain"):
        FrameTask(FRAME, np.eye(4), gain=1.5)
    with pytest.raises(InvalidValueError, match="position_cost"):
        FrameTask(FRAME, np.eye(4), position_cost=-1.0)
    with pytest.raises(ShapeError, match=r"orientation_cost.*\(3,\)"):
        FrameTask(FRAME, np.eye(4), orientation_cost=[1.0, 2.0])
    with pytest.raises(InvalidValueError, match="ask for nothing"):
        FrameTask(FRAME, np.eye(4)[:3, 3], position_cost=0.0)  # a position target without a position cost
    with pytest.raises(InvalidValueError, match="lm_damping"):
        FrameTask(FRAME, np.eye(4), lm_damping=-0.1)
    with pytest.raises(ShapeError, match=r"\(7,\)"):
        velocity_ik(panda, q, [PostureTask(q, cost=np.ones(3))], 0.01)
    with pytest.raises(InvalidValueError, match="cost"):
        PostureTask(q, cost=0.0)
    with pytest.raises(TypeError, match="cost"):
        PostureTask(q)  # the cost has no default, as in pink and mink
    with pytest.raises(ShapeError, match="q_ref"):
        velocity_ik(panda, q, [PostureTask(q[:5], cost=1.0)], 0.01)
    with pytest.raises(InvalidValueError, match="acceleration_limit"):
        velocity_ik(panda, q, [frame], 0.01, acceleration_limit=-1.0)
    with pytest.raises(ShapeError, match="acceleration_limit"):
        velocity_ik(panda, q, [frame], 0.01, acceleration_limit=np.ones(3))
    with pytest.raises(InvalidValueError, match="damping"):
        velocity_ik(panda, q, [frame], 0.01, damping=0.0)


def test_optimal_with_a_tiny_damping_and_a_rank_deficient_hessian(panda):
    """A frame task alone has a rank-6 Hessian on the 7-joint arm; with damping 1e-13 DAQP's plain
    solve can fail, and the step must still be optimal: checked by the KKT conditions of the box QP."""
    rng = np.random.default_rng(0)
    dt, lam = 0.01, 1e-13
    for _ in range(60):
        q = panda.random_configuration(rng)
        T = kinejac.pose(panda, panda.integrate(q, rng.normal(size=7) * 0.1), FRAME)
        task = FrameTask(FRAME, T)
        x = velocity_ik(panda, q, [task], dt, damping=lam) * dt
        J = _fd_jacobian(lambda y, T=T: _frame_error(panda, y, T), panda, q)
        e = _frame_error(panda, q, T)
        g = J.T @ (J @ x + e) + lam * x  # gradient of the cost at x
        lo = np.maximum(panda.lower - q, -panda.velocity_limit * dt)
        hi = np.minimum(panda.upper - q, panda.velocity_limit * dt)
        assert np.all(x >= lo - 1e-15) and np.all(x <= hi + 1e-15)
        at_lo, at_hi = np.isclose(x, lo, atol=1e-12), np.isclose(x, hi, atol=1e-12)
        free = ~(at_lo | at_hi)
        scale = np.abs(J.T @ e).max()  # the gradient at Δq = 0
        assert np.abs(g[free]).max(initial=0.0) < 1e-5 * scale
        assert np.all(g[at_lo] > -1e-5 * scale) and np.all(g[at_hi] < 1e-5 * scale)


def test_floating_base_continuous_and_prismatic_joints():
    """Every q layout at once: quaternion base, (cos, sin) continuous joint, prismatic and mimic joints."""
    robot = kinejac.load("kinejac_test_robot", root_joint="floating")
    rng = np.random.default_rng(4)
    q = robot.random_configuration(rng)
    q[:3] = 0.0
    goal = kinejac.pose(robot, robot.integrate(q, rng.normal(size=robot.nv) * 0.2), "right_tool")
    frame = FrameTask("right_tool", goal)
    ik = VelocityIK(robot, [frame], secondary=[PostureTask(q, cost=1.0, gain=0.1)], acceleration_limit=50.0)
    v = np.zeros(robot.nv)
    for _ in range(400):
        v = ik.solve(q, 0.01, v_prev=v)
        q = robot.integrate(q, v * 0.01)
        assert robot.within_limits(q, tol=1e-12)
    assert np.abs(frame.error(robot, q)).max() < 1e-8
    # and a path of the same frame: no joint jump, every row on target
    start = kinejac.pose(robot, q, "right_tool")
    end = start.copy()
    end[:3, 3] += [0.05, -0.05, 0.02]
    res = kinejac.solve_ik_path(robot, [end], "right_tool", q, max_joint_step=0.05)
    assert res.success
    assert np.abs(robot.difference(res.q[:-1], res.q[1:])).max() <= 0.05
    T = kinejac.pose(robot, res.q, "right_tool")
    assert np.abs(T - res.poses).max() < 1e-5


def test_the_one_shot_form_reuses_its_solver_and_equals_a_fresh_one(panda):
    q = (panda.lower + panda.upper) / 2
    T = kinejac.pose(panda, q, "panda_hand_tcp")
    task, posture = FrameTask("panda_hand_tcp", T), PostureTask(q, cost=1e-3)
    panda.cache.pop("motion.velocity_ik", None)  # what earlier tests cached
    rng = np.random.default_rng(11)
    loop = VelocityIK(panda, [task, posture])  # a control loop's own solver, called in step
    for _ in range(4):  # the cached solver sees each new target, as a solver built afresh does
        T[:3, 3] += rng.normal(scale=0.02, size=3)
        task.set_target(T)
        qk = panda.clip(q + rng.normal(scale=0.1, size=7))
        fresh = VelocityIK(panda, [task, posture]).solve(qk, 0.01)
        v = velocity_ik(panda, qk, [task, posture], 0.01)
        np.testing.assert_array_equal(v, loop.solve(qk, 0.01))  # both warm-start their QP alike
        assert np.abs(v - fresh).max() < 1e-9 * np.abs(fresh).max()  # a warm start rounds differently
    cached = panda.cache["motion.velocity_ik"]
    assert len(cached) == 1  # one solver for the four calls
    # the same tasks used with another robot in between: bound back to the Panda, same answers
    other = kinejac.load("panda", locked_joints=["panda_finger_joint1", "panda_joint7"])
    velocity_ik(other, other.neutral(), [task, PostureTask(other.neutral(), cost=1e-3)], 0.01)
    assert task.bound_robot is other
    assert np.abs(velocity_ik(panda, qk, [task, posture], 0.01) - fresh).max() < 1e-9 * np.abs(fresh).max()
    assert task.bound_robot is panda and len(cached) == 1
    # an unhashable setting (an array of velocity limits) builds afresh, with the same answer
    limits = np.full(7, 2.0)
    want = VelocityIK(panda, [task, posture], velocity_limit=limits).solve(qk, 0.01)
    got = velocity_ik(panda, qk, [task, posture], 0.01, velocity_limit=limits)
    assert np.abs(got - want).max() < 1e-9 * np.abs(want).max()
    assert len(cached) == 1
