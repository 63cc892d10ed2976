"""The commands about a robot's model: robots, info, fk, jacobian, doctor, manip. Each returns its record."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pinocchio as pin

from ..analysis.ellipsoids import force_ellipsoid, velocity_ellipsoid
from ..analysis.measures import MEASURES, manipulability
from ..analysis.singularities import SingularityReport, singularity
from ..check import check_derivatives
from ..errors import KinejacError, URDFError, URDFNotFound
from ..ik.structure import ik_structure
from ..kinematics import jacobian, pose
from ..spatial import Reference
from ..urdf import Finding, available_robots, load, urdf_findings
from .inputs import configuration, load_robot
from .reports import (
    EXIT_NEGATIVE,
    EXIT_OK,
    BrokenUrdfReport,
    DoctorReport,
    FkReport,
    InfoReport,
    JacobianReport,
    ManipReport,
    RobotsReport,
)

if TYPE_CHECKING:
    from ..robot import Robot

__all__ = ["doctor", "fk", "info", "jacobian_of", "manip", "robots"]

_ROWS = ["vx", "vy", "vz", "wx", "wy", "wz"]


def robots(args: argparse.Namespace) -> RobotsReport:
    names = available_robots()
    bundled = []
    for name in (n for n in names if not n.startswith("erd:")):
        robot = load(name)
        bundled.append({"name": name, "nq": robot.nq, "nv": robot.nv, "leaf_frames": robot.leaf_frames()})
    return RobotsReport(bundled, [n for n in names if n.startswith("erd:")])


def info(args: argparse.Namespace) -> InfoReport:
    robot = load_robot(args)
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
        {"name": f.name, "type": robot.frame_kind(i), "parent": frames[int(f.parentFrame)].name if i else None}
        for i, f in enumerate(frames)
    ]
    return InfoReport(robot, joints, frame_list, robot.leaf_frames())


def _pose_dict(T: np.ndarray) -> dict[str, Any]:
    R = T[:3, :3]
    return {
        "T_world_frame": T.tolist(),
        "xyz": T[:3, 3].tolist(),
        "rpy": pin.rpy.matrixToRpy(R).tolist(),
        "quat_xyzw": pin.Quaternion(R).coeffs().tolist(),
    }


def fk(args: argparse.Namespace) -> FkReport:
    robot = load_robot(args)
    names = args.frame or robot.leaf_frames()
    for name in names:
        robot.frame_id(name)
    q = configuration(robot, args)
    return FkReport(robot, q, {name: _pose_dict(pose(robot, q, name)) for name in names})


def jacobian_of(args: argparse.Namespace) -> JacobianReport:
    """The ``jacobian`` command."""
    robot = load_robot(args)
    robot.frame_id(args.frame)
    q = configuration(robot, args)
    ref = Reference(args.reference)
    J = jacobian(robot, q, args.frame, ref)
    return JacobianReport(robot, q, args.frame, ref.value, list(_ROWS), robot.tangent_names(), J)


def doctor(args: argparse.Namespace) -> DoctorReport | BrokenUrdfReport:
    try:
        robot = load_robot(args)
    except URDFError as exc:
        if isinstance(exc, URDFNotFound):  # no file to examine: a usage error
            raise
        path = Path(args.robot)
        urdf = str(path.resolve()) if path.is_file() else None
        finding = Finding("error", "invalid_urdf", urdf or args.robot, str(exc))
        return BrokenUrdfReport(args.robot, urdf, None, None, [finding], None, False, status=EXIT_NEGATIVE)
    findings = urdf_findings(robot)
    geometry = _collision_finding(robot)
    if geometry is not None:
        findings = [geometry, *findings]
    frames = args.frame or robot.leaf_frames() or [robot.frame_names[-1]]
    reports = {f: check_derivatives(robot, f, samples=args.samples, rng=args.seed, tol=args.tol) for f in frames}
    checks: dict[str, dict[str, Any]] = {
        f: {"worst": r.worst[0], "error": r.worst[1], "ok": r.ok} for f, r in reports.items()
    }
    worst_frame = max(checks, key=lambda f: checks[f]["error"])
    check = {
        "frames": checks,
        "worst_frame": worst_frame,
        "worst_error": checks[worst_frame]["error"],
        "tolerance": args.tol,
        "ok": all(c["ok"] for c in checks.values()),
    }
    ok = check["ok"] and geometry is None
    status = EXIT_OK if ok else EXIT_NEGATIVE
    structures = _structures(robot, frames)
    return DoctorReport(robot, findings, check, ok, structures, args.samples, list(frames), status=status)


def _structures(robot: Robot, frames) -> dict[str, dict[str, Any]]:
    """:func:`kinejac.ik_structure` of each frame, as the report shows it."""
    structures = {}
    for f in frames:
        s = ik_structure(robot, f)
        structures[f] = {
            "family": s.family,
            "method": s.method,
            "reversed": s.reversed,
            "exact": s.exact,
            "deviation": s.deviation if s.family is not None else None,
            "description": s.describe(),
            "fixable": s.fixable,
        }
    return structures


def _collision_finding(robot: Robot) -> Finding | None:
    """An ``error`` finding when the URDF has ``<collision>`` elements whose meshes cannot be found
    (collision checks are then impossible), naming the folder to pass with ``--package-dir``."""
    try:
        robot.collision_model  # noqa: B018  (built here, where the error is a finding)
    except URDFError as exc:
        text = str(exc)
        mesh = re.search(r"Mesh (\S+) could not be found", text)
        uri = mesh.group(1) if mesh else None
        hint = "pass --package-dir DIR, the folder holding the mesh files' package folder"
        if uri and uri.startswith("package://"):  # (the loader already looked above the URDF and on the ROS paths)
            package, _, rest = uri[len("package://") :].partition("/")
            hint = f"pass --package-dir DIR, where DIR/{package}/{rest} exists"
        message = (
            f"the collision geometry cannot be built, so collision checks and collision-aware IK are impossible: "
            f"{text.split(': ', 2)[-1].rstrip('.')}; {hint}"
        )
        return Finding("error", "collision_geometry", uri or str(robot.urdf_path), message)
    return None


def manip(args: argparse.Namespace) -> ManipReport:
    robot = load_robot(args)
    robot.frame_id(args.frame)
    q = configuration(robot, args)
    measures: dict[str, float | None] = {}
    notes: list[str] = []
    options: dict[str, Any] = {"part": args.part, "length_scale": args.length_scale}
    for measure in MEASURES:
        try:
            measures[measure] = float(manipulability(robot, q, args.frame, **{**options, "measure": measure}))
        except KinejacError as exc:  # e.g. the dynamic measure of a robot without inertias
            if measure != "dynamic":
                raise
            measures[measure] = None
            notes.append(f"{measure}: {exc}")
    report = cast(SingularityReport, singularity(robot, q, args.frame, args.tol, **options))  # one q: one report
    return ManipReport(
        robot,
        q,
        args.frame,
        part=args.part,
        length_scale=args.length_scale,
        measures=measures,
        singular_values=report.singular_values,
        rank=report.rank,
        generic_rank=report.generic_rank,
        singular=report.singular,
        tol=args.tol,
        ellipsoids=_ellipsoids(robot, q, args.frame),
        notes=notes,
    )


def _ellipsoids(robot: Robot, q: np.ndarray, frame: str) -> dict[str, dict[str, Any]]:
    """The translation and rotation velocity ellipsoids, with the force ellipsoids' radii."""
    ellipsoids = {}
    for part in ("translation", "rotation"):
        vel, force = velocity_ellipsoid(robot, q, frame, part), force_ellipsoid(robot, q, frame, part)
        ellipsoids[part] = {
            "center": vel.center,
            "axes": vel.axes.T,
            "velocity_radii": vel.radii,
            "force_radii": force.radii,
        }
    return ellipsoids
