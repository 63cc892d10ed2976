"""The native core against pinocchio (the oracle): kinematics on every robot that loads, the SE(3)
maps, integration on the manifold, the limits, the restart streams and the small solves; and the
installed package against what it must not need (numba) or do (write into itself)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pinocchio as pin
import pytest
from conftest import ROBOT_CASES, get_robot
from hypothesis import given
from hypothesis import strategies as st
from test_properties import PROFILE
from urdf_gen import robot_specs

import kinejac
from kinejac import _core, core
from kinejac.core.tree import ANGLE, HOLD, WRAP

ERD = sorted(n for n in kinejac.available_robots() if n.startswith("erd:"))


def _compiled_pose_jacobian(robot, q, fid):
    T, J = core.frames(robot, q[None], fid, None, int(pin.LOCAL_WORLD_ALIGNED), jacobian=True)
    return T[0, :3, :3], T[0, :3, 3], J[0]


def _assert_kinematics_match(robot, frames, n=4, seed=0):
    model, data = robot.model, robot.model.createData()
    for q in robot.random_configuration(np.random.default_rng(seed), n):
        pin.computeJointJacobians(model, data, q)
        pin.updateFramePlacements(model, data)
        for f in frames:
            fid = robot.frame_id(f)
            R, p, J = _compiled_pose_jacobian(robot, q, fid)
            M = data.oMf[fid]
            scale = max(1.0, np.abs(M.translation).max())
            assert np.abs(R - M.rotation).max() < 1e-12, (robot.name, f)
            assert np.abs(p - M.translation).max() < 1e-12 * scale, (robot.name, f)
            if robot.nv == 0:  # pinocchio crashes on a 6 x 0 frame Jacobian
                continue
            J_ref = pin.getFrameJacobian(model, data, fid, pin.LOCAL_WORLD_ALIGNED).reshape(6, -1)
            assert np.abs(J - J_ref).max() < 1e-12 * scale, (robot.name, f)


@pytest.mark.parametrize("case", sorted(ROBOT_CASES))
def test_compiled_kinematics_match_pinocchio_on_the_bundled_robots(case):
    robot, _ = get_robot(case)
    _assert_kinematics_match(robot, robot.frame_names[1:], n=6)


@pytest.mark.parametrize("case", sorted(ROBOT_CASES))
def test_batched_poses_and_jacobians_match_pinocchio_in_every_reference(case):
    robot, frame = get_robot(case)
    model, data = robot.model, robot.model.createData()
    Q = robot.random_configuration(np.random.default_rng(3), 5)
    fid = robot.frame_id(frame)
    point = np.array([0.03, -0.02, 0.05])
    for ref in (pin.WORLD, pin.LOCAL, pin.LOCAL_WORLD_ALIGNED):
        for offset in (None, point):
            T, J = core.frames(robot, Q, fid, offset, int(ref), jacobian=True)
            assert T.shape == (5, 4, 4) and J.shape == (5, 6, robot.nv)
            for b, q in enumerate(Q):
                pin.computeJointJacobians(model, data, q)
                pin.updateFramePlacements(model, data)
                M = data.oMf[fid] if offset is None else data.oMf[fid] * pin.SE3(np.eye(3), offset)
                J_ref = pin.getFrameJacobian(model, data, fid, ref).reshape(6, -1)
                if offset is not None and ref != pin.WORLD:  # the point rigidly attached: v + ω × r
                    r = offset if ref == pin.LOCAL else data.oMf[fid].rotation @ offset
                    J_ref[:3] += np.cross(J_ref[3:].T, r).T
                assert np.abs(T[b] - M.homogeneous).max() < 1e-12, (case, ref, b)
                assert np.abs(J[b] - J_ref).max() < 1e-12, (case, ref, b)
    T, J = core.frames(robot, Q, fid, None, int(pin.LOCAL), jacobian=False)
    assert J is None and T.shape == (5, 4, 4)
    frozen = Q.copy()
    frozen.flags.writeable = False  # read-only input: the same compiled signature, the same numbers
    np.testing.assert_array_equal(core.frames(robot, frozen, fid, None, int(pin.LOCAL), jacobian=False)[0], T)


@pytest.mark.skipif(not ERD, reason="example-robot-data is not installed")
def test_compiled_kinematics_match_pinocchio_on_every_example_robot_data_model_that_loads():
    loaded = 0
    for name in ERD:
        try:
            robot = kinejac.load(name)
        except kinejac.URDFError:  # a few models need files or features pinocchio lacks
            continue
        loaded += 1
        frames = robot.frame_names[1:]
        _assert_kinematics_match(robot, frames[:: max(1, len(frames) // 12)], n=2)
    assert loaded >= 50


@given(spec=robot_specs(), seed=st.integers(0, 2**32 - 1))
@PROFILE
def test_compiled_kinematics_match_pinocchio_on_generated_robots(spec, seed):
    with tempfile.TemporaryDirectory() as folder:
        robot = kinejac.load(spec.write(folder), root_joint=spec.root_joint)
    _assert_kinematics_match(robot, robot.frame_names[1:], n=2, seed=seed)


def _random_poses(rng):
    Ms = [pin.SE3.Random() for _ in range(40)]
    # small angles (Taylor branch), no rotation, and angles close to π (axis from the symmetric part)
    Ms += [pin.SE3(pin.exp3(rng.normal(size=3) * s), rng.normal(size=3)) for s in (0.0, 1e-9, 1e-5, 1e-3, 0.01)]
    for d in (0.2, 1e-3, 1e-6, 1e-9, 1e-12):
        u = rng.normal(size=3)
        Ms.append(pin.SE3(pin.exp3(u / np.linalg.norm(u) * (np.pi - d)), rng.normal(size=3)))
    return Ms


def test_log_maps_and_their_jacobians_match_pinocchio():
    pin.seed(3)
    for k, M in enumerate(_random_poses(np.random.default_rng(0))):
        e, w = np.empty(6), np.empty(3)
        A, C = np.empty((3, 3)), np.empty((3, 3))
        t = _core.log6_jlog6(M.rotation, M.translation, e, A, C)
        assert np.abs(e - pin.log6(M).vector).max() < 1e-9, k
        assert t == pytest.approx(np.linalg.norm(pin.log3(M.rotation)), abs=1e-9)
        assert _core.log3(M.rotation, w) == pytest.approx(t, abs=1e-12) and np.array_equal(w, e[3:])
        J = np.block([[A, C @ A], [np.zeros((3, 3)), A]])
        assert np.abs(J - pin.Jlog6(M)).max() < 1e-7, k
        _core.jlog3(e[3:], t, A)
        assert np.abs(A - pin.Jlog3(M.rotation)).max() < 1e-7, k


def test_sincos_matches_the_c_library_in_every_quadrant():
    rng = np.random.default_rng(4)
    x = np.concatenate([
        rng.uniform(-4.0, 4.0, 20_000), rng.uniform(-1e5, 1e5, 20_000), np.arange(-64, 65) * (np.pi / 4),
        [0.0, -0.0, 1e-300, -1e-12, 2.0**20 - 1.0, 2.0**20, -(2.0**21), 1e15],
    ])  # fmt: skip
    s, c = np.empty_like(x), np.empty_like(x)
    _core.sincos(x, s, c)
    assert np.abs(s - np.sin(x)).max() < 1e-15 and np.abs(c - np.cos(x)).max() < 1e-15
    out = np.empty(3), np.empty(3)
    _core.sincos(np.array([np.nan, np.inf, -np.inf]), *out)
    assert np.isnan(out[0]).all() and np.isnan(out[1]).all()


def test_atan2_matches_the_c_library_in_every_quadrant():
    """The inline atan2 of the closed forms: within two units in the last place of numpy's."""
    rng = np.random.default_rng(8)
    r = 10.0 ** rng.uniform(-8, 8, 40_000)
    t = rng.uniform(-np.pi, np.pi, 40_000)
    edges_y = [0.0, 1.0, -1.0, 1e-300, 3.0, -3.0, 2.414213562373095, 0.66]  # the reduction's switch points last
    edges_x = [1.0, 0.0, 0.0, -1.0, -1.0, -1.0, 1.0, 1.0]
    y = np.concatenate([r * np.sin(t), edges_y, rng.uniform(-1, 1, 1000)])
    x = np.concatenate([r * np.cos(t), edges_x, rng.uniform(-1, 1, 1000)])
    out = np.empty_like(y)
    _core.atan2(y, x, out)
    ref = np.arctan2(y, x)
    assert (np.abs(out - ref) <= 2 * np.spacing(np.abs(ref))).all()
    _core.atan2(np.array([np.nan, 1.0, np.inf]), np.array([1.0, np.nan, np.inf]), out[:3])
    assert np.isnan(out[:2]).all() and out[2] == np.arctan2(np.inf, np.inf)


