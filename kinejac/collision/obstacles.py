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

from .._checks import as_real_array, check_memory
from ..errors import InvalidChoiceError, InvalidValueError, KinejacError, ShapeError
from ..spatial import MAX_COORDINATE, as_transform, check_points

__all__ = [
    "MAX_SCENE_BYTES",
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
        ok = math.isfinite(value) and (value >= 0 if zero else value > 0) and value <= MAX_COORDINATE
    if not ok:
        raise InvalidValueError(
            f"{what} must be a finite length {'>= 0' if zero else '> 0'} [m] (at most {MAX_COORDINATE:.0e}), "
            f"got {value!r}"
        )
    return float(value)


def _vector(what: str, value, n: int = 3) -> np.ndarray:
    v = check_points(value, what, (n,)).astype(float, copy=True)
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
        P = check_points(self.points, f"{what} points", (-1, 3)).astype(float, copy=True)
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
        if not isinstance(self.path, (str, Path)):
            raise SceneError(f"mesh path must be a file name (str or pathlib.Path), got {type(self.path).__name__}")
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
        _load_mesh(self.path, scale, what)  # read and checked now, not first inside a collision check


def _load_mesh(path: Path, scale: np.ndarray, what: str) -> coal.BVHModelBase:
    """The mesh file as a coal model; :class:`SceneError` naming ``what`` when it cannot be read or
    holds no usable triangle (coal's own message names a C++ source file)."""
    check_memory(path.stat().st_size * 8.0, f"{what} ({path.stat().st_size} bytes)", "use a smaller mesh file")
    try:
        mesh = coal.MeshLoader().load(str(path), np.asarray(scale, dtype=float).copy())
    except (ValueError, RuntimeError) as exc:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        # coal's text: "From file: <C++ file> ... message: Could not load resource <path>", the reason, a hint
        start = next((i for i, line in enumerate(lines) if line.startswith("message:")), len(lines) - 1)
        why = "; ".join(line for line in lines[start + 1 :] if not line.startswith("Hint:")) or lines[-1]
        raise SceneError(f"{what}: not a mesh file coal can read ({why})") from None
    if mesh.num_tris == 0:
        raise SceneError(f"{what}: the file holds no triangles")
    vertices = np.asarray(mesh.vertices())
    if not np.isfinite(vertices).all() or np.abs(vertices).max(initial=0.0) > MAX_COORDINATE:
        raise SceneError(f"{what}: the file has NaN, inf or huge vertex coordinates")
    return mesh


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
    try:
        out = tuple(obstacles)
    except TypeError:
        raise SceneError(
            f"obstacles must be obstacles (a sequence, one, or a JSON scene file), got {type(obstacles).__name__}"
        ) from None
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
    xyz = _vector(f"{where} xyz".strip(), entry.get("xyz", (0.0, 0.0, 0.0)))
    rpy = _vector(f"{where} rpy".strip(), entry.get("rpy", (0.0, 0.0, 0.0)))
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


def _from_entry(entry, index: int, path: Path) -> Obstacle:
    where = f"{path}: obstacle {index}"
    if not isinstance(entry, dict):
        raise SceneError(f"{where}: expected a JSON object, got {type(entry).__name__}")
    kind = entry.get("type")
    if not isinstance(kind, str) or kind not in _KINDS:
        raise InvalidChoiceError(f"obstacle type ({where})", kind, tuple(_KINDS))
    name = entry.get("name")
    if name is not None and not isinstance(name, str):
        raise SceneError(f"{where} ({kind}): 'name' must be a string, got {name!r}")
    where = f"{path}: obstacle {index} ({kind}{' ' + repr(name) if name else ''})"
    posed = kind not in ("sphere", "point_cloud")
    allowed = {"type", "name", *_KEYS[kind], *(("pose", "xyz", "rpy") if posed else ())}
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise SceneError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    kwargs = {k: entry[k] for k in _KEYS[kind] if k in entry}
    try:
        if kind == "mesh":
            if not isinstance(kwargs.get("path"), str):
                raise SceneError(f"a mesh needs 'path', the mesh file's name, got {kwargs.get('path')!r}")
            p = Path(kwargs["path"]).expanduser()
            kwargs["path"] = p if p.is_absolute() else path.parent / p
        if posed:
            kwargs["pose"] = _entry_pose(entry, "")
        return _KINDS[kind](**kwargs, name=name)
    except (TypeError, InvalidValueError, ShapeError, SceneError) as exc:  # TypeError: a missing key
        raise SceneError(f"{where}: {str(exc).lstrip(': ')}") from None


#: scene files larger than this are refused before they are read (JSON point clouds included)
MAX_SCENE_BYTES = 256 * 2**20


def load_scene(path: str | Path) -> tuple[Obstacle, ...]:
    """Read a scene from a JSON file: ``{"obstacles": [...]}`` or a bare list (see the module doc).
    Mesh paths are relative to the file's folder. Every error is a :class:`SceneError` (or an
    :class:`~kinejac.errors.InvalidChoiceError` for an unknown type) naming the file and the obstacle."""
    if not isinstance(path, (str, Path)):
        raise SceneError(f"a scene file name must be a str or pathlib.Path, got {type(path).__name__}")
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_SCENE_BYTES:
            raise SceneError(f"{path}: {size} bytes, more than the {MAX_SCENE_BYTES} a scene file may have")
        check_memory(size * 10.0, f"reading scene file {str(path)!r}", "use a smaller scene file")
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SceneError(f"cannot read scene file {str(path)!r}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise SceneError(f"{path}: not UTF-8 text (byte {exc.start}), so not a JSON scene") from None
    except RecursionError:
        raise SceneError(f"{path}: JSON nested too deeply to be a scene") from None
    except json.JSONDecodeError as exc:
        raise SceneError(f"{path}: not valid JSON: {exc}") from None
    entries = doc.get("obstacles") if isinstance(doc, dict) else doc
    if not isinstance(entries, list):
        raise SceneError(f'{path}: expected a list of obstacles or {{"obstacles": [...]}}')
    scene = tuple(_from_entry(e, i, path) for i, e in enumerate(entries))
    try:
        obstacle_names(scene)
    except SceneError as exc:
        raise SceneError(f"{path}: {exc}") from None
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
        mesh = _load_mesh(obstacle.path, obstacle.scale, f"mesh {str(obstacle.path)!r}")
        return [(mesh, pin.SE3(obstacle.pose))]
    raise TypeError(f"not an obstacle: {type(obstacle).__name__}")
