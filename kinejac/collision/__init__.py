"""Collision awareness: geometry, disabled pairs, obstacles, exact checks and the sphere model.

Data flow: the URDF's ``<collision>`` elements (:mod:`.geometry`) -> disabled pairs from an SRDF or
generated (:mod:`.pairs`) -> obstacles (:mod:`.obstacles`) -> exact checks with coal's answers
(:mod:`.checking`), run by the native collision world (:mod:`.world`: covering spheres, then GJK
on the meshes' hulls and eroded hulls) with coal for what it cannot decide; spheres fitted to the
geometry (:mod:`.spheres`) with a plain numpy reference of their distances and penalty
(:mod:`.reference`).
"""

from .checking import Clearance, CollisionChecker, clearance, collisions, in_collision
from .obstacles import Box, Capsule, Cylinder, Mesh, Obstacle, PointCloud, SceneError, Sphere, load_scene
from .pairs import DEFAULT_SAMPLES, LinkNotFound, SRDFError, generate_disabled_pairs, read_srdf, write_srdf

__all__ = [
    "DEFAULT_SAMPLES",
    "Box",
    "Capsule",
    "Clearance",
    "CollisionChecker",
    "Cylinder",
    "LinkNotFound",
    "Mesh",
    "Obstacle",
    "PointCloud",
    "SRDFError",
    "SceneError",
    "Sphere",
    "clearance",
    "collisions",
    "generate_disabled_pairs",
    "in_collision",
    "load_scene",
    "read_srdf",
    "write_srdf",
]
