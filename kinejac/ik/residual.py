"""The IK error and its exact Jacobian, compiled once per set of targets.

For a target ``T_t`` (the desired ``T_ref_frame``) and the current ``X = T_ref_frame(q)``, the pose
error is ``M = T_t⁻¹ X``, i.e. the current pose *seen from the target frame*; every error below is
expressed in the target frame's axes.

- Full pose (all six weights > 0): ``e = W log6(M)``, the SE(3) log map, with the exact Jacobian
  ``de/dq = W Jlog6(M) J_local(q)`` (``J_local``: the frame Jacobian in its own axes; the
  perturbation is ``X ⊕ δ = X exp(J_local δ)``).
- Some weights 0 (masks, position-only, orientation-only): the decoupled error
  ``e = W [t(M); log3(R(M))]`` on the weighted rows, with Jacobian
  ``[R(M) J_local,lin; Jlog3(R(M)) J_local,ang]``, so a free axis is exactly free.
- Relative targets (``X = T_world_ref⁻¹ T_world_frame``): ``J_local = J_frame - Ad(X⁻¹) J_ref``.

The reported position error is ``‖t(M)‖`` [m] and the rotation error ``‖log3(R(M))‖`` [rad]
(restricted to the constrained axes), the worst over all targets.
"""

from __future__ import annotations

import math

import numpy as np
import pinocchio as pin

from ..robot import Robot
from .targets import FrameTarget

__all__ = ["Residual"]

_LOCAL = pin.ReferenceFrame.LOCAL
_log6, _Jlog6, _log3, _Jlog3 = pin.log6, pin.Jlog6, pin.log3, pin.Jlog3
_computeJointJacobians = pin.computeJointJacobians
_updateFramePlacement = pin.updateFramePlacement
_getFrameJacobian = pin.getFrameJacobian
_sqrt = math.sqrt


class _Task:
    __slots__ = ("fid", "full", "pos_rows", "ref_fid", "rot_rows", "rows", "target", "target_inv", "w", "w_col")

    def __init__(self, robot: Robot, t: FrameTarget) -> None:
        self.fid = robot.frame_id(t.frame)
        self.ref_fid = None if t.relative_to is None else robot.frame_id(t.relative_to)
        self.target = t.se3
        self.target_inv = self.target.inverse()
        w = np.asarray(t.weights, dtype=float)
        self.full = bool((w > 0).all())
        self.rows = np.arange(6) if self.full else np.flatnonzero(w > 0)
        self.pos_rows = self.rows[self.rows < 3]
        self.rot_rows = self.rows[self.rows >= 3] - 3
        self.w = None if (w[self.rows] == 1).all() else w[self.rows].copy()
        self.w_col = None if self.w is None else self.w[:, None]


