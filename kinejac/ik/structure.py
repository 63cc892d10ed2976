"""The kinematic structure of a frame's chain: the family of closed-form IK it belongs to, if any.

:func:`ik_structure` reads the chain of revolute joints from the root (or a ``base`` frame) to a
frame, places every joint axis as a line in the base frame with the chain at zero, and looks at the
consecutive axes (after leaving out the joints held ``fixed``): which ones meet in a point and which
are parallel, to within ``tolerance`` ([m] for the distance between two lines or from a line to
their common point, [rad] for the angle between two axes). The families kinejac solves
(``cpp/include/kinejac/analytic.hpp`` has the maths), tried in this order, each also on the chain
read backwards (the frame as base: a spherical *shoulder* is a spherical wrist read backwards):

- ``spherical_wrist``: the last three axes meet in a point (PUMA, KUKA, ABB, Fanuc, Stäubli, and the
  Panda with its joint 7 fixed, backwards). The first three place the wrist centre; with two of their
  axes parallel or meeting this is closed (up to 8 solutions), otherwise a 1-D search.
- ``three_parallel``: axes 2, 3, 4 parallel and axes 5, 6 meeting (Universal Robots, Kinova Gen3
  lite's kind): closed, up to 8 solutions.
- ``two_intersecting``: axes 5 and 6 meet, and three of the first four form a closed-form placement
  (two of their axes parallel or meeting): a 1-D search over the fourth (up to 16 solutions kept).

Offsets below ``tolerance`` that break a family exactly (a URDF rounded to 0.1 mm, a wrist off by a
few microns) are accepted: the subproblems then run on an idealised copy of the chain (parallel
axes averaged, meeting axes moved through their common point), and every candidate is refined on
the real one. A chain with a 7th joint needs one joint ``fixed``; the record of a 7-joint chain
names the joints whose fixing gives a family.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pinocchio as pin

from .._checks import positive
from ..core.tree import joint_kind
from ..errors import InvalidValueError, JointNotFound, StructureError
from ..robot import Robot

__all__ = ["FAMILIES", "PLACEMENTS", "IKStructure", "Plan", "ik_structure", "plan_of"]

#: the families, in the core's order (``cpp/include/kinejac/analytic.hpp``)
FAMILIES: tuple[str, ...] = ("spherical_wrist", "three_parallel", "two_intersecting")
#: how three joints a, b, c place a point: the special pair of consecutive axes, or a search
PLACEMENTS: tuple[str, ...] = ("b_parallel_c", "a_meets_b", "a_parallel_b", "b_meets_c", "searched")
EXACT = 1e-9  # [m] or [rad]: a chain this close to its family is exactly in it
DEFAULT_TOLERANCE = 1e-3  # [m] or [rad]
_SAMPLES = 128  # grid of a 1-D search over one turn
_MAX_SOLUTIONS = {"spherical_wrist": 8, "three_parallel": 8, "two_intersecting": 16}


@dataclass(frozen=True)
class IKStructure:
    """The kinematic structure of the chain from ``base`` to ``frame`` (see :func:`ik_structure`).

    Attributes:
        robot, frame: whose chain. base: the frame the chain starts from (``None``: the world).
        joints: the chain's joints from the base to the frame (fixed ones included).
        fixed: the joints held at a given value (left out of the family).
        family: one of :data:`FAMILIES`, or ``None`` when no family with a closed form or a 1-D
            search fits (``reason`` says why).
        reversed: the family was found reading the chain from the frame back to the base (a
            spherical shoulder rather than a spherical wrist).
        placement: how the three joints that place the wrist centre are solved (one of
            :data:`PLACEMENTS`; ``None`` for ``three_parallel``).
        searched: the joint a 1-D search runs over (``None`` for a closed form).
        method: ``"closed_form"``, ``"search"`` (1-D) or ``"none"``.
        intersecting, parallel: the groups of consecutive free joints whose axes meet in a point /
            are parallel, by name (what the family was read from).
        deviation: [m or rad] the largest distance of the chain from its family (0.0 when it is
            exactly in it; up to ``tolerance`` for a chain solved through its idealised copy).
        tolerance: [m or rad] the tolerance it was read with.
        max_solutions: the most solutions one target can have with this family (8, or 16 kept by a
            search).
        reason: why ``family`` is ``None`` ("" otherwise).
        fixable: for a chain with one joint too many, the joints that give a family when fixed,
            with that family.
    """

    robot: str
    frame: str
    base: str | None
    joints: tuple[str, ...]
    fixed: tuple[str, ...]
    family: str | None
    reversed: bool
    placement: str | None
    searched: str | None
    method: str
    intersecting: tuple[tuple[str, ...], ...]
    parallel: tuple[tuple[str, ...], ...]
    deviation: float
    tolerance: float
    max_solutions: int
    reason: str = ""
    fixable: dict[str, str] = field(default_factory=dict)

    @property
    def exact(self) -> bool:
        """The chain is in its family to 1e-9 m / rad (no idealisation needed)."""
        return self.family is not None and self.deviation <= EXACT

    def describe(self) -> str:
        """One line: the family and what it was read from, or why there is none."""
        if self.family is None:
            return f"no closed-form IK: {self.reason}"
        groups = [" ∩ ".join(g) for g in self.intersecting] + [" ∥ ".join(g) for g in self.parallel]
        kind = {"closed_form": "closed form", "search": f"1-D search over {self.searched}"}[self.method]
        name = self.family.replace("_", " ")
        if self.reversed and self.family == "spherical_wrist":
            name = "spherical shoulder (a spherical wrist read from the frame back)"
        elif self.reversed:
            name += " (read from the frame back)"
        near = "" if self.exact else f", within {self.deviation:.2g} of it (solved on an idealised copy, then refined)"
        return f"{name}: {'; '.join(groups)}; {kind}, up to {self.max_solutions} solutions{near}"

    def __repr__(self) -> str:
        family = self.family if self.family is not None else "None"
        return (
            f"IKStructure({self.robot!r}, frame={self.frame!r}, family={family}, method={self.method}, "
            f"reversed={self.reversed}, joints={len(self.joints)}, fixed={list(self.fixed)})"
        )


@dataclass(frozen=True)
class Plan:
    """What the native core's ``Analytic`` is built from (internal): the chain's lines at zero in
    the base frame (idealised into the family), joint indices and flags, ``T0 = T_base_frame`` at
    zero, and the family's codes."""

    structure: IKStructure
    h: np.ndarray  # (n, 3) unit axes
    o: np.ndarray  # (n, 3) points on the axes [m]
    iq: np.ndarray  # (n,) int64
    iv: np.ndarray
    continuous: np.ndarray  # (n,) int64 0/1
    fixed: np.ndarray  # (n,) int64 0/1
    T0: np.ndarray  # (4, 4)
    family: int
    placement: int
    searched: int


