"""Collision-aware IK: the native core's sphere penalty against the numpy reference, and solves whose
successful answers are always free by the exact (coal) check."""

from __future__ import annotations

import numpy as np
import pinocchio as pin
import pytest

import kinejac
from kinejac import _core, core
from kinejac.collision import Box, Capsule, Cylinder, Sphere, in_collision
from kinejac.collision import reference as ref
from kinejac.collision.spheres import sphere_model
from kinejac.ik import IKReason, IKSolver
from kinejac.ik.seeds import stream_key

FRAME = "panda_hand_tcp"


@pytest.fixture(scope="module")
def panda():
    return kinejac.load("panda", locked_joints=["panda_finger_joint1"])


def _T(xyz, rpy=(0.0, 0.0, 0.0)):
    T = np.eye(4)
    T[:3, :3] = pin.rpy.rpyToMatrix(*rpy)
    T[:3, 3] = xyz
    return T


SCENE = [
    Box([1.0, 1.2, 0.02], _T([0.45, 0.0, -0.011]), name="table"),
    Box([0.3, 0.6, 0.02], _T([0.55, 0.0, 0.35]), name="shelf"),
    Capsule(0.05, 0.4, _T([0.3, 0.35, 0.3], (0.3, 0.0, 0.0)), name="pole"),
    Cylinder(0.06, 0.3, _T([0.2, -0.4, 0.4], (0.0, 0.4, 0.0)), name="can"),
    Sphere(0.08, [0.35, -0.2, 0.75], name="ball"),
]


def test_compiled_distances_match_the_reference():
    rng = np.random.default_rng(0)
    model = sphere_model(kinejac.load("planar_2r"), SCENE)
    for o in range(len(model.obstacle_kind)):
        for _ in range(200):
            c = model.obstacle_pose[o][:3, 3] + rng.normal(scale=0.2, size=3)
            r = rng.uniform(0.0, 0.05)
            n = np.empty(3)
            d = _core.sd_obstacle(c, r, model.obstacle_kind[o], model.obstacle_pose[o], model.obstacle_size[o], n)
            d_ref, n_ref = ref.sd_sphere_obstacle(
                c, r, model.obstacle_kind[o], model.obstacle_pose[o], model.obstacle_size[o]
            )
            assert d == pytest.approx(d_ref, abs=1e-12)
            assert np.abs(n - n_ref).max() < 1e-12


@pytest.mark.parametrize("case", [("panda", ["panda_finger_joint1"]), ("kinejac_test_robot", None)])
def test_compiled_penalty_and_gradient_match_the_reference(case, panda):
    name, lock = case
    robot = panda if name == "panda" else kinejac.load(name, locked_joints=lock)
    model = sphere_model(robot, SCENE)
    sph = (
        model.sphere_joint,
        model.sphere_center,
        model.sphere_radius,
        model.self_pairs,
        model.obstacle_kind,
        model.obstacle_pose,
        model.obstacle_size,
        model.obstacle_pairs,
    )
    bound = core.model_of(robot, sph)
    nv = robot.nv
    rng = np.random.default_rng(1)
    active = 0
    for q in robot.random_configuration(rng, 12):
        H, b = np.empty((nv, nv)), np.empty(nv)
        d0 = 0.03
        h, dmin = _core.penalty(bound, q, d0, H, b)
        h_ref, grad_ref = ref.penalty_gradient(robot, q, model, d0)
        d_self, d_obs = ref.pair_distances(robot, q, model)
        assert h == pytest.approx(h_ref, rel=1e-10, abs=1e-14)
        assert dmin == pytest.approx(min(d_self.min(initial=np.inf), d_obs.min(initial=np.inf)), abs=1e-12)
        assert np.abs(b - grad_ref).max() < 1e-10  # b = Σ r ∂r/∂q = ∇h
        assert np.allclose(H, H.T) and np.linalg.eigvalsh(H).min() > -1e-12  # Σ g gᵀ
        active += h > 0
    assert active >= 6  # the configurations exercised the active branch


def _free_targets(robot, scene, n, seed):
    return _free_targets_of(robot, FRAME, scene, n, seed)


def _free_targets_of(robot, frame, scene, n, seed):
    rng = np.random.default_rng(seed)
    Q = []
    while len(Q) < n:
        q = robot.random_configuration(rng)
        if not in_collision(robot, q, scene, self_collision=True):
            Q.append(q)
    return np.array(Q), kinejac.pose(robot, np.array(Q), frame)


def test_successful_answers_are_free_and_plain_ik_is_not(panda):
    _, T = _free_targets(panda, SCENE, 120, seed=2)
    aware = IKSolver(panda, FRAME, obstacles=SCENE, self_collision=True, timeout=None)
    plain = IKSolver(panda, FRAME, timeout=None)
    plain_collides = aware_ok = 0
    for Ti in T:
        a, p = aware.solve(Ti), plain.solve(Ti)
        plain_collides += p.success and in_collision(panda, p.q, SCENE, self_collision=True)
        if a.success:
            aware_ok += 1
            assert not in_collision(panda, a.q, SCENE, self_collision=True)
            assert max(a.position_error, a.rotation_error) <= 1e-6
            assert panda.within_limits(a.q, tol=0.0)
        else:
            assert a.reason is IKReason.COLLISION or a.reason is not IKReason.CONVERGED
    assert plain_collides >= 1  # the scene matters: plain IK answers into it
    assert aware_ok >= 0.97 * len(T)


