"""The visual geometry of a robot, read from its URDF's ``<visual>`` elements.

pinocchio's ``buildGeomFromUrdf`` refuses the whole model when one mesh file is missing; the viewer
wants to draw everything it can, so it reads the ``<visual>`` elements itself: a missing or
unsupported mesh is a warning naming the file, and the rest still draws.
"""

from __future__ import annotations

import math
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pinocchio as pin

from .._mesh_files import MESH_FORMATS, resolve_mesh_path
from ..errors import KinejacError, URDFError

if TYPE_CHECKING:
    from ..robot import Robot

__all__ = ["DEFAULT_RGBA", "MESH_FORMATS", "VisualElement", "resolve_mesh_path", "visual_elements"]

DEFAULT_RGBA = (0.75, 0.75, 0.78, 1.0)  #: colour of a visual without a material colour


@dataclass(frozen=True)
class VisualElement:
    """One ``<visual>`` of a URDF link, ready to draw.

    Attributes:
        name: unique name in the scene, ``"<link>/<index>"``-like (``"<link>_<i>"``).
        link: the URDF link (a frame of ``robot.model``) the visual is attached to.
        shape: ``"box"``, ``"cylinder"`` (along its z axis), ``"sphere"`` or ``"mesh"``.
        size: box ``(x, y, z)`` [m]; cylinder ``(radius, length)`` [m]; sphere ``(radius,)`` [m];
            mesh: its ``scale`` ``(sx, sy, sz)``.
        T_link_visual: ``(4, 4)`` pose of the visual in the link frame (the URDF ``<origin>``).
        rgba: the material colour, or ``None`` when the URDF gives none.
        mesh_path: the resolved mesh file (``shape == "mesh"`` only).
    """

    name: str
    link: str
    shape: Literal["box", "cylinder", "sphere", "mesh"]
    size: tuple[float, ...]
    T_link_visual: np.ndarray = field(repr=False)
    rgba: tuple[float, ...] | None = None
    mesh_path: Path | None = None


def _floats(text: str | None, n: int, default: tuple[float, ...], where: str) -> tuple[float, ...]:
    if text is None:
        return default
    try:
        values = tuple(float(x) for x in text.split())
    except ValueError:
        raise URDFError(f"{where}: expected {n} numbers, got {text!r}") from None
    if len(values) == 1 and n == 3:  # a scalar mesh scale
        values = values * 3
    if len(values) != n or not all(math.isfinite(v) for v in values):
        raise URDFError(f"{where}: expected {n} finite numbers, got {text!r}")
    return values


def _origin(el: ET.Element | None, where: str) -> np.ndarray:
    T = np.eye(4)
    if el is None:
        return T
    xyz = _floats(el.get("xyz"), 3, (0.0, 0.0, 0.0), f"{where} origin xyz")
    rpy = _floats(el.get("rpy"), 3, (0.0, 0.0, 0.0), f"{where} origin rpy")
    T[:3, :3] = pin.rpy.rpyToMatrix(*rpy)
    T[:3, 3] = xyz
    return T


def _rgba(material: ET.Element | None, named: dict[str, tuple[float, ...]], where: str) -> tuple[float, ...] | None:
    if material is None:
        return None
    color = material.find("color")
    if color is not None and color.get("rgba") is not None:
        return _floats(color.get("rgba"), 4, DEFAULT_RGBA, f"{where} material rgba")
    return named.get(material.get("name", ""))


def visual_elements(robot: Robot, *, package_dirs: Sequence[str | Path] = ()) -> list[VisualElement]:
    """The drawable ``<visual>`` elements of ``robot``'s URDF, in file order.

    Meshes are resolved through ``package_dirs`` then ``robot.package_dirs`` (see
    :func:`resolve_mesh_path`). A mesh file that is missing or in a format meshcat cannot draw
    (not one of :data:`MESH_FORMATS`) gives a ``UserWarning`` naming the file and is left out;
    so is a visual of a link that is not a frame of ``robot.model``.
    """
    if robot.urdf_path is None:
        raise KinejacError(f"robot {robot.name!r} was not loaded from a URDF, so it has no visual geometry")
    path = Path(robot.urdf_path)
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise URDFError(f"{path}: cannot read its visual geometry: {exc}") from None
    dirs = [*package_dirs, *robot.package_dirs]
    named: dict[str, tuple[float, ...]] = {}
    for mat in root.findall("material"):
        rgba = _rgba(mat, {}, f"{path}: material {mat.get('name')!r}")
        if rgba is not None:
            named[mat.get("name", "")] = rgba
    frames = set(robot.frame_names)
    out: list[VisualElement] = []
    for link_el in root.findall("link"):
        link = link_el.get("name", "")
        for i, vis in enumerate(link_el.findall("visual")):
            where = f"{path}: link {link!r} visual {i}"
            geom = vis.find("geometry")
            shape_el = None if geom is None else next(iter(geom), None)
            if shape_el is None:
                warnings.warn(f"{where} has no geometry; it is not drawn", UserWarning, stacklevel=2)
                continue
            if link not in frames:
                warnings.warn(f"{where}: link is not a frame of the model; it is not drawn", UserWarning, stacklevel=2)
                continue
            T = _origin(vis.find("origin"), where)
            rgba = _rgba(vis.find("material"), named, where)
            name = f"{link}_{i}".replace("/", "_")
            tag = shape_el.tag
            if tag == "box":
                size = _floats(shape_el.get("size"), 3, (0.0, 0.0, 0.0), f"{where} box size")
                out.append(VisualElement(name, link, "box", size, T, rgba))
            elif tag == "cylinder":
                r = float(shape_el.get("radius", "0"))
                length = float(shape_el.get("length", "0"))
                out.append(VisualElement(name, link, "cylinder", (r, length), T, rgba))
            elif tag == "sphere":
                out.append(VisualElement(name, link, "sphere", (float(shape_el.get("radius", "0")),), T, rgba))
            elif tag == "mesh":
                filename = shape_el.get("filename", "")
                scale = _floats(shape_el.get("scale"), 3, (1.0, 1.0, 1.0), f"{where} mesh scale")
                mesh, looked = resolve_mesh_path(filename, path.parent, dirs)
                if mesh is None:
                    places = ", ".join(str(p) for p in looked) or "nowhere: no package_dirs given"
                    warnings.warn(
                        f"mesh file {filename!r} of link {link!r} not found (looked at {places}); "
                        "that part of the robot is not drawn",
                        UserWarning,
                        stacklevel=2,
                    )
                    continue
                if mesh.suffix.lower() not in MESH_FORMATS:
                    warnings.warn(
                        f"mesh file {str(mesh)!r} of link {link!r} is a {mesh.suffix} file; the viewer draws "
                        f"{', '.join(MESH_FORMATS)} meshes only, so that part of the robot is not drawn",
                        UserWarning,
                        stacklevel=2,
                    )
                    continue
                out.append(VisualElement(name, link, "mesh", scale, T, rgba, mesh))
            else:
                warnings.warn(f"{where}: unknown geometry <{tag}>; it is not drawn", UserWarning, stacklevel=2)
    return out
