"""Every IK solution by closed forms: structure detection, solve_ik_all on UR arms, the Panda with one
joint fixed and generated spherical-wrist arms, held to pinocchio's forward kinematics."""

from __future__ import annotations

import numpy as np
import pinocchio as pin
import pytest
from urdf_gen import PLACEMENTS, family_arm

import kinejac
from kinejac.ik import AnalyticIK, IKReason, SolutionsReason

TOL = 1e-10  # [m] and [rad]: every solution reproduces its target this closely
ERD_UR = [n for n in ("erd:ur3_robot", "erd:ur5_robot", "erd:ur10_robot") if n in kinejac.available_robots()]


def _pin_pose(robot: kinejac.Robot, q: np.ndarray, frame: str) -> pin.SE3:
    """The frame's pose by pinocchio on a fresh Data (the oracle)."""
    data = robot.model.createData()
    pin.framesForwardKinematics(robot.model, data, q)
    return data.oMf[robot.frame_id(frame)].copy()


def _pose_errors(robot, q, frame, T) -> tuple[float, float]:
    M = pin.SE3(T).actInv(_pin_pose(robot, q, frame))
    return float(np.linalg.norm(M.translation)), float(np.linalg.norm(pin.log3(M.rotation)))


def _angle_distance(robot, a, b) -> float:
    """The largest joint difference, angles compared modulo 2π."""
    d = robot.difference(a, b)
    return float(np.abs(np.remainder(d + np.pi, 2 * np.pi) - np.pi).max())


def _check_all(robot, frame, n: int, seed: int, *, fixed_joint: str | None = None, min_found: float = 1.0):
    """For n random configurations within the limits: the generating one is among the solutions, every
    solution reproduces the target to TOL (pinocchio), is within the limits, and no two coincide."""
    rng = np.random.default_rng(seed)
    found = 0
    for _ in range(n):
        q = robot.random_configuration(rng)
        T = _pin_pose(robot, q, frame).homogeneous
        fixed = None if fixed_joint is None else {fixed_joint: float(q[robot.joint(fixed_joint).idx_q])}
        sols = kinejac.solve_ik_all(robot, T, frame, q0=q, fixed=fixed)
        assert sols.reason is (SolutionsReason.SOLVED if len(sols) else sols.reason)
        for x in sols.q:
            p, r = _pose_errors(robot, x, frame, T)
            assert p <= TOL and r <= TOL, (p, r, x)
            assert robot.within_limits(x, tol=0.0)
        assert np.allclose(sols.position_error, [_pose_errors(robot, x, frame, T)[0] for x in sols.q], atol=1e-12)
        for i in range(len(sols)):
            for j in range(i):
                assert _angle_distance(robot, sols.q[i], sols.q[j]) > 1e-6
        d = [_angle_distance(robot, q, x) for x in sols.q]
        found += bool(d) and min(d) < 1e-8
        if d and min(d) < 1e-8:  # nearest q0 first: the generating configuration comes first
            assert np.argmin(d) == 0
    assert found >= min_found * n, f"generating configuration found for {found} of {n}"


# -- structure -----------------------------------------------------------------------------------------------
def test_structure_of_the_bundled_ur5():
    s = kinejac.ik_structure(kinejac.load("ur5"), "tool0")
    assert (s.family, s.method, s.reversed, s.exact, s.max_solutions) == (
        "three_parallel",
        "closed_form",
        False,
        True,
        8,
    )
    assert s.parallel == (("shoulder_lift_joint", "elbow_joint", "wrist_1_joint"),)
    assert s.intersecting == (("wrist_2_joint", "wrist_3_joint"),)
    assert "three parallel" in s.describe()


def test_structure_of_the_panda_needs_one_joint_fixed():
    panda = kinejac.load("panda")
    s = kinejac.ik_structure(panda, "panda_hand_tcp")
    assert s.family is None and "7 free joint" in s.reason
    assert s.fixable["panda_joint7"] == "spherical_wrist" and "panda_joint2" not in s.fixable
    s7 = kinejac.ik_structure(panda, "panda_hand_tcp", fixed=["panda_joint7"])
    # joints 1-3 meet at the shoulder: a spherical wrist read from the hand back
    assert (s7.family, s7.reversed, s7.method) == ("spherical_wrist", True, "closed_form")
    assert s7.intersecting[0] == ("panda_joint1", "panda_joint2", "panda_joint3")
    s3 = kinejac.ik_structure(panda, "panda_hand_tcp", fixed={"panda_joint3": 0.0})
    assert (s3.family, s3.method, s3.searched) == ("two_intersecting", "search", "panda_joint7")


