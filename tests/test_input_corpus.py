"""A corpus of malformed and edge-case calls to every public function added since the first version:
motion (paths, interpolation, velocity IK and its tasks, obstacle distances), obstacles and scenes,
exact collision checks, collision-aware and batched IK, reachability maps and their files,
``load(srdf=)`` and disabled pairs.

Each case is a call and what it must give: a :class:`~kinejac.KinejacError` subclass whose message
names the offending argument (a regex), or a finite result. Nothing may hang, allocate without
asking, raise a foreign exception (``TypeError``, ``AttributeError``, ``OverflowError``, numpy's
or coal's), or return NaN. The doors are shared (``kinejac.spatial.check_transforms`` for every
pose, ``Robot.check_q`` for every configuration, ``kinejac._checks.positive`` for sizes, counts
and steps), and every door is tried from every function that has one. The properties of the pose
door itself are checked with hypothesis at the end.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pinocchio as pin
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kinejac
from kinejac import motion
from kinejac.collision import Box, Capsule, Cylinder, Mesh, PointCloud, SceneError, Sphere, load_scene
from kinejac.collision.pairs import SRDFError, generate_disabled_pairs, read_srdf
from kinejac.errors import (
    InvalidChoiceError,
    InvalidValueError,
    KinejacError,
    ResourceLimitError,
    ShapeError,
    UnknownOptionError,
)
from kinejac.ik import FrameTarget, IKSolver
from kinejac.reachability import MapFileError, MapFileNotFound, ReachabilityMap
from kinejac.spatial import MAX_COORDINATE, as_transform, check_transforms

FRAME = "panda_hand_tcp"


@dataclass
class Env:
    """What the cases call into: robots, a start, a reachable pose, obstacles, maps, files."""

    panda: kinejac.Robot
    planar: kinejac.Robot
    q0: np.ndarray
    T0: np.ndarray
    ball: Sphere
    position_map: ReachabilityMap
    orientation_map: ReachabilityMap
    folder: Any


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> Env:
    panda = kinejac.load("panda", locked_joints=["panda_finger_joint1"])
    planar = kinejac.load("planar_2r")
    q0 = panda.clip(np.array([0.0, -0.3, 0.0, -2.2, 0.0, 2.0, 0.8]))
    T0 = kinejac.pose(panda, q0, FRAME)
    plane = [[-2.0, -2.0, 0.0], [2.0, 2.0, 0.0]]
    options = {"resolution": 0.5, "bounds": plane, "workers": 1, "part": "translation"}
    position_map = kinejac.reachability(planar, "tool", orientations="position", **options)
    orientation_map = kinejac.reachability(planar, "tool", orientations=2, **options)
    folder = tmp_path_factory.mktemp("corpus")
    return Env(panda, planar, q0, T0, Sphere(0.05, T0[:3, 3] + [0.0, 0.0, -0.3], name="ball"), position_map,
               orientation_map, folder)  # fmt: skip


@dataclass(frozen=True)
class Case:
    """``call(env)`` must raise ``error`` with a message matching ``match``, or (``error`` None) return
    something finite."""

    id: str
    call: Callable[[Env], Any]
    error: type[Exception] | None = None
    match: str = ""


CASES: list[Case] = []


def case(id: str, call: Callable[[Env], Any], error: type[Exception] | None = None, match: str = "") -> None:
    CASES.append(Case(id, call, error, match))


def finite(id: str, call: Callable[[Env], Any]) -> None:
    CASES.append(Case(id, call))


# -- poses: one door, tried from every function that takes a pose ------------------------------------------
def _se3(R, p) -> pin.SE3:
    return pin.SE3(np.asarray(R, dtype=float), np.asarray(p, dtype=float))


def _T(p=(0.4, 0.0, 0.5)) -> np.ndarray:
    T = np.diag([1.0, -1.0, -1.0, 1.0])
    T[:3, 3] = p
    return T


_SHEAR = np.eye(3)
_SHEAR[0, 1] = 0.3
BAD_POSES: dict[str, tuple[Any, type[Exception], str]] = {
    # name: (pose, error, what the message says)
    "se3_nan": (_se3(np.eye(3), [np.nan, 0, 0]), InvalidValueError, "NaN or inf"),
    "se3_inf": (_se3(np.eye(3), [0, np.inf, 0]), InvalidValueError, "NaN or inf"),
    "se3_scaled": (_se3(2 * np.eye(3), [0.4, 0, 0.5]), InvalidValueError, "not a rigid transform"),
    "se3_sheared": (_se3(_SHEAR, [0.4, 0, 0.5]), InvalidValueError, "not a rigid transform"),
    "se3_reflection": (_se3(np.diag([1.0, 1.0, -1.0]), [0.4, 0, 0.5]), InvalidValueError, "not a rigid transform"),
    "se3_huge": (_se3(np.eye(3), [1e300, 0, 0]), InvalidValueError, "beyond the"),
    "array_nan": (np.where(np.eye(4) == 1, np.nan, 0.0), InvalidValueError, "NaN or inf"),
    "array_scaled": (np.diag([2.0, 2.0, 2.0, 1.0]), InvalidValueError, "not a rigid transform"),
    "array_last_row": (np.array([[1.0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0.1, 0, 0, 1]]), InvalidValueError,
                       "last row"),
    "array_huge": (_T((0.0, 2e9, 0.0)), InvalidValueError, "beyond the"),
    "array_complex": (np.eye(4) + 0j, InvalidValueError, "complex"),
    "array_text": ([["a"] * 4] * 4, InvalidValueError, "numbers"),
}

# every pose-taking door: (name, f(env, pose), what the message names)
POSE_DOORS: list[tuple[str, Callable[[Env, Any], Any], str]] = [
    ("as_transform", lambda e, T: as_transform(T, "T"), r"\bT\b"),
    ("FrameTarget.pose", lambda e, T: FrameTarget.pose(FRAME, T), "target"),
    ("FrameTask", lambda e, T: kinejac.FrameTask(FRAME, T), "target"),
    ("FrameTask.set_target", lambda e, T: kinejac.FrameTask(FRAME, e.T0).set_target(T), "target"),
    ("solve_ik", lambda e, T: kinejac.solve_ik(e.panda, T, FRAME), "target"),
    ("solve_ik(obstacles)", lambda e, T: kinejac.solve_ik(e.panda, T, FRAME, obstacles=[e.ball]), "target"),
    ("IKSolver.solve", lambda e, T: IKSolver(e.panda, FRAME).solve(T), "target"),
    ("solve_ik_batch", lambda e, T: kinejac.solve_ik_batch(e.panda, _batch(T), FRAME), r"targets(\[1\])?"),
    ("solve_ik_path", lambda e, T: kinejac.solve_ik_path(e.panda, [T], FRAME, e.q0), "poses"),
    ("solve_ik_path(2 waypoints)", lambda e, T: kinejac.solve_ik_path(e.panda, [e.T0, T], FRAME, e.q0), "poses"),
    ("interpolate_poses", lambda e, T: motion.interpolate_poses([e.T0, T]), "poses"),
    ("Box", lambda e, T: Box([0.1, 0.1, 0.1], T), "box pose"),
    ("Capsule", lambda e, T: Capsule(0.1, 0.2, T), "capsule pose"),
    ("Cylinder", lambda e, T: Cylinder(0.1, 0.2, T, name="c"), "cylinder 'c' pose"),
    ("ReachabilityMap.query", lambda e, T: e.orientation_map.query(T), "pose_or_point"),
    ("ReachabilityMap.query(batch)", lambda e, T: e.orientation_map.query(_batch(T)), r"pose_or_point(\[1\])?"),
    ("ReachabilityMap.inverse", lambda e, T: e.orientation_map.inverse(T), "target"),
]


def _batch(T) -> Any:
    """A batch of a good pose and ``T`` (as arrays; an SE3 as its matrix)."""
    M = T.homogeneous if isinstance(T, pin.SE3) else T
    try:
        return np.stack([_T(), np.asarray(M)])
    except (TypeError, ValueError):
        return [_T().tolist(), M]


for door, call, names in POSE_DOORS:
    for bad, (pose, error, what) in BAD_POSES.items():
        if door in ("solve_ik_batch", "ReachabilityMap.query(batch)") and bad.startswith("se3"):
            continue  # batches are arrays: their SE3 forms are the array cases
        case(f"pose:{door}:{bad}", lambda e, c=call, p=pose: c(e, p), error, f"{names}.*{what}|{what}.*{names}")

# good poses at every door give finite answers
finite("pose:solve_ik:se3", lambda e: kinejac.solve_ik(e.panda, pin.SE3(e.T0), FRAME).position_error)
finite("pose:FrameTask:nearly_rigid", lambda e: kinejac.FrameTask(FRAME, e.T0 @ np.diag([1 + 1e-8, 1, 1, 1])).target)
finite("pose:interpolate:one", lambda e: motion.interpolate_poses(e.T0))
finite("pose:interpolate:same_twice", lambda e: motion.interpolate_poses([e.T0, e.T0]))
finite("pose:Box:se3", lambda e: Box([0.1, 0.2, 0.3], pin.SE3.Identity()).pose)
finite("pose:query:inside", lambda e: e.orientation_map.query(np.eye(4)))
finite("pose:solve_ik_batch:empty", lambda e: kinejac.solve_ik_batch(e.panda, np.zeros((0, 4, 4)), FRAME).q)
finite("pose:path:start_pose", lambda e: kinejac.solve_ik_path(e.panda, [e.T0], FRAME, e.q0).q)

# -- configurations: Robot.check_q from every function that takes one -------------------------------------
BAD_Q: dict[str, tuple[Callable[[np.ndarray], Any], type[Exception], str]] = {
    "nan": (lambda q: np.where(np.arange(len(q)) == 1, np.nan, q), InvalidValueError, "NaN or inf"),
    "inf": (lambda q: np.where(np.arange(len(q)) == 2, np.inf, q), InvalidValueError, "NaN or inf"),
    "short": (lambda q: q[:-1], ShapeError, "shape"),
    "long": (lambda q: np.append(q, 0.0), ShapeError, "shape"),
    "complex": (lambda q: q + 1j, InvalidValueError, "complex"),
    "text": (lambda q: ["a"] * len(q), InvalidValueError, "numbers"),
    "none": (lambda q: None, ShapeError, "shape"),
}
Q_DOORS: list[tuple[str, Callable[[Env, Any], Any], str]] = [
    ("VelocityIK.solve", lambda e, q: kinejac.VelocityIK(e.panda, [_posture(e)]).solve(q, 0.01), r"\bq\b"),
    ("velocity_ik", lambda e, q: kinejac.velocity_ik(e.panda, q, [_posture(e)], 0.01), r"\bq\b"),
    ("solve_ik_path", lambda e, q: kinejac.solve_ik_path(e.panda, [e.T0], FRAME, q), "q0"),
    ("solve_ik(q0)", lambda e, q: kinejac.solve_ik(e.panda, e.T0, FRAME, q0=q), "q0"),
    ("solve_ik_batch(q0)", lambda e, q: kinejac.solve_ik_batch(e.panda, e.T0[None], FRAME, q0=q), "q0"),
    ("collisions", lambda e, q: kinejac.collisions(e.panda, q, [e.ball]), r"\bq\b"),
    ("clearance", lambda e, q: kinejac.clearance(e.panda, q, [e.ball]), r"\bq\b"),
    ("in_collision", lambda e, q: kinejac.in_collision(e.panda, q, [e.ball], self_collision=False), r"\bq\b"),
    ("PostureTask(q_ref)", lambda e, q: kinejac.VelocityIK(e.panda, [kinejac.PostureTask(q, cost=1.0)]), "q_ref"),
    ("PostureTask.set_target", lambda e, q: _posture(e).set_target(q), "q_ref"),
    ("FrameTask.error", lambda e, q: _bound_frame_task(e).error(e.panda, q), r"\bq\b"),
    ("time_parameterize", lambda e, q: motion.time_parameterize(e.panda, np.stack([e.q0, q])), r"\bq\b"),
]


def _posture(e: Env) -> kinejac.PostureTask:
    task = kinejac.PostureTask(e.q0, cost=1e-3)
    task.bind(e.panda)
    return task


def _bound_frame_task(e: Env) -> kinejac.FrameTask:
    task = kinejac.FrameTask(FRAME, e.T0)
    task.bind(e.panda)
    return task


for door, call, names in Q_DOORS:
    for bad, (make, error, what) in BAD_Q.items():
        if door == "time_parameterize" and bad in ("short", "long", "text", "none"):
            continue  # np.stack of ragged rows: the test's own construction, not the door
        if door in ("PostureTask(q_ref)", "PostureTask.set_target") and bad == "none":
            continue  # q_ref=None means "set it later", documented
        if door in ("solve_ik(q0)", "solve_ik_batch(q0)") and bad == "none":
            continue  # q0=None: the default start, documented
        case(f"q:{door}:{bad}", lambda e, c=call, m=make: c(e, m(e.q0)), error, f"{names}.*{what}|{what}.*{names}")

finite("q:VelocityIK.solve:at_limits", lambda e: kinejac.VelocityIK(e.panda, [_posture(e)]).solve(e.panda.upper, 0.01))
finite("q:collisions:batch", lambda e: np.array(kinejac.in_collision(e.panda, np.stack([e.q0] * 2), [e.ball])))
finite("q:clearance:list", lambda e: kinejac.clearance(e.panda, e.q0.tolist(), [e.ball]).distance)
finite("q:time_parameterize:one_row", lambda e: motion.time_parameterize(e.panda, e.q0[None]))

# -- sizes, counts and steps: positive() from every function that takes one ------------------------------
NOT_POSITIVE = {"zero": 0, "negative": -1.0, "nan": math.nan, "inf": math.inf, "text": "a", "none": None,
                "bool": True, "complex": 1j}  # fmt: skip
NOT_COUNT = {**NOT_POSITIVE, "fraction": 1.5}
SIZE_DOORS: list[tuple[str, Callable[[Env, Any], Any], str, dict]] = [
    ("solve_ik_path.max_joint_step", lambda e, x: kinejac.solve_ik_path(e.panda, [e.T0], FRAME, e.q0, max_joint_step=x),
     "max_joint_step", NOT_POSITIVE),
    ("solve_ik_path.max_cartesian_step",
     lambda e, x: kinejac.solve_ik_path(e.panda, [e.T0], FRAME, e.q0, max_cartesian_step=x), "max_cartesian_step",
     NOT_POSITIVE),
    ("solve_ik_path.max_rotation_step",
     lambda e, x: kinejac.solve_ik_path(e.panda, [e.T0], FRAME, e.q0, max_rotation_step=x), "max_rotation_step",
     NOT_POSITIVE),
    ("solve_ik_path.max_bisections", lambda e, x: kinejac.solve_ik_path(e.panda, [e.T0], FRAME, e.q0, max_bisections=x),
     "max_bisections", {k: v for k, v in NOT_COUNT.items() if k != "zero"}),
    ("solve_ik_path.max_waypoints", lambda e, x: kinejac.solve_ik_path(e.panda, [e.T0], FRAME, e.q0, max_waypoints=x),
     "max_waypoints", NOT_COUNT),
    ("solve_ik_path.velocity_scale", lambda e, x: kinejac.solve_ik_path(e.panda, [e.T0], FRAME, e.q0, velocity_scale=x),
     "velocity_scale", {k: v for k, v in NOT_POSITIVE.items() if k != "none"}),
    ("interpolate_poses.max_step", lambda e, x: motion.interpolate_poses([e.T0, e.T0], max_step=x), "max_step",
     NOT_POSITIVE),
    ("interpolate_poses.max_rotation_step", lambda e, x: motion.interpolate_poses([e.T0], max_rotation_step=x),
     "max_rotation_step", NOT_POSITIVE),
    ("interpolate_poses.max_poses", lambda e, x: motion.interpolate_poses([e.T0], max_poses=x), "max_poses", NOT_COUNT),
    ("VelocityIK.solve.dt", lambda e, x: kinejac.VelocityIK(e.panda, [_posture(e)]).solve(e.q0, x), "dt", NOT_POSITIVE),
    ("VelocityIK.damping", lambda e, x: kinejac.VelocityIK(e.panda, [_posture(e)], damping=x), "damping", NOT_POSITIVE),
    ("FrameTask.gain", lambda e, x: kinejac.FrameTask(FRAME, e.T0, gain=x), "gain", NOT_POSITIVE),
    ("FrameTask.lm_damping", lambda e, x: kinejac.FrameTask(FRAME, e.T0, lm_damping=x), "lm_damping",
     {k: v for k, v in NOT_POSITIVE.items() if k != "zero"}),
    ("PostureTask.gain", lambda e, x: kinejac.PostureTask(e.q0, cost=1.0, gain=x), "gain", NOT_POSITIVE),
    ("ObstacleDistance.influence", lambda e, x: kinejac.ObstacleDistance([e.ball], influence=x), "influence",
     NOT_POSITIVE),
    ("ObstacleDistance.gain", lambda e, x: kinejac.ObstacleDistance([e.ball], gain=x), "gain", NOT_POSITIVE),
    ("ObstacleDistance.pairs", lambda e, x: kinejac.ObstacleDistance([e.ball], pairs=x), "pairs", NOT_COUNT),
    ("Sphere.radius", lambda e, x: Sphere(x, [0, 0, 0]), "sphere radius", NOT_POSITIVE),
    ("Box.size", lambda e, x: Box([0.1, x, 0.1]), r"box size", {k: v for k, v in NOT_POSITIVE.items() if k != "bool"}),
    ("Capsule.length", lambda e, x: Capsule(0.1, x), "capsule length", {k: v for k, v in NOT_POSITIVE.items()
                                                                         if k != "zero"}),
    ("Cylinder.radius", lambda e, x: Cylinder(x, 0.2), "cylinder radius", NOT_POSITIVE),
    ("PointCloud.radius", lambda e, x: PointCloud([[0, 0, 0]], x), "point cloud radius",
     {k: v for k, v in NOT_POSITIVE.items() if k != "zero"}),
    ("solve_ik(clearance)", lambda e, x: kinejac.solve_ik(e.panda, e.T0, FRAME, obstacles=[e.ball], clearance=x),
     "clearance", {k: v for k, v in NOT_POSITIVE.items() if k != "zero"}),
    ("solve_ik_batch.threads", lambda e, x: kinejac.solve_ik_batch(e.panda, e.T0[None], FRAME, threads=x), "threads",
     {k: v for k, v in NOT_COUNT.items() if k != "none"}),
    ("reachability.resolution", lambda e, x: kinejac.reachability(e.planar, "tool", resolution=x, workers=1),
     "resolution", NOT_POSITIVE),
    ("reachability.chunk", lambda e, x: kinejac.reachability(e.planar, "tool", chunk=x, workers=1), "chunk", NOT_COUNT),
    ("reachability.restarts", lambda e, x: kinejac.reachability(e.planar, "tool", restarts=x, workers=1), "restarts",
     {k: v for k, v in NOT_COUNT.items() if k != "zero"}),
    ("inverse.yaws", lambda e, x: e.position_map.inverse(np.array([1.0, 0.0, 0.0]), yaws=x), "yaws", NOT_COUNT),
    ("inverse.resolution", lambda e, x: e.position_map.inverse(np.array([1.0, 0.0, 0.0]), resolution=x),
     "resolution", {k: v for k, v in NOT_POSITIVE.items() if k != "none"}),
    ("inverse.extent", lambda e, x: e.position_map.inverse(np.array([1.0, 0.0, 0.0]), extent=x), "extent",
     {k: v for k, v in NOT_POSITIVE.items() if k != "none"}),
    ("so3_grid", lambda e, x: kinejac.so3_grid(x), r"\bn\b", NOT_COUNT),
    ("generate_disabled_pairs.samples", lambda e, x: generate_disabled_pairs(e.panda, samples=x), "samples", NOT_COUNT),
    ("random_configuration.size", lambda e, x: e.panda.random_configuration(0, size=x), "size",
     {k: v for k, v in NOT_COUNT.items() if k not in ("zero", "none")}),
]
for door, call, names, values in SIZE_DOORS:
    for bad, value in values.items():
        case(f"size:{door}:{bad}", lambda e, c=call, v=value: c(e, v), InvalidValueError, names)

finite("size:interpolate:tiny_rotation_step", lambda e: len(motion.interpolate_poses([e.T0, e.T0], max_step=1e-300)))
finite("size:Capsule:zero_length", lambda e: Capsule(0.1, 0.0).length)
finite("size:random_configuration:zero", lambda e: e.panda.random_configuration(0, size=0))

# -- caps: work and memory sized by the user are estimated first and refused -----------------------------
_FAR = (3.0, 0.0, 0.0)
case("cap:path:tiny_step", lambda e: kinejac.solve_ik_path(e.panda, [_T(_FAR)], FRAME, e.q0, max_cartesian_step=1e-300),
     ResourceLimitError, "max_cartesian_step")  # fmt: skip
case("cap:path:waypoints", lambda e: kinejac.solve_ik_path(e.panda, [_T(_FAR)], FRAME, e.q0, max_waypoints=10),
     ResourceLimitError, "max_waypoints=10")  # fmt: skip
case("cap:interpolate:far", lambda e: motion.interpolate_poses([e.T0, _T((1e6, 0.0, 0.0))]), ResourceLimitError,
     "max_poses")
case("cap:interpolate:tiny_step", lambda e: motion.interpolate_poses([e.T0, _T(_FAR)], max_step=1e-300),
     ResourceLimitError, "max_step")  # fmt: skip
case("cap:reachability:orientations", lambda e: kinejac.reachability(e.planar, "tool", orientations=10**9, workers=1),
     ResourceLimitError, "orientations")  # fmt: skip
case("cap:reachability:resolution", lambda e: kinejac.reachability(e.panda, FRAME, resolution=1e-4, workers=1),
     ResourceLimitError, "resolution")  # fmt: skip
case("cap:inverse:yaws", lambda e: e.position_map.inverse(np.array([1.0, 0.0, 0.0]), yaws=10**9),
     ResourceLimitError, "yaws")  # fmt: skip
case("cap:inverse:resolution", lambda e: e.position_map.inverse(np.array([1.0, 0.0, 0.0]), resolution=1e-6),
     ResourceLimitError, "resolution")  # fmt: skip
case("cap:so3_grid", lambda e: kinejac.so3_grid(10**10), ResourceLimitError, "so3_grid")
case("cap:random_configuration", lambda e: e.panda.random_configuration(0, size=10**12), ResourceLimitError, "size")
case("cap:disabled_pairs", lambda e: generate_disabled_pairs(e.panda, samples=10**12), ResourceLimitError, "samples")
case("cap:history", lambda e: _with_limit("1M", lambda: IKSolver(e.panda, FRAME, history=True, max_iterations=50_000)),
     ResourceLimitError, "history=True.*lower max_iterations")  # fmt: skip
case("cap:max_iterations", lambda e: IKSolver(e.panda, FRAME, max_iterations=10**12), InvalidValueError,
     "max_iterations must be at most 100000")  # fmt: skip
case("cap:max_restarts", lambda e: kinejac.solve_ik_batch(e.panda, e.T0[None], FRAME, max_restarts=10**9),
     InvalidValueError, "max_restarts must be at most")  # fmt: skip
case("cap:map_restarts", lambda e: kinejac.reachability(e.planar, "tool", restarts=10**9, workers=1),
     InvalidValueError, "restarts must be at most")  # fmt: skip


def _with_limit(limit, call):
    kinejac.set_memory_limit(limit)
    try:
        return call()
    finally:
        kinejac.set_memory_limit(None)
case("cap:workspace", lambda e: kinejac.workspace(e.planar, "tool", samples=10**12), ResourceLimitError, "samples")
finite("cap:ObstacleDistance:pairs", lambda e: kinejac.VelocityIK(
    e.panda, [_posture(e)], constraints=[kinejac.ObstacleDistance([e.ball], pairs=10**9)]
).solve(e.q0, 0.01))  # fmt: skip
finite("cap:ObstacleDistance:rows", lambda e: _bound_rows(e, 10**9))


def _bound_rows(e: Env, pairs: int) -> float:
    guard = kinejac.ObstacleDistance([e.ball], pairs=pairs)
    guard.bind(e.panda)
    assert 0 < guard.rows < 10**4  # at most the sphere-obstacle pairs
    return float(guard.rows)


# -- wrong kinds: what used to raise ValueError, TypeError or AttributeError -------------------------------
case("kind:PostureTask:text", lambda e: kinejac.PostureTask("abc", cost=1.0), InvalidValueError, "q_ref")
case("kind:PostureTask:cost_text", lambda e: kinejac.PostureTask(e.q0, cost="a"), InvalidValueError, "cost")
case("kind:FrameTask:frame_int", lambda e: kinejac.FrameTask(5, e.T0), InvalidValueError, "frame")
case("kind:FrameTask:relative_to_int", lambda e: kinejac.FrameTask(FRAME, e.T0, relative_to=3), InvalidValueError,
     "relative_to")
case("kind:FrameTask:position_cost", lambda e: kinejac.FrameTask(FRAME, e.T0, position_cost=[1, 2]), ShapeError,
     "position_cost")
case("kind:FrameTask:orientation_cost", lambda e: kinejac.FrameTask(FRAME, e.T0, orientation_cost=-1),
     InvalidValueError, "orientation_cost")  # fmt: skip
case("kind:FrameTask:all_zero", lambda e: kinejac.FrameTask(FRAME, e.T0, position_cost=0, orientation_cost=0),
     InvalidValueError, "cost 0")  # fmt: skip
case("kind:FrameTask:target_text", lambda e: kinejac.FrameTask(FRAME, "abc"), InvalidValueError, "target")
case("kind:FrameTask:target_shape", lambda e: kinejac.FrameTask(FRAME, np.eye(5)), ShapeError, "target")
case("kind:FrameTask:position_nan", lambda e: kinejac.FrameTask(FRAME, [np.nan, 0, 0]), InvalidValueError, "position")
case("kind:FrameTask:position_huge", lambda e: kinejac.FrameTask(FRAME, [0, 0, 1e300]), InvalidValueError, "beyond")
case("kind:FrameTask:rotation_scaled", lambda e: kinejac.FrameTask(FRAME, 2 * np.eye(3)), InvalidValueError,
     "orientation target")
case("kind:FrameTask:unknown_frame", lambda e: kinejac.VelocityIK(e.panda, [kinejac.FrameTask("hnad", e.T0)]),
     kinejac.FrameNotFound, "hnad")  # fmt: skip
case("kind:VelocityIK:robot_none", lambda e: kinejac.VelocityIK(None, [_posture(e)]), InvalidValueError, "Robot")
case("kind:VelocityIK:tasks_empty", lambda e: kinejac.VelocityIK(e.panda, []), InvalidValueError, "tasks")
case("kind:VelocityIK:tasks_text", lambda e: kinejac.VelocityIK(e.panda, ["task"]), InvalidValueError, "tasks")
case("kind:VelocityIK:tasks_int", lambda e: kinejac.VelocityIK(e.panda, 5), InvalidValueError, "tasks")
case("kind:VelocityIK:secondary", lambda e: kinejac.VelocityIK(e.panda, [_posture(e)], secondary=[1]),
     InvalidValueError, "secondary")  # fmt: skip
case("kind:VelocityIK:constraints_int", lambda e: kinejac.VelocityIK(e.panda, [_posture(e)], constraints=5),
     InvalidValueError, "constraints")  # fmt: skip
case("kind:VelocityIK:constraints_text", lambda e: kinejac.VelocityIK(e.panda, [_posture(e)], constraints=["c"]),
     InvalidValueError, "constraints")  # fmt: skip
case("kind:VelocityIK:velocity_limit", lambda e: kinejac.VelocityIK(e.panda, [_posture(e)], velocity_limit=-1),
     InvalidValueError, "velocity_limit")  # fmt: skip
case("kind:VelocityIK:acceleration_limit", lambda e: kinejac.VelocityIK(e.panda, [_posture(e)],
     acceleration_limit=[1, 2]), ShapeError, "acceleration_limit")  # fmt: skip
case("kind:VelocityIK:v_prev", lambda e: kinejac.VelocityIK(e.panda, [_posture(e)]).solve(e.q0, 0.01, v_prev=[1j] * 7),
     InvalidValueError, "v_prev")  # fmt: skip
case("kind:velocity_ik:robot_none", lambda e: kinejac.velocity_ik(None, e.q0, [_posture(e)], 0.01), InvalidValueError,
     "Robot")
finite("kind:VelocityIK:constraints_none",
       lambda e: kinejac.VelocityIK(e.panda, [_posture(e)], constraints=None).solve(e.q0, 0.01))
finite("kind:VelocityIK:one_constraint", lambda e: kinejac.VelocityIK(
    e.panda, [_posture(e)], constraints=kinejac.ObstacleDistance([e.ball])).solve(e.q0, 0.01))  # fmt: skip
case("kind:ObstacleDistance:min_distance", lambda e: kinejac.ObstacleDistance([e.ball], min_distance=-0.1),
     InvalidValueError, "min_distance")  # fmt: skip
case("kind:ObstacleDistance:influence_below", lambda e: kinejac.ObstacleDistance([e.ball], min_distance=0.2),
     InvalidValueError, "influence")  # fmt: skip
case("kind:ObstacleDistance:obstacles_int", lambda e: kinejac.ObstacleDistance(5), SceneError, "obstacles")
case("kind:collisions:robot_none", lambda e: kinejac.collisions(None, e.q0), InvalidValueError, "Robot")
case("kind:clearance:robot_text", lambda e: kinejac.clearance("panda", e.q0), InvalidValueError, "Robot")
case("kind:in_collision:robot_none", lambda e: kinejac.in_collision(None, e.q0), InvalidValueError, "Robot")
case("kind:CollisionChecker:robot_none", lambda e: kinejac.CollisionChecker(None), InvalidValueError, "Robot")
case("kind:collisions:self_collision", lambda e: kinejac.collisions(e.panda, e.q0, self_collision="yes"),
     InvalidValueError, "self_collision")  # fmt: skip
case("kind:collisions:obstacle_object", lambda e: kinejac.collisions(e.panda, e.q0, [object()]), SceneError,
     "not an obstacle")
case("kind:collisions:same_names", lambda e: kinejac.collisions(e.panda, e.q0, [Sphere(0.1, name="a"),
     Sphere(0.2, name="a")]), SceneError, "named 'a'")  # fmt: skip
case("kind:solve_ik:robot_none", lambda e: kinejac.solve_ik(None, e.T0, FRAME), InvalidValueError, "Robot")
case("kind:solve_ik:unknown_option", lambda e: kinejac.solve_ik(e.panda, e.T0, FRAME, tolerence=1e-3),
     UnknownOptionError, "position_tolerance")  # fmt: skip
case("kind:solve_ik:method", lambda e: kinejac.solve_ik(e.panda, e.T0, FRAME, method="newton"), InvalidChoiceError,
     "newton")
case("kind:solve_ik:self_collision_dls", lambda e: kinejac.solve_ik(e.panda, e.T0, FRAME, self_collision=True,
     method="dls"), InvalidValueError, "method")  # fmt: skip
case("kind:solve_ik:mask", lambda e: kinejac.solve_ik(e.panda, e.T0, FRAME, mask="abc"), ShapeError, "mask")
case("kind:solve_ik:weights_complex", lambda e: kinejac.solve_ik(e.panda, e.T0, FRAME, weights=[1j] * 6),
     InvalidValueError, "weights")  # fmt: skip
case("kind:solve_ik:obstacles_int", lambda e: kinejac.solve_ik(e.panda, e.T0, FRAME, obstacles=[5]), SceneError,
     "not an obstacle")
case("kind:solve_ik_batch:unknown_option", lambda e: kinejac.solve_ik_batch(e.panda, e.T0[None], FRAME, tolerence=1),
     UnknownOptionError, "solve_ik_batch.*position_tolerance")  # fmt: skip
case("kind:solve_ik_batch:shape", lambda e: kinejac.solve_ik_batch(e.panda, e.T0, FRAME), ShapeError, "targets")
case("kind:solve_ik_batch:text", lambda e: kinejac.solve_ik_batch(e.panda, "abc", FRAME), InvalidValueError, "targets")
case("kind:solve_ik_batch:robot_none", lambda e: kinejac.solve_ik_batch(None, e.T0[None], FRAME), InvalidValueError,
     "Robot")
case("kind:solve_ik_path:robot_none", lambda e: kinejac.solve_ik_path(None, [e.T0], FRAME, e.q0), InvalidValueError,
     "Robot")
case("kind:solve_ik_path:no_waypoints", lambda e: kinejac.solve_ik_path(e.panda, [], FRAME, e.q0), ShapeError,
     "waypoint")
case("kind:solve_ik_path:waypoints_int", lambda e: kinejac.solve_ik_path(e.panda, 5, FRAME, e.q0), ShapeError, "poses")
case("kind:solve_ik_path:interpolation", lambda e: kinejac.solve_ik_path(e.panda, [e.T0], FRAME, e.q0,
     interpolation="spline"), InvalidChoiceError, "spline")  # fmt: skip
case("kind:solve_ik_path:mask_shape", lambda e: kinejac.solve_ik_path(e.panda, [e.T0], FRAME, e.q0, mask=[1, 1]),
     ShapeError, "mask")  # fmt: skip
case("kind:solve_ik_path:frame", lambda e: kinejac.solve_ik_path(e.panda, [e.T0], "hnad", e.q0),
     kinejac.FrameNotFound, "hnad")  # fmt: skip
case("kind:solve_ik_path:outside_limits", lambda e: kinejac.solve_ik_path(e.panda, [e.T0], FRAME, e.panda.neutral()),
     InvalidValueError, "q0 is outside")  # fmt: skip
case("kind:interpolate:interpolation", lambda e: motion.interpolate_poses([e.T0], interpolation=5), InvalidChoiceError,
     "interpolation")
case("kind:interpolate:empty", lambda e: motion.interpolate_poses([]), ShapeError, "at least one")
case("kind:time_parameterize:velocity_limit", lambda e: motion.time_parameterize(e.panda, np.stack([e.q0] * 2),
     velocity_limit=[1] * 3), InvalidValueError, "velocity_limit")  # fmt: skip
case("kind:Mesh:none", lambda e: Mesh(None), SceneError, "mesh path")
case("kind:Mesh:int", lambda e: Mesh(5), SceneError, "mesh path")
case("kind:Mesh:missing", lambda e: Mesh(e.folder / "none.stl"), SceneError, "does not exist")
case("kind:Mesh:folder", lambda e: Mesh(e.folder), SceneError, "directory")
case("kind:Mesh:junk", lambda e: Mesh(_write(e, "junk.stl", b"junk")), SceneError, "junk.stl.*coal can read")
case("kind:Mesh:empty", lambda e: Mesh(_write(e, "empty.stl", b"")), SceneError, "empty.stl")
case("kind:Mesh:ascii_no_facet", lambda e: Mesh(_write(e, "solid.stl", b"solid x\nendsolid x\n")), SceneError,
     "solid.stl")
case("kind:Mesh:scale", lambda e: Mesh(_cube(e), scale=[1, 2]), ShapeError, "scale")
case("kind:Mesh:scale_zero", lambda e: Mesh(_cube(e), scale=0), InvalidValueError, "scale")
finite("kind:Mesh:cube", lambda e: Mesh(_cube(e), scale=0.2).scale)
case("kind:Sphere:center_shape", lambda e: Sphere(0.1, [0, 0]), ShapeError, "center")
case("kind:Sphere:center_huge", lambda e: Sphere(0.1, [0, 0, 1e300]), InvalidValueError, "center")
case("kind:Sphere:center_complex", lambda e: Sphere(0.1, [0, 0, 1j]), InvalidValueError, "center")
case("kind:Box:size_huge", lambda e: Box([1e300, 1, 1]), InvalidValueError, "size")
case("kind:PointCloud:points_shape", lambda e: PointCloud([[0, 0]]), ShapeError, "points")
case("kind:PointCloud:points_nan", lambda e: PointCloud([[0, 0, np.nan]]), InvalidValueError, "points")
case("kind:PointCloud:points_text", lambda e: PointCloud("abc"), InvalidValueError, "points")
finite("kind:PointCloud:empty", lambda e: PointCloud(np.zeros((0, 3))).points)


def _write(e: Env, name: str, data: bytes):
    path = e.folder / name
    path.write_bytes(data)
    return path


def _cube(e: Env):
    v = [(x, y, z) for x in (-0.5, 0.5) for y in (-0.5, 0.5) for z in (-0.5, 0.5)]
    faces = [(1, 3, 4), (1, 4, 2), (5, 6, 8), (5, 8, 7), (1, 2, 6), (1, 6, 5), (3, 7, 8), (3, 8, 4), (1, 5, 7),
             (1, 7, 3), (2, 4, 8), (2, 8, 6)]  # fmt: skip
    text = "".join(f"v {x} {y} {z}\n" for x, y, z in v) + "".join(f"f {a} {b} {c}\n" for a, b, c in faces)
    return _write(e, "cube.obj", text.encode())


# -- scene files -------------------------------------------------------------------------------------------
SCENES: dict[str, tuple[bytes, type[Exception], str]] = {
    "not_json": (b"{", SceneError, "not valid JSON"),
    "latin1": ('[{"type": "box", "name": "café", "size": [1, 1, 1]}]'.encode("latin-1"), SceneError, "UTF-8"),
    "deep": (b"[" * 100_000 + b"]" * 100_000, SceneError, "nested too deeply"),
    "object": (b'{"boxes": []}', SceneError, "expected a list of obstacles"),
    "entry_text": (b'["box"]', SceneError, "obstacle 0: expected a JSON object"),
    "unknown_type": (b'[{"type": "cone"}]', InvalidChoiceError, "obstacle 0.*cone"),
    "type_list": (b'[{"type": ["box"]}]', InvalidChoiceError, "obstacle 0"),
    "unknown_key": (b'[{"type": "box", "size": [1, 1, 1], "colour": "red"}]', SceneError, "colour"),
    "box_size": (b'[{"type": "box", "name": "t", "size": [1, 1]}]', SceneError, r"obstacle 0 \(box 't'\).*size"),
    "box_missing_size": (b'[{"type": "box"}]', SceneError, r"obstacle 0 \(box\)"),
    "sphere_radius": (b'[{"type": "sphere", "radius": -1}]', SceneError, r"obstacle 0 \(sphere\).*radius"),
    "sphere_radius_text": (b'[{"type": "sphere", "radius": "big"}]', SceneError, "radius"),
    "pose_and_xyz": (b'[{"type": "box", "size": [1, 1, 1], "pose": [], "xyz": [0, 0, 0]}]', SceneError, "not both"),
    "pose_scaled": (b'[{"type": "box", "size": [1, 1, 1], "pose": [[2,0,0,0],[0,2,0,0],[0,0,2,0],[0,0,0,1]]}]',
                    SceneError, "obstacle 0.*not a rigid transform"),
    "xyz_text": (b'[{"type": "box", "size": [1, 1, 1], "xyz": "abc"}]', SceneError, "xyz"),
    "rpy_huge": (b'[{"type": "box", "size": [1, 1, 1], "rpy": [1e400, 0, 0]}]', SceneError, "rpy"),
    "name_int": (b'[{"type": "box", "name": 5, "size": [1, 1, 1]}]', SceneError, "name"),
    "duplicate": (b'[{"type": "sphere", "name": "a", "radius": 1}, {"type": "sphere", "name": "a", "radius": 1}]',
                  SceneError, "named 'a'"),
    "mesh_no_path": (b'[{"type": "mesh"}]', SceneError, "mesh needs 'path'"),
    "mesh_path_int": (b'[{"type": "mesh", "path": 5}]', SceneError, "mesh needs 'path'"),
    "mesh_missing": (b'[{"type": "mesh", "path": "nothing.stl"}]', SceneError, "nothing.stl"),
    "mesh_junk": (b'[{"type": "mesh", "path": "junk.stl"}]', SceneError, r"obstacle 0 \(mesh\).*junk.stl"),
    "points_ragged": (b'[{"type": "point_cloud", "points": [[0, 0, 0], [1]]}]', SceneError, "points"),
}
for name, (text, error, what) in SCENES.items():
    case(f"scene:{name}", lambda e, n=name, t=text: load_scene(_scene(e, n, t)), error, f"scene_{name}.json.*{what}")
case("scene:missing", lambda e: load_scene(e.folder / "no_scene.json"), SceneError, "no_scene.json")
case("scene:folder", lambda e: load_scene(e.folder), SceneError, "cannot read scene file")
case("scene:none", lambda e: load_scene(None), SceneError, "scene file name")
case("scene:through_solve_ik", lambda e: kinejac.solve_ik(e.panda, e.T0, FRAME, obstacles=str(_scene(e, "x", b"["))),
     SceneError, "not valid JSON")  # fmt: skip
finite("scene:empty_list", lambda e: len(load_scene(_scene(e, "empty", b"[]"))))


def _scene(e: Env, name: str, text: bytes):
    _write(e, "junk.stl", b"junk")
    return _write(e, f"scene_{name}.json", text)


# -- reachability ---------------------------------------------------------------------------------------
case("reach:robot_none", lambda e: kinejac.reachability(None, "tool"), InvalidValueError, "Robot")
case("reach:frame_int", lambda e: kinejac.reachability(e.planar, 5, workers=1), InvalidValueError, "frame")
case("reach:frame", lambda e: kinejac.reachability(e.planar, "tol", workers=1), kinejac.FrameNotFound, "tol")
case("reach:orientations_text", lambda e: kinejac.reachability(e.planar, "tool", orientations="all", workers=1),
     InvalidChoiceError, "orientations")  # fmt: skip
case("reach:orientations_zero", lambda e: kinejac.reachability(e.planar, "tool", orientations=0, workers=1),
     InvalidValueError, "orientations")  # fmt: skip
case("reach:orientations_scaled", lambda e: kinejac.reachability(e.planar, "tool", orientations=2 * np.eye(3)[None],
     workers=1), InvalidValueError, "orientations")  # fmt: skip
case("reach:bounds_shape", lambda e: kinejac.reachability(e.planar, "tool", bounds=[0, 1], workers=1), ShapeError,
     "bounds")
case("reach:bounds_nan", lambda e: kinejac.reachability(e.planar, "tool", bounds=[[0, 0, 0], [1, np.nan, 1]],
     workers=1), InvalidValueError, "bounds")  # fmt: skip
case("reach:bounds_huge", lambda e: kinejac.reachability(e.planar, "tool", bounds=[[0, 0, 0], [1e300, 1, 1]],
     workers=1), InvalidValueError, "bounds")  # fmt: skip
case("reach:bounds_empty", lambda e: kinejac.reachability(e.planar, "tool", bounds=[[0, 0, 0], [-1, 1, 1]],
     workers=1), InvalidValueError, "bounds are empty")  # fmt: skip
case("reach:ik_options_unknown", lambda e: kinejac.reachability(e.planar, "tool", ik_options={"tolerence": 1},
     workers=1), UnknownOptionError, r"reachability\(ik_options=...\).*position_tolerance")  # fmt: skip
case("reach:ik_options_list", lambda e: kinejac.reachability(e.planar, "tool", ik_options=[1], workers=1),
     InvalidValueError, "ik_options")  # fmt: skip
case("reach:ik_options_restarts", lambda e: kinejac.reachability(e.planar, "tool", ik_options={"max_restarts": 1},
     workers=1), InvalidValueError, "restarts")  # fmt: skip
case("reach:measure", lambda e: kinejac.reachability(e.planar, "tool", measure="volume", workers=1),
     InvalidChoiceError, "volume")  # fmt: skip
case("reach:part", lambda e: kinejac.reachability(e.planar, "tool", part="all", workers=1), InvalidChoiceError, "all")
case("reach:workers", lambda e: kinejac.reachability(e.planar, "tool", workers=0), InvalidValueError, "workers")
case("reach:self_collision", lambda e: kinejac.reachability(e.planar, "tool", self_collision="yes", workers=1),
     InvalidValueError, "self_collision")  # fmt: skip
case("query:shape", lambda e: e.position_map.query(np.zeros(5)), ShapeError, "point")
case("query:point_nan", lambda e: e.position_map.query([np.nan, 0, 0]), InvalidValueError, "pose_or_point")
case("query:point_huge", lambda e: e.position_map.query([1e300, 0, 0]), InvalidValueError, "pose_or_point")
case("query:complex", lambda e: e.position_map.query([1j, 0, 0]), InvalidValueError, "complex")
case("query:text", lambda e: e.position_map.query("here"), InvalidValueError, "pose_or_point")
case("voxel_of:nan", lambda e: e.position_map.voxel_of([[np.nan, 0, 0]]), InvalidValueError, "points")
case("voxel_of:shape", lambda e: e.position_map.voxel_of([[0, 0]]), ShapeError, "points")
finite("query:far_point", lambda e: e.position_map.query([100.0, 0.0, 0.0]))
finite("query:batch", lambda e: e.position_map.query(np.zeros((3, 3))))
case("inverse:point_on_orientation_map", lambda e: e.orientation_map.inverse(np.zeros(3)), ShapeError, "pose")
case("inverse:z_list", lambda e: e.position_map.inverse(np.array([1.0, 0, 0]), z=[0, 1]), InvalidValueError, r"\bz\b")
case("inverse:z_nan", lambda e: e.position_map.inverse(np.array([1.0, 0, 0]), z=np.nan), InvalidValueError, r"\bz\b")
case("inverse:z_text", lambda e: e.position_map.inverse(np.array([1.0, 0, 0]), z="up"), InvalidValueError, r"\bz\b")
case("inverse:target_nan", lambda e: e.position_map.inverse(np.array([np.nan, 0, 0])), InvalidValueError, "target")
finite("inverse:score", lambda e: e.position_map.inverse(np.array([1.0, 0, 0]), yaws=4).score)
case("plot_png:axis", lambda e: e.position_map.plot_png(e.folder / "m.png", slice="w"), InvalidChoiceError, "slice")

# -- map files: every way a file can be broken ------------------------------------------------------------
MAP_FILES: dict[str, tuple[Callable[[Env, Any], None], type[Exception], str]] = {}


def map_file(name: str, error: type[Exception], what: str):
    def register(make: Callable[[Env, Any], None]):
        MAP_FILES[name] = (make, error, what)
        return make

    return register


def _saved(e: Env, path) -> bytes:
    e.position_map.save(path)
    return path.read_bytes()


@map_file("empty", MapFileError, "not a kinejac reachability map")
def _(e, path):
    path.write_bytes(b"")


@map_file("truncated", MapFileError, "not a kinejac reachability map")
def _(e, path):
    data = _saved(e, path)
    path.write_bytes(data[: len(data) // 2])


@map_file("corrupted", MapFileError, "not a kinejac reachability map")
def _(e, path):
    data = bytearray(_saved(e, path))
    for k in range(200, len(data) - 200, 7):
        data[k] ^= 0x5A
    path.write_bytes(bytes(data))


@map_file("text", MapFileError, "not a kinejac reachability map")
def _(e, path):
    path.write_text("hello")


@map_file("foreign_npz", MapFileError, "it has no meta")
def _(e, path):
    np.savez(path, x=np.zeros(3))


@map_file("pickled", MapFileError, "not a kinejac reachability map")
def _(e, path):
    arrays = dict(np.load(_write(e, "tmp.npz", _saved(e, path))))
    arrays["centres"] = np.array([object()] * 3)
    np.savez(path, **arrays)


def _edit(e: Env, path, meta_change=None, **arrays):
    e.position_map.save(path)
    with np.load(path) as f:
        content = {k: np.array(f[k]) for k in f.files}
    import json

    meta = json.loads(str(content["meta"]))
    if meta_change:
        meta_change(meta)
    content["meta"] = np.array(json.dumps(meta))
    content.update(arrays)
    np.savez_compressed(path, **content)


for key, value, what in [
    ("resolution", -1, "resolution"),
    ("resolution", 0.25, "do not match the lattice"),
    ("resolution", "fine", "resolution"),
    ("resolution", None, "resolution"),
    ("reach_radius", -1, "reach_radius"),
    ("seed", -1, "seed"),
    ("seed", 1.5, "seed"),
    ("chunk", 0, "chunk"),
    ("complete", "yes", "complete"),
    ("robot", 5, "robot"),
    ("frame", None, "frame"),
    ("length_scale", 0, "length_scale"),
    ("ik_options", [], "ik_options"),
    ("part", 5, "part"),
    ("source", "panda", "source"),
    ("source", {"name": "x"}, "source"),
    ("format", 99, "format 99"),
    ("kind", "something else", "not a kinejac reachability map"),
]:
    map_file(f"meta_{key}_{value!r}", MapFileError, what)(
        lambda e, path, k=key, v=value: _edit(e, path, lambda m: m.__setitem__(k, v))
    )
map_file("meta_missing_seed", MapFileError, "no 'seed'")(lambda e, path: _edit(e, path, lambda m: m.pop("seed")))
map_file("meta_not_json", MapFileError, "not a kinejac reachability map")(
    lambda e, path: _edit(e, path, None, meta=np.array("{not json"))
)
for key, value, what in [
    ("centres", np.zeros((2, 3)), "centres"),
    ("centres", None, "centres"),
    ("reached", np.full((81, 1), 2, dtype=np.uint8), "reached"),
    ("reached", np.zeros((81, 1)), "reached"),
    ("computed", np.zeros(5, dtype=bool), "computed"),
    ("manipulability", np.full(81, -1.0), "manipulability"),
    ("configurations", np.full((81, 2), np.inf), "configurations"),
    ("shape", np.array([9, 9, 0]), "shape"),
    ("shape", np.array([9.0, 9.0, 1.0]), "shape"),
    ("lattice_origin", np.array([0, 0, 0]), "do not match the lattice"),
    ("bounds", np.array([[0.0, 0, 0], [-1, 1, 1]]), "bounds"),
    ("reach_centre", np.array([np.nan, 0, 0]), "reach_centre"),
    ("orientations", 2 * np.eye(3)[None], "orientations"),
]:
    if value is None:
        map_file(f"array_{key}_missing", MapFileError, "it has no centres")(
            lambda e, path, k=key: _drop(e, path, k)
        )
    else:
        map_file(f"array_{key}_{value.shape}_{value.dtype}", MapFileError, what)(
            lambda e, path, k=key, v=value: _edit(e, path, None, **{k: v})
        )


def _drop(e: Env, path, key: str) -> None:
    e.position_map.save(path)
    with np.load(path) as f:
        content = {k: np.array(f[k]) for k in f.files if k != key}
    np.savez_compressed(path, **content)


for name, (make, error, what) in MAP_FILES.items():
    case(f"mapfile:{name}", lambda e, n=name, m=make: ReachabilityMap.load(_made(e, n, m)), error, what)
case("mapfile:missing", lambda e: ReachabilityMap.load(e.folder / "none.npz"), MapFileNotFound, "none.npz")
case("mapfile:folder", lambda e: ReachabilityMap.load(e.folder), MapFileNotFound, "directory")
case("mapfile:int", lambda e: ReachabilityMap.load(5), MapFileError, "file name")
finite("mapfile:round_trip", lambda e: ReachabilityMap.load(e.position_map.save(e.folder / "ok.npz")).index)


def _made(e: Env, name: str, make) -> Any:
    path = e.folder / f"map_{re.sub(r'[^A-Za-z0-9_]', '_', name)}.npz"
    make(e, path)
    return path


# -- load(srdf=) and disabled pairs ----------------------------------------------------------------------
case("srdf:int", lambda e: kinejac.load("panda", srdf=5), InvalidValueError, "srdf")
case("srdf:urdf", lambda e: kinejac.load("panda", srdf=kinejac.load("panda").urdf_path), SRDFError,
     "this is a URDF.*not an SRDF")
case("srdf:missing", lambda e: kinejac.load("panda", srdf=e.folder / "none.srdf"), SRDFError, "none.srdf")
case("srdf:not_xml", lambda e: kinejac.load("panda", srdf=_write(e, "bad.srdf", b"<robot")), SRDFError, "bad.srdf")
case("srdf:root", lambda e: kinejac.load("panda", srdf=_write(e, "root.srdf", b"<srdf/>")), SRDFError, "<srdf>")
case("srdf:link", lambda e: kinejac.load("panda", srdf=_write(e, "link.srdf", b'<robot><disable_collisions link1="a" '
     b'link2="panda_link0"/></robot>')), kinejac.NotFoundError, "link 'a'")  # fmt: skip
case("srdf:pair_no_link2", lambda e: read_srdf(e.panda, _write(e, "half.srdf", b'<robot><disable_collisions '
     b'link1="panda_link0"/></robot>')), SRDFError, "link1 or link2")  # fmt: skip
case("srdf:set_pairs_none", lambda e: e.panda.copy().set_disabled_pairs(), KinejacError, "needs pairs")
case("srdf:set_pairs_text", lambda e: e.panda.copy().set_disabled_pairs(["ab"]), SRDFError, "two link names")
case("load:locked_text", lambda e: kinejac.load("panda", locked_joints={"panda_joint1": "a"}), kinejac.URDFError,
     "panda_joint1")
case("load:locked_complex", lambda e: kinejac.load("panda", locked_joints={"panda_joint1": 1j}), kinejac.URDFError,
     "panda_joint1")
case("load:locked_int", lambda e: kinejac.load("panda", locked_joints=5), InvalidValueError, "locked_joints")
case("load:locked_names_int", lambda e: kinejac.load("panda", locked_joints=[5]), InvalidValueError, "locked_joints")
case("load:package_dirs_int", lambda e: kinejac.load("panda", package_dirs=5), InvalidValueError, "package_dirs")
case("load:root_joint", lambda e: kinejac.load("panda", root_joint="wheeled"), InvalidChoiceError, "root_joint")
finite("load:locked_one_name", lambda e: kinejac.load("panda", locked_joints="panda_finger_joint1").nq)
finite("load:package_dir_one", lambda e: kinejac.load("panda", package_dirs=str(e.folder)).nq)


# -- the test ----------------------------------------------------------------------------------------------
def _finite(x) -> bool:
    """Every number in ``x`` (arrays, numbers, result records, lists) is finite."""
    if isinstance(x, (bool, np.bool_, str, type(None))):
        return True
    if isinstance(x, (int, float, np.number)):
        return bool(np.isfinite(x))
    if isinstance(x, np.ndarray):
        return x.dtype.kind not in "fc" or bool(np.isfinite(x).all())
    if isinstance(x, (list, tuple)):
        return all(_finite(v) for v in x)
    if hasattr(x, "__dataclass_fields__"):
        return all(_finite(getattr(x, f)) for f in x.__dataclass_fields__ if f != "history")
    if hasattr(x, "_fields"):
        return all(_finite(v) for v in x)
    return True


def test_the_corpus_is_large():
    assert len(CASES) >= 300, len(CASES)
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_corpus(env, c: Case):
    if c.error is None:
        assert _finite(c.call(env)), c.id
        return
    with pytest.raises(Exception) as info:
        c.call(env)
    exc = info.value
    assert isinstance(exc, c.error), f"{type(exc).__name__}: {exc}"
    assert isinstance(exc, KinejacError), f"not a KinejacError: {type(exc).__name__}: {exc}"
    assert re.search(c.match, str(exc), flags=re.S), f"{c.match!r} not in: {exc}"


# -- the pose door's properties (hypothesis) --------------------------------------------------------------
_unit = st.floats(-1.0, 1.0, allow_nan=False)
_coordinate = st.floats(-1e6, 1e6, allow_nan=False)


@st.composite
def rigid(draw) -> np.ndarray:
    """A rigid transform: a rotation from a (non-zero) quaternion, a translation within 1e6 m."""
    q = np.array([draw(_unit) for _ in range(4)])
    if np.linalg.norm(q) < 1e-3:
        q = np.array([0.0, 0.0, 0.0, 1.0])
    T = np.eye(4)
    T[:3, :3] = pin.Quaternion(*(q / np.linalg.norm(q))).toRotationMatrix()
    T[:3, 3] = [draw(_coordinate) for _ in range(3)]
    return T


@settings(deadline=None)
@given(rigid())
def test_every_rigid_transform_passes_the_door_in_every_form(T):
    np.testing.assert_array_equal(as_transform(T), T)
    np.testing.assert_array_equal(as_transform(pin.SE3(T)), pin.SE3(T).homogeneous)
    np.testing.assert_array_equal(check_transforms(np.stack([T, T, T]).reshape(3, 1, 4, 4))[2, 0], T)
    assert np.abs(kinejac.FrameTask(FRAME, T).target - T).max() < 1e-9


@settings(deadline=None)
@given(
    rigid(),
    st.sampled_from(["scale", "shear", "reflect", "last_row", "nan", "inf", "huge"]),
    st.floats(1e-4, 10.0),
    st.integers(0, 2),
)
def test_no_non_rigid_or_non_finite_transform_passes(T, fault, size, axis):
    bad = T.copy()
    if fault == "scale":
        bad[:3, axis] *= 1.0 + size
    elif fault == "shear":
        bad[:3, axis] += size * bad[:3, (axis + 1) % 3]
    elif fault == "reflect":
        bad[:3, axis] *= -1.0
    elif fault == "last_row":
        bad[3, axis] = size
    elif fault == "nan":
        bad[axis, 3] = np.nan
    elif fault == "inf":
        bad[axis, axis] = np.inf
    else:
        bad[axis, 3] = MAX_COORDINATE * (1.0 + size)
    for form in (bad, bad.tolist()):
        with pytest.raises(InvalidValueError):
            as_transform(form)
    with pytest.raises(InvalidValueError, match=r"poses\[1\]"):
        check_transforms(np.stack([T, bad]), "poses")
    if fault not in ("last_row",):  # an SE3 has no last row to spoil
        se3 = pin.SE3(bad[:3, :3].copy(), bad[:3, 3].copy())
        with pytest.raises(InvalidValueError):
            as_transform(se3)
        with pytest.raises(InvalidValueError):
            kinejac.FrameTask(FRAME, se3)
