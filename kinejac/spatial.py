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
    "MAX_COORDINATE",
    "POSE_TOLERANCE",
    "REFERENCE_TO_PINOCCHIO",
    "Reference",
    "as_reference",
    "as_se3",
    "as_se3_list",
    "as_transform",
    "check_points",
    "check_rotations",
    "check_transforms",
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


#: [m] the largest coordinate a pose or point may have: positions beyond it are refused as input
#: errors (no robot works a million kilometres from its origin, and squares of it stay far from
#: overflowing, so every later computation stays finite)
MAX_COORDINATE = 1e9
#: orthonormality tolerance of the pose door: ``max |RᵀR - I|`` of an accepted rotation block
POSE_TOLERANCE = 1e-6


def check_points(P, name: str = "point", shape: tuple[int, ...] | None = (3,)) -> np.ndarray:
    """Points [m] as a float array (real, finite, every coordinate within :data:`MAX_COORDINATE`),
    of ``shape`` (``-1`` in it: any length; ``None``: ``(3,)`` or ``(N, 3)``). Raises
    :class:`ShapeError` or :class:`InvalidValueError` naming ``name``."""
    P = _real(P, name)
    ok = P.shape[-1:] == (3,) and P.ndim in (1, 2) if shape is None else _shape_ok(P.shape, shape)
    if not ok:
        want = "(3,) or (N, 3)" if shape is None else str(tuple(shape)).replace("-1", "N")
        raise ShapeError(f"expected {name} of shape {want}, got {P.shape}")
    _check_coordinates(P, name, P.ndim - 1)
    return P


def _shape_ok(got: tuple[int, ...], want: tuple[int, ...]) -> bool:
    return len(got) == len(want) and all(w in (-1, g) for g, w in zip(got, want))


def _real(x, name: str) -> np.ndarray:
    """``x`` as a real float array (complex and non-numbers refused: numpy would drop or choke)."""
    try:
        a = np.asarray(x)
    except (TypeError, ValueError) as exc:  # ragged nested sequences
        raise InvalidValueError(f"{name} must be an array of numbers, got {type(x).__name__}: {exc}") from None
    if a.dtype.kind == "c":
        raise InvalidValueError(f"{name} must be real numbers, got complex values")
    if a.dtype.kind not in "biuf":
        try:
            a = a.astype(float)
        except (TypeError, ValueError):
            raise InvalidValueError(f"{name} must be an array of numbers, got {type(x).__name__}: {x!r:.80}") from None
    return a.astype(float, copy=False)


def _check_coordinates(P: np.ndarray, name: str, batch_dims: int) -> None:
    """Finite coordinates within :data:`MAX_COORDINATE` (``P``: ``(*batch, ..., k)``)."""
    if not np.isfinite(P).all():
        i = _first(~np.isfinite(P).reshape(*P.shape[:batch_dims], -1).all(axis=-1)) if batch_dims else ()
        raise InvalidValueError(f"{_at(name, i)} contains NaN or inf: {np.asarray(P[i]).tolist()}")
    big = np.abs(P).max(initial=0.0)
    if big > MAX_COORDINATE:
        i = _first((np.abs(P) > MAX_COORDINATE).reshape(*P.shape[:batch_dims], -1).any(axis=-1)) if batch_dims else ()
        raise InvalidValueError(
            f"{_at(name, i)} has a coordinate of {big:.3g} m, beyond the {MAX_COORDINATE:.0e} m kinejac accepts "
            "(kinejac.spatial.MAX_COORDINATE)"
        )


def check_transforms(M, name: str = "poses", tol: float = POSE_TOLERANCE) -> np.ndarray:
    """The pose door: validate rigid transforms ``(..., 4, 4)`` (any leading batch shape, also none),
    whatever they arrived as (one array, a batch, ``pinocchio.SE3`` s already turned into arrays).

    Each must be real, finite, translated by at most :data:`MAX_COORDINATE` [m] along each axis,
    with a last row ``[0, 0, 0, 1]`` and a rotation block orthonormal to ``tol`` (``max |RᵀR - I|``)
    with determinant +1. Returns the float array (no copy when it already is one); raises
    :class:`ShapeError` or :class:`InvalidValueError` naming ``name`` and the first bad index.
    """
    M = _real(M, name)
    if M.ndim < 2 or M.shape[-2:] != (4, 4):
        raise ShapeError(f"expected {name} of shape (4, 4) or (..., 4, 4), got {M.shape}")
    batch = M.ndim - 2
    if not np.isfinite(M).all():
        i = _first(~np.isfinite(M).all(axis=(-2, -1))) if batch else ()
        raise InvalidValueError(f"{_at(name, i)} contains NaN or inf: {M[i].tolist()}")
    bad_row = np.abs(M[..., 3, :] - (0.0, 0.0, 0.0, 1.0)).max(axis=-1, initial=0.0) > tol
    if bad_row.any():
        i = _first(bad_row) if batch else ()
        raise InvalidValueError(
            f"{_at(name, i)} is not a rigid transform: last row is {M[i][3].tolist()}, expected [0, 0, 0, 1]"
        )
    _check_coordinates(M[..., :3, 3], name, batch)
    check_rotations(M[..., :3, :3], name, tol, what="a rigid transform: its rotation block is not a rotation matrix")
    return M


