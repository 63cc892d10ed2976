"""Differential IK for control: resolved-rate motion control with damped least squares.

``v = Jᵀ(J Jᵀ + λ² I)⁻¹ ξ`` for a desired twist ``ξ`` (Whitney 1969; damping as in
:mod:`kinejac.ik.solvers`: ``λ² = (1 - (σ_min/ε)²) λ_max²`` when ``σ_min < ε``, else 0). Limits are
enforced by saturation in the null space (a simplified SNS, Flacco, De Luca & Khatib 2012): each
joint velocity is bounded by its velocity limit and by the distance to its position limits over
``dt``; the joint that overshoots its bound most is fixed at that bound and the twist is re-solved
with the others, until every joint is within its bounds.
"""

from __future__ import annotations

import numpy as np

from .. import kinematics as kin
from .._checks import positive
from ..errors import InvalidValueError, ShapeError
from ..robot import Robot
from ..spatial import Reference

__all__ = ["joint_velocities", "velocity_bounds"]


def velocity_bounds(robot: Robot, q, dt: float, *, position_limits: bool = True, velocity_limits: bool = True):
    """Per-joint velocity bounds ``(lo, hi)`` ``(nv,)`` [rad/s or m/s] that keep ``q + v dt`` within
    the position limits (1-DOF joints) and ``|v|`` within the velocity limits."""
    q = robot._check_q(q)
    dt = positive("dt [s]", dt)
    lo = np.full(robot.nv, -np.inf)
    hi = np.full(robot.nv, np.inf)
    if velocity_limits:
        lo, hi = -robot.velocity_limit.copy(), robot.velocity_limit.copy()
    if position_limits:
        for j in robot.joints:
            if j.nq == 1 and j.nv == 1:
                a, b = robot.lower[j.idx_q], robot.upper[j.idx_q]
                x = q[j.idx_q]
                lo[j.idx_v] = max(lo[j.idx_v], (a - x) / dt)
                hi[j.idx_v] = min(hi[j.idx_v], (b - x) / dt)
    # a joint already outside its limits may only move back: never an empty interval
    bad = lo > hi
    lo[bad] = hi[bad] = np.where(np.abs(lo[bad]) < np.abs(hi[bad]), lo[bad], hi[bad])
    return lo, hi


def _dls(J: np.ndarray, xi: np.ndarray, epsilon: float, max_damping: float) -> np.ndarray:
    if J.shape[1] == 0:
        return np.zeros(0)
    s = np.linalg.svd(J, compute_uv=False)
    s_min = s[-1] if len(s) else 0.0
    lam2 = 0.0 if s_min >= epsilon else (1.0 - (s_min / epsilon) ** 2) * max_damping**2
    A = J @ J.T + (lam2 + 1e-12) * np.eye(J.shape[0])
    return J.T @ np.linalg.solve(A, xi)


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
    q = robot._check_q(q)
    if q.ndim != 1:
        raise ShapeError(f"joint_velocities takes one configuration of shape ({robot.nq},), got {q.shape}")
    xi = np.asarray(twist_desired, dtype=float)
    if xi.shape != (6,):
        raise ShapeError(f"expected twist_desired of shape (6,) [linear; angular], got {xi.shape}")
    if not np.isfinite(xi).all():
        raise InvalidValueError(f"twist_desired contains NaN or inf: {xi.tolist()}")
    dt = positive("dt [s]", dt)
    J = kin.jacobian(robot, q, frame, reference)
    lo, hi = velocity_bounds(robot, q, dt, position_limits=position_limits, velocity_limits=velocity_limits)
    v = np.zeros(robot.nv)
    free = np.ones(robot.nv, dtype=bool)
    for _ in range(robot.nv + 1):
        rest = xi - J[:, ~free] @ v[~free]
        v[free] = _dls(J[:, free], rest, epsilon, max_damping)
        over = np.where(free, np.maximum(v - hi, lo - v), -np.inf)
        worst = int(np.argmax(over))
        if over[worst] <= 1e-12:
            break
        v[worst] = hi[worst] if v[worst] > hi[worst] else lo[worst]
        free[worst] = False
    return np.clip(v, lo, hi)
