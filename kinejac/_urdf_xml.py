"""The one walk over a URDF's XML: it validates the file before pinocchio parses it, and collects
what :func:`kinejac.urdf.urdf_findings` reports about a valid one (the mimic joints, continuous
joints with limits, mesh file names, links without mass).

Used by :mod:`kinejac.urdf` only; reading the file (and its size limit) stays there.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .errors import URDFError

__all__ = ["Finding", "Mimic", "UrdfFacts", "walk_urdf"]

JOINT_TYPES = ("revolute", "continuous", "prismatic", "fixed", "floating", "planar")


@dataclass(frozen=True)
class Finding:
    """Something in a robot's URDF that would surprise a user (see :func:`kinejac.urdf.urdf_findings`).

    Attributes:
        severity: ``error``, ``warning`` or ``note``; code: what kind of finding (a stable name);
        subject: what it is about (a joint, a mesh file name, links, the robot); message: one line.
    """

    severity: Literal["error", "warning", "note"]
    code: str
    subject: str
    message: str


@dataclass(frozen=True)
class Mimic:
    """A mimic joint: ``q[joint] = multiplier * q[mimicked] + offset``."""

    joint: str
    mimicked: str
    multiplier: float
    offset: float


@dataclass(frozen=True)
class UrdfFacts:
    """What the walk found in a valid URDF besides its validity.

    Attributes:
        mimics: the mimic joints, in document order.
        joint_findings: ``continuous_limits`` and ``mimic`` findings, in document order.
        meshes: every mesh file name, once, in document order.
        massless: the links without a positive ``<inertial><mass>``.
    """

    mimics: tuple[Mimic, ...]
    joint_findings: tuple[Finding, ...]
    meshes: tuple[str, ...]
    massless: tuple[str, ...]


def _floats(text: str | None, n: int, what: str, where: str, default: tuple[float, ...]) -> tuple[float, ...]:
    if text is None:
        return default
    parts = text.split()
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise URDFError(f"{where}: {what} must be {n} numbers, got {text!r}") from None
    if len(values) != n:
        raise URDFError(f"{where}: {what} must be {n} numbers, got {text!r}")
    if not all(math.isfinite(x) for x in values):
        raise URDFError(f"{where}: {what} must be finite, got {text!r}")
    return values


def _float_attr(el: ET.Element, key: str, where: str, default: float) -> float:
    text = el.get(key)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        raise URDFError(f"{where}: {key}={text!r} is not a number") from None
    if math.isnan(value):
        raise URDFError(f"{where}: {key} is NaN")
    return value


# numeric attributes urdfdom parses inside a <link>: element tag -> {attribute: count}
_LINK_NUMBERS = {
    "origin": {"xyz": 3, "rpy": 3},
    "mass": {"value": 1},
    "inertia": {k: 1 for k in ("ixx", "ixy", "ixz", "iyy", "iyz", "izz")},
    "box": {"size": 3},
    "cylinder": {"radius": 1, "length": 1},
    "sphere": {"radius": 1},
    "mesh": {"scale": 3},
}


def _parse(raw: bytes, path: Path) -> ET.Element:
    if not raw.strip():
        raise URDFError(f"{path}: file is empty")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        line, col = exc.position
        raise URDFError(f"{path}: not well-formed XML at line {line}, column {col}: {exc}") from None
    if root.tag != "robot":
        raise URDFError(f"{path}: the root element is <{root.tag}>, expected <robot>")
    return root


def _walk_links(root: ET.Element, path: Path) -> tuple[list[str], list[str]]:
    """``(link names, links without mass)``; every number in a link's inertial/visual/collision
    elements is present and finite (urdfdom would otherwise refuse the file without saying where)."""
    links: list[str] = []
    seen: set[str] = set()
    massless: list[str] = []
    for link in root.findall("link"):
        name = link.get("name")
        if not name:
            raise URDFError(f"{path}: a <link> has no name")
        if name in seen:
            raise URDFError(f"{path}: link {name!r} is defined twice")
        for part in link:
            for el in part.iter():
                for key, n in _LINK_NUMBERS.get(el.tag, {}).items():
                    _floats(el.get(key), n, f"<{part.tag}>/<{el.tag}> {key}", f"{path}: link {name!r}", ())
        mass = link.find("inertial/mass")  # its value was checked just above
        if mass is None or float(mass.get("value", "0")) <= 0:
            massless.append(name)
        links.append(name)
        seen.add(name)
    if not links:
        raise URDFError(f"{path}: robot {root.get('name')!r} has no <link>")
    return links, massless


def _check_joint_geometry(el: ET.Element, jtype: str, where: str) -> None:
    """The joint's origin, axis and limits are numbers that make sense."""
    origin = el.find("origin")
    if origin is not None:
        _floats(origin.get("xyz"), 3, "origin xyz", where, (0.0, 0.0, 0.0))
        _floats(origin.get("rpy"), 3, "origin rpy", where, (0.0, 0.0, 0.0))
    if jtype in ("revolute", "continuous", "prismatic", "planar"):
        axis_el = el.find("axis")
        axis = _floats(axis_el.get("xyz") if axis_el is not None else None, 3, "axis", where, (1.0, 0.0, 0.0))
        if math.hypot(*axis) < 1e-9:
            raise URDFError(f"{where}: axis {axis} has zero length")
    limit = el.find("limit")
    if jtype in ("revolute", "prismatic"):
        if limit is None:
            raise URDFError(f"{where} ({jtype}) has no <limit>")
        lower = _float_attr(limit, "lower", where, 0.0)
        upper = _float_attr(limit, "upper", where, 0.0)
        if not (math.isfinite(lower) and math.isfinite(upper)):
            raise URDFError(f"{where}: limits must be finite, got lower={lower} upper={upper}")
        if lower > upper:
            raise URDFError(f"{where}: lower limit {lower} > upper limit {upper}")
    if limit is not None:
        for key in ("velocity", "effort"):
            value = _float_attr(limit, key, where, 0.0)
            if value < 0:
                raise URDFError(f"{where}: limit {key}={value} is negative")


