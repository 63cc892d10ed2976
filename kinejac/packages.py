"""Where a URDF's ``package://NAME/...`` meshes live, found as ROS tools find them.

A package is looked for, in this order:

1. walking up from the URDF's folder: an ancestor folder named ``NAME``, or an ancestor holding a
   folder ``NAME`` (a package beside the URDF's own, as in a workspace's ``src``);
2. ``ROS_PACKAGE_PATH`` (ROS 1): each entry that is itself ``NAME``, or holds ``NAME`` directly or
   one folder down;
3. ``AMENT_PREFIX_PATH`` (ROS 2): ``PREFIX/share/NAME`` for each prefix;
4. the ``package_dirs`` the caller gave: each that is itself ``NAME`` or holds ``NAME``.

The first folder found is the package's root; a mesh ``package://NAME/rest`` is then
``ROOT/rest``. pinocchio takes such roots through their parent folders (it reads
``DIR/NAME/rest``), which is what :func:`package_dirs_for` returns.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PackageLookup", "find_package", "package_dirs_for", "package_names"]

_SCHEME = "package://"


@dataclass(frozen=True)
class PackageLookup:
    """Where a package was looked for.

    Attributes:
        name: the package name.
        root: its folder, or ``None`` when no place holds it.
        looked: every folder that was tried, in order (up to and including ``root``).
    """

    name: str
    root: Path | None
    looked: tuple[Path, ...]


def package_names(filenames: Iterable[str]) -> list[str]:
    """The package names of the ``package://`` file names, once each, in order."""
    names: dict[str, None] = {}
    for f in filenames:
        if f.startswith(_SCHEME):
            name = f[len(_SCHEME) :].partition("/")[0]
            if name:
                names[name] = None
    return list(names)


def _env_dirs(environ: Mapping[str, str], key: str) -> list[Path]:
    return [Path(p) for p in environ.get(key, "").split(os.pathsep) if p]


def _candidates(name: str, urdf_dir: Path | None, package_dirs: Sequence[str | Path], environ: Mapping[str, str]):
    if urdf_dir is not None:
        for folder in (urdf_dir, *urdf_dir.parents):
            if folder.name == name:
                yield folder
            yield folder / name
    for d in _env_dirs(environ, "ROS_PACKAGE_PATH"):
        if d.name == name:
            yield d
        yield d / name
        if d.is_dir():
            try:
                subs = sorted(p for p in d.iterdir() if p.is_dir())
            except OSError:
                subs = []
            for sub in subs:
                yield sub / name
    for prefix in _env_dirs(environ, "AMENT_PREFIX_PATH"):
        yield prefix / "share" / name
    for d in (Path(p) for p in package_dirs):
        if d.name == name:
            yield d
        yield d / name


def find_package(
    name: str,
    urdf_dir: str | Path | None,
    package_dirs: Sequence[str | Path] = (),
    environ: Mapping[str, str] | None = None,
) -> PackageLookup:
    """Find package ``name`` for a URDF in ``urdf_dir`` (see the module doc for the order);
    ``environ`` defaults to ``os.environ``."""
    env = os.environ if environ is None else environ
    start = None if urdf_dir is None else Path(urdf_dir).resolve()
    looked: list[Path] = []
    for c in _candidates(name, start, package_dirs, env):
        if c in looked:
            continue
        looked.append(c)
        if c.is_dir():
            return PackageLookup(name, c, tuple(looked))
    return PackageLookup(name, None, tuple(looked))


def package_dirs_for(
    filenames: Iterable[str],
    urdf_dir: str | Path | None,
    package_dirs: Sequence[str | Path] = (),
    environ: Mapping[str, str] | None = None,
) -> tuple[list[str], list[PackageLookup]]:
    """The folders to hand pinocchio for the ``package://`` files among ``filenames`` (the parent of
    each package root found, in the order of the packages), and the lookups, found or not."""
    dirs: dict[str, None] = {}
    lookups = []
    for name in package_names(filenames):
        found = find_package(name, urdf_dir, package_dirs, environ)
        lookups.append(found)
        if found.root is not None:
            dirs[str(found.root.parent)] = None
    return list(dirs), lookups
