"""Spheres fitted to the collision geometry: the fast model for the compiled IK core.

How the spheres are fitted (per geometry object, in its own frame; :mod:`kinejac.collision.shapes`):

1. Surface points with a known resolution ``h`` (default 5 mm): every point of the surface is
   within ``h`` of one of them. Boxes: a grid on each face; cylinders and capsules: rings and
   discs (latitude rings on the hemispheres); meshes: each triangle subdivided until its edges are
   shorter than ``h``. A sphere primitive is its own single sphere (no sampling).
2. ``k`` centres: the points' principal axis of length ``L`` and largest distance ``w`` from it
   give ``k = clip(ceil(L / w), 1, max_spheres)`` centres evenly spaced along the axis, then
   10 iterations of k-means (Lloyd) move them.
3. Each point goes to its nearest centre; a sphere's radius is the largest distance to its
   points **plus h**. So any surface point ``x`` is within ``h`` of a sample ``p`` whose sphere has
   ``|p - c| <= r - h``, hence ``|x - c| <= r``: the spheres cover the whole surface, which the
   tests check with fresh random surface points.

The arrays of :class:`SphereModel` are flat, C-contiguous float64/int64, ready for the native core
(:func:`kinejac.core.model_of`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pinocchio as pin

from .._checks import positive
from .geometry import geometry_links
from .obstacles import Box, Capsule, Cylinder, Mesh, PointCloud, Sphere, as_scene, coal_geometry, obstacle_names
from .shapes import DEFAULT_MAX_SPHERES, DEFAULT_RESOLUTION, shape_spheres

__all__ = [
    "BOX",
    "CAPSULE",
    "CYLINDER",
    "SPHERE",
    "SphereModel",
    "sphere_model",
]

SPHERE, BOX, CAPSULE, CYLINDER = 0, 1, 2, 3  #: obstacle kind codes of SphereModel.obstacle_kind


@dataclass(frozen=True, eq=False)
class SphereModel:
    """Spheres covering a robot's collision geometry, and obstacles, as flat arrays.

    Robot spheres (``S`` of them; all arrays C-contiguous):
        sphere_joint ``(S,) int64``: pinocchio joint id the sphere moves with (0: the world).
        sphere_center ``(S, 3) float64`` [m]: centre in that joint's frame
            (world centre = ``data.oMi[joint].act(center)``).
        sphere_radius ``(S,) float64`` [m].
        sphere_link ``(S,) int64``: index into ``link_names``; sphere_geometry ``(S,) int64``: index
            of the geometry object it covers in ``robot.collision_model``.
        self_pairs ``(P, 2) int64``: sphere index pairs ``i < j`` to keep apart: different links whose
            pair is not disabled, moving with different joints (spheres on one joint keep their distance).
    Obstacles (``O`` primitives; point clouds become one sphere per point, meshes their fitted spheres):
        obstacle_kind ``(O,) int64``: ``SPHERE=0, BOX=1, CAPSULE=2, CYLINDER=3``.
        obstacle_pose ``(O, 4, 4) float64``: ``T_world_obstacle`` (centre of the shape, z the axis of
            capsules and cylinders).
        obstacle_size ``(O, 3) float64`` [m]: sphere ``(r, 0, 0)``, box half-extents ``(hx, hy, hz)``,
            capsule and cylinder ``(r, half_length, 0)``.
        obstacle_source ``(O,) int64``: index into ``obstacle_names`` (the user's obstacle).
        obstacle_pairs ``(Q, 2) int64``: ``(sphere, obstacle)`` for every sphere not fixed to the world.
    """

    link_names: tuple[str, ...]
    sphere_joint: np.ndarray
    sphere_center: np.ndarray
    sphere_radius: np.ndarray
    sphere_link: np.ndarray
    sphere_geometry: np.ndarray
    self_pairs: np.ndarray
    obstacle_names: tuple[str, ...]
    obstacle_kind: np.ndarray
    obstacle_pose: np.ndarray
    obstacle_size: np.ndarray
    obstacle_source: np.ndarray
    obstacle_pairs: np.ndarray
    resolution: float

    def __repr__(self) -> str:
        return (
            f"SphereModel(spheres={len(self.sphere_radius)}, self_pairs={len(self.self_pairs)}, "
            f"obstacles={len(self.obstacle_kind)}, obstacle_pairs={len(self.obstacle_pairs)})"
        )

    @property
    def arrays(self) -> dict[str, np.ndarray]:
        """The numeric arrays by name (what the native core takes)."""
        names = (
            "sphere_joint",
            "sphere_center",
            "sphere_radius",
            "sphere_link",
            "self_pairs",
            "obstacle_kind",
            "obstacle_pose",
            "obstacle_size",
            "obstacle_pairs",
        )
        return {n: getattr(self, n) for n in names}

    def with_obstacles(self, obstacles) -> SphereModel:
        """The same robot spheres with a scene encoded (replaces any obstacles)."""
        scene = as_scene(obstacles)
        names = tuple(obstacle_names(scene))
        kind, pose, size, source = [], [], [], []

        def add(k: int, T: np.ndarray, s, src: int) -> None:
            kind.append(k)
            pose.append(T)
            size.append(np.asarray(s, dtype=float))
            source.append(src)

        for i, o in enumerate(scene):
            if isinstance(o, Sphere):
                add(SPHERE, o.pose, (o.radius, 0, 0), i)
            elif isinstance(o, Box):
                add(BOX, o.pose, o.size / 2, i)
            elif isinstance(o, Capsule):
                add(CAPSULE, o.pose, (o.radius, o.length / 2, 0), i)
            elif isinstance(o, Cylinder):
                add(CYLINDER, o.pose, (o.radius, o.length / 2, 0), i)
            elif isinstance(o, PointCloud):
                for p in o.points:
                    T = np.eye(4)
                    T[:3, 3] = p
                    add(SPHERE, T, (o.radius, 0, 0), i)
            elif isinstance(o, Mesh):
                ((shape, placement),) = coal_geometry(o)
                C, R = shape_spheres(shape, self.resolution, DEFAULT_MAX_SPHERES)
                for c, r in zip(C, R):
                    T = np.eye(4)
                    T[:3, 3] = placement.act(c)
                    add(SPHERE, T, (r, 0, 0), i)
        moving = np.flatnonzero(self.sphere_joint != 0)
        pairs = np.array([(s, o) for s in moving for o in range(len(kind))], dtype=np.int64).reshape(-1, 2)
        return SphereModel(
            link_names=self.link_names,
            sphere_joint=self.sphere_joint,
            sphere_center=self.sphere_center,
            sphere_radius=self.sphere_radius,
            sphere_link=self.sphere_link,
            sphere_geometry=self.sphere_geometry,
            self_pairs=self.self_pairs,
            obstacle_names=names,
            obstacle_kind=np.ascontiguousarray(kind, dtype=np.int64),
            obstacle_pose=np.ascontiguousarray(np.array(pose, dtype=float).reshape(-1, 4, 4)),
            obstacle_size=np.ascontiguousarray(np.array(size, dtype=float).reshape(-1, 3)),
            obstacle_source=np.ascontiguousarray(source, dtype=np.int64),
            obstacle_pairs=np.ascontiguousarray(pairs),
            resolution=self.resolution,
        )


def build_sphere_model(
    robot, resolution: float = DEFAULT_RESOLUTION, max_spheres: int = DEFAULT_MAX_SPHERES
) -> SphereModel:
    """Fit spheres to every geometry object of ``robot.collision_model`` (no obstacles)."""
    resolution = positive("resolution", resolution)
    max_spheres = positive("max_spheres", max_spheres, integer=True)
    gm = robot.collision_model
    links = geometry_links(robot.model, gm)
    link_names = tuple(dict.fromkeys(links))
    joint, centre, radius, link, geom = [], [], [], [], []
    for g_id, g in enumerate(gm.geometryObjects):
        C, R = shape_spheres(g.geometry, resolution, max_spheres)
        for c, r in zip(C, R):
            joint.append(g.parentJoint)
            centre.append(g.placement.act(c))
            radius.append(r)
            link.append(link_names.index(links[g_id]))
            geom.append(g_id)
    disabled = robot.disabled_pairs
    pairs = []
    for i in range(len(radius)):
        for j in range(i + 1, len(radius)):
            a, b = sorted((link_names[link[i]], link_names[link[j]]))
            if a != b and joint[i] != joint[j] and (a, b) not in disabled:
                pairs.append((i, j))
    empty = SphereModel(
        link_names=link_names,
        sphere_joint=np.ascontiguousarray(joint, dtype=np.int64),
        sphere_center=np.ascontiguousarray(np.array(centre, dtype=float).reshape(-1, 3)),
        sphere_radius=np.ascontiguousarray(radius, dtype=float),
        sphere_link=np.ascontiguousarray(link, dtype=np.int64),
        sphere_geometry=np.ascontiguousarray(geom, dtype=np.int64),
        self_pairs=np.ascontiguousarray(np.array(pairs, dtype=np.int64).reshape(-1, 2)),
        obstacle_names=(),
        obstacle_kind=np.zeros(0, dtype=np.int64),
        obstacle_pose=np.zeros((0, 4, 4)),
        obstacle_size=np.zeros((0, 3)),
        obstacle_source=np.zeros(0, dtype=np.int64),
        obstacle_pairs=np.zeros((0, 2), dtype=np.int64),
        resolution=resolution,
    )
    return empty


def sphere_model(robot, obstacles=()) -> SphereModel:
    """The robot's sphere model (fitted once per robot with the defaults and kept) with ``obstacles`` encoded."""
    model: SphereModel | None = robot.cache.get("sphere_model")
    if model is None:
        model = robot.cache["sphere_model"] = build_sphere_model(robot)
    return model.with_obstacles(obstacles) if obstacles else model


_ = pin  # pinocchio's SE3.act is used through geometry placements
