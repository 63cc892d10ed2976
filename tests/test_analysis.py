"""Manipulability measures, gradients, ellipsoids and singularities: closed forms, the UR5's known
singularities, finite differences on the manifold, duality, invariance and batched == loop."""

from __future__ import annotations

import math

import numpy as np
import pinocchio as pin
import pytest
from conftest import ROBOT_CASES, get_robot

import kinejac
from kinejac.analysis import (
    MEASURES,
    PARTS,
    force_ellipsoid,
    generic_rank,
    manipulability,
    manipulability_gradient,
    singularity,
    velocity_ellipsoid,
)
from kinejac.errors import InvalidChoiceError, InvalidValueError

L1, L2 = 1.0, 0.8
UR5_A2, UR5_A3, UR5_D5 = -0.425, -0.39225, 0.09465


def _ur5(q1=0.3, q2=-1.1, q3=1.4, q4=-0.9, q5=0.8, q6=0.2):
    return np.array([q1, q2, q3, q4, q5, q6])


# -- planar 2R closed form -----------------------------------------------------------------------
@pytest.mark.parametrize("part", ["translation", ("vx", "vy"), (0, 1)])
def test_planar_2r_yoshikawa_closed_form(part):
    robot, frame = get_robot("planar_2r")
    rng = np.random.default_rng(0)
    q2 = np.concatenate([[0.0, math.pi, -math.pi, math.pi / 2], rng.uniform(-math.pi, math.pi, 20)])
    Q = np.column_stack([rng.uniform(-math.pi, math.pi, q2.size), q2])
    w = manipulability(robot, Q, frame, part=part)
    np.testing.assert_allclose(w, L1 * L2 * np.abs(np.sin(q2)), atol=1e-12)
    # gradient: ∂w/∂q1 = 0, ∂w/∂q2 = l1 l2 cos q2 sign(sin q2) (away from the singularities)
    g = manipulability_gradient(robot, Q[4:], frame, "yoshikawa", part)
    np.testing.assert_allclose(g[:, 0], 0.0, atol=1e-12)
    np.testing.assert_allclose(g[:, 1], L1 * L2 * np.cos(q2[4:]) * np.sign(np.sin(q2[4:])), atol=1e-10)


def test_planar_2r_singular_exactly_at_stretched_and_folded():
    robot, frame = get_robot("planar_2r")
    for q2, singular in [
        (0.0, True),
        (math.pi, True),
        (-math.pi, True),
        (1e-3, False),
        (math.pi - 1e-3, False),
        (1.0, False),
    ]:
        rep = singularity(robot, np.array([0.7, q2]), frame, tol=1e-9, part="translation")
        assert rep.singular is singular, (q2, rep.singular_values)
        assert rep.generic_rank == 2
        if singular:
            # the lost direction is radial (along the stretched/folded arm), z is structural
            radial = np.array([math.cos(0.7), math.sin(0.7), 0.0])
            assert rep.lost_directions.shape == (3, 1)
            assert abs(abs(rep.lost_directions[:, 0] @ radial) - 1.0) < 1e-9
            J = kinejac.jacobian(robot, np.array([0.7, q2]), frame)[:3]
            np.testing.assert_allclose(J @ rep.null_motions, 0.0, atol=1e-12)
        else:
            assert rep.lost_directions.shape == (3, 0) and rep.null_motions.shape == (2, 0)


def test_planar_arm_full_part_uses_generic_rank_not_six():
    robot, frame = get_robot("planar_2r")
    assert generic_rank(robot, frame, "full") == 2  # never moves along z nor about x, y
    assert generic_rank(robot, frame, "rotation") == 1
    robot3, frame3 = get_robot("planar_3r")
    assert generic_rank(robot3, frame3, "translation") == 2  # z row is structurally zero
    q = np.array([0.2, 0.9, -0.4])
    assert manipulability(robot3, q, frame3, part="translation") > 0.1
    J = kinejac.jacobian(robot3, q, frame3)
    np.testing.assert_allclose(
        manipulability(robot3, q, frame3, part="translation"), math.sqrt(np.linalg.det(J[:2] @ J[:2].T)), rtol=1e-12
    )


