"""kinejac.spatial's rotation checks: the one validator the package uses for rotation matrices."""

from __future__ import annotations

import numpy as np
import pinocchio as pin
import pytest

from kinejac.errors import InvalidValueError, ShapeError
from kinejac.spatial import as_se3, as_transform, check_rotations, nearest_rotation, orthonormality_error


def _rotations(n: int) -> np.ndarray:
    rng = np.random.default_rng(3)
    return np.array([pin.exp3(w) for w in rng.normal(size=(n, 3))])


def test_orthonormality_error_is_the_largest_entry_of_RtR_minus_identity():
    R = _rotations(4)
    assert orthonormality_error(R).shape == (4,)
    assert orthonormality_error(R).max() < 1e-15
    S = np.diag([1.0, 2.0, 0.5])  # S^T S - I = diag(0, 3, -0.75)
    assert orthonormality_error(S) == 3.0
    assert orthonormality_error(np.stack([R[0], S])).tolist() == [orthonormality_error(R[0]), 3.0]


def test_check_rotations_accepts_rotations_and_names_the_first_bad_one():
    R = _rotations(5)
    r0 = R[0]
    assert check_rotations(R) is R and check_rotations(r0, "R0") is r0
    bad = R.copy()
    bad[3] = bad[3] @ np.diag([1.0, 1.0, -1.0])  # orthonormal, det -1
    with pytest.raises(InvalidValueError, match=r"Rs\[3\] is not a rotation matrix \(\|RᵀR - I\| = .*, det = -1.000\)"):
        check_rotations(bad, "Rs")
    bad = R.reshape(5, 1, 3, 3).copy()
    bad[2, 0] *= 1.001
    with pytest.raises(InvalidValueError, match=r"Rs\[2, 0\] is not a rotation matrix \(\|RᵀR - I\| = 2.00e-03"):
        check_rotations(bad, "Rs")
    bad[2, 0, 1, 1] = np.nan
    with pytest.raises(InvalidValueError, match=r"Rs\[2, 0\] contains NaN or inf"):
        check_rotations(bad, "Rs")
    with pytest.raises(ShapeError, match=r"expected Rs of shape \(3, 3\) or \(\.\.\., 3, 3\), got \(3, 4\)"):
        check_rotations(np.zeros((3, 4)), "Rs")
    assert check_rotations(R[0] * (1 + 2e-7), tol=1e-6) is not None  # within the tolerance
    with pytest.raises(InvalidValueError):
        check_rotations(R[0] * (1 + 2e-7), tol=1e-7)


def test_nearest_rotation_projects_back_onto_SO3():
    R = _rotations(6)
    assert np.abs(nearest_rotation(R) - R).max() < 1e-15
    noisy = R * (1 + 1e-7)  # a uniform scale: the nearest rotation is R itself
    fixed = nearest_rotation(noisy)
    assert np.abs(fixed - R).max() < 1e-15
    assert orthonormality_error(fixed).max() < 1e-15
    assert np.allclose(np.linalg.det(fixed), 1.0, atol=1e-15)


def test_as_transform_and_as_se3_use_the_validator():
    T = np.eye(4)
    T[:3, :3] = _rotations(1)[0] @ np.diag([1.0, 1.0, -1.0])
    with pytest.raises(InvalidValueError, match=r"pose is not a rigid transform: its rotation block is not a rotation"):
        as_transform(T)
    T[:3, :3] = _rotations(1)[0] * (1 + 1e-9)
    assert np.abs(as_se3(T).rotation - _rotations(1)[0]).max() < 1e-15