def test_exp_maps_and_quaternions_match_pinocchio():
    rng = np.random.default_rng(1)
    for s in (0.0, 1e-8, 1e-4, 0.5, 3.0):
        w, v = rng.normal(size=3) * s, rng.normal(size=3)
        R, out = np.empty((3, 3)), np.empty(3)
        M = pin.exp6(np.r_[v, w])
        _core.exp3_left(w, v, out)
        assert np.abs(out - M.translation).max() < 1e-14
        quat = pin.Quaternion(M.rotation)
        _core.quat_to_rot(quat.x, quat.y, quat.z, quat.w, R)
        assert np.abs(R - M.rotation).max() < 1e-14


@pytest.mark.parametrize("case", ["test_floating", "test_planar", "test_left", "panda", "ur5"])
def test_integration_matches_pinocchio_on_the_manifold(case):
    robot, _ = get_robot(case)
    model = core.model_of(robot)
    rng = np.random.default_rng(4)
    out = np.empty(robot.nq)
    for q in robot.random_configuration(rng, 10):
        for scale in (1e-9, 0.1, 2.0):
            d = rng.normal(size=robot.nv) * scale
            _core.integrate(model, q, d, out)
            want = pin.integrate(robot.model, q, d)
            # quaternions may differ in sign only: compare the configurations' poses and the rest
            assert (
                np.abs(
                    kinejac.pose(robot, out, ROBOT_CASES[case][2]) - kinejac.pose(robot, want, ROBOT_CASES[case][2])
                ).max()
                < 1e-12
            )
            assert np.abs(pin.difference(robot.model, want, out)).max() < 1e-12


