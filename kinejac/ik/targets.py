"""What inverse kinematics should reach: :class:`FrameTarget` and the parsing of user targets.

A target asks for the pose ``T_ref_frame`` of one frame, where ``ref`` is the world or another
frame of the robot (``relative_to``). Weights, in the order ``[x, y, z, rx, ry, rz]``, act on the
error expressed in the *target* frame's axes; a weight of 0 leaves that axis free (a mask).
Position-only targets are poses whose rotation weights are 0 (their axes are then the world's),
orientation-only targets those whose position weights are 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pinocchio as pin

from .._checks import as_real_array
from ..errors import InvalidValueError, ShapeError
from ..spatial import (
    MAX_COORDINATE,
    as_transform,
    check_points,
    check_rotations,
    check_transforms,
    nearest_rotation,
    orthonormality_error,
)

__all__ = ["FrameTarget", "as_targets", "check_pose_batch", "check_start_batch", "quick_pose"]

_ONES6 = np.ones(6)
_ONES6.flags.writeable = False


def _weights(weights, mask, what: str) -> np.ndarray:
    if weights is not None and mask is not None:
        raise InvalidValueError(f"{what}: give weights or mask, not both")
    if mask is not None:
        m = np.asarray(mask)
        if m.shape != (6,):
            raise ShapeError(f"expected mask of shape (6,) [x, y, z, rx, ry, rz] for {what}, got {m.shape}")
        if m.dtype != bool and not np.isin(m, (0, 1)).all():
            raise InvalidValueError(f"mask of {what} must hold booleans or 0/1, got {m.tolist()}")
        weights = m.astype(float)
    if weights is None:
        return _ONES6
    w = as_real_array(weights, f"weights of {what}").astype(float, copy=True)
    if w.shape != (6,):
        raise ShapeError(f"expected weights of shape (6,) [x, y, z, rx, ry, rz] for {what}, got {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any():
        raise InvalidValueError(f"weights of {what} must be finite and >= 0, got {w.tolist()}")
    if not (w > 0).any():
        raise InvalidValueError(f"weights of {what} are all zero: nothing to solve for")
    w.flags.writeable = False
    return w


@dataclass(frozen=True)
class FrameTarget:
    """A desired pose ``T_ref_frame`` for one frame (``ref``: world, or the frame ``relative_to``).

    Build with :meth:`pose`, :meth:`position` or :meth:`orientation`. ``weights`` ``(6,)``
    [x, y, z, rx, ry, rz] scale the error in the target frame's axes (0 = free axis).
    """

    frame: str
    T: np.ndarray
    weights: np.ndarray = field(default_factory=lambda: _ONES6)
    relative_to: str | None = None

    @classmethod
    def pose(cls, frame: str, T, *, weights=None, mask=None, relative_to: str | None = None) -> FrameTarget:
        """A full pose ``T`` (4x4 or ``pinocchio.SE3``), optionally weighted or masked."""
        what = f"target of frame {frame!r}"
        M = as_transform(T, what)
        R = M[:3, :3]
        if orthonormality_error(R) > 1e-10:  # re-orthonormalise what as_transform tolerated
            M[:3, :3] = nearest_rotation(R)
        return cls(frame, M, _weights(weights, mask, what), relative_to)

    @classmethod
    def position(cls, frame: str, p, *, weights=None, relative_to: str | None = None) -> FrameTarget:
        """Position only: ``p`` ``(3,)`` [m]; optional ``weights`` ``(3,)`` on x, y, z (world axes)."""
        what = f"position target of frame {frame!r}"
        p = check_points(p, what)
        w3 = np.ones(3) if weights is None else as_real_array(weights, f"position weights of {what}")
        if w3.shape != (3,):
            raise ShapeError(f"expected position weights of shape (3,) for {what}, got {w3.shape}")
        T = np.eye(4)
        T[:3, 3] = p
        return cls(frame, T, _weights(np.r_[w3, 0.0, 0.0, 0.0], None, what), relative_to)

    @classmethod
    def orientation(cls, frame: str, R, *, weights=None, relative_to: str | None = None) -> FrameTarget:
        """Orientation only: ``R`` ``(3, 3)`` rotation; optional ``weights`` ``(3,)`` on rx, ry, rz."""
        what = f"orientation target of frame {frame!r}"
        R = as_real_array(R, what)
        if R.shape != (3, 3):
            raise ShapeError(f"expected {what} of shape (3, 3), got {R.shape}")
        R = check_rotations(R, what)
        w3 = np.ones(3) if weights is None else as_real_array(weights, f"rotation weights of {what}")
        if w3.shape != (3,):
            raise ShapeError(f"expected rotation weights of shape (3,) for {what}, got {w3.shape}")
        T = np.eye(4)
        T[:3, :3] = nearest_rotation(R)
        return cls(frame, T, _weights(np.r_[0.0, 0.0, 0.0, w3], None, what), relative_to)

    @property
    def se3(self) -> pin.SE3:
        """The target pose as a ``pinocchio.SE3``."""
        return pin.SE3(self.T[:3, :3].copy(), self.T[:3, 3].copy())


def as_targets(
    target, frame: str | None = None, *, weights=None, mask=None, relative_to: str | None = None
) -> tuple[FrameTarget, ...]:
    """Normalise what a user passed as an IK target into a tuple of :class:`FrameTarget`.

    ``target`` is a 4x4 array or ``pinocchio.SE3`` (full pose), a ``(3,)`` position, a ``(3, 3)``
    rotation (each needs ``frame``), a :class:`FrameTarget`, or a sequence of them (several frames).
    """
    if isinstance(target, FrameTarget):
        return (target,)
    if isinstance(target, Sequence) and target and all(isinstance(t, FrameTarget) for t in target):
        return tuple(target)
    if frame is None:
        raise InvalidValueError("frame is required when the target is an array (or pass FrameTarget objects)")
    if isinstance(target, pin.SE3):
        return (FrameTarget.pose(frame, target, weights=weights, mask=mask, relative_to=relative_to),)
    try:
        arr = as_real_array(target, "target")
    except InvalidValueError as exc:
        raise InvalidValueError(
            f"target must be a 4x4 pose, a pinocchio.SE3, a (3,) position, a (3, 3) rotation or FrameTarget(s), "
            f"got {type(target).__name__} ({exc})"
        ) from None
    if arr.shape == (4, 4):
        return (FrameTarget.pose(frame, arr, weights=weights, mask=mask, relative_to=relative_to),)
    if mask is not None:
        raise InvalidValueError("mask applies to full-pose targets; for a position or rotation target use weights")
    if arr.shape == (3,):
        return (FrameTarget.position(frame, arr, weights=weights, relative_to=relative_to),)
    if arr.shape == (3, 3):
        return (FrameTarget.orientation(frame, arr, weights=weights, relative_to=relative_to),)
    raise ShapeError(
        f"expected target of shape (4, 4) (pose), (3,) (position) or (3, 3) (rotation) for frame {frame!r}, "
        f"got {arr.shape}"
    )


_isfinite = math.isfinite


def quick_pose(T) -> pin.SE3 | None:
    """A valid 4x4 float64 pose (or ``SE3``) as ``SE3`` in a few microseconds; ``None`` if it is not
    plainly valid (the caller then takes the slow path, which explains what is wrong)."""
    if isinstance(T, pin.SE3):
        R = T.rotation
        rows = R.tolist()
        p = T.translation.tolist()
        last = (0.0, 0.0, 0.0, 1.0)
    elif type(T) is np.ndarray and T.shape == (4, 4) and T.dtype == np.float64:
        a = T.tolist()
        rows = [a[0][:3], a[1][:3], a[2][:3]]
        p = [a[0][3], a[1][3], a[2][3]]
        last = a[3]
    else:
        return None
    if last[0] != 0.0 or last[1] != 0.0 or last[2] != 0.0 or last[3] != 1.0:
        return None
    (a0, a1, a2), (b0, b1, b2), (c0, c1, c2) = rows
    if not _isfinite(a0 + a1 + a2 + b0 + b1 + b2 + c0 + c1 + c2 + p[0] + p[1] + p[2]):
        return None
    if max(abs(p[0]), abs(p[1]), abs(p[2])) > MAX_COORDINATE:
        return None
    # columns orthonormal and right-handed
    dev = max(
        abs(a0 * a0 + b0 * b0 + c0 * c0 - 1.0),
        abs(a1 * a1 + b1 * b1 + c1 * c1 - 1.0),
        abs(a2 * a2 + b2 * b2 + c2 * c2 - 1.0),
        abs(a0 * a1 + b0 * b1 + c0 * c1),
        abs(a0 * a2 + b0 * b2 + c0 * c2),
        abs(a1 * a2 + b1 * b2 + c1 * c2),
    )
    det = a0 * (b1 * c2 - b2 * c1) - a1 * (b0 * c2 - b2 * c0) + a2 * (b0 * c1 - b1 * c0)
    if dev > 1e-10 or det < 0:
        return None
    if isinstance(T, pin.SE3):
        return T.copy()
    return pin.SE3(np.array(rows), np.array(p))


def check_start_batch(robot, q0, B: int) -> np.ndarray:
    """The starts of ``B`` problems: ``q0`` ``(nq,)`` (one for all) or ``(B, nq)``, checked (finite,
    ``robot``'s shape), as a ``(B, nq)`` array (a read-only view when one start serves all)."""
    q = robot.check_q(q0, "q0")
    if q.ndim == 2 and q.shape[0] != B:
        raise ShapeError(f"expected q0 of shape ({robot.nq},) or ({B}, {robot.nq}) for {B} targets, got {q.shape}")
    return np.broadcast_to(q, (B, robot.nq))


def check_pose_batch(targets) -> np.ndarray:
    """``(B, 4, 4)`` rigid transforms (the pose door, :func:`~kinejac.spatial.check_transforms`) as a
    C-contiguous float array; rotations within its tolerance are re-orthonormalised."""
    T = as_real_array(targets, "targets")
    if T.ndim != 3 or T.shape[1:] != (4, 4):
        raise ShapeError(f"expected targets of shape (B, 4, 4), got {T.shape}")
    check_transforms(T, "targets")
    T = np.array(T, dtype=float, order="C")
    T[:, 3] = (0.0, 0.0, 0.0, 1.0)
    dev = orthonormality_error(T[:, :3, :3])
    fix = np.flatnonzero(dev > 1e-10)  # re-orthonormalise what the validation tolerated (as one solve does)
    if len(fix):
        T[fix, :3, :3] = nearest_rotation(T[fix, :3, :3])
    return T
