"""Batched IK: one native loop serves single and batched solves, whatever the thread count (and after a fork)."""

from __future__ import annotations

import numpy as np
import pytest

import kinejac
from kinejac.errors import InvalidValueError, KinejacError, ShapeError
from kinejac.ik import METHODS, IKBatchResult, IKReason, IKSolver, solve_ik_batch


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    ("name", "frame", "lock", "root"),
    [
        ("ur5", "tool0", None, None),
        ("panda", "panda_hand_tcp", ["panda_finger_joint1"], None),
        ("planar_3r", "tool", None, None),
        # continuous (cos, sin) and mimic joints, and a floating base (manifold steps)
        ("kinejac_test_robot", "left_tool", None, None),
        ("kinejac_test_robot", "right_tool", None, "floating"),
    ],
)
def test_batched_equals_one_by_one_for_every_method(name, frame, lock, root, method):
    robot = kinejac.load(name, locked_joints=lock, root_joint=root)
    rng = np.random.default_rng(31)
    n = 24
    T = kinejac.pose(robot, robot.random_configuration(rng, n), frame)
    if name == "ur5":  # and a few unreachable targets, which run out their restarts
        T[:3, :3, 3] += 2.0
    solver = IKSolver(robot, frame, method=method, timeout=None, max_restarts=12)
    batch = solver.solve_batch(T, seed=5, threads=2)
    assert isinstance(batch, IKBatchResult) and len(batch) == n
    for i in range(n):
        one = solver.solve(T[i], seed=(5, i))
        assert one.success == batch.success[i]
        assert one.reason is batch.reason[i]
        assert one.iterations == batch.iterations[i] and one.restarts == batch.restarts[i]
        assert np.array_equal(one.q, batch.q[i])
        assert batch[i].position_error == one.position_error
    if name == "ur5":
        assert not batch.success[:3].any() and all(r is not IKReason.CONVERGED for r in batch.reason[:3])
        assert batch.success[3:].all()
    else:
        assert batch.success.all()
    assert robot.within_limits(batch.q, tol=0.0).all()


def test_results_do_not_depend_on_the_thread_count():
    robot = kinejac.load("panda", locked_joints=["panda_finger_joint1"])
    T = kinejac.pose(robot, robot.random_configuration(np.random.default_rng(2), 300), "panda_hand_tcp")
    solver = IKSolver(robot, "panda_hand_tcp", timeout=None, max_restarts=40)
    one = solver.solve_batch(T, seed=1, threads=1)
    two = solver.solve_batch(T, seed=1, threads=2)
    three = solver.solve_batch(T, seed=1, threads=3)
    for other in (two, three):
        assert np.array_equal(other.q, one.q)
        assert np.array_equal(other.iterations, one.iterations) and np.array_equal(other.restarts, one.restarts)
        assert np.array_equal(other.reason, one.reason)
    assert (one.restarts > 0).sum() >= 3  # the hard samples used their restart streams
    assert one.success.all()
    # another seed gives other restarts
    assert not np.array_equal(solver.solve_batch(T, seed=2, threads=2).restarts, one.restarts)


def test_batch_starts_from_given_configurations():
    robot = kinejac.load("ur5")
    Q = robot.random_configuration(np.random.default_rng(9), 20)
    T = kinejac.pose(robot, Q, "tool0")
    res = IKSolver(robot, "tool0", max_restarts=0).solve_batch(T, q0=Q)
    assert res.success.all() and (res.iterations == 0).all()  # already there
    assert np.array_equal(res.q, Q)


def test_solve_ik_batch_function():
    robot = kinejac.load("ur5")
    T = kinejac.pose(robot, robot.random_configuration(np.random.default_rng(4), 5), "tool0")
    res = solve_ik_batch(robot, T, "tool0", method="gn", timeout=None, threads=1)
    assert res.success.all() and res.q.shape == (5, 6)
    assert all(r is IKReason.CONVERGED for r in res.reason)
    assert res[2].success and res[2].q.shape == (6,)
    for i in range(5):
        P = kinejac.pose(robot, res.q[i], "tool0")
        assert np.abs(P - T[i]).max() < 1e-5


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
    with pytest.raises(InvalidValueError, match="threads"):
        solver.solve_batch(np.tile(np.eye(4), (2, 1, 1)), threads=0)
    with pytest.raises(InvalidValueError, match="needs a solver built with a frame"):
        IKSolver(robot).solve_batch(T)


def test_empty_batch():
    robot = kinejac.load("ur5")
    res = IKSolver(robot, "tool0").solve_batch(np.zeros((0, 4, 4)))
    assert len(res) == 0 and res.q.shape == (0, 6)


def _solve_in_child(T):
    """Run in a forked child: a threaded batch (the parent had run one before the fork)."""
    robot = kinejac.load("ur5")
    return IKSolver(robot, "tool0").solve_batch(T, seed=3, threads=2).q


def test_a_forked_child_solves_threaded_batches_like_its_parent():
    """The core starts its threads per call and joins them before returning: a child forked after a
    threaded batch (reachability pools fork) solves threaded batches too, with the same answers."""
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")
    robot = kinejac.load("ur5")
    T = kinejac.pose(robot, robot.random_configuration(np.random.default_rng(5), 64), "tool0")
    parent = IKSolver(robot, "tool0").solve_batch(T, seed=3, threads=2)
    assert parent.success.all()
    with multiprocessing.get_context("fork").Pool(1) as pool:
        child = pool.apply_async(_solve_in_child, (T,)).get(timeout=60)
    np.testing.assert_array_equal(child, parent.q)


@pytest.mark.parametrize("solve", ["solve_ik_batch", "solve_ik_all"])
def test_starts_of_another_batch_size_are_a_shape_error(solve):
    ur5 = kinejac.load("ur5")
    Q = ur5.random_configuration(np.random.default_rng(4), size=5)
    T = kinejac.pose(ur5, Q, "tool0")
    with pytest.raises(kinejac.ShapeError, match=r"q0 of shape \(6,\) or \(5, 6\) for 5 targets, got \(3, 6\)"):
        getattr(kinejac, solve)(ur5, T, "tool0", q0=Q[:3])
    # one start for all, or one per target
    for q0 in (Q[0], Q):
        assert getattr(kinejac, solve)(ur5, T, "tool0", q0=q0).success.all()