# -- UR5 singularities ---------------------------------------------------------------------------
def test_ur5_jacobian_determinant_factorisation():
    """det J = a2 a3 · s3 · s5 · (a2 c2 + a3 c23 + d5 s234): the three singularity families."""
    robot = kinejac.load("ur5")
    Q = robot.random_configuration(3, size=20)
    _, q2, q3, q4, q5, _ = Q.T
    f = (
        UR5_A2
        * UR5_A3
        * np.sin(q3)
        * np.sin(q5)
        * (UR5_A2 * np.cos(q2) + UR5_A3 * np.cos(q2 + q3) + UR5_D5 * np.sin(q2 + q3 + q4))
    )
    w = manipulability(robot, Q, "tool0")
    np.testing.assert_allclose(w, np.abs(f), rtol=1e-9, atol=1e-14)


def _ur5_shoulder_singular(q2=-1.2, s234=0.5):
    # a2 c2 + a3 c23 + d5 s234 = 0: the wrist is as close to the base axis as d4 ≠ 0 allows
    c23 = -(UR5_D5 * s234 + UR5_A2 * math.cos(q2)) / UR5_A3
    q23 = -math.acos(c23)  # the elbow-up branch, q3 = q23 - q2 ≈ -0.65 (far from the elbow singularity)
    q4 = math.asin(s234) - q23
    return _ur5(q2=q2, q3=q23 - q2, q4=q4)


@pytest.mark.parametrize(
    "name, q",
    [
        ("wrist", _ur5(q5=0.0)),
        ("wrist_pi", _ur5(q5=math.pi)),
        ("elbow", _ur5(q3=0.0)),
        ("shoulder", _ur5_shoulder_singular()),
    ],
)
def test_ur5_known_singularities_detected(name, q):
    robot = kinejac.load("ur5")
    rep = singularity(robot, q, "tool0", tol=1e-8)
    assert rep.singular, (name, rep.singular_values)
    assert rep.rank == 5 and rep.lost_directions.shape == (6, 1) and rep.null_motions.shape == (6, 1)
    J = kinejac.jacobian(robot, q, "tool0")
    np.testing.assert_allclose(J @ rep.null_motions, 0.0, atol=1e-9)
    np.testing.assert_allclose(rep.lost_directions.T @ J, 0.0, atol=1e-9)
    assert manipulability(robot, q, "tool0") < 1e-10
    # moving off the singularity makes it regular again
    rep_off = singularity(robot, robot.integrate(q, np.full(6, 0.05)), "tool0", tol=1e-8)
    assert not rep_off.singular


def test_ur5_wrist_singularity_null_motion_turns_joints_4_and_6():
    robot = kinejac.load("ur5")
    rep = singularity(robot, _ur5(q5=0.0), "tool0", tol=1e-8)
    v = rep.null_motions[:, 0]
    # at q5 = 0 the axes of joints 4 and 6 are parallel: the self-motion mixes them (and the
    # shoulder/elbow joints that cancel the offset translation), never joint 5
    assert abs(v[4]) < 1e-9 and abs(v[3]) > 0.1 and abs(v[5]) > 0.1


def test_ur5_generic_configuration_is_not_singular():
    robot = kinejac.load("ur5")
    rep = singularity(robot, _ur5(), "tool0", tol=1e-6)
    assert not rep.singular and rep.rank == 6 and rep.min_singular > 1e-3
    assert rep.lost_directions.shape == (6, 0) and rep.null_motions.shape == (6, 0)


