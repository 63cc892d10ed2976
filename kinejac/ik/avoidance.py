"""Collision avoidance for the IK solvers: what the native core keeps apart, and the exact check
that decides.

During a solve the robot is modelled by the spheres fitted to its collision geometry
(:mod:`kinejac.collision.spheres`): every pair of spheres on links that may collide (not disabled)
and every sphere against every obstacle closer than ``clearance + MARGIN`` is pushed apart by a
one-sided penalty (``cpp/include/kinejac/spheres.hpp``). The spheres cover the geometry, so a configuration
they keep apart is usually free; the exact coal check (:class:`~kinejac.collision.CollisionChecker`)
decides: a solution counts as found only if the real geometry is free, with at least
``clearance`` [m] between every checked pair when ``clearance > 0``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np

from .._checks import positive
from ..errors import InvalidValueError

if TYPE_CHECKING:
    from ..collision.checking import Clearance
    from ..robot import Robot

__all__ = ["MARGIN", "Avoidance"]

MARGIN = 0.005  #: [m] pairs closer than clearance + MARGIN are pushed apart during the solve


class Avoidance:
    """The sphere model (for the core) and the exact checker of one robot, scene and clearance.

    Args:
        robot: the robot; it needs collision geometry for ``self_collision``.
        obstacles: a scene (sequence of :mod:`kinejac.collision` obstacles, or a JSON file path).
        self_collision: keep the robot's links apart (pairs not disabled by its SRDF or generated).
        clearance: [m] the distance every checked pair must keep (0: merely not touching).
    """

    def __init__(self, robot: Robot, obstacles=(), *, self_collision: bool = False, clearance: float = 0.0) -> None:
        from ..collision.checking import CollisionChecker
        from ..collision.obstacles import as_scene
        from ..collision.spheres import sphere_model

        self.clearance = positive("clearance [m]", clearance, zero=True)
        self.obstacles = as_scene(obstacles)
        self.self_collision = bool(self_collision)
        if self.self_collision and not robot.has_collision_geometry:
            raise InvalidValueError(
                f"self_collision needs collision geometry, and robot {robot.name!r} has no <collision> elements"
            )
        model = sphere_model(robot, self.obstacles)
        self_pairs = model.self_pairs if self.self_collision else np.zeros((0, 2), dtype=np.int64)
        self.spheres = model
        self.sph = (
            model.sphere_joint,
            model.sphere_center,
            model.sphere_radius,
            np.ascontiguousarray(self_pairs),
            model.obstacle_kind,
            model.obstacle_pose,
            model.obstacle_size,
            model.obstacle_pairs,
        )
        self.joints = np.unique(model.sphere_joint[model.sphere_joint > 0])
        self.checker = CollisionChecker(robot, self.obstacles, self_collision=self.self_collision)

    def free(self, q: np.ndarray) -> bool:
        """Whether ``q (nq,)`` is free by the exact check, with at least ``clearance`` between pairs."""
        if self.clearance > 0.0:
            nearest = cast("Clearance", self.checker.clearance(q))  # one configuration: one Clearance
            return bool(nearest.distance >= self.clearance)
        return not bool(self.checker.in_collision(q))
