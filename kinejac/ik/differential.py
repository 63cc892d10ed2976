"""Differential IK for control: resolved-rate motion control of one frame, as a small QP.

``v = argmin ½‖J v - ξ‖² + ½ λ² ‖v‖²`` within per-joint velocity bounds, for a desired twist ``ξ``
(Whitney 1969). The damping ``λ² = (1 - (σ_min/ε)²) λ_max²`` when ``σ_min < ε``, else 0 (as in
:mod:`kinejac.ik.solvers`; a 1e-10 floor keeps the QP strictly convex), so away from singularities
and limits ``v`` is the least-norm solution ``J⁺ ξ``. The bounds keep ``q + v dt`` within the
position limits and ``|v|`` within the velocity limits (:class:`kinejac.motion.limits.JointBounds`);
when a joint saturates the others compensate (the QP's optimum, which the saturation in the null
space of Flacco, De Luca & Khatib 2012 approximates). This is the one-frame interface of the
velocity QP of :mod:`kinejac.motion.qp` (same bounds, same DAQP solver); use
:func:`kinejac.velocity_ik` for several tasks, a posture, acceleration limits or priorities.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import kinematics as kin
from .._checks import positive
from ..errors import InvalidValueError, ShapeError
from ..motion.limits import JointBounds
from ..motion.qp import DenseQP
from ..spatial import Reference

if TYPE_CHECKING:
    from ..robot import Robot

__all__ = ["joint_velocities", "velocity_bounds"]


def velocity_bounds(robot: Robot, q, dt: float, *, position_limits: bool = True, velocity_limits: bool = True):
    """Per-joint velocity bounds ``(lo, hi)`` ``(nv,)`` [rad/s or m/s] that keep ``q + v dt`` within
    the position limits (1-DOF joints) and ``|v|`` within the velocity limits. A joint already
    outside its position limits may only move back, as fast as its velocity limit allows."""
    q = robot.check_q(q)
    dt = positive("dt [s]", dt)
    bounds = JointBounds(robot, position_limits=position_limits, velocity_limit=bool(velocity_limits))
    return bounds.velocity_bounds(q, dt)


def _damping(J: np.ndarray, epsilon: float, max_damping: float) -> float:
    """``λ²`` from the smallest singular value of ``J``."""
    s = np.linalg.svd(J, compute_uv=False)
    s_min = s[-1] if len(s) else 0.0
    return 0.0 if s_min >= epsilon else (1.0 - (s_min / epsilon) ** 2) * max_damping**2


def joint_velocities(
    robot: Robot,
    q,
    frame: str,
    twist_desired,
    dt: float,
    *,
    reference: Reference | str = Reference.LOCAL_WORLD_ALIGNED,
    epsilon: float = 0.05,
    max_damping: float = 0.1,
    position_limits: bool = True,
    velocity_limits: bool = True,
) -> np.ndarray:
    """Joint velocity ``v`` ``(nv,)`` that best realises ``twist_desired`` for ``frame`` over ``dt``.

    Args:
        robot, q: the robot and its configuration ``(nq,)``.
        frame: the controlled frame.
        twist_desired: ``(6,)`` [m/s; rad/s] ``[linear; angular]`` in ``reference`` (default
            ``local_world_aligned``: the frame origin's velocity and the angular velocity, world axes).
        dt: [s] control period (bounds the motion towards the position limits).
        epsilon, max_damping: the DLS singular-value threshold ``ε`` and ``λ_max``.
        position_limits, velocity_limits: whether to enforce them.

    Returns ``v`` with ``lo ≤ v ≤ hi`` for :func:`velocity_bounds`; integrate with
    ``robot.integrate(q, v * dt)``.
    """
    q = robot.check_q(q)
    if q.ndim != 1:
        raise ShapeError(f"joint_velocities takes one configuration of shape ({robot.nq},), got {q.shape}")
    xi = np.asarray(twist_desired, dtype=float)
    if xi.shape != (6,):
        raise ShapeError(f"expected twist_desired of shape (6,) [linear; angular], got {xi.shape}")
    if not np.isfinite(xi).all():
        raise InvalidValueError(f"twist_desired contains NaN or inf: {xi.tolist()}")
    dt = positive("dt [s]", dt)
    if robot.nv == 0:
        return np.zeros(0)
    J = kin.jacobian(robot, q, frame, reference).reshape(6, robot.nv)
    lo, hi = velocity_bounds(robot, q, dt, position_limits=position_limits, velocity_limits=velocity_limits)
    H = J.T @ J
    H[np.diag_indices_from(H)] += _damping(J, epsilon, max_damping) + 1e-10
    v = DenseQP(robot.nv, 0, "joint_velocities").solve(H, -(J.T @ xi), lo, hi)
    return np.clip(v, lo, hi)
