"""Generated disabled collision pairs, kept between runs of the command line.

Without ``--srdf``, the first self-collision check of a robot generates its disabled pairs by
sampling (:func:`kinejac.collision.generate_disabled_pairs`, 10,000 configurations: seconds). The
command line says so, and keeps the result as an SRDF file in the cache folder, named by a digest
of everything the pairs depend on: the URDF text and load options (``robot.source``), the
collision mesh files (path, size and time of change), the sampling settings and the pinocchio
and kinejac versions. A later run on the same robot reads it back in milliseconds.

The folder is ``$KINEJAC_CACHE_DIR``, else ``$XDG_CACHE_HOME/kinejac``, else ``~/.cache/kinejac``
(``KINEJAC_CACHE_DIR=`` set to nothing turns the cache off). A cache that cannot be written or
read back is reported with a warning, and the pairs are generated as without it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pinocchio as pin

from .._version import __version__
from ..collision.pairs import DEFAULT_SAMPLES, generate_disabled_pairs, read_srdf, write_srdf
from ..errors import KinejacError
from .inputs import note, warn

if TYPE_CHECKING:
    import argparse

    from ..robot import Robot

__all__ = ["cache_folder", "cache_key", "prepare_disabled_pairs"]

_SEED = 0  # generate_disabled_pairs' default, the one kinejac.Robot.disabled_pairs uses


def cache_folder() -> Path | None:
    """Where generated pairs are kept (``None``: caching is turned off)."""
    explicit = os.environ.get("KINEJAC_CACHE_DIR")
    if explicit is not None:
        return Path(explicit).expanduser() if explicit else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kinejac"


def cache_key(robot: Robot) -> str | None:
    """The digest naming a robot's cached pairs (``None``: the robot has no URDF source to name it)."""
    if robot.source is None:
        return None
    meshes = []
    for g in robot.collision_model.geometryObjects:
        path = Path(g.meshPath) if g.meshPath else None
        stat = path.stat() if path is not None and path.is_file() else None
        meshes.append([g.name, str(path), stat.st_size if stat else None, stat.st_mtime_ns if stat else None])
    what = {"source": robot.source.key, "meshes": meshes, "samples": DEFAULT_SAMPLES, "seed": _SEED}
    blob = json.dumps({**what, "pinocchio": pin.__version__, "kinejac": __version__}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def prepare_disabled_pairs(robot: Robot, args: argparse.Namespace) -> None:
    """Give ``robot`` its disabled pairs before a self-collision check: from ``--srdf`` (already read
    by the loader), from the cache, or generated (saying so) and then cached."""
    if args.srdf is not None or not robot.has_collision_geometry:
        return
    folder, key = cache_folder(), cache_key(robot)
    path = None if folder is None or key is None else folder / "disabled_pairs" / f"{robot.name}-{key}.srdf"
    if path is not None and path.is_file():
        try:
            robot.set_disabled_pairs(read_srdf(robot, path))
            return
        except KinejacError as exc:
            warn(f"ignoring the cached disabled pairs {str(path)!r} ({exc}); generating them again")
    where = f"; kept in {path.parent} for the next runs" if path is not None else ""
    note(
        f"generating the disabled collision pairs of {robot.name!r} from {DEFAULT_SAMPLES} sampled configurations "
        f"(a few seconds{where}; --srdf FILE skips this)"
    )
    pairs = generate_disabled_pairs(robot, samples=DEFAULT_SAMPLES, seed=_SEED)
    robot.set_disabled_pairs(pairs)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        write_srdf(robot, pairs, partial)
        partial.replace(path)  # whole or not at all, also with two runs at once
    except OSError as exc:
        warn(f"cannot keep the disabled pairs in {str(path.parent)!r}: {exc.strerror or exc}")
