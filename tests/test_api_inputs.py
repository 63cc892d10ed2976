"""Every public function of the loading and Jacobian-engine layers, fed bad input: wrong shapes,
NaN/inf, empty batches, integer arrays, lists, unknown frames and choices, poses that are not
rigid transforms. The answer is a clear :class:`KinejacError` or the correct result, never a
wrong answer or a foreign traceback."""

from __future__ import annotations

import numpy as np
import pinocchio as pin
import pytest

import kinejac
from kinejac.errors import (
    FrameNotFound,
    InvalidChoiceError,
    InvalidValueError,
    JointNotFound,
    KinejacError,
    RobotNotFound,
    ShapeError,
    URDFError,
)
from kinejac.spatial import as_se3, as_transform


@pytest.fixture(scope="module")
def robot() -> kinejac.Robot:
    """Continuous, prismatic and mimic joints on a floating base: every q layout at once."""
    return kinejac.load("kinejac_test_robot", root_joint="floating")


FRAME = "right_tool"


def _engine(robot: kinejac.Robot) -> dict:
    """name -> (f(q), per-configuration output shape) for every q-taking engine function."""
    nv = robot.nv
    v, w = np.linspace(-1, 1, nv), np.linspace(-1, 1, 6)
    return {
        "pose": (lambda q: kinejac.pose(robot, q, FRAME), (4, 4)),
        "pose(point)": (lambda q: kinejac.pose(robot, q, FRAME, point=[0.1, 0.2, 0.3]), (4, 4)),
        "jacobian": (lambda q: kinejac.jacobian(robot, q, FRAME), (6, nv)),
        "jacobian(point)": (lambda q: kinejac.jacobian(robot, q, FRAME, "local", point=[0.1, 0, 0]), (6, nv)),
        "twist": (lambda q: kinejac.twist(robot, q, v, FRAME), (6,)),
        "vjp": (lambda q: kinejac.vjp(robot, q, w, FRAME, "world"), (nv,)),
        "jacobian_dot": (lambda q: kinejac.jacobian_dot(robot, q, v, FRAME), (6, nv)),
        "hessian": (lambda q: kinejac.hessian(robot, q, FRAME, "local"), (6, nv, nv)),
        "integrate": (lambda q: robot.integrate(q, v), (robot.nq,)),
        "difference": (lambda q: robot.difference(q, q), (nv,)),
        "within_limits": (lambda q: np.asarray(robot.within_limits(q)), ()),
    }


NAMES = list(_engine(kinejac.load("planar_2r")))


@pytest.mark.parametrize("name", NAMES)
def test_wrong_shapes_raise_shape_error(robot: kinejac.Robot, name: str) -> None:
    f, _ = _engine(robot)[name]
    q = robot.neutral()
    for bad in (q[:-1], np.append(q, 0.0), q[None, None], np.float64(0.5), q[:, None], np.zeros((2, 3))):
        with pytest.raises(ShapeError, match=r"shape"):
            f(bad)


@pytest.mark.parametrize("name", NAMES)
def test_nan_and_inf_raise_invalid_value(robot: kinejac.Robot, name: str) -> None:
    f, _ = _engine(robot)[name]
    for bad_value in (np.nan, np.inf, -np.inf):
        q = robot.neutral()
        q[1] = bad_value
        with pytest.raises(InvalidValueError, match="NaN or inf"):
            f(q)
        batch = np.stack([robot.neutral(), q])
        with pytest.raises(InvalidValueError, match=r"index \(1, 1\)"):
            f(batch)


@pytest.mark.parametrize("name", NAMES)
def test_not_unit_quaternion_or_angle_pair_is_refused(robot: kinejac.Robot, name: str) -> None:
    f, _ = _engine(robot)[name]
    q = robot.neutral()
    q[3:7] = [0.0, 0.0, 0.0, 2.0]  # floating base quaternion of norm 2
    with pytest.raises(InvalidValueError, match="unit norm"):
        f(q)
    q = robot.neutral()
    cont = robot.joint("torso_yaw")
    q[cont.idx_q : cont.idx_q + 2] = [1.0, 1.0]  # (cos, sin) pair of norm sqrt(2)
    with pytest.raises(InvalidValueError, match="torso_yaw"):
        f(q)


