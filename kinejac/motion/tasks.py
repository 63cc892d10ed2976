"""Tasks of the velocity QP: what the next step ``Δq = v dt`` should achieve.

A task has an error ``e(q)`` and its Jacobian ``J_e`` on the configuration manifold; to first order
the error after the step is ``e + J_e Δq``. The QP asks for ``e + J_e Δq = (1 - gain) e`` in the
least-squares sense: each task contributes the weighted residual ``√W (J_e Δq + gain · e)``, i.e.
the cost ``½ ΔqᵀJ_eᵀWJ_eΔq + gain · eᵀWJ_eΔq`` (plus a constant), and the QP minimises the sum
(plus damping). ``gain`` ∈ (0, 1] is the fraction
of the error removed per step (1: dead-beat, the error of a fixed target vanishes in one step to
first order); ``weight`` is the cost per squared error.

- :class:`FrameTask`: a frame's pose (or position only, or orientation only, or per-axis weights),
  in the world or relative to another frame. The error is the one of :mod:`kinejac.core.residual`:
  ``log6(T_target⁻¹ T(q))`` in the target frame's axes, Jacobian ``Jlog6 · J_local``; with some
  axis weights 0 the decoupled error ``[t; log3(R)]`` of ``T_target⁻¹ T(q)``.
- :class:`PostureTask`: ``e = q ⊖ q_ref`` (``pin.difference(q_ref, q)``, ``(nv,)``), Jacobian the
  identity (exact for 1-DOF joints; first order elsewhere).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pinocchio as pin

from .._checks import as_real_array, positive
from ..errors import InvalidValueError, KinejacError, ShapeError
from ..ik.targets import as_targets, quick_pose

if TYPE_CHECKING:
    from ..robot import Robot

__all__ = ["FrameTask", "PostureTask", "Task"]

_LOCAL = pin.ReferenceFrame.LOCAL
_log6, _Jlog6, _log3, _Jlog3 = pin.log6, pin.Jlog6, pin.log3, pin.Jlog3
_updateFramePlacement = pin.updateFramePlacement
_getFrameJacobian = pin.getFrameJacobian


def _gain(gain) -> float:
    g = positive("gain", gain)
    if g > 1.0:
        raise InvalidValueError(f"gain must be in (0, 1] (the fraction of the error removed per step), got {gain!r}")
    return g


class Task:
    """Base class of the QP tasks. Each step the solver calls :meth:`accumulate`, after
    ``pinocchio.computeJointJacobians`` at ``q`` on ``robot.data``.

    ``accumulate(robot, q, H, f)`` adds the task's cost ``½ ΔqᵀH_t Δq + f_tᵀΔq`` to ``H`` ``(nv, nv)``
    and ``f`` ``(nv,)``. A task whose ``H_t`` does not depend on ``q`` (the posture) returns it from
    :meth:`constant_hessian` once and adds only ``f_t`` per step.
    """

    def bind(self, robot: Robot) -> None:
        """Resolve names against ``robot`` (called once when a solver is built)."""

    def constant_hessian(self, robot: Robot) -> np.ndarray | None:
        """``H_t`` ``(nv, nv)`` if it is constant (then :meth:`accumulate` leaves ``H`` alone), else ``None``."""
        return None

    def accumulate(self, robot: Robot, q: np.ndarray, H: np.ndarray, f: np.ndarray) -> None:  # pragma: no cover
        raise NotImplementedError(f"{type(self).__name__} must implement accumulate()")

    def residual(self, robot: Robot, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
        """The weighted rows ``(√W J_e, √W gain e)``, ``(k, nv)`` and ``(k,)`` (kinematics already computed)."""
        raise NotImplementedError(f"{type(self).__name__} must implement residual()")

    def error(self, robot: Robot, q) -> np.ndarray:  # pragma: no cover - abstract
        """The unweighted task error ``e(q)`` (computes the kinematics; for reporting and tests)."""
        raise NotImplementedError(f"{type(self).__name__} must implement error()")


class FrameTask(Task):
    """Drive ``frame`` to a target pose ``T_ref_frame`` (``ref``: world, or the frame ``relative_to``).

    Args:
        frame: the controlled frame.
        target: a 4x4 pose or ``pinocchio.SE3`` (full pose), a ``(3,)`` position [m] (position only,
            world axes), a ``(3, 3)`` rotation (orientation only), or ``None`` (set it later with
            :meth:`set_target`; solving without a target raises).
        weight: cost per squared error [1/m², 1/rad²] (> 0).
        axis_weights: ``(6,)`` [x, y, z, rx, ry, rz] relative weights in the target frame's axes
            (0 = free axis), like :func:`kinejac.solve_ik`'s ``weights``; ``(3,)`` for a position or
            rotation target.
        relative_to: name of the reference frame (``None``: world).
        gain: fraction of the error removed per step, in (0, 1].
    """

    def __init__(
        self,
        frame: str,
        target=None,
        weight: float = 1.0,
        *,
        axis_weights=None,
        relative_to: str | None = None,
        gain: float = 1.0,
    ) -> None:
        if not isinstance(frame, str):
            raise InvalidValueError(f"frame must be a frame name (str), got {type(frame).__name__}")
        self.frame, self.relative_to = frame, relative_to
        self.weight = positive("weight", weight)
        self.gain = _gain(gain)
        self._axis_weights = axis_weights
        self._robot: Robot | None = None
        self._T: pin.SE3 | None = None
        self._T_inv: pin.SE3 | None = None
        self._full = True
        self._fast_target = False
        self._set_weights(np.full(6, math.sqrt(self.weight)))
        if target is not None:
            self.set_target(target)

    def __repr__(self) -> str:
        rel = f", relative_to={self.relative_to!r}" if self.relative_to else ""
        return f"FrameTask({self.frame!r}, weight={self.weight:g}, gain={self.gain:g}{rel})"

    @property
    def target(self) -> np.ndarray | None:
        """The target pose ``T_ref_frame`` (4, 4), or ``None``."""
        return None if self._T is None else self._T.homogeneous

    def set_target(self, target) -> None:
        """A new target of the same kinds as the constructor's (a 4x4 array or ``SE3`` is the fast path)."""
        if self._fast_target:
            T = quick_pose(target)
            if T is not None:  # a plainly valid pose: skip the parsing (control loops call this every step)
                self._T, self._T_inv = T, T.inverse()
                return
        (t,) = as_targets(target, self.frame, weights=self._axis_weights, relative_to=self.relative_to)
        w = np.asarray(t.weights, dtype=float)
        self._T = t.se3
        self._T_inv = self._T.inverse()
        self._full = bool((w > 0).all())
        # later 4x4 targets may skip the parsing if this one was a full pose with unit axis weights
        self._fast_target = self._full and self._axis_weights is None
        self._set_weights(np.sqrt(self.weight * w))

    def _set_weights(self, sqrt_w: np.ndarray) -> None:
        self._sqrt_w = sqrt_w
        self._sqrt_w_col = sqrt_w[:, None].copy()
        self._sqrt_w_gain = sqrt_w * self.gain
        # isotropic: H += w JᵀJ and f += w gain Jᵀe, without weighting J first
        self._isotropic = bool((sqrt_w == sqrt_w[0]).all())
        self._w = float(sqrt_w[0] ** 2)
        self._w_gain = self._w * self.gain

    def bind(self, robot: Robot) -> None:
        self._fid = robot.frame_id(self.frame)
        self._ref = None if self.relative_to is None else robot.frame_id(self.relative_to)
        self._robot = robot

    def _pose_and_jacobian(self, robot: Robot) -> tuple[pin.SE3, np.ndarray]:
        model, data = robot.model, robot.data
        X = _updateFramePlacement(model, data, self._fid)
        Jx = _getFrameJacobian(model, data, self._fid, _LOCAL).reshape(6, robot.nv)
        if self._ref is not None:
            B = _updateFramePlacement(model, data, self._ref)
            Jb = _getFrameJacobian(model, data, self._ref, _LOCAL).reshape(6, robot.nv)
            X = B.actInv(X)
            Jx = Jx - X.inverse().action @ Jb
        return X, Jx

    def _error_jacobian(self, robot: Robot) -> tuple[np.ndarray, np.ndarray]:
        T_inv = self._T_inv
        if T_inv is None:
            raise KinejacError(f"{self!r} has no target: call set_target() first")
        if self._ref is None and self._full and robot.nv > 1:  # the hot path, one call less
            model, data, fid = robot.model, robot.data, self._fid
            M = T_inv * _updateFramePlacement(model, data, fid)
            return _log6(M).vector, _Jlog6(M).dot(_getFrameJacobian(model, data, fid, _LOCAL))
        X, Jx = self._pose_and_jacobian(robot)
        M = T_inv * X
        if self._full:
            return _log6(M).vector, _Jlog6(M) @ Jx
        R = M.rotation
        e = np.concatenate((M.translation, _log3(R)))
        J = np.concatenate((R @ Jx[:3], _Jlog3(R) @ Jx[3:]))
        return e, J

    def residual(self, robot: Robot, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        e, J = self._error_jacobian(robot)
        return J * self._sqrt_w_col, e * self._sqrt_w_gain

    def accumulate(self, robot: Robot, q: np.ndarray, H: np.ndarray, f: np.ndarray) -> None:
        e, J = self._error_jacobian(robot)
        if self._isotropic:
            JtJ = J.T.dot(J)
            if self._w != 1.0:
                JtJ *= self._w
            H += JtJ
            g = e.dot(J)
            if self._w_gain != 1.0:
                g *= self._w_gain
            f += g
            return
        Jw = J * self._sqrt_w_col
        H += Jw.T.dot(Jw)
        f += (e * self._sqrt_w_gain).dot(Jw)

    def error(self, robot: Robot, q) -> np.ndarray:
        """The error ``(6,)`` [m; rad] in the target frame's axes (free axes set to 0)."""
        self._check_bound(robot)
        q = robot.check_q(q)
        pin.computeJointJacobians(robot.model, robot.data, q)
        e, _ = self._error_jacobian(robot)
        if not self._full:
            e = np.where(self._sqrt_w > 0, e, 0.0)
        return e

    def _check_bound(self, robot: Robot) -> None:
        if self._robot is not robot:
            self.bind(robot)


class PostureTask(Task):
    """Pull the configuration towards ``q_ref`` ``(nq,)``: error ``q ⊖ q_ref`` ``(nv,)`` [rad or m].

    Args:
        q_ref: the reference configuration (``None``: set it later with :meth:`set_target`).
        weight: cost per squared error [1/rad²] (> 0), a number or ``(nv,)`` per joint (0 leaves a
            joint free).
        gain: fraction of the error removed per step, in (0, 1].
    """

    def __init__(self, q_ref=None, weight=1e-3, *, gain: float = 1.0) -> None:
        w = as_real_array(weight, "weight")
        if not np.isfinite(w).all() or (w < 0).any() or not (w > 0).any():
            raise InvalidValueError(f"weight of the posture task must be finite, >= 0 and not all 0, got {weight!r}")
        self._weight = w
        self.gain = _gain(gain)
        self._q_ref_raw = None if q_ref is None else np.array(q_ref, dtype=float)
        self.q_ref: np.ndarray | None = None
        self._robot: Robot | None = None

    def __repr__(self) -> str:
        return f"PostureTask(weight={self._weight.tolist()}, gain={self.gain:g})"

    def bind(self, robot: Robot) -> None:
        nv = robot.nv
        w = self._weight
        if w.ndim == 0:
            w = np.full(nv, float(w))
        if w.shape != (nv,):
            raise ShapeError(
                f"expected the posture weight to be a number or of shape ({nv},) (nv = {nv}), got {w.shape}"
            )
        self._w = w.astype(float)
        self._w_gain = self._w * self.gain
        self._plain = robot.nq == nv and all(j.nq == j.nv for j in robot.joints)
        self._robot = robot
        if self._q_ref_raw is not None:
            self.set_target(self._q_ref_raw)

    def set_target(self, q_ref) -> None:
        """A new reference configuration ``(nq,)``."""
        if self._robot is None:
            self._q_ref_raw = np.array(q_ref, dtype=float)
            return
        q = self._robot.check_q(q_ref, "q_ref")
        if q.ndim != 1:
            raise ShapeError(f"expected q_ref of shape ({self._robot.nq},), got {q.shape}")
        self.q_ref = q.copy()

    def _err(self, robot: Robot, q: np.ndarray) -> np.ndarray:
        if self.q_ref is None:
            raise KinejacError(f"{self!r} has no reference configuration: call set_target() first")
        return q - self.q_ref if self._plain else pin.difference(robot.model, self.q_ref, q)

    def constant_hessian(self, robot: Robot) -> np.ndarray:
        return np.diag(self._w)

    def accumulate(self, robot: Robot, q: np.ndarray, H: np.ndarray, f: np.ndarray) -> None:
        f += self._w_gain * self._err(robot, q)

    def residual(self, robot: Robot, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sw = np.sqrt(self._w)
        return np.diag(sw), sw * self.gain * self._err(robot, q)

    def error(self, robot: Robot, q) -> np.ndarray:
        if self._robot is not robot:
            self.bind(robot)
        q = robot.check_q(q)
        return self._err(robot, q)
