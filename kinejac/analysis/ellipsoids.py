"""Velocity and force manipulability ellipsoids of a frame, in world axes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InvalidChoiceError
from ..kinematics import pose
from .rows import check_part, selected_jacobian

if TYPE_CHECKING:
    from ..robot import Robot

__all__ = ["Ellipsoid", "force_ellipsoid", "velocity_ellipsoid"]

_ELLIPSOID_PARTS = ("translation", "rotation")
_LOST_DIRECTION = 1e-12  # relative: singular values below this are directions the arm cannot move in


@dataclass(frozen=True)
class Ellipsoid:
    """A manipulability ellipsoid ``{center + axes @ diag(radii) @ u : |u| <= 1}`` in world axes.

    Attributes:
        center: ``(3,)`` [m], the frame origin in the world.
        axes: ``(3, 3)``, columns are the unit principal axes (a right-handed rotation matrix).
        radii: ``(3,)`` along those axes, in the order of ``axes``: for ``kind="velocity"`` the
            singular values (largest first) [m/s or rad/s per unit joint speed]; for
            ``kind="force"`` their reciprocals [N or N·m per unit joint torque] (``inf`` along a
            direction the arm cannot move in, where any force is balanced without joint torque).
        kind: ``"velocity"`` or ``"force"``; part: ``"translation"`` or ``"rotation"``; frame: name.

    For a batch every array has a leading ``B`` axis; ``ellipsoid[i]`` is the i-th ellipsoid.
    """

    center: np.ndarray
    axes: np.ndarray
    radii: np.ndarray
    kind: str
    part: str
    frame: str

    def __len__(self) -> int:
        if self.radii.ndim == 1:
            raise TypeError("a single Ellipsoid has no len(); only a batch has")
        return self.radii.shape[0]

    def __getitem__(self, i: int) -> Ellipsoid:
        if self.radii.ndim == 1:
            raise TypeError("a single Ellipsoid cannot be indexed; only a batch can")
        return Ellipsoid(self.center[i], self.axes[i], self.radii[i], self.kind, self.part, self.frame)

    @property
    def matrix(self) -> np.ndarray:
        """The shape matrix ``E = axes diag(radii²) axesᵀ``: points ``x`` with ``(x-c)ᵀ E⁻¹ (x-c) <= 1``."""
        return (self.axes * self.radii[..., None, :] ** 2) @ np.swapaxes(self.axes, -1, -2)


def velocity_ellipsoid(robot: Robot, q, frame: str, part: str = "translation") -> Ellipsoid:
    """The velocity ellipsoid ``{J_part q̇ : |q̇| <= 1}`` of ``frame`` at ``q (nq,)`` or ``(B, nq)``,
    centred on the frame.

    Principal axes are the left singular vectors of the part's Jacobian, radii its singular
    values [m/s for translation, rad/s for rotation, per unit joint speed]. ``part`` is
    ``"translation"`` or ``"rotation"``, never a mix of units.
    """
    return _ellipsoid(robot, q, frame, part, "velocity")


def force_ellipsoid(robot: Robot, q, frame: str, part: str = "translation") -> Ellipsoid:
    """The force ellipsoid ``{f : |J_partᵀ f| <= 1}``, dual of :func:`velocity_ellipsoid`.

    Same principal axes, reciprocal radii [N for translation, N·m for rotation, per unit joint
    torque]: the arm is strong where it is slow. ``inf`` radii along directions it cannot move in.
    """
    return _ellipsoid(robot, q, frame, part, "force")


def _ellipsoid(robot: Robot, q, frame: str, part: str, kind: str) -> Ellipsoid:
    if part not in _ELLIPSOID_PARTS:
        raise InvalidChoiceError("ellipsoid part", part, _ELLIPSOID_PARTS)
    Q, A, batched, _ = selected_jacobian(robot, q, frame, check_part(part))
    U, s, _ = np.linalg.svd(A, full_matrices=True)  # U (B, 3, 3), s (B, min(3, nv))
    sigma = np.zeros((Q.shape[0], 3))
    sigma[:, : s.shape[1]] = s
    flip = np.linalg.det(U) < 0
    U[flip, :, 2] *= -1.0
    if kind == "force":
        # a singular value at rounding level (e.g. 2e-16 at a stretched arm) is a lost direction too
        moving = sigma > _LOST_DIRECTION * np.maximum(sigma[:, :1], 1.0)
        radii = np.where(moving, 1.0 / np.where(moving, sigma, 1.0), np.inf)
    else:
        radii = sigma
    center = pose(robot, Q, frame)[:, :3, 3]
    if not batched:
        center, U, radii = center[0], U[0], radii[0]
    return Ellipsoid(center, U, radii, kind, part, frame)
