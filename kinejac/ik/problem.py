"""An IK problem as the compiled core sees it: a robot's :class:`~kinejac.core.Tree`, the task
arrays of a set of :class:`~kinejac.ik.FrameTarget` s and their target poses.

:class:`Problem` is what the solvers hand to the core, and it evaluates the error and its Jacobian
at one configuration for the Python-side stages (the null-space objective) and for tests. The
error and the frame it lives in are documented in :mod:`kinejac.core.residual`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import core

if TYPE_CHECKING:
    from ..robot import Robot
    from .targets import FrameTarget

__all__ = ["Problem", "task_arrays"]


def task_arrays(
    robot: Robot, targets: tuple[FrameTarget, ...], joints=()
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``ti (nt, 3)`` [frame, reference frame or -1, full pose?], ``tw (nt, 6)`` weights and ``path``
    (the joints that move the frames, and ``joints``) for the core."""
    ti = np.empty((len(targets), 3), dtype=np.int64)
    tw = np.empty((len(targets), 6))
    for k, t in enumerate(targets):
        w = np.asarray(t.weights, dtype=float)
        ti[k] = (robot.frame_id(t.frame), -1 if t.relative_to is None else robot.frame_id(t.relative_to), (w > 0).all())
        tw[k] = w
    frames = [int(f) for f in ti[:, :2].ravel() if f >= 0]
    return ti, tw, core.support(core.tree_of(robot), frames, joints)


class Problem:
    """The targets ``targets`` of ``robot`` for the core: ``evaluate(q) -> (e, J, position error,
    rotation error)``, ``e (m,)``, ``J (m, nv)`` (weighted rows), and ``step(q, δ)`` (``q ⊕ δ`` within
    the limits)."""

    def __init__(self, robot: Robot, targets: tuple[FrameTarget, ...]) -> None:
        ti, tw, path = task_arrays(robot, targets)
        self._set(robot, ti, tw, path, np.array([t.T for t in targets], dtype=float))

    @classmethod
    def of_arrays(cls, robot: Robot, ti, tw, path, T) -> Problem:
        """From the core's task arrays (:func:`task_arrays`) and target poses ``T (nt, 4, 4)``."""
        problem = cls.__new__(cls)
        problem._set(robot, ti, tw, path, T)
        return problem

    def _set(self, robot: Robot, ti, tw, path, T) -> None:
        self.robot = robot
        self.tree = tuple(core.tree_of(robot))
        self.ti, self.tw, self.path = ti, tw, path
        self.T = np.ascontiguousarray(T, dtype=float).reshape(-1, 4, 4)
        self.m = int(np.count_nonzero(self.tw > 0))

    def evaluate(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
        """Weighted error ``(m,)``, its Jacobian ``(m, nv)``, position error [m], rotation error [rad]."""
        e = np.empty(self.m)
        J = np.empty((self.m, self.robot.nv))
        perr, rerr = core.evaluate_at(self.tree, self.ti, self.tw, self.path, self.T, np.ascontiguousarray(q), e, J)
        return e, J, perr, rerr

    def step(self, q: np.ndarray, delta: np.ndarray) -> tuple[np.ndarray, bool]:
        """``q ⊕ delta`` projected into the joint limits, and whether a joint was clamped."""
        out = np.empty(self.robot.nq)
        clamped = core.step_at(
            self.tree, np.ascontiguousarray(q, dtype=float), np.ascontiguousarray(delta, dtype=float), out
        )
        return out, bool(clamped)
