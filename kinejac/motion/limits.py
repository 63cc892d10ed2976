"""Joint limits as bounds on one control step: position, velocity and acceleration limits.

The velocity QP (:mod:`kinejac.motion.qp`) solves for the step ``Δq = v dt`` (tangent, ``(nv,)``);
every joint limit is a box on it, and boxes intersect cheaply. For joint ``j`` with position range
``[lo, hi]``, velocity limit ``v_max``, acceleration limit ``a_max`` and previous velocity ``v₀``:

- acceleration: ``v₀ - a_max dt ≤ v ≤ v₀ + a_max dt``;
- velocity: ``|v| ≤ v_max``;
- position: without acceleration limits ``lo - q ≤ v dt ≤ hi - q``. With acceleration limits the
  joint must also be able to *stop* before the limit (otherwise a joint arriving at full speed
  could not brake in one step): ``v ≤ v_stop(hi - q)``, the largest velocity from which braking at
  ``a_max`` (the velocity dropping by ``h = a_max dt`` per step) covers at most the distance ``D``
  left, this step included. Braking from ``v`` covers ``S(v) = dt Σ_{i=0}^{n} (v - i h)`` with
  ``n = ⌊v / h⌋``; ``S`` is continuous, increasing and piecewise linear, so
  ``v_stop(D) = (D/dt + h n(n+1)/2) / (n+1)`` with ``n = ⌊(√(1 + 8D/(h dt)) - 1)/2⌋``. A joint
  that respects this bound at one step can respect it (and its limits) at every later step, so the
  limits are never crossed, however hard a task pushes.

**Conflicts and recovery.** The boxes are intersected in the order acceleration, velocity,
position. When a box does not meet the intersection so far (a configuration already outside its
position limits, or a previous velocity beyond the velocity limit), the step takes the point of
the intersection so far nearest to it: a joint outside its position range moves back towards it
as fast as its velocity and acceleration limits allow (never further out), and a joint faster
than its velocity limit decelerates at its acceleration limit. So the bounds are never empty.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .._checks import as_real_array, positive
from ..errors import InvalidValueError, ShapeError

if TYPE_CHECKING:
    from ..robot import Robot

__all__ = ["JointBounds", "stopping_velocity"]

_maximum, _minimum = np.maximum, np.minimum


def stopping_velocity(distance: np.ndarray, dt: float, acceleration: np.ndarray) -> np.ndarray:
    """``v_stop(D)`` [rad/s or m/s]: the largest velocity towards a limit ``distance`` ``D`` away
    (``(k,)`` [rad or m], ``D ≥ 0``) from which braking at ``acceleration`` ``(k,)`` (``inf``: no limit)
    in steps of ``dt`` [s] stops before the limit; ``D / dt`` where the acceleration is unlimited."""
    D = np.maximum(distance, 0.0)
    h = acceleration * dt
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        n = np.floor((np.sqrt(1.0 + 8.0 * D / (h * dt)) - 1.0) * 0.5)
        v = (D / dt + h * n * (n + 1.0) * 0.5) / (n + 1.0)
    return np.where(np.isfinite(h), v, D / dt)


def _limit_vector(value, n: int, name: str, default: np.ndarray | None) -> np.ndarray | None:
    """``True`` -> ``default``; ``False``/``None`` -> no limit; a scalar or ``(n,)`` array > 0 (``inf`` allowed)."""
    if value is None or value is False:
        return None
    if value is True:
        return None if default is None else np.array(default, dtype=float)
    a = as_real_array(value, name)
    if a.ndim == 0:
        a = np.full(n, float(a))
    if a.shape != (n,):
        raise ShapeError(f"expected {name} to be a number or of shape ({n},) (nv = {n}), got {a.shape}")
    if np.isnan(a).any() or (a <= 0).any():
        raise InvalidValueError(f"{name} must be > 0 (inf for none), got {a.tolist()}")
    return a.astype(float)


class JointBounds:
    """Per-step bounds on ``Δq = v dt`` from a robot's joint limits (built once, evaluated per step).

    Args:
        robot: the robot (position limits of its 1-DOF revolute and prismatic joints; continuous
            and multi-DOF joints have none).
        position_limits: enforce the position limits.
        velocity_limit: ``True`` (default): ``robot.velocity_limit``; ``False``/``None``: none; or a
            number or ``(nv,)`` array [rad/s or m/s] (``inf``: none for that joint).
        acceleration_limit: ``None`` (default: none), or a number or ``(nv,)`` array [rad/s² or m/s²].
    """

    # caches of the fast paths (set when _fast / _fast_acc): the period and the velocity box for it
    _dt: float | None
    _vdt: Any  # (nv,) velocity_limit * _dt
    _neg_vdt: Any
    _limits2: Any  # (2, nv) lower and upper position limits

    def __init__(self, robot: Robot, *, position_limits: bool = True, velocity_limit=True, acceleration_limit=None):
        nv = robot.nv
        self.nv = nv
        self.velocity_limit = _limit_vector(velocity_limit, nv, "velocity_limit", robot.velocity_limit)
        self.acceleration_limit = _limit_vector(acceleration_limit, nv, "acceleration_limit", None)
        qi, vi = [], []
        if position_limits:
            for j in robot.joints:
                if (
                    j.nq == 1
                    and j.nv == 1
                    and (math.isfinite(robot.lower[j.idx_q]) or math.isfinite(robot.upper[j.idx_q]))
                ):
                    qi.append(j.idx_q)
                    vi.append(j.idx_v)
        self.qi, self.vi = np.array(qi, dtype=int), np.array(vi, dtype=int)
        self.lower, self.upper = robot.lower[self.qi].copy(), robot.upper[self.qi].copy()
        # the common arm: every coordinate is a limited 1-DOF joint, q and v indices coincide
        self._all = len(qi) == nv == robot.nq and bool((self.qi == np.arange(nv)).all() and (self.vi == self.qi).all())
        self._acc_pos = None if self.acceleration_limit is None else self.acceleration_limit[self.vi]
        # fast path: a plain arm with every joint limited in position and velocity
        self._fast = self._all and self.velocity_limit is not None
        self._limits2 = np.stack((self.lower, self.upper)) if self._all else None
        self._dt, self._vdt = None, None
        self._fast_acc = bool(
            self._all
            and self.velocity_limit is not None
            and self.acceleration_limit is not None
            and np.isfinite(self.acceleration_limit).all()
        )
        self.any = self.velocity_limit is not None or self.acceleration_limit is not None or len(qi) > 0

    def step_bounds(self, q: np.ndarray, dt: float, v_prev: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Bounds ``(lo, hi)`` ``(nv,)`` on ``Δq = v dt`` [rad or m] at ``q`` ``(nq,)`` for period ``dt``
        [s], given the previous velocity ``v_prev`` ``(nv,)`` (``None``: at rest). Never empty
        (see the module docstring for how conflicts resolve)."""
        if self._fast and self.acceleration_limit is None:
            # the common arm: position box clipped into the velocity box, two numpy calls
            if dt != self._dt:
                self._dt, self._vdt = dt, self.velocity_limit * dt  # type: ignore[operator]  # _fast: a limit
                self._neg_vdt = -self._vdt
            box = self._limits2 - q
            _maximum(box, self._neg_vdt, out=box)  # np.clip costs three times these two ufunc calls
            _minimum(box, self._vdt, out=box)
            return box[0], box[1]
        if self._fast_acc:
            return self._arm_with_acceleration(q, dt, v_prev)
        return self._general(q, dt, v_prev)

    def _arm_with_acceleration(self, q: np.ndarray, dt: float, v_prev: np.ndarray | None):
        """The plain arm with finite acceleration limits: the general rule with fewer numpy calls."""
        if dt != self._dt:
            self._dt, self._vdt = dt, self.velocity_limit * dt  # type: ignore[operator]  # _fast_acc: limits
            self._neg_vdt = -self._vdt
        h = self.acceleration_limit * dt  # type: ignore[operator]  # velocity change per step
        reach = h * dt
        base = np.zeros(self.nv) if v_prev is None else v_prev * dt
        # velocity box clipped into the acceleration box (which has precedence)
        a_lo, a_hi = base - reach, base + reach
        lo = _minimum(_maximum(self._neg_vdt, a_lo), a_hi)
        hi = _maximum(_minimum(self._vdt, a_hi), a_lo)
        # braking-aware position bounds, both sides at once: D (2, nv) = distances to the limits
        D = self._limits2 - q
        D[0] *= -1.0
        inside = D > 0.0
        Dp = _maximum(D, 0.0)
        n = np.floor((np.sqrt(1.0 + 8.0 * Dp / (h * dt)) - 1.0) * 0.5)
        stop = (Dp + reach * n * (n + 1.0) * 0.5) / (n + 1.0)  # v_stop(D) dt
        p_hi = np.where(inside[1], stop[1], D[1])
        p_lo = np.where(inside[0], -stop[0], -D[0])
        return _minimum(_maximum(p_lo, lo), hi), _maximum(_minimum(p_hi, hi), lo)

    def _general(self, q: np.ndarray, dt: float, v_prev: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        nv = self.nv
        box = np.empty((2, nv))
        box[0], box[1] = -np.inf, np.inf
        acc = self.acceleration_limit
        if acc is not None:
            base = np.zeros(nv) if v_prev is None else v_prev * dt
            reach = acc * (dt * dt)
            box[0], box[1] = base - reach, base + reach
        vel = self.velocity_limit
        if vel is not None:
            box = _meet(np.stack((-vel * dt, vel * dt)), box[0], box[1])
        if len(self.qi):
            x = q[self.qi]
            d_hi, d_lo = self.upper - x, x - self.lower
            p = np.empty((2, len(x)))
            if self._acc_pos is None:
                p[0], p[1] = -d_lo, d_hi
            else:
                # braking distance; outside the range (D < 0) the bound is to move back by |D|
                p[1] = np.where(d_hi > 0, stopping_velocity(d_hi, dt, self._acc_pos) * dt, d_hi)
                p[0] = np.where(d_lo > 0, -stopping_velocity(d_lo, dt, self._acc_pos) * dt, -d_lo)
            box[:, self.vi] = _meet(p, box[0, self.vi], box[1, self.vi])
        return box[0], box[1]

    def velocity_bounds(
        self, q: np.ndarray, dt: float, v_prev: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`step_bounds` divided by ``dt``: bounds on ``v`` [rad/s or m/s]."""
        dt = positive("dt [s]", dt)
        lo, hi = self.step_bounds(q, dt, v_prev)
        return lo / dt, hi / dt


def _meet(b: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The box ``b`` ``(2, n)`` (rows: lower, upper) intersected with ``[lo, hi]``, which has
    precedence: where they do not meet, both rows take the end of ``[lo, hi]`` nearest to ``b``
    (``min(max(lo, b_lo), hi)`` and ``max(min(hi, b_hi), lo)``, i.e. ``b`` clipped into ``[lo, hi]``)."""
    return np.clip(b, lo, hi)