def test_a_chain_without_a_family_raises_naming_what_it_has(tmp_path):
    with pytest.raises(kinejac.StructureError, match=r"planar_3r.*3 free joint\(s\) \(joint1, joint2, joint3\)"):
        kinejac.solve_ik_all(kinejac.load("planar_3r"), np.eye(4), "tool")
    # a general 6R arm: the error names the structure found
    spec = family_arm(3, "searched", spherical=False, name="general_arm")
    robot = kinejac.load(str(spec.write(tmp_path)))
    s = kinejac.ik_structure(robot, "tool")
    assert s.family is None and s.intersecting == () and s.parallel == ()
    with pytest.raises(kinejac.StructureError, match="found no two consecutive axes meet or are parallel"):
        kinejac.solve_ik_all(robot, np.eye(4), "tool")
    with pytest.raises(kinejac.StructureError, match="not revolute"):
        kinejac.solve_ik_all(kinejac.load("kinejac_test_robot"), np.eye(4), "left_tool")
    assert issubclass(kinejac.StructureError, (kinejac.KinejacError, ValueError))


def test_fixed_joints_are_checked():
    panda = kinejac.load("panda")
    T = kinejac.pose(panda, panda.random_configuration(0), "panda_hand_tcp")
    with pytest.raises(kinejac.JointNotFound, match="panda_joint9"):
        kinejac.solve_ik_all(panda, T, "panda_hand_tcp", fixed={"panda_joint9": 0.0})
    with pytest.raises(kinejac.JointNotFound, match="does not move it"):
        kinejac.solve_ik_all(panda, T, "panda_hand_tcp", fixed={"panda_finger_joint1": 0.0})
    with pytest.raises(kinejac.InvalidValueError, match="outside its limits"):
        kinejac.solve_ik_all(panda, T, "panda_hand_tcp", fixed={"panda_joint4": 1.0})


# -- the generating configuration is found --------------------------------------------------------------------
def test_bundled_ur5_finds_the_generating_configuration():
    _check_all(kinejac.load("ur5"), "tool0", 300, seed=1)


@pytest.mark.parametrize("name", ERD_UR)
def test_example_robot_data_urs(name):
    _check_all(kinejac.load(name), "tool0", 150, seed=2)


@pytest.mark.parametrize("fixed", ["panda_joint7", "panda_joint4"])
def test_panda_with_one_joint_fixed(fixed):
    _check_all(kinejac.load("panda"), "panda_hand_tcp", 150, seed=3, fixed_joint=fixed)


def test_panda_with_joint_3_fixed_searches():
    _check_all(kinejac.load("panda"), "panda_hand_tcp", 60, seed=4, fixed_joint="panda_joint3", min_found=0.98)


@pytest.mark.parametrize("placement", PLACEMENTS)
def test_generated_spherical_wrist_arms(placement, tmp_path):
    for seed in range(2):
        spec = family_arm(seed, placement, name=f"arm_{placement}_{seed}", continuous_last=seed == 1)
        robot = kinejac.load(str(spec.write(tmp_path)))
        s = kinejac.ik_structure(robot, "tool")
        assert (s.family, s.placement, s.exact) == ("spherical_wrist", placement, True)
        _check_all(robot, "tool", 60 if placement == "searched" else 100, seed=5, min_found=0.98)


def test_an_arm_near_its_family_is_solved_on_the_idealised_copy(tmp_path):
    spec = family_arm(0, "b_parallel_c", wrist_offset=1e-4, name="near_arm")
    robot = kinejac.load(str(spec.write(tmp_path)))
    s = kinejac.ik_structure(robot, "tool")
    assert s.family == "spherical_wrist" and not s.exact and 1e-5 < s.deviation < 1e-3
    assert "idealised" in s.describe()
    _check_all(robot, "tool", 100, seed=6, min_found=0.97)
    strict = kinejac.ik_structure(robot, "tool", tolerance=1e-6)
    assert strict.family is None and "j4 ∩ j5" in strict.reason


