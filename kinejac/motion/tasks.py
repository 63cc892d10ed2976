"""Tasks of the velocity QP: what the next step ``Δq = v dt`` should achieve.

A task has an error ``e(q)`` ``(k,)`` and its Jacobian ``J`` ``(k, nv)`` on the configuration
manifold; to first order the error after the step is ``e + J Δq``. Costs follow pink's and mink's
convention (``pink.tasks.Task.compute_qp_objective``): a task with the cost vector ``c`` ``(k,)``
(one number per error row, in ``[cost]`` per unit of that row: ``[cost]/[m]``, ``[cost]/[rad]``),
the gain ``α`` and the Levenberg-Marquardt damping ``μ`` adds to the objective

    ½ ‖diag(c) (J Δq + α e)‖²  +  ½ μ ‖diag(c) α e‖² ‖Δq‖²

so the cost scales the residual and is squared in the objective: a posture cost of ``1e-3``
weighs a squared posture error ``1e-6`` times a squared frame error of cost 1, as in pink. The
same numbers give the same robot motion in kinejac, pink and mink. ``gain`` ∈ (0, 1] is the
fraction of the error removed per step (1: dead-beat, the error of a fixed target vanishes in one
step to first order); ``lm_damping`` (unitless, default 0) slows the step when the error is large
(an unreachable target then pulls less violently).

- :class:`FrameTask`: a frame's pose (or position only, or orientation only, or per-axis costs,
  a zero cost leaving that axis free), in the world or relative to another frame. The error is
  the one of the IK core (``cpp/include/kinejac/residual.hpp``): ``log6(T_target⁻¹ T(q))`` in the
  target frame's axes, Jacobian ``Jlog6 · J_local`` (pink's error ``log6(T(q)⁻¹ T_target)`` is its negative, with the
  negative Jacobian: the same residual up to sign); with some axis cost 0 the decoupled error
  ``[t; log3(R)]`` of ``T_target⁻¹ T(q)``, so a free axis is exactly free.
- :class:`PostureTask`: ``e = q ⊖ q_ref`` (``pin.difference(q_ref, q)``, ``(nv,)``), Jacobian the
  identity (exact for 1-DOF joints; first order elsewhere), as pink's.
"""

from __future__ import annotations

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


#: the largest cost a task takes: its square, which the QP's Hessian holds, stays far from overflowing
MAX_COST = 1e100


def _costs(cost, n: int | None, name: str, *, allow_all_zero: bool = False) -> np.ndarray:
    """A cost: a number or ``(n,)`` numbers, finite, >= 0 and at most :data:`MAX_COST` (not all 0
    unless ``allow_all_zero``)."""
    c = as_real_array(cost, name)
    if n is not None and c.ndim == 0:
        c = np.full(n, float(c))
    if n is not None and c.shape != (n,):
        raise ShapeError(f"expected {name} to be a number or of shape ({n},), got shape {c.shape}")
    if not (np.abs(c) <= MAX_COST).all() or (c < 0).any() or not (allow_all_zero or (c > 0).any()):
        what = f">= 0 (at most {MAX_COST:g})" if allow_all_zero else f">= 0 (at most {MAX_COST:g}) and not all 0"
        raise InvalidValueError(f"{name} must be finite and {what}, got {np.asarray(cost).tolist()!r}")
    return c.astype(float)


def _q_ref(q_ref) -> np.ndarray:
    """A reference configuration before the task knows its robot: real, finite, one or a batch axis
    (the shape is checked against the robot when the task is bound)."""
    q = as_real_array(q_ref, "q_ref").astype(float, copy=True)
    if q.ndim != 1:
        raise ShapeError(f"expected q_ref of shape (nq,), got {q.shape}")
    if not np.isfinite(q).all():
        raise InvalidValueError(f"q_ref contains NaN or inf: {q.tolist()}")
    return q