def test_clearance_is_kept(panda):
    scene = SCENE[1:]  # without the table, which the base always sits 1 mm above
    _, T = _free_targets(panda, scene, 30, seed=3)
    solver = IKSolver(panda, FRAME, obstacles=scene, self_collision=True, clearance=0.01, timeout=None)
    checker = kinejac.collision.CollisionChecker(panda, scene, self_collision=True)
    solved = 0
    for Ti in T:
        res = solver.solve(Ti)
        if res.success:
            solved += 1
            assert checker.clearance(res.q).distance >= 0.01
    assert solved >= 20


def test_batch_equals_one_by_one_with_obstacles(panda):
    _, T = _free_targets(panda, SCENE, 40, seed=4)
    solver = IKSolver(panda, FRAME, obstacles=SCENE, self_collision=True, timeout=None)
    batch = solver.solve_batch(T, seed=7, threads=2)
    for i in range(len(T)):
        one = solver.solve(T[i], seed=(7, i))
        assert one.success == batch.success[i] and one.reason is batch.reason[i]
        assert np.array_equal(one.q, batch.q[i])
        if one.success:
            assert not in_collision(panda, one.q, SCENE, self_collision=True)


def test_solve_ik_takes_the_collision_options(panda):
    q = panda.random_configuration(5)
    while in_collision(panda, q, SCENE, self_collision=True):
        q = panda.random_configuration(np.random.default_rng(int(q[0] * 1e6) % 2**32))
    T = kinejac.pose(panda, q, FRAME)
    res = kinejac.solve_ik(panda, T, FRAME, obstacles=SCENE, self_collision=True)
    assert res.success and not in_collision(panda, res.q, SCENE, self_collision=True)
    again = kinejac.solve_ik(panda, T, FRAME, obstacles=list(SCENE), self_collision=True)
    assert np.array_equal(res.q, again.q)


def test_bad_collision_options_raise(panda):
    with pytest.raises(kinejac.InvalidValueError, match="needs method 'lm' or 'gn'"):
        IKSolver(panda, FRAME, method="dls", obstacles=SCENE)
    with pytest.raises(kinejac.InvalidValueError, match="clearance"):
        IKSolver(panda, FRAME, obstacles=SCENE, clearance=-0.1)
    with pytest.raises(kinejac.KinejacError, match="not an obstacle"):
        IKSolver(panda, FRAME, obstacles=[object()])
    bare = kinejac.Robot(panda.model)  # no URDF: no collision geometry
    with pytest.raises(kinejac.InvalidValueError, match="no <collision> elements"):
        IKSolver(bare, FRAME, self_collision=True)


@pytest.mark.parametrize("with_spheres", [False, True])
def test_the_bound_model_holds_the_tree_and_spheres(panda, with_spheres):
    m = sphere_model(panda, SCENE)
    sph = (m.sphere_joint, m.sphere_center, m.sphere_radius, m.self_pairs, m.obstacle_kind, m.obstacle_pose,
           m.obstacle_size, m.obstacle_pairs)  # fmt: skip
    bound = core.model_of(panda, sph if with_spheres else None)
    tree = core.tree_of(panda)
    assert (bound.nq, bound.nv, bound.njoints, bound.nframes) == (7, 7, len(tree.jf), len(tree.ff))
    assert bound.nspheres == (len(m.sphere_radius) if with_spheres else 0) and len(m.self_pairs) > 0
    assert core.model_of(panda) is core.model_of(panda)  # built once per robot
    fid = panda.frame_id(FRAME)
    assert bound.support([fid]) == core.support(tree, [fid]).tolist() == list(range(1, 8))
    if with_spheres:  # the distances the core computes are those of its own spheres
        C = np.zeros((len(m.sphere_radius), 3))
        d, N = np.empty(len(m.obstacle_pairs)), np.empty((len(m.obstacle_pairs), 3))
        _core.obstacle_distances(bound, C, d, N)
        s, o = m.obstacle_pairs[0]
        kind, pose, size = m.obstacle_kind[o], m.obstacle_pose[o], m.obstacle_size[o]
        want = ref.sd_sphere_obstacle(C[s], m.sphere_radius[s], kind, pose, size)
        assert d[0] == pytest.approx(want[0], abs=1e-12)