def test_random_configurations_lie_within_the_limits_and_follow_the_spread():
    robot = kinejac.load("panda", locked_joints=["panda_finger_joint1"])
    model = core.model_of(robot)
    state = np.array([_core.seed_state(7, 0)], dtype=np.uint64)
    q = np.empty(robot.nq)
    draws = []
    for _ in range(2000):
        _core.random_configuration(model, 0.5, state, q)
        draws.append(q.copy())
    draws = np.array(draws)
    mid, half = (robot.lower + robot.upper) / 2, (robot.upper - robot.lower) / 2
    assert (np.abs(draws - mid) <= 0.5 * half + 1e-12).all()
    assert (np.abs(draws - mid).max(axis=0) > 0.49 * half).all()  # the whole middle half is used
    # uniform: the mean of each joint is the middle, within 4 standard errors
    assert (np.abs(draws.mean(axis=0) - mid) < 4 * (0.5 * half / math.sqrt(3)) / math.sqrt(2000)).all()
    # floating bases: unit quaternions, translations in ±1 m
    floating, _ = get_robot("test_floating")
    q = np.empty(floating.nq)
    _core.random_configuration(core.model_of(floating), 1.0, state, q)
    assert np.linalg.norm(q[3:7]) == pytest.approx(1.0, abs=1e-12) and (np.abs(q[:3]) <= 1.0).all()
    assert floating.within_limits(q)


def test_restart_streams_are_reproducible_and_independent():
    def draws(key, index, n=5):
        state = np.array([_core.seed_state(key, index)], dtype=np.uint64)
        return [_core.uniform(state) for _ in range(n)]

    assert draws(1, 0) == draws(1, 0)
    assert draws(1, 0) != draws(1, 1) and draws(1, 0) != draws(2, 0)
    u = np.array(draws(5, 3, 20000))
    assert 0.0 <= u.min() and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.01


def test_limits_wrap_hold_and_give_angles_nearest_the_seed():
    ur5 = kinejac.load("ur5")  # ±2π: full turns, wrapped
    tree, model = core.tree_of(ur5), core.model_of(ur5)
    assert (tree.mode == WRAP).all()
    q = np.array([7.0, -7.0, 0.0, 0.0, 0.0, 0.0])
    taken = np.zeros(6)
    assert not _core.project(model, q, taken)
    assert q[0] == pytest.approx(7.0 - 2 * np.pi) and q[1] == pytest.approx(-7.0 + 2 * np.pi)
    q = np.array([-5.857, 0.3, 6.0, 0.0, 0.0, 0.0])
    _core.nearest_to_seed(model, q, np.zeros(6))
    assert q[0] == pytest.approx(-5.857 + 2 * np.pi) and q[2] == pytest.approx(6.0 - 2 * np.pi) and q[1] == 0.3
    panda = kinejac.load("panda", locked_joints=["panda_finger_joint1"])
    tree, model = core.tree_of(panda), core.model_of(panda)
    assert (tree.mode == HOLD).all()
    q = (panda.lower + panda.upper) / 2
    q[3] = panda.upper[3]
    mask = np.zeros(7, dtype=bool)
    assert _core.blocked(model, q, -np.ones(7), mask) and mask.tolist() == [False] * 3 + [True] + [False] * 3
    assert not _core.blocked(model, q, np.ones(7), mask) and not mask.any()
    q[3] += 0.5
    taken = np.zeros(7)
    assert _core.project(model, q, taken) and q[3] == panda.upper[3] and taken[3] == pytest.approx(-0.5)