# -- singular and unreachable targets -----------------------------------------------------------------------
def test_wrist_aligned_target_gives_a_finite_documented_answer():
    ur5 = kinejac.load("ur5")
    q = np.array([0.3, -1.1, 1.4, -0.9, 0.0, 0.2])  # wrist_2 at 0: wrist_1 and wrist_3 line up
    T = kinejac.pose(ur5, q, "tool0")
    q0 = q.copy()
    q0[5] = 1.0
    sols = kinejac.solve_ik_all(ur5, T, "tool0", q0=q0)
    assert sols.singular and 1 <= len(sols) < 8 and np.isfinite(sols.q).all()
    for x in sols.q:
        assert max(_pose_errors(ur5, x, "tool0", T)) <= TOL
    # the free joint keeps its value in q0, the others absorb the rest
    aligned = [x for x in sols.q if abs(x[4]) < 1e-9]
    assert len(aligned) == 2 and all(x[5] == pytest.approx(1.0, abs=1e-12) for x in aligned)


def test_unreachable_and_outside_limits():
    ur5 = kinejac.load("ur5")
    far = np.eye(4)
    far[:3, 3] = [2.0, 0.0, 0.0]
    sols = kinejac.solve_ik_all(ur5, far, "tool0")
    assert len(sols) == 0 and not sols.success and sols.reason is SolutionsReason.UNREACHABLE and sols.nearest is None
    limited = (
        kinejac.load("erd:ur5_joint_limited_robot")
        if "erd:ur5_joint_limited_robot"
        in ERD_UR + [n for n in kinejac.available_robots() if n == "erd:ur5_joint_limited_robot"]
        else None
    )
    if limited is not None:  # elbow within ±π, the rest too: some branches leave the limits
        rng = np.random.default_rng(7)
        dropped = 0
        for _ in range(50):
            q = limited.random_configuration(rng)
            s = kinejac.solve_ik_all(limited, kinejac.pose(limited, q, "tool0"), "tool0", q0=q)
            dropped += s.outside_limits
            assert all(limited.within_limits(x, tol=0.0) for x in s.q)
        assert dropped == 0  # ±π admits every angle: nothing is dropped
    # an arm whose first joint cannot turn far: targets behind it are outside the limits
    panda = kinejac.load("panda")
    q = panda.clip(np.array([2.5, 0.3, 0.0, -1.5, 0.0, 1.8, 0.7, 0.0]))
    T = kinejac.pose(panda, q, "panda_hand_tcp")
    s = kinejac.solve_ik_all(panda, T, "panda_hand_tcp", fixed={"panda_joint7": 0.7})
    assert s.candidates > len(s) and s.outside_limits >= 1


def test_equivalent_angles():
    ur5 = kinejac.load("ur5")  # every joint but the elbow spans ±2π
    q = np.array([0.3, -1.1, 1.4, -0.9, 0.8, 0.2])
    T = kinejac.pose(ur5, q, "tool0")
    near = kinejac.solve_ik_all(ur5, T, "tool0", q0=np.full(6, 5.0))
    for x in near.q:  # each angle is the equivalent within the limits nearest q0
        for k in (0, 1, 3, 4, 5):
            others = [x[k] + 2 * np.pi * m for m in (-2, -1, 1, 2)]
            inside = [y for y in others if ur5.lower[k] <= y <= ur5.upper[k]]
            assert ur5.lower[k] <= x[k] <= ur5.upper[k] and all(abs(x[k] - 5.0) < abs(y - 5.0) for y in inside)
    assert near.q[:, 0].max() > np.pi  # some are a turn away from the principal angle
    every = kinejac.solve_ik_all(ur5, T, "tool0", all_equivalents=True)
    assert len(every) == 32 * len(near)  # 5 joints over ±2π: 2 equivalents each
    for x in every.q[::7]:
        assert max(_pose_errors(ur5, x, "tool0", T)) <= TOL
    assert len({tuple(np.round(x, 6)) for x in every.q}) == len(every)
    d = np.sum((every.q - ur5.clip(np.zeros(6))) ** 2, axis=1)
    assert (np.diff(d) >= -1e-12).all()  # sorted by distance to q0 (the middle of the limits)


