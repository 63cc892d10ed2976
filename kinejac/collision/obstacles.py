"""Obstacles in the world: boxes, spheres, capsules, cylinders, point clouds and meshes.

Each obstacle is a frozen record validated on construction; ``pose`` is ``T_world_obstacle``
(a 4x4 array or ``pinocchio.SE3``), centred on the shape. Capsules and cylinders run along the
z axis of their pose; ``length`` is the length of the cylindrical part [m] (a capsule adds a
hemisphere of ``radius`` at each end). A scene is a list of obstacles; :func:`load_scene` reads
one from JSON (format in the README's "Collisions" section)::

    {"obstacles": [
        {"type": "box", "name": "table", "size": [1.0, 1.2, 0.04], "xyz": [0.5, 0, -0.02]},
        {"type": "sphere", "radius": 0.05, "center": [0.4, 0.2, 0.5]},
        {"type": "capsule", "radius": 0.03, "length": 0.3, "xyz": [0.3, 0, 0.4], "rpy": [1.57, 0, 0]},
        {"type": "cylinder", "radius": 0.03, "length": 0.3, "pose": [[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]},
        {"type": "point_cloud", "points": [[0.5, 0.0, 0.3], [0.5, 0.1, 0.3]], "radius": 0.01},
        {"type": "mesh", "path": "part.stl", "scale": 0.001, "xyz": [0.6, 0, 0]}
    ]}
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import coal
import numpy as np
import pinocchio as pin

from .._checks import as_real_array
from ..errors import InvalidChoiceError, InvalidValueError, KinejacError, ShapeError
from ..spatial import as_transform

__all__ = [
    "Box",
    "Capsule",
    "Cylinder",
    "Mesh",
    "Obstacle",
    "PointCloud",
    "SceneError",
    "Sphere",
    "as_scene",
    "coal_geometry",
    "load_scene",
    "obstacle_names",
]


class SceneError(KinejacError, ValueError):
    """A scene file or obstacle description cannot be used; the message names the obstacle."""


def _length(what: str, value, *, zero: bool = False) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    if ok:
        ok = math.isfinite(value) and (value >= 0 if zero else value > 0)
    if not ok:
        raise InvalidValueError(f"{what} must be a finite length {'>= 0' if zero else '> 0'} [m], got {value!r}")
    return float(value)


def _vector(what: str, value, n: int = 3) -> np.ndarray:
    v = as_real_array(value, what).astype(float, copy=True)
    if v.shape != (n,):
        raise ShapeError(f"expected {what} of shape ({n},), got {v.shape}")
    if not np.isfinite(v).all():
        raise InvalidValueError(f"{what} contains NaN or inf: {v.tolist()}")
    v.flags.writeable = False
    return v


def _pose(what: str, pose) -> np.ndarray:
    T = np.eye(4) if pose is None else as_transform(pose, what)
    T.flags.writeable = False
    return T


class Obstacle:
    """Base class of the obstacle records (``name`` is optional: scenes name unnamed ones)."""

    kind: str = "obstacle"
    name: str | None

    def label(self, index: int) -> str:
        """The obstacle's name, or ``"<kind>_<index>"`` when it has none."""
        return self.name if self.name else f"{self.kind}_{index}"


@dataclass(frozen=True, eq=False)
class Box(Obstacle):
    """A box of edge lengths ``size`` ``(3,)`` [m] centred at ``pose`` (``T_world_box``)."""

    size: np.ndarray
    pose: np.ndarray = field(default=None)  # type: ignore[arg-type]  # stored as an array by __post_init__
    name: str | None = None
    kind = "box"

    def __post_init__(self) -> None:
        size = _vector(f"{self._what()} size", self.size)
        for i, s in enumerate(size):
            _length(f"{self._what()} size[{i}]", float(s))
        object.__setattr__(self, "size", size)
        object.__setattr__(self, "pose", _pose(f"{self._what()} pose", self.pose))

    def _what(self) -> str:
        return f"box {self.name!r}" if self.name else "box"


@dataclass(frozen=True, eq=False)
class Sphere(Obstacle):
    """A sphere of ``radius`` [m] at ``center`` ``(3,)`` [m] in world coordinates."""

    radius: float
    center: np.ndarray = field(default=(0.0, 0.0, 0.0))  # type: ignore[arg-type]  # stored as an array by __post_init__
    name: str | None = None
    kind = "sphere"

    def __post_init__(self) -> None:
        what = f"sphere {self.name!r}" if self.name else "sphere"
        object.__setattr__(self, "radius", _length(f"{what} radius", self.radius))
        object.__setattr__(self, "center", _vector(f"{what} center", self.center))

    @property
    def pose(self) -> np.ndarray:
        """``T_world_sphere``: identity rotation at the centre."""
        T = np.eye(4)
        T[:3, 3] = self.center
        return T


