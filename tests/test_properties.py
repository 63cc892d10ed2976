"""Property tests (hypothesis) on generated robots: chains and trees of 1-12 revolute, continuous,
prismatic, fixed and mimic joints with random axes, origins and limits, on a fixed, floating or
planar base (tests/urdf_gen.py).

For every generated robot: the loaded model matches forward kinematics computed here from the URDF
numbers alone; every Jacobian-engine quantity matches central finite differences on the manifold
(``kinejac.check_derivatives`` and an independent check stepping with ``pin.integrate``); batched
== loop (also for empty batches); integrate/difference round trip.

Profiles: ``ci`` (default: few examples, derandomized so CI is reproducible) and ``thorough``
(``KINEJAC_HYPOTHESIS_PROFILE=thorough pytest tests/test_properties.py``).
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

import numpy as np
import pinocchio as pin
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from urdf_gen import RobotSpec, random_spec, robot_specs

import kinejac
from kinejac import Reference

settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough",
    max_examples=400,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE_NAME = os.environ.get("KINEJAC_HYPOTHESIS_PROFILE", "ci")
# applied per test (not loaded globally) so other test modules keep their own settings
PROFILE = settings.get_profile(PROFILE_NAME)
SEEDS = st.integers(0, 2**32 - 1)
EPS = 1e-6
BASE_SIZES = {None: (0, 0), "floating": (7, 6), "planar": (4, 3)}


def load_spec(spec: RobotSpec) -> kinejac.Robot:
    with tempfile.TemporaryDirectory() as folder:
        return kinejac.load(spec.write(folder), root_joint=spec.root_joint)


def frames_of(spec: RobotSpec) -> list[str]:
    """Leaves (end effectors) and the deepest link: at most two frames per robot, to keep CI short."""
    return list(dict.fromkeys([spec.leaves[0], spec.leaves[-1], spec.links[-1]]))[:2]


# -- an independent forward kinematics from the URDF numbers --------------------------------------
def _rot(axis: np.ndarray, angle: float) -> np.ndarray:
    k = axis / np.linalg.norm(axis)
    K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + math.sin(angle) * K + (1 - math.cos(angle)) * K @ K


def _rpy(r: float, p: float, y: float) -> np.ndarray:
    return _rot(np.array([0.0, 0, 1]), y) @ _rot(np.array([0.0, 1, 0]), p) @ _rot(np.array([1.0, 0, 0]), r)


def _T(R: np.ndarray, t) -> np.ndarray:
    T = np.eye(4)
    T[:3, :3], T[:3, 3] = R, t
    return T


def reference_fk(spec: RobotSpec, robot: kinejac.Robot, q: np.ndarray) -> dict[str, np.ndarray]:
    """``T_world_link`` for every link, from the spec's numbers and the URDF rules only."""
    values = robot.to_dict(q)
    if spec.root_joint == "floating":
        x, y, z, qx, qy, qz, qw = values["root_joint"]
        base = _T(pin.Quaternion(qw, qx, qy, qz).matrix(), (x, y, z))
    elif spec.root_joint == "planar":
        x, y, c, s = values["root_joint"]
        base = _T(_rot(np.array([0.0, 0, 1]), math.atan2(s, c)), (x, y, 0))
    else:
        base = np.eye(4)
    T = {spec.links[0]: base}
    for j in spec.joints:  # parents come first
        value = values.get(j.name, 0.0)
        if j.mimicked is not None:
            value = j.multiplier * values[j.mimicked] + j.offset
        kind = j.urdf_type or j.kind
        axis = np.array(j.axis)
        if kind in ("revolute", "continuous"):
            motion = _T(_rot(axis, value), (0, 0, 0))
        elif kind == "prismatic":
            motion = _T(np.eye(3), axis / np.linalg.norm(axis) * value)
        else:
            motion = np.eye(4)
        T[j.child] = T[j.parent] @ _T(_rpy(*j.rpy), j.xyz) @ motion
    return T


