"""The Jacobian engine against closed forms, finite differences on the manifold, and loops."""

from __future__ import annotations

import math

import numpy as np
import pinocchio as pin
import pytest
from conftest import fd_along, fd_pose_jacobian, get_robot

import kinejac
from kinejac import Reference

REFS = [Reference.WORLD, Reference.LOCAL, Reference.LOCAL_WORLD_ALIGNED]
PLANAR_Q = [(0.0, 0.0), (0.3, -0.7), (1.2, 2.5), (-2.0, math.pi / 2), (3.0, -3.0)]


def _rel(a, b):
    return np.abs(a - b).max() / max(1.0, np.abs(b).max())


# -- closed forms -------------------------------------------------------------------------------------
@pytest.mark.parametrize("q1, q2", PLANAR_Q)
def test_planar_2r_pose_and_jacobian_closed_form(q1, q2):
    robot, frame = get_robot("planar_2r")
    l1, l2 = 1.0, 0.8
    q = np.array([q1, q2])
    T = kinejac.pose(robot, q, frame)
    x = l1 * math.cos(q1) + l2 * math.cos(q1 + q2)
    y = l1 * math.sin(q1) + l2 * math.sin(q1 + q2)
    np.testing.assert_allclose(T[:3, 3], [x, y, 0.0], atol=1e-12)
    c, s = math.cos(q1 + q2), math.sin(q1 + q2)
    np.testing.assert_allclose(T[:3, :3], [[c, -s, 0], [s, c, 0], [0, 0, 1]], atol=1e-12)
    J = kinejac.jacobian(robot, q, frame)  # local_world_aligned
    expected = np.zeros((6, 2))
    expected[0] = [-y, -l2 * math.sin(q1 + q2)]
    expected[1] = [x, l2 * math.cos(q1 + q2)]
    expected[5] = [1.0, 1.0]
    np.testing.assert_allclose(J, expected, atol=1e-12)


@pytest.mark.parametrize("q", [(0.1, 0.2, 0.3), (-1.0, 2.0, -0.5), (2.9, -2.9, 1.5)])
def test_planar_3r_pose_and_jacobian_closed_form(q):
    robot, frame = get_robot("planar_3r")
    lengths = np.array([1.0, 0.8, 0.5])
    angles = np.cumsum(q)
    x, y = lengths @ np.cos(angles), lengths @ np.sin(angles)
    T = kinejac.pose(robot, np.array(q), frame)
    np.testing.assert_allclose(T[:3, 3], [x, y, 0.0], atol=1e-12)
    J = kinejac.jacobian(robot, np.array(q), frame)
    for j in range(3):  # column j: rotation about joint j's axis z at its position
        xj = lengths[:j] @ np.cos(angles[:j])
        yj = lengths[:j] @ np.sin(angles[:j])
        np.testing.assert_allclose(J[:, j], [-(y - yj), x - xj, 0, 0, 0, 1], atol=1e-12)
    # the Hessian of a planar arm in closed form: d/dq_k of column j = e_z x column_k (linear rows), k, j >= ...
    H = kinejac.hessian(robot, np.array(q), frame)
    for j in range(3):
        for k in range(3):
            m = max(j, k)
            xm, ym = lengths[:m] @ np.cos(angles[:m]), lengths[:m] @ np.sin(angles[:m])
            np.testing.assert_allclose(H[:2, j, k], [-(x - xm), -(y - ym)], atol=1e-12)
    np.testing.assert_allclose(H[2:], 0.0, atol=1e-12)


# -- finite differences on the configuration manifold ----------------------------------------------------
@pytest.mark.parametrize("ref", REFS, ids=lambda r: r.value)
def test_jacobian_matches_finite_differences_of_pose(robot_case, ref):
    robot, frame = robot_case
    rng = np.random.default_rng(1)
    for q in robot.random_configuration(rng, size=3):
        J = kinejac.jacobian(robot, q, frame, ref)
        assert J.shape == (6, robot.nv)
        assert _rel(J, fd_pose_jacobian(robot.model, q, frame, ref.pinocchio)) < 1e-7


