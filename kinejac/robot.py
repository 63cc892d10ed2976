"""The :class:`Robot`: a kinematic model, its configuration space and named frames.

A ``Robot`` wraps a pinocchio ``Model`` (and one ``Data`` workspace). Configurations ``q`` live in
pinocchio's representation: ``(nq,)`` with a continuous joint stored as ``(cos θ, sin θ)`` and a
floating base as ``[x, y, z, qx, qy, qz, qw]``; velocities and tangent vectors are ``(nv,)``.
Use :meth:`Robot.from_dict` / :meth:`Robot.to_dict` to work with plain joint angles.
Every method accepts a batch: ``q`` of shape ``(B, nq)`` gives a leading ``B`` axis.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pinocchio as pin

from ._checks import as_real_array, broadcast_batch, check_memory, positive
from .errors import FrameNotFound, InvalidValueError, JointNotFound, KinejacError, ShapeError

if TYPE_CHECKING:
    from .urdf import RobotSource

__all__ = ["GeometryProvider", "JointInfo", "LinkPair", "Robot", "require_robot"]

LinkPair = tuple[str, str]  #: two link names, sorted by name

_F64 = np.dtype(np.float64)
_isfinite = math.isfinite

# pinocchio joint short names grouped by how their configuration is stored
_ROTATIONS = ("JointModelRX", "JointModelRY", "JointModelRZ", "JointModelRevoluteUnaligned")
_CONTINUOUS = ("JointModelRUBX", "JointModelRUBY", "JointModelRUBZ", "JointModelRevoluteUnboundedUnaligned")
_PRISMATIC = ("JointModelPX", "JointModelPY", "JointModelPZ", "JointModelPrismaticUnaligned")
_KIND = {
    **{k: "revolute" for k in _ROTATIONS},
    **{k: "continuous" for k in _CONTINUOUS},
    **{k: "prismatic" for k in _PRISMATIC},
    "JointModelFreeFlyer": "floating",
    "JointModelPlanar": "planar",
    "JointModelSpherical": "spherical",
    "JointModelTranslation": "translation",
    "JointModelMimic": "mimic",
}
# where a joint's configuration holds a unit-norm group: (offset in its q, size)
_UNIT_GROUPS = {"continuous": (0, 2), "floating": (3, 4), "planar": (2, 2), "spherical": (0, 4)}
_UNBOUNDED_TRANSLATION = 1.0  # [m] range used by random_configuration where a translation has no limit
# [rad or m]: a limit this far out means "none" (example-robot-data's iris has ±1e16 rad, where cos
# and sin lose all precision); such coordinates are unbounded
_ABSURD_LIMIT = 1e6


class GeometryProvider(Protocol):
    """Where a robot's geometry and its disabled collision pairs come from.

    :func:`kinejac.load` gives every robot it builds the URDF's (:data:`kinejac.urdf.URDF_GEOMETRY`),
    so a ``Robot`` imports neither the loader nor the collision package: it asks its provider, once,
    and keeps the answer. A robot wrapped around a bare pinocchio ``Model`` has none.
    """

    def visual_model(self, robot: Robot) -> pin.GeometryModel:
        """The visual ``GeometryModel``."""
        ...

    def collision_model(self, robot: Robot) -> pin.GeometryModel:
        """The collision ``GeometryModel`` (empty when there is no collision geometry)."""
        ...

    def disabled_pairs(self, robot: Robot) -> dict[LinkPair, str]:
        """``{pair: reason}`` generated for a robot given no SRDF."""
        ...

    def read_srdf(self, robot: Robot, path: Path) -> dict[LinkPair, str]:
        """``{pair: reason}`` from the ``<disable_collisions>`` elements of an SRDF file, checked."""
        ...

    def check_pairs(
        self, robot: Robot, pairs: Mapping[LinkPair, str] | Iterable[LinkPair], where: str
    ) -> dict[LinkPair, str]:
        """Pairs given by a user, checked against the robot's links (``where`` names the caller)."""
        ...