# -- an independent finite-difference Jacobian, stepping with pin.integrate ----------------------
def fd_jacobian_local(robot: kinejac.Robot, q: np.ndarray, frame: str) -> np.ndarray:
    """``J_local`` column k = d/dt log6(T0⁻¹ T(q ⊕ t e_k)) at t = 0 (central differences)."""
    T0 = pin.SE3(kinejac.pose(robot, q, frame))
    J = np.empty((6, robot.nv))
    for k in range(robot.nv):
        e = np.zeros(robot.nv)
        e[k] = EPS
        plus = pin.SE3(kinejac.pose(robot, pin.integrate(robot.model, q, e), frame))
        minus = pin.SE3(kinejac.pose(robot, pin.integrate(robot.model, q, -e), frame))
        J[:, k] = (pin.log6(T0.actInv(plus)).vector - pin.log6(T0.actInv(minus)).vector) / (2 * EPS)
    return J


def to_reference(J_local: np.ndarray, T: np.ndarray, reference: Reference) -> np.ndarray:
    if reference is Reference.LOCAL:
        return J_local
    R = T[:3, :3]
    J = np.vstack([R @ J_local[:3], R @ J_local[3:]])  # local_world_aligned
    if reference is Reference.WORLD:  # measured at the world origin: v_O = v_p + ω × (O - p)
        J[:3] -= np.cross(J[3:], T[:3, 3], axisa=0, axisc=0)
    return J


def assert_close(a, b, tol=1e-5, what=""):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != {b.shape}"
    scale = max(1.0, float(np.abs(b).max(initial=0.0)))
    err = float(np.abs(a - b).max(initial=0.0)) / scale
    assert err <= tol, f"{what}: relative error {err:.2e} > {tol:.0e}"


# -- the properties ------------------------------------------------------------------------------
@PROFILE
@given(spec=robot_specs(), seed=SEEDS)
def test_generated_robot_loads_as_specified(spec: RobotSpec, seed: int) -> None:
    """Sizes, joint kinds, limits and every link's pose agree with the URDF numbers."""
    robot = load_spec(spec)
    base_nq, base_nv = BASE_SIZES[spec.root_joint]
    kinds = [j.kind for j in spec.joints if j.kind not in ("fixed", "mimic")]
    assert robot.nv == base_nv + len(kinds)
    assert robot.nq == base_nq + len(kinds) + kinds.count("continuous")
    moving = [j for j in robot.joints if j.name != "root_joint" and j.kind != "mimic"]
    by_name = {j.name: j for j in spec.joints}
    assert {j.name: j.kind for j in moving} == {j.name: j.kind for j in spec.joints if j.kind not in ("fixed", "mimic")}
    for info in moving:
        j = by_name[info.name]
        if j.kind in ("revolute", "prismatic"):
            assert (robot.lower[info.idx_q], robot.upper[info.idx_q]) == pytest.approx((j.lower, j.upper))
        else:
            assert np.isinf(robot.lower[info.idx_q]) and np.isinf(robot.upper[info.idx_q])
    assert {j.name for j in robot.joints if j.kind == "mimic"} == {j.name for j in spec.joints if j.kind == "mimic"}
    rng = np.random.default_rng(seed)
    for q in [robot.neutral(), *robot.random_configuration(rng, size=2)]:
        expected = reference_fk(spec, robot, q)
        for link in spec.links:
            assert_close(kinejac.pose(robot, q, link), expected[link], 1e-9, f"pose of {link}")


