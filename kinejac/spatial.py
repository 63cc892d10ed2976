"""Spatial conventions: reference frames of twists and Jacobians, and pose validation.

Poses are 4x4 homogeneous matrices ``T_a_b`` mapping b-coordinates into a-coordinates
(``p_a = T_a_b @ p_b``). Twists and Jacobian rows are ordered ``[linear; angular]``, as in
pinocchio. See the README's "Conventions" section for the meaning of each :class:`Reference`.
"""

from __future__ import annotations

from enum import Enum

import numpy as np
import pinocchio as pin

from .errors import InvalidChoiceError, InvalidValueError, ShapeError

__all__ = [
    "REFERENCE_TO_PINOCCHIO",
    "Reference",
    "as_reference",
    "as_se3",
    "as_se3_list",
    "as_transform",
    "check_rotations",
    "nearest_rotation",
    "orthonormality_error",
]


class Reference(str, Enum):
    """In which frame a twist (and so a Jacobian) is expressed.

    - ``WORLD``: spatial velocity in world axes, measured at the world origin.
    - ``LOCAL``: body velocity in the frame's own axes, at the frame origin.
    - ``LOCAL_WORLD_ALIGNED``: linear velocity of the frame origin and angular velocity,
      both in world axes (the textbook geometric Jacobian; the default everywhere).
    """

    WORLD = "world"
    LOCAL = "local"
    LOCAL_WORLD_ALIGNED = "local_world_aligned"

    @property
    def pinocchio(self) -> pin.ReferenceFrame:
        """The matching ``pinocchio.ReferenceFrame``."""
        return _TO_PIN[self]


_EYE3 = np.eye(3)
REFERENCE_TO_PINOCCHIO: dict = {
    Reference.WORLD: pin.ReferenceFrame.WORLD,
    Reference.LOCAL: pin.ReferenceFrame.LOCAL,
    Reference.LOCAL_WORLD_ALIGNED: pin.ReferenceFrame.LOCAL_WORLD_ALIGNED,
}
# {Reference or its str value: pinocchio.ReferenceFrame}, read-only by convention (the hot paths of
# kinejac.kinematics look references up here without a function call; as_reference() validates).
# str-valued members hash like their values, so one dict serves enum members and strings alike.
# pinocchio's own enum is handled in as_reference(): its members compare equal to ints, and 0 or
# True must not silently mean a frame.
REFERENCE_TO_PINOCCHIO.update({r.value: p for r, p in list(REFERENCE_TO_PINOCCHIO.items())})
_TO_PIN = REFERENCE_TO_PINOCCHIO


def as_reference(reference: Reference | str | pin.ReferenceFrame) -> pin.ReferenceFrame:
    """Validate a reference given as :class:`Reference`, its string value or pinocchio's enum."""
    if isinstance(reference, pin.ReferenceFrame):
        return reference
    try:
        return _TO_PIN[reference]
    except (KeyError, TypeError):
        raise InvalidChoiceError("reference frame", reference, [r.value for r in Reference]) from None


def as_transform(T: np.ndarray | pin.SE3, name: str = "pose", tol: float = 1e-6) -> np.ndarray:
    """Validate a rigid transform; returns a float ``(4, 4)`` copy.

    Accepts a 4x4 array-like or a ``pinocchio.SE3``. Raises :class:`ShapeError` for another
    shape, :class:`InvalidValueError` for NaN/inf, a rotation block that is not orthonormal with
    determinant +1 (to ``tol``), or a last row other than ``[0, 0, 0, 1]``.
    """
    if isinstance(T, pin.SE3):
        return T.homogeneous.copy()
    try:
        M = np.array(T, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"{name} must be a 4x4 array or pinocchio.SE3, got {type(T).__name__}") from exc
    if M.shape != (4, 4):
        raise ShapeError(f"expected {name} to have shape (4, 4), got {M.shape}")
    if not np.isfinite(M).all():
        raise InvalidValueError(f"{name} contains NaN or inf: {M.tolist()}")
    if np.abs(M[3] - (0.0, 0.0, 0.0, 1.0)).max() > tol:
        raise InvalidValueError(f"{name} is not a rigid transform: last row is {M[3].tolist()}, expected [0, 0, 0, 1]")
    check_rotations(M[:3, :3], name, tol, what="a rigid transform: its rotation block is not a rotation matrix")
    return M