class Task:
    """Base class of the QP tasks. Each step the solver calls :meth:`accumulate`, after
    ``pinocchio.computeJointJacobians`` at ``q`` on ``robot.data``.

    ``accumulate(robot, q, H, f)`` adds the task's ``½ ΔqᵀH_t Δq + f_tᵀΔq`` to ``H`` ``(nv, nv)`` and
    ``f`` ``(nv,)`` (``H_t = (CJ)ᵀ(CJ)``, ``f_t = (CJ)ᵀ C α e`` with ``C = diag(cost)``) and returns
    its Levenberg-Marquardt damping ``μ ‖C α e‖²`` (a number >= 0), which the solver adds to the
    diagonal of the Hessian. A task whose ``H_t`` does not depend on ``q`` (the posture) returns it
    from :meth:`constant_hessian` once and adds only ``f_t`` per step.
    """

    gain: float
    lm_damping: float

    def bind(self, robot: Robot) -> None:
        """Resolve names against ``robot`` (called once when a solver is built)."""

    @property
    def bound_robot(self) -> Robot | None:
        """The robot this task was last bound to (``None``: none yet)."""
        return getattr(self, "_robot", None)

    def constant_hessian(self, robot: Robot) -> np.ndarray | None:
        """``H_t`` ``(nv, nv)`` if it is constant (then :meth:`accumulate` leaves ``H`` alone), else ``None``."""
        return None

    def accumulate(self, robot: Robot, q: np.ndarray, H: np.ndarray, f: np.ndarray) -> float:  # pragma: no cover
        raise NotImplementedError(f"{type(self).__name__} must implement accumulate()")

    def residual(self, robot: Robot, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
        """The scaled rows ``(C J, C α e)``, ``(k, nv)`` and ``(k,)`` (kinematics already computed):
        the task's cost is ``½ ‖C J Δq + C α e‖²``."""
        raise NotImplementedError(f"{type(self).__name__} must implement residual()")

    def error(self, robot: Robot, q) -> np.ndarray:  # pragma: no cover - abstract
        """The unscaled task error ``e(q)`` (computes the kinematics; for reporting and tests)."""
        raise NotImplementedError(f"{type(self).__name__} must implement error()")


class FrameTask(Task):
    """Drive ``frame`` to a target pose ``T_ref_frame`` (``ref``: world, or the frame ``relative_to``).

    Args:
        frame: the controlled frame.
        target: a 4x4 pose or ``pinocchio.SE3`` (full pose), a ``(3,)`` position [m] (position only,
            world axes), a ``(3, 3)`` rotation (orientation only), or ``None`` (set it later with
            :meth:`set_target`; solving without a target raises).
        position_cost: [cost]/[m] (>= 0), a number or ``(3,)`` per axis of the target frame, as
            pink's and mink's ``position_cost``; 0 leaves an axis free.
        orientation_cost: [cost]/[rad] (>= 0), a number or ``(3,)`` per axis of the target frame,
            as pink's and mink's ``orientation_cost``; 0 leaves an axis free.
        gain: fraction of the error removed per step, in (0, 1].
        lm_damping: Levenberg-Marquardt damping (unitless, >= 0), as pink's and mink's.
        relative_to: name of the reference frame (``None``: world).

    A position target ignores ``orientation_cost`` and a rotation target ``position_cost``.
    """

    def __init__(
        self,
        frame: str,
        target=None,
        *,
        position_cost=1.0,
        orientation_cost=1.0,
        gain: float = 1.0,
        lm_damping: float = 0.0,
        relative_to: str | None = None,
    ) -> None:
        if not isinstance(frame, str):
            raise InvalidValueError(f"frame must be a frame name (str), got {type(frame).__name__}")
        if relative_to is not None and not isinstance(relative_to, str):
            raise InvalidValueError(f"relative_to must be a frame name (str) or None, got {type(relative_to).__name__}")
        self.frame, self.relative_to = frame, relative_to
        self.gain = _gain(gain)
        self.lm_damping = positive("lm_damping", lm_damping, zero=True)
        cost = np.concatenate(
            (
                _costs(position_cost, 3, "position_cost", allow_all_zero=True),
                _costs(orientation_cost, 3, "orientation_cost", allow_all_zero=True),
            )
        )
        self._robot: Robot | None = None
        self._T: pin.SE3 | None = None
        self._T_inv: pin.SE3 | None = None
        self._fast_target = False
        # the mask is 0 on the rows the target's kind leaves out (position or rotation only)
        self._set_scale(cost, np.ones(6))
        if target is not None:
            self.set_target(target)

    def __repr__(self) -> str:
        rel = f", relative_to={self.relative_to!r}" if self.relative_to else ""
        p, o = self.position_cost, self.orientation_cost
        pc = f"{p[0]:g}" if (p == p[0]).all() else str(p.tolist())
        oc = f"{o[0]:g}" if (o == o[0]).all() else str(o.tolist())
        return (
            f"FrameTask({self.frame!r}, position_cost={pc}, orientation_cost={oc}, gain={self.gain:g}, "
            f"lm_damping={self.lm_damping:g}{rel})"
        )

    @property
    def position_cost(self) -> np.ndarray:
        """``(3,)`` [cost]/[m] per axis of the target frame."""
        return self._cost[:3].copy()

    @property
    def orientation_cost(self) -> np.ndarray:
        """``(3,)`` [cost]/[rad] per axis of the target frame."""
        return self._cost[3:].copy()

    def set_position_cost(self, position_cost) -> None:
        """A new position cost: a number or ``(3,)`` [cost]/[m] (>= 0)."""
        cost = np.concatenate((_costs(position_cost, 3, "position_cost", allow_all_zero=True), self._cost[3:]))
        self._set_scale(cost, self._mask)

    def set_orientation_cost(self, orientation_cost) -> None:
        """A new orientation cost: a number or ``(3,)`` [cost]/[rad] (>= 0)."""
        cost = np.concatenate((self._cost[:3], _costs(orientation_cost, 3, "orientation_cost", allow_all_zero=True)))
        self._set_scale(cost, self._mask)

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
        (t,) = as_targets(target, self.frame, relative_to=self.relative_to)
        mask = (np.asarray(t.weights, dtype=float) > 0).astype(float)
        self._set_scale(self._cost, mask)
        self._T = t.se3
        self._T_inv = self._T.inverse()
        self._fast_target = bool(mask.all())  # a full pose: later 4x4 targets may skip the parsing

    def _set_scale(self, cost: np.ndarray, mask: np.ndarray) -> None:
        """The costs ``(6,)``, the target's row mask ``(6,)`` and the row scale ``C = cost · mask`` of
        the residual (checked first: a target whose rows all have cost 0 raises, changing nothing)."""
        scale = cost * mask
        if not (scale > 0).any():
            kind = "pose" if mask.all() else "position" if mask[:3].any() else "orientation"
            raise InvalidValueError(
                f"FrameTask({self.frame!r}) would ask for nothing: every row of its {kind} target has cost 0 "
                f"(position_cost {cost[:3].tolist()}, orientation_cost {cost[3:].tolist()})"
            )
        self._cost, self._mask, self._scale = cost, mask, scale
        self._scale_col = scale[:, None].copy()
        self._scale_gain = scale * self.gain
        self._full = bool((scale > 0).all())  # every axis held: the coupled log6 error
        # isotropic: H += c² JᵀJ and f += c² α Jᵀe, without scaling J first
        self._isotropic = bool((scale == scale[0]).all())
        self._c2 = float(scale[0] ** 2)
        self._c2_gain = self._c2 * self.gain

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
        return J * self._scale_col, e * self._scale_gain

    def accumulate(self, robot: Robot, q: np.ndarray, H: np.ndarray, f: np.ndarray) -> float:
        e, J = self._error_jacobian(robot)
        if self._isotropic:
            JtJ = J.T.dot(J)
            if self._c2 != 1.0:
                JtJ *= self._c2
            H += JtJ
            g = e.dot(J)
            if self._c2_gain != 1.0:
                g *= self._c2_gain
            f += g
            return self.lm_damping * self._c2_gain * self.gain * e.dot(e) if self.lm_damping else 0.0
        Jc = J * self._scale_col
        ec = e * self._scale_gain  # C α e
        H += Jc.T.dot(Jc)
        f += ec.dot(Jc)
        return self.lm_damping * ec.dot(ec) if self.lm_damping else 0.0

    def error(self, robot: Robot, q) -> np.ndarray:
        """The error ``(6,)`` [m; rad] in the target frame's axes (free axes set to 0)."""
        self._check_bound(robot)
        q = robot.check_q(q)
        pin.computeJointJacobians(robot.model, robot.data, q)
        e, _ = self._error_jacobian(robot)
        if not self._full:
            e = np.where(self._scale > 0, e, 0.0)
        return e

    def _check_bound(self, robot: Robot) -> None:
        if self._robot is not robot:
            self.bind(robot)


class PostureTask(Task):
    """Pull the configuration towards ``q_ref`` ``(nq,)``: error ``q ⊖ q_ref`` ``(nv,)`` [rad or m].

    Args:
        q_ref: the reference configuration (``None``: set it later with :meth:`set_target`).
        cost: [cost]/[rad] (or [cost]/[m] for a prismatic joint), >= 0, a number or ``(nv,)`` per
            tangent direction (0 leaves it free), as pink's and mink's ``cost``. pink's posture
            leaves a floating base out: give its six directions cost 0 for the same task.
        gain: fraction of the error removed per step, in (0, 1].
        lm_damping: Levenberg-Marquardt damping (unitless, >= 0), as pink's and mink's.
    """

    def __init__(self, q_ref=None, *, cost, gain: float = 1.0, lm_damping: float = 0.0) -> None:
        self._cost = _costs(cost, None, "cost")
        if self._cost.ndim > 1:
            raise ShapeError(f"expected the posture cost to be a number or of shape (nv,), got {self._cost.shape}")
        self.gain = _gain(gain)
        self.lm_damping = positive("lm_damping", lm_damping, zero=True)
        self._q_ref_raw = None if q_ref is None else _q_ref(q_ref)
        self.q_ref: np.ndarray | None = None
        self._robot: Robot | None = None

    def __repr__(self) -> str:
        c = self._cost
        cost = f"{float(c.flat[0]):g}" if c.size and (c == c.flat[0]).all() else str(c.tolist())
        return f"PostureTask(cost={cost}, gain={self.gain:g}, lm_damping={self.lm_damping:g})"

    @property
    def cost(self) -> np.ndarray:
        """The cost: a number (0-d array) or ``(nv,)`` [cost]/[rad], as given."""
        return self._cost.copy()

    def bind(self, robot: Robot) -> None:
        nv = robot.nv
        c = self._cost
        if c.ndim == 0:
            c = np.full(nv, float(c))
        if c.shape != (nv,):
            raise ShapeError(f"expected the posture cost to be a number or of shape ({nv},) (nv = {nv}), got {c.shape}")
        self._c = c
        self._c2 = c * c
        self._c2_gain = self._c2 * self.gain
        self._plain = robot.nq == nv and all(j.nq == j.nv for j in robot.joints)
        self._robot = robot
        if self._q_ref_raw is not None:
            self.set_target(self._q_ref_raw)

    def set_target(self, q_ref) -> None:
        """A new reference configuration ``(nq,)``."""
        if self._robot is None:
            self._q_ref_raw = _q_ref(q_ref)
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
        return np.diag(self._c2)

    def accumulate(self, robot: Robot, q: np.ndarray, H: np.ndarray, f: np.ndarray) -> float:
        e = self._err(robot, q)
        f += self._c2_gain * e
        if not self.lm_damping:
            return 0.0
        ec = self._c * self.gain * e  # C α e
        return self.lm_damping * ec.dot(ec)

    def residual(self, robot: Robot, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.diag(self._c), self._c * self.gain * self._err(robot, q)

    def error(self, robot: Robot, q) -> np.ndarray:
        if self._robot is not robot:
            self.bind(robot)
        q = robot.check_q(q)
        return self._err(robot, q)
