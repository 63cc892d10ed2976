"""Loading robots: bundled URDFs, URDF files and example-robot-data models.

``load`` checks the URDF itself before pinocchio parses it, so a broken file fails with a
:class:`~kinejac.errors.URDFError` that names the file and the offending element instead of a
crash or a silently wrong model. The same walk over the XML (:mod:`kinejac._urdf_xml`) collects
what :func:`urdf_findings` reports about a valid file that would still surprise a user (``kinejac
doctor``).
"""

from __future__ import annotations

import collections
import hashlib
import json
import site
import sys
import sysconfig
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import pinocchio as pin

from ._checks import as_real_array
from ._mesh_files import MESH_FORMATS, resolve_mesh_path
from ._urdf_xml import Finding, Mimic, UrdfFacts, walk_urdf
from .collision.geometry import build_collision_model
from .collision.pairs import check_pairs, generate_disabled_pairs, read_srdf
from .errors import InvalidChoiceError, InvalidValueError, JointNotFound, RobotNotFound, URDFError, URDFNotFound
from .packages import package_dirs_for
from .robot import LinkPair, Robot

__all__ = [
    "MAX_URDF_BYTES",
    "URDF_GEOMETRY",
    "Finding",
    "RobotSource",
    "UrdfGeometry",
    "available_robots",
    "build_visual_model",
    "erd_share",
    "load",
    "urdf_findings",
]

MAX_URDF_BYTES = 64 * 2**20  #: larger files are refused rather than parsed
_ROOT_JOINTS = {"floating": pin.JointModelFreeFlyer, "planar": pin.JointModelPlanar}
_ERD_PREFIXES = ("erd:", "example-robot-data:")


# -- where robots come from ------------------------------------------------------------------
def _bundled() -> dict[str, Path]:
    folder = resources.files("kinejac.robots")
    return {Path(str(p)).stem: Path(str(p)) for p in folder.iterdir() if str(p).endswith(".urdf")}


@lru_cache(maxsize=1)
def erd_share() -> Path | None:
    """The ``share`` folder holding example-robot-data's models, when the package is installed."""
    candidates = [sysconfig.get_paths()["purelib"], *site.getsitepackages(), *sys.path]
    for base in candidates:
        share = Path(base) / "cmeel.prefix" / "share"
        if (share / "example-robot-data" / "robots").is_dir():
            return share
    return None


@lru_cache(maxsize=1)
def _erd_models() -> dict[str, Path]:
    share = erd_share()
    if share is None:
        return {}
    found: dict[str, Path] = {}
    for path in sorted((share / "example-robot-data" / "robots").glob("*/**/*.urdf")):
        found.setdefault(path.stem, path)
    return found


def available_robots() -> list[str]:
    """Names :func:`load` accepts: the bundled robots, then ``erd:NAME`` for each
    example-robot-data model (when that package is installed)."""
    return sorted(_bundled()) + [f"erd:{n}" for n in sorted(_erd_models())]


def _resolve(spec: str | Path) -> tuple[str, Path, tuple[str, ...]]:
    """(name, urdf path, package dirs) for a robot spec."""
    text = str(spec)
    if isinstance(spec, Path) or text.endswith((".urdf", ".xml")) or "/" in text or "\\" in text:
        path = Path(text).expanduser()
        if not path.is_file():
            why = "is a directory" if path.is_dir() else "does not exist"
            raise URDFNotFound(f"URDF file {str(path)!r} {why}")
        return path.stem, path.resolve(), ()
    bundled = _bundled()
    if text in bundled:
        return text, bundled[text], ()
    erd_name = next((text[len(p) :] for p in _ERD_PREFIXES if text.startswith(p)), text)
    erd = _erd_models()
    if erd_name in erd:
        return erd_name, erd[erd_name], (str(erd_share()),)
    hint = "" if erd or erd_share() else " (install the 'robots' extra for example-robot-data's models)"
    raise RobotNotFound(text, available_robots(), where=f"bundled robots or example-robot-data{hint}")


