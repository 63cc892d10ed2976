"""Batched IK: the vectorised solver gives the answers of the one-by-one solver."""

from __future__ import annotations

import numpy as np
import pinocchio as pin
import pytest

import kinejac
from kinejac.errors import InvalidValueError, KinejacError, ShapeError
from kinejac.ik import IKBatchResult, IKReason, IKSolver, solve_ik_batch
from kinejac.ik import batch as batch_module
from kinejac.ik.batch import jlog6_batch, log6_batch
from kinejac.ik.chain import ChainKinematics


@pytest.mark.parametrize(
    ("name", "frame", "lock"),
    [
        ("ur5", "tool0", None),
        ("panda", "panda_hand_tcp", ["panda_finger_joint1"]),
        ("planar_3r", "tool", None),
        # continuous (cos, sin) and mimic joints: pinocchio kinematics per sample, manifold steps
        ("kinejac_test_robot", "left_tool", None),
    ],
)
def test_batched_equals_one_by_one(name, frame, lock):
    robot = kinejac.load(name, locked_joints=lock)
    rng = np.random.default_rng(31)
    T = kinejac.pose(robot, robot.random_configuration(rng, 60), frame)
    if name == "ur5":  # and a few unreachable targets, which run out their restarts
        T[:3, :3, 3] += 2.0
    solver = IKSolver(robot, frame, timeout=None, max_restarts=12)
    batch = solver.solve_batch(T, seed=5)
    assert isinstance(batch, IKBatchResult) and len(batch) == 60
    for i in range(60):
        one = solver.solve(T[i], seed=(5, i))
        assert one.success == batch.success[i]
        assert one.reason is batch.reason[i]
        assert one.iterations == batch.iterations[i] and one.restarts == batch.restarts[i]
        assert np.abs(one.q - batch.q[i]).max() < 1e-6
        assert batch[i].position_error == pytest.approx(one.position_error, abs=1e-9)
    assert batch.success.sum() == (57 if name == "ur5" else 60)
    assert robot.within_limits(batch.q, tol=0.0).all()


def test_attempts_run_ahead_keep_the_answers(monkeypatch):
    # many samples: the hard ones (needing restarts) end with their later attempts run ahead in spare rows
    robot = kinejac.load("panda", locked_joints=["panda_finger_joint1"])
    T = kinejac.pose(robot, robot.random_configuration(np.random.default_rng(2), 400), "panda_hand_tcp")
    solver = IKSolver(robot, "panda_hand_tcp", timeout=None, max_restarts=40)
    batch = solver.solve_batch(T, seed=1)
    hard = np.flatnonzero(batch.restarts >= 3)
    assert len(hard) >= 3
    for i in hard[:6]:
        one = solver.solve(T[i], seed=(1, int(i)))
        assert one.restarts == batch.restarts[i] and one.iterations == batch.iterations[i]
        assert np.abs(one.q - batch.q[i]).max() < 1e-6
    # and the same answers with every attempt run in turn
    monkeypatch.setattr(batch_module, "_LANES", 0)
    in_turn = solver.solve_batch(T, seed=1)
    assert np.array_equal(in_turn.iterations, batch.iterations) and np.array_equal(in_turn.restarts, batch.restarts)
    assert np.array_equal(in_turn.reason, batch.reason)
    assert np.abs(in_turn.q - batch.q).max() < 1e-9


def test_damped_solve_cholesky_matches_lapack():
    rng = np.random.default_rng(7)
    n = batch_module._SOA_SOLVE + 20  # the batch-last Cholesky
    J = rng.normal(size=(n, 6, 7))
    J[:5, :, 3:] = 0.0  # rank 3: positive definite only through the damping
    e = rng.normal(size=(n, 6))
    lam = 10.0 ** rng.uniform(-8, 1, size=n)
    lam[7] = -50.0  # indefinite: the Cholesky fails, LU takes over
    A = J @ np.swapaxes(J, 1, 2) + lam[:, None, None] * np.eye(6)
    want = np.linalg.solve(A, e[:, :, None])[:, :, 0]
    got = batch_module._damped_solve(J, e, lam)
    assert np.isfinite(got).all()
    assert np.abs(got - want).max() < 1e-9 * max(1.0, np.abs(want).max())
    few = batch_module._damped_solve(J[:10], e[:10], lam[:10])  # numpy's stacked LAPACK solve
    assert np.abs(few - want[:10]).max() < 1e-9 * max(1.0, np.abs(want).max())