@pytest.mark.parametrize("name", NAMES)
def test_empty_batch_gives_empty_arrays_of_the_right_shape(robot: kinejac.Robot, name: str) -> None:
    f, shape = _engine(robot)[name]
    out = f(np.empty((0, robot.nq)))
    assert isinstance(out, np.ndarray) and out.shape == (0, *shape)


@pytest.mark.parametrize("name", NAMES)
def test_lists_tuples_strided_readonly_and_float32_give_the_float64_answer(robot: kinejac.Robot, name: str) -> None:
    f, _ = _engine(robot)[name]
    Q = robot.random_configuration(3, size=3)
    expected = f(Q)
    assert_equal = np.testing.assert_allclose
    assert_equal(f(Q.tolist()), expected, atol=0)
    assert_equal(f(tuple(map(tuple, Q))), expected, atol=0)
    assert_equal(f(np.asfortranarray(Q)), expected, atol=0)
    wide = np.zeros((3, 2 * robot.nq))
    wide[:, ::2] = Q
    assert_equal(f(wide[:, ::2]), expected, atol=0)  # a strided view
    frozen = Q.copy()
    frozen.flags.writeable = False
    assert_equal(f(frozen), expected, atol=0)
    # one configuration goes through pinocchio, a batch of poses or Jacobians through the native core
    assert_equal(f(Q[1]), expected[1], atol=1e-12)
    assert_equal(f(list(Q[1])), expected[1], atol=1e-12)
    Q32 = Q.astype(np.float32)
    q32_units = robot.clip(Q32.astype(np.float64))  # float32 rounding breaks unit norms slightly
    assert_equal(f(q32_units), f(robot.clip(Q32)), atol=0)