# -- batches, bases, and the other entry points ---------------------------------------------------------------
def test_batch_equals_the_loop():
    ur5 = kinejac.load("ur5")
    Q = ur5.random_configuration(8, size=40)
    T = kinejac.pose(ur5, Q, "tool0")
    T[3, :3, 3] = [3.0, 0.0, 0.0]  # one unreachable target in the batch
    batch = kinejac.solve_ik_all(ur5, T, "tool0", q0=Q, threads=2)
    assert len(batch) == 40 and batch.count[3] == 0 and batch.reason[3] is SolutionsReason.UNREACHABLE
    for b in range(40):
        one = kinejac.solve_ik_all(ur5, T[b], "tool0", q0=Q[b])
        assert batch.count[b] == len(one)
        assert np.array_equal(batch[b].q, one.q) and np.array_equal(batch[b].branch, one.branch)
        assert np.isnan(batch.q[b, len(one) :]).all() and (batch.branch[b, len(one) :] == -1).all()
    one_thread = kinejac.solve_ik_all(ur5, T, "tool0", q0=Q, threads=1)
    assert np.array_equal(np.nan_to_num(one_thread.q), np.nan_to_num(batch.q))


def test_batch_with_fixed_values_equals_the_loop():
    panda = kinejac.load("panda")
    Q = panda.random_configuration(9, size=12)
    T = kinejac.pose(panda, Q, "panda_hand_tcp")
    batch = kinejac.solve_ik_all(panda, T, "panda_hand_tcp", q0=Q, fixed={"panda_joint7": Q[:, 6]})
    for b in range(12):
        one = kinejac.solve_ik_all(panda, T[b], "panda_hand_tcp", q0=Q[b], fixed={"panda_joint7": Q[b, 6]})
        assert np.array_equal(batch[b].q, one.q)
        assert _angle_distance(panda, Q[b], one.q[0]) < 1e-8


def test_a_sweep_over_the_fixed_joint():
    panda = kinejac.load("panda")
    q = panda.clip(np.array([0.2, 0.4, -0.3, -1.8, 0.3, 2.0, 0.5, 0.0]))
    T = kinejac.pose(panda, q, "panda_hand_tcp")
    angles = np.linspace(-2.5, 2.5, 11)
    sweep = [kinejac.solve_ik_all(panda, T, "panda_hand_tcp", q0=q, fixed={"panda_joint7": a}) for a in angles]
    for a, s in zip(angles, sweep):
        assert (s.q[:, 6] == a).all()
        for x in s.q:
            assert max(_pose_errors(panda, x, "panda_hand_tcp", T)) <= TOL
    assert min(_angle_distance(panda, q, x) for x in sweep[6].q) < 1e-8  # joint 7 at 0.5: the generating one


def test_relative_to_a_base_frame():
    ur5 = kinejac.load("ur5")
    q = ur5.random_configuration(10)
    T_base_tool = np.linalg.inv(kinejac.pose(ur5, q, "shoulder_link")) @ kinejac.pose(ur5, q, "tool0")
    with pytest.raises(kinejac.StructureError, match="5 free joint"):
        kinejac.solve_ik_all(ur5, T_base_tool, "tool0", base="shoulder_link")
    with pytest.raises(kinejac.InvalidValueError, match="not on the path"):
        kinejac.ik_structure(kinejac.load("kinejac_test_robot"), "left_tool", base="right_tool")
    base = "base_link"
    sols = kinejac.solve_ik_all(ur5, kinejac.pose(ur5, q, "tool0"), "tool0", base=base, q0=q)
    assert _angle_distance(ur5, q, sols.q[0]) < 1e-8