# -- reading and checking the URDF before pinocchio sees it ---------------------------------
def _read_urdf(path: Path) -> UrdfFacts:
    """Read the URDF file (refusing one over :data:`MAX_URDF_BYTES`), validate it and collect its facts."""
    try:
        size = path.stat().st_size
        if size > MAX_URDF_BYTES:
            raise URDFError(
                f"{path}: file is {size / 2**20:.0f} MiB, over the {MAX_URDF_BYTES // 2**20} MiB limit for a URDF"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise URDFNotFound(f"cannot read URDF file {str(path)!r}: {exc.strerror or exc}") from None
    return walk_urdf(raw, path)


# -- building models -------------------------------------------------------------------------------
def _build(path: Path, root_joint: str | None, mimic: bool) -> pin.Model:
    args: list = [str(path)]
    if root_joint is not None:
        args.append(_ROOT_JOINTS[root_joint]())
    try:
        return pin.buildModelFromUrdf(*args, mimic=mimic)
    except (RuntimeError, ValueError) as exc:
        hint = ""
        if mimic and "mimic" in str(exc).lower():
            hint = (
                " (pinocchio needs every mimic joint to come after the joint it mimics in its depth-first"
                " order of the tree, where sibling branches go by name; rename or reorder the branches)"
            )
        raise URDFError(f"{path}: pinocchio could not build a model: {exc}{hint}") from None


def _locked_values(
    model: pin.Model, locked: Mapping[str, float | Sequence[float]] | Sequence[str] | None, where: str
) -> dict[str, np.ndarray]:
    """``{joint: value}`` for the joints to lock: given values, or neutral moved into the limits."""
    values: dict[str, np.ndarray] = {}
    names = list(model.names)
    for name in locked or ():
        if name not in names or name == "universe":
            raise JointNotFound(name, names[1:], where=where)
        joint = model.joints[names.index(name)]
        iq = slice(joint.idx_q, joint.idx_q + joint.nq)
        if isinstance(locked, Mapping):
            try:
                value = np.atleast_1d(as_real_array(locked[name], f"locked joint {name!r}")).astype(float)
            except InvalidValueError:
                value = np.full(joint.nq + 1, np.nan)  # refused below, with the value given
            if value.shape != (joint.nq,) or not np.isfinite(value).all():
                raise URDFError(
                    f"{where}: locked joint {name!r} needs {joint.nq} finite value(s), got {locked[name]!r}"
                )
        else:
            lo, hi = model.lowerPositionLimit[iq], model.upperPositionLimit[iq]
            value = np.clip(pin.neutral(model)[iq], lo, hi)
        values[name] = value
    return values


def _lock(model: pin.Model, values: Mapping[str, np.ndarray], where: str) -> pin.Model:
    if not values:
        return model
    q_ref = pin.neutral(model)
    names = list(model.names)
    ids = []
    for name, value in values.items():
        jid = names.index(name)
        joint = model.joints[jid]
        q_ref[joint.idx_q : joint.idx_q + joint.nq] = value
        ids.append(jid)
    try:
        reduced = pin.buildReducedModel(model, ids, q_ref)
    except (RuntimeError, ValueError) as exc:
        raise URDFError(f"{where}: cannot lock joints {list(values)}: {exc}") from None
    # pinocchio 4.1 makes the frame of each locked joint its own parent frame, which cuts the frame
    # tree there; give it back its parent from the full model (frames keep their names)
    for i in range(1, reduced.nframes):
        frame = reduced.frames[i]
        if frame.parentFrame == i:
            parent_name = model.frames[model.frames[model.getFrameId(frame.name)].parentFrame].name
            frame.parentFrame = reduced.getFrameId(parent_name)
            reduced.frames[i] = frame
    return reduced


def _mimic_maps(
    reduced: pin.Model, full: pin.Model, mimics: Sequence[Mimic]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(A, b, G): ``q_full = A q + b`` and ``v_full = G v`` between a mimic model and the same
    model with its mimic joints as free joints (used for Hessians, which pinocchio lacks there)."""
    by_name = {m.joint: m for m in mimics}
    A = np.zeros((full.nq, reduced.nq))
    b = np.zeros(full.nq)
    G = np.zeros((full.nv, reduced.nv))
    red_names = list(reduced.names)
    for jid in range(1, full.njoints):
        name, jf = full.names[jid], full.joints[jid]
        if name in by_name:
            m = by_name[name]
            src = reduced.joints[red_names.index(m.mimicked)]
            if jf.nq != 1 or src.nq != 1:
                raise URDFError(f"mimic joint {name!r}: only 1-DOF revolute/prismatic mimic joints are supported")
            A[jf.idx_q, src.idx_q] = m.multiplier
            b[jf.idx_q] = m.offset
            G[jf.idx_v, src.idx_v] = m.multiplier
        else:
            jr = reduced.joints[red_names.index(name)]
            A[jf.idx_q : jf.idx_q + jf.nq, jr.idx_q : jr.idx_q + jr.nq] = np.eye(jf.nq)
            G[jf.idx_v : jf.idx_v + jf.nv, jr.idx_v : jr.idx_v + jr.nv] = np.eye(jf.nv)
    return A, b, G


def _check_load_options(locked_joints, package_dirs, srdf):
    """``locked_joints`` and ``package_dirs`` in the forms :func:`load` takes (one name or folder
    alone is a list of one), and ``srdf`` a path; :class:`InvalidValueError` naming the argument."""
    if isinstance(locked_joints, str):
        locked_joints = [locked_joints]
    if locked_joints is not None and not isinstance(locked_joints, Mapping):
        try:
            locked_joints = list(locked_joints)
        except TypeError:
            raise InvalidValueError(
                f"locked_joints must be joint names or a {{name: value}} mapping, got {locked_joints!r}"
            ) from None
    if locked_joints is not None and not all(isinstance(j, str) for j in locked_joints):
        raise InvalidValueError(f"locked_joints must name joints (str), got {list(locked_joints)!r}")
    if isinstance(package_dirs, (str, Path)):
        package_dirs = [package_dirs]
    if package_dirs is not None:
        try:
            package_dirs = list(package_dirs)
        except TypeError:
            package_dirs = [None]
        if not all(isinstance(d, (str, Path)) for d in package_dirs):
            raise InvalidValueError(f"package_dirs must be folders (str or pathlib.Path), got {package_dirs!r}")
    if srdf is not None and not isinstance(srdf, (str, Path)):
        raise InvalidValueError(f"srdf must be the path of an SRDF file (str or pathlib.Path), got {srdf!r}")
    return locked_joints, package_dirs


def load(
    spec: str | Path,
    *,
    root_joint: Literal["floating", "planar"] | None = None,
    locked_joints: Sequence[str] | Mapping[str, float | Sequence[float]] | None = None,
    package_dirs: Sequence[str | Path] | None = None,
    srdf: str | Path | None = None,
) -> Robot:
    """Load a robot.

    Args:
        spec: a bundled robot name (``"panda"``; see :func:`available_robots`), a path to a
            ``.urdf`` file, or an example-robot-data model (``"erd:talos"``, or the bare name
            when no bundled robot has it).
        root_joint: ``None`` for a fixed base, ``"floating"`` (free-flyer, nq = 7) or
            ``"planar"`` (x, y, yaw) for a moving base, named ``root_joint``.
        locked_joints: joints to remove from the model, frozen at their neutral value (moved
            into the limits) or at the values of a ``{name: value}`` mapping.
        package_dirs: folders where ``package://`` mesh paths are looked up (viewer and
            collision geometry) after the places ROS tools look: walking up from the URDF's
            folder, ``ROS_PACKAGE_PATH``, ``AMENT_PREFIX_PATH`` (see :mod:`kinejac.packages`).
        srdf: an SRDF file whose ``<disable_collisions>`` pairs become
            :attr:`Robot.disabled_pairs` (otherwise they are generated on first use).

    Mimic joints are honoured: a mimic joint has no coordinate of its own in ``q``.
    """
    if root_joint is not None and root_joint not in _ROOT_JOINTS:
        raise InvalidChoiceError("root_joint", root_joint, ["None", *_ROOT_JOINTS])
    locked_joints, package_dirs = _check_load_options(locked_joints, package_dirs, srdf)
    name, path, erd_dirs = _resolve(spec)
    where = str(path)
    facts = _read_urdf(path)
    mimics = facts.mimics
    full = _build(path, root_joint, mimic=False)
    values = _locked_values(full, locked_joints, where)
    # a mimic pair with a locked joint is locked as a whole, at the mimic's own value
    broken = [m for m in mimics if m.mimicked in values or m.joint in values]
    for m in broken:
        if m.mimicked not in values:
            raise URDFError(f"{where}: joint {m.joint!r} mimics {m.mimicked!r}; lock {m.mimicked!r} instead")
        values[m.joint] = m.multiplier * values[m.mimicked] + m.offset
    active = [m for m in mimics if m not in broken]
    if active and broken:
        raise URDFError(f"{where}: locking joints of some mimic pairs while others stay free is not supported")
    unmimicked = None
    if active:
        model = _lock(_build(path, root_joint, mimic=True), values, where)
        full = _lock(full, values, where)
        unmimicked = (full, *_mimic_maps(model, full, active))
    else:
        model = _lock(full, values, where)
    model.name = name
    # package:// meshes: the packages found walking up from the URDF, on ROS_PACKAGE_PATH and
    # AMENT_PREFIX_PATH, then in package_dirs (kinejac.packages)
    found, _ = package_dirs_for(facts.meshes, path.parent, package_dirs or ())
    dirs = list(dict.fromkeys([*found, *(str(d) for d in package_dirs or ()), *erd_dirs, str(path.parent)]))
    source = RobotSource(
        name=name,
        urdf=path.read_bytes().decode("utf-8", "surrogateescape"),
        root_joint=root_joint,
        locked_joints=tuple((j, tuple(float(x) for x in values[j])) for j in (locked_joints or ())),
    )
    robot = Robot(
        model,
        name=name,
        urdf_path=path,
        package_dirs=dirs,
        root_joint=root_joint,
        source=source,
        unmimicked=unmimicked,
        geometry=URDF_GEOMETRY,
    )
    if srdf is not None:
        robot.set_disabled_pairs(srdf=srdf)
    return robot


@dataclass(frozen=True)
class RobotSource:
    """What rebuilds a robot in another process or on another machine: the URDF text and the
    options :func:`load` was given (no pinocchio objects, so it pickles small and the same everywhere).

    ``robot.source`` holds it for every robot made by :func:`load`. Mesh folders are not part of it:
    a robot rebuilt from its source computes kinematics but has no visual geometry.

    Attributes:
        name: the robot's name; urdf: the URDF file's text; root_joint: as given to :func:`load`;
        locked_joints: ``((joint, values), ...)`` the locked joints with the values they were locked at.
    """

    name: str
    urdf: str
    root_joint: Literal["floating", "planar"] | None = None
    locked_joints: tuple[tuple[str, tuple[float, ...]], ...] = ()

    @property
    def key(self) -> str:
        """A SHA-256 hex digest of the whole source (the same robot gives the same key everywhere)."""
        blob = json.dumps([self.name, self.urdf, self.root_joint, self.locked_joints], ensure_ascii=True)
        return hashlib.sha256(blob.encode("ascii")).hexdigest()

    def load(self) -> Robot:
        """Build the :class:`~kinejac.Robot` (checked like any URDF); its ``urdf_path`` is ``None``."""
        with tempfile.TemporaryDirectory(prefix="kinejac-") as folder:
            path = Path(folder) / f"{self.name}.urdf"
            path.write_bytes(self.urdf.encode("utf-8", "surrogateescape"))
            robot = load(path, root_joint=self.root_joint, locked_joints=dict(self.locked_joints) or None)
        robot.urdf_path, robot.package_dirs = None, ()
        return robot


def build_visual_model(robot: Robot) -> pin.GeometryModel:
    """The visual ``GeometryModel`` of a robot loaded from a URDF (meshes resolved through
    ``robot.package_dirs``). Mesh files that cannot be found raise :class:`URDFError` naming them."""
    if robot.urdf_path is None:
        raise URDFError(f"robot {robot.name!r} has no URDF file")
    try:
        return pin.buildGeomFromUrdf(
            robot.model, str(robot.urdf_path), pin.GeometryType.VISUAL, package_dirs=list(robot.package_dirs)
        )
    except (RuntimeError, ValueError) as exc:
        raise URDFError(f"{robot.urdf_path}: cannot build its visual geometry: {exc}") from None


class UrdfGeometry:
    """The :class:`~kinejac.robot.GeometryProvider` of the robots :func:`load` builds: the URDF's
    ``<visual>`` and ``<collision>`` elements through pinocchio, and the disabled pairs of
    :mod:`kinejac.collision.pairs` (read from an SRDF, given, or generated by sampling)."""

    def visual_model(self, robot: Robot) -> pin.GeometryModel:
        return build_visual_model(robot)

    def collision_model(self, robot: Robot) -> pin.GeometryModel:
        return build_collision_model(robot)

    def disabled_pairs(self, robot: Robot) -> dict[LinkPair, str]:
        return generate_disabled_pairs(robot)

    def read_srdf(self, robot: Robot, path: Path) -> dict[LinkPair, str]:
        return read_srdf(robot, path)

    def check_pairs(
        self, robot: Robot, pairs: Mapping[LinkPair, str] | Iterable[LinkPair], where: str
    ) -> dict[LinkPair, str]:
        return check_pairs(robot, pairs, where)


#: the geometry provider :func:`load` gives every robot (it holds no state)
URDF_GEOMETRY = UrdfGeometry()


# -- what would surprise a user (``kinejac doctor``) -----------------------------------------------
def urdf_findings(robot: Robot) -> list[Finding]:
    """What in a loaded robot's URDF would surprise a user, in this order: continuous joints with
    position limits (``continuous_limits``, warning) and mimic joints (``mimic``, note), in document
    order; mesh files the viewer cannot find or draw (``unresolved_mesh``, ``unsupported_mesh``,
    warnings); links without mass (``no_inertia``, one note); frames sharing a name
    (``duplicate_frame``, warning); a neutral configuration outside the limits
    (``neutral_outside_limits``, note). The first three need ``robot.urdf_path``.
    """
    findings: list[Finding] = []
    if robot.urdf_path is not None:
        facts = _read_urdf(robot.urdf_path)
        findings += facts.joint_findings
        findings += _mesh_findings(facts.meshes, robot.urdf_path.parent, robot.package_dirs)
        if facts.massless:
            names = ", ".join(facts.massless[:6]) + (", ..." if len(facts.massless) > 6 else "")
            findings.append(
                Finding(
                    "note",
                    "no_inertia",
                    ", ".join(facts.massless),
                    f"{len(facts.massless)} link(s) without mass or inertia ({names}): harmless for kinematics, "
                    "matters for dynamics",
                )
            )
    for name, n in collections.Counter(robot.frame_names).items():
        if n > 1:
            message = (
                f"{n} frames are named {name!r} (a link and a joint share the name?); looking it up gives only one "
                "of them"
            )
            findings.append(Finding("warning", "duplicate_frame", name, message))
    outside = robot.limit_violations(robot.neutral())
    if outside:
        message = f"the neutral configuration (all zeros) is outside the joint limits: {'; '.join(outside)}"
        findings.append(Finding("note", "neutral_outside_limits", robot.name, message))
    return findings


def _mesh_findings(meshes: Sequence[str], urdf_dir: Path, package_dirs: Sequence[str]) -> list[Finding]:
    """The mesh files the viewer cannot find, or cannot draw."""
    findings = []
    for filename in meshes:
        found, looked = resolve_mesh_path(filename, urdf_dir, package_dirs)
        if found is None:
            places = ", ".join(dict.fromkeys(str(c) for c in looked[:4])) or "nowhere"
            message = (
                f"mesh {filename!r} not found (looked at: {places}); the viewer cannot draw it "
                "(pass --package-dir DIR for package:// paths)"
            )
            findings.append(Finding("warning", "unresolved_mesh", filename, message))
        elif found.suffix.lower() not in MESH_FORMATS:
            message = f"mesh {filename!r} is a {found.suffix} file; the viewer draws {', '.join(MESH_FORMATS)} only"
            findings.append(Finding("warning", "unsupported_mesh", filename, message))
    return findings