def test_redundant_panda_always_has_null_motions():
    robot, frame = get_robot("panda_arm")
    rep = singularity(robot, robot.random_configuration(1), frame)
    assert not rep.singular and rep.generic_rank == 6 and rep.null_motions.shape == (7, 1)
    J = kinejac.jacobian(robot, robot.random_configuration(1), frame)
    np.testing.assert_allclose(J @ rep.null_motions, 0.0, atol=1e-10)


# -- gradients against finite differences on every bundled robot --------------------------------
def _fd_gradient(robot, q, frame, measure, part, eps=1e-6):
    E = np.eye(robot.nv) * eps
    Qp = robot.integrate(np.broadcast_to(q, (robot.nv, robot.nq)), E)
    Qm = robot.integrate(np.broadcast_to(q, (robot.nv, robot.nq)), -E)
    f = manipulability(robot, Qp, frame, measure=measure, part=part)
    b = manipulability(robot, Qm, frame, measure=measure, part=part)
    return (f - b) / (2 * eps)


@pytest.mark.parametrize("case", sorted(ROBOT_CASES))
@pytest.mark.parametrize("measure", MEASURES)
def test_gradient_matches_finite_differences(case, measure):
    robot, frame = get_robot(case)
    rng = np.random.default_rng(abs(hash((case, measure))) % 2**32)
    for part in PARTS:
        for q in robot.random_configuration(rng, size=2):
            w, g = manipulability_gradient(robot, q, frame, measure, part, with_value=True)
            fd = _fd_gradient(robot, q, frame, measure, part)
            scale = max(abs(w), np.abs(fd).max(), 1e-3)
            assert np.abs(g - fd).max() <= 2e-6 * scale, (case, measure, part, g, fd)
            assert w == pytest.approx(manipulability(robot, q, frame, measure=measure, part=part), rel=1e-9, abs=1e-14)


def test_gradient_ascent_step_increases_manipulability():
    robot = kinejac.load("ur5")
    q = _ur5(q5=0.2)
    w, g = manipulability_gradient(robot, q, "tool0", with_value=True)
    assert manipulability(robot, robot.integrate(q, 1e-3 * g / np.linalg.norm(g)), "tool0") > w


# -- measures ------------------------------------------------------------------------------------
def test_measures_from_singular_values_by_hand():
    robot, frame = get_robot("panda")
    q = robot.random_configuration(5)
    J = kinejac.jacobian(robot, q, frame)
    s = np.linalg.svd(J, compute_uv=False)
    assert manipulability(robot, q, frame) == pytest.approx(math.sqrt(np.linalg.det(J @ J.T)), rel=1e-10)
    assert manipulability(robot, q, frame, measure="condition") == pytest.approx(s[-1] / s[0], rel=1e-10)
    assert manipulability(robot, q, frame, measure="min_singular") == pytest.approx(s[-1], rel=1e-10)
    st = np.linalg.svd(J[:3], compute_uv=False)
    assert manipulability(robot, q, frame, part="translation") == pytest.approx(np.prod(st), rel=1e-10)
    M = pin.crba(robot.model, robot.data, q)
    M = np.triu(M) + np.triu(M, 1).T
    JM = J @ np.linalg.inv(M)
    assert manipulability(robot, q, frame, measure="dynamic") == pytest.approx(
        math.sqrt(np.linalg.det(JM @ JM.T)), rel=1e-8
    )


def test_length_scale_weighs_linear_rows_of_the_full_jacobian():
    robot = kinejac.load("ur5")
    q = _ur5()
    J = kinejac.jacobian(robot, q, "tool0")
    L = 0.4
    Js = np.vstack([J[:3] / L, J[3:]])
    assert manipulability(robot, q, "tool0", length_scale=L) == pytest.approx(abs(np.linalg.det(Js)), rel=1e-10)
    # a single part is not rescaled
    assert manipulability(robot, q, "tool0", part="translation", length_scale=L) == pytest.approx(
        manipulability(robot, q, "tool0", part="translation"), rel=1e-14
    )
    assert manipulability(robot, q, "tool0", length_scale=L) == pytest.approx(
        manipulability(robot, q, "tool0") / L**3, rel=1e-10
    )