def orthonormality_error(R: np.ndarray) -> np.ndarray:
    """``max |RᵀR - I|`` of each ``(..., 3, 3)`` matrix: ``(...)`` (0 for a rotation)."""
    R = np.asarray(R, dtype=float)
    E = np.swapaxes(R, -1, -2) @ R  # (numpy < 2 has no .mT)
    E -= _EYE3
    return np.abs(E, out=E).max(axis=(-2, -1))


def check_rotations(R, name: str = "rotation", tol: float = 1e-6, *, what: str = "a rotation matrix") -> np.ndarray:
    """Validate rotation matrices ``(3, 3)`` or ``(..., 3, 3)``: finite, orthonormal to ``tol`` and
    with determinant +1. Returns them as a float array (no copy when already one); raises
    :class:`ShapeError` or :class:`InvalidValueError` naming ``name`` (and the first bad index)."""
    try:
        R = np.asarray(R, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"{name} must be an array of numbers, got {type(R).__name__}") from exc
    if R.ndim < 2 or R.shape[-2:] != (3, 3):
        raise ShapeError(f"expected {name} of shape (3, 3) or (..., 3, 3), got {R.shape}")
    if not np.isfinite(R).all():
        i = _first(~np.isfinite(R).all(axis=(-2, -1)))
        raise InvalidValueError(f"{_at(name, i)} contains NaN or inf: {R[i].tolist()}")
    ortho, det = orthonormality_error(R), np.linalg.det(R)
    bad = (ortho > tol) | (det < 0)
    if bad.any():
        i = _first(bad)
        raise InvalidValueError(f"{_at(name, i)} is not {what} (|RᵀR - I| = {ortho[i]:.2e}, det = {det[i]:.3f})")
    return R


def _first(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(k) for k in np.argwhere(mask)[0])


def _at(name: str, index: tuple[int, ...]) -> str:
    return f"{name}[{', '.join(map(str, index))}]" if index else name


def nearest_rotation(R: np.ndarray) -> np.ndarray:
    """The rotation nearest to each ``(..., 3, 3)`` matrix in the Frobenius norm, ``U Vᵀ`` of its SVD
    (re-orthonormalises a rotation validated to a tolerance; assumes determinant > 0)."""
    U, _, Vt = np.linalg.svd(R)
    return U @ Vt


def as_se3(T: np.ndarray | pin.SE3, name: str = "pose") -> pin.SE3:
    """Validate like :func:`as_transform` and return a ``pinocchio.SE3`` (rotation re-orthonormalised)."""
    M = as_transform(T, name)
    return pin.SE3(nearest_rotation(M[:3, :3]), M[:3, 3].copy())


def as_se3_list(T: np.ndarray, name: str = "poses", tol: float = 1e-6) -> list[pin.SE3]:
    """Validate a batch ``(K, 4, 4)`` of rigid transforms at once, as :func:`as_se3` does one (the
    first bad one is named: ``poses[3] ...``), and return them as ``pinocchio.SE3`` (rotations
    re-orthonormalised)."""
    M = np.asarray(T, dtype=float)
    if M.ndim != 3 or M.shape[1:] != (4, 4):
        raise ShapeError(f"expected {name} of shape (K, 4, 4), got {M.shape}")
    if not np.isfinite(M).all():
        i = _first(~np.isfinite(M).all(axis=(-2, -1)))
        raise InvalidValueError(f"{_at(name, i)} contains NaN or inf: {M[i].tolist()}")
    bad_row = np.abs(M[:, 3] - (0.0, 0.0, 0.0, 1.0)).max(axis=-1, initial=0.0) > tol
    if bad_row.any():
        i = _first(bad_row)
        raise InvalidValueError(
            f"{_at(name, i)} is not a rigid transform: last row is {M[i][3].tolist()}, expected [0, 0, 0, 1]"
        )
    R = check_rotations(M[:, :3, :3], name, tol, what="a rigid transform: its rotation block is not a rotation matrix")
    R = nearest_rotation(R) if len(R) else R
    p = M[:, :3, 3]
    return [pin.SE3(R[k], p[k].copy()) for k in range(len(M))]