def test_absurd_limits_are_unbounded():
    if "erd:iris" not in ERD:
        pytest.skip("example-robot-data's iris is not installed")
    iris = kinejac.load("erd:iris")
    assert np.isinf(iris.lower).any()
    assert (np.abs(iris.random_configuration(0, 100)) <= max(np.pi, 1.0) + 1e-12).all()
    report = kinejac.check_derivatives(iris, iris.frame_names[-1])
    assert report.ok, report
    tree = core.tree_of(iris)
    assert (tree.mode[np.isinf(iris.lower) & np.isinf(iris.upper)] == ANGLE).all()
    T = kinejac.pose(iris, np.array([0.3, 7.0, -0.2, 1.0]), iris.frame_names[-1])
    res = kinejac.solve_ik(iris, T, iris.frame_names[-1], mask=[0, 0, 0, 1, 1, 1])
    assert res.success and (np.abs(res.q) <= np.pi).all()  # plain angles, nearest the start (0)


def test_damped_step_matches_lapack():
    rng = np.random.default_rng(7)
    for m, n in ((6, 7), (6, 6), (3, 7), (6, 3), (12, 7)):
        for lam in (1e-9, 1e-3, 10.0):
            J, e = rng.normal(size=(m, n)), rng.normal(size=m)
            J[:, 0] = 0.0 if m > 3 else J[:, 0]  # rank-deficient: definite only through the damping
            mask = np.zeros(n, dtype=bool)
            mask[n - 1] = True
            Jf = J * ~mask
            if m <= n:  # the m x m system, as the core solves it
                S = Jf @ Jf.T + lam * np.eye(m)
                want = -Jf.T @ np.linalg.solve(S, e)
            else:
                S = Jf.T @ Jf + lam * np.eye(n)
                want = -np.linalg.solve(S, Jf.T @ e)
            tol = 1e-14 * np.linalg.cond(S) * max(1.0, np.abs(want).max())  # both solves err by cond · ε
            d = np.empty(n)
            _core.damped_step(Jf, e, m, lam, d, np.zeros((n, n)), np.zeros(n), False)
            assert np.abs(d - want).max() < tol, (m, n, lam)
    # not positive definite: the least-squares fallback
    J, e = rng.normal(size=(6, 7)), rng.normal(size=6)
    d = np.empty(7)
    _core.damped_step(J, e, 6, -50.0, d, np.zeros((7, 7)), np.zeros(7), False)
    want = -J.T @ np.linalg.solve(J @ J.T - 50.0 * np.eye(6), e)
    assert np.abs(d - want).max() < 1e-8 * max(1.0, np.abs(want).max())


def test_threads_default_is_settable(monkeypatch):
    monkeypatch.setenv("KINEJAC_THREADS", "3")
    assert core.default_threads() == 3
    monkeypatch.delenv("KINEJAC_THREADS")
    assert core.default_threads() >= 1


def test_damped_step_with_extra_terms_matches_lapack():
    rng = np.random.default_rng(8)
    J, e = rng.normal(size=(6, 7)), rng.normal(size=6)
    G = rng.normal(size=(3, 7))
    H, b = G.T @ G, rng.normal(size=7)  # more residuals' Gauss-Newton terms
    d = np.empty(7)
    _core.damped_step(J, e, 6, 1e-3, d, H, b, True)
    want = -np.linalg.solve(J.T @ J + H + 1e-3 * np.eye(7), J.T @ e + b)
    assert np.abs(d - want).max() < 1e-10 * max(1.0, np.abs(want).max())