def _rotated_base(robot, R):
    rotated = robot.copy()
    rotated.model.jointPlacements[1] = pin.SE3(R, np.zeros(3)) * rotated.model.jointPlacements[1]
    return rotated


@pytest.mark.parametrize("measure", ["yoshikawa", "condition", "min_singular", "dynamic"])
def test_measures_invariant_to_base_rotation(measure):
    robot = kinejac.load("ur5")
    rotated = _rotated_base(robot, pin.rpy.rpyToMatrix(0.4, -0.7, 1.9))
    Q = robot.random_configuration(9, size=10)
    # sanity: the tool really moved
    assert np.abs(kinejac.pose(robot, Q, "tool0") - kinejac.pose(rotated, Q, "tool0")).max() > 0.1
    for part in PARTS:
        a = manipulability(robot, Q, "tool0", measure=measure, part=part)
        b = manipulability(rotated, Q, "tool0", measure=measure, part=part)
        np.testing.assert_allclose(a, b, rtol=1e-9)


def test_unknown_measure_and_part_raise_with_valid_values():
    robot = kinejac.load("ur5")
    q = _ur5()
    with pytest.raises(InvalidChoiceError, match="yoshikawa, condition, min_singular, dynamic"):
        manipulability(robot, q, "tool0", measure="volume")
    with pytest.raises(InvalidChoiceError, match="manipulability measure"):
        manipulability_gradient(robot, q, "tool0", "kappa")
    with pytest.raises(InvalidChoiceError, match="full, translation, rotation"):
        manipulability(robot, q, "tool0", part="position")
    with pytest.raises(InvalidChoiceError, match="vx"):
        manipulability(robot, q, "tool0", part=("vx", "q"))
    with pytest.raises(InvalidValueError):
        manipulability(robot, q, "tool0", part=(0, 0))
    with pytest.raises(InvalidValueError):
        manipulability(robot, q, "tool0", length_scale=0.0)
    with pytest.raises(InvalidChoiceError, match="translation, rotation"):
        velocity_ellipsoid(robot, q, "tool0", part="full")
    with pytest.raises(kinejac.FrameNotFound):
        manipulability(robot, q, "tool1")
    with pytest.raises(kinejac.ShapeError):
        manipulability(robot, q[:5], "tool0")


# -- ellipsoids ----------------------------------------------------------------------------------
@pytest.mark.parametrize("part", ["translation", "rotation"])
def test_force_ellipsoid_is_dual_of_velocity_ellipsoid(part):
    robot, frame = get_robot("panda")
    Q = robot.random_configuration(2, size=5)
    vel, force = velocity_ellipsoid(robot, Q, frame, part), force_ellipsoid(robot, Q, frame, part)
    np.testing.assert_allclose(force.radii, 1.0 / vel.radii, rtol=1e-12)
    np.testing.assert_array_equal(force.axes, vel.axes)
    rows = slice(0, 3) if part == "translation" else slice(3, 6)
    J = kinejac.jacobian(robot, Q, frame)[:, rows]
    for i in range(len(vel)):
        e = vel[i]
        np.testing.assert_allclose(e.axes.T @ e.axes, np.eye(3), atol=1e-12)
        assert np.linalg.det(e.axes) == pytest.approx(1.0)
        np.testing.assert_allclose(e.matrix, J[i] @ J[i].T, atol=1e-12)  # {Jq̇ : |q̇|<=1} has shape J Jᵀ
        np.testing.assert_allclose(e.center, kinejac.pose(robot, Q[i], frame)[:3, 3], atol=1e-12)
        # force ellipsoid shape matrix is (J Jᵀ)⁻¹
        np.testing.assert_allclose(force[i].matrix @ (J[i] @ J[i].T), np.eye(3), atol=1e-9)
    assert vel.kind == "velocity" and force.kind == "force" and vel.part == part


