"""Where a URDF's mesh files are, and which of them the viewer can draw.

Shared by the loader's checks (:func:`kinejac.urdf.urdf_findings`, ``kinejac doctor``) and the
viewer (:mod:`kinejac.viewer`), so that neither imports the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

__all__ = ["MESH_FORMATS", "resolve_mesh_path"]

MESH_FORMATS = (".dae", ".stl", ".obj")  #: mesh files meshcat draws (case-insensitive)


def resolve_mesh_path(
    filename: str, urdf_dir: Path, package_dirs: Sequence[str | Path]
) -> tuple[Path | None, list[Path]]:
    """Where a URDF mesh ``filename`` is: ``(path or None, the places looked at)``.

    ``package://pkg/rest`` is looked up as ``DIR/pkg/rest`` (and ``DIR/rest`` when ``DIR`` is the
    package folder itself) for each of ``package_dirs``; ``file://`` and absolute paths are used as
    they are; relative paths are relative to the URDF's folder.
    """
    candidates: list[Path] = []
    if filename.startswith("package://"):
        rest = filename[len("package://") :]
        package, _, inner = rest.partition("/")
        for d in package_dirs:
            d = Path(d)
            candidates.append(d / rest)
            if d.name == package:
                candidates.append(d / inner)
    elif filename.startswith("file://"):
        candidates.append(Path(filename[len("file://") :]))
    else:
        path = Path(filename).expanduser()
        candidates.append(path if path.is_absolute() else urdf_dir / path)
    for path in candidates:
        if path.is_file():
            return path, candidates
    return None, candidates
