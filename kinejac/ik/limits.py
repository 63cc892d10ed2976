"""Joint-limit handling for the solvers: steps that stay inside the limits without stalling on them.

- A step ``q ⊕ δ`` is integrated on the manifold (continuous joints wrap by construction).
- A revolute joint whose range spans at least a full turn (e.g. UR5's ±2π) is wrapped by 2π back
  into its range when a step leaves it (same pose, no clamp); other coordinates are clamped to the
  nearest limit. Prismatic joints are never wrapped.
- Active set: a joint that sits on a limit while the descent direction pushes it outward is removed
  from the next linear solve, so the remaining joints compensate instead of the solver repeatedly
  stepping into the wall and being clamped back (the stall and joint flips of blind clamping).
"""

from __future__ import annotations

import math

import numpy as np
import pinocchio as pin

from ..robot import Robot

__all__ = ["Limits"]

_TWO_PI = 2.0 * math.pi
_FULL_TURN_SLACK = 1e-3  # [rad]


class Limits:
    """Limit projection and active-set test for one robot (built once per solver)."""

    def __init__(self, robot: Robot, eps: float = 1e-10) -> None:
        self.model = robot.model
        self.nq, self.nv = robot.nq, robot.nv
        self.plain = robot.nq == robot.nv and all(j.nq == j.nv for j in robot.joints)
        qi, vi, lo, hi, wrap = [], [], [], [], []
        for j in robot.joints:
            if j.kind in ("revolute", "prismatic") and j.nq == 1:
                a, b = robot.lower[j.idx_q], robot.upper[j.idx_q]
                if math.isfinite(a) or math.isfinite(b):
                    qi.append(j.idx_q)
                    vi.append(j.idx_v)
                    lo.append(a)
                    hi.append(b)
                    # a full turn, allowing for limits written as ±3.14159 in the URDF
                    wrap.append(j.kind == "revolute" and b - a >= _TWO_PI - _FULL_TURN_SLACK)
        self.qi, self.vi = np.array(qi, dtype=int), np.array(vi, dtype=int)
        self.lo, self.hi, self.wrap = np.array(lo), np.array(hi), np.array(wrap, dtype=bool)
        # joints that can be held at a limit (the wrapping ones never are)
        self._hold = ~self.wrap
        self.has_wrap = bool(self.wrap.any())
        self.eps = eps
        self._lo_in, self._hi_in = self.lo + eps, self.hi - eps
        # the same, as Python lists: for a handful of joints a list loop beats numpy's per-call overhead
        self._lo_in_list, self._hi_in_list = self._lo_in.tolist(), self._hi_in.tolist()
        self._hold_list = np.flatnonzero(self._hold).tolist()
        self.can_block = bool(self._hold_list)
        self.fast_sample = bool(
            self.plain
            and len(qi) == robot.nq
            and np.array_equal(self.qi, np.arange(robot.nq))
            and np.isfinite(self.lo).all()
            and np.isfinite(self.hi).all()
        )
        self.any = bool(len(qi))
        self._boxes: dict[float, tuple[np.ndarray, np.ndarray]] = {}  # spread -> (low, high - low) of the draw
        # other coordinates with finite limits (e.g. a limited floating-base translation): clamped only
        other = np.ones(robot.nq, dtype=bool)
        other[self.qi] = False
        other &= np.isfinite(robot.lower) | np.isfinite(robot.upper)
        self.other = np.flatnonzero(other)
        self.other_lo, self.other_hi = robot.lower[self.other], robot.upper[self.other]
        self._other_any = bool(len(self.other))

    def step(self, q: np.ndarray, delta: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
        """``q ⊕ delta`` projected into the limits, the tangent step actually taken ``(nv,)``, and
        whether a joint was clamped onto a limit."""
        q_new = q + delta if self.plain else pin.integrate(self.model, q, delta)
        if self._other_any:
            q_new[self.other] = np.clip(q_new[self.other], self.other_lo, self.other_hi)
        if not self.any:
            return q_new, delta, False
        x = q_new if self.fast_sample else q_new[self.qi]
        y = x.clip(self.lo, self.hi)
        if y.tolist() == x.tolist():  # the fast test: nothing outside
            return q_new, delta, False
        corr = y - x
        if self.has_wrap:
            w = self.wrap & (corr != 0.0)
            if w.any():  # a full-turn revolute joint: same pose 2π away, no clamp
                y[w] = self._wrap(x[w], self.lo[w], self.hi[w])
                corr[w] = 0.0
        if self.fast_sample:
            q_new = y
            taken = delta + corr
        else:
            q_new[self.qi] = y
            taken = delta.copy()
            taken[self.vi] += corr
        return q_new, taken, bool(corr.any())

    @staticmethod
    def _wrap(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """The nearest angle inside ``[lo, hi]`` equal to ``x`` modulo 2π (clamped if none is)."""
        up = x > hi
        y = np.where(up, x - _TWO_PI * np.ceil((x - hi) / _TWO_PI), x + _TWO_PI * np.ceil((lo - x) / _TWO_PI))
        return np.clip(y, lo, hi)

    def blocked(self, q: np.ndarray, grad: np.ndarray) -> np.ndarray | None:
        """Tangent indices of joints on a limit that the descent direction ``-grad`` pushes outward.

        ``None`` when no joint is blocked (the common case).
        """
        if not self.can_block:
            return None
        if self.fast_sample:
            x, g = q.tolist(), grad.tolist()
        else:
            x, g = q[self.qi].tolist(), grad[self.vi].tolist()
        lo, hi = self._lo_in_list, self._hi_in_list
        out = [k for k in self._hold_list if (x[k] <= lo[k] and g[k] > 0) or (x[k] >= hi[k] and g[k] < 0)]
        if not out:
            return None
        return self.vi[out]

    def random(self, robot: Robot, rng: np.random.Generator, spread: float = 1.0) -> np.ndarray:
        """A configuration drawn uniformly within the limits, or within the middle ``spread``
        fraction of each bounded joint's range (one vectorised draw for plain arms)."""
        if self.fast_sample:
            # low + (high - low) · U is exactly what ``rng.uniform(low, high)`` returns, at a tenth of its cost
            box = self._boxes.get(spread)
            if box is None:
                if spread == 1.0:
                    low, high = self.lo, self.hi
                else:
                    mid, half = 0.5 * (self.lo + self.hi), 0.5 * spread * (self.hi - self.lo)
                    low, high = mid - half, mid + half
                box = self._boxes[spread] = (low, high - low)
            return box[0] + box[1] * rng.random(self.nq)
        q = robot.random_configuration(rng)
        if spread != 1.0 and self.any:
            ok = np.isfinite(self.lo) & np.isfinite(self.hi)
            mid = 0.5 * (self.lo[ok] + self.hi[ok])
            q[self.qi[ok]] = mid + spread * (q[self.qi[ok]] - mid)
        return q

    def inside(self, q: np.ndarray, tol: float = 0.0) -> bool:
        """Whether ``q`` respects every finite limit."""
        if self.any:
            x = q[self.qi]
            if (x < self.lo - tol).any() or (x > self.hi + tol).any():
                return False
        if len(self.other):
            x = q[self.other]
            if (x < self.other_lo - tol).any() or (x > self.other_hi + tol).any():
                return False
        return True
