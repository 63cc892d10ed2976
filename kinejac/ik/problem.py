"""An IK problem as the native core sees it: a robot's bound :class:`~kinejac.core.Model`, the
:class:`~kinejac.core.Tasks` of a set of :class:`~kinejac.ik.FrameTarget` s and their target poses.

:class:`Problem` evaluates the error and its Jacobian at one configuration for the Python-side
stages (the null-space objective) and for tests. The error and the frame it lives in are
documented in ``cpp/include/kinejac/residual.hpp`` (and :mod:`kinejac.ik.solvers`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import core

if TYPE_CHECKING:
    from ..robot import Robot
    from .targets import FrameTarget

__all__ = ["Problem", "task_arrays", "tasks_of"]


def task_arrays(
    robot: Robot, targets: tuple[FrameTarget, ...], joints=()
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``ti (nt, 3)`` [frame, reference frame or -1, full pose?], ``tw (nt, 6)`` weights and ``path``
    (the joints that move the frames, and ``joints``) for the core's :class:`~kinejac.core.Tasks`."""
    ti = np.empty((len(targets), 3), dtype=np.int64)
    tw = np.empty((len(targets), 6))
    for k, t in enumerate(targets):
        w = np.asarray(t.weights, dtype=float)
        ti[k] = (robot.frame_id(t.frame), -1 if t.relative_to is None else robot.frame_id(t.relative_to), (w > 0).all())
        tw[k] = w
    frames = [int(f) for f in ti[:, :2].ravel() if f >= 0]
    return ti, tw, core.support(core.tree_of(robot), frames, joints)


def tasks_of(robot: Robot, targets: tuple[FrameTarget, ...], joints=()) -> core.Tasks:
    """The core's :class:`~kinejac.core.Tasks` of ``targets`` (see :func:`task_arrays`)."""
    return core.Tasks(core.model_of(robot), *task_arrays(robot, targets, joints))


class Problem:
    """The targets ``targets`` of ``robot`` for the core: ``evaluate(q) -> (e, J, position error,
    rotation error)``, ``e (m,)``, ``J (m, nv)`` (weighted rows), and ``step(q, δ)`` (``q ⊕ δ`` within
    the limits)."""

    def __init__(self, robot: Robot, targets: tuple[FrameTarget, ...]) -> None:
        self._set(robot, tasks_of(robot, targets), np.array([t.T for t in targets], dtype=float))

    @classmethod
    def of_tasks(cls, robot: Robot, tasks: core.Tasks, T) -> Problem:
        """From the core's :class:`~kinejac.core.Tasks` and target poses ``T (nt, 4, 4)``."""
        problem = cls.__new__(cls)
        problem._set(robot, tasks, T)
        return problem

    def _set(self, robot: Robot, tasks: core.Tasks, T) -> None:
        self.robot, self.tasks = robot, tasks
        self.model = core.model_of(robot)
        self.T = np.ascontiguousarray(T, dtype=float).reshape(-1, 4, 4)
        self.m = tasks.rows

    def evaluate(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
        """Weighted error ``(m,)``, its Jacobian ``(m, nv)``, position error [m], rotation error [rad]."""
        e = np.empty(self.m)
        J = np.empty((self.m, self.robot.nv))
        perr, rerr = core.evaluate(self.model, self.tasks, self.T, np.ascontiguousarray(q, dtype=float), e, J)
        return e, J, perr, rerr

    def step(self, q: np.ndarray, delta: np.ndarray) -> tuple[np.ndarray, bool]:
        """``q ⊕ delta`` projected into the joint limits, and whether a joint was clamped."""
        out, taken = np.empty(self.robot.nq), np.empty(self.robot.nv)
        q, delta = np.ascontiguousarray(q, dtype=float), np.ascontiguousarray(delta, dtype=float)
        clamped = core.step(self.model, q, delta, out, taken)
        return out, bool(clamped)