@PROFILE
@given(spec=robot_specs(), seed=SEEDS)
def test_jacobian_engine_matches_finite_differences(spec: RobotSpec, seed: int) -> None:
    robot = load_spec(spec)
    rng = np.random.default_rng(seed)
    q = robot.random_configuration(rng)
    v, w = rng.standard_normal(robot.nv), rng.standard_normal(6)
    point = rng.uniform(-0.3, 0.3, 3)
    for frame in frames_of(spec):
        if robot.nv:  # check_derivatives has nothing to compare on a robot without joints
            report = kinejac.check_derivatives(robot, frame, q, rng=seed, tol=1e-5)
            assert report.ok, str(report)
        T = kinejac.pose(robot, q, frame)
        J_local = fd_jacobian_local(robot, q, frame)
        for ref in Reference:
            J = kinejac.jacobian(robot, q, frame, ref)
            assert_close(J, to_reference(J_local, T, ref), what=f"jacobian[{ref.value}]")
            assert_close(kinejac.twist(robot, q, v, frame, ref), J @ v, 1e-12, "twist")
            assert_close(kinejac.vjp(robot, q, w, frame, ref), J.T @ w, 1e-12, "vjp")
        # jacobian of a point rigidly attached to the frame: differences of its position
        cols = []
        for k in range(robot.nv):
            e = EPS * np.eye(robot.nv)[k]
            plus = kinejac.pose(robot, pin.integrate(robot.model, q, e), frame, point=point)
            minus = kinejac.pose(robot, pin.integrate(robot.model, q, -e), frame, point=point)
            cols.append((plus[:3, 3] - minus[:3, 3]) / (2 * EPS))
        fd = np.array(cols).reshape(robot.nv, 3).T
        assert_close(kinejac.jacobian(robot, q, frame, point=point)[:3], fd, what="point jacobian")
        # dJ/dt and the Hessian against differences of J (local_world_aligned)
        Jq = lambda qq, f=frame: kinejac.jacobian(robot, qq, f)  # noqa: E731
        fd_dot = (Jq(pin.integrate(robot.model, q, EPS * v)) - Jq(pin.integrate(robot.model, q, -EPS * v))) / (2 * EPS)
        assert_close(kinejac.jacobian_dot(robot, q, v, frame), fd_dot, what="jacobian_dot")
        H = kinejac.hessian(robot, q, frame)
        for k in range(robot.nv):
            e = EPS * np.eye(robot.nv)[k]
            fd_k = (Jq(pin.integrate(robot.model, q, e)) - Jq(pin.integrate(robot.model, q, -e))) / (2 * EPS)
            assert_close(H[:, :, k], fd_k, what=f"hessian[:, :, {k}]")
        assert_close(H @ v, kinejac.jacobian_dot(robot, q, v, frame), 1e-9, "H @ v == jacobian_dot")


@PROFILE
@given(spec=robot_specs(), seed=SEEDS, batch=st.integers(0, 4))
def test_batched_equals_loop(spec: RobotSpec, seed: int, batch: int) -> None:
    """Every engine function on a (B, nq) batch equals the per-sample loop; B = 0 gives empty
    arrays of the right shape."""
    robot = load_spec(spec)
    rng = np.random.default_rng(seed)
    Q = robot.random_configuration(rng, size=batch)
    V, W = rng.standard_normal((batch, robot.nv)), rng.standard_normal((batch, 6))
    frame = frames_of(spec)[0]
    nv = robot.nv
    calls = {
        "pose": (lambda q, v, w: kinejac.pose(robot, q, frame), (4, 4)),
        "pose point": (lambda q, v, w: kinejac.pose(robot, q, frame, point=[0.1, 0, 0]), (4, 4)),
        "jacobian": (lambda q, v, w: kinejac.jacobian(robot, q, frame, "local"), (6, nv)),
        "jacobian point": (lambda q, v, w: kinejac.jacobian(robot, q, frame, point=[0, 0.2, 0]), (6, nv)),
        "twist": (lambda q, v, w: kinejac.twist(robot, q, v, frame, "world"), (6,)),
        "vjp": (lambda q, v, w: kinejac.vjp(robot, q, w, frame), (nv,)),
        "jacobian_dot": (lambda q, v, w: kinejac.jacobian_dot(robot, q, v, frame, "local"), (6, nv)),
        "hessian": (lambda q, v, w: kinejac.hessian(robot, q, frame), (6, nv, nv)),
        "integrate": (lambda q, v, w: robot.integrate(q, v), (robot.nq,)),
        "difference": (lambda q, v, w: robot.difference(q, robot.integrate(q, 0.5 * v)), (nv,)),
    }
    for name, (f, shape) in calls.items():
        out = f(Q, V, W)
        assert out.shape == (batch, *shape), name
        for i in range(batch):
            assert_close(out[i], f(Q[i], V[i], W[i]), 1e-12, f"{name}[{i}]")
    assert robot.within_limits(Q).shape == (batch,)