def _joint_finding(el: ET.Element, name: str) -> Finding | None:
    """The finding about a valid joint: continuous with position limits, or a mimic joint."""
    limit, mimic = el.find("limit"), el.find("mimic")
    if el.get("type") == "continuous" and limit is not None and ("lower" in limit.attrib or "upper" in limit.attrib):
        return Finding(
            "warning",
            "continuous_limits",
            name,
            f"continuous joint {name!r} declares position limits [{limit.get('lower', '-')}, "
            f"{limit.get('upper', '-')}], which are ignored (a continuous joint is unbounded); make it a "
            "revolute joint if the limits matter",
        )
    if mimic is not None:
        return Finding(
            "note",
            "mimic",
            name,
            f"joint {name!r} mimics {mimic.get('joint')!r} (x {mimic.get('multiplier', '1')} + "
            f"{mimic.get('offset', '0')}): it has no coordinate of its own in q",
        )
    return None


def _walk_joints(
    root: ET.Element, path: Path, links: list[str]
) -> tuple[dict[str, ET.Element], dict[str, str], list[Mimic], list[Finding]]:
    """``(joints by name, parent link of each child link, mimic joints, joint findings)``."""
    link_set = set(links)
    joints: dict[str, ET.Element] = {}
    parent_of: dict[str, str] = {}
    mimics: list[Mimic] = []
    findings: list[Finding] = []
    for el in root.findall("joint"):
        name = el.get("name")
        if not name:
            raise URDFError(f"{path}: a <joint> has no name")
        where = f"{path}: joint {name!r}"
        if name in joints:
            raise URDFError(f"{path}: joint {name!r} is defined twice")
        joints[name] = el
        jtype = el.get("type")
        if jtype not in JOINT_TYPES:
            raise URDFError(f"{where} has unknown type {jtype!r}; URDF joint types are: {', '.join(JOINT_TYPES)}")
        ends = {}
        for end in ("parent", "child"):
            sub = el.find(end)
            link = sub.get("link") if sub is not None else None
            if link is None:
                raise URDFError(f"{where} has no <{end} link=...>")
            if link not in link_set:
                raise URDFError(f"{where}: {end} link {link!r} does not exist")
            ends[end] = link
        if ends["parent"] == ends["child"]:
            raise URDFError(f"{where}: parent and child are the same link {ends['child']!r}")
        if ends["child"] in parent_of:
            raise URDFError(
                f"{where}: link {ends['child']!r} is already the child of another joint "
                "(a link has one parent; URDF cannot express kinematic loops)"
            )
        parent_of[ends["child"]] = ends["parent"]
        _check_joint_geometry(el, jtype, where)
        mimic = el.find("mimic")
        if mimic is not None:
            multiplier, offset = _float_attr(mimic, "multiplier", where, 1.0), _float_attr(mimic, "offset", where, 0.0)
            mimics.append(Mimic(name, mimic.get("joint") or "", multiplier, offset))
        finding = _joint_finding(el, name)
        if finding is not None:
            findings.append(finding)
    return joints, parent_of, mimics, findings


