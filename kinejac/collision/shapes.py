"""Shapes as points and spheres: a coal mesh as arrays, points sampled on a shape's surface with a
known resolution, and the covering spheres fitted to them (the method is described in
:mod:`kinejac.collision.spheres`). Below every other collision module: it needs only coal and numpy.
"""

from __future__ import annotations

import math

import coal
import numpy as np

from ..errors import InvalidValueError, KinejacError

__all__ = [
    "DEFAULT_MAX_SPHERES",
    "DEFAULT_RESOLUTION",
    "fit_spheres",
    "mesh_arrays",
    "shape_spheres",
    "surface_points",
]

DEFAULT_RESOLUTION = 0.005  #: [m] surface sampling resolution h (also the radius padding)
DEFAULT_MAX_SPHERES = 8  #: spheres per geometry object at most


def mesh_arrays(shape) -> tuple[np.ndarray, np.ndarray]:
    """A coal triangle mesh (``BVHModelBase``) as vertices ``(V, 3)`` [m, its own frame] and
    triangles ``(F, 3)`` (vertex indices)."""
    V = np.array(shape.vertices(), dtype=float).reshape(-1, 3)
    F = np.empty((shape.num_tris, 3), dtype=np.int64)
    for i in range(shape.num_tris):
        t = shape.tri_indices(i)
        F[i] = t[0], t[1], t[2]
    return V, F


def _ring(radius: float, z: float, h: float) -> np.ndarray:
    n = max(1, math.ceil(2 * math.pi * radius / h)) if radius > 0 else 1
    t = np.linspace(0.0, 2 * math.pi, n, endpoint=False)
    return np.stack([radius * np.cos(t), radius * np.sin(t), np.full(n, z)], axis=1)


def _disc(radius: float, z: float, h: float) -> np.ndarray:
    return np.concatenate([_ring(rho, z, h) for rho in np.linspace(0.0, radius, math.ceil(radius / h) + 1)])


def _grid(a: float, b: float, h: float) -> tuple[np.ndarray, np.ndarray]:
    u = np.linspace(-a, a, math.ceil(2 * a / h) + 1)
    v = np.linspace(-b, b, math.ceil(2 * b / h) + 1)
    U, V = np.meshgrid(u, v, indexing="ij")
    return U.ravel(), V.ravel()


def surface_points(shape: coal.CollisionGeometry, resolution: float = DEFAULT_RESOLUTION) -> np.ndarray:
    """``(N, 3)`` points on the surface of a coal shape (its own frame), every surface point
    within ``resolution`` [m] of one of them. Boxes, spheres, cylinders, capsules and triangle meshes."""
    number = isinstance(resolution, (int, float, np.integer, np.floating)) and not isinstance(resolution, bool)
    h = float(resolution) if number else math.nan
    if not (math.isfinite(h) and h > 0):  # (kinejac._checks.positive's test; this module stays below it)
        raise InvalidValueError(f"resolution must be a number > 0, got {resolution!r}")
    if isinstance(shape, coal.Box):
        a, b, c = (float(x) for x in shape.halfSide)
        faces = []
        for (u, v), axis, half in (((b, c), 0, a), ((a, c), 1, b), ((a, b), 2, c)):
            U, V = _grid(u, v, h)
            for sign in (-1.0, 1.0):
                P = np.empty((U.size, 3))
                P[:, axis] = sign * half
                P[:, [i for i in range(3) if i != axis]] = np.stack([U, V], axis=1)
                faces.append(P)
        return np.concatenate(faces)
    if isinstance(shape, coal.Sphere):
        r = float(shape.radius)
        phis = np.linspace(0.0, math.pi, math.ceil(math.pi * r / h) + 1)
        return np.concatenate([_ring(r * math.sin(p), r * math.cos(p), h) for p in phis])
    if isinstance(shape, (coal.Cylinder, coal.Capsule)):
        r, hl = float(shape.radius), float(shape.halfLength)
        side = [_ring(r, z, h) for z in np.linspace(-hl, hl, math.ceil(2 * hl / h) + 1)]
        if isinstance(shape, coal.Cylinder):
            return np.concatenate([*side, _disc(r, -hl, h), _disc(r, hl, h)])
        caps = []
        for p in np.linspace(0.0, math.pi / 2, math.ceil(math.pi / 2 * r / h) + 1):
            caps += [_ring(r * math.sin(p), hl + r * math.cos(p), h), _ring(r * math.sin(p), -hl - r * math.cos(p), h)]
        return np.concatenate([*side, *caps])
    if isinstance(shape, coal.BVHModelBase):
        V, F = mesh_arrays(shape)
        A, B, C = V[F[:, 0]], V[F[:, 1]], V[F[:, 2]]
        edge = np.max(
            np.stack([np.linalg.norm(B - A, axis=1), np.linalg.norm(C - B, axis=1), np.linalg.norm(A - C, axis=1)]),
            axis=0,
        )
        n_sub = np.maximum(1, np.ceil(edge / h)).astype(int)  # sub-triangles have edges <= h
        out = [V]
        for n in np.unique(n_sub):
            sel = n_sub == n
            i, j = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
            keep = (i + j) <= n
            s, t = (i[keep] / n)[None, :, None], (j[keep] / n)[None, :, None]
            a, b, c = A[sel][:, None], B[sel][:, None], C[sel][:, None]
            out.append((a + s * (b - a) + t * (c - a)).reshape(-1, 3))
        return np.concatenate(out)
    raise KinejacError(
        f"cannot sample the surface of a {type(shape).__name__}; "
        "supported: Box, Sphere, Cylinder, Capsule, triangle meshes"
    )


def fit_spheres(
    points: np.ndarray, pad: float, max_spheres: int = DEFAULT_MAX_SPHERES
) -> tuple[np.ndarray, np.ndarray]:
    """Centres ``(k, 3)`` and radii ``(k,)`` of spheres containing every point, each radius grown by
    ``pad`` [m] (see the module doc for the method)."""
    P = np.asarray(points, dtype=float)
    mean = P.mean(axis=0)
    X = P - mean
    _, _, Vt = np.linalg.svd(X, full_matrices=False)
    axis = Vt[0]
    t = X @ axis
    L = float(t.max() - t.min())
    w = float(np.linalg.norm(X - np.outer(t, axis), axis=1).max())
    k = int(np.clip(math.ceil(L / max(w, 1e-9)), 1, max_spheres))
    centres = mean + np.outer(t.min() + (np.arange(k) + 0.5) * L / k, axis)
    for _ in range(10):  # Lloyd iterations
        label = np.argmin(((P[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
        for i in range(k):
            mine = P[label == i]
            if len(mine):
                centres[i] = mine.mean(axis=0)
    dist = np.sqrt(((P[:, None, :] - centres[None]) ** 2).sum(-1))
    label = np.argmin(dist, axis=1)
    used = np.unique(label)
    radii = np.array([dist[label == i, i].max() for i in used]) + pad
    return centres[used].copy(), radii


def shape_spheres(shape, resolution: float, max_spheres: int) -> tuple[np.ndarray, np.ndarray]:
    """Covering spheres of a coal shape in its own frame: centres ``(k, 3)``, radii ``(k,)`` [m] (a
    sphere primitive is its own sphere; other shapes: :func:`fit_spheres` on :func:`surface_points`)."""
    if isinstance(shape, coal.Sphere):
        return np.zeros((1, 3)), np.array([float(shape.radius)])
    return fit_spheres(surface_points(shape, resolution), resolution, max_spheres)
