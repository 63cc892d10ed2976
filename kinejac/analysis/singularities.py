"""Singularity analysis: which directions a frame loses at a configuration, and which joint motions
stop moving it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .._checks import positive
from .rows import Part, check_part, measurable_rank, selected_jacobian

if TYPE_CHECKING:
    from ..robot import Robot

__all__ = ["SingularityReport", "singularity"]


@dataclass(frozen=True)
class SingularityReport:
    """The singularity analysis of one configuration.

    Attributes:
        singular_values: ``(r,)`` the ``r`` (generic rank) largest singular values of the selected
            Jacobian rows, largest first, in the units of the part.
        singular: whether the smallest of them is ``<= tol``.
        rank: how many of them are above ``tol``; generic_rank: ``r``.
        lost_directions: ``(m, k)`` unit columns in task space (the selected rows, e.g.
            ``[vx, vy, vz, wx, wy, wz]`` for ``"full"``) the frame can no longer move along;
            directions it can never move in (z of a planar arm) are structural and not listed.
        null_motions: ``(nv, d)`` orthonormal joint velocities that do not move the frame (to
            ``tol``): those gained at the singularity, plus redundancy and joints that do not move
            the frame at all.
        tol: threshold used; part: the part's name.
    """

    singular_values: np.ndarray
    singular: bool
    rank: int
    generic_rank: int
    lost_directions: np.ndarray
    null_motions: np.ndarray
    tol: float
    part: str

    @property
    def min_singular(self) -> float:
        """``σ_r``: the distance to the nearest singularity in singular-value terms."""
        return float(self.singular_values[-1]) if self.singular_values.size else 0.0


def singularity(
    robot: Robot,
    q,
    frame: str,
    tol: float = 1e-6,
    part: Part = "full",
    *,
    length_scale: float = 1.0,
) -> SingularityReport | tuple[SingularityReport, ...]:
    """Is ``q (nq,)`` singular for ``frame``, and how: a :class:`SingularityReport`, or for a batch
    ``q (B, nq)`` a tuple of them (computed in one vectorised SVD).

    ``tol`` is an absolute threshold on the singular values, in the part's units (m/s or rad/s per
    unit joint speed; linear rows divided by ``length_scale`` [m] when mixed with angular ones).
    ``part`` as in :func:`~kinejac.analysis.measures.manipulability`.
    """
    tol = positive("tol", tol, zero=True)
    rows = check_part(part, length_scale)
    r = measurable_rank(robot, frame, rows.rows)
    _, A, batched, _ = selected_jacobian(robot, q, frame, rows)
    U, s, Vt = np.linalg.svd(A, full_matrices=True)
    reports = []
    for b in range(A.shape[0]):
        sb = s[b, :r].copy()
        low = sb <= tol
        lost = U[b][:, :r][:, low].copy()
        null = np.concatenate([Vt[b][:r][low], Vt[b][r:]], axis=0).T.copy()
        reports.append(SingularityReport(sb, bool(low.any()), int((~low).sum()), r, lost, null, tol, rows.label))
    return tuple(reports) if batched else reports[0]
