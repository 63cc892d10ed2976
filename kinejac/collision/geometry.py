"""Collision geometry: the URDF's ``<collision>`` elements as a pinocchio ``GeometryModel``.

Each ``GeometryObject`` is attached to a link (its ``parentFrame``, a BODY frame) and moves with a
joint (its ``parentJoint``). Primitives (box, cylinder, sphere, capsule) become coal shapes;
meshes are found through ``package://`` and the robot's ``package_dirs`` and become coal BVH
models (exact triangle meshes).
"""

from __future__ import annotations

import numpy as np
import pinocchio as pin

from ..errors import KinejacError, URDFError

__all__ = [
    "adjacent_links",
    "build_collision_model",
    "geometry_links",
    "link_parents",
    "missing_meshes",
    "placements",
]


def build_collision_model(robot) -> pin.GeometryModel:
    """The collision ``GeometryModel`` of a robot loaded from a URDF (empty when the URDF has no
    ``<collision>`` element). Mesh files that cannot be found raise :class:`URDFError` naming them."""
    if robot.urdf_path is None:
        raise KinejacError(f"robot {robot.name!r} was not loaded from a URDF, so it has no collision geometry")
    try:
        return pin.buildGeomFromUrdf(
            robot.model, str(robot.urdf_path), pin.GeometryType.COLLISION, package_dirs=list(robot.package_dirs)
        )
    except (RuntimeError, ValueError) as exc:
        missing = missing_meshes(robot)
        raise URDFError(f"{robot.urdf_path}: cannot build its collision geometry: {exc}{missing}") from None


def missing_meshes(robot) -> str:
    """The ``package://`` meshes of the robot's URDF that cannot be found, each with every place
    looked (text to append to an error message; empty when all are found)."""
    from pathlib import Path

    from .._urdf_xml import walk_urdf
    from ..packages import find_package

    urdf_path = Path(robot.urdf_path)
    notes = []
    for filename in walk_urdf(urdf_path.read_bytes(), urdf_path).meshes:  # a URDF the robot was loaded from
        if not filename.startswith("package://"):
            continue
        name, _, rest = filename[len("package://") :].partition("/")
        places = [Path(d) / name / rest for d in robot.package_dirs]
        if any(p.is_file() for p in places):
            continue
        lookup = find_package(name, urdf_path.parent, robot.package_dirs)
        if lookup.root is None:
            where = ", ".join(str(p) for p in lookup.looked)
            notes.append(
                f"package {name!r} of {filename} not found; looked in {where} (walking up from the URDF's folder, "
                "then ROS_PACKAGE_PATH, AMENT_PREFIX_PATH and package_dirs)"
            )
        else:
            notes.append(f"{filename}: package {name!r} is {lookup.root}, but {lookup.root / rest} does not exist")
    return "".join(f"; {n}" for n in notes[:5])


def geometry_links(model: pin.Model, geom_model: pin.GeometryModel) -> list[str]:
    """The link (BODY frame) name of each geometry object, in ``geom_model`` order."""
    return [model.frames[g.parentFrame].name for g in geom_model.geometryObjects]


def link_parents(model: pin.Model) -> dict[str, str | None]:
    """``{link: parent link}`` over the model's BODY frames (``None`` for the root link)."""
    parents: dict[str, str | None] = {}
    for i, frame in enumerate(model.frames):
        if frame.type != pin.FrameType.BODY:
            continue
        j, parent = frame.parentFrame, None
        while j != i:
            up = model.frames[j]
            if up.type == pin.FrameType.BODY:
                parent = up.name
                break
            if j == 0:
                break
            j = up.parentFrame
        parents[frame.name] = parent
    return parents


def adjacent_links(model: pin.Model, links_with_geometry) -> set[tuple[str, str]]:
    """Pairs of links with geometry that are directly connected by a joint, where links without
    geometry are transparent (their nearest ancestor with geometry is adjacent to them).
    Each pair is sorted by name."""
    have = set(links_with_geometry)
    parents = link_parents(model)
    pairs: set[tuple[str, str]] = set()
    for link in have:
        up = parents.get(link)
        while up is not None and up not in have:
            up = parents.get(up)
        if up is not None:
            pairs.add(tuple(sorted((link, up))))
    return pairs


def placements(model: pin.Model, data: pin.Data, geom_model: pin.GeometryModel) -> np.ndarray:
    """``(G, 4, 4)`` world poses of the geometry objects after ``forwardKinematics`` on ``data``."""
    out = np.empty((geom_model.ngeoms, 4, 4))
    for k, g in enumerate(geom_model.geometryObjects):
        out[k] = (data.oMi[g.parentJoint] * g.placement).homogeneous
    return out