def test_integer_and_list_configurations_on_a_plain_robot() -> None:
    robot = kinejac.load("planar_2r")
    for q in ([1, 2], (1, 2), np.array([1, 2]), np.array([1, 2], dtype=np.int8), np.array([True, False])):
        expected = np.asarray(q, dtype=float)
        np.testing.assert_allclose(kinejac.pose(robot, q, "tool"), kinejac.pose(robot, expected, "tool"), atol=0)
        np.testing.assert_allclose(kinejac.jacobian(robot, q, "tool"), kinejac.jacobian(robot, expected, "tool"))
    # closed form: tool at (l1 cos q1 + l2 cos(q1 + q2), l1 sin q1 + l2 sin(q1 + q2))
    T = kinejac.pose(robot, [1, 2], "tool")
    np.testing.assert_allclose(T[:2, 3], [np.cos(1) + 0.8 * np.cos(3), np.sin(1) + 0.8 * np.sin(3)], atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_not_numbers_raise_invalid_value(robot: kinejac.Robot, name: str) -> None:
    f, _ = _engine(robot)[name]
    q = robot.neutral()
    for bad in (q.astype(complex), object(), None, "abc", [[0.0] * robot.nq, [0.0]], {"a": 1}):
        with pytest.raises(KinejacError) as info:
            f(bad)
        assert isinstance(info.value, ValueError)


def test_inputs_are_not_modified(robot: kinejac.Robot) -> None:
    Q = robot.random_configuration(1, size=2)
    v, w, p = np.ones(robot.nv), np.ones(6), np.array([0.1, 0.2, 0.3])
    copies = [a.copy() for a in (Q, v, w, p)]
    kinejac.jacobian(robot, Q, FRAME, point=p)
    kinejac.pose(robot, Q, FRAME, point=p)
    kinejac.twist(robot, Q, v, FRAME)
    kinejac.vjp(robot, Q, w, FRAME)
    kinejac.jacobian_dot(robot, Q, v, FRAME)
    robot.integrate(Q, v)
    robot.clip(Q)
    for a, b in zip((Q, v, w, p), copies):
        np.testing.assert_array_equal(a, b)


# -- the other arguments ----------------------------------------------------------------------------
FRAME_TAKERS = {
    "pose": lambda r, q, f: kinejac.pose(r, q, f),
    "jacobian": lambda r, q, f: kinejac.jacobian(r, q, f),
    "twist": lambda r, q, f: kinejac.twist(r, q, np.zeros(r.nv), f),
    "vjp": lambda r, q, f: kinejac.vjp(r, q, np.zeros(6), f),
    "jacobian_dot": lambda r, q, f: kinejac.jacobian_dot(r, q, np.zeros(r.nv), f),
    "hessian": lambda r, q, f: kinejac.hessian(r, q, f),
    "check_derivatives": lambda r, q, f: kinejac.check_derivatives(r, f, q),
    "frame_id": lambda r, q, f: r.frame_id(f),
}


@pytest.mark.parametrize("name", FRAME_TAKERS)
def test_unknown_frames(robot: kinejac.Robot, name: str) -> None:
    f = FRAME_TAKERS[name]
    q = robot.neutral()
    with pytest.raises(FrameNotFound, match="did you mean 'right_tool'") as info:
        f(robot, q, "rigth_tool")
    assert isinstance(info.value, KeyError)
    for bad in ("", None, 3, ["right_tool"], b"right_tool"):
        with pytest.raises(FrameNotFound):
            f(robot, q, bad)


REF_TAKERS = {
    "jacobian": lambda r, q, ref: kinejac.jacobian(r, q, FRAME, ref),
    "twist": lambda r, q, ref: kinejac.twist(r, q, np.zeros(r.nv), FRAME, ref),
    "vjp": lambda r, q, ref: kinejac.vjp(r, q, np.zeros(6), FRAME, ref),
    "jacobian_dot": lambda r, q, ref: kinejac.jacobian_dot(r, q, np.zeros(r.nv), FRAME, ref),
    "hessian": lambda r, q, ref: kinejac.hessian(r, q, FRAME, ref),
}


@pytest.mark.parametrize("name", REF_TAKERS)
def test_unknown_reference_lists_the_valid_ones(robot: kinejac.Robot, name: str) -> None:
    f = REF_TAKERS[name]
    # (pinocchio's ReferenceFrame compares equal to the ints 0, 1, 2, so those are accepted as it)
    for bad in ("globe", "WORLD", None, "local-world-aligned", 2.5, "world "):
        with pytest.raises(InvalidChoiceError, match="world, local, local_world_aligned"):
            f(robot, robot.neutral(), bad)
    # the enum, its value and pinocchio's enum all give the same answer
    q = robot.random_configuration(0)
    a = f(robot, q, kinejac.Reference.LOCAL)
    np.testing.assert_array_equal(a, f(robot, q, "local"))
    np.testing.assert_array_equal(a, f(robot, q, pin.ReferenceFrame.LOCAL))


def test_velocity_and_wrench_arguments(robot: kinejac.Robot) -> None:
    q, Q = robot.neutral(), robot.random_configuration(0, size=2)
    for f, n in (
        (lambda x, qq=q: kinejac.twist(robot, qq, x, FRAME), robot.nv),
        (lambda x, qq=q: kinejac.jacobian_dot(robot, qq, x, FRAME), robot.nv),
        (lambda x, qq=q: kinejac.vjp(robot, qq, x, FRAME), 6),
        (lambda x, qq=q: robot.integrate(qq, x), robot.nv),
    ):
        for bad in (np.zeros(n + 1), np.zeros((2, 2, n)), np.zeros(()), np.zeros((n, 1)) if n > 1 else np.zeros(3)):
            with pytest.raises(ShapeError):
                f(bad)
        for bad in (np.full(n, np.nan), np.full(n, np.inf), np.full(n, 1j)):
            with pytest.raises(InvalidValueError):
                f(bad)
        with pytest.raises(KinejacError):
            f("abcdef")
        with pytest.raises(ShapeError, match="batch"):  # 2 configurations, 3 vectors
            f(np.zeros((3, n)), Q)
        # one vector with a batch of configurations broadcasts; so does one q with many vectors
        x = np.linspace(0.1, 0.9, n)
        np.testing.assert_allclose(f(x, Q), np.stack([f(x, Q[0]), f(x, Q[1])]))
        np.testing.assert_allclose(f(np.stack([x, 2 * x]), q), np.stack([f(x, q), f(2 * x, q)]))
        assert f(np.empty((0, n))).shape[0] == 0


def test_point_argument(robot: kinejac.Robot) -> None:
    q = robot.neutral()
    for f in (lambda p: kinejac.pose(robot, q, FRAME, point=p), lambda p: kinejac.jacobian(robot, q, FRAME, point=p)):
        for bad in ([1, 2], np.zeros((1, 3)), 0.5):
            with pytest.raises(ShapeError, match="point"):
                f(bad)
        for bad in ([np.nan, 0, 0], [0, np.inf, 0], [1j, 0, 0], "abc", object()):
            with pytest.raises(InvalidValueError):
                f(bad)
        np.testing.assert_array_equal(f([0, 1, 2]), f(np.array([0.0, 1.0, 2.0])))


# -- Robot methods --------------------------------------------------------------------------------
def test_robot_methods_reject_bad_input(robot: kinejac.Robot) -> None:
    q = robot.neutral()
    with pytest.raises(JointNotFound, match="did you mean 'left_elbow'"):
        robot.from_dict({"left_elbw": 0.1})
    with pytest.raises(JointNotFound):
        robot.joint(None)
    with pytest.raises(InvalidValueError, match="left_elbow"):
        robot.from_dict({"left_elbow": np.nan})
    with pytest.raises(ShapeError, match="left_elbow"):
        robot.from_dict({"left_elbow": [0.1, 0.2]})
    with pytest.raises(KinejacError, match="mimic"):
        robot.from_dict({"right_finger": 0.1})
    with pytest.raises(ShapeError, match="one configuration"):
        robot.to_dict(np.stack([q, q]))
    with pytest.raises(InvalidValueError, match="size"):
        robot.random_configuration(0, size=-1)
    assert robot.random_configuration(0, size=0).shape == (0, robot.nq)
    zero = q.copy()
    zero[3:7] = 0.0
    with pytest.raises(InvalidValueError, match="zero"):
        robot.clip(zero)
    # to_dict/from_dict round trip, integers accepted for 1-DOF joints
    values = robot.to_dict(robot.random_configuration(4))
    np.testing.assert_allclose(robot.from_dict(values), robot.from_dict(dict(values)))
    assert robot.from_dict({"left_elbow": 1})[robot.joint("left_elbow").idx_q] == 1.0


def test_load_rejects_bad_arguments(tmp_path) -> None:
    with pytest.raises(RobotNotFound, match="did you mean 'panda'"):
        kinejac.load("pandaa")
    with pytest.raises(InvalidChoiceError, match="floating, planar"):
        kinejac.load("planar_2r", root_joint="free")
    with pytest.raises(JointNotFound):
        kinejac.load("ur5", locked_joints=["no_such_joint"])
    with pytest.raises(URDFError, match="finite"):
        kinejac.load("ur5", locked_joints={"shoulder_pan_joint": np.nan})
    with pytest.raises(URDFError):
        kinejac.load("ur5", locked_joints={"shoulder_pan_joint": [0.1, 0.2]})
    with pytest.raises(KinejacError):
        kinejac.load(tmp_path / "missing.urdf")


# -- poses --------------------------------------------------------------------------------------------
def _not_rigid() -> dict[str, tuple[np.ndarray, type]]:
    T = np.eye(4)
    T[:3, 3] = [0.1, 0.2, 0.3]
    scaled, sheared, mirrored, last_row = T.copy(), T.copy(), T.copy(), T.copy()
    scaled[:3, :3] *= 1.01
    sheared[0, 1] = 0.2
    mirrored[2, 2] = -1.0
    last_row[3] = [0.0, 0.0, 1.0, 1.0]
    nan = T.copy()
    nan[0, 3] = np.nan
    return {
        "scaled rotation": (scaled, InvalidValueError),
        "shear": (sheared, InvalidValueError),
        "reflection (det -1)": (mirrored, InvalidValueError),
        "last row": (last_row, InvalidValueError),
        "NaN": (nan, InvalidValueError),
        "3x3": (np.eye(3), ShapeError),
        "batch": (np.stack([T, T]), ShapeError),
        "3x4": (T[:3], ShapeError),
        "string": ("eye", InvalidValueError),
    }


@pytest.mark.parametrize("case", list(_not_rigid()))
def test_poses_that_are_not_rigid_transforms(case: str) -> None:
    T, error = _not_rigid()[case]
    with pytest.raises(error):
        as_transform(T, "target")
    with pytest.raises(error):
        as_se3(T, "target")


def test_rigid_transforms_are_accepted_in_every_form() -> None:
    M = pin.SE3(pin.rpy.rpyToMatrix(0.1, -0.2, 0.3), np.array([0.4, 0.5, 0.6]))
    for form in (M, M.homogeneous, M.homogeneous.tolist(), np.asfortranarray(M.homogeneous)):
        np.testing.assert_allclose(as_transform(form), M.homogeneous, atol=1e-15)
    almost = M.homogeneous.copy()
    almost[:3, :3] *= 1 + 1e-9  # within tolerance: re-orthonormalised by as_se3
    R = as_se3(almost).rotation
    np.testing.assert_allclose(R.T @ R, np.eye(3), atol=1e-14)


def test_robot_without_joints(tmp_path) -> None:
    """Only fixed joints (nq = nv = 0): zero-width answers for single and batched calls, no crash
    (pinocchio's computeJointJacobiansTimeVariation segfaults on such a model)."""
    path = tmp_path / "rigid.urdf"
    path.write_text(
        '<robot name="rigid"><link name="base"/><link name="tool"/><joint name="weld" type="fixed">'
        '<parent link="base"/><child link="tool"/><origin xyz="0.1 0.2 0.3" rpy="0 0 1.5707963267948966"/>'
        "</joint></robot>"
    )
    robot = kinejac.load(path)
    assert (robot.nq, robot.nv) == (0, 0)
    q, Q = robot.neutral(), np.zeros((3, 0))
    np.testing.assert_allclose(kinejac.pose(robot, q, "tool")[:3, 3], [0.1, 0.2, 0.3])
    for batch, lead in ((q, ()), (Q, (3,)), (Q[:0], (0,))):
        v = np.zeros((*lead, 0))
        assert kinejac.jacobian(robot, batch, "tool").shape == (*lead, 6, 0)
        assert kinejac.jacobian(robot, batch, "tool", point=[1, 0, 0]).shape == (*lead, 6, 0)
        assert kinejac.jacobian_dot(robot, batch, v, "tool").shape == (*lead, 6, 0)
        assert kinejac.hessian(robot, batch, "tool").shape == (*lead, 6, 0, 0)
        np.testing.assert_array_equal(kinejac.twist(robot, batch, v, "tool"), np.zeros((*lead, 6)))
        assert kinejac.vjp(robot, batch, np.ones((*lead, 6)), "tool").shape == (*lead, 0)
        assert robot.integrate(batch, v).shape == robot.difference(batch, batch).shape == (*lead, 0)
