"""Reading a reachability map's file safely: the archive, then every array and metadata field.

:meth:`ReachabilityMap.save` writes a compressed ``.npz`` (no pickles) holding a JSON ``meta`` string
and the map's arrays. :func:`read_map_file` reads one back and checks everything before the map is
built, so a truncated, corrupted, empty, foreign or hand-edited file raises :class:`MapFileError`
naming the file and the field, never numpy's, zlib's or zipfile's own exception, and never loads a
map that would answer wrongly (a negative ``resolution``, centres off the lattice, rotations that
are not rotations, ...). The uncompressed size is checked against :func:`kinejac.memory_limit`
before anything is decompressed.
"""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .._checks import check_memory
from ..errors import KinejacError
from ..spatial import check_rotations
from .grid import voxel_centres

__all__ = ["ARRAYS", "FORMAT", "KIND", "MapFileError", "MapFileNotFound", "read_map_file"]

#: version of the file format written by :meth:`ReachabilityMap.save`
FORMAT = 1
#: the ``kind`` every map file's metadata carries
KIND = "kinejac reachability map"
#: the arrays of a map file besides ``meta`` (and ``orientations`` for an orientation map)
ARRAYS = ("centres", "reached", "manipulability", "configurations", "computed", "bounds", "lattice_origin",
          "shape", "reach_centre")  # fmt: skip
_ROOT_JOINTS = (None, "floating", "planar")


class MapFileError(KinejacError, ValueError):
    """A file is not a usable kinejac reachability map; the message names the file and what is wrong."""


class MapFileNotFound(MapFileError, FileNotFoundError):
    """A reachability map file does not exist (or is a folder)."""


def read_map_file(path) -> tuple[dict, dict[str, np.ndarray], np.ndarray | None]:
    """``(meta, arrays, orientations)`` of a map file, every field checked (see the module docstring).

    ``meta`` holds the JSON fields with their types fixed (``resolution`` a float > 0, ...);
    ``arrays`` the :data:`ARRAYS`; ``orientations`` ``(M, 3, 3)`` rotations or ``None``.
    """
    if not isinstance(path, (str, Path)):
        raise MapFileError(f"a map file name must be a str or pathlib.Path, got {type(path).__name__}")
    path = Path(path)
    if not path.is_file():
        why = "is a directory" if path.is_dir() else "does not exist"
        raise MapFileNotFound(f"reachability map file {str(path)!r} {why}")
    meta, arrays, orientations = _read_archive(path)
    meta = _check_meta(meta, path)
    _check_arrays(arrays, orientations, meta, path)
    return meta, arrays, orientations


def _read_archive(path: Path) -> tuple[Any, dict[str, np.ndarray], np.ndarray | None]:
    """The raw ``meta`` (parsed JSON) and arrays; :class:`MapFileError` for anything unreadable."""
    where = f"{path} is not a kinejac reachability map"
    try:
        with zipfile.ZipFile(path) as archive:
            members = {info.filename: info.file_size for info in archive.infolist()}
        names = {name.removesuffix(".npy") for name in members}
        missing = [n for n in ("meta", *ARRAYS) if n not in names]
        if missing:
            found = ", ".join(sorted(names)) or "nothing"
            raise MapFileError(f"{where}: it has no {', '.join(missing)} (found: {found})")
        check_memory(float(sum(members.values())), f"reading {path}", "read a smaller map file")
        with np.load(path, allow_pickle=False) as f:
            meta = json.loads(str(f["meta"][()]))
            arrays = {k: np.array(f[k]) for k in ARRAYS}
            orientations = np.array(f["orientations"]) if "orientations" in f.files else None
    except MapFileError:
        raise
    except KinejacError as exc:  # the memory limit
        raise type(exc)(f"{path}: {exc}") from None
    except Exception as exc:
        # a foreign or damaged file can fail any parser it meets, each its own way: zipfile
        # (BadZipFile, NotImplementedError for unknown versions), zlib.error, numpy's header reader
        # (ValueError, tokenize's TokenError, SyntaxError), pickled arrays, json, an array header
        # claiming more than the file holds (MemoryError); all of them mean "not a map"
        raise MapFileError(f"{where}: {type(exc).__name__}: {exc}") from None
    return meta, arrays, orientations


def _field(meta: dict, key: str, kinds: tuple[type, ...], path: Path, test=None, expected: str = ""):
    """``meta[key]``, of one of ``kinds`` (``bool`` never counts as a number) and passing ``test``."""
    if key not in meta:
        raise MapFileError(f"{path}: the map's metadata has no {key!r}")
    value = meta[key]
    ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
    if ok and test is not None:
        ok = bool(test(value))
    if not ok:
        raise MapFileError(f"{path}: metadata field {key!r} must be {expected or kinds[0].__name__}, got {value!r}")
    return value


