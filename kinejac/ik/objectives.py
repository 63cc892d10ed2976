"""Secondary objectives for redundant robots, minimised in the null space of the primary task.

Each objective is a cost ``h(q)`` with its gradient on the tangent space ``(nv,)``. A solver that
is given one first reaches the targets, then descends ``h`` along ``-(I - J⁺J) ∇h`` (Liégeois'
gradient projection), checking after each step that the primary error is still within tolerance.

This module holds the :class:`Objective` protocol and the objectives that need only the robot;
:class:`~kinejac.ik.manipulability.Manipulability`, built on :mod:`kinejac.analysis`, has its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from ..errors import InvalidValueError, ShapeError

if TYPE_CHECKING:
    from ..robot import Robot

__all__ = ["JointLimitDistance", "Objective", "Posture"]


@runtime_checkable
class Objective(Protocol):
    """A secondary cost: ``cost(robot, q) -> float`` and ``gradient(robot, q) -> (nv,)``."""

    def cost(self, robot: Robot, q: np.ndarray) -> float: ...

    def gradient(self, robot: Robot, q: np.ndarray) -> np.ndarray: ...


class Posture:
    """Stay near a posture: ``h = ½ Σ w_k (q ⊖ q_ref)_k²`` [rad²] (tangent difference, so continuous joints wrap)."""

    def __init__(self, q_ref, weights=None) -> None:
        self.q_ref = np.array(q_ref, dtype=float)
        self.weights = None if weights is None else np.array(weights, dtype=float)
        if self.weights is not None and (not np.isfinite(self.weights).all() or (self.weights < 0).any()):
            raise InvalidValueError(f"posture weights must be finite and >= 0, got {self.weights.tolist()}")

    def _diff(self, robot: Robot, q: np.ndarray) -> np.ndarray:
        q_ref = robot.check_q(self.q_ref, "q_ref")
        if self.weights is not None and self.weights.shape != (robot.nv,):
            raise ShapeError(f"expected posture weights of shape ({robot.nv},), got {self.weights.shape}")
        return robot.difference(q_ref, q)

    def cost(self, robot: Robot, q: np.ndarray) -> float:
        d = self._diff(robot, q)
        w = 1.0 if self.weights is None else self.weights
        return float(0.5 * np.sum(w * d * d))

    def gradient(self, robot: Robot, q: np.ndarray) -> np.ndarray:
        d = self._diff(robot, q)
        return d if self.weights is None else self.weights * d


class JointLimitDistance:
    """Keep away from the position limits: ``h = Σ ((q_i - mid_i) / (hi_i - lo_i))²`` over the 1-DOF
    joints with finite limits (Liégeois 1977); 0 at mid-range."""

    def _terms(self, robot: Robot):
        idx_q, idx_v = [], []
        for j in robot.joints:
            if j.nq == 1 and j.nv == 1 and np.isfinite(robot.lower[j.idx_q]) and np.isfinite(robot.upper[j.idx_q]):
                idx_q.append(j.idx_q)
                idx_v.append(j.idx_v)
        iq = np.array(idx_q, dtype=int)
        lo, hi = robot.lower[iq], robot.upper[iq]
        return iq, np.array(idx_v, dtype=int), 0.5 * (lo + hi), hi - lo

    def cost(self, robot: Robot, q: np.ndarray) -> float:
        iq, _, mid, rng = self._terms(robot)
        return float(np.sum(((q[iq] - mid) / rng) ** 2))

    def gradient(self, robot: Robot, q: np.ndarray) -> np.ndarray:
        iq, iv, mid, rng = self._terms(robot)
        g = np.zeros(robot.nv)
        g[iv] = 2.0 * (q[iq] - mid) / rng**2
        return g