def test_a_malformed_model_is_refused_with_a_kinejac_error(panda):
    m = sphere_model(panda, SCENE)
    sph = [m.sphere_joint, m.sphere_center, m.sphere_radius, m.self_pairs, m.obstacle_kind, m.obstacle_pose,
           m.obstacle_size, m.obstacle_pairs]  # fmt: skip
    bad_pairs = sph.copy()
    bad_pairs[3] = m.self_pairs + len(m.sphere_radius)  # sphere indices past the end
    with pytest.raises(kinejac.KinejacError, match="self_pairs entry is"):
        core.model_of(panda, tuple(bad_pairs))
    bad_shape = sph.copy()
    bad_shape[1] = m.sphere_center[:, :2]
    with pytest.raises(kinejac.KinejacError, match=r"expected sphere_center of shape \(\d+, 3\), got \(\d+, 2\)"):
        core.model_of(panda, tuple(bad_shape))
    tree = list(core.tree_of(panda))
    tree[1] = tree[1].copy()
    tree[1][3, 0] = 5  # joint 3's parent after it
    with pytest.raises(kinejac.KinejacError, match="the parent of joint 3 is 5"):
        core._build(core.Tree(*tree), core._NO_SPHERES)


def test_the_closed_form_the_candidates_come_from(panda):
    from kinejac.ik.analytic import analytic_solver, candidate_closed_form

    # the Panda: 7 joints; fixing joint 7 (nearest the frame) or 4 leaves a closed form, the others a search
    assert candidate_closed_form(panda, FRAME) is analytic_solver(panda, FRAME, fixed=("panda_joint7",)).native
    ur5 = kinejac.load("ur5")
    assert candidate_closed_form(ur5, "tool0") is analytic_solver(ur5, "tool0").native  # its own, nothing fixed
    planar = kinejac.load("planar_2r")
    assert candidate_closed_form(planar, planar.model.frames[-1].name) is None


def test_candidates_from_the_closed_form_come_before_random_starts(panda):
    _, T = _free_targets(panda, SCENE, 200, seed=5)
    solver = IKSolver(panda, FRAME, obstacles=SCENE, self_collision=True, timeout=None)
    plain = IKSolver(panda, FRAME, timeout=None)
    model, task, world = core.model_of(panda), solver._pose_task, solver._world
    closed = solver._free_analytic
    q0 = (panda.lower + panda.upper) / 2
    colliding = from_closed = 0
    for i, Ti in enumerate(T):
        first = plain.solve(Ti, q0=q0, seed=(0, i))
        if not (first.success and in_collision(panda, first.q, SCENE, self_collision=True)):
            continue
        colliding += 1
        got = {}
        for name, analytic in (("closed", closed), ("random", None)):
            q = np.empty(panda.nq)
            perr, rerr, _, _, it, _, reason, checked = core.solve_free(
                model, task, solver._opts, world, 0.0, 500, Ti, q0, stream_key(0), i, q, analytic
            )
            got[name] = (q, perr, rerr, it, reason, checked)
        q, perr, rerr, it, reason, checked = got["closed"]
        assert reason == 0 and checked >= 2
        assert not in_collision(panda, q, SCENE, self_collision=True)
        assert max(perr, rerr) <= 1e-6 and panda.within_limits(q, tol=0.0)
        np.testing.assert_allclose(kinejac.pose(panda, q, FRAME), Ti, atol=1e-9)
        from_closed += it == first.iterations  # no iteration after the first solve: an exact candidate was free
        assert got["random"][3] > first.iterations or got["random"][4] != 0  # random starts iterate
    assert colliding >= 8, colliding  # the scene matters
    assert from_closed == colliding


def test_bad_closed_form_options_are_refused_by_the_core(panda):
    from kinejac.ik.analytic import analytic_solver

    solver = IKSolver(panda, FRAME, obstacles=SCENE, self_collision=True)
    T, q0, q = kinejac.pose(panda, panda.neutral(), FRAME), panda.neutral(), np.empty(panda.nq)
    args = (core.model_of(panda), solver._pose_task, solver._opts, solver._world, 0.0, 10, T, q0, 0, 0, q)
    with pytest.raises(kinejac.KinejacError, match="sweeps must be >= 1, got 0"):
        core.solve_free(*args, solver._free_analytic, 0)
    ur5 = kinejac.load("ur5")
    with pytest.raises(kinejac.KinejacError, match="closed form was built for another robot"):
        core.solve_free(*args, analytic_solver(ur5, "tool0").native)


def test_batch_equals_one_by_one_with_obstacles_on_a_six_joint_closed_form():
    ur5 = kinejac.load("ur5")
    scene = [Box([0.2, 0.2, 0.6], _T([0.35, 0.2, 0.3]), name="post"), Sphere(0.1, [0.3, -0.3, 0.4], name="ball")]
    _, T = _free_targets_of(ur5, "tool0", scene, 40, seed=6)
    solver = IKSolver(ur5, "tool0", obstacles=scene, self_collision=True, timeout=None)
    batch = solver.solve_batch(T, seed=7, threads=2)
    assert batch.success.mean() >= 0.95
    for i in range(len(T)):
        one = solver.solve(T[i], seed=(7, i))
        assert one.success == batch.success[i] and np.array_equal(one.q, batch.q[i])
        if one.success:
            assert not in_collision(ur5, one.q, scene, self_collision=True)