def _check_meta(meta: Any, path: Path) -> dict:
    """Every metadata field of a map file, with its type and range."""
    if not isinstance(meta, dict) or meta.get("kind") != KIND:
        raise MapFileError(f"{path} is not a kinejac reachability map (its metadata has no kind {KIND!r})")
    if meta.get("format") != FORMAT or isinstance(meta.get("format"), bool):
        raise MapFileError(f"{path}: unsupported reachability map format {meta.get('format')!r} (expected {FORMAT})")
    num = (int, float)
    positive = lambda x: math.isfinite(x) and x > 0  # noqa: E731
    out = {
        "robot": _field(meta, "robot", (str,), path),
        "frame": _field(meta, "frame", (str,), path),
        "resolution": float(_field(meta, "resolution", num, path, positive, "a number > 0")),
        "reach_radius": float(_field(meta, "reach_radius", num, path, lambda x: x >= 0, "a number >= 0 (or inf)")),
        "measure": _field(meta, "measure", (str,), path),
        "part": _field(meta, "part", (str, list), path),
        "length_scale": float(_field(meta, "length_scale", num, path, positive, "a number > 0")),
        "seed": _field(meta, "seed", (int,), path, lambda x: x >= 0, "an integer >= 0"),
        "chunk": _field(meta, "chunk", (int,), path, lambda x: x >= 1, "an integer >= 1"),
        "ik_options": _field(meta, "ik_options", (dict,), path),
        "complete": _field(meta, "complete", (bool,), path),
        "source": _check_source(meta.get("source", "missing"), path),
    }
    # measure and part only describe how the map was made (nothing is computed from them): their types
    if isinstance(out["part"], list) and not all(isinstance(r, (str, int)) for r in out["part"]):
        raise MapFileError(f"{path}: metadata field 'part' must be a part name or a list of rows, got {out['part']!r}")
    return out


def _check_source(source: Any, path: Path) -> dict | None:
    """The stored robot source: ``None``, or the URDF text and load options."""
    if source is None:
        return None
    bad = MapFileError(f"{path}: metadata field 'source' must be null or a robot source (name, urdf, ...)")
    if not isinstance(source, dict) or not all(isinstance(source.get(k), str) for k in ("name", "urdf")):
        raise bad
    if source.get("root_joint") not in _ROOT_JOINTS or not isinstance(source.get("locked_joints"), list):
        raise bad
    for item in source["locked_joints"]:
        ok = isinstance(item, list) and len(item) == 2 and isinstance(item[0], str) and isinstance(item[1], list)
        if not ok or not all(isinstance(x, (int, float)) and math.isfinite(x) for x in item[1]):
            raise MapFileError(f"{path}: a locked joint of the stored source is malformed: {item!r}")
    return source


def _array(arrays: dict, key: str, shape: tuple, kinds: str, path: Path, finite: bool = True) -> np.ndarray:
    """``arrays[key]`` of ``shape`` (-1: any) and dtype kind in ``kinds``, finite when asked."""
    a = arrays[key]
    ok = a.ndim == len(shape) and all(s in (-1, n) for s, n in zip(shape, a.shape)) and a.dtype.kind in kinds
    if ok and finite and a.dtype.kind == "f":
        ok = bool(np.isfinite(a).all())
    if not ok:
        want = str(shape).replace("-1", "N")
        raise MapFileError(f"{path}: array {key!r} must be {want} {'finite ' if finite else ''}numbers, got "
                           f"{a.shape} of {a.dtype}")  # fmt: skip
    return a


def _check_arrays(arrays: dict, orientations: np.ndarray | None, meta: dict, path: Path) -> None:
    """Shapes, dtypes and values of the arrays, and the lattice they must describe."""
    shape = _array(arrays, "shape", (3,), "iu", path)
    origin = _array(arrays, "lattice_origin", (3,), "iu", path)
    if (shape < 1).any():
        raise MapFileError(f"{path}: array 'shape' must hold voxel counts >= 1, got {shape.tolist()}")
    n = int(np.prod(shape.astype(float)))
    M = 1 if orientations is None else len(orientations)
    _array(arrays, "centres", (n, 3), "f", path)
    for key in ("reached", "computed"):
        a = _array(arrays, key, (n, M) if key == "reached" else (n,), "bu", path)
        if a.dtype.kind == "u" and a.max(initial=0) > 1:
            raise MapFileError(f"{path}: array {key!r} must hold booleans")
    manip = _array(arrays, "manipulability", (n,), "f", path, finite=False)
    if (manip < 0).any() or np.isinf(manip).any():
        raise MapFileError(f"{path}: array 'manipulability' must hold finite values >= 0 (or NaN)")
    configs = _array(arrays, "configurations", (n, -1), "f", path, finite=False)
    if np.isinf(configs).any():
        raise MapFileError(f"{path}: array 'configurations' must hold finite values (or NaN)")
    bounds = _array(arrays, "bounds", (2, 3), "f", path)
    if (bounds[1] < bounds[0]).any():
        raise MapFileError(f"{path}: array 'bounds' has upper < lower: {bounds.tolist()}")
    _array(arrays, "reach_centre", (3,), "f", path)
    expected = voxel_centres(origin.astype(np.int64), shape.astype(np.int64), meta["resolution"])
    if np.abs(expected - arrays["centres"]).max(initial=0.0) > 1e-9 * max(1.0, float(np.abs(expected).max(initial=0))):
        raise MapFileError(
            f"{path}: the voxel centres do not match the lattice of resolution {meta['resolution']:g} m, origin "
            f"{origin.tolist()} and shape {shape.tolist()} (a corrupted resolution or lattice)"
        )
    if orientations is not None:
        if orientations.ndim != 3 or orientations.shape[1:] != (3, 3) or not len(orientations):
            raise MapFileError(f"{path}: array 'orientations' must be (M, 3, 3) rotations, got {orientations.shape}")
        try:
            check_rotations(orientations, "orientations")
        except KinejacError as exc:
            raise MapFileError(f"{path}: {exc}") from None
