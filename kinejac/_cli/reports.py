"""What the commands return: one record per command, which :mod:`kinejac._cli.render` prints as text or JSON.

The JSON document of a record is its fields in order (so the field order is the documented key
order). Field metadata says how a field enters it (see :func:`kinejac._cli.render.json_document`):
``ROBOT_NAME``, a :class:`~kinejac.Robot` as ``"robot": name``; ``ROBOT_SUMMARY``, a robot as
``"robot"``, ``"urdf"``, ``"nq"``, ``"nv"``; ``CONFIGURATION``, a configuration of the record's
robot as ``"q"`` (pinocchio's vector) and ``"joints"`` (``{joint: value}``); ``HIDDEN``, not in the
JSON (the text output or :func:`kinejac.cli.main` needs it). Any other field is ``"name": value``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..robot import Robot
    from ..urdf import Finding

__all__ = [
    "CONFIGURATION",
    "EXIT_INTERNAL",
    "EXIT_NEGATIVE",
    "EXIT_OK",
    "EXIT_USAGE",
    "HIDDEN",
    "ROBOT_NAME",
    "ROBOT_SUMMARY",
    "BrokenUrdfReport",
    "CollisionsReport",
    "DoctorReport",
    "FkReport",
    "FrameReport",
    "IkAllReport",
    "IkReport",
    "InfoReport",
    "JacobianReport",
    "ManipReport",
    "ReachabilityReport",
    "Report",
    "RobotReport",
    "RobotsReport",
    "SrdfReport",
    "ViewReport",
    "WorkspaceReport",
]

EXIT_OK = 0  #: the command succeeded
EXIT_NEGATIVE = 1  #: it ran, but the answer is negative (no IK solution, failed derivative check)
EXIT_USAGE = 2  #: a user mistake: bad arguments, unknown names, broken files
EXIT_INTERNAL = 70  #: kinejac failed in a way it did not foresee (a bug: one line, no traceback; EX_SOFTWARE)

ROBOT_NAME = {"json": "robot name"}
ROBOT_SUMMARY = {"json": "robot summary"}
CONFIGURATION = {"json": "configuration"}
HIDDEN = {"json": "hidden"}


@dataclass(frozen=True)
class Report:
    """Base of the records: what every command returns besides its data (keyword-only, not in the JSON)."""

    #: :data:`EXIT_OK`, or :data:`EXIT_NEGATIVE` for a negative answer
    status: int = field(default=EXIT_OK, kw_only=True, metadata=HIDDEN)
    #: a :class:`~kinejac.viewer.Viewer` that main keeps open after printing, then closes
    viewer: Any = field(default=None, kw_only=True, metadata=HIDDEN)


@dataclass(frozen=True)
class RobotReport(Report):
    """Base of the records about one robot, named first in the JSON."""

    robot: Robot = field(metadata=ROBOT_NAME)


@dataclass(frozen=True)
class RobotsReport(Report):
    bundled: list[dict[str, Any]]  # {"name", "nq", "nv", "leaf_frames"}
    example_robot_data: list[str]


@dataclass(frozen=True)
class InfoReport(Report):
    robot: Robot = field(metadata=ROBOT_SUMMARY)
    joints: list[dict[str, Any]]
    frames: list[dict[str, Any]]
    leaf_frames: list[str]


@dataclass(frozen=True)
class FkReport(RobotReport):
    q: np.ndarray = field(metadata=CONFIGURATION)
    frames: dict[str, dict[str, Any]]  # {name: {"T_world_frame", "xyz", "rpy", "quat_xyzw"}}


@dataclass(frozen=True)
class FrameReport(RobotReport):
    """Base of the records about one frame of a robot at one configuration."""

    q: np.ndarray = field(metadata=CONFIGURATION)
    frame: str


@dataclass(frozen=True)
class JacobianReport(FrameReport):
    reference: str
    rows: list[str]
    columns: list[str]
    J: np.ndarray  # (6, nv)


@dataclass(frozen=True)
class DoctorReport(Report):
    robot: Robot = field(metadata=ROBOT_SUMMARY)
    findings: list[Finding]
    derivative_check: dict[str, Any]  # {"frames", "worst_frame", "worst_error", "tolerance", "ok"}
    ok: bool
    ik_structure: dict[str, dict[str, Any]]  # {frame: {"family", "method", "reversed", "exact", "deviation", ...}}
    samples: int = field(metadata=HIDDEN)  # configurations per frame
    checked: list[str] = field(metadata=HIDDEN)  # the frames, as given


@dataclass(frozen=True)
class BrokenUrdfReport(Report):
    """``doctor`` on a URDF that cannot be loaded: the reason is its one finding."""

    robot: str
    urdf: str | None
    nq: None
    nv: None
    findings: list[Finding]
    derivative_check: None
    ok: bool


@dataclass(frozen=True)
class IkReport(RobotReport):
    frame: str
    method: str
    target: dict[str, list[float] | None]  # {"xyz", "rpy", "quat_xyzw"}
    success: bool
    reason: str
    q: np.ndarray = field(metadata=CONFIGURATION)
    position_error: float  # [m]
    rotation_error: float  # [rad]
    iterations: int
    restarts: int
    time: float  # [s]
    obstacles: list[str]
    self_collision: bool
    clearance: float  # [m]
    collisions: list[list[str]] | None
    closest: dict[str, Any] | None  # {"distance", "pair"}
    url: str | None
    avoiding: bool = field(metadata=HIDDEN)  # --obstacles or --self-collision was given


@dataclass(frozen=True)
class IkAllReport(RobotReport):
    frame: str
    target: dict[str, list[float] | None]  # {"xyz", "rpy", "quat_xyzw"}
    family: str
    structure: str  # one line: the family and what it was read from
    fixed: dict[str, float]  # [rad]
    count: int
    reason: str
    singular: bool
    solutions: list[dict[str, Any]]  # {"q", "joints", "position_error", "rotation_error", "branch"}
    time: float  # [s]
    url: str | None


@dataclass(frozen=True)
class ManipReport(FrameReport):
    part: str
    length_scale: float
    measures: dict[str, float | None]
    singular_values: np.ndarray
    rank: int
    generic_rank: int
    singular: bool
    tol: float
    ellipsoids: dict[str, dict[str, Any]]  # {part: {"center", "axes", "velocity_radii", "force_radii"}}
    notes: list[str]


@dataclass(frozen=True)
class WorkspaceReport(RobotReport):
    frame: str
    samples: int
    rejected: int
    measure: str
    part: str
    seed: int
    out: str
    png: str | None
    bounds: dict[str, np.ndarray]  # {"min", "max"}
    manipulability: dict[str, float]  # {"min", "mean", "median", "max"}
    best: dict[str, Any]  # {"position", "manipulability", "joints"}
    drawn: int = field(metadata=HIDDEN)  # configurations drawn (--samples)
    filtered: bool = field(metadata=HIDDEN)  # colliding configurations were left out


@dataclass(frozen=True)
class ReachabilityReport(RobotReport):
    frame: str
    resolution: float
    orientations: int | str
    voxels: int
    shape: list[int]
    bounds: dict[str, np.ndarray]  # {"min", "max"}
    reachable_voxels: int
    mean_index: float
    complete: bool
    executor: str
    time: float  # [s]
    out: str
    png: str | None


@dataclass(frozen=True)
class ViewReport(RobotReport):
    url: str
    frame: str
    q: np.ndarray = field(metadata=CONFIGURATION)


@dataclass(frozen=True)
class CollisionsReport(RobotReport):
    q: np.ndarray = field(metadata=CONFIGURATION)
    obstacles: list[str]
    self_collision: bool
    in_collision: bool
    pairs: list[list[str]]
    clearance: dict[str, Any] | None  # {"distance", "pair", "point_a", "point_b"}
    scene_size: int = field(metadata=HIDDEN)
    checked_pairs: int = field(metadata=HIDDEN)


@dataclass(frozen=True)
class SrdfReport(RobotReport):
    out: str
    samples: int
    seed: int
    pairs: dict[str, int]  # {"adjacent", "never", "always"}: counts
    total: int = field(metadata=HIDDEN)  # every disabled pair