@PROFILE
@given(spec=robot_specs(), seed=SEEDS, scale=st.floats(1e-6, 1.0))
def test_integrate_difference_round_trip(spec: RobotSpec, seed: int, scale: float) -> None:
    robot = load_spec(spec)
    rng = np.random.default_rng(seed)
    q0 = robot.random_configuration(rng)
    v = scale * rng.uniform(-1, 1, robot.nv)  # rotations stay below pi: the shortest way round is v
    q1 = robot.integrate(q0, v)
    assert_close(robot.difference(q0, q1), v, 1e-9, "difference(q0, q0 ⊕ v)")
    q2 = robot.random_configuration(rng)
    assert_close(robot.difference(q2, robot.integrate(q0, robot.difference(q0, q2))), np.zeros(robot.nv), 1e-9,
                 "q0 ⊕ (q2 ⊖ q0) == q2")
    assert robot.within_limits(robot.random_configuration(rng, size=5)).all()
    assert_close(robot.clip(q1), robot.clip(robot.clip(q1)), 1e-12, "clip is idempotent")


def test_generator_is_reproducible_and_covers_every_joint_type() -> None:
    """random_spec (numpy) and robot_specs (hypothesis) drive one builder; over a few seeds every
    joint type, several axis styles and every base occur."""
    assert random_spec(7).to_urdf() == random_spec(7).to_urdf()
    specs = [random_spec(seed) for seed in range(60)]
    kinds = {j.kind for s in specs for j in s.joints}
    assert kinds == {"revolute", "continuous", "prismatic", "fixed", "mimic"}
    assert {s.root_joint for s in specs} == {None, "floating", "planar"}
    axes = [np.array(j.axis) for s in specs for j in s.joints]
    assert any(abs(np.linalg.norm(a) - 1) > 0.1 for a in axes)  # some not unit length
    assert any(np.count_nonzero(a) == 3 for a in axes)  # some not along x, y or z
    assert max(len(s.joints) for s in specs) > 8 and min(len(s.joints) for s in specs) < 4
    with tempfile.TemporaryDirectory() as folder:
        for s in specs[:10]:
            kinejac.load(s.write(Path(folder)), root_joint=s.root_joint)


# -- solvers and analysis --------------------------------------------------------------------------
def _well_conditioned(robot, frame, part, rng, tries=6):
    """A configuration whose selected Jacobian rows have well-separated, non-vanishing singular
    values up to the generic rank (so the measures are smooth there), or None."""
    rows = {"full": slice(0, 6), "translation": slice(0, 3), "rotation": slice(3, 6)}[part]
    r = kinejac.generic_rank(robot, frame, part)
    for _ in range(tries):
        q = robot.random_configuration(rng)
        s = np.linalg.svd(kinejac.jacobian(robot, q, frame)[rows], compute_uv=False)[:r]
        if r and s[-1] > 0.05 and (r == 1 or np.diff(s).max() < -1e-2):
            return q, r
    return None, r


