"""Which rows of the Jacobian an analysis looks at (the *part*), how many directions they span, and
the matrix it measures (those rows, weighted by the inverse inertia for the dynamic measure).

Every analysis works on the geometric Jacobian in ``local_world_aligned`` axes (linear velocity of
the frame origin and angular velocity, both in world axes), restricted to a *part* of its rows:

- ``"translation"``: rows ``vx, vy, vz`` [m/s per rad/s or m/s of joint speed];
- ``"rotation"``: rows ``wx, wy, wz`` [rad/s per unit joint speed];
- ``"full"``: all six rows. Linear and angular rows have different units, so a measure of the full
  Jacobian depends on the choice of length unit: kinejac divides the linear rows by
  ``length_scale`` [m] (default 1 m, i.e. metres and radians weighed alike) whenever linear and
  angular rows are mixed. Pick a characteristic length of your task, or use one part at a time.
- a sequence of row indices (0-5) or names (``"vx" ... "wz"``), e.g. ``("vx", "vy")`` for the
  position of a planar arm.

**Rank.** The measures use the ``r`` largest singular values, where ``r`` is the *generic rank* of
the selected rows: how many independent directions the frame can move in at a generic
configuration (estimated once per robot, frame and part from a few seeded random configurations).
For a 6-DOF arm ``r = 6``; for a redundant arm ``r = 6 < nv``; for a planar 2R arm ``part="full"``
has ``r = 2`` (the arm never moves along z or about x/y, which is structure, not a singularity),
and for joints that do not move the frame (another branch) the extra columns do not count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from .._checks import positive
from ..errors import InvalidChoiceError, InvalidValueError
from ..kinematics import jacobian
from .dynamics import mass_matrix

if TYPE_CHECKING:
    from ..robot import Robot

__all__ = [
    "AXES",
    "PARTS",
    "Part",
    "PartRows",
    "check_part",
    "generic_rank",
    "measurable_rank",
    "selected_jacobian",
    "weighted_rows",
]

PARTS: tuple[str, ...] = ("full", "translation", "rotation")
AXES: tuple[str, ...] = ("vx", "vy", "vz", "wx", "wy", "wz")
Part = str | Sequence[str | int]
"""A ``part`` argument: one of :data:`PARTS`, or a sequence of row names (:data:`AXES`) or indices 0-5."""

_RANK_SAMPLES = 8
_RANK_TOL = 1e-8
_RANK_SEED = 20240611
_CACHE_KEY = "analysis.generic_rank"  # robot.cache[_CACHE_KEY]: {(frame, rows): rank}
_NAMED_ROWS = {"full": (0, 1, 2, 3, 4, 5), "translation": (0, 1, 2), "rotation": (3, 4, 5)}


@dataclass(frozen=True)
class PartRows:
    """A resolved ``part``: the selected Jacobian rows and the scaling of each.

    Attributes:
        rows: indices into ``[vx, vy, vz, wx, wy, wz]``, in the order selected.
        scale: ``(len(rows),)`` factors (``1/length_scale`` on linear rows mixed with angular
            ones), or ``None`` when no row is scaled.
        label: the part's name (``"full"``, ``"translation"``, ...) or its rows (``"vx,vy"``).
    """

    rows: tuple[int, ...]
    scale: np.ndarray | None
    label: str

    def select(self, J: np.ndarray) -> np.ndarray:
        """The selected, scaled rows of a Jacobian stack ``(B, 6, ...)``: ``(B, m, ...)``."""
        rows = self.rows
        if rows == tuple(range(rows[0], rows[-1] + 1)):
            A = J[:, rows[0] : rows[-1] + 1]  # a view: no copy of (B, 6, nv, nv) Hessian stacks
        else:
            A = J[:, list(rows)]
        if self.scale is not None:
            A = A * self.scale.reshape((1, -1) + (1,) * (A.ndim - 2))
        return A


def check_part(part: Part, length_scale: float = 1.0) -> PartRows:
    """Validate a ``part`` and ``length_scale`` [m] argument and resolve them (cached when hashable).

    Raises :class:`~kinejac.errors.InvalidChoiceError` for an unknown part or row name, and
    :class:`~kinejac.errors.InvalidValueError` for bad rows or a ``length_scale`` that is not > 0.
    """
    try:
        return _check_part_cached(part, length_scale)
    except TypeError:  # an unhashable sequence of rows, e.g. a list
        return _resolve(part, length_scale)


def _resolve(part: Part, length_scale: float) -> PartRows:
    if isinstance(part, str):
        if part not in _NAMED_ROWS:
            raise InvalidChoiceError("part", part, [*PARTS, "or a sequence of rows among " + "/".join(AXES)])
        rows, label = _NAMED_ROWS[part], part
    else:
        rows = _explicit_rows(part)
        label = ",".join(AXES[i] for i in rows)
    length_scale = positive("length_scale [m]", length_scale)
    mixed = any(i < 3 for i in rows) and any(i >= 3 for i in rows)
    scale = None
    if mixed and length_scale != 1.0:
        scale = np.array([1.0 / length_scale if i < 3 else 1.0 for i in rows])
    return PartRows(rows, scale, label)


def _explicit_rows(part) -> tuple[int, ...]:
    """Row indices from a sequence of names or indices, distinct and at least one."""
    try:
        items = list(part)
    except TypeError:
        raise InvalidChoiceError("part", part, [*PARTS, "or a sequence of rows among " + "/".join(AXES)]) from None
    rows: list[int] = []
    for item in items:
        if isinstance(item, str):
            if item not in AXES:
                raise InvalidChoiceError("Jacobian row", item, AXES)
            rows.append(AXES.index(item))
        elif isinstance(item, (int, np.integer)) and 0 <= int(item) < 6:
            rows.append(int(item))
        else:
            raise InvalidValueError(f"Jacobian rows are indices 0-5 or names {'/'.join(AXES)}, got {item!r}")
    if not rows or len(set(rows)) != len(rows):
        raise InvalidValueError(f"part must select distinct Jacobian rows, at least one, got {part!r}")
    return tuple(rows)


_check_part_cached = lru_cache(maxsize=64)(_resolve)


def generic_rank(robot: Robot, frame: str, part: Part = "full") -> int:
    """How many independent directions of ``part`` the frame can move in at a generic configuration.

    Estimated once per robot, frame and part (then cached) as the largest numerical rank of the
    selected Jacobian rows over a few seeded random configurations.
    """
    return _generic_rank(robot, frame, check_part(part).rows)


def measurable_rank(robot: Robot, frame: str, rows: tuple[int, ...]) -> int:
    """The generic rank of the selected ``rows``; raises when it is 0 (nothing can be measured)."""
    r = _generic_rank(robot, frame, rows)
    if r == 0:
        names = ", ".join(AXES[i] for i in rows)
        raise InvalidValueError(
            f"frame {frame!r} of robot {robot.name!r} can never move along the selected rows ({names}): "
            "their generic rank is 0, so there is nothing to measure; select other rows with part="
        )
    return r


def _generic_rank(robot: Robot, frame: str, rows: tuple[int, ...]) -> int:
    ranks = robot.cache.setdefault(_CACHE_KEY, {})
    key = (frame, rows)
    r = ranks.get(key)
    if r is None:
        Q = robot.random_configuration(np.random.default_rng(_RANK_SEED), size=_RANK_SAMPLES)
        s = np.linalg.svd(check_part(rows).select(jacobian(robot, Q, frame)), compute_uv=False)
        r = ranks[key] = int((s > _RANK_TOL * np.maximum(s[:, :1], 1.0)).sum(axis=1).max())
    return r


def weighted_rows(
    robot: Robot, Q: np.ndarray, J: np.ndarray, part: PartRows, inertia_weighted: bool = False
) -> tuple[np.ndarray, np.ndarray | None]:
    """``(A (B, m, nv), M (B, nv, nv) or None)`` from Jacobians ``J (B, 6, nv)`` at ``Q (B, nq)``.

    ``A = S J`` (the selected, scaled rows), or ``A = S J M(q)⁻¹`` with ``inertia_weighted`` (then
    ``M`` is the joint-space inertia, else ``None``).
    """
    A = part.select(J)
    M = None
    if inertia_weighted:
        M = mass_matrix(robot, Q)
        A = np.linalg.solve(M, A.transpose(0, 2, 1)).transpose(0, 2, 1)  # (M⁻¹ Aᵀ)ᵀ = A M⁻¹, M symmetric
    return A, M


def selected_jacobian(
    robot: Robot, q, frame: str, part: PartRows, inertia_weighted: bool = False
) -> tuple[np.ndarray, np.ndarray, bool, np.ndarray | None]:
    """``(Q (B, nq), A (B, m, nv), batched, M or None)`` for ``q (nq,)`` or ``(B, nq)``: the checked
    configurations as a batch, :func:`weighted_rows` of their Jacobians, and whether ``q`` was a batch."""
    q = robot.check_q(q)
    batched = q.ndim == 2
    Q = q if batched else q[None]
    A, M = weighted_rows(robot, Q, jacobian(robot, Q, frame), part, inertia_weighted)
    return Q, A, batched, M
