"""Manipulability measures: one table, each measure defined once by its value and its derivative
with respect to the singular values.

A measure ``w`` is a function of the ``r`` largest singular values ``σ_1 >= ... >= σ_r`` of a matrix
``A`` (the selected Jacobian rows, see :mod:`kinejac.analysis.rows`, or ``A M(q)⁻¹`` for the
dynamic measure), where ``r`` is the generic rank of those rows. :data:`MEASURE_TABLE` holds, per
measure, ``w(σ)`` and ``∂w/∂σ``; :mod:`kinejac.analysis.gradients` turns the latter into ``∂w/∂q``
by the chain rule, ``∂w/∂q_k = Σ_i ∂w/∂σ_i · ∂σ_i/∂q_k``.

With ``r = m <= nv`` Yoshikawa's measure is the classical ``√det(A Aᵀ)``; in general it is
``σ_1 ⋯ σ_r``, the r-dimensional volume of the image of the unit joint-velocity ball. Such a
*volume* measure is evaluated without an SVD (``|det A|`` or a QR, exact at 0).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from ..errors import InvalidChoiceError
from .rows import Part, check_part, measurable_rank, selected_jacobian

if TYPE_CHECKING:
    from ..robot import Robot

__all__ = [
    "MEASURES",
    "MEASURE_TABLE",
    "Measure",
    "MeasureDefinition",
    "check_measure",
    "manipulability",
    "measure_values",
    "volume",
]

Measure = Literal["yoshikawa", "condition", "min_singular", "dynamic"]


@dataclass(frozen=True)
class MeasureDefinition:
    """One manipulability measure of the ``r`` largest singular values ``σ (B, r)``, largest first.

    Attributes:
        name: the ``measure=`` value.
        value: ``σ (B, r) -> w (B,)``.
        derivative: ``σ (B, r) -> ∂w/∂σ (B, r)`` (one of the one-sided derivatives where ``w`` is
            not differentiable: coinciding or vanishing singular values).
        inertia_weighted: measured on ``A M(q)⁻¹`` (task acceleration per unit joint torque)
            instead of ``A`` (task velocity per unit joint speed).
        volume: ``w = σ_1 ⋯ σ_r``, so it is evaluated without an SVD and, at full rank, its
            gradient is ``w · tr(A⁺ ∂A/∂q_k)``.
        description: one line for documentation and the command line.
    """

    name: str
    value: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray], np.ndarray]
    inertia_weighted: bool
    volume: bool
    description: str


def _product(s: np.ndarray) -> np.ndarray:
    return np.prod(s, axis=1)


def _product_derivative(s: np.ndarray) -> np.ndarray:
    c = np.zeros_like(s)
    for i in range(s.shape[1]):
        c[:, i] = np.prod(np.delete(s, i, axis=1), axis=1)  # ∂(σ_1 ⋯ σ_r)/∂σ_i: the other factors
    return c


def _ratio(s: np.ndarray) -> np.ndarray:
    positive = s[:, 0] > 0
    return np.where(positive, s[:, -1] / np.where(positive, s[:, 0], 1.0), 0.0)  # 0 where A = 0


def _ratio_derivative(s: np.ndarray) -> np.ndarray:
    positive = s[:, 0] > 0
    safe = np.where(positive, s[:, 0], 1.0)
    c = np.zeros_like(s)
    c[:, -1] += np.where(positive, 1.0 / safe, 0.0)  # ∂(σ_r/σ_1)/∂σ_r
    c[:, 0] -= np.where(positive, s[:, -1] / safe**2, 0.0)  # ∂(σ_r/σ_1)/∂σ_1 (sums to 0 when r = 1)
    return c


def _smallest(s: np.ndarray) -> np.ndarray:
    return s[:, -1].copy()


def _smallest_derivative(s: np.ndarray) -> np.ndarray:
    c = np.zeros_like(s)
    c[:, -1] = 1.0
    return c


MEASURE_TABLE: dict[str, MeasureDefinition] = {
    d.name: d
    for d in (
        MeasureDefinition(
            "yoshikawa", _product, _product_derivative, False, True, "σ_1 ⋯ σ_r of the Jacobian rows (√det(J Jᵀ))"
        ),
        MeasureDefinition("condition", _ratio, _ratio_derivative, False, False, "σ_r / σ_1, in [0, 1]"),
        MeasureDefinition("min_singular", _smallest, _smallest_derivative, False, False, "σ_r, the slowest direction"),
        MeasureDefinition("dynamic", _product, _product_derivative, True, True, "σ_1 ⋯ σ_r of J M(q)⁻¹"),
    )
}
"""Every measure, by name: the one place where a measure is defined."""

MEASURES: tuple[str, ...] = tuple(MEASURE_TABLE)


def check_measure(measure: str) -> MeasureDefinition:
    """The table entry of ``measure``; raises :class:`~kinejac.errors.InvalidChoiceError` listing
    :data:`MEASURES` for an unknown one."""
    try:
        return MEASURE_TABLE[measure]
    except (KeyError, TypeError):  # TypeError: an unhashable value, e.g. a list
        raise InvalidChoiceError("manipulability measure", measure, MEASURES) from None


def volume(A: np.ndarray, r: int) -> np.ndarray:
    """``σ_1 ⋯ σ_r`` of a stack ``(B, m, n)``; |det| or a QR when ``r`` is the full size (fast, exact at 0)."""
    m, n = A.shape[1:]
    if r == m == n:
        return np.abs(np.linalg.det(A))
    if r == min(m, n):
        R = np.linalg.qr(A if m > n else A.transpose(0, 2, 1), mode="r")
        return np.abs(np.prod(np.diagonal(R, axis1=1, axis2=2), axis=1))
    return np.prod(np.linalg.svd(A, compute_uv=False)[:, :r], axis=1)


def measure_values(A: np.ndarray, r: int, definition: MeasureDefinition) -> np.ndarray:
    """The measure of a stack ``A (B, m, nv)`` (from :func:`~kinejac.analysis.rows.weighted_rows`): ``(B,)``."""
    if definition.volume:
        return volume(A, r)
    return definition.value(np.linalg.svd(A, compute_uv=False)[:, :r])


def manipulability(
    robot: Robot, q, frame: str, measure: Measure = "yoshikawa", part: Part = "full", *, length_scale: float = 1.0
) -> float | np.ndarray:
    """How well the frame can move at ``q (nq,)`` or ``(B, nq)``: a float, or ``(B,)`` for a batch.

    Measures, on the selected rows ``A`` of the Jacobian and its ``r`` largest singular values:

    - ``"yoshikawa"``: ``σ_1 ⋯ σ_r`` (``√det(A Aᵀ)`` when ``r = m <= nv``), the volume of the
      velocity ellipsoid up to a constant. Units: [m]^r for translation, dimensionless for rotation.
    - ``"condition"``: ``σ_r / σ_1``, the inverse condition number, in [0, 1] (1 = isotropic).
    - ``"min_singular"``: ``σ_r``, the speed in the worst direction per unit joint speed.
    - ``"dynamic"``: Yoshikawa's dynamic manipulability, ``σ_1 ⋯ σ_r`` of ``A M(q)⁻¹`` with the
      joint-space inertia ``M`` from pinocchio's CRBA: task acceleration per unit joint torque.

    ``part``: ``"full"``, ``"translation"``, ``"rotation"`` or explicit rows (see
    :mod:`kinejac.analysis.rows`); ``length_scale`` [m] divides the linear rows when linear and
    angular rows are mixed. Pick the part of the task: ``"full"`` can hide a positional singularity
    (a stretched planar 2R arm keeps rank 2 through its rotation row; ``part="translation"`` gives
    ``l1·l2·|sin q2| = 0``).
    """
    definition = check_measure(measure)
    rows = check_part(part, length_scale)
    r = measurable_rank(robot, frame, rows.rows)
    _, A, batched, _ = selected_jacobian(robot, q, frame, rows, definition.inertia_weighted)
    w = measure_values(A, r, definition)
    return w if batched else float(w[0])
