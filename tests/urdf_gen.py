"""Random valid URDFs for property tests: chains and trees of 1-12 joints.

A :class:`RobotSpec` describes a generated robot (joints, links, optional moving base) and
renders itself as URDF text. Two sources drive the same builder:

- :func:`robot_specs`, a hypothesis strategy (shrinks towards short chains of plain joints);
- :func:`random_spec`, from a numpy ``Generator`` (for scripts and ad-hoc stress runs).

Joint types: revolute, continuous, prismatic, fixed and mimic (a revolute or prismatic joint
following a revolute/prismatic joint on its path to the root: pinocchio 4 cannot build a mimic
joint that its traversal, which orders sibling branches by joint name, reaches before the joint
it follows). Axes are random directions (sometimes exactly a
coordinate axis, sometimes not unit length: URDF readers normalise them), origins random
translations and roll-pitch-yaw rotations, limits random intervals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
from hypothesis import strategies as st

__all__ = ["MOVING_TYPES", "JointSpec", "RobotSpec", "random_spec", "robot_specs"]

MOVING_TYPES = ("revolute", "continuous", "prismatic", "fixed", "mimic")
ROOT_JOINTS = (None, "floating", "planar")


@dataclass(frozen=True)
class JointSpec:
    """One generated joint. ``kind`` is one of :data:`MOVING_TYPES`; a mimic joint is written as
    ``urdf_type`` (revolute or prismatic) with a ``<mimic>`` element."""

    name: str
    kind: str
    parent: str
    child: str
    xyz: tuple[float, float, float]
    rpy: tuple[float, float, float]
    axis: tuple[float, float, float]
    lower: float = 0.0
    upper: float = 0.0
    urdf_type: str = ""
    mimicked: str | None = None
    multiplier: float = 1.0
    offset: float = 0.0


@dataclass(frozen=True)
class RobotSpec:
    """A generated robot: its joints (parents before children), links and base."""

    name: str
    joints: tuple[JointSpec, ...]
    root_joint: str | None = None
    links: tuple[str, ...] = field(default=())

    @property
    def leaves(self) -> list[str]:
        """Links with no child joint: the natural end effectors."""
        parents = {j.parent for j in self.joints}
        return [link for link in self.links if link not in parents]

    @property
    def n_dof(self) -> int:
        """Independent joint coordinates (tangent size) without the base."""
        return sum(j.kind in ("revolute", "continuous", "prismatic") for j in self.joints)

    def to_urdf(self) -> str:
        out = [f'<robot name="{self.name}">']
        out += [f'  <link name="{link}"/>' for link in self.links]
        for j in self.joints:
            jtype = j.urdf_type or j.kind
            out.append(f'  <joint name="{j.name}" type="{jtype}">')
            out.append(f'    <parent link="{j.parent}"/>')
            out.append(f'    <child link="{j.child}"/>')
            out.append(f'    <origin xyz="{_fmt(j.xyz)}" rpy="{_fmt(j.rpy)}"/>')
            if jtype != "fixed":
                out.append(f'    <axis xyz="{_fmt(j.axis)}"/>')
            if jtype in ("revolute", "prismatic"):
                out.append(f'    <limit lower="{j.lower!r}" upper="{j.upper!r}" effort="10" velocity="2"/>')
            if j.mimicked is not None:
                out.append(f'    <mimic joint="{j.mimicked}" multiplier="{j.multiplier!r}" offset="{j.offset!r}"/>')
            out.append("  </joint>")
        out.append("</robot>")
        return "\n".join(out) + "\n"

    def write(self, folder: str | Path) -> Path:
        """Write ``<folder>/<name>.urdf`` and return its path."""
        path = Path(folder) / f"{self.name}.urdf"
        path.write_text(self.to_urdf())
        return path


def _fmt(values: Sequence[float]) -> str:
    return " ".join(repr(float(x)) for x in values)


class _Source(Protocol):
    def integer(self, lo: int, hi: int) -> int: ...
    def real(self, lo: float, hi: float) -> float: ...
    def choice(self, options: Sequence): ...


class _Hypothesis:
    def __init__(self, draw) -> None:
        self.draw = draw

    def integer(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))

    def real(self, lo: float, hi: float) -> float:
        return self.draw(st.floats(lo, hi, allow_nan=False, allow_infinity=False))

    def choice(self, options: Sequence):
        return self.draw(st.sampled_from(list(options)))


class _Numpy:
    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def integer(self, lo: int, hi: int) -> int:
        return int(self.rng.integers(lo, hi + 1))

    def real(self, lo: float, hi: float) -> float:
        return float(self.rng.uniform(lo, hi))

    def choice(self, options: Sequence):
        return options[int(self.rng.integers(len(options)))]


def _axis(src: _Source) -> tuple[float, float, float]:
    style = src.choice(("random", "coordinate", "scaled"))
    if style == "coordinate":
        k, sign = src.integer(0, 2), src.choice((1.0, -1.0))
        a = [0.0, 0.0, 0.0]
        a[k] = sign
        return (a[0], a[1], a[2])
    a = np.array([src.real(-1.0, 1.0) for _ in range(3)])
    if np.linalg.norm(a) < 0.2:  # keep well away from the zero vector
        a[0] = 1.0
    n = float(np.linalg.norm(a))
    scale = src.real(0.5, 3.0) if style == "scaled" else 1.0
    a = a / n * scale
    return (float(a[0]), float(a[1]), float(a[2]))


def _build(
    src: _Source, n_joints: int | None, max_joints: int, types: Sequence[str], root_joints: Sequence
) -> RobotSpec:
    n = src.integer(1, max_joints) if n_joints is None else n_joints
    chain = src.choice((True, False))
    links = ["base_link"]
    joints: list[JointSpec] = []
    made_by: dict[str, JointSpec] = {}  # link -> the joint whose child it is
    for i in range(n):
        parent = links[-1] if chain else src.choice(links)
        kind = src.choice(types)
        # pinocchio builds a mimic joint only after the joint it follows, visiting sibling branches in
        # joint-name order; an ancestor is always visited first, so mimic targets are ancestors.
        ancestors, link = [], parent
        while link in made_by:
            ancestors.append(made_by[link])
            link = made_by[link].parent
        sources = [j for j in ancestors if j.kind in ("revolute", "prismatic")]
        if kind == "mimic" and not sources:
            kind = "revolute"
        child = f"link{i + 1:02d}"
        xyz = tuple(src.real(-0.5, 0.5) for _ in range(3))
        rpy = tuple(src.real(-math.pi, math.pi) for _ in range(3))
        axis = _axis(src)
        spec = {"name": f"joint{i + 1:02d}", "kind": kind, "parent": parent, "child": child}
        spec.update(xyz=xyz, rpy=rpy, axis=axis)
        if kind == "revolute":
            lo = src.real(-math.pi, math.pi - 0.4)
            spec.update(lower=lo, upper=src.real(lo + 0.4, min(lo + 2 * math.pi, 2 * math.pi)))
        elif kind == "prismatic":
            lo = src.real(-0.5, 0.3)
            spec.update(lower=lo, upper=src.real(lo + 0.1, 0.6))
        elif kind == "mimic":
            target = src.choice(sources)
            spec.update(
                urdf_type=src.choice(("revolute", "prismatic")),
                mimicked=target.name,
                multiplier=src.choice((1.0, -1.0, 0.5)) * src.real(0.2, 2.0),
                offset=src.real(-0.3, 0.3),
                lower=-10.0,
                upper=10.0,
            )
        joints.append(JointSpec(**spec))
        made_by[child] = joints[-1]
        links.append(child)
    root = src.choice(list(root_joints))
    return RobotSpec(name="generated", joints=tuple(joints), root_joint=root, links=tuple(links))


def random_spec(
    rng: np.random.Generator | int | None = None,
    *,
    n_joints: int | None = None,
    max_joints: int = 12,
    types: Sequence[str] = MOVING_TYPES,
    root_joints: Sequence = ROOT_JOINTS,
) -> RobotSpec:
    """A random robot spec from a numpy ``Generator`` (or seed)."""
    return _build(_Numpy(np.random.default_rng(rng)), n_joints, max_joints, types, root_joints)


@st.composite
def robot_specs(
    draw,
    *,
    max_joints: int = 12,
    types: Sequence[str] = MOVING_TYPES,
    root_joints: Sequence = ROOT_JOINTS,
) -> RobotSpec:
    """Hypothesis strategy of :class:`RobotSpec` (1..``max_joints`` joints)."""
    return _build(_Hypothesis(draw), None, max_joints, types, root_joints)
