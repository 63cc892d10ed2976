"""The outcome of an inverse-kinematics solve: :class:`IKResult` and why it ended, :class:`IKReason`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

__all__ = ["IKBatchResult", "IKReason", "IKResult"]


class IKReason(str, Enum):
    """Why a solve stopped (for the attempt that produced the returned configuration).

    - ``CONVERGED``: every target reached within tolerance.
    - ``MAX_ITERATIONS``: the iteration cap was reached on every attempt (and restarts were used up).
    - ``TIMEOUT``: the time budget ran out.
    - ``STALLED``: the error stopped decreasing (a local minimum, often an unreachable target).
    - ``SINGULAR``: stalled at a configuration where the task Jacobian lost rank.
    - ``LIMITS``: stalled with joints held at their position limits blocking the descent direction.
    - ``COLLISION``: with collision avoidance, every answer that reached the targets was in collision
      (by the exact check).
    - ``UNREACHABLE``: (``method="analytic"``) the closed form shows that no configuration of the chain
      reaches the target (:class:`~kinejac.ik.SolutionsReason`).
    """

    CONVERGED = "converged"
    MAX_ITERATIONS = "max_iterations"
    TIMEOUT = "timeout"
    STALLED = "stalled"
    SINGULAR = "singular"
    LIMITS = "limits"
    COLLISION = "collision"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class IKResult:
    """One inverse-kinematics solution (or the best configuration found, when ``success`` is False).

    Attributes:
        q: ``(nq,)`` configuration, always within the position limits.
        success: every target reached within the position and rotation tolerances.
        position_error: [m] worst position error over the targets (constrained axes only).
        rotation_error: [rad] worst rotation angle error over the targets (constrained axes only).
        iterations: iterations over all attempts.
        restarts: random restarts used (0 when the first attempt converged).
        time: [s] wall-clock time of the solve.
        reason: :class:`IKReason`.
        history: ``None``, or ``(N, nq)`` the accepted iterates of the returned attempt (for replay).
    """

    q: np.ndarray
    success: bool
    position_error: float
    rotation_error: float
    iterations: int
    restarts: int
    time: float
    reason: IKReason
    history: np.ndarray | None = None

    @classmethod
    def of_fields(
        cls, q, success, position_error, rotation_error, iterations, restarts, time, reason, history
    ) -> IKResult:
        """Build without the frozen dataclass's per-field ``__setattr__`` (the solvers' hot path)."""
        r = object.__new__(cls)
        d = r.__dict__
        d["q"], d["success"], d["reason"], d["time"], d["history"] = q, success, reason, time, history
        d["position_error"], d["rotation_error"] = position_error, rotation_error
        d["iterations"], d["restarts"] = iterations, restarts
        return r

    def __repr__(self) -> str:
        return (
            f"IKResult(success={self.success}, reason={self.reason.value}, position_error={self.position_error:.2e} m, "
            f"rotation_error={self.rotation_error:.2e} rad, iterations={self.iterations}, restarts={self.restarts}, "
            f"time={self.time * 1e3:.3f} ms)"
        )


@dataclass(frozen=True)
class IKBatchResult:
    """Results of a batched solve, as arrays with a leading batch axis ``B``.

    Attributes:
        q: ``(B, nq)``; success: ``(B,)`` bool; position_error [m], rotation_error [rad]: ``(B,)``;
        iterations, restarts: ``(B,)`` int; reason: ``(B,)`` array of :class:`IKReason`;
        time: [s] wall-clock time of the whole batch.

    ``result[i]`` gives sample ``i`` as an :class:`IKResult` (its ``time`` is the batch time / B).
    """

    q: np.ndarray
    success: np.ndarray
    position_error: np.ndarray
    rotation_error: np.ndarray
    iterations: np.ndarray
    restarts: np.ndarray
    reason: np.ndarray
    time: float

    def __len__(self) -> int:
        return int(self.q.shape[0])

    def __getitem__(self, i: int) -> IKResult:
        return IKResult(
            q=self.q[i].copy(),
            success=bool(self.success[i]),
            position_error=float(self.position_error[i]),
            rotation_error=float(self.rotation_error[i]),
            iterations=int(self.iterations[i]),
            restarts=int(self.restarts[i]),
            time=self.time / max(1, len(self)),
            reason=IKReason(self.reason[i]),
        )

    @property
    def success_rate(self) -> float:
        """Fraction of samples solved."""
        return float(np.mean(self.success)) if len(self) else 0.0