def _check_mimics(mimics: list[Mimic], joints: dict[str, ET.Element], path: Path) -> None:
    for m in mimics:
        if m.mimicked not in joints:
            raise URDFError(f"{path}: joint {m.joint!r} mimics joint {m.mimicked!r}, which does not exist")
        if joints[m.mimicked].find("mimic") is not None:
            raise URDFError(f"{path}: joint {m.joint!r} mimics {m.mimicked!r}, itself a mimic joint")
        if not (math.isfinite(m.multiplier) and math.isfinite(m.offset)):
            raise URDFError(f"{path}: joint {m.joint!r} has a non-finite mimic multiplier or offset")
        kinds = joints[m.joint].get("type"), joints[m.mimicked].get("type")
        if kinds[0] != "fixed" and not all(k in ("revolute", "prismatic") for k in kinds):  # fixed: ignored
            raise URDFError(
                f"{path}: joint {m.joint!r} ({kinds[0]}) mimics {m.mimicked!r} ({kinds[1]}); "
                "only revolute and prismatic joints can mimic or be mimicked"
            )


def _check_tree(links: list[str], parent_of: dict[str, str], path: Path) -> None:
    roots = [link for link in links if link not in parent_of]
    if not roots:
        raise URDFError(f"{path}: every link has a parent, so the joints form a loop")
    if len(roots) > 1:
        raise URDFError(
            f"{path}: the tree has {len(roots)} roots ({', '.join(map(repr, roots))}); a URDF has one root link"
        )
    for link in links:  # a cycle that does not reach the root
        seen, cur = set(), link
        while cur in parent_of:
            if cur in seen:
                raise URDFError(f"{path}: the joints form a loop through link {cur!r}")
            seen.add(cur)
            cur = parent_of[cur]


def walk_urdf(raw: bytes, path: Path) -> UrdfFacts:
    """Validate the URDF text ``raw`` read from ``path`` (structure and numbers) and collect its facts.

    Raises :class:`~kinejac.errors.URDFError` naming ``path`` and the offending element.
    """
    root = _parse(raw, path)
    links, massless = _walk_links(root, path)
    joints, parent_of, mimics, findings = _walk_joints(root, path, links)
    _check_mimics(mimics, joints, path)
    _check_tree(links, parent_of, path)
    meshes = tuple(dict.fromkeys(mesh.get("filename", "") for mesh in root.iter("mesh")))
    return UrdfFacts(tuple(mimics), tuple(findings), meshes, tuple(massless))