@PROFILE
@given(
    spec=robot_specs(root_joints=(None,)),
    seed=SEEDS,
    measure=st.sampled_from(["yoshikawa", "condition", "min_singular"]),
    part=st.sampled_from(["full", "translation", "rotation"]),
)
def test_manipulability_and_gradient_match_finite_differences(spec: RobotSpec, seed: int, measure: str, part: str):
    robot = load_spec(spec)
    frame = frames_of(spec)[0]
    rng = np.random.default_rng(seed)
    if kinejac.generic_rank(robot, frame, part) == 0:
        event("generic rank 0")
        return  # nothing moves the frame that way: see test_manipulability_of_a_rank_zero_part
    Q = robot.random_configuration(rng, size=3)
    w = kinejac.manipulability(robot, Q, frame, measure=measure, part=part)
    g = kinejac.manipulability_gradient(robot, Q, frame, measure, part)
    assert w.shape == (3,) and g.shape == (3, robot.nv)
    assert np.isfinite(w).all() and np.isfinite(g).all()
    assert (w >= 0).all()
    q, _ = _well_conditioned(robot, frame, part, rng)
    if q is None:
        event("no regular configuration found")
        return  # in a few tries
    m = lambda qq: kinejac.manipulability(robot, qq, frame, measure=measure, part=part)  # noqa: E731
    fd = np.array(
        [(m(pin.integrate(robot.model, q, EPS * e)) - m(pin.integrate(robot.model, q, -EPS * e))) / (2 * EPS)
         for e in np.eye(robot.nv)]
    )
    assert_close(kinejac.manipulability_gradient(robot, q, frame, measure, part), fd, 1e-5, f"{measure} gradient")
    event("gradient compared with finite differences")


@PROFILE
@given(spec=robot_specs(root_joints=(None, "floating")), seed=SEEDS)
def test_fk_ik_round_trip(spec: RobotSpec, seed: int) -> None:
    robot = load_spec(spec)
    frame = frames_of(spec)[0]
    rng = np.random.default_rng(seed)
    q_true = robot.random_configuration(rng)
    T = kinejac.pose(robot, q_true, frame)
    q0 = robot.clip(robot.integrate(q_true, rng.uniform(-0.2, 0.2, robot.nv)))
    for start in (q0, None):  # near the answer it must succeed; from the default start it may not
        result = kinejac.solve_ik(robot, T, frame, q0=start)
        assert robot.within_limits(result.q)
        reached = kinejac.pose(robot, result.q, frame)
        # the errors the solver reports are those of an independent pinocchio FK (to round-off), and
        # success means both are within its tolerances (1e-6 m and 1e-6 rad by default)
        p_err = np.linalg.norm(reached[:3, 3] - T[:3, 3])
        r_err = np.linalg.norm(pin.log3(reached[:3, :3].T @ T[:3, :3]))
        assert abs(p_err - result.position_error) < 1e-12 and abs(r_err - result.rotation_error) < 1e-12
        if result.success:  # never claims success for a wrong answer
            assert p_err <= 1e-6 + 1e-12 and r_err <= 1e-6 + 1e-12
        else:
            assert start is None, f"IK failed from a start 0.2 rad away: {result.reason}"


@pytest.mark.parametrize("measure", ["condition", "min_singular"])
def test_manipulability_of_a_rank_zero_part(measure: str) -> None:
    """A prismatic-only arm never rotates its tool: the rotation part has generic rank 0."""
    spec = random_spec(0, n_joints=2, types=("prismatic",), root_joints=(None,))
    robot = load_spec(spec)
    frame = spec.links[-1]
    assert kinejac.generic_rank(robot, frame, "rotation") == 0
    q = robot.random_configuration(0)
    with pytest.raises(kinejac.InvalidValueError, match="generic rank is 0"):
        kinejac.manipulability(robot, q, frame, measure=measure, part="rotation")
    with pytest.raises(kinejac.InvalidValueError, match=r"can never move along the selected rows \(wx, wy, wz\)"):
        kinejac.manipulability_gradient(robot, q, frame, measure, "rotation")
