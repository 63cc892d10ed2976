"""The manipulability objective: raise a manipulability measure of a frame in the null space of
the IK targets (a secondary :class:`~kinejac.ik.objectives.Objective` of :class:`~kinejac.IKSolver`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..analysis.gradients import manipulability_gradient
from ..analysis.measures import Measure, manipulability

if TYPE_CHECKING:
    from ..robot import Robot

__all__ = ["Manipulability"]


class Manipulability:
    """Raise a manipulability measure of a frame (:func:`kinejac.manipulability`): ``h = -w``.

    ``measure``, ``part`` and ``length_scale`` are those of :func:`kinejac.manipulability`; the
    default is Yoshikawa's ``w = σ_1 ⋯ σ_r`` of the full Jacobian (``√det(J Jᵀ)`` for a 6-DOF task).
    The gradient is :func:`kinejac.manipulability_gradient`, analytic from the kinematic Hessian
    (Park, Chung & Youm 1999). For an arm that cannot span all six directions (a planar arm) pick
    the rows it can move along, e.g. ``part=("vx", "vy")``.
    """

    def __init__(self, frame: str, measure: Measure = "yoshikawa", part="full", length_scale: float = 1.0) -> None:
        self.frame, self.measure, self.part, self.length_scale = frame, measure, part, length_scale

    def cost(self, robot: Robot, q: np.ndarray) -> float:
        w = manipulability(robot, q, self.frame, measure=self.measure, part=self.part, length_scale=self.length_scale)
        return -float(w)

    def gradient(self, robot: Robot, q: np.ndarray) -> np.ndarray:
        g = manipulability_gradient(robot, q, self.frame, self.measure, self.part, length_scale=self.length_scale)
        return -np.asarray(g)
