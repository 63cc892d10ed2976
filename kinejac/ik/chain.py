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
    """``T_world_frame`` and the frame Jacobian of one frame for a batch of configurations.

    The work is done batch-last ("structure of arrays": ``R[i, j]`` is a contiguous ``(B,)`` row), where
    numpy's elementwise loops and small constant products run at full speed; :meth:`pose_jacobian`
    gives the usual batch-first arrays.
    """

    def __init__(self, nv: int, joints: list[tuple], R_frame: np.ndarray, p_frame: np.ndarray) -> None:
        # joints: (revolute?, axis (3,), aligned axis index or -1, idx_q, idx_v, R_placement, p_placement)
        self.nv, self.joints, self.R_frame, self.p_frame = nv, joints, R_frame, p_frame

        def rows(R: np.ndarray, p: np.ndarray) -> np.ndarray:
            """``Mᵀ`` of the homogeneous ``M = [R p; 0 1]``: ``[R | p] · M`` is ``Mᵀ @ X`` batch-last."""
            M = np.eye(4)
            M[:3, :3], M[:3, 3] = R, p
            return np.ascontiguousarray(M.T)

        self._MT = [rows(j[5], j[6]) for j in joints]
        self._MT_frame = rows(R_frame, p_frame)
        self._M0 = np.hstack((joints[0][5], joints[0][6][:, None])) if joints else None  # (3, 4)
        self._rev_q = np.array([j[3] for j in joints if j[0]], dtype=int)
        self._rev_v = [j[4] for j in joints if j[0]]
        self._rev_row = {j[3]: r for r, j in enumerate(j for j in joints if j[0])}
        self._rev_all = self._rev_v == list(range(nv))  # every column revolute, in order
        self._full = sorted(j[4] for j in joints) == list(range(nv))  # every column on the chain
        self._K = {j[4]: (np.ascontiguousarray(pin.skew(j[1]).T), j[1]) for j in joints if j[2] < 0}

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

    def pose_jacobian_t(self, Q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Batch-last ``R_world_frame (3, 3, B)``, ``p_world_frame (3, B)`` [m] and the world-aligned
        Jacobian at the frame origin ``J_world (6, nv, B)`` (pinocchio's ``LOCAL_WORLD_ALIGNED``) at
        ``Q (B, nq)``."""
        B = Q.shape[0]
        nv = self.nv
        if self._rev_q.size:
            # cos and sin from tan(q/2), a tenth of the cost of np.cos + np.sin, within 2.3e-16 of them
            t = np.tan(0.5 * Q[:, self._rev_q].T)
            t2 = t * t
            d = 1.0 / (1.0 + t2)
            C, S = (1.0 - t2) * d, (t + t) * d
        Z = (np.empty if self._full else np.zeros)((3, nv, B))  # joint axes z_j in the world
        P = np.empty((3, len(self._rev_v), B))  # origins of the revolute joints
        X = None  # [R_world_j | p_world_j] (3, 4, B)
        for n, (revolute, axis, k, iq, iv, _, _) in enumerate(self.joints):
            if X is None:
                X = np.empty((3, 4, B))
                X[...] = self._M0[:, :, None]
            else:
                X = self._MT[n] @ X  # X · jointPlacement
            if revolute:
                r = self._rev_row[iq]
                c, s = C[r], S[r]
                if k >= 0:  # R · Rot(e_k, q): columns k1, k2 turn in their plane
                    k1, k2 = (k + 1) % 3, (k + 2) % 3
                    Z[:, iv] = X[:, k]
                    old_k1_s = X[:, k1] * s
                    X[:, k1] *= c
                    X[:, k1] += X[:, k2] * s
                    X[:, k2] *= c
                    X[:, k2] -= old_k1_s
                else:  # Rodrigues: Rot = I + sin q K + (1 - cos q) K²
                    KT, a = self._K[iv]
                    R = X[:, :3]
                    Z[:, iv] = np.einsum("ikb,k->ib", R, a)
                    RK = KT @ R
                    X[:, :3] += s * RK + (1.0 - c) * (KT @ RK)
                P[:, r] = X[:, 3]
            else:
                z = X[:, k] if k >= 0 else np.einsum("ikb,k->ib", X[:, :3], axis)
                Z[:, iv] = z
                X[:, 3] += z * Q[:, iq]
        if X is None:  # the frame is on the root
            X = np.zeros((3, 4, B))
            X[:, :3] = np.eye(3)[:, :, None]
        Xf = self._MT_frame @ X
        R_f, p_f = Xf[:, :3], Xf[:, 3]
        J = np.zeros((6, nv, B))
        J[3:] = Z
        if self._rev_v:  # revolute columns: z × (p_f - o), written out per component
            D = p_f[:, None, :] - P
            Zr = Z if self._rev_all else Z[:, self._rev_v]
            z0, z1, z2, d0, d1, d2 = Zr[0], Zr[1], Zr[2], D[0], D[1], D[2]
            if self._rev_all:
                np.subtract(z1 * d2, z2 * d1, out=J[0])
                np.subtract(z2 * d0, z0 * d2, out=J[1])
                np.subtract(z0 * d1, z1 * d0, out=J[2])
            else:
                J[0, self._rev_v] = z1 * d2 - z2 * d1
                J[1, self._rev_v] = z2 * d0 - z0 * d2
                J[2, self._rev_v] = z0 * d1 - z1 * d0
        for revolute, _, _, _, iv, _, _ in self.joints:
            if not revolute:  # prismatic: [z; 0]
                J[:3, iv] = Z[:, iv]
                J[3:, iv] = 0.0
        return R_f, p_f, J

    def pose_jacobian(self, Q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``R_world_frame (B, 3, 3)``, ``p_world_frame (B, 3)`` [m] and ``J_local (B, 6, nv)`` at ``Q (B, nq)``."""
        R_f, p_f, Jw = self.pose_jacobian_t(Q)
        J = np.empty_like(Jw)
        np.einsum("kib,kcb->icb", R_f, Jw[:3], out=J[:3])  # R_world_frameᵀ · J_world
        np.einsum("kib,kcb->icb", R_f, Jw[3:], out=J[3:])
        return R_f.transpose(2, 0, 1).copy(), p_f.T.copy(), J.transpose(2, 0, 1).copy()