# -- the chain ----------------------------------------------------------------------------------------------
def _chain(robot: Robot, frame: str, base: str | None) -> list[int]:
    """The pinocchio joint ids from the base to the frame (checked: revolute or continuous only)."""
    model = robot.model
    fid = robot.frame_id(frame)

    def path(f: int) -> list[int]:
        out, j = [], int(model.frames[f].parentJoint)
        while j > 0:
            out.append(j)
            j = int(model.parents[j])
        return out[::-1]

    joints = path(fid)
    if base is not None:
        above = path(robot.frame_id(base))
        if joints[: len(above)] != above:
            raise InvalidValueError(
                f"base frame {base!r} of robot {robot.name!r} is not on the path from the root to frame {frame!r}"
            )
        joints = joints[len(above) :]
    return joints


def _lines(robot: Robot, joints: list[int], frame: str, base: str | None):
    """The chain's lines at zero in the base frame: axes ``(n, 3)``, points ``(n, 3)``, and
    ``T_base_frame`` with every chain joint at 0."""
    model, data = robot.model, model_data(robot)
    q = robot.clip(robot.neutral())
    for j in joints:
        info = robot.joints[j - 1]
        if info.kind == "continuous":
            q[info.idx_q : info.idx_q + 2] = (1.0, 0.0)
        else:
            q[info.idx_q] = 0.0
    pin.framesForwardKinematics(model, data, q)
    T_wb = pin.SE3.Identity() if base is None else data.oMf[robot.frame_id(base)]
    axes, points = np.empty((len(joints), 3)), np.empty((len(joints), 3))
    for k, j in enumerate(joints):
        axis = joint_kind(model.joints[j])[1]
        M = T_wb.actInv(data.oMi[j])
        axes[k] = M.rotation @ (axis / np.linalg.norm(axis))
        points[k] = M.translation
    T0 = T_wb.actInv(data.oMf[robot.frame_id(frame)]).homogeneous
    return axes, points, T0


