"""Vectorised forward kinematics and frame Jacobian of a serial chain, over a leading batch axis.

For the batched solver (:mod:`kinejac.ik.batch`): when every joint between the root and a frame is a
1-DOF revolute or prismatic joint (pinocchio's ``RX/RY/RZ``, ``PX/PY/PZ`` and their ``Unaligned``
forms), ``T_world_frame(q)`` and the frame Jacobian in the frame's own axes (pinocchio's ``LOCAL``)
are computed for ``B`` configurations at once with numpy, from the model's ``jointPlacements`` and
joint axes:

- ``T_world_j = T_world_parent · jointPlacements[j] · exp(a_j q_j)`` (a rotation about, or a
  translation along, the unit axis ``a_j`` in the joint's frame);
- column ``j`` of the world-aligned Jacobian at the frame origin ``p_f``:
  ``[z_j × (p_f - p_j); z_j]`` (revolute) or ``[z_j; 0]`` (prismatic), ``z_j = R_world_j a_j``;
- the ``LOCAL`` Jacobian is that one rotated into the frame's axes by ``R_world_frameᵀ``.

Other joint kinds (continuous joints stored as (cos, sin), mimic joints, free-flyers) make
:meth:`ChainKinematics.build` return ``None``; the caller then uses pinocchio per sample.
"""

from __future__ import annotations

import numpy as np
import pinocchio as pin

from ..robot import Robot

__all__ = ["ChainKinematics"]

_AXES = {"X": 0, "Y": 1, "Z": 2}


def _joint_axis(joint) -> tuple[str, np.ndarray] | None:
    """``("revolute" | "prismatic", unit axis (3,))`` of a 1-DOF joint model, ``None`` for other kinds."""
    name = joint.shortname()
    if name in ("JointModelRevoluteUnaligned", "JointModelPrismaticUnaligned"):
        axis = np.asarray(joint.extract().axis, dtype=float).reshape(3)
        axis = axis / np.linalg.norm(axis)
        return ("revolute" if "Revolute" in name else "prismatic"), axis
    if len(name) == len("JointModelRX") and name[:11] in ("JointModelR", "JointModelP") and name[-1] in _AXES:
        axis = np.zeros(3)
        axis[_AXES[name[-1]]] = 1.0
        return ("revolute" if name[10] == "R" else "prismatic"), axis
    return None


class ChainKinematics:
    """``T_world_frame`` and the ``LOCAL`` frame Jacobian of one frame for a batch of configurations."""

    def __init__(self, nv: int, joints: list[tuple], R_frame: np.ndarray, p_frame: np.ndarray) -> None:
        # joints: (revolute?, axis (3,), aligned axis index or -1, idx_q, idx_v, R_placement, p_placement)
        self.nv, self.joints, self.R_frame, self.p_frame = nv, joints, R_frame, p_frame

    @classmethod
    def build(cls, robot: Robot, frame_id: int) -> ChainKinematics | None:
        """The chain from the root to frame ``frame_id``, or ``None`` if a joint on it is not supported."""
        model = robot.model
        frame = model.frames[frame_id]
        joints = []
        for j in list(model.supports[frame.parentJoint])[1:]:  # [0] is the universe
            jm = model.joints[j]
            kind = _joint_axis(jm)
            if kind is None or jm.nq != 1 or jm.nv != 1 or jm.idx_q < 0:
                return None
            revolute, axis = kind[0] == "revolute", kind[1]
            aligned = int(np.flatnonzero(axis)[0]) if np.count_nonzero(axis) == 1 and axis.max() == 1.0 else -1
            M = model.jointPlacements[j]
            joints.append((revolute, axis, aligned, jm.idx_q, jm.idx_v, M.rotation.copy(), M.translation.copy()))
        return cls(robot.nv, joints, frame.placement.rotation.copy(), frame.placement.translation.copy())

    def pose_jacobian(self, Q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``R_world_frame (B, 3, 3)``, ``p_world_frame (B, 3)`` [m] and ``J_local (B, 6, nv)`` at ``Q (B, nq)``."""
        B = Q.shape[0]
        R = np.broadcast_to(np.eye(3), (B, 3, 3)).copy()
        p = np.zeros((B, 3))
        origins, axes = [], []
        for revolute, axis, k, iq, _, Rp, pp in self.joints:
            # products with a constant on the right as one (3B, 3) x (3, 3) matrix product
            R2 = R.reshape(3 * B, 3)
            p = p + (R2 @ pp).reshape(B, 3)
            R = (R2 @ Rp).reshape(B, 3, 3)
            qj = Q[:, iq]
            if revolute:
                c, s = np.cos(qj)[:, None], np.sin(qj)[:, None]
                if k >= 0:  # R · Rot(e_k, q): columns k1, k2 turn in their plane
                    k1, k2 = (k + 1) % 3, (k + 2) % 3
                    Rn = np.empty((B, 3, 3))
                    Rn[:, :, k] = R[:, :, k]
                    Rn[:, :, k1] = c * R[:, :, k1] + s * R[:, :, k2]
                    Rn[:, :, k2] = c * R[:, :, k2] - s * R[:, :, k1]
                    z = Rn[:, :, k]
                else:  # Rodrigues: Rot = I + sin q K + (1 - cos q) K²
                    K = pin.skew(axis)
                    RK = R @ K
                    Rn = R + s[:, :, None] * RK + (1.0 - c)[:, :, None] * (RK @ K)
                    z = R @ axis
                origins.append(p)
                R = Rn
            else:
                z = R @ axis
                p = p + z * qj[:, None]
                origins.append(None)
            axes.append(z)
        R2 = R.reshape(3 * B, 3)
        p_f = p + (R2 @ self.p_frame).reshape(B, 3)
        R_f = (R2 @ self.R_frame).reshape(B, 3, 3)
        Jw = np.zeros((B, 6, self.nv))
        rev = [(iv, o, z) for (revolute, _, _, _, iv, _, _), o, z in zip(self.joints, origins, axes) if revolute]
        if rev:  # all revolute columns at once: z × (p_f - o), written out per component
            iv = [r[0] for r in rev]
            Z = np.stack([r[2] for r in rev], axis=-1)  # (B, 3, n)
            D = p_f[:, :, None] - np.stack([r[1] for r in rev], axis=-1)
            z0, z1, z2, d0, d1, d2 = Z[:, 0], Z[:, 1], Z[:, 2], D[:, 0], D[:, 1], D[:, 2]
            Jw[:, 0, iv] = z1 * d2 - z2 * d1
            Jw[:, 1, iv] = z2 * d0 - z0 * d2
            Jw[:, 2, iv] = z0 * d1 - z1 * d0
            Jw[:, 3:, iv] = Z
        for (revolute, _, _, _, iv, _, _), z in zip(self.joints, axes):
            if not revolute:
                Jw[:, :3, iv] = z
        RfT = np.swapaxes(R_f, 1, 2)
        J = np.empty_like(Jw)
        np.matmul(RfT, Jw[:, :3], out=J[:, :3])
        np.matmul(RfT, Jw[:, 3:], out=J[:, 3:])
        return R_f, p_f, J
