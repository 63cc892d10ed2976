"""The native collision world: the exact checks of :class:`~kinejac.collision.CollisionChecker`,
with a broad phase in front and GJK on convex pieces (``cpp/include/kinejac/collision.hpp``).

Built from the checker's pinocchio ``GeometryModel`` and its pairs (same order), once per checker:

- primitives (sphere, box, capsule, cylinder) stay themselves;
- a triangle mesh is compared with the convex hull of its vertices: its **slack** ``δ`` bounds how
  deep under the hull's boundary its surface goes (for each triangle, ``min`` over the hull's
  facets of the largest depth of its three vertices under that facet's plane: the depth is
  concave, so that bounds the whole triangle). ``δ = 0`` (to ``1e-9`` of the mesh's size, with the
  triangles' area equal to the hull's to ``1e-6``): the mesh is convex, its hull is it exactly.
  Small ``δ`` (at most 2 % of its size; most collision meshes, whose quads were split along the
  other diagonal than the hull's): two pieces, the hull (containing the mesh) and the hull eroded
  by ``δ`` (inside the mesh), so a pair is free when the hulls are, in contact when the eroded
  hulls are, and otherwise (within ``δ``) coal decides that pair. Any other mesh becomes one
  piece per triangle, the surface coal's mesh checks test. (A shape entirely inside a mesh,
  touching no triangle, is free for coal and in contact for the hull: the one case where they
  differ.)
- every geometry is covered by its fitted spheres (:mod:`kinejac.collision.spheres`: every
  surface point lies inside one) and bounded by one sphere.

A pair is free when its bounding spheres, or all its covering spheres (against the other's
spheres, or against the other itself when it is a primitive), are at least the clearance apart;
otherwise GJK decides on the pieces. Anything else (planes, cones, ...) is not supported here:
:func:`build_world` returns ``None`` and the checker uses coal alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import coal
import numpy as np
import pinocchio as pin

from .. import core
from .shapes import DEFAULT_MAX_SPHERES, DEFAULT_RESOLUTION, mesh_arrays, shape_spheres

__all__ = ["SHAPE_CODES", "MeshPieces", "build_world", "mesh_pieces"]

#: the native core's ShapeKind codes
SHAPE_CODES = {"sphere": 0, "box": 1, "capsule": 2, "cylinder": 3, "convex": 4}
_CONVEX_TOLERANCE = 1e-9  # relative to the mesh's size
_AREA_TOLERANCE = 1e-6
_MAX_SLACK = 0.02  # relative to the mesh's size: more, and the mesh is checked triangle by triangle


def _bound(points: np.ndarray) -> np.ndarray:
    """``[cx, cy, cz, r]``: a sphere containing the points (centred on their bounding box)."""
    c = 0.5 * (points.min(axis=0) + points.max(axis=0))
    return np.array([*c, np.sqrt(((points - c) ** 2).sum(axis=1)).max()])


@dataclass(frozen=True)
class MeshPieces:
    """The convex pieces of a triangle mesh (vertex arrays in its frame [m]).

    Attributes:
        outer: the hull's vertices ``(n, 3)`` (containing the mesh), or the triangles ``(3, 3)`` each.
        inner: the vertices of the hull eroded by ``slack`` (inside the mesh), or ``None`` when the
            outer pieces are the mesh exactly.
        slack: [m] how deep under the hull's boundary the mesh's surface goes at most (0: convex).
    """

    outer: tuple[np.ndarray, ...]
    inner: np.ndarray | None
    slack: float


def mesh_pieces(V: np.ndarray, F: np.ndarray) -> MeshPieces:
    """The convex pieces of a triangle mesh: vertices ``V (N, 3)``, triangles ``F (M, 3)`` (see the
    module doc)."""
    from scipy.spatial import ConvexHull, HalfspaceIntersection, QhullError

    triangles = MeshPieces(tuple(np.ascontiguousarray(V[f]) for f in F), None, 0.0)
    try:
        hull = ConvexHull(V)
    except (QhullError, ValueError):  # flat or degenerate
        return triangles
    size = float(np.ptp(V, axis=0).max())
    eq = hull.equations  # n·x + d <= 0 inside, |n| = 1
    depth = -(V @ eq[:, :3].T + eq[:, 3])  # (N, facets) >= 0: each vertex's depth under each facet's plane
    slack = float(np.maximum(depth[F[:, 0]], np.maximum(depth[F[:, 1]], depth[F[:, 2]])).min(axis=1).max())
    outer = (np.ascontiguousarray(V[hull.vertices]),)
    area = 0.5 * np.linalg.norm(np.cross(V[F[:, 1]] - V[F[:, 0]], V[F[:, 2]] - V[F[:, 0]]), axis=1).sum()
    if slack <= _CONVEX_TOLERANCE * size and abs(area - hull.area) <= _AREA_TOLERANCE * hull.area:
        return MeshPieces(outer, None, 0.0)
    if slack > _MAX_SLACK * size:
        return triangles
    erosion = slack + _CONVEX_TOLERANCE * size
    centre = outer[0].mean(axis=0)
    if (eq[:, :3] @ centre + eq[:, 3]).max() + erosion >= 0:  # the centre is not inside the eroded hull
        return triangles
    halfspaces = eq.copy()
    halfspaces[:, 3] += erosion
    try:
        inner = HalfspaceIntersection(halfspaces, centre).intersections
    except (QhullError, ValueError):
        return triangles
    return MeshPieces(outer, np.ascontiguousarray(np.unique(inner.round(12), axis=0)), slack)


def _planes(P: np.ndarray) -> np.ndarray:
    """The facet planes ``(F, 4)`` ``(n, d)``, ``n·x + d <= 0`` inside, of the convex hull of ``P (n, 3)``
    (none for a triangle or anything flat)."""
    from scipy.spatial import ConvexHull, QhullError

    if len(P) < 4:
        return np.zeros((0, 4))
    try:
        return np.ascontiguousarray(ConvexHull(P).equations)
    except (QhullError, ValueError):
        return np.zeros((0, 4))


def _shape(geometry) -> tuple[int, np.ndarray, MeshPieces | None] | None:
    """(kind code, size (3,), a mesh's pieces) of a coal shape, or ``None`` when not supported."""
    if isinstance(geometry, coal.Sphere):
        return SHAPE_CODES["sphere"], np.array([geometry.radius, 0.0, 0.0]), None
    if isinstance(geometry, coal.Box):
        return SHAPE_CODES["box"], np.array(geometry.halfSide, dtype=float), None
    if isinstance(geometry, coal.Capsule):
        return SHAPE_CODES["capsule"], np.array([geometry.radius, geometry.halfLength, 0.0]), None
    if isinstance(geometry, coal.Cylinder):
        return SHAPE_CODES["cylinder"], np.array([geometry.radius, geometry.halfLength, 0.0]), None
    if isinstance(geometry, coal.BVHModelBase):
        V, F = mesh_arrays(geometry)
        if not len(F):
            return None
        return SHAPE_CODES["convex"], np.zeros(3), mesh_pieces(V, F)
    return None


def _spheres(geometry, cache: dict, key) -> tuple[np.ndarray, np.ndarray]:
    """The covering spheres of a geometry (fitted once per robot geometry)."""
    k = None if key is None else ("spheres", *key)
    if k is not None and k in cache:
        return cache[k]
    got = shape_spheres(geometry, DEFAULT_RESOLUTION, DEFAULT_MAX_SPHERES)
    if k is not None:
        cache[k] = got
    return got


def _primitive_bound(kind: int, size: np.ndarray) -> np.ndarray:
    r, h = size[0], size[1]
    radius = {
        SHAPE_CODES["sphere"]: r,
        SHAPE_CODES["box"]: float(np.linalg.norm(size)),
        SHAPE_CODES["capsule"]: r + h,
        SHAPE_CODES["cylinder"]: float(np.hypot(r, h)),
    }[kind]
    return np.array([0.0, 0.0, 0.0, radius])


def _spheres_read(geom_model: pin.GeometryModel, pairs: list[tuple[int, int]]) -> np.ndarray:
    """``(G,)`` bools: which geometries' covering spheres the broad phase reads (a primitive that only
    meets meshes is compared with their spheres directly, so it needs none of its own)."""
    need = np.zeros(geom_model.ngeoms, bool)
    for a, b in pairs:
        a_prim = not isinstance(geom_model.geometryObjects[a].geometry, coal.BVHModelBase)
        b_prim = not isinstance(geom_model.geometryObjects[b].geometry, coal.BVHModelBase)
        if b_prim:
            need[a] = True
        elif a_prim:
            need[b] = True
        else:
            need[a] = need[b] = True
    return need


def build_world(
    robot, geom_model: pin.GeometryModel, pairs: list[tuple[int, int]], n_robot: int = 0
) -> core.World | None:
    """The native :class:`kinejac.core.World` of ``geom_model`` (robot geometry and obstacles, each
    moving with its ``parentJoint``) checking ``pairs`` (geometry index pairs, in order); ``None``
    when a geometry is of a kind the world does not support. The first ``n_robot`` geometries are
    ``robot.collision_model``'s: their pieces and spheres are kept in ``robot.cache``. Covering
    spheres are fitted only where the broad phase reads them (not for a primitive that only ever
    meets meshes' spheres)."""
    G = geom_model.ngeoms
    need = _spheres_read(geom_model, pairs)
    cache = robot.cache.setdefault("world_shapes", {})
    joint = np.zeros(G, np.int64)
    pose = np.zeros((G, 4, 4))
    kind = np.zeros(G, np.int64)
    size = np.zeros((G, 3))
    gpieces = np.zeros((G, 2), np.int64)
    ginner = np.full(G, -1, np.int64)
    gspheres = np.zeros((G, 2), np.int64)
    gbound = np.zeros((G, 4))
    piece_range: list[tuple[int, int]] = []
    piece_bound: list[np.ndarray] = []
    piece_planes: list[tuple[int, int]] = []
    planes: list[np.ndarray] = []
    n_planes = 0
    vertices: list[np.ndarray] = []
    centres: list[np.ndarray] = []
    radii: list[np.ndarray] = []
    n_vertices = n_spheres = 0
    for g, obj in enumerate(geom_model.geometryObjects):
        key = (g, obj.name) if g < n_robot else None
        got = cache.get(key) if key is not None else None
        if got is None:
            got = _shape(obj.geometry)
            if got is None:
                return None
            if key is not None:
                cache[key] = got
        kind[g], size[g], mesh = got
        joint[g] = obj.parentJoint
        pose[g] = obj.placement.homogeneous
        pieces = list(mesh.outer) if mesh is not None else []
        gpieces[g] = len(piece_range), len(piece_range) + len(pieces)
        if mesh is not None and mesh.inner is not None:
            ginner[g] = len(piece_range) + len(pieces)
            pieces.append(mesh.inner)
        for P in pieces:
            piece_range.append((n_vertices, len(P)))
            piece_bound.append(_bound(P))
            H = _planes(P) if len(pieces) <= 2 else np.zeros((0, 4))  # hulls: for coal's containment rule
            piece_planes.append((n_planes, len(H)))
            planes.append(H)
            n_planes += len(H)
            vertices.append(P)
            n_vertices += len(P)
        gbound[g] = _bound(np.concatenate(pieces)) if pieces else _primitive_bound(int(kind[g]), size[g])
        C, R = _spheres(obj.geometry, cache, key) if need[g] else (np.zeros((0, 3)), np.zeros(0))
        gspheres[g] = n_spheres, n_spheres + len(R)
        centres.append(C)
        radii.append(R)
        n_spheres += len(R)
    def stacked(parts: list[np.ndarray], width: int) -> np.ndarray:
        return np.ascontiguousarray(np.concatenate(parts) if parts else np.zeros((0, width)))

    return core.World(
        core.model_of(robot), joint, pose, kind, size, gpieces, ginner, gspheres, gbound,
        np.array(piece_range, dtype=np.int64).reshape(-1, 2), np.array(piece_bound, dtype=float).reshape(-1, 4),
        np.array(piece_planes, dtype=np.int64).reshape(-1, 2), stacked(planes, 4), stacked(vertices, 3),
        stacked(centres, 3), np.ascontiguousarray(np.concatenate(radii) if radii else np.zeros(0)),
        np.array(pairs, dtype=np.int64).reshape(-1, 2),
    )  # fmt: skip
