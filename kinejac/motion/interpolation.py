"""Interpolation between poses: the SE(3) geodesic, or straight lines with rotation geodesics.

- ``"se3"``: ``T(s) = A exp(s log6(A⁻¹ B))``, the one-parameter screw motion from ``A`` to ``B``
  (a straight line when the orientation does not change; a helix segment when it does). The
  frame origin moves at constant speed ``‖ν‖`` along it, ``ν`` the linear part of ``log6(A⁻¹ B)``.
- ``"decoupled"``: the origin on the straight line ``p(s) = (1 - s) p_A + s p_B`` and the rotation
  on its geodesic ``R(s) = R_A exp(s log3(R_Aᵀ R_B))`` (what a straight weld seam needs when the
  tool also turns).

A segment is cut into ``n = ⌈max(L / max_step, θ / max_rotation_step)⌉`` equal steps of ``s``,
``L`` [m] the length of the origin's path and ``θ`` [rad] the rotation angle.
"""

from __future__ import annotations

import math
from itertools import pairwise
from typing import Literal

import numpy as np
import pinocchio as pin

from .._checks import check_memory, positive
from ..errors import InvalidChoiceError, ResourceLimitError, ShapeError
from ..spatial import as_se3, as_se3_list

__all__ = [
    "INTERPOLATIONS",
    "MAX_POSES",
    "Interpolation",
    "Segment",
    "as_pose_list",
    "count_steps",
    "interpolate_poses",
]

#: the default of ``interpolate_poses(max_poses=)``: more poses than this are refused before any is made
MAX_POSES = 1_000_000
_POSE_BYTES = 2 * 16 * 8  # one (4, 4) float pose in the output and one in the list it is gathered from

Interpolation = Literal["se3", "decoupled"]
INTERPOLATIONS: tuple[str, ...] = ("se3", "decoupled")


class Segment:
    """The path from pose ``A`` to pose ``B`` (``pinocchio.SE3``): :meth:`at` ``s`` ∈ [0, 1]."""

    def __init__(self, A: pin.SE3, B: pin.SE3, mode: str) -> None:
        if mode not in INTERPOLATIONS:
            raise InvalidChoiceError("interpolation", mode, INTERPOLATIONS)
        self.A, self.B, self.mode = A, B, mode
        if mode == "se3":
            self.xi = pin.log6(A.actInv(B))  # A⁻¹ B
            self.length = math.hypot(*self.xi.linear.tolist())
            self.angle = math.hypot(*self.xi.angular.tolist())
        else:
            self.dp = B.translation - A.translation
            self.w = pin.log3(A.rotation.T @ B.rotation)
            self.length = math.hypot(*self.dp.tolist())
            self.angle = math.hypot(*self.w.tolist())

    def steps(self, max_step: float, max_rotation_step: float) -> int:
        """Number of equal steps of ``s`` so that none exceeds ``max_step`` [m] or ``max_rotation_step`` [rad]
        (callers bound it first with :func:`count_steps`: it can be astronomically large)."""
        return max(1, math.ceil(self.raw_steps(max_step, max_rotation_step) - 1e-9))

    def raw_steps(self, max_step: float, max_rotation_step: float) -> float:
        """``max(L / max_step, θ / max_rotation_step)``, as a float (``inf`` when it overflows)."""
        return max(self.length / float(max_step), self.angle / float(max_rotation_step))  # floats overflow to inf

    def at(self, s: float) -> pin.SE3:
        """The pose at ``s`` ∈ [0, 1] (``A`` at 0, ``B`` at 1, exactly)."""
        if s >= 1.0:
            return self.B.copy()
        if self.mode == "se3":
            return self.A * pin.exp6(self.xi * s)
        return pin.SE3(self.A.rotation @ pin.exp3(self.w * s), self.A.translation + s * self.dp)


