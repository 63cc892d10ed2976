"""Inverse kinematics: iterative solvers (LM, Gauss-Newton, DLS), every solution by closed forms,
batched solving and differential IK.

Start with :func:`solve_ik`; build an :class:`IKSolver` once to solve repeatedly (a control loop,
many targets); :func:`solve_ik_all` lists every solution of arms with a closed form
(:func:`ik_structure` says which family a chain is in). See :mod:`kinejac.ik.solvers` for the update rules and
``cpp/include/kinejac/residual.hpp`` for the error and the frame it lives in. This package
validates and translates; the iterations run in the native core, :mod:`kinejac.core`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .analytic import AnalyticIK, IKSolutions, IKSolutionsBatch, SolutionsReason, solve_ik_all
from .cached import solve_ik
from .differential import joint_velocities, velocity_bounds
from .manipulability import Manipulability
from .objectives import JointLimitDistance, Objective, Posture
from .problem import Problem
from .result import IKBatchResult, IKReason, IKResult
from .solvers import METHODS, IKSolver, Method, check_options
from .structure import FAMILIES, IKStructure, ik_structure
from .targets import FrameTarget

if TYPE_CHECKING:
    from ..robot import Robot

__all__ = [
    "FAMILIES",
    "METHODS",
    "AnalyticIK",
    "FrameTarget",
    "IKBatchResult",
    "IKReason",
    "IKResult",
    "IKSolutions",
    "IKSolutionsBatch",
    "IKSolver",
    "IKStructure",
    "JointLimitDistance",
    "Manipulability",
    "Method",
    "Objective",
    "Posture",
    "Problem",
    "SolutionsReason",
    "ik_structure",
    "joint_velocities",
    "solve_ik",
    "solve_ik_all",
    "solve_ik_batch",
    "velocity_bounds",
]


def solve_ik_batch(
    robot: Robot, targets, frame: str, *, q0=None, seed: int | None = 0, threads: int | None = None, **options
) -> IKBatchResult:
    """Solve many pose targets ``(B, 4, 4)`` for ``frame`` in one call (see :meth:`IKSolver.solve_batch`).

    Sample ``i`` equals ``solve_ik(robot, targets[i], frame, seed=(seed, i), timeout=None, ...)``,
    whatever the number of ``threads`` (default: every core); ``options`` are :class:`IKSolver`
    options (``timeout`` is ignored).
    """
    solver = IKSolver(robot, frame, seed=seed, **check_options("solve_ik_batch", options))
    return solver.solve_batch(targets, q0, threads=threads)
