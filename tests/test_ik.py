"""Inverse kinematics: round trips, limits, targets, masks, several frames, restarts, errors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pinocchio as pin
import pytest

import kinejac
from kinejac.errors import FrameNotFound, InvalidChoiceError, InvalidValueError, KinejacError, ShapeError
from kinejac.ik import (
    METHODS,
    FrameTarget,
    IKReason,
    IKResult,
    IKSolver,
    JointLimitDistance,
    Manipulability,
    Posture,
    solve_ik,
)
from kinejac.ik.problem import Problem

ARMS = {
    "planar_2r": ("tool", None),
    "planar_3r": ("tool", None),
    "ur5": ("tool0", None),
    "panda": ("panda_hand_tcp", ["panda_finger_joint1"]),
    "kinejac_test_robot": ("right_tool", None),
}


@pytest.fixture(scope="module")
def robots():
    return {name: kinejac.load(name, locked_joints=lock) for name, (_, lock) in ARMS.items()}


def _errors(robot, q, frame, T):
    """Independent check: position [m] and rotation [rad] error of frame at q against T."""
    P = kinejac.pose(robot, q, frame)
    return float(np.linalg.norm(P[:3, 3] - T[:3, 3])), float(np.linalg.norm(pin.log3(T[:3, :3].T @ P[:3, :3])))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", list(ARMS))
def test_round_trip_every_robot_every_method(robots, name, method):
    robot, frame = robots[name], ARMS[name][0]
    solver = IKSolver(robot, frame, method=method, timeout=None, max_restarts=100)
    rng = np.random.default_rng(11)
    for _ in range(6):
        T = kinejac.pose(robot, robot.random_configuration(rng), frame)
        res = solver.solve(T)
        assert res.success, (name, method, res)
        assert res.reason is IKReason.CONVERGED
        p_err, r_err = _errors(robot, res.q, frame, T)
        assert p_err <= 1e-5 and r_err <= 1e-5
        assert abs(p_err - res.position_error) < 1e-9 and abs(r_err - res.rotation_error) < 1e-9
        assert robot.within_limits(res.q, tol=0.0)


def test_solutions_within_limits_for_targets_at_the_limits(robots):
    robot, frame = robots["panda"], "panda_hand_tcp"
    rng = np.random.default_rng(3)
    solver = IKSolver(robot, frame, timeout=None, max_restarts=100)
    for k in range(8):
        q = robot.random_configuration(rng)
        j = k % robot.nq
        q[j] = robot.lower[j] if k % 2 else robot.upper[j]  # the solution sits exactly on a limit
        res = solver.solve(kinejac.pose(robot, q, frame))
        assert res.success, res
        assert robot.within_limits(res.q, tol=0.0)
        assert (res.q >= robot.lower).all() and (res.q <= robot.upper).all()


def test_unreachable_target_returns_the_closest_configuration(robots):
    robot, frame = robots["ur5"], "tool0"
    T = np.eye(4)
    T[:3, 3] = (3.0, 0.0, 0.5)  # the UR5 reaches about 0.9 m
    res = solve_ik(robot, T, frame, max_restarts=3, timeout=None)
    assert not res.success
    assert res.reason in (IKReason.STALLED, IKReason.SINGULAR, IKReason.LIMITS, IKReason.MAX_ITERATIONS)
    assert res.restarts == 3
    p_err, r_err = _errors(robot, res.q, frame, T)
    assert p_err == pytest.approx(res.position_error, abs=1e-9)
    assert r_err == pytest.approx(res.rotation_error, abs=1e-9)
    # the closest the arm gets is its reach: 3 m minus about 0.95 m, and not much more
    assert 2.0 < p_err < 2.3
    assert robot.within_limits(res.q, tol=0.0)


def test_timeout_is_a_reason_not_an_exception(robots):
    robot = robots["ur5"]
    T = np.eye(4)
    T[:3, 3] = (3.0, 0.0, 0.5)
    res = solve_ik(robot, T, "tool0", timeout=1e-4, max_restarts=10_000)
    assert not res.success and res.reason is IKReason.TIMEOUT
    assert res.restarts < 10_000


def test_same_seed_same_answer_and_seeds_matter(robots):
    robot, frame = robots["panda"], "panda_hand_tcp"
    rng = np.random.default_rng(5)
    # targets that need restarts from the middle of the limits
    hard = []
    probe = IKSolver(robot, frame, timeout=None, max_restarts=100, seed=0)
    while len(hard) < 2:
        T = kinejac.pose(robot, robot.random_configuration(rng), frame)
        if probe.solve(T).restarts >= 2:
            hard.append(T)
    for T in hard:
        a = solve_ik(robot, T, frame, seed=42, timeout=None, max_restarts=100)
        b = solve_ik(robot, T, frame, seed=42, timeout=None, max_restarts=100)
        assert np.array_equal(a.q, b.q) and a.iterations == b.iterations and a.restarts == b.restarts
    runs = [solve_ik(robot, hard[0], frame, seed=s, timeout=None, max_restarts=100) for s in range(4)]
    assert len({r.iterations for r in runs}) > 1


def test_position_only_target(robots):
    robot, frame = robots["ur5"], "tool0"
    p = kinejac.pose(robot, robot.random_configuration(2), frame)[:3, 3]
    res = solve_ik(robot, p, frame, timeout=None)
    assert res.success and res.rotation_error == 0.0
    assert np.linalg.norm(kinejac.pose(robot, res.q, frame)[:3, 3] - p) <= 1e-6


def test_orientation_only_target(robots):
    robot, frame = robots["panda"], "panda_hand_tcp"
    R = kinejac.pose(robot, robot.random_configuration(4), frame)[:3, :3]
    res = solve_ik(robot, R, frame, timeout=None)
    assert res.success and res.position_error == 0.0
    R_got = kinejac.pose(robot, res.q, frame)[:3, :3]
    assert np.linalg.norm(pin.log3(R.T @ R_got)) <= 1e-6


def test_mask_frees_the_rotation_about_the_target_z_axis(robots):
    robot, frame = robots["planar_2r"], "tool"
    # the planar 2R cannot choose its tool orientation independently of its position: with the
    # yaw left free it reaches any point of its workspace, with a full pose it cannot
    T = kinejac.pose(robot, np.array([0.3, 0.9]), frame)
    T_yawed = T @ pin.SE3(pin.utils.rotate("z", 0.7), np.zeros(3)).homogeneous
    full = solve_ik(robot, T_yawed, frame, timeout=None, max_restarts=5)
    assert not full.success
    masked = solve_ik(robot, T_yawed, frame, mask=[1, 1, 1, 1, 1, 0], timeout=None)
    assert masked.success
    P = kinejac.pose(robot, masked.q, frame)
    assert np.linalg.norm(P[:3, 3] - T_yawed[:3, 3]) <= 1e-6
    assert np.allclose(P[:3, 2], T_yawed[:3, 2], atol=1e-6)  # the z axes agree, the yaw is free


def test_weights_change_the_compromise_on_an_unreachable_pose(robots):
    robot, frame = robots["planar_2r"], "tool"
    T = kinejac.pose(robot, np.array([0.3, 0.9]), frame) @ pin.SE3(pin.utils.rotate("z", 0.7), np.zeros(3)).homogeneous
    pos_heavy = solve_ik(robot, T, frame, weights=[100, 100, 100, 1, 1, 1], timeout=None, max_restarts=5)
    rot_heavy = solve_ik(robot, T, frame, weights=[1, 1, 1, 100, 100, 100], timeout=None, max_restarts=5)
    assert pos_heavy.position_error < rot_heavy.position_error
    assert rot_heavy.rotation_error < pos_heavy.rotation_error


def test_two_frames_at_once_on_the_branching_robot(robots):
    robot = robots["kinejac_test_robot"]
    rng = np.random.default_rng(8)
    solver = IKSolver(robot, timeout=None, max_restarts=100)
    for _ in range(4):
        q = robot.random_configuration(rng)
        TL, TR = kinejac.pose(robot, q, "left_tool"), kinejac.pose(robot, q, "right_tool")
        res = solver.solve([FrameTarget.pose("left_tool", TL), FrameTarget.pose("right_tool", TR)])
        assert res.success, res
        assert max(_errors(robot, res.q, "left_tool", TL)) <= 1e-5
        assert max(_errors(robot, res.q, "right_tool", TR)) <= 1e-5


def test_pose_relative_to_another_frame(robots):
    robot = robots["kinejac_test_robot"]
    q = robot.random_configuration(9)
    T_rel = np.linalg.inv(kinejac.pose(robot, q, "left_tool")) @ kinejac.pose(robot, q, "right_tool")
    res = solve_ik(robot, T_rel, "right_tool", relative_to="left_tool", timeout=None, max_restarts=100)
    assert res.success, res
    got = np.linalg.inv(kinejac.pose(robot, res.q, "left_tool")) @ kinejac.pose(robot, res.q, "right_tool")
    assert np.abs(got - T_rel).max() <= 1e-5


def test_continuous_joints_stay_unit_norm_and_wrap(robots):
    robot, frame = robots["kinejac_test_robot"], "right_tool"
    q = robot.from_dict({"torso_yaw": 3.1, "right_elbow": -3.0, "right_shoulder": 0.4, "right_wrist": 0.3})
    res = solve_ik(robot, kinejac.pose(robot, q, frame), frame, q0=robot.from_dict({"torso_yaw": -3.1}), timeout=None)
    assert res.success, res
    for name in ("torso_yaw", "right_elbow"):
        j = robot.joint(name)
        assert np.linalg.norm(res.q[j.idx_q : j.idx_q + 2]) == pytest.approx(1.0, abs=1e-12)


def _step(robot, q, dv):
    """``q ⊕ dv`` within the limits through the core, and whether a joint was clamped."""
    return Problem(robot, (FrameTarget.position(robot.frame_names[-1], np.zeros(3)),)).step(q, dv)


def test_full_turn_revolute_joints_wrap_and_prismatic_joints_clamp():
    ur5 = kinejac.load("ur5")
    q = np.zeros(6)
    q[0] = 6.2
    q_new, clamped = _step(ur5, q, np.array([0.2, 0, 0, 0, 0, 0.0]))
    assert q_new[0] == pytest.approx(6.4 - 2 * np.pi) and not clamped  # wrapped: same pose, inside
    test = kinejac.load("kinejac_test_robot")
    lift = test.joint("torso_lift")
    q = test.neutral()
    q[lift.idx_q] = 0.25
    dv = np.zeros(test.nv)
    dv[lift.idx_v] = 1.0
    q_new, clamped = _step(test, q, dv)
    assert q_new[lift.idx_q] == pytest.approx(0.3) and clamped  # clamped at its upper limit
    # the elbow (±2 rad) is clamped too: its range is less than a turn
    elbow = test.joint("left_elbow")
    dv = np.zeros(test.nv)
    dv[elbow.idx_v] = -5.0
    assert _step(test, test.neutral(), dv)[0][elbow.idx_q] == pytest.approx(-2.0)
    # the continuous torso joint turns on its (cos, sin) circle, as pinocchio integrates it
    yaw = test.joint("torso_yaw")
    dv = np.zeros(test.nv)
    dv[yaw.idx_v] = 4.0
    q_new = _step(test, test.neutral(), dv)[0]
    assert np.abs(q_new - pin.integrate(test.model, test.neutral(), dv)).max() < 1e-15


def test_active_set_holds_joints_pushed_into_their_limits():
    # a joint pushed into its limit is dropped from the linear solve: the others reach the target
    panda = kinejac.load("panda", locked_joints=["panda_finger_joint1"])
    q_t = (panda.lower + panda.upper) / 2
    q_t[3] = panda.upper[3]  # the target configuration has joint 4 on its upper limit
    T = kinejac.pose(panda, q_t, "panda_hand_tcp")
    res = solve_ik(panda, T, "panda_hand_tcp", max_restarts=0, timeout=None, q0=q_t + 0.05 * np.sign(q_t - q_t.mean()))
    assert res.success and res.restarts == 0
    assert panda.within_limits(res.q, tol=0.0)


def _fd_residual_jacobian(robot, res, q, eps=1e-6):
    cols = []
    for k in range(robot.nv):
        dv = np.zeros(robot.nv)
        dv[k] = eps
        e_plus = res.evaluate(pin.integrate(robot.model, q, dv))[0]
        e_minus = res.evaluate(pin.integrate(robot.model, q, -dv))[0]
        cols.append((e_plus - e_minus) / (2 * eps))
    return np.array(cols).T


@pytest.mark.parametrize(
    "targets",
    [
        lambda r, T1, T2: (FrameTarget.pose("right_tool", T1),),
        lambda r, T1, T2: (FrameTarget.pose("right_tool", T1, weights=[2, 1, 1, 0.5, 3, 1]),),
        lambda r, T1, T2: (FrameTarget.pose("right_tool", T1, mask=[1, 0, 1, 1, 1, 0]),),
        lambda r, T1, T2: (FrameTarget.position("left_tool", T2[:3, 3]),),
        lambda r, T1, T2: (FrameTarget.orientation("left_tool", T2[:3, :3]),),
        lambda r, T1, T2: (FrameTarget.pose("right_tool", T1, relative_to="left_tool"),),
        lambda r, T1, T2: (FrameTarget.pose("right_tool", T1), FrameTarget.pose("left_tool", T2)),
    ],
    ids=["pose", "weights", "mask", "position", "orientation", "relative", "two-frames"],
)
def test_error_jacobian_matches_finite_differences(robots, targets):
    robot = robots["kinejac_test_robot"]
    rng = np.random.default_rng(21)
    q_t, q = robot.random_configuration(rng), robot.random_configuration(rng)
    T1, T2 = kinejac.pose(robot, q_t, "right_tool"), kinejac.pose(robot, q_t, "left_tool")
    res = Problem(robot, targets(robot, T1, T2))
    _, J, _, _ = res.evaluate(q)
    J_fd = _fd_residual_jacobian(robot, res, q)
    assert np.abs(J - J_fd).max() < 1e-6 * max(1.0, np.abs(J_fd).max())


def test_error_lives_in_the_target_frame(robots):
    robot, frame = robots["ur5"], "tool0"
    q = robot.random_configuration(1)
    T = kinejac.pose(robot, q, frame)
    offset = np.eye(4)
    offset[:3, 3] = (0.0, 0.0, 0.01)  # 1 cm along the *target's* z axis
    res = Problem(robot, (FrameTarget.pose(frame, T @ offset),))
    e, _, perr, rerr = res.evaluate(q)
    assert np.allclose(e, [0, 0, -0.01, 0, 0, 0], atol=1e-12)
    assert perr == pytest.approx(0.01) and rerr == pytest.approx(0.0, abs=1e-12)


def test_history_replays_the_returned_attempt(robots):
    robot, frame = robots["ur5"], "tool0"
    T = kinejac.pose(robot, robot.random_configuration(6), frame)
    res = solve_ik(robot, T, frame, history=True, timeout=None)
    assert res.history is not None and res.history.shape[1] == robot.nq and len(res.history) >= 2
    assert np.array_equal(res.history[-1], res.q)
    assert solve_ik(robot, T, frame, timeout=None).history is None


def test_result_is_frozen(robots):
    res = solve_ik(robots["planar_2r"], kinejac.pose(robots["planar_2r"], np.array([0.2, 0.4]), "tool"), "tool")
    assert isinstance(res, IKResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.success = False
    with pytest.raises(ValueError):
        res.q[0] = 1.0  # read-only


def test_solver_reuse_equals_fresh_solver(robots):
    robot, frame = robots["panda"], "panda_hand_tcp"
    rng = np.random.default_rng(13)
    Ts = [kinejac.pose(robot, robot.random_configuration(rng), frame) for _ in range(5)]
    reused = IKSolver(robot, frame, timeout=None)
    for T in Ts:
        a, b = reused.solve(T), IKSolver(robot, frame, timeout=None).solve(T)
        assert np.array_equal(a.q, b.q) and a.iterations == b.iterations
    # switching target kinds on a reused solver rebuilds what is needed
    p = Ts[0][:3, 3]
    assert reused.solve(p).success and reused.solve(Ts[1]).success


@pytest.mark.parametrize(
    ("target", "error", "words"),
    [
        (np.full((4, 4), np.nan), InvalidValueError, "NaN"),
        (np.diag([1.0, 2.0, 1.0, 1.0]), InvalidValueError, "rotation"),
        (np.diag([1.0, 1.0, -1.0, 1.0]), InvalidValueError, "rotation"),
        (np.eye(4)[:3], ShapeError, "(3, 4)"),
        (np.zeros(5), ShapeError, "(5,)"),
        (np.array([0.1, np.inf, 0.0]), InvalidValueError, "NaN or inf"),
        (np.ones((3, 3)), InvalidValueError, "rotation"),
        ("tool0", InvalidValueError, "str"),
    ],
)
def test_malformed_targets_raise_clear_errors(robots, target, error, words):
    with pytest.raises(error) as info:
        solve_ik(robots["ur5"], target, "tool0")
    assert isinstance(info.value, KinejacError)
    assert words in str(info.value)


def test_bad_arguments_raise_clear_errors(robots):
    ur5 = robots["ur5"]
    T = kinejac.pose(ur5, np.zeros(6), "tool0")
    with pytest.raises(FrameNotFound, match="tool0"):
        solve_ik(ur5, T, "tool_0")
    with pytest.raises(InvalidChoiceError, match="lm, gn, dls"):
        solve_ik(ur5, T, "tool0", method="newton")
    with pytest.raises(ShapeError, match=r"\(6,\)"):
        solve_ik(ur5, T, "tool0", weights=[1, 1, 1])
    with pytest.raises(InvalidValueError, match="all zero"):
        solve_ik(ur5, T, "tool0", weights=np.zeros(6))
    with pytest.raises(ShapeError, match="q0"):
        solve_ik(ur5, T, "tool0", q0=np.zeros(5))
    with pytest.raises(InvalidValueError, match="timeout"):
        IKSolver(ur5, "tool0", timeout=-1.0)
    with pytest.raises(InvalidValueError, match="max_restarts"):
        IKSolver(ur5, "tool0", max_restarts=1.5)
    with pytest.raises(InvalidValueError, match="frame is required"):
        solve_ik(ur5, T, None)


def _solve_with(robot, frame, T, objective):
    return solve_ik(robot, T, frame, objective=objective, timeout=None)


def test_null_space_objectives_lower_their_cost_and_keep_the_target(robots):
    robot, frame = robots["panda"], "panda_hand_tcp"
    q_t = robot.random_configuration(17)
    T = kinejac.pose(robot, q_t, frame)
    q_ref = np.clip(q_t + 0.6, robot.lower, robot.upper)
    for objective in (Posture(q_ref), JointLimitDistance(), Manipulability(frame)):
        plain = _solve_with(robot, frame, T, None)
        shaped = _solve_with(robot, frame, T, objective)
        assert plain.success and shaped.success
        assert objective.cost(robot, shaped.q) < objective.cost(robot, plain.q) - 1e-6, type(objective).__name__
        assert max(_errors(robot, shaped.q, frame, T)) <= 1e-6
        assert robot.within_limits(shaped.q, tol=0.0)


def test_manipulability_gradient_matches_finite_differences(robots):
    robot, frame = robots["panda"], "panda_hand_tcp"
    q = robot.random_configuration(23)
    m = Manipulability(frame)
    g = m.gradient(robot, q)
    eps = 1e-6
    fd = np.array([(m.cost(robot, q + eps * e) - m.cost(robot, q - eps * e)) / (2 * eps) for e in np.eye(robot.nv)])
    assert np.allclose(g, fd, atol=1e-7)


def test_manipulability_objective_on_a_planar_arm_uses_the_rows_it_can_move_along():
    """The 6-row √det(J Jᵀ) of a planar arm is always 0; part=("vx", "vy") makes the objective useful."""
    robot = kinejac.load("planar_3r")
    position = kinejac.pose(robot, np.array([0.3, 0.9, -0.4]), "tool")[:3, 3]
    objective = Manipulability("tool", part=("vx", "vy"))
    plain = solve_ik(robot, position, "tool", timeout=None)
    shaped = solve_ik(robot, position, "tool", objective=objective, timeout=None)
    assert plain.success and shaped.success and shaped.position_error <= 1e-6
    assert objective.cost(robot, shaped.q) < objective.cost(robot, plain.q) - 1e-3
    np.testing.assert_allclose(
        objective.gradient(robot, shaped.q),
        -kinejac.manipulability_gradient(robot, shaped.q, "tool", part=("vx", "vy")),
    )


@pytest.mark.parametrize("seed", ["abc", -1, 1.5])
def test_bad_seeds_raise_before_any_restart(robots, seed):
    robot, frame = robots["panda"], "panda_hand_tcp"
    reachable = kinejac.pose(robot, robot.random_configuration(3), frame)
    with pytest.raises(kinejac.InvalidValueError, match="seed must be None, a non-negative integer"):
        solve_ik(robot, reachable, frame, seed=seed)
    solver = kinejac.IKSolver(robot, frame)
    with pytest.raises(kinejac.InvalidValueError, match="seed must be"):
        solver.solve(reachable, seed=seed)


def test_dls_returns_the_best_configuration_it_saw(robots):
    robot, frame = robots["ur5"], "tool0"
    far = np.eye(4)
    far[:3, 3] = [2.0, 0.0, 0.3]  # out of reach: DLS ends stalled, somewhere near the boundary
    result = solve_ik(robot, far, frame, method="dls", max_restarts=0, timeout=None, history=True)
    assert not result.success
    costs = []
    for q in result.history:
        T = kinejac.pose(robot, q, frame)
        costs.append(np.linalg.norm(T[:3, 3] - far[:3, 3]))
    reached = np.linalg.norm(kinejac.pose(robot, result.q, frame)[:3, 3] - far[:3, 3])
    assert reached <= min(costs) + 1e-9


def test_failure_returns_the_best_configuration_found(robots):
    """Out of reach: every method ends at (about) the same closest configuration, never worse than
    the best of its attempts by the cost it minimises, ½‖log6(T_target⁻¹ T(q))‖²."""

    def cost(q):
        M = pin.SE3(far).actInv(pin.SE3(kinejac.pose(robot, q, frame)))
        return 0.5 * float(np.sum(pin.log6(M).vector ** 2))

    robot, frame = robots["panda"], "panda_hand_tcp"
    far = np.eye(4)
    far[:3, 3] = [3.0, 0.0, 0.5]
    reached = {}
    for method in ("lm", "gn"):
        res = solve_ik(robot, far, frame, method=method, timeout=None, max_restarts=20)
        assert not res.success and res.reason is not IKReason.CONVERGED
        p_err, _ = _errors(robot, res.q, frame, far)
        assert p_err == pytest.approx(res.position_error, abs=1e-9)
        reached[method] = p_err
        # no attempt of the search ends closer than what is returned
        local = IKSolver(robot, frame, method=method, timeout=None, max_restarts=0)
        for k in range(5):
            other = local.solve(far, q0=robot.random_configuration(k))
            assert cost(res.q) <= cost(other.q) + 1e-6
    assert abs(reached["lm"] - reached["gn"]) < 0.01  # LM no longer stops short of the minimum


def test_full_turn_joints_come_back_nearest_the_start():
    ur5 = kinejac.load("ur5")  # every joint ±2π
    res = solve_ik(ur5, np.array([0.4, 0.1, 0.4]), "tool0")
    assert res.success
    assert (np.abs(res.q) <= np.pi + 1e-12).all()  # the start is 0: no angle is a turn away from it
    assert res.q[1] == pytest.approx(0.4259, abs=1e-3)  # not -5.857, the same angle a turn away
    q0 = np.full(6, 5.0)
    res = solve_ik(ur5, np.array([0.4, 0.1, 0.4]), "tool0", q0=q0)
    assert res.success and ur5.within_limits(res.q, tol=0.0)
    for k in range(6):  # no equivalent angle within the limits is nearer the start
        turns = res.q[k] + 2 * np.pi * np.arange(-3, 4)
        inside = turns[(turns >= ur5.lower[k]) & (turns <= ur5.upper[k])]
        assert abs(res.q[k] - q0[k]) <= np.abs(inside - q0[k]).min() + 1e-12


def test_unknown_options_and_method_names_in_any_case():
    ur5 = kinejac.load("ur5")
    T = kinejac.pose(ur5, np.zeros(6), "tool0")
    with pytest.raises(kinejac.UnknownOptionError, match="'tolerence'; did you mean 'position_tolerance'") as info:
        solve_ik(ur5, T, "tool0", tolerence=1e-3)
    assert isinstance(info.value, TypeError) and isinstance(info.value, KinejacError)
    assert solve_ik(ur5, T, "tool0", method="LM").success
    assert solve_ik(ur5, T, "tool0", method="Gn").success


def test_solve_ik_reuses_its_solver(robots):
    robot, frame = robots["ur5"], "tool0"
    from kinejac.ik import cached as solvers

    T = kinejac.pose(robot, robot.random_configuration(2), frame)
    first = solve_ik(robot, T, frame, timeout=None, max_restarts=7)
    built = dict(robot.cache[solvers._CACHE_KEY])
    again = solve_ik(robot, T, frame, timeout=None, max_restarts=7, seed=3)
    assert robot.cache[solvers._CACHE_KEY] == built  # the same solver, another seed per call
    assert np.array_equal(first.q, again.q) and first.iterations == again.iterations  # converged at once
    fresh = IKSolver(robot, frame, timeout=None, max_restarts=7).solve(T)
    assert np.array_equal(first.q, fresh.q)


@pytest.mark.parametrize("method", METHODS)
def test_a_reused_solver_answers_each_problem_as_a_fresh_one(robots, method):
    """A solver reuses its work arrays from solve to solve: nothing one problem leaves there may
    change the next (another target, a two-frame problem whose arrays are larger, recorded history)."""
    robot = robots["kinejac_test_robot"]
    rng = np.random.default_rng(11)
    Q = robot.random_configuration(rng, 3)
    T_right = kinejac.pose(robot, Q, "right_tool")
    both = [
        FrameTarget.pose("right_tool", kinejac.pose(robot, Q[1], "right_tool")),
        FrameTarget.pose("left_tool", kinejac.pose(robot, Q[1], "left_tool")),
    ]
    options = {"method": method, "timeout": None, "history": True, "max_restarts": 5}
    reused = IKSolver(robot, "right_tool", **options)
    answers = [reused.solve(T_right[0]), reused.solve(both), reused.solve(T_right[2]), reused.solve(T_right[0])]
    fresh = [IKSolver(robot, "right_tool", **options).solve(target) for target in (T_right[0], both, T_right[2])]
    for got, expected in zip(answers, [*fresh, fresh[0]]):
        assert np.array_equal(got.q, expected.q)
        assert got.iterations == expected.iterations and got.restarts == expected.restarts
        assert np.array_equal(got.history, expected.history)
    assert answers[0].success and answers[2].success


# -- the fast door: a plain pose solve in one native call (IKSolver.solve, solve_ik) ------------------
_FIELDS = ("success", "position_error", "rotation_error", "iterations", "restarts", "reason", "history")


@pytest.mark.parametrize("name", ["ur5", "panda"])
def test_the_fast_door_gives_what_the_python_path_gives(robots, name):
    robot, frame = robots[name], ARMS[name][0]
    solver = IKSolver(robot, frame, timeout=None, max_restarts=3)
    assert solver._door is not None
    rng = np.random.default_rng(21)
    far = np.eye(4)
    far[:3, 3] = (3.0, 0.0, 0.5)  # out of reach: restarts, then the closest configuration
    targets = [kinejac.pose(robot, robot.random_configuration(rng), frame) for _ in range(12)] + [far]
    starts = [None, robot.random_configuration(rng)]
    reasons = set()
    for T in targets:
        for q0 in starts:
            door = solver._door(T, q0)
            slow = solver.solve(np.asfortranarray(T), q0)  # not C-contiguous: the door leaves it to Python
            np.testing.assert_array_equal(solver.solve(pin.SE3(T), q0).q, door.q)  # an SE3 goes in as its matrix
            assert type(door) is IKResult and door is not None
            np.testing.assert_array_equal(door.q, slow.q)
            assert [getattr(door, f) for f in _FIELDS] == [getattr(slow, f) for f in _FIELDS]
            assert not door.q.flags.writeable and door.q.dtype == np.float64 and door.q.shape == (robot.nq,)
            assert 0.0 < door.time < 1.0
            reasons.add(door.reason)
            # solve_ik (its cached solver) and IKSolver.solve both open the door
            via = solve_ik(robot, T, frame, q0=q0, timeout=None, max_restarts=3)
            np.testing.assert_array_equal(via.q, door.q)
            np.testing.assert_array_equal(solver.solve(T, q0).q, door.q)
    assert IKReason.CONVERGED in reasons and len(reasons) > 1  # failures come through the door too


def test_the_fast_door_leaves_what_it_does_not_take_to_the_python_path(robots):
    robot, frame = robots["ur5"], "tool0"
    solver = IKSolver(robot, frame)
    q = robot.random_configuration(np.random.default_rng(2))
    T = kinejac.pose(robot, q, frame)
    for target, q0 in [
        (pin.SE3(T), q),  # not an array
        (T.tolist(), q),
        (T.astype(np.float32), q),
        (np.asfortranarray(T), q),  # not C-contiguous
        (T[None], q),  # another shape
        (T, q.tolist()),
        (T, q[:-1]),
        (T, q.astype(np.float32)),
        (T, np.full(robot.nq, np.nan)),  # the core refuses the start
        (np.where(np.eye(4, dtype=bool), np.nan, T), q),  # the core refuses the target
        (2.0 * T, q),  # not a rigid transform
    ]:
        assert solver._door(target, q0) is None
    # ... and the Python path answers or explains each
    assert solver.solve(T.tolist(), q).success and solver.solve(T, q.tolist()).success
    with pytest.raises(ShapeError, match=r"\(6,\)"):
        solver.solve(T, q[:-1])
    with pytest.raises(KinejacError, match="q0"):
        solve_ik(robot, T, frame, q0=np.full(robot.nq, np.nan))
    with pytest.raises(KinejacError):
        solve_ik(robot, 2.0 * T, frame, q0=q)


def test_no_door_where_the_python_path_adds_work(robots):
    robot, frame = robots["ur5"], "tool0"
    assert IKSolver(robot, frame, history=True)._door is None
    assert IKSolver(robot, frame, objective=Posture(robot.neutral()))._door is None
    assert IKSolver(robot, frame, seed=np.random.SeedSequence(3))._door is None
    assert IKSolver(robot, None)._door is None


def test_the_fast_door_from_several_python_threads_gives_the_sequential_answers(robots):
    from concurrent.futures import ThreadPoolExecutor

    robot, frame = robots["panda"], ARMS["panda"][0]
    solver = IKSolver(robot, frame, timeout=None, max_restarts=5)
    rng = np.random.default_rng(23)
    targets = [kinejac.pose(robot, robot.random_configuration(rng), frame) for _ in range(40)]
    starts = [robot.random_configuration(rng) for _ in range(40)]
    alone = [solver.solve(T, q).q for T, q in zip(targets, starts)]
    with ThreadPoolExecutor(4) as pool:  # the core runs without the GIL, each thread on its own work arrays
        together = list(pool.map(lambda i: solver.solve(targets[i], starts[i]).q, range(40)))
    for a, b in zip(alone, together):
        np.testing.assert_array_equal(a, b)