@dataclass(frozen=True, eq=False)
class Capsule(Obstacle):
    """A capsule: the points within ``radius`` [m] of a segment of ``length`` [m] along the z axis
    of ``pose``, centred on its origin."""

    radius: float
    length: float
    pose: np.ndarray = field(default=None)  # type: ignore[arg-type]  # stored as an array by __post_init__
    name: str | None = None
    kind = "capsule"

    def __post_init__(self) -> None:
        what = f"capsule {self.name!r}" if self.name else "capsule"
        object.__setattr__(self, "radius", _length(f"{what} radius", self.radius))
        object.__setattr__(self, "length", _length(f"{what} length", self.length, zero=True))
        object.__setattr__(self, "pose", _pose(f"{what} pose", self.pose))


@dataclass(frozen=True, eq=False)
class Cylinder(Obstacle):
    """A solid cylinder of ``radius`` and ``length`` [m] along the z axis of ``pose``, centred on its origin."""

    radius: float
    length: float
    pose: np.ndarray = field(default=None)  # type: ignore[arg-type]  # stored as an array by __post_init__
    name: str | None = None
    kind = "cylinder"

    def __post_init__(self) -> None:
        what = f"cylinder {self.name!r}" if self.name else "cylinder"
        object.__setattr__(self, "radius", _length(f"{what} radius", self.radius))
        object.__setattr__(self, "length", _length(f"{what} length", self.length))
        object.__setattr__(self, "pose", _pose(f"{what} pose", self.pose))


@dataclass(frozen=True, eq=False)
class PointCloud(Obstacle):
    """Points ``(N, 3)`` [m] in world coordinates, each a sphere of ``radius`` [m] (0: bare points)."""

    points: np.ndarray
    radius: float = 0.0
    name: str | None = None
    kind = "point_cloud"

    def __post_init__(self) -> None:
        what = f"point cloud {self.name!r}" if self.name else "point cloud"
        P = as_real_array(self.points, f"{what} points").astype(float, copy=True)
        if P.ndim != 2 or P.shape[1] != 3:
            raise ShapeError(f"expected {what} points of shape (N, 3), got {P.shape}")
        if not np.isfinite(P).all():
            raise InvalidValueError(f"{what} points contain NaN or inf")
        P.flags.writeable = False
        object.__setattr__(self, "points", P)
        object.__setattr__(self, "radius", _length(f"{what} radius", self.radius, zero=True))


@dataclass(frozen=True, eq=False)
class Mesh(Obstacle):
    """A triangle mesh file (STL, OBJ, DAE, ... read by coal's assimp loader) placed at ``pose``,
    its vertices multiplied by ``scale`` (a number or ``(3,)``)."""

    path: Path
    pose: np.ndarray = field(default=None)  # type: ignore[arg-type]  # stored as an array by __post_init__
    scale: np.ndarray = field(default=1.0)  # type: ignore[arg-type]  # stored as an array by __post_init__
    name: str | None = None
    kind = "mesh"

    def __post_init__(self) -> None:
        path = Path(self.path).expanduser()
        what = f"mesh {self.name!r} ({str(path)!r})" if self.name else f"mesh {str(path)!r}"
        if not path.is_file():
            why = "is a directory" if path.is_dir() else "does not exist"
            raise SceneError(f"{what}: the file {why}")
        raw = as_real_array(self.scale, f"{what} scale")
        scale = _vector(f"{what} scale", np.full(3, float(raw)) if raw.ndim == 0 else raw)
        for i, s in enumerate(scale):
            _length(f"{what} scale[{i}]", float(s))
        object.__setattr__(self, "path", path.resolve())
        object.__setattr__(self, "scale", scale)
        object.__setattr__(self, "pose", _pose(f"{what} pose", self.pose))


_KINDS = {
    "box": Box,
    "sphere": Sphere,
    "capsule": Capsule,
    "cylinder": Cylinder,
    "point_cloud": PointCloud,
    "mesh": Mesh,
}


def as_scene(obstacles) -> tuple[Obstacle, ...]:
    """A scene as a tuple of obstacles: accepts one obstacle, a sequence, or a JSON file path."""
    if obstacles is None:
        return ()
    if isinstance(obstacles, (str, Path)):
        return load_scene(obstacles)
    if isinstance(obstacles, Obstacle):
        return (obstacles,)
    out = tuple(obstacles)
    for i, o in enumerate(out):
        if not isinstance(o, Obstacle):
            raise SceneError(
                f"obstacle {i} is a {type(o).__name__}, not an obstacle "
                "(Box, Sphere, Capsule, Cylinder, PointCloud, Mesh)"
            )
    return out


