"""From command-line words to library values: robots, configurations, numbers, targets, output paths."""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pinocchio as pin

from ..errors import InvalidValueError, KinejacError, ShapeError
from ..spatial import check_points, check_transforms
from ..urdf import load
from .parser import UsageError

if TYPE_CHECKING:
    from ..robot import Robot

__all__ = [
    "ANGULAR",
    "check_files",
    "configuration",
    "ik_target",
    "load_robot",
    "note",
    "number",
    "output_path",
    "parse_q",
    "positive",
    "require_collision_geometry",
    "rotation",
    "scheduler",
    "view_target",
    "warn",
]

ANGULAR = ("revolute", "continuous")  #: joint kinds whose values are angles (``--degrees`` converts them)


def warn(message: str) -> None:
    """``kinejac: warning: message`` on stderr."""
    print(f"kinejac: warning: {message}", file=sys.stderr)


def note(message: str) -> None:
    """``kinejac: message`` on stderr: what a command is doing when it takes more than a second."""
    print(f"kinejac: {message}", file=sys.stderr, flush=True)


def load_robot(args: argparse.Namespace) -> Robot:
    """The robot named by ``ROBOT``, ``--lock``, ``--root-joint``, ``--package-dir`` and ``--srdf``."""
    check_files(args)
    locked = [n for item in args.lock or () for n in item.split(",") if n]
    return load(
        args.robot,
        root_joint=args.root_joint,
        locked_joints=locked or None,
        package_dirs=args.package_dir,
        srdf=args.srdf,
    )


def number(text: str, what: str) -> float:
    """``text`` as a finite float; :class:`InvalidValueError` naming ``what`` otherwise."""
    try:
        x = float(text)
    except ValueError:
        raise InvalidValueError(f"{what}: {text!r} is not a number") from None
    if not math.isfinite(x):
        raise InvalidValueError(f"{what}: {text!r} is not a finite number")
    return x


def positive(value: int, option: str) -> int:
    """``value`` if it is >= 1, else :class:`InvalidValueError` naming ``option``."""
    if value < 1:
        raise InvalidValueError(f"{option} must be a positive integer, got {value}")
    return value


def output_path(text: str, option: str) -> Path:
    """The path of an output file, whose folder must exist (checked before any long computation)."""
    path = Path(text)
    if not path.parent.is_dir():
        raise InvalidValueError(f"{option}: folder {str(path.parent)!r} does not exist")
    if path.is_dir():
        raise InvalidValueError(f"{option}: {str(path)!r} is a folder, not a file name")
    return path


def check_files(args: argparse.Namespace) -> None:
    """The input files and folders named by the shared options exist (before anything is loaded)."""
    for folder in args.package_dir or ():
        if not Path(folder).expanduser().is_dir():
            raise InvalidValueError(f"--package-dir: folder {folder!r} does not exist")
    for option in ("srdf", "obstacles"):
        name = getattr(args, option, None)
        if name is not None and not Path(name).expanduser().is_file():
            why = "is a folder" if Path(name).expanduser().is_dir() else "does not exist"
            raise InvalidValueError(f"--{option}: file {name!r} {why}")


def require_collision_geometry(robot: Robot) -> None:
    """:class:`KinejacError` unless the robot has collision geometry."""
    if not robot.has_collision_geometry:
        raise KinejacError(f"robot {robot.name!r} has no collision geometry (no <collision> element in its URDF)")


def scheduler(args: argparse.Namespace) -> str | None:
    """The scheduler address of ``--scheduler`` (checked for ``--workers`` at the same time)."""
    if args.scheduler is not None and args.workers is not None:
        raise InvalidValueError("give either --scheduler (a Dask cluster) or --workers (local processes), not both")
    if args.workers is not None:
        positive(args.workers, "--workers")
    return args.scheduler


# -- configurations ------------------------------------------------------------------------------------
def _joint_size(robot: Robot, name: str) -> int:
    """How many numbers a user gives for a joint: 1 for 1-DOF joints, else its raw coordinates."""
    j = robot.joint(name)
    return 1 if j.kind == "continuous" or j.nq == 1 else j.nq


def _expected(robot: Robot) -> str:
    n = sum(_joint_size(robot, name) for name in robot.joint_names)
    names = " ".join(robot.joint_names[:12]) + (" ..." if len(robot.joint_names) > 12 else "")
    return f"{n} value(s), one per joint in this order: {names} (or name=value pairs)"


