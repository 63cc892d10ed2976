"""The ``kinejac`` command line (also ``python -m kinejac``).

Every subcommand calls the library; nothing here re-implements kinematics. Robots are named as in
:func:`kinejac.load`: a bundled name (``panda``), a ``.urdf`` path or ``erd:NAME``. Options shared by
the subcommands that take a ROBOT: ``--lock J`` (lock joints, repeatable or comma-separated),
``--root-joint {floating,planar}``, ``--package-dir DIR`` (mesh lookup), ``--json``, ``--degrees``.

Configurations (``--q``, ``--q0``) are joint values, in one of two forms:

- a plain list, one value per joint in ``robot.joint_names`` order (commas, spaces and brackets
  are all accepted: ``--q 0 0.5 1``, ``--q 0,0.5,1``, ``--q "[0, 0.5, 1]"``). A continuous joint
  takes one angle (not pinocchio's ``(cos, sin)`` pair); floating/planar base joints take their
  raw coordinates (``x y z qx qy qz qw`` / ``x y cos sin``);
- ``name=value`` pairs (``--q panda_joint2=0.4 panda_joint4=-1.8``); joints not named keep their
  neutral value. A multi-coordinate joint takes its values after the ``=``.

Both are turned into ``q`` with :meth:`kinejac.Robot.from_dict`. When ``--q`` is omitted the
neutral configuration is used (a warning says so when it is outside the joint limits). Angles
are in radians; ``--degrees`` switches the angle inputs (revolute and continuous joints, ``--rpy``)
and the human-readable angle outputs to degrees. ``--json`` output is always in SI units
(m, rad) so scripts need not care about ``--degrees``.

Exit statuses: 0 success; 1 the command ran but its answer is negative (``ik`` found no
solution, ``doctor`` found the URDF broken (a finding of severity ``error``, code
``invalid_urdf``, ``derivative_check`` null) or its derivative check failed, ``collisions`` found
a colliding pair); 2 a usage error (unknown robot, frame or joint, bad numbers, a URDF file that is
missing or, except for ``doctor``, broken, unwritable output file), reported as one line on stderr
``kinejac: error: ...``; with ``--json`` stdout also gets ``{"error": {"type", "message"}}``; 130
Ctrl-C (no traceback).

JSON schemas (keys are stable; 4x4 poses are nested row lists, ``T_world_frame`` maps frame
coordinates into world coordinates; ``rpy`` is roll-pitch-yaw with ``R = Rz(yaw) Ry(pitch)
Rx(roll)``; ``quat_xyzw`` is a unit quaternion; ``null`` stands for an infinite limit):

- ``robots``: ``{"bundled": [{"name", "nq", "nv", "leaf_frames"}], "example_robot_data": [name]}``
- ``info``: ``{"robot", "urdf", "nq", "nv", "joints": [{"name", "kind", "idx_q", "nq", "idx_v",
  "nv", "parent", "mimicked", "lower", "upper", "velocity_limit"}], "frames": [{"name", "type",
  "parent"}], "leaf_frames"}`` (``lower``/``upper`` are lists of the joint's nq coordinates,
  ``velocity_limit`` of its nv; ``parent`` of a frame is its parent frame, ``null`` for ``universe``)
- ``fk``: ``{"robot", "q", "joints", "frames": {name: {"T_world_frame", "xyz", "rpy", "quat_xyzw"}}}``
  where ``q`` is pinocchio's ``(nq,)`` vector and ``joints`` maps joint names to their values
- ``jacobian``: ``{"robot", "q", "joints", "frame", "reference", "rows", "columns", "J"}``, ``J`` is
  ``6 x nv`` (rows ``vx vy vz wx wy wz``, columns the tangent directions named after their joints)
- ``doctor``: ``{"robot", "urdf", "nq", "nv", "findings": [{"severity", "code", "message", "subject"}],
  "derivative_check": {"frames": {name: {"worst", "error", "ok"}}, "worst_frame", "worst_error",
  "tolerance", "ok"}, "ok"}``; ``severity`` is ``error``, ``warning`` or ``note``; ``code`` one of
  ``invalid_urdf`` (the URDF cannot be loaded; ``nq``, ``nv`` and ``derivative_check`` are null),
  ``continuous_limits``, ``mimic``, ``unresolved_mesh``, ``unsupported_mesh``, ``duplicate_frame``,
  ``neutral_outside_limits``, ``no_inertia``
- ``ik``: ``{"robot", "frame", "method", "target": {"xyz", "rpy", "quat_xyzw"}, "success", "reason", "q",
  "joints", "position_error", "rotation_error", "iterations", "restarts", "time", "obstacles",
  "self_collision", "clearance", "collisions", "closest", "url"}`` (``target`` entries are ``null`` when
  not given: ``--xyz`` alone is a position-only target; errors in m and rad, ``time`` in s, ``url`` the
  viewer's page with ``--view``; ``obstacles`` the names of ``--obstacles``' scene, ``clearance`` [m];
  ``collisions`` the answer's colliding pairs ``[[a, b]]`` by the exact check: the pairs avoided, plus
  the self-collisions without ``--self-collision``, ``null`` when nothing was checked (no collision
  geometry and no obstacles); ``closest`` ``{"distance", "pair"}`` the closest avoided pair, ``null``
  without ``--obstacles``/``--self-collision``; reason ``collision``: the answer reaches the target but
  collides or is closer than ``--clearance``)
- ``manip``: ``{"robot", "q", "joints", "frame", "part", "length_scale", "measures": {"yoshikawa",
  "condition", "min_singular", "dynamic"}, "singular_values", "rank", "generic_rank", "singular", "tol",
  "ellipsoids": {"translation" | "rotation": {"center", "axes", "velocity_radii", "force_radii"}}, "notes"}``
  (``axes`` is a list of three unit principal axes in world coordinates; a measure that cannot be
  computed, e.g. ``dynamic`` without inertias, is ``null`` with a note; an infinite force radius is ``null``)
- ``workspace``: ``{"robot", "frame", "samples", "measure", "part", "seed", "out", "png", "bounds": {"min",
  "max"}, "manipulability": {"min", "mean", "median", "max"}, "best": {"position", "manipulability",
  "joints"}}``; the samples themselves are in the ``.npz`` (:meth:`kinejac.Workspace.load`)
- ``reachability``: ``{"robot", "frame", "resolution", "orientations", "voxels", "shape", "bounds": {"min",
  "max"}, "reachable_voxels", "mean_index", "complete", "executor", "time", "out", "png"}`` (``orientations``
  is a count or ``"position"``; ``mean_index`` averages the reachability index over the voxels of the reach
  sphere); the map itself is in the ``.npz`` (:meth:`kinejac.ReachabilityMap.load`)
- ``view``: ``{"robot", "url", "frame", "q", "joints"}``
- ``collisions``: ``{"robot", "q", "joints", "obstacles", "self_collision", "in_collision", "pairs": [[a, b]],
  "clearance": {"distance", "pair", "point_a", "point_b"}}`` (exit status 1 when ``in_collision``;
  ``distance`` in m, negative when penetrating; the witness points in world coordinates)
- ``srdf``: ``{"robot", "out", "samples", "seed", "pairs": {"adjacent", "never", "always"}}`` (counts)

``view`` and ``ik --view`` start a meshcat server on 127.0.0.1 (``--host ADDR`` serves the page
on another address, with a warning), print its URL and keep it alive until Ctrl-C, SIGTERM or
SIGHUP, then stop it (exit status 0); ``--no-wait`` closes it right after drawing (scripts and
tests), ``--open`` opens the browser. The server never outlives the command, even when it is
killed. Ctrl-C anywhere else exits with status 130 and no traceback.
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import os
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pinocchio as pin

from . import __version__
from .check import check_derivatives
from .errors import InvalidValueError, KinejacError, ShapeError, URDFError, URDFNotFound
from .kinematics import jacobian, pose
from .robot import Robot
from .spatial import Reference
from .urdf import available_robots, load

__all__ = ["EXIT_NEGATIVE", "EXIT_OK", "EXIT_USAGE", "build_parser", "leaf_frames", "main", "parse_q"]

EXIT_OK = 0  #: the command succeeded
EXIT_NEGATIVE = 1  #: it ran, but the answer is negative (no IK solution, failed derivative check)
EXIT_USAGE = 2  #: a user mistake: bad arguments, unknown names, broken files

_ANGULAR = ("revolute", "continuous")
_ROWS = ("vx", "vy", "vz", "wx", "wy", "wz")


class _UsageError(Exception):
    """A command-line mistake found by argparse (reported like a KinejacError, exit 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line instead of usage + message
        raise _UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


# -- configurations ------------------------------------------------------------------------------------
def _joint_size(robot: Robot, name: str) -> int:
    """How many numbers a user gives for a joint: 1 for 1-DOF joints, else its raw coordinates."""
    j = robot.joint(name)
    return 1 if j.kind == "continuous" or j.nq == 1 else j.nq


def _number(text: str, what: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise InvalidValueError(f"{what}: {text!r} is not a number") from None
    if not math.isfinite(x):
        raise InvalidValueError(f"{what}: {text!r} is not a finite number")
    return x


def parse_q(robot: Robot, tokens: Sequence[str] | str, *, degrees: bool = False, option: str = "--q") -> np.ndarray:
    """A configuration ``(nq,)`` from command-line joint values (see the module docstring).

    ``tokens``: a plain list of numbers, one per joint in ``robot.joint_names`` order, or
    ``name=value`` pairs; commas, spaces and brackets separate values. ``degrees``: revolute and
    continuous joint values are in degrees. Raises :class:`ShapeError` for a wrong count,
    :class:`InvalidValueError` for something that is not a finite number and
    :class:`~kinejac.JointNotFound` for an unknown joint name.
    """
    text = tokens if isinstance(tokens, str) else " ".join(tokens)
    items = [t for t in re.split(r"[\s,\[\]]+", text) if t]
    if not items:
        raise ShapeError(f"{option} is empty; give {_expected(robot)}")
    named: dict[str, list[str]] = {}
    plain: list[str] = []
    current: list[str] | None = None
    for item in items:
        if "=" in item:
            name, _, value = item.partition("=")
            if name in named:
                raise InvalidValueError(f"{option}: joint {name!r} is given twice")
            joint = robot.joint(name)  # JointNotFound with close matches
            if joint.kind == "mimic":
                raise InvalidValueError(
                    f"{option}: joint {name!r} is a mimic joint following {joint.mimicked!r}; set that one instead"
                )
            current = named[name] = [value] if value else []
        elif current is not None:
            current.append(item)  # more coordinates of a multi-coordinate joint
        else:
            plain.append(item)
    if named and plain:
        raise InvalidValueError(f"{option}: give either a plain list of values or name=value pairs, not both")
    if plain:
        sizes = [_joint_size(robot, n) for n in robot.joint_names]
        if len(plain) != sum(sizes):
            raise ShapeError(f"{option}: robot {robot.name!r} takes {_expected(robot)}; got {len(plain)} value(s)")
        named, pos = {}, 0
        for name, size in zip(robot.joint_names, sizes):
            named[name] = plain[pos : pos + size]
            pos += size
    values: dict[str, float | list[float]] = {}
    for name, texts in named.items():
        size = _joint_size(robot, name)
        if len(texts) != size:
            raise ShapeError(f"{option}: joint {name!r} takes {size} value(s), got {len(texts)}")
        xs = [_number(t, f"{option} {name}") for t in texts]
        if degrees and robot.joint(name).kind in _ANGULAR:
            xs = [math.radians(x) for x in xs]
        values[name] = xs[0] if size == 1 else xs
    return robot.from_dict(values)


def _expected(robot: Robot) -> str:
    n = sum(_joint_size(robot, name) for name in robot.joint_names)
    names = " ".join(robot.joint_names[:12]) + (" ..." if len(robot.joint_names) > 12 else "")
    return f"{n} value(s), one per joint in this order: {names} (or name=value pairs)"


def _config(robot: Robot, args: argparse.Namespace, attr: str = "q", option: str = "--q") -> np.ndarray:
    tokens = getattr(args, attr, None)
    if tokens is None:
        q = robot.neutral()
        if not robot.within_limits(q):
            _warn(f"{option} not given: using the neutral configuration, which is outside the joint limits")
        return q
    q = parse_q(robot, tokens, degrees=args.degrees, option=option)
    if not robot.within_limits(q):
        _warn(f"{option} is outside the joint limits: {_limit_violations(robot, q, args.degrees)}")
    return q


def _limit_violations(robot: Robot, q: np.ndarray, degrees: bool) -> str:
    bad = []
    for j in robot.joints:
        for k in range(j.idx_q, j.idx_q + j.nq):
            if not robot.lower[k] - 1e-9 <= q[k] <= robot.upper[k] + 1e-9:
                conv = math.degrees if degrees and j.kind in _ANGULAR else float
                lo, hi = conv(robot.lower[k]), conv(robot.upper[k])
                bad.append(f"{j.name} = {conv(q[k]):.4g} not in [{lo:.4g}, {hi:.4g}]")
    return "; ".join(bad)


def _joint_values(robot: Robot, q: np.ndarray) -> dict[str, float | list[float]]:
    return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in robot.to_dict(q).items()}


def _fmt_joints(robot: Robot, q: np.ndarray, degrees: bool) -> list[str]:
    width = max(map(len, robot.joint_names), default=0)
    lines = []
    for name, value in robot.to_dict(q).items():
        kind = robot.joint(name).kind
        if isinstance(value, np.ndarray):
            lines.append(f"  {name:{width}s}  {_fmt_vec(value, '.6g')}  ({kind} coordinates)")
        elif kind in _ANGULAR:
            unit = "deg" if degrees else "rad"
            lines.append(f"  {name:{width}s}  {_fmt_number(math.degrees(value) if degrees else value, '10.6f')} {unit}")
        else:
            lines.append(f"  {name:{width}s}  {_fmt_number(value, '10.6f')} m")
    return lines


# -- frames --------------------------------------------------------------------------------------------
def leaf_frames(robot: Robot) -> list[str]:
    """Frames no other frame hangs from (end effectors, tool tips, fingertips), in model order."""
    frames = robot.model.frames
    parents = {int(f.parentFrame) for i, f in enumerate(frames) if i > 0}
    return [f.name for i, f in enumerate(frames) if i > 0 and i not in parents]


def _frame_type(robot: Robot, i: int) -> str:
    f = robot.model.frames[i]
    kind = str(f.type).rsplit(".", 1)[-1].lower()  # body, joint, fixed_joint, op_frame, sensor
    if kind == "joint":
        return robot.joint(f.name).kind
    return {"fixed_joint": "fixed", "op_frame": "frame"}.get(kind, kind)


def _pose_dict(T: np.ndarray) -> dict[str, list]:
    R = T[:3, :3]
    return {
        "T_world_frame": T.tolist(),
        "xyz": T[:3, 3].tolist(),
        "rpy": pin.rpy.matrixToRpy(R).tolist(),
        "quat_xyzw": pin.Quaternion(R).coeffs().tolist(),
    }


def _fmt_number(x: float, fmt: str) -> str:
    """``x`` formatted with ``fmt``, never as a negative zero (``-0.00000`` prints as ``0.00000``)."""
    text = f"{float(x):{fmt}}"
    if text.lstrip().startswith("-") and float(text) == 0.0:
        text = f"{0.0:{fmt}}"
    return text


def _fmt_vec(xs: Sequence[float], fmt: str = "10.6f") -> str:
    return " ".join(_fmt_number(x, fmt) for x in xs)


def _rotation_from_args(args: argparse.Namespace) -> np.ndarray | None:
    """The rotation matrix given by ``--rpy`` or ``--quat`` (or None)."""
    if getattr(args, "rpy", None) is not None:
        rpy = [_number(t, "--rpy") for t in args.rpy]
        if args.degrees:
            rpy = [math.radians(a) for a in rpy]
        return pin.rpy.rpyToMatrix(*rpy)
    if getattr(args, "quat", None) is not None:
        xyzw = np.array([_number(t, "--quat") for t in args.quat])
        norm = np.linalg.norm(xyzw)
        if abs(norm - 1.0) > 1e-3:
            raise InvalidValueError(f"--quat (x y z w) must be a unit quaternion, got norm {norm:.6g}")
        return pin.Quaternion(*(xyzw[[3, 0, 1, 2]] / norm)).toRotationMatrix()
    return None


# -- output --------------------------------------------------------------------------------------------
def _warn(message: str) -> None:
    print(f"kinejac: warning: {message}", file=sys.stderr)


def _json_clean(x: Any) -> Any:
    """Numpy values to plain Python, infinities to None (JSON has no inf)."""
    if isinstance(x, dict):
        return {str(k): _json_clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_clean(v) for v in x]
    if isinstance(x, np.ndarray):
        return _json_clean(x.tolist())
    if isinstance(x, (np.floating, float)):
        return float(x) if math.isfinite(x) else None
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def _emit_json(payload: dict) -> None:
    print(json.dumps(_json_clean(payload), allow_nan=False))


def _robot(args: argparse.Namespace) -> Robot:
    locked = [n for item in args.lock or () for n in item.split(",") if n]
    return load(
        args.robot,
        root_joint=args.root_joint,
        locked_joints=locked or None,
        package_dirs=args.package_dir,
        srdf=args.srdf,
    )


# -- subcommands -----------------------------------------------------------------------------------------
def _cmd_robots(args: argparse.Namespace) -> int:
    names = available_robots()
    bundled = []
    for name in (n for n in names if not n.startswith("erd:")):
        robot = load(name)
        bundled.append({"name": name, "nq": robot.nq, "nv": robot.nv, "leaf_frames": leaf_frames(robot)})
    erd = [n for n in names if n.startswith("erd:")]
    if args.json:
        _emit_json({"bundled": bundled, "example_robot_data": erd})
        return EXIT_OK
    print("bundled robots:")
    width = max(len(b["name"]) for b in bundled)
    for b in bundled:
        print(f"  {b['name']:{width}s}  nq={b['nq']:<2d} nv={b['nv']:<2d} leaf frames: {', '.join(b['leaf_frames'])}")
    if erd:
        print(f"example-robot-data models ({len(erd)}):")
        print("  " + " ".join(erd))
    else:
        print("example-robot-data is not installed (pip install 'kinejac[robots]' for its models)")
    return EXIT_OK


def _tree_lines(robot: Robot) -> list[str]:
    frames = robot.model.frames
    children: dict[int, list[int]] = collections.defaultdict(list)
    for i, f in enumerate(frames):
        if i > 0:
            children[int(f.parentFrame)].append(i)
    lines: list[str] = []

    def walk(i: int, prefix: str, last: bool, root: bool) -> None:
        kind = _frame_type(robot, i)
        tag = "" if kind == "body" or i == 0 else f"  [{kind}]"
        lines.append(("  " if root else "  " + prefix + ("`-- " if last else "|-- ")) + frames[i].name + tag)
        kids = children.get(i, [])
        for n, k in enumerate(kids):
            walk(k, "" if root else prefix + ("    " if last else "|   "), n == len(kids) - 1, False)

    walk(0, "", True, True)
    return lines


def _cmd_info(args: argparse.Namespace) -> int:
    robot = _robot(args)
    frames = robot.model.frames
    joints = []
    for j in robot.joints:
        sq, sv = slice(j.idx_q, j.idx_q + j.nq), slice(j.idx_v, j.idx_v + j.nv)
        joints.append(
            {
                "name": j.name,
                "kind": j.kind,
                "idx_q": j.idx_q,
                "nq": j.nq,
                "idx_v": j.idx_v,
                "nv": j.nv,
                "parent": j.parent,
                "mimicked": j.mimicked,
                "lower": robot.lower[sq].tolist(),
                "upper": robot.upper[sq].tolist(),
                "velocity_limit": robot.velocity_limit[sv].tolist(),
            }
        )
    frame_list = [
        {"name": f.name, "type": _frame_type(robot, i), "parent": frames[int(f.parentFrame)].name if i else None}
        for i, f in enumerate(frames)
    ]
    leaves = leaf_frames(robot)
    if args.json:
        _emit_json(
            {
                **_robot_summary(robot),
                "joints": joints,
                "frames": frame_list,
                "leaf_frames": leaves,
            }
        )
        return EXIT_OK
    print(f"robot {robot.name!r}" + (f" from {robot.urdf_path}" if robot.urdf_path else ""))
    print(f"  nq = {robot.nq}, nv = {robot.nv} (degrees of freedom), {len(robot.joint_names)} moving joints")
    unit = "deg" if args.degrees else "rad"
    print(f"joints (limits in {unit} or m; velocity limits in {unit}/s or m/s):")
    width = max((len(j["name"]) for j in joints), default=4)
    print(f"  {'name':{width}s}  {'kind':10s} {'q':>3s} {'lower':>10s} {'upper':>10s} {'velocity':>9s}")
    for j in joints:
        if j["kind"] == "mimic":
            print(f"  {j['name']:{width}s}  {'mimic':10s} {'-':>3s}  follows {j['mimicked']}")
            continue
        conv = math.degrees if args.degrees and j["kind"] in _ANGULAR else float
        if j["nq"] == 1:
            lo, hi, vel = conv(j["lower"][0]), conv(j["upper"][0]), conv(j["velocity_limit"][0])
            print(f"  {j['name']:{width}s}  {j['kind']:10s} {j['idx_q']:3d} {lo:10.4f} {hi:10.4f} {vel:9.4g}")
        else:
            print(
                f"  {j['name']:{width}s}  {j['kind']:10s} {j['idx_q']:3d}  q[{j['idx_q']}:{j['idx_q'] + j['nq']}], "
                f"unbounded {'angle' if j['kind'] == 'continuous' else 'coordinates'}"
            )
    print(f"leaf frames: {', '.join(leaves)}")
    print(f"kinematic tree ({len(frames)} frames; [kind] marks joint frames):")
    print("\n".join(_tree_lines(robot)))
    return EXIT_OK


def _cmd_fk(args: argparse.Namespace) -> int:
    robot = _robot(args)
    names = args.frame or leaf_frames(robot)
    for name in names:
        robot.frame_id(name)
    q = _config(robot, args)
    frames = {name: _pose_dict(pose(robot, q, name)) for name in names}
    if args.json:
        _emit_json({"robot": robot.name, "q": q, "joints": _joint_values(robot, q), "frames": frames})
        return EXIT_OK
    unit = "deg" if args.degrees else "rad"
    print(f"robot {robot.name!r} at")
    print("\n".join(_fmt_joints(robot, q, args.degrees)))
    for name, p in frames.items():
        rpy = np.degrees(p["rpy"]) if args.degrees else p["rpy"]
        print(f"frame {name!r} (T_world_frame):")
        print(f"  xyz [m]          {_fmt_vec(p['xyz'])}")
        print(f"  rpy [{unit}]        {_fmt_vec(rpy)}")
        print(f"  quat (x y z w)   {_fmt_vec(p['quat_xyzw'])}")
        for row in p["T_world_frame"]:
            print(f"    {_fmt_vec(row)}")
    return EXIT_OK


def _tangent_names(robot: Robot) -> list[str]:
    names = [""] * robot.nv
    for j in robot.joints:
        for k in range(j.nv):
            names[j.idx_v + k] = j.name if j.nv == 1 else f"{j.name}[{k}]"
    return names


def _cmd_jacobian(args: argparse.Namespace) -> int:
    robot = _robot(args)
    robot.frame_id(args.frame)
    q = _config(robot, args)
    ref = Reference(args.reference)
    J = jacobian(robot, q, args.frame, ref)
    columns = _tangent_names(robot)
    if args.json:
        _emit_json(
            {
                "robot": robot.name,
                "q": q,
                "joints": _joint_values(robot, q),
                "frame": args.frame,
                "reference": ref.value,
                "rows": list(_ROWS),
                "columns": columns,
                "J": J,
            }
        )
        return EXIT_OK
    print(f"Jacobian of frame {args.frame!r} of {robot.name!r}, reference {ref.value} (6 x {robot.nv}):")
    print("  rows [vx vy vz] in m/s and [wx wy wz] in rad/s per unit joint velocity; columns:")
    for k, name in enumerate(columns):
        print(f"    {k:3d} {name}")
    for label, row in zip(_ROWS, J):
        print(f"  {label}  {_fmt_vec(row, '9.5f')}")
    return EXIT_OK


# -- doctor --------------------------------------------------------------------------------------------
def _urdf_findings(robot: Robot) -> list[dict[str, str]]:
    """What in a (loadable) URDF would surprise a user; see the module docstring for the codes."""
    findings: list[dict[str, str]] = []

    def add(severity: str, code: str, subject: str, message: str) -> None:
        findings.append({"severity": severity, "code": code, "subject": subject, "message": message})

    root = ET.parse(robot.urdf_path).getroot() if robot.urdf_path else None
    if root is not None:
        for el in root.findall("joint"):
            limit = el.find("limit")
            bounded = limit is not None and ("lower" in limit.attrib or "upper" in limit.attrib)
            if el.get("type") == "continuous" and bounded:
                add(
                    "warning",
                    "continuous_limits",
                    el.get("name", ""),
                    f"continuous joint {el.get('name')!r} declares position limits "
                    f"[{limit.get('lower', '-')}, {limit.get('upper', '-')}], which are ignored (a continuous joint "
                    "is unbounded); make it a revolute joint if the limits matter",
                )
            mimic = el.find("mimic")
            if mimic is not None:
                add(
                    "note",
                    "mimic",
                    el.get("name", ""),
                    f"joint {el.get('name')!r} mimics {mimic.get('joint')!r} (x {mimic.get('multiplier', '1')} + "
                    f"{mimic.get('offset', '0')}): it has no coordinate of its own in q",
                )
        from .viewer import MESH_FORMATS, resolve_mesh_path  # what the viewer will draw (no meshcat import)

        seen: set[str] = set()
        for mesh in root.iter("mesh"):
            filename = mesh.get("filename", "")
            if filename in seen:
                continue
            seen.add(filename)
            found, looked = resolve_mesh_path(filename, robot.urdf_path.parent, robot.package_dirs)
            if found is None:
                places = ", ".join(dict.fromkeys(str(c) for c in looked[:4])) or "nowhere"
                add(
                    "warning",
                    "unresolved_mesh",
                    filename,
                    f"mesh {filename!r} not found (looked at: {places}); the viewer cannot draw it "
                    "(pass --package-dir DIR for package:// paths)",
                )
            elif found.suffix.lower() not in MESH_FORMATS:
                add(
                    "warning",
                    "unsupported_mesh",
                    filename,
                    f"mesh {filename!r} is a {found.suffix} file; the viewer draws {', '.join(MESH_FORMATS)} only",
                )
        massless = []
        for link in root.findall("link"):
            mass = link.find("inertial/mass")
            try:
                value = float(mass.get("value", "0")) if mass is not None else 0.0
            except ValueError:
                value = 0.0
            if value <= 0:
                massless.append(link.get("name", ""))
        if massless:
            add(
                "note",
                "no_inertia",
                ", ".join(massless),
                f"{len(massless)} link(s) without mass or inertia ({', '.join(massless[:6])}"
                f"{', ...' if len(massless) > 6 else ''}): harmless for kinematics, matters for dynamics",
            )
    counts = collections.Counter(robot.frame_names)
    for name, n in counts.items():
        if n > 1:
            add(
                "warning",
                "duplicate_frame",
                name,
                f"{n} frames are named {name!r} (a link and a joint share the name?); looking it up gives "
                "only one of them",
            )
    if not robot.within_limits(robot.neutral()):
        add(
            "note",
            "neutral_outside_limits",
            robot.name,
            f"the neutral configuration (all zeros) is outside the joint limits: "
            f"{_limit_violations(robot, robot.neutral(), False)}",
        )
    return findings


def _doctor_broken_urdf(args: argparse.Namespace, exc: URDFError) -> int:
    """``doctor`` on a URDF that cannot be loaded: the reason is its finding (exit 1)."""
    path = Path(args.robot)
    urdf = str(path.resolve()) if path.is_file() else None
    finding = {"severity": "error", "code": "invalid_urdf", "subject": urdf or args.robot, "message": str(exc)}
    if args.json:
        _emit_json(
            {
                "robot": args.robot,
                "urdf": urdf,
                "nq": None,
                "nv": None,
                "findings": [finding],
                "derivative_check": None,
                "ok": False,
            }
        )
        return EXIT_NEGATIVE
    print(f"error: {finding['message']}")
    print("the URDF cannot be loaded, so the Jacobian engine was not checked on it")
    return EXIT_NEGATIVE


def _robot_summary(robot) -> dict:
    """The JSON keys that name a robot: ``robot``, ``urdf``, ``nq``, ``nv``."""
    return {
        "robot": robot.name,
        "urdf": str(robot.urdf_path) if robot.urdf_path else None,
        "nq": robot.nq,
        "nv": robot.nv,
    }


def _cmd_doctor(args: argparse.Namespace) -> int:
    try:
        robot = _robot(args)
    except URDFError as exc:
        if isinstance(exc, URDFNotFound):  # no file to examine: a usage error
            raise
        return _doctor_broken_urdf(args, exc)
    findings = _urdf_findings(robot)
    frames = args.frame or leaf_frames(robot) or [robot.frame_names[-1]]
    reports = {f: check_derivatives(robot, f, samples=args.samples, rng=args.seed, tol=args.tol) for f in frames}
    checks = {f: {"worst": r.worst[0], "error": r.worst[1], "ok": r.ok} for f, r in reports.items()}
    worst_frame = max(checks, key=lambda f: checks[f]["error"])
    ok = all(c["ok"] for c in checks.values())
    if args.json:
        _emit_json(
            {
                **_robot_summary(robot),
                "findings": findings,
                "derivative_check": {
                    "frames": checks,
                    "worst_frame": worst_frame,
                    "worst_error": checks[worst_frame]["error"],
                    "tolerance": args.tol,
                    "ok": ok,
                },
                "ok": ok,
            }
        )
        return EXIT_OK if ok else EXIT_NEGATIVE
    kinds = collections.Counter(j.kind for j in robot.joints)
    print(
        f"loaded {robot.name!r} from {robot.urdf_path}: nq = {robot.nq}, nv = {robot.nv}, "
        f"joints: {', '.join(f'{n} {k}' for k, n in kinds.items())}, {len(robot.frame_names)} frames"
    )
    for f in findings:
        print(f"{f['severity']}: {f['message']}")
    if not findings:
        print("no problems found in the URDF")
    w = checks[worst_frame]
    print(
        f"derivative check of the Jacobian engine ({args.samples} configuration(s) per frame, "
        f"frames: {', '.join(frames)}):"
    )
    print(
        f"  worst error {w['error']:.2e} ({w['worst']} at {worst_frame!r}), tolerance {args.tol:g}: "
        f"{'ok' if ok else 'FAILED'}"
    )
    return EXIT_OK if ok else EXIT_NEGATIVE


# -- inverse kinematics, manipulability, workspace, viewer (imported when used) ----------------------------
def _target_from_args(args: argparse.Namespace) -> tuple[np.ndarray, dict[str, Any]]:
    """The IK target (a ``(3,)`` position, ``(3, 3)`` rotation or ``(4, 4)`` pose) and its JSON form."""
    xyz = None if args.xyz is None else np.array([_number(t, "--xyz") for t in args.xyz])
    R = _rotation_from_args(args)
    if xyz is None and R is None:
        raise _UsageError("kinejac ik: give the target with --xyz X Y Z and/or --rpy R P Y or --quat X Y Z W")
    described = {
        "xyz": None if xyz is None else xyz.tolist(),
        "rpy": None if R is None else pin.rpy.matrixToRpy(R).tolist(),
        "quat_xyzw": None if R is None else pin.Quaternion(R).coeffs().tolist(),
    }
    if R is None:
        return xyz, described
    if xyz is None:
        return R, described
    T = np.eye(4)
    T[:3, :3], T[:3, 3] = R, xyz
    return T, described


def _open_viewer(robot: Robot, args: argparse.Namespace):
    import warnings

    from .viewer import Viewer

    try:
        with warnings.catch_warnings(record=True) as caught:  # the active filters apply
            viewer = Viewer(robot, zmq_url=args.zmq_url, host=args.host, open=args.open, quiet=args.json)
    except ImportError as exc:  # meshcat missing
        raise KinejacError(str(exc)) from None
    finally:
        for w in caught:
            _warn(str(w.message))
    return viewer


def _wait(viewer, args: argparse.Namespace) -> None:
    """Keep the viewer's server alive until Ctrl-C, SIGTERM or SIGHUP (or return at once with --no-wait)."""
    if not args.no_wait:
        viewer.wait()
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():  # the user asked to quit: a second
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C while the viewer closes changes nothing


def _cmd_ik(args: argparse.Namespace) -> int:
    from .ik import solve_ik

    robot = _robot(args)
    robot.frame_id(args.frame)
    target, described = _target_from_args(args)
    q0 = None if args.q0 is None else _config(robot, args, "q0", "--q0")
    options: dict[str, Any] = {"history": bool(args.view)}
    for name in ("timeout", "max_restarts"):
        if getattr(args, name) is not None:
            options[name] = getattr(args, name)
    scene, checker = _ik_collision_options(robot, args, options)
    result = solve_ik(robot, target, args.frame, q0=q0, method=args.method, seed=args.seed, **options)
    check = _ik_collision_check(robot, args, checker, result.q)
    viewer = _open_viewer(robot, args) if args.view else None
    try:
        if viewer is not None:
            _draw_ik(viewer, target, args.frame, result, scene)
        if args.json:
            _emit_json(
                {
                    "robot": robot.name,
                    "frame": args.frame,
                    "method": args.method,
                    "target": described,
                    "success": result.success,
                    "reason": result.reason.value,
                    "q": result.q,
                    "joints": _joint_values(robot, result.q),
                    "position_error": result.position_error,
                    "rotation_error": result.rotation_error,
                    "iterations": result.iterations,
                    "restarts": result.restarts,
                    "time": result.time,
                    "obstacles": list(checker.obstacle_names) if checker is not None else [],
                    "self_collision": bool(args.self_collision),
                    "clearance": args.clearance or 0.0,
                    "collisions": check["collisions"],
                    "closest": check["closest"],
                    "url": viewer.url if viewer else None,
                }
            )
        else:
            if result.success:
                print(f"solved: frame {args.frame!r} of {robot.name!r} reaches the target ({result.reason.value})")
            elif result.reason.value == "collision":
                print("no collision-free solution found (collision); the configuration found reaches the target:")
            else:
                print(f"no solution found ({result.reason.value}); the closest configuration found is:")
            print("\n".join(_fmt_joints(robot, result.q, args.degrees)))
            rot = math.degrees(result.rotation_error) if args.degrees else result.rotation_error
            unit = "deg" if args.degrees else "rad"
            print(f"position error {result.position_error:.3e} m, rotation error {rot:.3e} {unit}")
            print(f"iterations {result.iterations}, restarts {result.restarts}, time {result.time * 1e3:.3f} ms")
            if checker is not None:
                _print_ik_collisions(args, checker, check)
        if viewer is not None:
            _wait(viewer, args)
    finally:
        if viewer is not None:
            viewer.close()
    return EXIT_OK if result.success else EXIT_NEGATIVE


def _ik_collision_options(robot: Robot, args: argparse.Namespace, options: dict[str, Any]):
    """Put ``--obstacles``, ``--self-collision`` and ``--clearance`` into the solver ``options``;
    returns the scene and the exact checker of what the solve avoids (``None`` without them)."""
    if args.clearance is not None and not (args.obstacles or args.self_collision):
        raise InvalidValueError("--clearance needs --obstacles SCENE.json and/or --self-collision")
    if not (args.obstacles or args.self_collision):
        return (), None
    from .collision import CollisionChecker, load_scene

    scene = load_scene(args.obstacles) if args.obstacles else ()
    options.update(obstacles=scene, self_collision=bool(args.self_collision))
    if args.clearance is not None:
        options["clearance"] = args.clearance
    return scene, CollisionChecker(robot, scene, self_collision=bool(args.self_collision))


def _ik_collision_check(robot: Robot, args: argparse.Namespace, checker, q: np.ndarray) -> dict[str, Any]:
    """The exact check of the answer: ``collisions`` (pairs, or ``None`` when nothing was checked)
    and ``closest`` (the closest checked pair, with ``checker``). Without ``--self-collision``, a
    robot with collision geometry is checked for self-collision and a warning names the pairs."""
    found: list[tuple[str, str]] = []
    closest = None
    checked = checker is not None
    if checker is not None:
        found = checker.collisions(q)
        c = checker.clearance(q)
        if c.pair is not None:
            closest = {"distance": c.distance, "pair": list(c.pair)}
    if not args.self_collision and robot.has_collision_geometry:
        from .collision import collisions

        checked = True
        own = collisions(robot, q)  # the first call without an SRDF generates the disabled pairs (1-3 s)
        if own:
            _warn(
                f"the answer self-collides: {', '.join(f'{a} -- {b}' for a, b in own)}; "
                "pass --self-collision to avoid it"
            )
        found = found + [p for p in own if p not in found]
    return {"collisions": [list(p) for p in found] if checked else None, "closest": closest}


def _print_ik_collisions(args: argparse.Namespace, checker, check: dict[str, Any]) -> None:
    """The text lines of a collision-aware solve: what was avoided and the exact check's verdict."""
    what = ["self-collision"] if args.self_collision else []
    if checker.obstacle_names:
        what.append(f"{len(checker.obstacle_names)} obstacle(s) ({', '.join(checker.obstacle_names)})")
    extra = f", clearance {args.clearance:g} m" if args.clearance else ""
    print(f"collision avoidance: {' and '.join(what)}{extra}")
    avoided = [p for p in check["collisions"] if args.self_collision or p[1] in checker.obstacle_names]
    if avoided:
        print(f"IN COLLISION: {len(avoided)} pair(s)")
        for a, b in avoided:
            print(f"  {a} -- {b}")
    elif args.clearance and check["closest"] is not None and check["closest"]["distance"] < args.clearance:
        print(f"no pair collides, but the closest is nearer than the clearance ({args.clearance:g} m)")
    else:
        print("collision-free")
    if check["closest"] is not None:
        a, b = check["closest"]["pair"]
        print(f"closest pair {a} -- {b}: signed distance {check['closest']['distance']:.6f} m")


def _draw_ik(viewer, target: np.ndarray, frame: str, result, scene=()) -> None:
    """The target (a triad; at the solution's frame origin for an orientation-only target), the
    obstacles, the solver's iterates as an animation, and the solution."""
    T = target
    if target.shape == (3,):
        T = np.eye(4)
        T[:3, 3] = target
    elif target.shape == (3, 3):
        T = pose(viewer.robot, result.q, frame).copy()
        T[:3, :3] = target
    viewer.show_target(T)
    viewer.show_frames([frame])
    if scene:
        viewer.show_obstacles(scene)
    if result.history is not None and len(result.history) > 1:
        viewer.play(result.history, dt=0.2, wait=False)  # the page plays it; a page opened later too
    viewer.show(result.q)


def _cmd_manip(args: argparse.Namespace) -> int:
    from .dexterity import MEASURES, force_ellipsoid, manipulability, singularity, velocity_ellipsoid

    robot = _robot(args)
    robot.frame_id(args.frame)
    q = _config(robot, args)
    measures: dict[str, float | None] = {}
    notes: list[str] = []
    for measure in MEASURES:
        try:
            measures[measure] = manipulability(
                robot, q, args.frame, measure=measure, part=args.part, length_scale=args.length_scale
            )
        except KinejacError as exc:  # e.g. the dynamic measure of a robot without inertias
            if measure != "dynamic":
                raise
            measures[measure] = None
            notes.append(f"{measure}: {exc}")
    report = singularity(robot, q, args.frame, args.tol, part=args.part, length_scale=args.length_scale)
    ellipsoids = {}
    for part in ("translation", "rotation"):
        vel, force = velocity_ellipsoid(robot, q, args.frame, part), force_ellipsoid(robot, q, args.frame, part)
        ellipsoids[part] = {
            "center": vel.center,
            "axes": vel.axes.T,
            "velocity_radii": vel.radii,
            "force_radii": force.radii,
        }
    if args.json:
        _emit_json(
            {
                "robot": robot.name,
                "q": q,
                "joints": _joint_values(robot, q),
                "frame": args.frame,
                "part": args.part,
                "length_scale": args.length_scale,
                "measures": measures,
                "singular_values": report.singular_values,
                "rank": report.rank,
                "generic_rank": report.generic_rank,
                "singular": report.singular,
                "tol": args.tol,
                "ellipsoids": ellipsoids,
                "notes": notes,
            }
        )
        return EXIT_OK
    print(
        f"manipulability of frame {args.frame!r} of {robot.name!r} ({args.part} Jacobian rows"
        + (f", length scale {args.length_scale:g} m" if args.part == "full" else "")
        + ") at"
    )
    print("\n".join(_fmt_joints(robot, q, args.degrees)))
    for measure, value in measures.items():
        print(f"  {measure:13s} {'n/a' if value is None else f'{value:.6g}'}")
    for note in notes:
        print(f"  note: {note}")
    state = "SINGULAR" if report.singular else "not singular"
    print(
        f"singular values {_fmt_vec(report.singular_values, '.6g')}: rank {report.rank} of {report.generic_rank} "
        f"generic, {state} (tol {args.tol:g})"
    )
    for part, e in ellipsoids.items():
        unit = "m/s" if part == "translation" else "rad/s"
        print(f"{part} velocity ellipsoid (radii in {unit} per unit joint speed; force radii are 1/radius):")
        for axis, radius in zip(e["axes"], e["velocity_radii"]):
            print(f"  axis {_fmt_vec(axis, '9.5f')}   radius {radius:.6g}")
    return EXIT_OK


def _cmd_workspace(args: argparse.Namespace) -> int:
    from .workspace_map import workspace

    robot = _robot(args)
    robot.frame_id(args.frame)
    if args.samples < 1:
        raise InvalidValueError(f"--samples must be a positive integer, got {args.samples}")
    out = Path(args.out)
    if not out.parent.is_dir():
        raise InvalidValueError(f"--out: folder {str(out.parent)!r} does not exist")
    if args.png:  # checked before the sampling, which can take minutes
        if not Path(args.png).parent.is_dir():
            raise InvalidValueError(f"--png: folder {str(Path(args.png).parent)!r} does not exist")
        try:
            import matplotlib.backends.backend_agg  # noqa: F401
        except ImportError as exc:
            raise KinejacError(
                f"--png needs matplotlib, which cannot be imported ({exc}): pip install matplotlib "
                "(nothing was computed)"
            ) from None
    progress = sys.stderr.isatty() and not args.no_progress
    client = _client(args)
    ws = workspace(
        robot,
        args.frame,
        samples=args.samples,
        rng=args.seed,
        measure=args.measure,
        part=args.part,
        chunk=args.chunk,
        progress=progress,
        self_collision=args.self_collision,
        obstacles=args.obstacles or (),
        client=client,
        workers=args.workers,
    )
    written = ws.save(out)
    png = ws.plot_png(args.png, plane=args.plane) if args.png else None
    w = ws.manipulability
    best = int(ws.best(1)[0])
    summary = {
        "robot": robot.name,
        "frame": args.frame,
        "samples": len(ws),
        "rejected": ws.rejected,
        "measure": ws.measure,
        "part": ws.part,
        "seed": args.seed,
        "out": str(written),
        "png": None if png is None else str(png),
        "bounds": {"min": ws.bounds[0], "max": ws.bounds[1]},
        "manipulability": {"min": w.min(), "mean": w.mean(), "median": float(np.median(w)), "max": w.max()},
        "best": {
            "position": ws.positions[best],
            "manipulability": w[best],
            "joints": _joint_values(robot, ws.configurations[best]),
        },
    }
    if args.json:
        _emit_json(summary)
        return EXIT_OK
    print(f"{len(ws)} samples of frame {args.frame!r} of {robot.name!r}, {ws.measure} manipulability ({ws.part})")
    if args.self_collision or args.obstacles:
        print(f"  {ws.rejected} of {args.samples} drawn configurations left out: in collision")
    reach = (f"{axis} {_fmt_number(lo, '.3f')} .. {_fmt_number(hi, '.3f')}" for axis, lo, hi in zip("xyz", *ws.bounds))
    print(f"  reach [m]     {', '.join(reach)}")
    print(f"  measure       min {w.min():.4g}, median {np.median(w):.4g}, max {w.max():.4g}")
    print(f"  most dexterous at xyz {_fmt_vec(ws.positions[best], '.3f')} m")
    print(f"wrote {written}" + (f" and {png}" if png else ""))
    return EXIT_OK


def _cmd_collisions(args: argparse.Namespace) -> int:
    from .collision import CollisionChecker, load_scene

    robot = _robot(args)
    if not robot.has_collision_geometry:
        raise KinejacError(f"robot {robot.name!r} has no collision geometry (no <collision> element in its URDF)")
    scene = load_scene(args.obstacles) if args.obstacles else ()
    q = _config(robot, args)
    checker = CollisionChecker(robot, scene, self_collision=not args.no_self_collision)
    pairs = checker.collisions(q)
    c = checker.clearance(q)
    clearance = {"distance": c.distance, "pair": c.pair, "point_a": c.point_a, "point_b": c.point_b}
    status = EXIT_NEGATIVE if pairs else EXIT_OK
    if args.json:
        _emit_json(
            {
                "robot": robot.name,
                "q": q,
                "joints": _joint_values(robot, q),
                "obstacles": list(checker.obstacle_names),
                "self_collision": not args.no_self_collision,
                "in_collision": bool(pairs),
                "pairs": [list(p) for p in pairs],
                "clearance": clearance if c.pair is not None else None,
            }
        )
        return status
    what = "self-collision" if not args.no_self_collision else "no self-collision check"
    print(f"robot {robot.name!r} ({what}, {len(scene)} obstacles, {len(checker.pairs)} geometry pairs checked) at")
    print("\n".join(_fmt_joints(robot, q, args.degrees)))
    if pairs:
        print(f"IN COLLISION: {len(pairs)} pair(s)")
        for a, b in pairs:
            print(f"  {a} -- {b}")
    else:
        print("collision-free")
    if c.pair is not None:
        print(f"closest pair {c.pair[0]} -- {c.pair[1]}: signed distance {c.distance:.6f} m")
    return status


def _cmd_srdf(args: argparse.Namespace) -> int:
    from collections import Counter

    from .collision import generate_disabled_pairs, write_srdf

    robot = _robot(args)
    if not robot.has_collision_geometry:
        raise KinejacError(f"robot {robot.name!r} has no collision geometry (no <collision> element in its URDF)")
    if args.samples < 1:
        raise InvalidValueError(f"--samples must be a positive integer, got {args.samples}")
    out = Path(args.out)
    if not out.parent.is_dir():
        raise InvalidValueError(f"--out: folder {str(out.parent)!r} does not exist")
    pairs = generate_disabled_pairs(robot, samples=args.samples, seed=args.seed)
    write_srdf(robot, pairs, out)
    counts = Counter(pairs.values())
    summary = {k: counts.get(k, 0) for k in ("adjacent", "never", "always")}
    if args.json:
        _emit_json(
            {"robot": robot.name, "out": str(out), "samples": args.samples, "seed": args.seed, "pairs": summary}
        )
        return EXIT_OK
    print(
        f"{len(pairs)} disabled pairs of {robot.name!r} from {args.samples} samples (seed {args.seed}): "
        + ", ".join(f"{v} {k}" for k, v in summary.items())
    )
    print(f"wrote {out}")
    return EXIT_OK


def _client(args: argparse.Namespace):
    """The scheduler address of ``--scheduler`` (checked for ``--workers`` at the same time)."""
    if args.scheduler is not None and args.workers is not None:
        raise InvalidValueError("give either --scheduler (a Dask cluster) or --workers (local processes), not both")
    if args.workers is not None and args.workers < 1:
        raise InvalidValueError(f"--workers must be a positive integer, got {args.workers}")
    return args.scheduler


def _cmd_reachability(args: argparse.Namespace) -> int:
    import time

    from .reachability_map import reachability

    robot = _robot(args)
    robot.frame_id(args.frame)
    out = Path(args.out)
    if not out.parent.is_dir():
        raise InvalidValueError(f"--out: folder {str(out.parent)!r} does not exist")
    if args.png and not Path(args.png).parent.is_dir():
        raise InvalidValueError(f"--png: folder {str(Path(args.png).parent)!r} does not exist")
    if args.orientations == "position":
        orientations: int | str = "position"
    else:
        try:
            orientations = int(args.orientations)
        except ValueError:
            raise InvalidValueError(
                f"--orientations must be a positive integer or 'position', got {args.orientations!r}"
            ) from None
    bounds = None if args.bounds is None else np.array(args.bounds, dtype=float).reshape(2, 3)
    client = _client(args)
    progress = sys.stderr.isatty() and not args.no_progress
    t0 = time.perf_counter()
    m = reachability(
        robot,
        args.frame,
        resolution=args.resolution,
        orientations=orientations,
        bounds=bounds,
        client=client,
        workers=args.workers,
        checkpoint=args.checkpoint,
        seed=args.seed,
        chunk=args.chunk,
        measure=args.measure,
        part=args.part,
        progress=progress,
    )
    elapsed = time.perf_counter() - t0
    written = m.save(out)
    png = None
    if args.png:
        axis, _, value = args.slice.partition("=")
        png = m.plot_png(args.png, slice=(axis, float(value)) if value else axis)
    inside = np.linalg.norm(m.centres - m.reach_centre, axis=1) <= m.reach_radius
    index = m.index
    summary = {
        "robot": robot.name,
        "frame": args.frame,
        "resolution": m.resolution,
        "orientations": "position" if m.position_only else len(m.orientations),
        "voxels": len(m),
        "shape": [int(n) for n in m.shape],
        "bounds": {"min": m.bounds[0], "max": m.bounds[1]},
        "reachable_voxels": int((index > 0).sum()),
        "mean_index": float(np.nanmean(index[inside])) if inside.any() else 0.0,
        "complete": m.complete,
        "executor": "dask " + client if client else (f"{args.workers} local processes" if args.workers else "local"),
        "time": elapsed,
        "out": str(written),
        "png": None if png is None else str(png),
    }
    if args.json:
        _emit_json(summary)
        return EXIT_OK
    what = "positions only" if m.position_only else f"{len(m.orientations)} orientations"
    print(f"reachability map of frame {args.frame!r} of {robot.name!r}: {len(m)} voxels of {m.resolution:g} m, {what}")
    print(f"  reachable voxels {summary['reachable_voxels']}, mean index in reach {summary['mean_index']:.3f}")
    if not m.complete:
        print("  interrupted: the map is incomplete (rerun with the same --checkpoint to resume)")
    print(f"  {elapsed:.1f} s; wrote {written}" + (f" and {png}" if png else ""))
    return EXIT_OK


def _cmd_view(args: argparse.Namespace) -> int:
    robot = _robot(args)
    frame = args.frame or (leaf_frames(robot) or [robot.frame_names[-1]])[-1]
    robot.frame_id(frame)
    q = _config(robot, args)
    target = None
    if args.target is not None:
        values = [_number(t, "--target") for t in args.target]
        if len(values) not in (3, 6):
            raise ShapeError(f"--target takes X Y Z [R P Y] (3 or 6 numbers), got {len(values)}")
        target = np.eye(4)
        target[:3, 3] = values[:3]
        if len(values) == 6:
            rpy = [math.radians(a) for a in values[3:]] if args.degrees else values[3:]
            target[:3, :3] = pin.rpy.rpyToMatrix(*rpy)
    viewer = _open_viewer(robot, args)
    try:
        viewer.show(q)
        viewer.show_frames([frame])
        if target is not None:
            viewer.show_target(target)
        if args.ellipsoid:
            viewer.show_ellipsoid(q=q, frame=frame, scale=args.ellipsoid_scale)
        if args.json:
            _emit_json(
                {"robot": robot.name, "url": viewer.url, "frame": frame, "q": q, "joints": _joint_values(robot, q)}
            )
        _wait(viewer, args)
    finally:
        viewer.close()
    return EXIT_OK


# -- the parser ------------------------------------------------------------------------------------------
def _common() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--json", action="store_true", help="machine-readable output, always in SI units (m, rad)")
    p.add_argument("--degrees", action="store_true", help="angles in degrees instead of radians (inputs, text output)")
    return p


def _robot_options() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("robot", metavar="ROBOT", help="bundled robot name, URDF path or erd:NAME (see 'kinejac robots')")
    p.add_argument("--lock", action="append", metavar="JOINT", help="lock joints at neutral (repeatable)")
    p.add_argument("--root-joint", choices=("floating", "planar"), help="give the robot a moving base")
    p.add_argument("--package-dir", action="append", metavar="DIR", help="where package:// meshes are looked up")
    p.add_argument("--srdf", metavar="FILE", help="SRDF with the disabled collision pairs (default: generated)")
    return p


def _parallel_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask cluster, e.g. tcp://127.0.0.1:8786")
    p.add_argument("--workers", type=int, metavar="N", help="local processes (default: every core)")


_Q_HELP = "joint values: one per joint in order, or name=value pairs (default: neutral)"


def build_parser() -> argparse.ArgumentParser:
    """The ``kinejac`` argument parser (one subparser per subcommand)."""
    common, robot = _common(), _robot_options()
    parser = _Parser(prog="kinejac", description="Jacobians, inverse kinematics and manipulability of URDF robots.")
    parser.add_argument("--version", action="version", version=f"kinejac {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("robots", parents=[common], help="list the robots that can be loaded")
    p.set_defaults(run=_cmd_robots)

    p = sub.add_parser("info", parents=[robot, common], help="DOF, joints and limits, frames, the kinematic tree")
    p.set_defaults(run=_cmd_info)

    p = sub.add_parser("fk", parents=[robot, common], help="forward kinematics: the pose of frames")
    p.add_argument("--q", nargs="+", metavar="Q", help=_Q_HELP)
    p.add_argument("--frame", action="append", metavar="F", help="frame (repeatable; default: the leaf frames)")
    p.set_defaults(run=_cmd_fk)

    p = sub.add_parser("jacobian", parents=[robot, common], help="the 6 x nv geometric Jacobian of a frame")
    p.add_argument("--q", nargs="+", metavar="Q", help=_Q_HELP)
    p.add_argument("--frame", required=True, metavar="F")
    p.add_argument("--reference", default="local_world_aligned", choices=[r.value for r in Reference])
    p.set_defaults(run=_cmd_jacobian)

    p = sub.add_parser("doctor", parents=[robot, common], help="check a URDF for pitfalls, and the Jacobians on it")
    p.add_argument("--frame", action="append", metavar="F", help="frames to check (default: the leaf frames)")
    p.add_argument("--samples", type=int, default=2, help="random configurations per frame (default 2)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random configurations")
    p.add_argument("--tol", type=float, default=1e-6, help="largest acceptable relative error (default 1e-6)")
    p.set_defaults(run=_cmd_doctor)

    viewer = argparse.ArgumentParser(add_help=False)
    viewer.add_argument("--no-wait", action="store_true", help="close the viewer right after drawing (for scripts)")
    viewer.add_argument("--open", action="store_true", help="open the page in the web browser")
    viewer.add_argument("--zmq-url", help="draw in a running meshcat server instead of starting one")
    viewer.add_argument(
        "--host",
        metavar="ADDR",
        help="address to serve the page on (default 127.0.0.1, this machine only; e.g. 0.0.0.0 lets "
        "other machines open it, with a warning)",
    )

    p = sub.add_parser(
        "ik",
        parents=[robot, common, viewer],
        help="inverse kinematics: joint values placing a frame",
        description="Inverse kinematics: joint values placing a frame at a target. With --obstacles and/or "
        "--self-collision the solve keeps out of collision and an answer is a success only if the exact check "
        "finds it free. Without --self-collision, the answer of a robot with collision geometry is checked for "
        "self-collision and a warning names the colliding pairs (exit status unchanged); without --srdf, that "
        "first check generates the robot's disabled pairs, which takes 1-3 s (write them once with 'kinejac srdf' "
        "and pass --srdf FILE).",
    )
    p.add_argument("--frame", required=True, metavar="F")
    p.add_argument("--xyz", nargs=3, metavar=("X", "Y", "Z"), help="target position [m] (alone: position only)")
    rot = p.add_mutually_exclusive_group()
    rot.add_argument("--rpy", nargs=3, metavar=("R", "P", "Y"), help="target orientation, roll pitch yaw")
    rot.add_argument("--quat", nargs=4, metavar=("X", "Y", "Z", "W"), help="target orientation, unit quaternion")
    p.add_argument("--method", default="lm", help="lm (default), gn or dls")
    p.add_argument("--seed", type=int, default=0, help="seed of the random restarts (default 0)")
    p.add_argument("--q0", nargs="+", metavar="Q", help="start configuration (default: middle of the limits)")
    p.add_argument("--timeout", type=float, help="time budget [s]")
    p.add_argument("--max-restarts", type=int, help="random restarts allowed")
    p.add_argument("--obstacles", metavar="SCENE.json", help="keep out of these obstacles (JSON scene, see the README)")
    p.add_argument("--self-collision", action="store_true", help="keep the links apart (needs collision geometry)")
    p.add_argument("--clearance", type=float, metavar="M", help="[m] distance to keep (with the two above; default 0)")
    p.add_argument("--view", action="store_true", help="show the solve in the browser (meshcat)")
    p.set_defaults(run=_cmd_ik)

    p = sub.add_parser("manip", parents=[robot, common], help="manipulability measures, singular values, ellipsoids")
    p.add_argument("--q", nargs="+", metavar="Q", help=_Q_HELP)
    p.add_argument("--frame", required=True, metavar="F")
    p.add_argument("--part", default="full", choices=("full", "translation", "rotation"), help="Jacobian rows")
    p.add_argument("--length-scale", type=float, default=1.0, help="[m] divides linear rows in 'full' (default 1)")
    p.add_argument("--tol", type=float, default=1e-6, help="singular-value threshold of a singularity")
    p.set_defaults(run=_cmd_manip)

    p = sub.add_parser("workspace", parents=[robot, common], help="sample the reachable workspace into an .npz")
    p.add_argument("--frame", required=True, metavar="F")
    p.add_argument("--samples", type=int, default=10_000, help="random configurations (default 10000)")
    p.add_argument("--out", required=True, metavar="FILE.npz", help="where to save the samples")
    p.add_argument("--png", metavar="FILE.png", help="also draw the samples (needs matplotlib)")
    p.add_argument("--plane", default="xy", choices=("xy", "xz", "yz"), help="plane of the picture")
    p.add_argument("--measure", default="yoshikawa", help="yoshikawa, condition, min_singular or dynamic")
    p.add_argument("--part", default="full", choices=("full", "translation", "rotation"), help="Jacobian rows")
    p.add_argument("--seed", type=int, default=0, help="seed of the samples (default 0)")
    p.add_argument("--chunk", type=int, default=1000, help="samples per progress step (with --seed: reproducible)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--self-collision", action="store_true", help="leave out self-colliding configurations")
    p.add_argument("--obstacles", metavar="SCENE.json", help="leave out configurations touching these obstacles")
    _parallel_options(p)
    p.set_defaults(run=_cmd_workspace)

    p = sub.add_parser("collisions", parents=[robot, common], help="colliding pairs and clearance (exit 1: collision)")
    p.add_argument("--q", nargs="+", metavar="Q", help=_Q_HELP)
    p.add_argument("--obstacles", metavar="SCENE.json", help="obstacles (JSON scene, see the README)")
    p.add_argument("--no-self-collision", action="store_true", help="check the links against obstacles only")
    p.set_defaults(run=_cmd_collisions)

    p = sub.add_parser("srdf", parents=[robot, common], help="generate the disabled collision pairs as an SRDF file")
    p.add_argument("--out", required=True, metavar="FILE.srdf", help="where to write the SRDF")
    p.add_argument("--samples", type=int, default=10_000, help="random configurations (default 10000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the samples (default 0)")
    p.set_defaults(run=_cmd_srdf)

    p = sub.add_parser("reachability", parents=[robot, common], help="reachability map of a frame into an .npz")
    p.add_argument("--frame", required=True, metavar="F")
    p.add_argument("--resolution", type=float, default=0.05, help="[m] voxel side (default 0.05)")
    p.add_argument("--orientations", default="50", help="orientations per voxel, or 'position' (default 50)")
    p.add_argument("--bounds", nargs=6, type=float, metavar=("XMIN", "YMIN", "ZMIN", "XMAX", "YMAX", "ZMAX"),
                   help="[m] box to map (default: the box of the reach sphere)")  # fmt: skip
    p.add_argument("--out", required=True, metavar="FILE.npz", help="where to save the map")
    p.add_argument("--png", metavar="FILE.png", help="also draw one layer (needs matplotlib)")
    p.add_argument("--slice", default="z", metavar="AXIS[=VALUE]", help="layer of the picture, e.g. z=0.4 (default z)")
    p.add_argument("--measure", default="yoshikawa", help="yoshikawa, condition, min_singular or dynamic")
    p.add_argument("--part", default="full", choices=("full", "translation", "rotation"), help="Jacobian rows")
    p.add_argument("--seed", type=int, default=0, help="seed of the IK restarts (default 0)")
    p.add_argument("--chunk", type=int, default=64, help="voxels per chunk of work (default 64)")
    p.add_argument("--checkpoint", metavar="DIR", help="write finished chunks here; a rerun resumes")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    _parallel_options(p)
    p.set_defaults(run=_cmd_reachability)

    p = sub.add_parser("view", parents=[robot, common, viewer], help="show the robot in the browser (meshcat)")
    p.add_argument("--q", nargs="+", metavar="Q", help=_Q_HELP)
    p.add_argument("--frame", metavar="F", help="frame to mark (default: the last leaf frame)")
    p.add_argument("--ellipsoid", action="store_true", help="draw the frame's translation velocity ellipsoid")
    p.add_argument("--ellipsoid-scale", type=float, default=0.3, help="[s] ellipsoid radii scale (default 0.3)")
    p.add_argument("--target", nargs="+", metavar="V", help="draw a target pose: X Y Z [R P Y]")
    p.set_defaults(run=_cmd_view)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 negative answer, 2 usage error)."""
    parser = build_parser()
    json_wanted = "--json" in (sys.argv[1:] if argv is None else argv)
    try:
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help / --version
            return int(exc.code or 0)
        if args.command is None:
            parser.print_help()
            return EXIT_USAGE
        return args.run(args)
    except (KinejacError, _UsageError) as exc:
        message = str(exc).replace("\n", " ")
        if json_wanted:
            _emit_json({"error": {"type": type(exc).__name__.lstrip("_"), "message": message}})
        print(f"kinejac: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:  # Ctrl-C outside the viewer's wait: whatever was started is stopped
        print("kinejac: interrupted", file=sys.stderr)
        return 128 + 2
    except BrokenPipeError:  # stdout closed early (``kinejac ... | head``): not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_NEGATIVE
    except OSError as exc:  # output files that cannot be written
        if json_wanted:
            _emit_json({"error": {"type": type(exc).__name__, "message": str(exc)}})
        print(f"kinejac: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
