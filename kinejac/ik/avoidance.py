"""Collision avoidance for the IK solvers: the collision world the native core checks candidates
in, the sphere model it can push apart, and the exact check that decides.

The solvers look for collision-free answers by candidates (``cpp/include/kinejac/free_ik.hpp``):
after the plain answer, the exact solutions of the frame's closed form
(:func:`~kinejac.ik.analytic.candidate_closed_form`: with a joint held fixed, that joint swept over
its range), then converged answers from diverse seeded starts, each checked in the native collision
world (:mod:`kinejac.collision.world`: covering spheres, then GJK on the meshes' convex pieces) as
soon as it is found, until one is free with at least ``clearance`` [m] between every checked pair. A
pair the world cannot decide (within a mesh's slack) counts as a collision there, so an answer
marked successful is free for coal too. For geometry the world does not support, the older rounds
run instead: the robot's fitted spheres (:mod:`kinejac.collision.spheres`) pushed apart by a
one-sided penalty (``cpp/include/kinejac/spheres.hpp``), every pair closer than
``clearance + MARGIN``, and coal (:class:`~kinejac.collision.CollisionChecker`) deciding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._checks import positive
from ..errors import InvalidValueError

if TYPE_CHECKING:
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
        from ..collision.checking import checker
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
        # the robot's cached checker of this scene (its native world is built once)
        self.checker = checker(robot, self.obstacles, self.self_collision)
        #: the native collision world the candidates are checked in (None: unsupported geometry)
        self.world = self.checker.world

    def free(self, q: np.ndarray) -> bool:
        """Whether ``q (nq,)`` is free by the exact check, with at least ``clearance`` between pairs."""
        return bool(self.checker.free(q, self.clearance))
