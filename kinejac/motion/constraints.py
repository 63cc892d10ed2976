"""General linear constraints on the joint velocity: the hook for obstacle distances.

Joint limits are boxes (:mod:`kinejac.motion.limits`); anything else enters the velocity QP as
rows ``lower ≤ C v ≤ upper`` [units of ``C v``] through a :class:`LinearConstraint`. The intended
user is a minimum distance to obstacles: for a pair at distance ``d`` with unit normal ``n`` and
witness-point Jacobians ``J_a``, ``J_b``, the velocity damper ``-nᵀ(J_a - J_b) v ≤ ξ (d - d_s) /
(d_i - d_s)`` (Faverjon & Tournassoud 1987) keeps ``d ≥ d_s``. :mod:`kinejac.collision`'s sphere
model gives those quantities (distances and normals: :mod:`kinejac.collision.reference`); kinejac
does not ship a ready-made distance constraint yet.
"""

from __future__ import annotations

import numpy as np

from ..robot import Robot

__all__ = ["LinearConstraint"]


class LinearConstraint:
    """``lower ≤ C v ≤ upper`` with ``rows`` rows, evaluated every step.

    Subclasses set :attr:`rows` and implement :meth:`fill`. The QP calls ``fill`` after
    ``pinocchio.computeJointJacobians(robot.model, robot.data, q)``, so frame placements and
    Jacobians are read from ``robot.data`` without another kinematics pass. ``-inf``/``inf``
    bounds are allowed. Constraints that cannot be met together with the joint limits make the QP
    infeasible (:class:`~kinejac.motion.qp.InfeasibleError`).
    """

    rows: int = 0

    def bind(self, robot: Robot) -> None:
        """Resolve names against ``robot`` (called once when a solver is built)."""

    def fill(self, robot: Robot, q: np.ndarray, dt: float, C: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Write ``C`` ``(rows, nv)`` and the bounds ``(rows,)`` on ``C v`` at ``q`` for period ``dt`` [s]."""
        raise NotImplementedError(f"{type(self).__name__} must implement fill()")