@pytest.mark.parametrize("ref", REFS, ids=lambda r: r.value)
def test_derivatives_match_finite_differences(robot_case, ref):
    robot, frame = robot_case
    rng = np.random.default_rng(2)
    for q in robot.random_configuration(rng, size=2):
        v = rng.standard_normal(robot.nv)
        w = rng.standard_normal(6)
        J = kinejac.jacobian(robot, q, frame, ref)

        def jac(qq):
            return kinejac.jacobian(robot, qq, frame, ref)

        # dJ/dt along v
        assert _rel(kinejac.jacobian_dot(robot, q, v, frame, ref), fd_along(jac, robot.model, q, v)) < 1e-7
        # Hessian: H[:, :, k] = dJ/dq_k
        H = kinejac.hessian(robot, q, frame, ref)
        assert H.shape == (6, robot.nv, robot.nv)
        for k in range(robot.nv):
            e = np.eye(robot.nv)[k]
            assert _rel(H[:, :, k], fd_along(jac, robot.model, q, e)) < 1e-7
        np.testing.assert_allclose(H @ v, kinejac.jacobian_dot(robot, q, v, frame, ref), atol=1e-10)
        # twist = J v (forward mode) and = d/dt of the pose (finite differences along v)
        tw = kinejac.twist(robot, q, v, frame, ref)
        np.testing.assert_allclose(tw, J @ v, atol=1e-12)
        assert _rel(tw, fd_pose_jacobian(robot.model, q, frame, ref.pinocchio) @ v) < 1e-7
        # reverse mode and the adjoint identity <J v, w> = <v, J^T w>
        g = kinejac.vjp(robot, q, w, frame, ref)
        np.testing.assert_allclose(g, J.T @ w, atol=1e-12)
        assert abs((J @ v) @ w - v @ g) < 1e-10


def test_floating_base_columns_are_body_velocities():
    """With a free-flyer root, the base columns of the local Jacobian of the base frame are the identity."""
    robot = kinejac.load("kinejac_test_robot", root_joint="floating")
    q = robot.random_configuration(3)
    J = kinejac.jacobian(robot, q, "root_joint", "local")
    np.testing.assert_allclose(J[:, :6], np.eye(6), atol=1e-12)
    np.testing.assert_allclose(J[:, 6:], 0.0, atol=1e-12)


def test_continuous_joint_wraps_without_jumps():
    robot, frame = get_robot("test_left")
    q0 = robot.from_dict({"torso_yaw": math.pi - 1e-3})
    q1 = robot.from_dict({"torso_yaw": -math.pi + 1e-3})
    # across ±π the pose is continuous and difference() goes the short way round
    v = robot.difference(q0, q1)
    assert abs(v[robot.joint("torso_yaw").idx_v] - 2e-3) < 1e-12
    np.testing.assert_allclose(
        kinejac.pose(robot, robot.integrate(q0, v), frame), kinejac.pose(robot, q1, frame), atol=1e-12
    )


# -- point offsets -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("ref", REFS, ids=lambda r: r.value)
def test_jacobian_of_an_offset_point(ref):
    robot, frame = get_robot("ur5")
    rng = np.random.default_rng(4)
    q = robot.random_configuration(rng)
    p = np.array([0.05, -0.02, 0.12])
    J = kinejac.jacobian(robot, q, frame, ref, point=p)
    T = kinejac.pose(robot, q, frame, point=p)
    np.testing.assert_allclose(
        T[:3, 3], kinejac.pose(robot, q, frame)[:3, :3] @ p + kinejac.pose(robot, q, frame)[:3, 3]
    )
    # independent: add the offset point as a frame to a copy of the model and differentiate
    model = robot.model.copy()
    parent = model.frames[robot.frame_id(frame)]
    model.addFrame(pin.Frame("offset", parent.parentJoint, parent.placement * pin.SE3(np.eye(3), p), pin.OP_FRAME))
    np.testing.assert_allclose(J, fd_pose_jacobian(model, q, "offset", ref.pinocchio), atol=1e-7)
    Jb = kinejac.jacobian(robot, np.stack([q, q]), frame, ref, point=p)
    np.testing.assert_allclose(Jb[1], J, atol=1e-14)


# -- batches -----------------------------------------------------------------------------------------------
def test_batched_equals_loop(robot_case):
    robot, frame = robot_case
    rng = np.random.default_rng(5)
    Q = robot.random_configuration(rng, size=4)
    V = rng.standard_normal((4, robot.nv))
    W = rng.standard_normal((4, 6))
    for ref in REFS:
        cases = {
            "pose": (kinejac.pose(robot, Q, frame), [kinejac.pose(robot, q, frame) for q in Q]),
            "jacobian": (kinejac.jacobian(robot, Q, frame, ref), [kinejac.jacobian(robot, q, frame, ref) for q in Q]),
            "twist": (
                kinejac.twist(robot, Q, V, frame, ref),
                [kinejac.twist(robot, q, v, frame, ref) for q, v in zip(Q, V)],
            ),
            "vjp": (kinejac.vjp(robot, Q, W, frame, ref), [kinejac.vjp(robot, q, w, frame, ref) for q, w in zip(Q, W)]),
            "jacobian_dot": (
                kinejac.jacobian_dot(robot, Q, V, frame, ref),
                [kinejac.jacobian_dot(robot, q, v, frame, ref) for q, v in zip(Q, V)],
            ),
            "hessian": (kinejac.hessian(robot, Q, frame, ref), [kinejac.hessian(robot, q, frame, ref) for q in Q]),
        }
        for name, (batched, loop) in cases.items():
            assert batched.shape == (4, *loop[0].shape), name
            np.testing.assert_allclose(batched, np.stack(loop), rtol=1e-14, atol=1e-14, err_msg=name)