def as_pose_list(poses, name: str = "poses") -> list[pin.SE3]:
    """Waypoints given as ``(K, 4, 4)``, one 4x4 pose, or a sequence of 4x4 arrays / ``pinocchio.SE3``,
    validated as one batch (:func:`~kinejac.spatial.as_se3_list`)."""
    if isinstance(poses, pin.SE3):
        return [as_se3(poses, name)]
    if isinstance(poses, np.ndarray):
        if poses.shape == (4, 4):
            return [as_se3(poses, name)]
        if poses.ndim != 3 or poses.shape[1:] != (4, 4):
            raise ShapeError(f"expected {name} of shape (K, 4, 4) or a list of poses, got {poses.shape}")
        return as_se3_list(poses, name)
    try:
        items = list(poses)
    except TypeError:
        raise ShapeError(f"expected {name} of shape (K, 4, 4) or a list of poses, got {type(poses).__name__}") from None
    if all(isinstance(T, pin.SE3) for T in items):
        return as_se3_list(np.array([T.homogeneous for T in items]).reshape(-1, 4, 4), name)
    if all(isinstance(T, np.ndarray) and T.shape == (4, 4) for T in items):
        return as_se3_list(np.array(items).reshape(-1, 4, 4), name)
    return [as_se3(T, f"{name}[{i}]") for i, T in enumerate(items)]  # mixed kinds: one by one


def count_steps(segments: list[Segment], max_step: float, max_rotation_step: float) -> float:
    """The number of interpolation steps of ``segments`` at these step sizes, as a float (so a count
    too large to make, even ``inf``, can be refused before anything is made)."""
    return float(sum(max(1.0, math.ceil(x - 1e-9)) if math.isfinite(x) else math.inf
                     for x in (seg.raw_steps(max_step, max_rotation_step) for seg in segments)))  # fmt: skip


def interpolate_poses(
    poses,
    *,
    max_step: float = 0.005,
    max_rotation_step: float = 0.05,
    interpolation: Interpolation = "se3",
    max_poses: int = MAX_POSES,
) -> np.ndarray:
    """Poses ``(N, 4, 4)`` through the waypoints ``poses`` (``(K, 4, 4)`` or a list), no two
    consecutive ones more than ``max_step`` [m] or ``max_rotation_step`` [rad] apart; every
    waypoint is kept exactly.

    ``N`` is counted first: more than ``max_poses`` (default :data:`MAX_POSES`), or more memory than
    :func:`kinejac.memory_limit` allows, raises :class:`~kinejac.errors.ResourceLimitError` naming the
    count, before any pose is made."""
    max_step, max_rotation_step = (
        positive("max_step [m]", max_step),
        positive("max_rotation_step [rad]", max_rotation_step),
    )
    max_poses = positive("max_poses", max_poses, integer=True)
    if interpolation not in INTERPOLATIONS:
        raise InvalidChoiceError("interpolation", interpolation, INTERPOLATIONS)
    waypoints = as_pose_list(poses)
    if not waypoints:
        raise ShapeError("interpolate_poses needs at least one pose, got none")
    segments = [Segment(A, B, interpolation) for A, B in pairwise(waypoints)]
    n_poses = 1.0 + count_steps(segments, max_step, max_rotation_step)
    if n_poses > max_poses:
        raise ResourceLimitError(
            f"interpolate_poses would make {n_poses:.3g} poses at max_step={max_step:g} m and "
            f"max_rotation_step={max_rotation_step:g} rad, more than max_poses={max_poses}: take larger steps "
            "or raise max_poses"
        )
    check_memory(n_poses * _POSE_BYTES, f"interpolate_poses ({n_poses:.0f} poses)", "take larger steps (max_step)")
    out = [waypoints[0].homogeneous]
    for seg in segments:
        n = seg.steps(max_step, max_rotation_step)
        out.extend(seg.at(k / n).homogeneous for k in range(1, n + 1))
    return np.array(out)
