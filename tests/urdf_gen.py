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

__all__ = ["MOVING_TYPES", "PLACEMENTS", "JointSpec", "RobotSpec", "family_arm", "random_spec", "robot_specs"]

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


# -- arms in a closed-form IK family --------------------------------------------------------------------------
#: how the first three joints of a spherical-wrist arm place the wrist centre (see kinejac.ik.structure)
PLACEMENTS = ("b_parallel_c", "a_meets_b", "a_parallel_b", "b_meets_c", "searched")


def _unit(rng: np.random.Generator) -> np.ndarray:
    a = rng.normal(size=3)
    return a / np.linalg.norm(a)


def _across(rng: np.random.Generator, h: np.ndarray, lo: float = 0.4) -> np.ndarray:
    """A random unit vector at least ``lo`` (sine) away from being parallel to ``h``."""
    while True:
        a = _unit(rng)
        if np.linalg.norm(np.cross(a, h)) > lo:
            return a


def family_arm(
    rng: np.random.Generator | int,
    placement: str = "b_parallel_c",
    *,
    wrist_offset: float = 0.0,
    continuous_last: bool = False,
    spherical: bool = True,
    name: str = "family_arm",
) -> RobotSpec:
    """A random 6R arm with a spherical wrist (axes 4-6 meeting at one point) whose first three axes
    have the relation ``placement`` (b ∥ c, a ∩ b, a ∥ b, b ∩ c, or none: ``"searched"``).

    The arm is built at zero in world coordinates: every joint frame keeps the world's axes (rpy 0)
    and carries its axis in ``<axis>``, so a joint's origin is the difference of the points on two
    consecutive axes. ``wrist_offset`` [m] moves the 6th axis off the wrist centre (a chain only
    near its family). Links of 0.15-0.5 m; limits ±π (the first joint ±2π, to exercise
    equivalent angles; the last one continuous with ``continuous_last``); a tool 0.1 m beyond the
    wrist with a random orientation. ``spherical=False`` spreads the wrist axes 5-15 cm apart (with
    ``placement="searched"``: a general 6R arm, in no family).
    """
    rng = np.random.default_rng(rng)
    h = [_unit(rng)]
    o = [np.array([0.0, 0.0, 0.3])]
    # joints 2 and 3 from the placement's relation
    h2 = h[0] if placement == "a_parallel_b" else _across(rng, h[0])
    o2 = o[0] + (0.3 * h[0] if placement == "a_meets_b" else rng.uniform(0.15, 0.4) * _across(rng, h[0]))
    h3 = h2 if placement == "b_parallel_c" else _across(rng, h2)
    o3 = o2 + (0.35 * h2 if placement == "b_meets_c" else rng.uniform(0.3, 0.5) * _across(rng, h2))
    h += [h2, h3]
    o += [o2, o3]
    # the spherical wrist: axes 4, 5, 6 through W
    W = o3 + rng.uniform(0.3, 0.5) * _across(rng, h3)
    h4 = _across(rng, h3, 0.2)
    h5 = _across(rng, h4)
    h6 = _across(rng, h5)
    h += [h4, h5, h6]
    spread = (lambda: rng.uniform(0.05, 0.15) * _unit(rng)) if not spherical else (lambda: np.zeros(3))
    o += [W - 0.2 * h4 + spread(), W + spread(), W + wrist_offset * np.cross(h6, _across(rng, h6)) + spread()]
    tool = W + 0.1 * h6
    joints, parent, prev = [], "base_link", np.zeros(3)
    for i in range(6):
        kind = "continuous" if continuous_last and i == 5 else "revolute"
        limit = 2 * math.pi if i == 0 else math.pi
        joints.append(
            JointSpec(
                name=f"j{i + 1}", kind=kind, parent=parent, child=f"l{i + 1}", xyz=tuple(map(float, o[i] - prev)),
                rpy=(0.0, 0.0, 0.0), axis=tuple(map(float, h[i])), lower=-limit, upper=limit,
            )
        )  # fmt: skip
        parent, prev = f"l{i + 1}", o[i]
    rpy = tuple(float(x) for x in rng.uniform(-math.pi, math.pi, 3))
    joints.append(JointSpec("tool_joint", "fixed", parent, "tool", tuple(map(float, tool - prev)), rpy, (1.0, 0, 0)))
    links = ("base_link", *(f"l{i + 1}" for i in range(6)), "tool")
    return RobotSpec(name=name, joints=tuple(joints), links=links)