def test_one_configuration_broadcasts_against_a_batch_of_velocities():
    robot, frame = get_robot("ur5")
    q = robot.random_configuration(6)
    V = np.random.default_rng(6).standard_normal((3, robot.nv))
    tw = kinejac.twist(robot, q, V, frame)
    np.testing.assert_allclose(tw, V @ kinejac.jacobian(robot, q, frame).T, atol=1e-12)


def test_inputs_are_not_modified_and_lists_are_accepted():
    robot, frame = get_robot("planar_2r")
    q = [0.3, -0.4]
    np.testing.assert_allclose(kinejac.jacobian(robot, q, frame), kinejac.jacobian(robot, np.array(q), frame))
    q_arr = np.array([0.3, -0.4])
    kinejac.jacobian(robot, q_arr, frame, point=[0.1, 0, 0])
    np.testing.assert_array_equal(q_arr, [0.3, -0.4])
    np.testing.assert_allclose(kinejac.pose(robot, np.array([0, 0]), frame)[0, 3], 1.8)  # integer arrays


# -- errors --------------------------------------------------------------------------------------------------
def test_unknown_frame_suggests_close_names():
    robot, _ = get_robot("ur5")
    with pytest.raises(kinejac.FrameNotFound, match=r"'tool' not found.*did you mean 'tool0'") as exc:
        kinejac.jacobian(robot, robot.neutral(), "tool")
    assert isinstance(exc.value, KeyError) and "tool0" in exc.value.available


def test_bad_reference_and_shapes_raise_named_errors():
    robot, frame = get_robot("ur5")
    q = robot.neutral()
    with pytest.raises(kinejac.InvalidChoiceError, match="local_world_aligned"):
        kinejac.jacobian(robot, q, frame, "body")
    for not_a_frame in (0, 1, True):  # pinocchio's enum compares equal to ints; kinejac does not
        with pytest.raises(kinejac.InvalidChoiceError, match="unknown reference frame"):
            kinejac.jacobian(robot, q, frame, not_a_frame)
    np.testing.assert_array_equal(
        kinejac.jacobian(robot, q, frame, pin.LOCAL), kinejac.jacobian(robot, q, frame, "local")
    )
    with pytest.raises(kinejac.ShapeError, match=r"shape \(6,\) or \(B, 6\).*got \(5,\)") as exc:
        kinejac.jacobian(robot, q[:5], frame)
    assert isinstance(exc.value, ValueError)
    with pytest.raises(kinejac.ShapeError, match=r"got \(2, 2, 6\)"):
        kinejac.pose(robot, np.zeros((2, 2, 6)), frame)
    with pytest.raises(kinejac.ShapeError, match="v of shape"):
        kinejac.twist(robot, q, np.zeros(5), frame)
    with pytest.raises(kinejac.ShapeError, match="w of shape"):
        kinejac.vjp(robot, q, np.zeros(3), frame)
    with pytest.raises(kinejac.ShapeError, match="batch sizes differ"):
        kinejac.twist(robot, np.zeros((3, 6)), np.zeros((2, 6)), frame)
    with pytest.raises(kinejac.ShapeError, match=r"point of shape \(3,\)"):
        kinejac.jacobian(robot, q, frame, point=[1.0, 2.0])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_configurations_raise(bad):
    robot, frame = get_robot("panda_arm")
    q = robot.random_configuration(7)
    q[3] = bad
    for f in (kinejac.pose, kinejac.jacobian, kinejac.hessian):
        with pytest.raises(kinejac.InvalidValueError, match=r"NaN or inf \(first at index \(3,\)\)"):
            f(robot, q, frame)
    Q = np.zeros((3, robot.nq))
    Q[2, 1] = bad
    with pytest.raises(kinejac.InvalidValueError, match=r"index \(2, 1\)"):
        kinejac.jacobian(robot, Q, frame)
    with pytest.raises(kinejac.InvalidValueError):
        kinejac.twist(robot, robot.neutral(), np.full(robot.nv, bad), frame)


def test_huge_but_finite_configuration_is_not_mistaken_for_inf():
    robot, frame = get_robot("planar_2r")
    q = np.array([1e308, 1e308])  # their sum overflows; each entry is finite
    J = kinejac.jacobian(robot, q, frame)
    assert np.isfinite(J).all()


def test_unnormalised_quaternion_raises():
    robot, frame = get_robot("test_floating")
    q = robot.neutral()
    q[3:7] = [0.0, 0.0, 0.0, 2.0]
    with pytest.raises(kinejac.InvalidValueError, match="joint 'root_joint' must have unit norm"):
        kinejac.jacobian(robot, q, frame)