def test_solve_ik_batch_function_and_other_methods_loop():
    robot = kinejac.load("ur5")
    T = kinejac.pose(robot, robot.random_configuration(np.random.default_rng(4), 5), "tool0")
    res = solve_ik_batch(robot, T, "tool0", method="gn", timeout=None)
    assert res.success.all() and res.q.shape == (5, 6)
    assert all(r is IKReason.CONVERGED for r in res.reason)
    assert res[2].success and res[2].q.shape == (6,)


def test_batch_bad_targets_raise():
    robot = kinejac.load("ur5")
    solver = IKSolver(robot, "tool0")
    with pytest.raises(ShapeError, match=r"\(B, 4, 4\)"):
        solver.solve_batch(np.eye(4))
    T = np.tile(np.eye(4), (3, 1, 1))
    T[1, 0, 0] = np.nan
    with pytest.raises(InvalidValueError, match=r"targets\[1\]"):
        solver.solve_batch(T)
    T = np.tile(np.eye(4), (3, 1, 1))
    T[2, :3, :3] *= 2.0
    with pytest.raises(KinejacError, match=r"targets\[2\].*rotation"):
        solver.solve_batch(T)


def test_vectorised_log6_and_jlog6_match_pinocchio():
    rng = np.random.default_rng(0)
    Ms = [pin.SE3.Random() for _ in range(50)]
    # small angles (Taylor branch), a zero rotation, and angles close to π (pinocchio fallback)
    Ms += [pin.SE3(pin.exp3(rng.normal(size=3) * s), rng.normal(size=3)) for s in (1e-9, 1e-5, 1e-3, 0.01)]
    Ms += [pin.SE3(np.eye(3), np.array([0.1, 0.2, 0.3]))]
    axis = np.array([0.0, 0.6, 0.8])
    Ms += [pin.SE3(pin.exp3(axis * a), rng.normal(size=3)) for a in (3.0, 3.1, np.pi - 1e-4, np.pi - 1e-7)]
    # near π about random axes (the axis from the symmetric part of R)
    for d in (1e-3, 1e-6, 1e-9, 1e-12):
        u = rng.normal(size=3)
        Ms.append(pin.SE3(pin.exp3(u / np.linalg.norm(u) * (np.pi - d)), rng.normal(size=3)))
    R = np.array([M.rotation for M in Ms])
    p = np.array([M.translation for M in Ms])
    e, t = log6_batch(R, p)
    J = jlog6_batch(R, p, e[:, 3:], t)
    for k, M in enumerate(Ms):
        assert np.abs(e[k] - pin.log6(M).vector).max() < 1e-9, k
        assert np.abs(J[k] - pin.Jlog6(M)).max() < 1e-7, k


@pytest.mark.parametrize(
    ("name", "frame", "lock"),
    [
        ("panda", "panda_hand_tcp", ["panda_finger_joint1"]),
        ("ur5", "tool0", None),
        ("planar_3r", "tool", None),
        # the continuous torso locked: a prismatic, an unaligned revolute and an aligned revolute joint
        ("kinejac_test_robot", "left_tool", ["torso_yaw"]),
    ],
)
def test_vectorised_chain_kinematics_match_pinocchio(name, frame, lock):
    robot = kinejac.load(name, locked_joints=lock)
    model, data, fid = robot.model, robot.model.createData(), robot.frame_id(frame)
    chain = ChainKinematics.build(robot, fid)
    assert chain is not None
    Q = robot.random_configuration(np.random.default_rng(8), 40)
    R, p, J = chain.pose_jacobian(Q)
    _, _, J_world = chain.pose_jacobian_t(Q)  # batch-last
    for k, q in enumerate(Q):
        pin.computeJointJacobians(model, data, q)
        M = pin.updateFramePlacement(model, data, fid)
        assert np.abs(R[k] - M.rotation).max() < 1e-12
        assert np.abs(p[k] - M.translation).max() < 1e-12
        assert np.abs(J[k] - pin.getFrameJacobian(model, data, fid, pin.LOCAL)).max() < 1e-12
        J_lwa = pin.getFrameJacobian(model, data, fid, pin.LOCAL_WORLD_ALIGNED)
        assert np.abs(J_world[:, :, k] - J_lwa).max() < 1e-12


def test_chain_kinematics_declines_other_joint_kinds():
    robot = kinejac.load("kinejac_test_robot")  # a continuous (cos, sin) torso joint on the chain
    assert ChainKinematics.build(robot, robot.frame_id("left_tool")) is None