def test_solve_ik_with_the_analytic_method_returns_the_nearest():
    ur5 = kinejac.load("ur5")
    q = np.array([0.3, -1.1, 1.4, -0.9, 0.8, 0.2])
    T = kinejac.pose(ur5, q, "tool0")
    r = kinejac.solve_ik(ur5, T, "tool0", q0=q + 0.05, method="analytic")
    assert r.success and r.reason is IKReason.CONVERGED and np.allclose(r.q, q, atol=1e-9) and r.iterations == 0
    far = np.eye(4)
    far[:3, 3] = [2.0, 0.0, 0.0]
    miss = kinejac.solve_ik(ur5, far, "tool0", method="analytic")
    assert not miss.success and miss.reason is IKReason.UNREACHABLE and ur5.within_limits(miss.q)
    with pytest.raises(kinejac.InvalidValueError, match="full pose"):
        kinejac.solve_ik(ur5, T[:3, 3], "tool0", method="analytic")


def test_numeric_solver_seeded_by_the_closed_form():
    ur5 = kinejac.load("ur5")
    solver = kinejac.IKSolver(ur5, "tool0", analytic_seeds=True)
    Q = ur5.random_configuration(11, size=30)
    for q in Q:
        r = solver.solve(kinejac.pose(ur5, q, "tool0"))
        assert r.success and r.iterations == 0 and r.restarts == 0
    far = np.eye(4)
    far[:3, 3] = [2.0, 0.0, 0.0]
    assert not solver.solve(far).success  # the numeric solver still reports its closest configuration
    batch = solver.solve_batch(kinejac.pose(ur5, Q, "tool0"))
    assert batch.success.all() and (batch.iterations == 0).all()
    # a robot without a family: the option changes nothing
    planar = kinejac.IKSolver(kinejac.load("planar_2r"), "tool", analytic_seeds=True)
    assert planar.solve(np.array([1.2, 0.5, 0.0])).success


@pytest.mark.parametrize("spec", ["ur5", *ERD_UR[1:2]])
def test_solvers_start_from_the_nearest_closed_form_solution_by_default(spec):
    """IKSolver's default on a chain with a closed form: the answer is the solution nearest the start
    (solve_ik_all's first row), in zero iterations, single and batched alike; a start that already
    solves the target is kept; False runs the iterations from the start itself."""
    robot = kinejac.load(spec)
    default, numeric = kinejac.IKSolver(robot, "tool0"), kinejac.IKSolver(robot, "tool0", analytic_seeds=False)
    rng = np.random.default_rng(31)
    Q = robot.random_configuration(rng, size=40)
    starts = robot.random_configuration(rng, size=40)
    T = kinejac.pose(robot, Q, "tool0")
    iterations = []
    for t, q0 in zip(T, starts):
        r = default.solve(t, q0)
        nearest = kinejac.solve_ik_all(robot, t, "tool0", q0=q0).nearest
        assert r.success and r.iterations == 0 and r.restarts == 0
        np.testing.assert_allclose(r.q, nearest, rtol=0, atol=1e-12)
        assert max(_pose_errors(robot, r.q, "tool0", t)) < 1e-12 and robot.within_limits(r.q)
        iterations.append(numeric.solve(t, q0).iterations)
    assert np.mean(iterations) > 3  # the numeric path does iterate (so the default is not it)
    batch = default.solve_batch(T, starts)
    np.testing.assert_array_equal(batch.q, np.array([default.solve(t, q0).q for t, q0 in zip(T, starts)]))
    assert batch.success.all() and (batch.iterations == 0).all()
    # a start that already meets the tolerances is returned as it is
    kept = default.solve(T[0], Q[0])
    np.testing.assert_array_equal(kept.q, Q[0])
    # the history: the start, then the closed form's solution
    rec = kinejac.IKSolver(robot, "tool0", history=True).solve(T[1], starts[1])
    np.testing.assert_array_equal(rec.history[0], starts[1])
    np.testing.assert_array_equal(rec.history[-1], rec.q)
    assert len(rec.history) == 2