def test_the_installed_package_runs_without_numba_and_writes_nothing_into_itself(tmp_path):
    """A fresh process imports kinejac and solves with numba unimportable, and leaves no file behind
    in the package (no cache next to the sources: the install is read-only to itself)."""
    package = Path(kinejac.__file__).parent
    before = {p for p in package.rglob("*") if "__pycache__" not in p.parts}
    blocker = tmp_path / "numba.py"
    blocker.write_text("raise ImportError('numba is not a dependency of kinejac')\n")
    code = (
        "import sys, kinejac\n"
        "robot = kinejac.load('ur5')\n"
        "T = kinejac.pose(robot, robot.random_configuration(0), 'tool0')\n"
        "assert kinejac.solve_ik(robot, T, 'tool0').success\n"
        "assert kinejac.jacobian(robot, robot.random_configuration(0, size=3), 'tool0').shape == (3, 6, 6)\n"
        "assert not any(m.split('.')[0] in ('numba', 'llvmlite') for m in sys.modules), 'numba was imported'\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "PYTHONDONTWRITEBYTECODE": "1"}  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    after = {p for p in package.rglob("*") if "__pycache__" not in p.parts}
    assert after == before


def test_bound_calls_check_their_arrays():
    robot = kinejac.load("ur5")
    model = core.model_of(robot)
    with pytest.raises(kinejac.KinejacError, match=r"expected q of shape \(6,\), got \(5,\)"):
        _core.integrate(model, np.zeros(5), np.zeros(6), np.empty(6))
    with pytest.raises(TypeError):  # an output must be the exact array: never a silent copy
        _core.integrate(model, np.zeros(6), np.zeros(6), np.empty(6, dtype=np.float32))
    with pytest.raises(kinejac.KinejacError, match="the frame id is 999"):
        _core.frames(model, np.zeros((1, 6)), 999, np.zeros(3), 0, np.empty((1, 4, 4)), None, 1)
    panda = kinejac.load("panda", locked_joints=["panda_finger_joint1"])
    fid = panda.frame_id("panda_hand_tcp")
    tasks = core.Tasks(core.model_of(panda), np.array([[fid, -1, 1]]), np.ones((1, 6)), np.arange(1, 8))
    with pytest.raises(kinejac.KinejacError, match="built for another robot"):  # the Panda's tasks, the UR5
        _core.solve(model, tasks, core.Options(), np.eye(4), np.zeros(6), 0, 0, np.empty(6), None)


def test_the_fast_doors_refuse_what_they_cannot_serve():
    from kinejac.ik import IKResult, IKSolver
    from kinejac.ik.analytic import _REASONS as ALL_REASONS
    from kinejac.ik.analytic import IKSolutions, analytic_solver
    from kinejac.ik.solvers import _REASONS

    ur5 = kinejac.load("ur5")
    solver = IKSolver(ur5, "tool0")
    model, task, opts = solver._model, solver._pose_task, solver._opts
    mid = solver._mid
    with pytest.raises(kinejac.KinejacError, match=r"mid must be a C-contiguous float64 array of shape \(nq,\)"):
        core.PoseDoor(model, task, opts, None, mid[:-1], 1, 2, IKResult, _REASONS)
    with pytest.raises(kinejac.KinejacError, match="another robot"):  # tasks of the Panda on the UR5's model
        panda = IKSolver(kinejac.load("panda"), "panda_hand_tcp")
        core.PoseDoor(model, panda._pose_task, opts, None, mid, 1, 2, IKResult, _REASONS)
    with pytest.raises(kinejac.KinejacError, match=r"expected a Model, got kinejac\._core\.Tasks"):
        core.PoseDoor(task, model, opts, None, mid, 1, 2, IKResult, _REASONS)
    # a reason the given tuple lacks is an error, not a crash
    door = core.PoseDoor(model, task, opts, None, mid, 1, 2, IKResult, ()).solve
    with pytest.raises(kinejac.KinejacError, match="reason code 0 has no entry"):
        door(kinejac.pose(ur5, mid, "tool0"), None)
    ik = analytic_solver(ur5, "tool0")
    with pytest.raises(kinejac.KinejacError, match="mid must be"):
        core.AllDoor(ik.native, mid.astype(np.float32), IKSolutions, ALL_REASONS, ik.structure)
    all_door = core.AllDoor(ik.native, mid, IKSolutions, ALL_REASONS, ik.structure).solve
    T = kinejac.pose(ur5, ur5.random_configuration(np.random.default_rng(3)), "tool0")
    assert np.array_equal(all_door(T, None).rows, ik.solve(np.asfortranarray(T)).rows)