@dataclass(frozen=True)
class JointInfo:
    """One joint of the model: its type and where it sits in ``q`` and ``v``.

    ``kind`` is one of revolute, continuous, prismatic, floating, planar, spherical, translation,
    mimic (a mimic joint has ``nq = nv = 0``: its value follows ``mimicked``).
    """

    name: str
    kind: str
    idx_q: int
    nq: int
    idx_v: int
    nv: int
    parent: str
    mimicked: str | None = None


class Robot:
    """A kinematic model. Build one with :func:`kinejac.load`, or wrap a pinocchio ``Model``.

    ``Robot`` stands below everything that builds or uses it: it imports neither the loader
    (:mod:`kinejac.urdf`) nor the collision package; its visual and collision geometry and its
    disabled pairs come from the ``geometry`` provider the loader passes in.

    Attributes:
        name: robot name.
        nq: configuration size; nv: tangent (velocity) size.
        lower, upper: ``(nq,)`` position limits; ``-inf``/``+inf`` where a coordinate is
            unbounded (continuous joints, quaternions, unlimited floating-base translation, and
            limits beyond ±1e6 rad or m, which URDFs use to mean "none").
        velocity_limit: ``(nv,)`` [rad/s] or [m/s]; ``inf`` where none is given.
        joint_names: the moving joints, in ``q`` order (mimic joints excluded).
        frame_names: every frame of the model (links, joints, fixed frames).
        urdf_path, package_dirs: where the model came from (used by the viewer).
        source: a :class:`~kinejac.urdf.RobotSource` (URDF text and load options) that rebuilds the
            robot in another process or on another machine; ``None`` when the robot was built from
            a pinocchio ``Model`` directly.
        model, data: the pinocchio ``Model`` (treat as read-only) and the ``Data`` workspace that
            kinejac's functions use for this robot.
        frame_ids: ``{frame name: index in model.frames}`` (read-only; :meth:`frame_id` checks).
        plain_q_shape: ``(nq,)`` when every coordinate of ``q`` is free (no quaternion or
            (cos, sin) pair whose norm must be checked), else ``None``: fast paths test it.
        unmimicked: ``(model without mimic constraints, A, b, G)`` with ``q_full = A q + b`` and
            ``v_full = G v`` (the Hessian of a mimic model is taken through it by the chain rule),
            or ``None`` for a robot without mimic joints.
        cache: derived data that other modules keep per robot (fitted spheres, collision
            checkers); cleared when the disabled pairs change.
        geometry: the :class:`GeometryProvider` of the visual and collision geometry and of the
            disabled pairs (``None``: the robot has none, e.g. one built from a pinocchio ``Model``).

    A ``Robot`` owns one pinocchio ``Data`` workspace, so one ``Robot`` must not be used from
    several threads at once (:meth:`copy` gives an independent one).
    """

    def __init__(
        self,
        model: pin.Model,
        *,
        name: str | None = None,
        urdf_path: str | Path | None = None,
        package_dirs: Sequence[str | Path] = (),
        root_joint: str | None = None,
        source: RobotSource | None = None,
        unmimicked: tuple[pin.Model, np.ndarray, np.ndarray, np.ndarray] | None = None,
        geometry: GeometryProvider | None = None,
    ) -> None:
        if not isinstance(model, pin.Model):
            raise KinejacError(f"Robot needs a pinocchio.Model, got {type(model).__name__}")
        self.model = model
        self.data = model.createData()
        self.name = name or model.name or "robot"
        self.urdf_path = Path(urdf_path) if urdf_path is not None else None
        self.package_dirs = tuple(str(p) for p in package_dirs)
        self.root_joint = root_joint
        # kinejac.urdf.RobotSource: the URDF text and load options that rebuild this robot in another
        # process (None for a robot wrapped around a pinocchio Model)
        self.source = source
        self.geometry = geometry
        self.nq, self.nv = int(model.nq), int(model.nv)
        self._shape_q, self._shape_v = (self.nq,), (self.nv,)
        self.frame_ids: dict[str, int] = {f.name: i for i, f in enumerate(model.frames)}
        self.frame_names = tuple(f.name for f in model.frames)
        self._visual_model = None
        self._collision_model: pin.GeometryModel | None = None
        self._disabled_pairs: dict[tuple[str, str], str] | None = None
        self.cache: dict = {}
        self.unmimicked = unmimicked
        self._unmimicked_data_cache: pin.Data | None = None

        mimic_of = {int(a): int(b) for a, b in zip(model.mimicking_joints, model.mimicked_joints)}
        joints = []
        for jid in range(1, model.njoints):
            jm = model.joints[jid]
            kind = _KIND.get(jm.shortname(), jm.shortname())
            mimicked = model.names[mimic_of[jid]] if jid in mimic_of else None
            joints.append(
                JointInfo(
                    name=model.names[jid],
                    kind=kind,
                    idx_q=int(jm.idx_q),
                    nq=int(jm.nq),
                    idx_v=int(jm.idx_v),
                    nv=int(jm.nv),
                    parent=model.names[model.parents[jid]],
                    mimicked=mimicked,
                )
            )
        self.joints = tuple(joints)
        self._joint_by_name = {j.name: j for j in joints}
        self.joint_names = tuple(j.name for j in joints if j.kind != "mimic")

        lo = np.array(model.lowerPositionLimit, dtype=float)
        hi = np.array(model.upperPositionLimit, dtype=float)
        lo[lo <= -_ABSURD_LIMIT], hi[hi >= _ABSURD_LIMIT] = -np.inf, np.inf
        huge = np.finfo(float).max / 2
        self._unit_groups: list[tuple[int, int, str]] = []
        for j in joints:
            if j.kind in _UNIT_GROUPS:
                off, size = _UNIT_GROUPS[j.kind]
                a = j.idx_q + off
                lo[a : a + size], hi[a : a + size] = -np.inf, np.inf
                self._unit_groups.append((a, size, j.name))
        # the fast path of check_q applies when there is no quaternion or (cos, sin) pair to check
        self.plain_q_shape: tuple[int] | None = None if self._unit_groups else self._shape_q
        self.lower, self.upper = lo, hi
        self.lower.flags.writeable = self.upper.flags.writeable = False
        vel = np.array(model.velocityLimit, dtype=float)
        vel[(vel <= 0) | (vel >= huge)] = np.inf
        self.velocity_limit = vel
        self.velocity_limit.flags.writeable = False

    # -- pinocchio access -------------------------------------------------------------------
    def _provider(self, what: str) -> GeometryProvider:
        """The geometry provider, or an error saying why this robot has no ``what``."""
        if self.geometry is None or self.urdf_path is None:
            raise KinejacError(f"robot {self.name!r} was not loaded from a URDF, so it has no {what}")
        return self.geometry

    @property
    def visual_model(self) -> pin.GeometryModel:
        """The URDF's visual geometry as a pinocchio ``GeometryModel`` (built on first use)."""
        if self._visual_model is None:
            self._visual_model = self._provider("visual geometry").visual_model(self)
        return self._visual_model

    @property
    def collision_model(self) -> pin.GeometryModel:
        """The URDF's collision geometry as a pinocchio ``GeometryModel`` (built on first use;
        empty when the URDF has no ``<collision>`` element)."""
        if self._collision_model is None:
            self._collision_model = self._provider("collision geometry").collision_model(self)
        return self._collision_model

    @property
    def has_collision_geometry(self) -> bool:
        """Whether the robot has collision geometry (``False`` also when not loaded from a URDF)."""
        return self.geometry is not None and self.urdf_path is not None and self.collision_model.ngeoms > 0

    @property
    def disabled_pairs(self) -> dict[LinkPair, str]:
        """``{(link_a, link_b): reason}``: link pairs never checked for self-collision.

        From the SRDF given to :func:`kinejac.load` or :meth:`set_disabled_pairs`; otherwise
        generated on first use by :func:`kinejac.collision.generate_disabled_pairs` (adjacent
        links, and pairs never or always in collision over 10,000 seeded random configurations).
        """
        if self._disabled_pairs is None:
            self._disabled_pairs = self._provider("collision geometry").disabled_pairs(self)
        return self._disabled_pairs

    def set_disabled_pairs(self, pairs=None, *, srdf: str | Path | None = None) -> None:
        """Set the disabled pairs: an iterable of ``(link, link)``, a ``{pair: reason}`` mapping, or
        ``srdf=path`` to read them from an SRDF file. Unknown links raise :class:`KinejacError`
        (``LinkNotFound``) naming the link and listing the robot's links."""
        if srdf is not None and pairs is not None:
            raise KinejacError("set_disabled_pairs takes pairs or srdf=path, not both")
        if srdf is None and pairs is None:
            raise KinejacError("set_disabled_pairs needs pairs or srdf=path")
        if srdf is not None and not isinstance(srdf, (str, Path)):
            raise InvalidValueError(f"srdf must be the path of an SRDF file (str or pathlib.Path), got {srdf!r}")
        provider = self._provider("collision geometry")
        if srdf is not None:
            self._disabled_pairs = provider.read_srdf(self, Path(srdf))
        else:
            self._disabled_pairs = provider.check_pairs(self, pairs, "set_disabled_pairs")
        self.cache.clear()

    def unmimicked_data(self) -> pin.Data:
        """A ``Data`` workspace for :attr:`unmimicked`'s model (made on first use)."""
        if self.unmimicked is None:
            raise KinejacError(f"robot {self.name!r} has no mimic joints, so it has no unmimicked model")
        if self._unmimicked_data_cache is None:
            self._unmimicked_data_cache = self.unmimicked[0].createData()
        return self._unmimicked_data_cache

    def copy(self) -> Robot:
        """An independent ``Robot`` sharing nothing mutable (own ``Model`` and ``Data``)."""
        twin = Robot(
            self.model.copy(),
            name=self.name,
            urdf_path=self.urdf_path,
            package_dirs=self.package_dirs,
            root_joint=self.root_joint,
            source=self.source,
            unmimicked=self.unmimicked,
            geometry=self.geometry,
        )
        if self._disabled_pairs is not None:
            twin._disabled_pairs = dict(self._disabled_pairs)
        return twin

    def __repr__(self) -> str:
        sizes = f"nq={self.nq}, nv={self.nv}, joints={len(self.joint_names)}, frames={len(self.frame_names)}"
        return f"Robot({self.name!r}, {sizes})"

    # -- names -------------------------------------------------------------------------------
    def frame_id(self, frame: str) -> int:
        """Index of a frame in ``model.frames``; raises :class:`FrameNotFound` listing close names."""
        try:
            return self.frame_ids[frame]
        except (KeyError, TypeError):
            raise FrameNotFound(frame, self.frame_names, where=f"robot {self.name!r}") from None

    def joint(self, name: str) -> JointInfo:
        """The :class:`JointInfo` of a joint; raises :class:`JointNotFound` listing close names."""
        try:
            return self._joint_by_name[name]
        except (KeyError, TypeError):
            raise JointNotFound(name, self._joint_by_name, where=f"robot {self.name!r}") from None

    def leaf_frames(self) -> list[str]:
        """Frames no other frame hangs from (end effectors, tool tips, fingertips), in model order."""
        frames = self.model.frames
        parents = {int(f.parentFrame) for i, f in enumerate(frames) if i > 0}
        return [f.name for i, f in enumerate(frames) if i > 0 and i not in parents]

    def frame_kind(self, frame: str | int) -> str:
        """What a frame (a name, or an index in ``model.frames``) is: ``body`` (a link), ``fixed`` (a
        fixed joint, also ``universe``), ``frame`` (an operational frame), ``sensor``, or for the frame
        of a moving joint that joint's :attr:`JointInfo.kind`."""
        index = self.frame_id(frame) if isinstance(frame, str) else int(frame)
        if not 0 <= index < len(self.frame_names):
            raise FrameNotFound(str(frame), self.frame_names, where=f"robot {self.name!r}")
        f = self.model.frames[index]
        kind = str(f.type).rsplit(".", 1)[-1].lower()  # body, joint, fixed_joint, op_frame, sensor
        if kind == "joint":
            return self.joint(f.name).kind
        return {"fixed_joint": "fixed", "op_frame": "frame"}.get(kind, kind)

    def tangent_names(self) -> list[str]:
        """Names of the ``nv`` tangent directions: the joint's name, or ``joint[k]`` for a joint with nv > 1."""
        names = [""] * self.nv
        for j in self.joints:
            for k in range(j.nv):
                names[j.idx_v + k] = j.name if j.nv == 1 else f"{j.name}[{k}]"
        return names

    def limit_violations(self, q, *, degrees: bool = False, tol: float = 1e-9) -> list[str]:
        """One line per coordinate of one configuration ``q`` (nq,) outside the limits (to ``tol``):
        ``"joint = value not in [lower, upper]"``; revolute and continuous values in degrees if ``degrees``."""
        q = self.check_q(q)
        if q.ndim != 1:
            raise ShapeError(f"limit_violations takes one configuration of shape ({self.nq},), got {q.shape}")
        bad = []
        for j in self.joints:
            conv = math.degrees if degrees and j.kind in ("revolute", "continuous") else float
            for k in range(j.idx_q, j.idx_q + j.nq):
                if not self.lower[k] - tol <= q[k] <= self.upper[k] + tol:
                    lo, hi = conv(self.lower[k]), conv(self.upper[k])
                    bad.append(f"{j.name} = {conv(q[k]):.4g} not in [{lo:.4g}, {hi:.4g}]")
        return bad

    # -- argument checks (cheap on the single-configuration fast path) ----------------------
    def check_q(self, q, name: str = "q") -> np.ndarray:
        """``q`` as a float64 array of shape (nq,) or (B, nq), finite and with unit-norm groups."""
        # fast path, ~0.2 µs: the sum of the entries is finite iff every entry is (or it overflowed,
        # which falls through to the exact check)
        if type(q) is np.ndarray and q.shape == self.plain_q_shape and q.dtype is _F64:
            if _isfinite(sum(q.tolist())):
                return q
        q = self._as_array(q, self.nq, name, "nq")
        self._check_units(q, name)
        return q

    def check_v(self, v, name: str = "v") -> np.ndarray:
        """``v`` as a float64 array of shape (nv,) or (B, nv), finite."""
        if type(v) is np.ndarray and v.shape == self._shape_v and v.dtype is _F64 and _isfinite(sum(v.tolist())):
            return v
        return self._as_array(v, self.nv, name, "nv")

    def _as_array(self, x, n: int, name: str, what: str) -> np.ndarray:
        x = as_real_array(x, name)
        if x.ndim not in (1, 2) or x.shape[-1] != n:
            raise ShapeError(
                f"expected {name} of shape ({n},) or (B, {n}) for robot {self.name!r} ({what} = {n}), got {x.shape}"
            )
        if not np.isfinite(x).all():
            bad = np.argwhere(~np.isfinite(x))[0]
            raise InvalidValueError(f"{name} contains NaN or inf (first at index {tuple(int(i) for i in bad)})")
        return x

    def _check_units(self, q: np.ndarray, name: str) -> None:
        for a, size, joint in self._unit_groups:
            norms = np.linalg.norm(q[..., a : a + size], axis=-1)
            if np.abs(norms - 1.0).max(initial=0.0) > 1e-6:
                raise InvalidValueError(
                    f"{name}[{a}:{a + size}] of joint {joint!r} must have unit norm "
                    f"(a {'quaternion' if size == 4 else '(cos, sin) pair'}), got norm {norms.ravel()[0]:.6g}; "
                    "use robot.clip(q) to normalise or robot.from_dict() to build q from angles"
                )

    # -- configuration space -----------------------------------------------------------------
    def neutral(self) -> np.ndarray:
        """The neutral configuration ``(nq,)`` (zero angles, identity rotations)."""
        return np.array(pin.neutral(self.model))

    def random_configuration(self, rng: np.random.Generator | int | None = None, size: int | None = None) -> np.ndarray:
        """Configurations drawn uniformly within the limits: ``(nq,)``, or ``(size, nq)``.

        Unbounded coordinates are sampled too: continuous joints over a full turn, rotations of
        spherical and floating joints uniformly over SO(3), unlimited translations in ±1 m.
        ``rng`` is a numpy ``Generator`` or a seed.
        """
        rng = np.random.default_rng(rng)
        n = 1 if size is None else positive("size", size, integer=True, zero=True)
        check_memory(16.0 * n * max(self.nq, 1), f"{n} random configurations", "draw fewer at once (size)")
        q = np.empty((n, self.nq))
        lo, hi = self.lower, self.upper
        for j in self.joints:
            s = slice(j.idx_q, j.idx_q + j.nq)
            if j.kind in ("revolute", "prismatic", "translation"):
                default = math.pi if j.kind == "revolute" else _UNBOUNDED_TRANSLATION
                a = np.where(np.isfinite(lo[s]), lo[s], -default)
                b = np.where(np.isfinite(hi[s]), hi[s], default)
                q[:, s] = rng.uniform(a, b, size=(n, j.nq))
            elif j.kind in ("continuous", "planar"):
                if j.kind == "planar":
                    a = np.where(np.isfinite(lo[s][:2]), lo[s][:2], -_UNBOUNDED_TRANSLATION)
                    b = np.where(np.isfinite(hi[s][:2]), hi[s][:2], _UNBOUNDED_TRANSLATION)
                    q[:, j.idx_q : j.idx_q + 2] = rng.uniform(a, b, size=(n, 2))
                theta = rng.uniform(-math.pi, math.pi, size=n)
                q[:, j.idx_q + j.nq - 2] = np.cos(theta)
                q[:, j.idx_q + j.nq - 1] = np.sin(theta)
            elif j.kind in ("floating", "spherical"):
                if j.kind == "floating":
                    a = np.where(np.isfinite(lo[s][:3]), lo[s][:3], -_UNBOUNDED_TRANSLATION)
                    b = np.where(np.isfinite(hi[s][:3]), hi[s][:3], _UNBOUNDED_TRANSLATION)
                    q[:, j.idx_q : j.idx_q + 3] = rng.uniform(a, b, size=(n, 3))
                quat = rng.standard_normal((n, 4))
                q[:, j.idx_q + j.nq - 4 : j.idx_q + j.nq] = quat / np.linalg.norm(quat, axis=1, keepdims=True)
            elif j.nq:
                raise KinejacError(f"random_configuration does not support joint {j.name!r} of kind {j.kind}")
        return q[0] if size is None else q

    def within_limits(self, q, tol: float = 1e-9) -> bool | np.ndarray:
        """Whether ``q`` respects the position limits (to ``tol``); a bool, or ``(B,)`` bools."""
        q = self.check_q(q)
        ok = np.all((q >= self.lower - tol) & (q <= self.upper + tol), axis=-1)
        return bool(ok) if q.ndim == 1 else ok

    def clip(self, q) -> np.ndarray:
        """``q`` clipped into the limits, with quaternions and (cos, sin) pairs re-normalised."""
        q = np.clip(self._as_array(q, self.nq, "q", "nq"), self.lower, self.upper)
        for a, size, joint in self._unit_groups:
            g = q[..., a : a + size]
            norm = np.linalg.norm(g, axis=-1, keepdims=True)
            if (norm == 0).any():
                raise InvalidValueError(f"cannot normalise the zero {size}-vector of joint {joint!r}")
            q[..., a : a + size] = g / norm
        return q

    def integrate(self, q, v) -> np.ndarray:
        """``q ⊕ v``: the configuration reached from ``q`` moving along tangent ``v`` for unit time."""
        q, v = self.check_q(q), self.check_v(v)
        if q.ndim == 1 and v.ndim == 1:
            return pin.integrate(self.model, q, v)
        q, v = broadcast_batch(q, v, "q", "v")
        m, f = self.model, pin.integrate
        return np.array([f(m, qi, vi) for qi, vi in zip(q, v)]).reshape(len(q), self.nq)

    def difference(self, q0, q1) -> np.ndarray:
        """``q1 ⊖ q0``: the tangent ``v`` with ``integrate(q0, v) == q1`` (shortest way round)."""
        q0, q1 = self.check_q(q0, "q0"), self.check_q(q1, "q1")
        if q0.ndim == 1 and q1.ndim == 1:
            return pin.difference(self.model, q0, q1)
        q0, q1 = broadcast_batch(q0, q1, "q0", "q1")
        m, f = self.model, pin.difference
        return np.array([f(m, a, b) for a, b in zip(q0, q1)]).reshape(len(q0), self.nv)

    # -- named joint values --------------------------------------------------------------------
    def to_dict(self, q) -> dict[str, float | np.ndarray]:
        """``{joint_name: value}`` for one configuration: angles [rad] or positions [m] for 1-DOF
        joints (continuous ones as an angle), the raw coordinates for multi-DOF joints."""
        q = self.check_q(q)
        if q.ndim != 1:
            raise ShapeError(f"to_dict takes one configuration of shape ({self.nq},), got {q.shape}")
        out: dict[str, float | np.ndarray] = {}
        for j in self.joints:
            if j.kind == "mimic":
                continue
            if j.kind == "continuous":
                out[j.name] = math.atan2(q[j.idx_q + 1], q[j.idx_q])
            elif j.nq == 1:
                out[j.name] = float(q[j.idx_q])
            else:
                out[j.name] = q[j.idx_q : j.idx_q + j.nq].copy()
        return out

    def from_dict(self, values: Mapping[str, float | Sequence[float]], q0=None) -> np.ndarray:
        """A configuration ``(nq,)`` from ``{joint_name: value}``; joints not named keep their
        value in ``q0`` (default: :meth:`neutral`). Continuous joints take an angle [rad]."""
        q = self.neutral() if q0 is None else np.array(self.check_q(q0, "q0"), dtype=float)
        if q.ndim != 1:
            raise ShapeError(f"from_dict takes one q0 of shape ({self.nq},), got {q.shape}")
        for name, value in values.items():
            j = self.joint(name)
            if j.kind == "mimic":
                raise KinejacError(f"joint {name!r} is a mimic joint of {j.mimicked!r}; set that joint instead")
            x = as_real_array(value, f"value of joint {name!r}")
            if not np.isfinite(x).all():
                raise InvalidValueError(f"value of joint {name!r} is not finite: {value!r}")
            if j.kind == "continuous":
                if x.shape != ():
                    raise ShapeError(f"joint {name!r} (continuous) takes one angle, got shape {x.shape}")
                q[j.idx_q : j.idx_q + 2] = math.cos(x), math.sin(x)
            elif j.nq == 1:
                if x.shape not in ((), (1,)):
                    raise ShapeError(f"joint {name!r} ({j.kind}) takes one value, got shape {x.shape}")
                q[j.idx_q] = x.reshape(())
            else:
                if x.shape != (j.nq,):
                    raise ShapeError(f"joint {name!r} ({j.kind}) takes {j.nq} coordinates, got shape {x.shape}")
                q[j.idx_q : j.idx_q + j.nq] = x
        self._check_units(q, "q")
        return q


def require_robot(robot, where: str) -> Robot:
    """``robot`` if it is a :class:`Robot`, else :class:`InvalidValueError` naming ``where`` (the
    function or argument that needs it)."""
    if not isinstance(robot, Robot):
        raise InvalidValueError(f"{where} needs a kinejac.Robot (kinejac.load(...)), got {type(robot).__name__}")
    return robot
