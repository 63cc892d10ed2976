"""The one renderer: prints a command's record as JSON (SI units) or as text (``--degrees`` honoured).

The JSON document of every record is built by :func:`json_document`, the only place that writes
the robot and configuration keys (``robot``, ``urdf``, ``nq``, ``nv``, ``q``, ``joints``).
"""

from __future__ import annotations

import collections
import dataclasses
import json
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..robot import Robot
from .inputs import ANGULAR
from .reports import (
    BrokenUrdfReport,
    CollisionsReport,
    DoctorReport,
    FkReport,
    IkAllReport,
    IkReport,
    InfoReport,
    JacobianReport,
    ManipReport,
    ReachabilityReport,
    Report,
    RobotsReport,
    SrdfReport,
    ViewReport,
    WorkspaceReport,
)

__all__ = ["fmt_number", "fmt_vec", "json_clean", "json_document", "print_json", "render"]


def render(report: Report, *, as_json: bool, degrees: bool) -> None:
    """Print ``report``: one JSON object, or its text lines."""
    if as_json:
        print_json(json_document(report))
        return
    for line in _TEXT[type(report)](report, degrees):
        print(line)


# -- JSON ------------------------------------------------------------------------------------------------
def json_document(report: Report) -> dict[str, Any]:
    """The JSON object of a record (before :func:`json_clean`); see :mod:`kinejac._cli.reports`."""
    doc: dict[str, Any] = {}
    robot = getattr(report, "robot", None)  # whose configuration a CONFIGURATION field is
    for f in dataclasses.fields(report):  # every record is a dataclass
        value, how = getattr(report, f.name), f.metadata.get("json")
        if how == "robot name":
            doc["robot"] = value.name
        elif how == "robot summary":
            urdf = str(value.urdf_path) if value.urdf_path else None
            doc.update(robot=value.name, urdf=urdf, nq=value.nq, nv=value.nv)
        elif how == "configuration":
            if not isinstance(robot, Robot):
                raise TypeError(f"{type(report).__name__}: a CONFIGURATION field needs the robot in a field 'robot'")
            doc.update(q=value, joints=robot.to_dict(value))
        elif how != "hidden":
            doc[f.name] = value
    return doc