def model_data(robot: Robot) -> pin.Data:
    """A pinocchio ``Data`` of ``robot`` for this module (not the robot's own workspace)."""
    data = robot.cache.get("ik.structure.data")
    if data is None:
        data = robot.cache["ik.structure.data"] = robot.model.createData()
    return data


def _fold(axes: np.ndarray, points: np.ndarray, fixed: np.ndarray, angles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The free joints' lines with the fixed joints turned by ``angles`` (every later line moves)."""
    R, t = np.eye(3), np.zeros(3)
    h_out, o_out = [], []
    for k in range(len(axes)):
        h, o = R @ axes[k], R @ points[k] + t
        if not fixed[k]:
            h_out.append(h)
            o_out.append(o)
            continue
        Rk = pin.exp3(h * angles[k])
        R, t = Rk @ R, Rk @ t + (o - Rk @ o)
    return np.array(h_out), np.array(o_out)


# -- relations between lines ----------------------------------------------------------------------------------
def _sin(h1, h2) -> float:
    return float(np.linalg.norm(np.cross(h1, h2)))


def _meet_point(axes, points) -> tuple[np.ndarray, float]:
    """The point where the lines meet (the midpoint of the closest points of the first two, which
    are not parallel) and its largest distance to one of them (a third may coincide with the first,
    as the Panda's axes 1 and 3 do with joint 2 at zero)."""
    h1, h2, r = axes[0], axes[1], points[1] - points[0]
    b, d1, d2 = h1 @ h2, h1 @ r, h2 @ r
    s, t = (d1 - b * d2) / (1 - b * b), (b * d1 - d2) / (1 - b * b)
    X = 0.5 * (points[0] + s * h1 + points[1] + t * h2)
    dist = max(float(np.linalg.norm((np.eye(3) - np.outer(h, h)) @ (X - o))) for h, o in zip(axes, points))
    return X, dist


def _deviation(kind: str, idx: tuple[int, ...], axes, points, tol: float) -> float:
    """How far the lines ``idx`` are from meeting / being parallel ([m] / [rad]); ``inf`` when
    meeting lines are (nearly) parallel, which is another structure."""
    if kind == "parallel":
        return max(float(np.arcsin(min(1.0, _sin(axes[idx[0]], axes[i])))) for i in idx[1:])
    for a, b in itertools.pairwise(idx):  # consecutive axes must cross
        if _sin(axes[a], axes[b]) <= 10 * tol:
            return float("inf")
    return _meet_point(axes[list(idx)], points[list(idx)])[1]


def _placement(a: int, holds) -> tuple[int, tuple] | None:
    """The closed-form placement of joints a, a+1, a+2, as (code, relation), or None."""
    b, c = a + 1, a + 2
    for code, rel in (
        (0, ("parallel", (b, c))),
        (1, ("meet", (a, b))),
        (2, ("parallel", (a, b))),
        (3, ("meet", (b, c))),
    ):
        if holds(rel):
            return code, rel
    return None


def _candidates(holds):
    """The families the relations allow, in order of preference, on the chain read forwards then
    backwards: (family, placement, searched, reversed, relations) with 0-based free indices of the
    forward chain."""
    out = []
    for stage in ("closed", "parallel", "searched", "two"):
        for rev in (False, True):

            def forward(i: int, rev: bool = rev) -> int:  # an index of the chain read this way, read forwards
                return 5 - i if rev else i

            def hold(rel, forward=forward):
                return holds((rel[0], tuple(forward(i) for i in rel[1])))

            def real(rels, forward=forward):
                return [(k, tuple(sorted(forward(i) for i in idx))) for k, idx in rels]

            wrist = ("meet", (3, 4, 5))
            if stage in ("closed", "searched") and hold(wrist):
                p = _placement(0, hold)
                if stage == "closed" and p is not None:
                    out.append((0, p[0], 0, rev, real([wrist, p[1]])))
                elif stage == "searched" and p is None:
                    out.append((0, 4, 0, rev, real([wrist])))
            elif stage == "parallel":
                rels = [("parallel", (1, 2, 3)), ("meet", (4, 5))]
                if all(hold(r) for r in rels) and not hold(("parallel", (0, 1))):
                    out.append((1, 0, 0, rev, real(rels)))
            elif stage == "two" and hold(("meet", (4, 5))):
                for a, searched in ((1, 0), (0, 3)):
                    p = _placement(a, hold)
                    if p is not None:
                        out.append((2, p[0], searched, rev, real([("meet", (4, 5)), p[1]])))
                        break
    return out


# -- the record ------------------------------------------------------------------------------------------------
def _names(robot: Robot, joints: list[int]) -> tuple[str, ...]:
    return tuple(robot.model.names[j] for j in joints)


def _fixed_names(robot: Robot, chain_names: tuple[str, ...], fixed) -> tuple[str, ...]:
    if fixed is None:
        return ()
    names = list(fixed.keys() if isinstance(fixed, Mapping) else fixed) if not isinstance(fixed, str) else [fixed]
    for name in names:
        if name not in chain_names:
            robot.joint(name)  # an unknown joint: JointNotFound with suggestions
            raise JointNotFound(name, chain_names, f"the chain to the frame (joint {name!r} does not move it)")
    return tuple(n for n in chain_names if n in names)


def _rank(robot: Robot, joints: list[int], frame: str) -> int:
    """The rank of the chain's Jacobian columns at a random configuration (seeded)."""
    from ..kinematics import jacobian

    q = robot.random_configuration(np.random.default_rng(7))
    J = jacobian(robot, q, frame)
    cols = [robot.joints[j - 1].idx_v for j in joints]
    s = np.linalg.svd(J[:, cols], compute_uv=False)
    return int((s > 1e-9 * max(1.0, s[0])).sum())


def ik_structure(
    robot: Robot, frame: str, *, base: str | None = None, fixed: Iterable[str] | Mapping | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> IKStructure:  # fmt: skip
    """The kinematic structure of the chain from ``base`` (default: the world) to ``frame``.

    Args:
        robot: the robot.
        frame: the frame whose pose the IK sets.
        base: the frame the target is given in (a frame on the path from the root to ``frame``;
            joints above it are not part of the chain).
        fixed: joint names (or a ``{name: value}`` mapping: the values do not matter here) held at
            a given value, so that a 7-joint chain has 6 free joints.
        tolerance: [m or rad] how far axes may be from meeting or being parallel and still count
            (the closed form then runs on an idealised copy and is refined on the real chain).

    Returns:
        An :class:`IKStructure`; its ``family`` is ``None`` when no family fits (never an error,
        except for unknown frames and joints).
    """
    return plan_of(robot, frame, base=base, fixed=fixed, tolerance=tolerance, need=False).structure


def plan_of(robot: Robot, frame: str, *, base=None, fixed=None, tolerance=DEFAULT_TOLERANCE, need=True) -> Plan:
    """The structure and the core's inputs (cached per robot); with ``need`` a chain without a
    family raises :class:`~kinejac.StructureError` naming what was found."""
    tolerance = positive("tolerance [m or rad]", tolerance)
    if not isinstance(robot, Robot):
        raise InvalidValueError(f"ik_structure needs a kinejac.Robot, got {type(robot).__name__}")
    joints = _chain(robot, frame, base)
    chain_names = _names(robot, joints)
    fixed_names = _fixed_names(robot, chain_names, fixed)
    key = ("ik.structure", frame, base, fixed_names, float(tolerance))
    plan = robot.cache.get(key)
    if plan is None:
        plan = robot.cache[key] = _plan(robot, frame, base, joints, fixed_names, tolerance)
    if need and plan.structure.family is None:
        raise StructureError(f"no closed-form IK for frame {frame!r} of robot {robot.name!r}: {plan.structure.reason}")
    return plan


def _plan(robot: Robot, frame: str, base, joints: list[int], fixed_names: tuple[str, ...], tol: float) -> Plan:
    names = _names(robot, joints)
    infos = [robot.joints[j - 1] for j in joints]
    fixed = np.array([n in fixed_names for n in names], dtype=np.int64)
    free = [n for n, f in zip(names, fixed) if not f]

    def record(reason: str = "", **kw) -> IKStructure:
        fields: dict[str, Any] = {"family": None, "reversed": False, "placement": None, "searched": None}
        fields.update(method="none", intersecting=(), parallel=(), deviation=float("inf"), max_solutions=0)
        fields.update(kw)
        return IKStructure(robot.name, frame, base, names, fixed_names, tolerance=tol, reason=reason, **fields)

    empty = Plan(record(), *(np.zeros((0, 3)),) * 2, *(np.zeros(0, np.int64),) * 4, np.eye(4), -1, -1, -1)
    bad = [i.name + f" ({i.kind})" for i in infos if i.kind not in ("revolute", "continuous")]
    if bad:
        return _with(empty, record(f"the chain has joints that are not revolute: {', '.join(bad)}"))
    if len(free) != 6:
        reason, fixable = _free_count_reason(robot, frame, base, joints, fixed_names, free, tol)
        return _with(empty, record(reason, fixable=fixable))
    axes, points, T0 = _lines(robot, joints, frame, base)
    # the free lines at zero and at two other values of the fixed joints (a family must hold at all)
    rng = np.random.default_rng(0)
    samples = [_fold(axes, points, fixed, np.zeros(len(axes)))]
    if fixed.any():
        samples += [_fold(axes, points, fixed, rng.uniform(-np.pi, np.pi, len(axes))) for _ in range(2)]
    free_at = [k for k in range(len(axes)) if not fixed[k]]  # free index -> chain index

    def straddles(idx) -> bool:
        lo, hi = free_at[min(idx)], free_at[max(idx)]
        return bool(fixed[lo:hi].any())

    cache: dict = {}

    def deviation(rel) -> float:
        if rel not in cache:
            cache[rel] = max(_deviation(rel[0], rel[1], h, o, tol) for h, o in samples)
        return cache[rel]

    def holds(rel) -> bool:
        d = deviation(rel)
        return d <= tol and (d <= EXACT or not straddles(rel[1]))

    found = _candidates(holds)
    # what the axes show, for the record (and the error naming it)
    meets = [("meet", (i, i + 1)) for i in range(5) if holds(("meet", (i, i + 1)))]
    pars = [("parallel", (i, i + 1)) for i in range(5) if holds(("parallel", (i, i + 1)))]
    shown = {"intersecting": tuple(tuple(free[i] for i in r[1]) for r in meets),
             "parallel": tuple(tuple(free[i] for i in r[1]) for r in pars)}  # fmt: skip
    rank = _rank(robot, [j for j, f in zip(joints, fixed) if not f], frame)
    if not found or rank < 6:
        return _with(empty, record(_no_family_reason(shown, rank, tol), **shown))
    family, placement, searched, rev, rels = found[0]
    dev = max(deviation(r) for r in rels)
    axes, points = _idealised(axes, points, free_at, rels, straddles)
    fam = FAMILIES[family]
    searched_name = None
    if family == 2:
        searched_name = free[5 - searched if rev else searched]
    elif placement == 4:
        searched_name = free[5 if rev else 0]
    groups: dict[str, list[tuple[str, ...]]] = {"meet": [], "parallel": []}
    for kind, idx in rels:
        groups[kind].append(tuple(free[i] for i in idx))
    structure = record(
        family=fam,
        reversed=rev,
        placement=None if family == 1 else PLACEMENTS[placement],
        searched=searched_name,
        method="search" if searched_name else "closed_form",
        intersecting=tuple(groups["meet"]),
        parallel=tuple(groups["parallel"]),
        deviation=0.0 if dev <= EXACT else float(dev),
        max_solutions=_MAX_SOLUTIONS[fam] if not searched_name else 16,
    )
    iq = np.array([i.idx_q for i in infos], dtype=np.int64)
    iv = np.array([i.idx_v for i in infos], dtype=np.int64)
    cont = np.array([i.kind == "continuous" for i in infos], dtype=np.int64)
    return Plan(structure, axes, points, iq, iv, cont, fixed, T0, family, placement, searched)


def _free_count_reason(robot: Robot, frame: str, base, joints: list[int], fixed_names: tuple[str, ...],
                       free: list[str], tol: float) -> tuple[str, dict[str, str]]:  # fmt: skip
    """Why a chain without exactly 6 free joints has no closed form, and (7 free joints) which joint to
    fix for which family: ``(reason, {joint: family})``."""
    reason = f"the chain has {len(free)} free joint(s) ({', '.join(free) or 'none'}); the closed forms need 6"
    fixable: dict[str, str] = {}
    if len(free) == 7:
        for n in free:
            s = _plan(robot, frame, base, joints, (*fixed_names, n), tol).structure
            if s.family is not None:
                fixable[n] = s.family
        if fixable:
            reason += (": fix one of " + ", ".join(f"{n} ({f})" for n, f in fixable.items())
                       + " (fixed={joint: value}; kinejac ik --all --fixed JOINT=VALUE)")  # fmt: skip
        else:
            reason += ", and fixing any one of them leaves a chain with no known family"
    elif len(free) > 6:
        reason += ": fix the others (fixed={joint: value}; kinejac ik --all --fixed JOINT=VALUE)"
    return reason, fixable


def _no_family_reason(shown: dict[str, tuple], rank: int, tol: float) -> str:
    """Why six free joints have no closed form: what their axes show, or the directions they lack."""
    what = [" ∩ ".join(g) for g in shown["intersecting"]] + [" ∥ ".join(g) for g in shown["parallel"]]
    found_text = ", ".join(what) if what else "no two consecutive axes meet or are parallel"
    if rank < 6:
        return f"the free joints move the frame in only {rank} of 6 directions (found: {found_text})"
    return (
        f"found {found_text} (within {tol:g}); the families with a closed form or a 1-D search need a "
        "spherical wrist (three axes meeting at one end), three parallel axes with the last two meeting, "
        "or the last (or first) two axes meeting with two more parallel or meeting"
    )


def _with(plan: Plan, structure: IKStructure) -> Plan:
    return dataclasses.replace(plan, structure=structure, family=-1, placement=-1, searched=-1)


def _idealised(axes, points, free_at, rels, straddles) -> tuple[np.ndarray, np.ndarray]:
    """The chain's lines moved into the family: parallel groups get their mean direction, meeting
    groups go through their common point (relations across a fixed joint hold exactly already)."""
    axes, points = axes.copy(), points.copy()
    for kind, idx in sorted(rels, key=lambda r: r[0] != "parallel"):  # directions first
        if straddles(idx):
            continue
        ks = [free_at[i] for i in idx]
        if kind == "parallel":
            signs = np.sign(axes[ks] @ axes[ks[0]])
            d = (signs[:, None] * axes[ks]).sum(axis=0)
            d /= np.linalg.norm(d)
            axes[ks] = signs[:, None] * d
        else:
            P, _ = _meet_point(axes[ks], points[ks])
            points[ks] = P
    return axes, points