def obstacle_names(scene: Sequence[Obstacle]) -> list[str]:
    """Unique names: the given name, or ``<kind>_<index>``; a repeated name raises :class:`SceneError`."""
    names = [o.label(i) for i, o in enumerate(scene)]
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise SceneError(f"two obstacles are named {n!r}; obstacle names must be unique")
        seen.add(n)
    return names


def _entry_pose(entry: dict, where: str):
    if "pose" in entry:
        if "xyz" in entry or "rpy" in entry:
            raise SceneError(f"{where}: give either 'pose' or 'xyz'/'rpy', not both")
        return entry["pose"]
    xyz = _vector(f"{where} xyz", entry.get("xyz", (0.0, 0.0, 0.0)))
    rpy = _vector(f"{where} rpy", entry.get("rpy", (0.0, 0.0, 0.0)))
    T = np.eye(4)
    T[:3, :3] = pin.rpy.rpyToMatrix(*rpy)  # URDF convention: R = Rz(yaw) Ry(pitch) Rx(roll)
    T[:3, 3] = xyz
    return T


_KEYS = {
    "box": ("size",),
    "sphere": ("radius", "center"),
    "capsule": ("radius", "length"),
    "cylinder": ("radius", "length"),
    "point_cloud": ("points", "radius"),
    "mesh": ("path", "scale"),
}


def _from_entry(entry, index: int, base: Path) -> Obstacle:
    where = f"obstacle {index}"
    if not isinstance(entry, dict):
        raise SceneError(f"{where}: expected a JSON object, got {type(entry).__name__}")
    kind = entry.get("type")
    if kind not in _KINDS:
        raise InvalidChoiceError(f"obstacle type ({where})", kind, tuple(_KINDS))
    name = entry.get("name")
    where = f"obstacle {index} ({kind}{' ' + repr(name) if name else ''})"
    posed = kind not in ("sphere", "point_cloud")
    allowed = {"type", "name", *_KEYS[kind], *(("pose", "xyz", "rpy") if posed else ())}
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise SceneError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    kwargs = {k: entry[k] for k in _KEYS[kind] if k in entry}
    if kind == "mesh":
        if "path" not in kwargs:
            raise SceneError(f"{where}: a mesh needs 'path'")
        p = Path(kwargs["path"]).expanduser()
        kwargs["path"] = p if p.is_absolute() else base / p
    if posed:
        kwargs["pose"] = _entry_pose(entry, where)
    try:
        return _KINDS[kind](**kwargs, name=name)
    except TypeError as exc:
        raise SceneError(f"{where}: {exc}") from None


def load_scene(path: str | Path) -> tuple[Obstacle, ...]:
    """Read a scene from a JSON file: ``{"obstacles": [...]}`` or a bare list (see the module doc).
    Mesh paths are relative to the file's folder."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
    except OSError as exc:
        raise SceneError(f"cannot read scene file {str(path)!r}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise SceneError(f"{path}: not valid JSON: {exc}") from None
    entries = doc.get("obstacles") if isinstance(doc, dict) else doc
    if not isinstance(entries, list):
        raise SceneError(f'{path}: expected a list of obstacles or {{"obstacles": [...]}}')
    scene = tuple(_from_entry(e, i, path.parent) for i, e in enumerate(entries))
    obstacle_names(scene)
    return scene


def coal_geometry(obstacle: Obstacle) -> list[tuple[coal.CollisionGeometry, pin.SE3]]:
    """The coal shapes of an obstacle with their world placements (a point cloud gives one sphere per point)."""
    if isinstance(obstacle, Box):
        return [(coal.Box(*obstacle.size), pin.SE3(obstacle.pose))]
    if isinstance(obstacle, Sphere):
        return [(coal.Sphere(obstacle.radius), pin.SE3(np.eye(3), obstacle.center.copy()))]
    if isinstance(obstacle, Capsule):
        return [(coal.Capsule(obstacle.radius, obstacle.length), pin.SE3(obstacle.pose))]
    if isinstance(obstacle, Cylinder):
        return [(coal.Cylinder(obstacle.radius, obstacle.length), pin.SE3(obstacle.pose))]
    if isinstance(obstacle, PointCloud):
        return [(coal.Sphere(obstacle.radius), pin.SE3(np.eye(3), p.copy())) for p in obstacle.points]
    if isinstance(obstacle, Mesh):
        mesh = coal.MeshLoader().load(str(obstacle.path), np.asarray(obstacle.scale, dtype=float).copy())
        return [(mesh, pin.SE3(obstacle.pose))]
    raise TypeError(f"not an obstacle: {type(obstacle).__name__}")