def json_clean(x: Any) -> Any:
    """Numpy values and records to plain Python, infinities to None (JSON has no inf)."""
    if isinstance(x, dict):
        return {str(k): json_clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [json_clean(v) for v in x]
    if isinstance(x, np.ndarray):
        return json_clean(x.tolist())
    if isinstance(x, (np.floating, float)):
        return float(x) if math.isfinite(x) else None
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return json_clean(dataclasses.asdict(x))
    return x


def print_json(payload: dict[str, Any]) -> None:
    print(json.dumps(json_clean(payload), allow_nan=False))


# -- numbers -----------------------------------------------------------------------------------------------
def fmt_number(x: float, fmt: str) -> str:
    """``x`` formatted with ``fmt``, never as a negative zero (``-0.00000`` prints as ``0.00000``)."""
    text = f"{float(x):{fmt}}"
    if text.lstrip().startswith("-") and float(text) == 0.0:
        text = f"{0.0:{fmt}}"
    return text


def fmt_vec(xs: Sequence[float] | np.ndarray, fmt: str = "10.6f") -> str:
    return " ".join(fmt_number(x, fmt) for x in xs)


def _angle_unit(degrees: bool) -> str:
    return "deg" if degrees else "rad"


def _joint_lines(robot: Robot, q: np.ndarray, degrees: bool) -> str:
    """The joint values of ``q``, one line a joint (one string, as one ``print`` wrote it)."""
    width = max(map(len, robot.joint_names), default=0)
    lines = []
    for name, value in robot.to_dict(q).items():
        kind = robot.joint(name).kind
        if isinstance(value, np.ndarray):
            lines.append(f"  {name:{width}s}  {fmt_vec(value, '.6g')}  ({kind} coordinates)")
        elif kind in ANGULAR:
            angle = fmt_number(math.degrees(value) if degrees else value, "10.6f")
            lines.append(f"  {name:{width}s}  {angle} {_angle_unit(degrees)}")
        else:
            lines.append(f"  {name:{width}s}  {fmt_number(value, '10.6f')} m")
    return "\n".join(lines)


def _pairs(pairs: Sequence[Sequence[str]]) -> list[str]:
    """``IN COLLISION: n pair(s)`` and the pairs, or ``collision-free``."""
    if not pairs:
        return ["collision-free"]
    return [f"IN COLLISION: {len(pairs)} pair(s)", *(f"  {a} -- {b}" for a, b in pairs)]


# -- text, one function a record -----------------------------------------------------------------------------
def _robots(r: RobotsReport, degrees: bool) -> list[str]:
    out = ["bundled robots:"]
    width = max(len(b["name"]) for b in r.bundled)
    for b in r.bundled:
        out.append(
            f"  {b['name']:{width}s}  nq={b['nq']:<2d} nv={b['nv']:<2d} leaf frames: {', '.join(b['leaf_frames'])}"
        )
    if r.example_robot_data:
        out += [f"example-robot-data models ({len(r.example_robot_data)}):", "  " + " ".join(r.example_robot_data)]
    else:
        out.append("example-robot-data is not installed (pip install 'kinejac[robots]' for its models)")
    return out


def _tree(robot: Robot) -> str:
    """The frame tree, one line a frame, joint frames tagged with their kind (one string)."""
    frames = robot.model.frames
    children: dict[int, list[int]] = collections.defaultdict(list)
    for i, f in enumerate(frames):
        if i > 0:
            children[int(f.parentFrame)].append(i)
    lines: list[str] = []

    def walk(i: int, prefix: str, last: bool, root: bool) -> None:
        kind = robot.frame_kind(i)
        tag = "" if kind == "body" or i == 0 else f"  [{kind}]"
        lines.append(("  " if root else "  " + prefix + ("`-- " if last else "|-- ")) + frames[i].name + tag)
        kids = children.get(i, [])
        for n, k in enumerate(kids):
            walk(k, "" if root else prefix + ("    " if last else "|   "), n == len(kids) - 1, False)

    walk(0, "", True, True)
    return "\n".join(lines)


def _info(r: InfoReport, degrees: bool) -> list[str]:
    robot, unit = r.robot, _angle_unit(degrees)
    out = [
        f"robot {robot.name!r}" + (f" from {robot.urdf_path}" if robot.urdf_path else ""),
        f"  nq = {robot.nq}, nv = {robot.nv} (degrees of freedom), {len(robot.joint_names)} moving joints",
        f"joints (limits in {unit} or m; velocity limits in {unit}/s or m/s):",
    ]
    width = max((len(j["name"]) for j in r.joints), default=4)
    out.append(f"  {'name':{width}s}  {'kind':10s} {'q':>3s} {'lower':>10s} {'upper':>10s} {'velocity':>9s}")
    for j in r.joints:
        head = f"  {j['name']:{width}s}  {j['kind']:10s}"
        if j["kind"] == "mimic":
            out.append(f"{head} {'-':>3s}  follows {j['mimicked']}")
        elif j["nq"] == 1:
            conv = math.degrees if degrees and j["kind"] in ANGULAR else float
            lo, hi, vel = conv(j["lower"][0]), conv(j["upper"][0]), conv(j["velocity_limit"][0])
            out.append(f"{head} {j['idx_q']:3d} {lo:10.4f} {hi:10.4f} {vel:9.4g}")
        else:
            what = "angle" if j["kind"] == "continuous" else "coordinates"
            out.append(f"{head} {j['idx_q']:3d}  q[{j['idx_q']}:{j['idx_q'] + j['nq']}], unbounded {what}")
    out.append(f"leaf frames: {', '.join(r.leaf_frames)}")
    out.append(f"kinematic tree ({len(r.frames)} frames; [kind] marks joint frames):")
    out.append(_tree(robot))
    return out


def _fk(r: FkReport, degrees: bool) -> list[str]:
    out = [f"robot {r.robot.name!r} at", _joint_lines(r.robot, r.q, degrees)]
    for name, p in r.frames.items():
        rpy = np.degrees(p["rpy"]) if degrees else p["rpy"]
        out += [
            f"frame {name!r} (T_world_frame):",
            f"  xyz [m]          {fmt_vec(p['xyz'])}",
            f"  rpy [{_angle_unit(degrees)}]        {fmt_vec(rpy)}",
            f"  quat (x y z w)   {fmt_vec(p['quat_xyzw'])}",
            *(f"    {fmt_vec(row)}" for row in p["T_world_frame"]),
        ]
    return out


def _jacobian(r: JacobianReport, degrees: bool) -> list[str]:
    return [
        f"Jacobian of frame {r.frame!r} of {r.robot.name!r}, reference {r.reference} (6 x {r.robot.nv}):",
        "  rows [vx vy vz] in m/s and [wx wy wz] in rad/s per unit joint velocity; columns:",
        *(f"    {k:3d} {name}" for k, name in enumerate(r.columns)),
        *(f"  {label}  {fmt_vec(row, '9.5f')}" for label, row in zip(r.rows, r.J)),
    ]


def _doctor(r: DoctorReport, degrees: bool) -> list[str]:
    robot, check = r.robot, r.derivative_check
    kinds = collections.Counter(j.kind for j in robot.joints)
    out = [
        f"loaded {robot.name!r} from {robot.urdf_path}: nq = {robot.nq}, nv = {robot.nv}, "
        f"joints: {', '.join(f'{n} {k}' for k, n in kinds.items())}, {len(robot.frame_names)} frames",
        *(f"{f.severity}: {f.message}" for f in r.findings),
    ]
    if not r.findings:
        out.append("no problems found in the URDF")
    for frame, s in r.ik_structure.items():  # every IK solution by closed forms (kinejac ik --all)
        out.append(f"IK structure of {frame!r}: {s['description']}")
    w = check["frames"][check["worst_frame"]]
    out.append(
        f"derivative check of the Jacobian engine ({r.samples} configuration(s) per frame, "
        f"frames: {', '.join(r.checked)}):"
    )
    out.append(
        f"  worst error {w['error']:.2e} ({w['worst']} at {check['worst_frame']!r}), tolerance {check['tolerance']:g}: "
        f"{'ok' if check['ok'] else 'FAILED'}"
    )
    errors = [f for f in r.findings if f.severity == "error"]
    if errors:
        out.append(f"{len(errors)} error(s) in the URDF: see 'error:' above")
    return out


def _broken_urdf(r: BrokenUrdfReport, degrees: bool) -> list[str]:
    return [
        f"error: {r.findings[0].message}",
        "the URDF cannot be loaded, so the Jacobian engine was not checked on it",
    ]


def _ik(r: IkReport, degrees: bool) -> list[str]:
    if r.success:
        out = [f"solved: frame {r.frame!r} of {r.robot.name!r} reaches the target ({r.reason})"]
    elif r.reason == "collision":
        out = ["no collision-free solution found (collision); the configuration found reaches the target:"]
    else:
        out = [f"no solution found ({r.reason}); the closest configuration found is:"]
    rot = math.degrees(r.rotation_error) if degrees else r.rotation_error
    out += [
        _joint_lines(r.robot, r.q, degrees),
        f"position error {r.position_error:.3e} m, rotation error {rot:.3e} {_angle_unit(degrees)}",
        f"iterations {r.iterations}, restarts {r.restarts}, time {r.time * 1e3:.3f} ms",
    ]
    return out + (_ik_collisions(r) if r.avoiding else [])


def _ik_all(r: IkAllReport, degrees: bool) -> list[str]:
    unit = _angle_unit(degrees)
    held = ", ".join(f"{k}={math.degrees(v) if degrees else v:g}" for k, v in r.fixed.items())
    fixed = f", {held} fixed" if r.fixed else ""
    head = f"frame {r.frame!r} of {r.robot.name!r}{fixed}: {r.structure}"
    if not r.count:
        return [head, f"no solution ({r.reason})"]
    names = r.robot.joint_names
    out = [
        head,
        f"{r.count} solution(s){' (a singular target: representatives of a continuum)' if r.singular else ''}, "
        f"nearest --q0 first; joints [{unit} or m]: {' '.join(names)}",
    ]
    for k, s in enumerate(r.solutions, start=1):
        values = [math.degrees(v) if degrees and r.robot.joint(n).kind in ANGULAR else v for n, v in s["joints"].items()
                  if not isinstance(v, np.ndarray)]  # fmt: skip
        out.append(
            f"  {k:2d}  {fmt_vec(values, '9.5f')}   errors {s['position_error']:.1e} m, "
            f"{math.degrees(s['rotation_error']) if degrees else s['rotation_error']:.1e} {unit}   branch {s['branch']}"
        )
    return [*out, f"time {r.time * 1e6:.1f} us"]


def _ik_collisions(r: IkReport) -> list[str]:
    """What a collision-aware solve avoided, and the exact check's verdict on its answer."""
    what = ["self-collision"] if r.self_collision else []
    if r.obstacles:
        what.append(f"{len(r.obstacles)} obstacle(s) ({', '.join(r.obstacles)})")
    extra = f", clearance {r.clearance:g} m" if r.clearance else ""
    out = [f"collision avoidance: {' and '.join(what)}{extra}"]
    avoided = [p for p in r.collisions or () if r.self_collision or p[1] in r.obstacles]
    if avoided:
        out += _pairs(avoided)
    elif r.clearance and r.closest is not None and r.closest["distance"] < r.clearance:
        out.append(f"no pair collides, but the closest is nearer than the clearance ({r.clearance:g} m)")
    else:
        out.append("collision-free")
    if r.closest is not None:
        a, b = r.closest["pair"]
        out.append(f"closest pair {a} -- {b}: signed distance {r.closest['distance']:.6f} m")
    return out


def _manip(r: ManipReport, degrees: bool) -> list[str]:
    out = [
        f"manipulability of frame {r.frame!r} of {r.robot.name!r} ({r.part} Jacobian rows"
        + (f", length scale {r.length_scale:g} m" if r.part == "full" else "")
        + ") at",
        _joint_lines(r.robot, r.q, degrees),
        *(f"  {measure:13s} {'n/a' if value is None else f'{value:.6g}'}" for measure, value in r.measures.items()),
        *(f"  note: {note}" for note in r.notes),
        f"singular values {fmt_vec(r.singular_values, '.6g')}: rank {r.rank} of {r.generic_rank} generic, "
        f"{'SINGULAR' if r.singular else 'not singular'} (tol {r.tol:g})",
    ]
    for part, e in r.ellipsoids.items():
        unit = "m/s" if part == "translation" else "rad/s"
        out.append(f"{part} velocity ellipsoid (radii in {unit} per unit joint speed; force radii are 1/radius):")
        out += [
            f"  axis {fmt_vec(axis, '9.5f')}   radius {radius:.6g}"
            for axis, radius in zip(e["axes"], e["velocity_radii"])
        ]
    return out


def _workspace(r: WorkspaceReport, degrees: bool) -> list[str]:
    out = [f"{r.samples} samples of frame {r.frame!r} of {r.robot.name!r}, {r.measure} manipulability ({r.part})"]
    if r.filtered:
        out.append(f"  {r.rejected} of {r.drawn} drawn configurations left out: in collision")
    bounds = zip("xyz", r.bounds["min"], r.bounds["max"])
    reach = (f"{axis} {fmt_number(lo, '.3f')} .. {fmt_number(hi, '.3f')}" for axis, lo, hi in bounds)
    w = r.manipulability
    return [
        *out,
        f"  reach [m]     {', '.join(reach)}",
        f"  measure       min {w['min']:.4g}, median {w['median']:.4g}, max {w['max']:.4g}",
        f"  most dexterous at xyz {fmt_vec(r.best['position'], '.3f')} m",
        f"wrote {r.out}" + (f" and {r.png}" if r.png else ""),
    ]


def _reachability(r: ReachabilityReport, degrees: bool) -> list[str]:
    what = "positions only" if r.orientations == "position" else f"{r.orientations} orientations"
    out = [
        f"reachability map of frame {r.frame!r} of {r.robot.name!r}: {r.voxels} voxels of {r.resolution:g} m, {what}",
        f"  reachable voxels {r.reachable_voxels}, mean index in reach {r.mean_index:.3f}",
    ]
    if not r.complete:
        out.append("  interrupted: the map is incomplete (rerun with the same --checkpoint to resume)")
    return [*out, f"  {r.time:.1f} s; wrote {r.out}" + (f" and {r.png}" if r.png else "")]


def _view(r: ViewReport, degrees: bool) -> list[str]:
    return []  # the viewer prints its URL itself


def _collisions(r: CollisionsReport, degrees: bool) -> list[str]:
    what = "self-collision" if r.self_collision else "no self-collision check"
    out = [
        f"robot {r.robot.name!r} ({what}, {r.scene_size} obstacles, {r.checked_pairs} geometry pairs checked) at",
        _joint_lines(r.robot, r.q, degrees),
        *_pairs(r.pairs),
    ]
    if r.clearance is not None:
        a, b = r.clearance["pair"]
        out.append(f"closest pair {a} -- {b}: signed distance {r.clearance['distance']:.6f} m")
    return out


def _srdf(r: SrdfReport, degrees: bool) -> list[str]:
    counts = ", ".join(f"{v} {k}" for k, v in r.pairs.items())
    return [
        f"{r.total} disabled pairs of {r.robot.name!r} from {r.samples} samples (seed {r.seed}): {counts}",
        f"wrote {r.out}",
    ]


_TEXT: dict[type, Callable[[Any, bool], list[str]]] = {
    RobotsReport: _robots,
    InfoReport: _info,
    FkReport: _fk,
    JacobianReport: _jacobian,
    DoctorReport: _doctor,
    BrokenUrdfReport: _broken_urdf,
    IkReport: _ik,
    IkAllReport: _ik_all,
    ManipReport: _manip,
    WorkspaceReport: _workspace,
    ReachabilityReport: _reachability,
    ViewReport: _view,
    CollisionsReport: _collisions,
    SrdfReport: _srdf,
}
