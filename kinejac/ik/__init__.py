"""Inverse kinematics: iterative solvers (LM, Gauss-Newton, DLS), batched solving and differential IK.

Start with :func:`solve_ik`; build an :class:`IKSolver` once to solve repeatedly (a control loop,
many targets). See :mod:`kinejac.ik.solvers` for the update rules and
:mod:`kinejac.ik.residual` for the error and the frame it lives in.
"""

from __future__ import annotations

import numpy as np

from ..robot import Robot
from .differential import joint_velocities, velocity_bounds
from .objectives import JointLimitDistance, Manipulability, Objective, Posture
from .result import IKBatchResult, IKReason, IKResult
from .solvers import METHODS, IKSolver, Method, solve_ik
from .targets import FrameTarget

__all__ = [
    "METHODS",
    "FrameTarget",
    "IKBatchResult",
    "IKReason",
    "IKResult",
    "IKSolver",
    "JointLimitDistance",
    "Manipulability",
    "Method",
    "Objective",
    "Posture",
    "joint_velocities",
    "solve_ik",
    "solve_ik_batch",
    "velocity_bounds",
]


def solve_ik_batch(robot: Robot, targets, frame: str, *, q0=None, seed: int | None = 0, **options) -> IKBatchResult:
    """Solve many pose targets ``(B, 4, 4)`` for ``frame`` in one call (see :meth:`IKSolver.solve_batch`).

    Sample ``i`` equals ``solve_ik(robot, targets[i], frame, seed=(seed, i), timeout=None, ...)``
    up to rounding; ``options`` are :class:`IKSolver` options (``timeout`` is ignored).
    """
    solver = IKSolver(robot, frame, seed=seed, **options)
    return solver.solve_batch(np.asarray(targets, dtype=float), q0)