def as_transform(T: np.ndarray | pin.SE3, name: str = "pose", tol: float = POSE_TOLERANCE) -> np.ndarray:
    """Validate one rigid transform (:func:`check_transforms`); returns a float ``(4, 4)`` copy.

    Accepts a 4x4 array-like or a ``pinocchio.SE3`` (checked the same way: an ``SE3`` can hold NaN,
    a scaled or sheared rotation). Raises :class:`ShapeError` for another shape,
    :class:`InvalidValueError` for complex or non-numeric input, NaN/inf, a translation beyond
    :data:`MAX_COORDINATE`, a rotation block that is not orthonormal with determinant +1 (to
    ``tol``), or a last row other than ``[0, 0, 0, 1]``.
    """
    M = T.homogeneous if isinstance(T, pin.SE3) else _real(T, name)
    if M.shape != (4, 4):
        raise ShapeError(f"expected {name} to have shape (4, 4), got {M.shape}")
    return check_transforms(np.array(M, dtype=float), name, tol)


def orthonormality_error(R: np.ndarray) -> np.ndarray:
    """``max |RᵀR - I|`` of each ``(..., 3, 3)`` matrix: ``(...)`` (0 for a rotation). The six
    distinct entries of ``RᵀR`` (columns' dot products), element-wise: a batched ``@`` of 3x3
    matrices costs several times more."""
    R = np.asarray(R, dtype=float)
    c = [R[..., :, k] for k in range(3)]  # the columns
    out = np.zeros(R.shape[:-2])
    for i in range(3):
        for j in range(i, 3):
            d = np.abs(np.einsum("...k,...k->...", c[i], c[j]) - (1.0 if i == j else 0.0))
            np.maximum(out, d, out=out)
    return out


def _det3(R: np.ndarray) -> np.ndarray:
    """The determinant of each ``(..., 3, 3)`` matrix, ``c0 · (c1 × c2)`` element-wise (LAPACK's
    batched determinant costs more for 3x3)."""
    c0, c1, c2 = R[..., :, 0], R[..., :, 1], R[..., :, 2]
    return np.einsum("...k,...k->...", c0, np.cross(c1, c2))


def check_rotations(R, name: str = "rotation", tol: float = 1e-6, *, what: str = "a rotation matrix") -> np.ndarray:
    """Validate rotation matrices ``(3, 3)`` or ``(..., 3, 3)``: finite, orthonormal to ``tol`` and
    with determinant +1. Returns them as a float array (no copy when already one); raises
    :class:`ShapeError` or :class:`InvalidValueError` naming ``name`` (and the first bad index)."""
    R = _real(R, name)
    if R.ndim < 2 or R.shape[-2:] != (3, 3):
        raise ShapeError(f"expected {name} of shape (3, 3) or (..., 3, 3), got {R.shape}")
    if not np.isfinite(R).all():
        i = _first(~np.isfinite(R).all(axis=(-2, -1)))
        raise InvalidValueError(f"{_at(name, i)} contains NaN or inf: {R[i].tolist()}")
    with np.errstate(over="ignore", invalid="ignore"):  # huge entries: an inf error, refused below
        ortho, det = orthonormality_error(R), _det3(R)
    bad = ~(ortho <= tol) | ~(det >= 0)
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


def as_se3_list(T: np.ndarray, name: str = "poses", tol: float = POSE_TOLERANCE) -> list[pin.SE3]:
    """Validate a batch ``(K, 4, 4)`` of rigid transforms at once, as :func:`as_se3` does one (the
    first bad one is named: ``poses[3] ...``), and return them as ``pinocchio.SE3`` (rotations
    re-orthonormalised)."""
    M = _real(T, name)
    if M.ndim != 3 or M.shape[1:] != (4, 4):
        raise ShapeError(f"expected {name} of shape (K, 4, 4), got {M.shape}")
    check_transforms(M, name, tol)
    R = M[:, :3, :3]
    R = nearest_rotation(R) if len(R) else R
    p = M[:, :3, 3]
    return [pin.SE3(R[k], p[k].copy()) for k in range(len(M))]
