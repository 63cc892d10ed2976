"""Cartesian paths without joint jumps: follow interpolated poses with local IK solves.

:func:`solve_ik_path` starts at ``q0`` and its frame's pose ``T(q0)``, and goes through the given
waypoints in order, interpolating between consecutive ones (:mod:`kinejac.motion.interpolation`)
at no more than ``max_cartesian_step`` [m] and ``max_rotation_step`` [rad]. Each pose is solved by
one local IK solve (Levenberg-Marquardt from the previous configuration, no random restarts, one
:class:`~kinejac.IKSolver` built per call). A solution is accepted only if it reaches the pose and
no joint moved more than ``max_joint_step`` from the previous configuration. Otherwise the
Cartesian step is halved, up to ``max_bisections`` times: a fast but continuous joint motion
(near a singularity) passes with smaller steps, a branch flip does not shrink with the step. When
even the smallest step fails, the path stops there: ``fraction < 1``, with the reason
(:class:`PathReason`) and the pose that could not be reached. So consecutive configurations never
differ by more than ``max_joint_step`` in any joint (the tangent difference, ``robot.difference``;
a full-turn joint wrapping by 2π counts as the jump it is).

``fraction`` is the part of the path followed, measured in interpolation steps (each segment
weighs ``max(L / max_cartesian_step, θ / max_rotation_step)``), as MoveIt's ``computeCartesianPath``
reports it. :func:`time_parameterize` gives time stamps that respect the joint velocity limits.
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, NamedTuple, cast

import numpy as np
import pinocchio as pin

from .._checks import as_real_array, check_memory, positive
from ..errors import InvalidChoiceError, InvalidValueError, ResourceLimitError, ShapeError
from ..ik.result import IKReason
from ..ik.solvers import IKSolver
from ..robot import require_robot
from .interpolation import INTERPOLATIONS, Interpolation, Segment, as_pose_list, count_steps

if TYPE_CHECKING:
    from ..robot import Robot

__all__ = ["MAX_WAYPOINTS", "PathReason", "PathResult", "solve_ik_path", "time_parameterize"]

#: the default of ``solve_ik_path(max_waypoints=)``: the most configurations a path may hold
MAX_WAYPOINTS = 100_000
#: [m or rad] a step of the path parameter moving the pose less than this is not tried: halving
#: stops there (below it, and well above the resolution of ``s``, the step no longer shrinks)
MIN_STEP = 1e-12


class PathReason(str, Enum):
    """Why a path ended.

    - ``COMPLETED``: every pose was reached.
    - ``JOINT_JUMP``: the next pose has an IK solution only beyond ``max_joint_step`` from the
      current configuration, even at the smallest Cartesian step (another branch: a jump).
    - ``IK_FAILED``: no solution near the current configuration (out of reach, joint limits, a
      singularity: see ``PathResult.ik_reason``).
    - ``WAYPOINT_LIMIT``: the path already holds ``max_waypoints`` configurations (halved steps
      add rows) and stopped there.

    The last two also end a path whose step was halved ``max_bisections`` times, or down to
    :data:`MIN_STEP` [m or rad], where it stops shrinking.
    """

    COMPLETED = "completed"
    JOINT_JUMP = "joint_jump"
    IK_FAILED = "ik_failed"
    WAYPOINT_LIMIT = "waypoint_limit"


@dataclass(frozen=True)
class PathResult:
    """A followed Cartesian path (up to where it stopped).

    Attributes:
        q: ``(N, nq)`` configurations; ``q[0]`` is ``q0``.
        poses: ``(N, 4, 4)`` the target pose of each row (``poses[0] = T(q0)``).
        position_error, rotation_error: ``(N,)`` [m], [rad] the IK error at each row.
        fraction: part of the path followed, in [0, 1].
        success: the whole path was followed (``reason is COMPLETED``).
        reason: :class:`PathReason`.
        stopped_at: index of the waypoint (in the ``poses`` given) being approached when the path
            stopped; ``None`` when completed.
        failed_pose: ``(4, 4)`` the pose that could not be reached; ``None`` when completed.
        ik_reason: the :class:`~kinejac.IKReason` of the last failed solve (``None`` when completed).
        max_joint_step: [rad or m] the largest joint motion between consecutive rows.
        time: ``(N,)`` [s] time stamps (with ``velocity_scale``), else ``None``.
        solve_time: [s] wall-clock time of the call.
    """

    q: np.ndarray
    poses: np.ndarray
    position_error: np.ndarray
    rotation_error: np.ndarray
    fraction: float
    success: bool
    reason: PathReason
    stopped_at: int | None
    failed_pose: np.ndarray | None
    ik_reason: IKReason | None
    max_joint_step: float
    time: np.ndarray | None
    solve_time: float

    def __len__(self) -> int:
        return int(self.q.shape[0])

    @property
    def message(self) -> str:
        """One line: how far the path went and why it stopped."""
        if self.success:
            return f"followed the whole path: {len(self)} configurations, largest joint step {self.max_joint_step:.3g}"
        where = f"while heading to waypoint {self.stopped_at}"
        p = self.failed_pose[:3, 3].round(4).tolist() if self.failed_pose is not None else None
        if self.reason is PathReason.JOINT_JUMP:
            why = "the next pose needs a joint jump (another IK branch)"
        elif self.reason is PathReason.WAYPOINT_LIMIT:
            why = f"the path reached its limit of {len(self)} configurations (max_waypoints)"
        else:
            why = f"no IK solution near the current configuration ({self.ik_reason.value if self.ik_reason else '?'})"
        return f"stopped at {self.fraction:.1%} of the path {where}, at position {p}: {why}"

    def __repr__(self) -> str:
        return (
            f"PathResult(success={self.success}, fraction={self.fraction:.4f}, reason={self.reason.value}, "
            f"n={len(self)}, max_joint_step={self.max_joint_step:.3g})"
        )


def _step_fn(robot: Robot):
    """The largest joint motion between two configurations ``(nq,)``."""
    plain = robot.nq == robot.nv and all(j.nq == j.nv for j in robot.joints)
    if plain:
        return lambda a, b: float(np.abs(b - a).max(initial=0.0))
    model = robot.model
    return lambda a, b: float(np.abs(pin.difference(model, a, b)).max(initial=0.0))


def solve_ik_path(
    robot: Robot,
    poses,
    frame: str,
    q0,
    *,
    max_joint_step: float = 0.1,
    max_cartesian_step: float = 0.005,
    max_rotation_step: float = 0.05,
    interpolation: Interpolation | None = None,
    max_bisections: int = 6,
    position_tolerance: float = 1e-6,
    rotation_tolerance: float = 1e-6,
    max_iterations: int = 100,
    stall_iterations: int = 20,
    mask=None,
    relative_to: str | None = None,
    velocity_scale: float | None = None,
    hold_branch: bool = False,
    max_waypoints: int = MAX_WAYPOINTS,
) -> PathResult:
    """Follow the Cartesian path from ``T(q0)`` through ``poses`` with ``frame``, never jumping.

    Args:
        robot: the robot.
        poses: waypoints ``T_world_frame`` (or ``T_relative_frame``): ``(K, 4, 4)``, one 4x4 pose, or
            a list of 4x4 arrays / ``pinocchio.SE3``. A dense sequence works too (each step is then
            within ``max_cartesian_step`` already).
        frame: the frame to move.
        q0: ``(nq,)`` the start configuration, within the position limits.
        max_joint_step: [rad or m] largest allowed motion of any joint between consecutive
            configurations.
        max_cartesian_step, max_rotation_step: [m], [rad] interpolation steps.
        interpolation: ``"se3"`` (the geodesic) or ``"decoupled"`` (straight line + rotation geodesic);
            default ``"se3"``, or ``"decoupled"`` when ``mask`` frees a rotation axis (the SE(3) geodesic
            couples position and rotation, so a rotation the task does not care about would bend the line).
        max_bisections: how many times a step may be halved before the path stops.
        position_tolerance, rotation_tolerance: [m], [rad] IK tolerances at every pose.
        max_iterations: per local IK solve.
        stall_iterations: a local solve gives up when its cost has not dropped 10 % in this many
            iterations (:class:`~kinejac.IKSolver`'s LM default, 3, suits random restarts; near a
            singularity a local solve converges slowly but surely, so the path is more patient).
        mask: ``(6,)`` free axes of the target (as in :func:`kinejac.solve_ik`).
        relative_to: poses are relative to this frame.
        velocity_scale: if given (in (0, 1]), time stamps at that fraction of the joint velocity
            limits (:func:`time_parameterize`) are put in ``PathResult.time``.
        hold_branch: solve each pose by the closed form instead (:func:`kinejac.solve_ik_all`: the
            chain needs a family, and ``mask`` does not apply), keeping the solution on the start's
            branch (elbow, shoulder and wrist configuration) nearest the previous configuration:
            where that branch ends (a singularity, the limits) the path stops rather than flip.
        max_waypoints: the most configurations the result may hold (default :data:`MAX_WAYPOINTS`).
            A path whose interpolation alone needs more raises
            :class:`~kinejac.errors.ResourceLimitError` before anything is solved; one that gets
            there by halving its steps stops with reason ``WAYPOINT_LIMIT``.

    Returns a :class:`PathResult`; a path that cannot be followed is ``success=False``, never an exception.
    """
    t_start = _time.perf_counter()
    require_robot(robot, "solve_ik_path")
    interpolation = _check_interpolation(interpolation, mask)
    limits = _check_limits(max_joint_step, max_cartesian_step, max_rotation_step, max_bisections, max_waypoints)
    velocity_scale = _check_velocity_scale(velocity_scale)
    q0 = _checked_start(robot, q0)
    waypoints = as_pose_list(poses)
    if not waypoints:
        raise ShapeError("solve_ik_path needs at least one waypoint, got none")
    solver = _branch_follower(robot, frame, q0, mask, relative_to) if hold_branch else IKSolver(
        robot, frame, position_tolerance=position_tolerance, rotation_tolerance=rotation_tolerance,
        max_iterations=max_iterations, stall_iterations=stall_iterations, max_restarts=0, timeout=None)  # fmt: skip
    extra = {key: value for key, value in (("mask", mask), ("relative_to", relative_to)) if value is not None}
    T0 = _start_pose(robot, q0, frame, relative_to)
    segments = [Segment(A, B, interpolation) for A, B in zip([T0, *waypoints[:-1]], waypoints)]
    _check_size(robot, segments, limits)
    walk, joint_step = _Walk(q0, T0.homogeneous, limits, segments), _step_fn(robot)
    for i, segment in enumerate(segments):
        if not walk.follow(segment, solver, extra, joint_step):
            walk.stopped_at = i
            break
    return walk.result(robot, velocity_scale, _time.perf_counter() - t_start)


def _check_interpolation(interpolation: Interpolation | None, mask) -> Interpolation:
    """The interpolation asked for, or the default: ``"decoupled"`` when ``mask`` frees a rotation axis."""
    if mask is not None:
        m = as_real_array(mask, "mask")
        if m.shape != (6,):
            raise ShapeError(f"expected mask of shape (6,) [x, y, z, rx, ry, rz], got {m.shape}")
        mask = m
    if interpolation is None:
        free_rotation = mask is not None and not np.asarray(mask != 0).reshape(-1)[3:].all()
        return "decoupled" if free_rotation else "se3"
    if interpolation not in INTERPOLATIONS:
        raise InvalidChoiceError("interpolation", interpolation, INTERPOLATIONS)
    return interpolation


class _Limits(NamedTuple):
    """The step limits of a path: ``joint`` [rad or m], ``cartesian`` [m], ``rotation`` [rad],
    ``bisections``, ``waypoints`` (the most rows)."""

    joint: float
    cartesian: float
    rotation: float
    bisections: int
    waypoints: int


def _check_limits(max_joint_step, max_cartesian_step, max_rotation_step, max_bisections, max_waypoints) -> _Limits:
    return _Limits(
        positive("max_joint_step", max_joint_step),
        positive("max_cartesian_step [m]", max_cartesian_step),
        positive("max_rotation_step [rad]", max_rotation_step),
        positive("max_bisections", max_bisections, integer=True, zero=True),
        positive("max_waypoints", max_waypoints, integer=True, maximum=2**62),
    )


def _check_size(robot: Robot, segments: list[Segment], lim: _Limits) -> None:
    """Refuse a path whose interpolation alone needs more than ``max_waypoints`` rows (or more
    memory than the limit), before anything is solved."""
    rows = 1.0 + count_steps(segments, lim.cartesian, lim.rotation)
    if rows > lim.waypoints:
        raise ResourceLimitError(
            f"solve_ik_path would need {rows:.3g} configurations at max_cartesian_step={lim.cartesian:g} m and "
            f"max_rotation_step={lim.rotation:g} rad, more than max_waypoints={lim.waypoints}: take larger steps "
            "or raise max_waypoints"
        )
    check_memory(lim.waypoints * (robot.nq + 20) * 8.0, f"solve_ik_path ({lim.waypoints} configurations at most)",
                 "lower max_waypoints")  # fmt: skip


def _check_velocity_scale(velocity_scale: float | None) -> float | None:
    if velocity_scale is None:
        return None
    velocity_scale = positive("velocity_scale", velocity_scale)
    if velocity_scale > 1.0:
        raise InvalidValueError(f"velocity_scale must be in (0, 1], got {velocity_scale}")
    return velocity_scale


def _branch_follower(robot: Robot, frame: str, q0: np.ndarray, mask, relative_to):
    """``hold_branch``: a closed-form solver that answers each waypoint on the branch of ``q0``."""
    from ..ik.analytic import BranchFollower

    if mask is not None:
        raise InvalidValueError("hold_branch solves full poses: mask does not apply")
    return BranchFollower(robot, frame, q0, base=relative_to)


def _checked_start(robot: Robot, q0) -> np.ndarray:
    """``q0`` as ``(nq,)``, inside the position limits (else an error naming the joints outside)."""
    q0 = robot.check_q(q0, "q0")
    if q0.ndim != 1:
        raise ShapeError(f"expected q0 of shape ({robot.nq},), got {q0.shape}")
    if not robot.within_limits(q0):
        outside = (q0 < robot.lower - 1e-9) | (q0 > robot.upper + 1e-9)
        names = [j.name for j in robot.joints if j.nq and outside[j.idx_q : j.idx_q + j.nq].any()]
        raise InvalidValueError(
            f"q0 is outside the position limits of robot {robot.name!r} (joints {', '.join(names)}); the path "
            "must start inside them (robot.clip(q0) gives the nearest configuration inside)"
        )
    return q0


class _Miss(NamedTuple):
    """The last try of a step that found no acceptable configuration."""

    success: bool  # IK converged (the joints would jump too far) or not
    reason: IKReason
    failed_pose: np.ndarray  # (4, 4)
    full: bool = False  # the path stopped at max_waypoints rows


class _Walk:
    """The rows of a path as it is followed (``q[0] = q0``, ``T[0] = T(q0)``), how much of it was
    followed, and why it stopped."""

    def __init__(self, q0: np.ndarray, T0: np.ndarray, limits: _Limits, segments: list[Segment]) -> None:
        self.limits = limits
        self.q, self.T = [q0.copy()], [T0]
        self.position_error, self.rotation_error = [0.0], [0.0]
        self.largest = 0.0  # the largest joint step so far
        self.followed = 0.0  # the weight of the path followed
        self.total = sum(self._weight(seg) for seg in segments)  # of the whole path
        self.stopped_at: int | None = None
        self.miss: _Miss | None = None

    def _weight(self, segment: Segment) -> float:
        return max(segment.length / self.limits.cartesian, segment.angle / self.limits.rotation)

    def follow(self, segment: Segment, solver: IKSolver, extra: dict, joint_step) -> bool:
        """Walk one segment from the last row; ``False`` when it stopped before its end (``miss`` says why).
        The segment weighs ``max(L / max_cartesian_step, θ / max_rotation_step)`` in ``fraction``."""
        lim = self.limits
        weight = self._weight(segment)
        ds_nominal = 1.0 / segment.steps(lim.cartesian, lim.rotation)
        s = 0.0
        min_ds = MIN_STEP / max(segment.length, segment.angle, MIN_STEP)  # [1] the smallest step of s tried
        while s < 1.0:
            if len(self.q) >= lim.waypoints:
                self.followed += s * weight
                self.miss = _Miss(False, IKReason.MAX_ITERATIONS, segment.at(s).homogeneous, True)
                return False
            ds = min(ds_nominal, 1.0 - s)
            if 1.0 - (s + ds) < 1e-12:
                ds = 1.0 - s
            accepted, miss = _bisected_step(solver, segment, s, ds, self.q[-1], extra, joint_step, lim.joint,
                                            lim.bisections, min_ds)  # fmt: skip
            if accepted is None:
                self.followed += s * weight
                self.miss = miss
                return False
            s, T, result, step = accepted
            self.largest = max(self.largest, step)
            self.q.append(result.q)  # a new read-only array per result
            self.T.append(T)
            self.position_error.append(result.position_error)
            self.rotation_error.append(result.rotation_error)
        self.followed += weight
        return True

    def result(self, robot: Robot, velocity_scale: float | None, solve_time: float) -> PathResult:
        """The :class:`PathResult` of the walk (with time stamps when ``velocity_scale`` is given)."""
        miss = self.miss
        if miss is None:
            reason, fraction, ik_reason = PathReason.COMPLETED, 1.0, None
        else:  # solved but too far from the previous configuration: a jump
            reason = PathReason.JOINT_JUMP if miss.success else PathReason.IK_FAILED
            ik_reason = IKReason.CONVERGED if miss.success else miss.reason
            if miss.full:
                reason, ik_reason = PathReason.WAYPOINT_LIMIT, None
            fraction = self.followed / self.total if self.total > 0 else 0.0
        Q = np.array(self.q).reshape(len(self.q), robot.nq)
        return PathResult(
            q=Q,
            poses=np.array(self.T).reshape(len(self.T), 4, 4),
            position_error=np.array(self.position_error),
            rotation_error=np.array(self.rotation_error),
            fraction=float(min(fraction, 1.0)),
            success=miss is None,
            reason=reason,
            stopped_at=self.stopped_at,
            failed_pose=None if miss is None else miss.failed_pose,
            ik_reason=ik_reason,
            max_joint_step=self.largest,
            time=None if velocity_scale is None else time_parameterize(robot, Q, velocity_scale=velocity_scale),
            solve_time=solve_time,
        )


def _bisected_step(solver, seg, s, ds, q, extra, joint_step, max_joint_step, max_bisections, min_ds):
    """Step the path parameter from ``s`` by ``ds`` (to exactly 1 at the end), halving ``ds`` up to
    ``max_bisections`` times, and never below ``min_ds`` (a step of :data:`MIN_STEP`), until the
    local solve converges within ``max_joint_step`` of ``q``.
    Returns ``((s_new, T (4, 4), result, step), None)`` or ``(None, _Miss)``."""
    miss: _Miss | None = None
    for k in range(max_bisections + 1):
        s_new = 1.0 if ds == 1.0 - s else s + ds
        if k and (ds < min_ds or s_new <= s):  # the step no longer shrinks: the last miss stands
            break
        T = seg.at(s_new).homogeneous
        result = solver.solve(T, q, **extra)
        step = joint_step(q, result.q)
        if result.success and step <= max_joint_step:
            return (s_new, T, result, step), None
        miss = _Miss(result.success, result.reason, T)
        ds *= 0.5
    return None, cast(_Miss, miss)  # the first try always runs


def _start_pose(robot: Robot, q0: np.ndarray, frame: str, relative_to: str | None) -> pin.SE3:
    from ..kinematics import pose

    T = pose(robot, q0, frame)
    if relative_to is not None:
        T = np.linalg.inv(pose(robot, q0, relative_to)) @ T
    return pin.SE3(T[:3, :3].copy(), T[:3, 3].copy())


def time_parameterize(robot: Robot, q, *, velocity_scale: float = 1.0, velocity_limit=None) -> np.ndarray:
    """Time stamps ``(N,)`` [s] (from 0) for a joint path ``q`` ``(N, nq)`` moved along linearly
    between rows, as fast as the velocity limits allow: each segment lasts
    ``max_j |Δq_j| / (velocity_scale · v_max,j)``, so no joint exceeds ``velocity_scale`` times its limit.

    ``velocity_limit``: ``(nv,)`` [rad/s or m/s] (default ``robot.velocity_limit``). A joint that
    moves must have a finite limit. Accelerations are not limited (the velocity is piecewise constant).
    """
    velocity_scale = positive("velocity_scale", velocity_scale)
    Q = robot.check_q(q, "q")
    if Q.ndim != 2:
        raise ShapeError(f"expected a path q of shape (N, {robot.nq}), got {Q.shape}")
    vmax = robot.velocity_limit if velocity_limit is None else as_real_array(velocity_limit, "velocity_limit")
    if vmax.shape != (robot.nv,) or np.isnan(vmax).any() or (vmax <= 0).any():
        raise InvalidValueError(f"velocity_limit must be ({robot.nv},) values > 0, got {np.asarray(vmax).tolist()}")
    if len(Q) < 2:
        return np.zeros(len(Q))
    dq = np.abs(robot.difference(Q[:-1], Q[1:]))
    moving = (dq > 0).any(axis=0)
    unlimited = moving & ~np.isfinite(vmax)
    if unlimited.any():
        names = _names_of_v(robot, np.flatnonzero(unlimited))
        raise InvalidValueError(f"joints {names} move but have no velocity limit: pass velocity_limit=")
    durations = (dq / (velocity_scale * vmax)).max(axis=1)
    return np.concatenate(([0.0], np.cumsum(durations)))


def _names_of_v(robot: Robot, idx) -> list[str]:
    out = []
    for k in idx:
        for j in robot.joints:
            if j.idx_v <= k < j.idx_v + j.nv:
                out.append(j.name)
    return out