class Residual:
    """The error of a fixed set of targets: ``evaluate(q) -> (e, J)`` (the hot path) and
    ``evaluate_full(q) -> (e, J, position_error, rotation_error)``.

    ``e`` ``(m,)`` is the weighted error, ``J`` ``(m, nv)`` its exact Jacobian on the configuration
    manifold. Uses the robot's pinocchio ``Data`` (one kinematics pass per call).
    """

    def __init__(self, robot: Robot, targets: tuple[FrameTarget, ...]) -> None:
        self.robot = robot
        self.model, self.data = robot.model, robot.data
        self._no_dof = robot.nv == 0
        self.tasks = [_Task(robot, t) for t in targets]
        self.m = sum(len(t.rows) for t in self.tasks)
        self._single = self.tasks[0] if len(self.tasks) == 1 else None
        # ‖e‖² can be at most this factor times (ptol² + rtol²) at a converged configuration: the
        # translation part of log6 is V(ω)⁻¹ t with ‖V⁻¹‖ ≤ 1 + θ²/24 (< 1.0001 for θ < 0.05 rad),
        # and the weights scale every row by at most max(w).
        wmax = max(float(t.w.max()) if t.w is not None else 1.0 for t in self.tasks)
        self.gate_factor = 1.01 * wmax * wmax * len(self.tasks)
        self._specialise()

    def _specialise(self) -> None:
        """Bind :meth:`evaluate` to a closure for the common case: one absolute full-pose target.

        The closure remembers its last configuration and pose error, so that :meth:`errors` at that
        same configuration (the convergence test right after a step) costs no kinematics pass.
        """
        self._last = None
        t = self._single
        if t is None or not t.full or t.ref_fid is not None or t.w is not None or self.robot.nv <= 1:
            self.evaluate = self._evaluate_ej
            return
        model, data, fid, task = self.model, self.data, t.fid, t
        cjj, ufp, gfj, log6, jlog6 = _computeJointJacobians, _updateFramePlacement, _getFrameJacobian, _log6, _Jlog6
        local = _LOCAL

        def evaluate(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            cjj(model, data, q)
            M = task.target_inv * ufp(model, data, fid)
            e = log6(M).vector
            self._last = (q.tolist(), M, e)
            return e, jlog6(M).dot(gfj(model, data, fid, local))

        self.evaluate = evaluate

    def retarget(self, targets: tuple[FrameTarget, ...]) -> bool:
        """Swap in new target poses if the structure (frames, weights) is unchanged; False otherwise."""
        if len(targets) != len(self.tasks):
            return False
        new = [_Task(self.robot, t) for t in targets]
        for a, b in zip(self.tasks, new):
            if a.fid != b.fid or a.ref_fid != b.ref_fid or not np.array_equal(a.rows, b.rows):
                return False
        self.tasks = new
        self._single = new[0] if len(new) == 1 else None
        self._specialise()
        return True

    def set_pose(self, T: pin.SE3) -> bool:
        """Fast re-targeting of a single absolute full-pose, unit-weight target; False if not that kind."""
        t = self._single
        if t is None or not t.full or t.ref_fid is not None or t.w is not None:
            return False
        t.target = T
        t.target_inv = T.inverse()
        self._last = None
        return True

    def _one(self, task: _Task) -> tuple[np.ndarray, np.ndarray, float, float]:
        model, data = self.model, self.data
        X = _updateFramePlacement(model, data, task.fid)
        if self._no_dof:  # pinocchio crashes on a 6 x 0 frame Jacobian
            Jx = Jb = np.zeros((6, 0))
        else:
            Jx = _getFrameJacobian(model, data, task.fid, _LOCAL).reshape(6, -1)  # eigenpy gives (6,) if nv = 1
        if task.ref_fid is not None:
            B = _updateFramePlacement(model, data, task.ref_fid)
            if not self._no_dof:
                Jb = _getFrameJacobian(model, data, task.ref_fid, _LOCAL).reshape(6, -1)
            X = B.actInv(X)
            Jx = Jx - X.inverse().action @ Jb
        M = task.target_inv * X
        if task.full:
            e = _log6(M).vector
            J = _Jlog6(M) @ Jx
            t = M.translation
            perr = _sqrt(t @ t)
            r = e[3:]
            rerr = _sqrt(r @ r)
        else:
            R = M.rotation
            r = _log3(R)
            e = np.concatenate((M.translation, r))[task.rows]
            J = np.concatenate((R @ Jx[:3], _Jlog3(R) @ Jx[3:]))[task.rows]
            tp = M.translation[task.pos_rows]
            rr = r[task.rot_rows]
            perr = _sqrt(tp @ tp)
            rerr = _sqrt(rr @ rr)
        if task.w is not None:
            e = e * task.w
            J = J * task.w_col
        return e, J, perr, rerr

    def _evaluate_ej(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        e, J, _, _ = self.evaluate_full(q)
        return e, J

    def errors(self, q: np.ndarray) -> tuple[float, float]:
        """Position error [m] and rotation error [rad] at ``q`` (the worst over the targets)."""
        last = self._last
        if last is not None and last[0] == q.tolist():  # the pose error of the last evaluate() call
            t, r = last[1].translation, last[2][3:]
            return _sqrt(t.dot(t)), _sqrt(r.dot(r))
        _, _, perr, rerr = self.evaluate_full(q)
        return perr, rerr

    def evaluate_full(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
        """Weighted error ``(m,)``, its Jacobian ``(m, nv)``, position error [m], rotation error [rad]."""
        if self._no_dof:
            pin.forwardKinematics(self.model, self.data, q)
        else:
            _computeJointJacobians(self.model, self.data, q)
        if self._single is not None:
            return self._one(self._single)
        es, Js, perr, rerr = [], [], 0.0, 0.0
        for task in self.tasks:
            e, J, p, r = self._one(task)
            es.append(e)
            Js.append(J)
            perr, rerr = max(perr, p), max(rerr, r)
        return np.concatenate(es), np.concatenate(Js), perr, rerr