def _group(robot: Robot, items: list[str], option: str) -> dict[str, list[str]]:
    """The words of a configuration grouped by joint: ``{joint: [value words]}``."""
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
        pos = 0
        for name, size in zip(robot.joint_names, sizes):
            named[name] = plain[pos : pos + size]
            pos += size
    return named


def parse_q(robot: Robot, tokens: Sequence[str] | str, *, degrees: bool = False, option: str = "--q") -> np.ndarray:
    """A configuration ``(nq,)`` from command-line joint values (see :mod:`kinejac.cli`).

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
    values: dict[str, float | list[float]] = {}
    for name, texts in _group(robot, items, option).items():
        size = _joint_size(robot, name)
        if len(texts) != size:
            raise ShapeError(f"{option}: joint {name!r} takes {size} value(s), got {len(texts)}")
        xs = [number(t, f"{option} {name}") for t in texts]
        if degrees and robot.joint(name).kind in ANGULAR:
            xs = [math.radians(x) for x in xs]
        values[name] = xs[0] if size == 1 else xs
    return robot.from_dict(values)


def configuration(robot: Robot, args: argparse.Namespace, attr: str = "q", option: str = "--q") -> np.ndarray:
    """The configuration of option ``option`` (``args.<attr>``), or the neutral one when it is not given;
    a warning when it is outside the joint limits."""
    tokens = getattr(args, attr, None)
    if tokens is None:
        q = robot.neutral()
        if not robot.within_limits(q):
            warn(f"{option} not given: using the neutral configuration, which is outside the joint limits")
        return q
    q = parse_q(robot, tokens, degrees=args.degrees, option=option)
    if not robot.within_limits(q):
        warn(f"{option} is outside the joint limits: {'; '.join(robot.limit_violations(q, degrees=args.degrees))}")
    return q


# -- poses -----------------------------------------------------------------------------------------------
def rotation(args: argparse.Namespace) -> np.ndarray | None:
    """The rotation matrix given by ``--rpy`` or ``--quat`` (or None)."""
    if getattr(args, "rpy", None) is not None:
        rpy = [number(t, "--rpy") for t in args.rpy]
        if args.degrees:
            rpy = [math.radians(a) for a in rpy]
        return pin.rpy.rpyToMatrix(*rpy)
    if getattr(args, "quat", None) is not None:
        xyzw = np.array([number(t, "--quat") for t in args.quat])
        norm = np.linalg.norm(xyzw)
        if abs(norm - 1.0) > 1e-3:
            raise InvalidValueError(f"--quat (x y z w) must be a unit quaternion, got norm {norm:.6g}")
        return pin.Quaternion(*(xyzw[[3, 0, 1, 2]] / norm)).toRotationMatrix()
    return None


def ik_target(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """The IK target of ``--xyz`` and ``--rpy``/``--quat``: a ``(3,)`` position, ``(3, 3)`` rotation or
    ``(4, 4)`` pose, with the position and rotation it was made of (either may be None)."""
    xyz = None if args.xyz is None else check_points([number(t, "--xyz") for t in args.xyz], "--xyz")
    R = rotation(args)
    if R is None:
        if xyz is None:
            raise UsageError("kinejac ik: give the target with --xyz X Y Z and/or --rpy R P Y or --quat X Y Z W")
        return xyz, xyz, None
    if xyz is None:
        return R, None, R
    T = np.eye(4)
    T[:3, :3], T[:3, 3] = R, xyz
    return T, xyz, R


def view_target(args: argparse.Namespace) -> np.ndarray | None:
    """The pose ``(4, 4)`` of ``view --target X Y Z [R P Y]`` (or None)."""
    if args.target is None:
        return None
    values = [number(t, "--target") for t in args.target]
    if len(values) not in (3, 6):
        raise ShapeError(f"--target takes X Y Z [R P Y] (3 or 6 numbers), got {len(values)}")
    target = np.eye(4)
    target[:3, 3] = values[:3]
    if len(values) == 6:
        rpy = [math.radians(a) for a in values[3:]] if args.degrees else values[3:]
        target[:3, :3] = pin.rpy.rpyToMatrix(*rpy)
    return check_transforms(target, "--target")