def test_planar_2r_ellipsoid_is_flat_along_z():
    robot, frame = get_robot("planar_2r")
    q = np.array([0.3, 1.1])
    vel, force = velocity_ellipsoid(robot, q, frame), force_ellipsoid(robot, q, frame)
    assert vel.radii[2] == 0.0 and np.isinf(force.radii[2])
    assert abs(vel.axes[2, 2]) == pytest.approx(1.0)
    assert vel.radii[0] * vel.radii[1] == pytest.approx(L1 * L2 * abs(math.sin(1.1)), rel=1e-12)


# -- batched == loop -----------------------------------------------------------------------------
@pytest.mark.parametrize("case", ["ur5", "panda", "test_mimic", "test_floating"])
def test_batched_equals_loop(case):
    robot, frame = get_robot(case)
    Q = robot.random_configuration(4, size=6)
    for measure in MEASURES:
        wb = manipulability(robot, Q, frame, measure=measure)
        gb = manipulability_gradient(robot, Q, frame, measure)
        assert wb.shape == (6,) and gb.shape == (6, robot.nv)
        for i, q in enumerate(Q):
            assert wb[i] == pytest.approx(manipulability(robot, q, frame, measure=measure), rel=1e-12, abs=1e-15)
            gi = manipulability_gradient(robot, q, frame, measure)
            np.testing.assert_allclose(gb[i], gi, rtol=1e-10, atol=1e-10 * np.abs(gi).max())
    vb, reports = velocity_ellipsoid(robot, Q, frame), singularity(robot, Q, frame)
    assert len(reports) == 6
    for i, q in enumerate(Q):
        vi = velocity_ellipsoid(robot, q, frame)
        np.testing.assert_allclose(vb.radii[i], vi.radii, rtol=1e-12)
        np.testing.assert_allclose(vb.center[i], vi.center, rtol=1e-12)
        ri = singularity(robot, q, frame)
        np.testing.assert_allclose(reports[i].singular_values, ri.singular_values, rtol=1e-12)
        assert reports[i].singular == ri.singular and reports[i].null_motions.shape == ri.null_motions.shape


@pytest.mark.parametrize("near", [{"q5": 1e-4}, {"q3": 1e-4}, {"q5": 0.3}])
def test_yoshikawa_gradient_near_singularities_uses_a_stable_path(near):
    """Close to a singularity the gradient leaves the normal-equation fast path for the SVD one."""
    robot = kinejac.load("ur5")
    q = _ur5(**near)
    g = manipulability_gradient(robot, q, "tool0")
    fd = _fd_gradient(robot, q, "tool0", "yoshikawa", "full", eps=1e-7)
    np.testing.assert_allclose(g, fd, atol=1e-7 * max(1.0, np.abs(fd).max()))
    assert np.abs(g).max() > 1e-3  # moving off the singularity changes w at first order


def test_scalar_options_are_validated():
    robot, frame = get_robot("ur5")
    q = robot.random_configuration(0)
    with pytest.raises(InvalidValueError, match=r"length_scale \[m\] must be a number > 0, got 'a'"):
        manipulability(robot, q, frame, length_scale="a")
    with pytest.raises(InvalidValueError, match="tol must be a number >= 0"):
        singularity(robot, q, frame, tol="a")


def test_force_ellipsoid_is_infinite_along_a_direction_lost_at_a_stretched_arm():
    robot, frame = get_robot("planar_2r")
    q = np.array([0.1, 0.0])  # fully stretched: no radial velocity
    velocity = velocity_ellipsoid(robot, q, frame, part="translation")
    force = force_ellipsoid(robot, q, frame, part="translation")
    assert velocity.radii[0] == pytest.approx(math.hypot(1.8, 0.8))  # tangential: |d p / d q| of both joints
    assert np.isinf(force.radii[1:]).all() and force.radii[0] == pytest.approx(1 / velocity.radii[0])