def test_closed_form_start_falls_back_to_the_iterations():
    """No closed-form solution (an unreachable target): the usual attempts and restarts, as without it."""
    ur5 = kinejac.load("ur5")
    far = np.eye(4)
    far[:3, 3] = [2.0, 0.0, 0.0]
    r = kinejac.IKSolver(ur5, "tool0").solve(far)
    assert not r.success and r.restarts > 0 and ur5.within_limits(r.q)
    # the closed form has nothing within reach: the closest configuration, as the numeric solver finds it
    numeric = kinejac.IKSolver(ur5, "tool0", analytic_seeds=False).solve(far)
    np.testing.assert_array_equal(r.q, numeric.q)
    assert r.iterations == numeric.iterations and r.reason is numeric.reason


def test_core_refuses_a_closed_form_of_another_task():
    ur5, planar = kinejac.load("ur5"), kinejac.load("planar_3r")
    closed = AnalyticIK(ur5, "tool0")._core
    solver = kinejac.IKSolver(planar, "tool")
    model, tasks = solver._model, solver._pose_task
    out = np.empty(planar.nq)
    with pytest.raises(kinejac.KinejacError, match="closed form was built for another"):
        kinejac.core.solve(model, tasks, kinejac.core.Options(), np.eye(4), np.zeros(planar.nq), 0, 0, out, None,
                           closed)  # fmt: skip


def test_analytic_ik_object_and_branches():
    ur5 = kinejac.load("ur5")
    ik = AnalyticIK(ur5, "tool0")
    q = np.array([0.3, -1.1, 1.4, -0.9, 0.8, 0.2])
    b = ik.branch_of(q)
    assert b is not None
    q2 = q + np.array([0.02, -0.01, 0.02, 0.01, -0.02, 0.01])  # nearby: the same branch
    assert ik.branch_of(q2) == b
    r = ik.nearest(kinejac.pose(ur5, q2, "tool0"), q, branch=b)
    assert r.success and np.allclose(r.q, q2, atol=1e-9)
    with pytest.raises(kinejac.InvalidValueError, match="full pose"):
        ik.solve(np.ones(3))
    with pytest.raises(kinejac.InvalidValueError):
        ik.solve(np.diag([1.0, 1.0, -1.0, 1.0]))  # not a rotation


def test_a_path_can_hold_its_branch():
    """Through the UR5's wrist singularity (wrist_2 crossing 0) the local solver follows the motion
    onto the other wrist branch; holding the branch stops the path there instead."""
    ur5 = kinejac.load("ur5")
    q0 = np.array([0.3, -1.1, 1.4, -0.9, 0.3, 0.2])
    q1 = q0 + np.array([0.1, 0.05, -0.1, 0.1, -0.6, 0.2])
    waypoints = [kinejac.pose(ur5, q0 + t * (q1 - q0), "tool0") for t in np.linspace(0.1, 1.0, 10)]
    ik = AnalyticIK(ur5, "tool0")
    assert ik.branch_of(q0) != ik.branch_of(q1)
    free = kinejac.solve_ik_path(ur5, waypoints, "tool0", q0)
    assert free.success and free.q[-1][4] < 0
    held = kinejac.solve_ik_path(ur5, waypoints, "tool0", q0, hold_branch=True)
    assert not held.success and 0.4 < held.fraction < 0.6 and (held.q[:, 4] >= -1e-9).all()
    assert all(ik.branch_of(q) == ik.branch_of(q0) for q in held.q[:-1])
    short = kinejac.solve_ik_path(ur5, waypoints[:3], "tool0", q0, hold_branch=True)
    assert short.success and np.abs(short.q[-1] - (q0 + 0.3 * (q1 - q0))).max() < 1e-9
    with pytest.raises(kinejac.InvalidValueError, match="mask"):
        kinejac.solve_ik_path(ur5, waypoints, "tool0", q0, hold_branch=True, mask=[1, 1, 1, 1, 1, 0])


def test_invalid_targets_in_a_batch_are_named_or_repaired():
    ur5 = kinejac.load("ur5")
    T = kinejac.pose(ur5, ur5.random_configuration(12, size=5), "tool0")
    T[2, 0, 0] += 1e-8  # within as_transform's tolerance: re-orthonormalised, as one solve does
    batch = kinejac.solve_ik_all(ur5, T, "tool0")
    assert batch.count[2] > 0 and np.array_equal(batch[2].q, kinejac.solve_ik_all(ur5, T[2], "tool0").q)
    T[3, 0, 0] = 2.0
    with pytest.raises(kinejac.InvalidValueError, match=r"targets\[3\]"):
        kinejac.solve_ik_all(ur5, T, "tool0")
    with pytest.raises(kinejac.ShapeError):
        kinejac.solve_ik_all(ur5, T[:, :3], "tool0")


