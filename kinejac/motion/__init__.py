"""Motion: Cartesian paths without joint jumps, and constrained velocity IK for control loops.

- :func:`solve_ik_path` (:mod:`.paths`): follow a Cartesian path waypoint by waypoint with local IK
  solves, never letting a joint jump, stopping (and saying why) where that is impossible.
- :func:`velocity_ik` / :class:`VelocityIK` (:mod:`.qp`): one QP per control step over
  :class:`FrameTask` and :class:`PostureTask` (:mod:`.tasks`), within position, velocity and
  acceleration limits (:mod:`.limits`) and optional linear constraints (:mod:`.constraints`).
"""

from __future__ import annotations

from .constraints import LinearConstraint, ObstacleDistance
from .interpolation import interpolate_poses
from .limits import JointBounds, stopping_velocity
from .paths import PathReason, PathResult, solve_ik_path, time_parameterize
from .qp import InfeasibleError, VelocityIK, velocity_ik
from .tasks import FrameTask, PostureTask, Task

__all__ = [
    "FrameTask",
    "InfeasibleError",
    "JointBounds",
    "LinearConstraint",
    "ObstacleDistance",
    "PathReason",
    "PathResult",
    "PostureTask",
    "Task",
    "VelocityIK",
    "interpolate_poses",
    "solve_ik_path",
    "stopping_velocity",
    "time_parameterize",
    "velocity_ik",
]