# -- the fast door: a pose in one native call ---------------------------------------------------------------
def test_the_fast_door_gives_what_the_python_path_gives():
    ur5 = kinejac.load("ur5")
    ik = AnalyticIK(ur5, "tool0")
    rng = np.random.default_rng(31)
    Q = ur5.random_configuration(rng, size=10)
    T = list(kinejac.pose(ur5, Q, "tool0"))
    far = np.eye(4)
    far[:3, 3] = (3.0, 0.0, 0.0)
    reasons = set()
    for target, q0 in [(t, q) for t, q in zip(T, Q)] + [(t, None) for t in T[:3]] + [(far, Q[0])]:
        door = ik._door(target, q0)
        slow = ik.solve(np.asfortranarray(target), q0)  # not C-contiguous: the door leaves it to Python
        assert np.array_equal(ik.solve(pin.SE3(target), q0).rows, slow.rows)  # an SE3 goes in as its matrix
        assert type(door) is type(slow)
        assert np.array_equal(door.rows, slow.rows) and door.rows.shape == (len(slow), ur5.nq + 3)
        fields = ("reason", "singular", "candidates", "outside_limits", "not_converged", "structure")
        assert [getattr(door, f) for f in fields] == [getattr(slow, f) for f in fields]
        assert 0.0 < door.time < 1.0
        np.testing.assert_array_equal(kinejac.solve_ik_all(ur5, target, "tool0", q0=q0).q, slow.q)
        reasons.add(door.reason)
    assert reasons == {SolutionsReason.SOLVED, SolutionsReason.UNREACHABLE}
    # what the door does not take goes the Python way, which converts or explains it
    q, t = Q[0], T[0]
    for target, q0 in [(t.tolist(), q), (t.astype(np.float32), q), (t, q[:-1]), (np.full((4, 4), np.nan), q),
                       (t, np.full(6, np.nan))]:  # fmt: skip
        assert ik._door(target, q0) is None
    assert np.array_equal(ik.solve(t.tolist(), q).q, ik.solve(t, q).q)
    with pytest.raises(kinejac.KinejacError):
        kinejac.solve_ik_all(ur5, np.full((4, 4), np.nan), "tool0")
    with pytest.raises(kinejac.ShapeError):
        kinejac.solve_ik_all(ur5, t, "tool0", q0=q[:-1])


def test_the_fast_door_with_fixed_values_gives_what_the_python_path_gives():
    panda = kinejac.load("panda")
    ik = AnalyticIK(panda, "panda_hand_tcp", fixed={"panda_joint7": 0.4})  # with a default value
    rng = np.random.default_rng(32)
    Q = panda.random_configuration(rng, size=6)
    for q in Q:
        T = kinejac.pose(panda, q, "panda_hand_tcp")
        for q0, fixed in [(None, None), (q, None), (None, {"panda_joint7": q[6]}), (q, {"panda_joint7": q[6]})]:
            door, slow = ik.solve(T, q0, fixed=fixed), ik.solve(np.asfortranarray(T), q0, fixed=fixed)
            assert np.array_equal(door.rows, slow.rows) and door.reason is slow.reason
            joint7 = q[6] if fixed else 0.4  # the call's value, else the constructor's
            assert all(x[6] == joint7 for x in door.q)
        free = kinejac.solve_ik_all(panda, T, "panda_hand_tcp", q0=q, fixed={"panda_joint7": q[6]})
        assert _angle_distance(panda, q, free.nearest) < 1e-8  # the generating configuration, first
    with pytest.raises(kinejac.KinejacError, match="outside its limits"):
        ik.solve(T, fixed={"panda_joint7": 10.0})
    with pytest.raises(kinejac.KinejacError, match="panda_joint3"):
        ik.solve(T, fixed={"panda_joint3": 0.1})
