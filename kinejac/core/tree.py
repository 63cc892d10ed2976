"""The kinematic tree as flat arrays, and compiled forward kinematics and frame Jacobians on it.

:func:`build_tree` reads a :class:`~kinejac.Robot` once into a :class:`Tree` of C-contiguous arrays
(every joint kinejac loads: revolute and prismatic about any axis, continuous, mimic, floating,
planar, spherical and translation joints; fixed joints are already merged into the placements by
pinocchio). The compiled functions walk those arrays with 3x3 rotations and 3-vectors, without
allocating. Mimic joints sit in the tree as ordinary 1-DOF joints whose value is
``scale * q[iq] + offset`` of the joint they follow; their Jacobian column adds to that joint's.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..errors import KinejacError
from .jit import compiled, inlined
from .lie import quat_to_rot
from .trig import sincos

__all__ = [
    "Tree",
    "build_tree",
    "forward",
    "frame_jacobian",
    "frame_pose",
    "joint_jacobian",
    "support",
    "to_local_axes",
]

# joint types
REVOLUTE, PRISMATIC, CONTINUOUS, FREEFLYER, PLANAR, SPHERICAL, TRANSLATION = range(7)
# coordinate modes (how the limits treat a coordinate of q)
FREE, HOLD, WRAP, CLAMP, ANGLE = range(5)
# columns of Tree.jf and Tree.ji
_R, _P, _AXIS, _SCALE, _OFFSET = 0, 9, 12, 15, 16
PARENT, TYPE, IQ, IV, ALIGNED = range(5)

_TYPES = {
    "JointModelRX": (REVOLUTE, (1.0, 0.0, 0.0)),
    "JointModelRY": (REVOLUTE, (0.0, 1.0, 0.0)),
    "JointModelRZ": (REVOLUTE, (0.0, 0.0, 1.0)),
    "JointModelRevoluteUnaligned": (REVOLUTE, None),
    "JointModelPX": (PRISMATIC, (1.0, 0.0, 0.0)),
    "JointModelPY": (PRISMATIC, (0.0, 1.0, 0.0)),
    "JointModelPZ": (PRISMATIC, (0.0, 0.0, 1.0)),
    "JointModelPrismaticUnaligned": (PRISMATIC, None),
    "JointModelRUBX": (CONTINUOUS, (1.0, 0.0, 0.0)),
    "JointModelRUBY": (CONTINUOUS, (0.0, 1.0, 0.0)),
    "JointModelRUBZ": (CONTINUOUS, (0.0, 0.0, 1.0)),
    "JointModelRevoluteUnboundedUnaligned": (CONTINUOUS, None),
    "JointModelFreeFlyer": (FREEFLYER, None),
    "JointModelPlanar": (PLANAR, None),
    "JointModelSpherical": (SPHERICAL, None),
    "JointModelTranslation": (TRANSLATION, None),
}
_FULL_TURN_SLACK = 1e-3  # [rad]: limits written as ±3.14159 still make a full turn


class Tree(NamedTuple):
    """A robot's kinematics as flat arrays (built once per robot by :func:`build_tree`).

    ``jf (nj, 17)``: per joint its placement in the parent joint's frame (rotation row-major, 9;
    translation, 3), axis (3), mimic scale and offset. ``ji (nj, 5)``: parent joint, type, index of
    its first coordinate in ``q`` and in ``v`` (for a mimic joint: those of the joint it follows),
    aligned axis (0, 1, 2, or -1). Joint 0 is the world. ``cj (nc, 3)``: type, first coordinate
    and first tangent index of the joints that own coordinates (all but mimic joints).
    ``ff (nf, 12)``, ``fi (nf,)``: each frame's placement in, and index of, its parent joint.
    ``lo, hi (nq,)``: position limits (±inf where unbounded); ``mode (nq,)``: how the limits treat
    each coordinate (free, hold, wrap, clamp, angle); ``cv (nq,)``: the tangent index of 1-DOF
    joint coordinates, else -1. ``dims``: ``[nq, nv]``.

    Compiled code takes it as a plain tuple (``tuple(tree)``: numba unboxes a tuple twice as fast as
    a named tuple) and unpacks it in this field order.
    """

    jf: np.ndarray
    ji: np.ndarray
    cj: np.ndarray
    ff: np.ndarray
    fi: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    mode: np.ndarray
    cv: np.ndarray
    dims: np.ndarray


def _joint_kind(jm) -> tuple[int, np.ndarray]:
    name = jm.shortname()
    if name not in _TYPES:
        raise KinejacError(f"the compiled kinematics do not support pinocchio joints of type {name}")
    kind, aligned = _TYPES[name]
    if aligned is not None:
        return kind, np.asarray(aligned, dtype=float)
    if kind in (REVOLUTE, PRISMATIC, CONTINUOUS):  # unaligned: read the motion subspace
        jd = jm.createData()
        jm.calc(jd, np.r_[1.0, 0.0] if kind == CONTINUOUS else np.zeros(1))
        S = np.asarray(jd.S, dtype=float).reshape(6)
        return kind, S[:3] if kind == PRISMATIC else S[3:]
    return kind, np.zeros(3)


def build_tree(robot) -> Tree:
    """The :class:`Tree` of ``robot`` (a :class:`~kinejac.Robot`)."""
    model = robot.model
    mimic = robot.unmimicked  # (model without mimic constraints, A, b, G) or None
    full = model if mimic is None else mimic[0]
    nj = full.njoints
    jf = np.zeros((nj, 17))
    ji = np.zeros((nj, 5), dtype=np.int64)
    jf[0, _R : _R + 9] = np.eye(3).ravel()
    ji[0] = (-1, -1, -1, -1, -1)
    for j in range(1, nj):
        jm = full.joints[j]
        kind, axis = _joint_kind(jm)
        M = full.jointPlacements[j]
        jf[j, _R : _R + 9] = M.rotation.ravel()
        jf[j, _P : _P + 3] = M.translation
        jf[j, _AXIS : _AXIS + 3] = axis / np.linalg.norm(axis) if axis.any() else axis
        iq, iv, scale, offset = jm.idx_q, jm.idx_v, 1.0, 0.0
        if mimic is not None:  # through the mimic maps: q_full = A q + b, v_full = G v
            _, A, b, G = mimic
            row = A[jm.idx_q]
            iq = int(np.flatnonzero(row)[0])
            iv = int(np.flatnonzero(G[jm.idx_v])[0])
            scale, offset = float(row[iq]), float(b[jm.idx_q])
        jf[j, _SCALE], jf[j, _OFFSET] = scale, offset
        nz = np.flatnonzero(axis)
        aligned = int(nz[0]) if len(nz) == 1 and axis[nz[0]] == 1.0 else -1
        ji[j] = (full.parents[j], kind, iq, iv, aligned)
    cj = np.array(
        [
            (_joint_kind(model.joints[k + 1])[0], j.idx_q, j.idx_v)
            for k, j in enumerate(robot.joints)
            if j.kind != "mimic"
        ],
        dtype=np.int64,
    ).reshape(-1, 3)
    # frames, indexed like robot.model.frames
    names = [f.name for f in full.frames]
    nf = model.nframes
    ff = np.zeros((nf, 12))
    fi = np.zeros(nf, dtype=np.int64)
    for i, frame in enumerate(model.frames):
        k = i if full is model else names.index(frame.name)
        src = full.frames[k]
        ff[i, :9] = src.placement.rotation.ravel()
        ff[i, 9:] = src.placement.translation
        fi[i] = src.parentJoint
    lo, hi = np.array(robot.lower, dtype=float), np.array(robot.upper, dtype=float)
    mode = np.where(np.isfinite(lo) | np.isfinite(hi), CLAMP, FREE).astype(np.int64)
    cv = np.full(robot.nq, -1, dtype=np.int64)
    for jinfo in robot.joints:
        if jinfo.nq != 1 or jinfo.kind not in ("revolute", "prismatic"):
            continue
        k = jinfo.idx_q
        cv[k] = jinfo.idx_v
        bounded = math.isfinite(lo[k]) or math.isfinite(hi[k])
        if jinfo.kind == "revolute" and not bounded:
            mode[k] = ANGLE
        elif jinfo.kind == "revolute" and hi[k] - lo[k] >= 2.0 * math.pi - _FULL_TURN_SLACK:
            mode[k] = WRAP
        elif bounded:
            mode[k] = HOLD
    dims = np.array([robot.nq, robot.nv], dtype=np.int64)
    return Tree(jf, ji, cj, ff, fi, lo, hi, mode, cv, dims)


def support(tree: Tree | tuple, frames, joints=()) -> np.ndarray:
    """The joints moving any of ``frames`` or ``joints`` (their ancestors), sorted (parents first)."""
    ji, fi = tree[1], tree[4]  # a Tree or its plain tuple
    parent = ji[:, PARENT]
    out: set[int] = set()
    for j in [int(fi[f]) for f in frames] + [int(j) for j in joints]:
        while j > 0 and j not in out:
            out.add(j)
            j = int(parent[j])
    return np.array(sorted(out), dtype=np.int64)


@compiled
def _motion(jf, ji, j, q, Rm, pm) -> None:
    """``(Rm, pm)``: the motion of joint ``j`` at ``q`` (in its own frame after the placement)."""
    kind = ji[j, TYPE]
    iq = ji[j, IQ]
    for a in range(3):
        pm[a] = 0.0
        for b in range(3):
            Rm[a, b] = 1.0 if a == b else 0.0
    if kind == REVOLUTE or kind == CONTINUOUS:
        if kind == REVOLUTE:
            t = jf[j, _SCALE] * q[iq] + jf[j, _OFFSET]
            s, c = sincos(t)
        else:
            c, s = q[iq], q[iq + 1]
        k = ji[j, ALIGNED]
        if k >= 0:
            k1, k2 = (k + 1) % 3, (k + 2) % 3
            Rm[k1, k1] = c
            Rm[k2, k2] = c
            Rm[k1, k2] = -s
            Rm[k2, k1] = s
        else:
            x, y, z = jf[j, _AXIS], jf[j, _AXIS + 1], jf[j, _AXIS + 2]
            omc = 1.0 - c
            Rm[0, 0] = c + x * x * omc
            Rm[1, 1] = c + y * y * omc
            Rm[2, 2] = c + z * z * omc
            Rm[0, 1] = x * y * omc - z * s
            Rm[1, 0] = x * y * omc + z * s
            Rm[0, 2] = x * z * omc + y * s
            Rm[2, 0] = x * z * omc - y * s
            Rm[1, 2] = y * z * omc - x * s
            Rm[2, 1] = y * z * omc + x * s
    elif kind == PRISMATIC:
        d = jf[j, _SCALE] * q[iq] + jf[j, _OFFSET]
        for a in range(3):
            pm[a] = jf[j, _AXIS + a] * d
    elif kind == FREEFLYER:
        pm[0], pm[1], pm[2] = q[iq], q[iq + 1], q[iq + 2]
        quat_to_rot(q[iq + 3], q[iq + 4], q[iq + 5], q[iq + 6], Rm)
    elif kind == PLANAR:
        pm[0], pm[1] = q[iq], q[iq + 1]
        c, s = q[iq + 2], q[iq + 3]
        Rm[0, 0], Rm[0, 1], Rm[1, 0], Rm[1, 1] = c, -s, s, c
    elif kind == SPHERICAL:
        quat_to_rot(q[iq], q[iq + 1], q[iq + 2], q[iq + 3], Rm)
    elif kind == TRANSLATION:
        pm[0], pm[1], pm[2] = q[iq], q[iq + 1], q[iq + 2]


@inlined
def forward(tree, q, joints, oR, op, Rm, pm) -> None:
    """Placements in the world ``oR (nj, 3, 3)``, ``op (nj, 3)`` of ``joints`` (sorted) at ``q``;
    ``Rm (3, 3)``, ``pm (3,)`` are scratch."""
    jf, ji = tree[0], tree[1]
    for n in range(joints.shape[0]):
        j = joints[n]
        par = ji[j, PARENT]
        k = ji[j, ALIGNED]
        if ji[j, TYPE] == REVOLUTE and k >= 0:  # the common joint: R = B · Rot(e_k, θ), no translation
            t = jf[j, _SCALE] * q[ji[j, IQ]] + jf[j, _OFFSET]
            s, c = sincos(t)
            k1, k2 = (k + 1) % 3, (k + 2) % 3
            for a in range(3):
                b0 = oR[par, a, 0] * jf[j, 0] + oR[par, a, 1] * jf[j, 3] + oR[par, a, 2] * jf[j, 6]
                b1 = oR[par, a, 0] * jf[j, 1] + oR[par, a, 1] * jf[j, 4] + oR[par, a, 2] * jf[j, 7]
                b2 = oR[par, a, 0] * jf[j, 2] + oR[par, a, 1] * jf[j, 5] + oR[par, a, 2] * jf[j, 8]
                op[j, a] = op[par, a] + oR[par, a, 0] * jf[j, 9] + oR[par, a, 1] * jf[j, 10] + oR[par, a, 2] * jf[j, 11]
                bk, bk1, bk2 = (b0, b1, b2)[k], (b0, b1, b2)[k1], (b0, b1, b2)[k2]
                oR[j, a, k] = bk
                oR[j, a, k1] = c * bk1 + s * bk2
                oR[j, a, k2] = c * bk2 - s * bk1
            continue
        _motion(jf, ji, j, q, Rm, pm)
        for a in range(3):
            # B = R_parent · R_placement (row a), then oR = B · Rm, op = op_parent + R_parent p_pl + B pm
            b0 = oR[par, a, 0] * jf[j, 0] + oR[par, a, 1] * jf[j, 3] + oR[par, a, 2] * jf[j, 6]
            b1 = oR[par, a, 0] * jf[j, 1] + oR[par, a, 1] * jf[j, 4] + oR[par, a, 2] * jf[j, 7]
            b2 = oR[par, a, 0] * jf[j, 2] + oR[par, a, 1] * jf[j, 5] + oR[par, a, 2] * jf[j, 8]
            op[j, a] = (
                op[par, a]
                + oR[par, a, 0] * jf[j, 9]
                + oR[par, a, 1] * jf[j, 10]
                + oR[par, a, 2] * jf[j, 11]
                + b0 * pm[0]
                + b1 * pm[1]
                + b2 * pm[2]
            )
            for c in range(3):
                oR[j, a, c] = b0 * Rm[0, c] + b1 * Rm[1, c] + b2 * Rm[2, c]


@inlined
def frame_pose(tree, f, oR, op, R, p) -> None:
    """``T_world_frame`` of frame ``f`` as ``R (3, 3)``, ``p (3,)`` from the joint placements."""
    ff, fi = tree[3], tree[4]
    j = fi[f]
    for a in range(3):
        p[a] = op[j, a] + oR[j, a, 0] * ff[f, 9] + oR[j, a, 1] * ff[f, 10] + oR[j, a, 2] * ff[f, 11]
        for c in range(3):
            R[a, c] = oR[j, a, 0] * ff[f, c] + oR[j, a, 1] * ff[f, 3 + c] + oR[j, a, 2] * ff[f, 6 + c]


@inlined
def _add_column(J, col, scale, z0, z1, z2, revolute, d0, d1, d2) -> None:
    if revolute:  # [z × d; z]
        J[0, col] += scale * (z1 * d2 - z2 * d1)
        J[1, col] += scale * (z2 * d0 - z0 * d2)
        J[2, col] += scale * (z0 * d1 - z1 * d0)
        J[3, col] += scale * z0
        J[4, col] += scale * z1
        J[5, col] += scale * z2
    else:  # [z; 0]
        J[0, col] += scale * z0
        J[1, col] += scale * z1
        J[2, col] += scale * z2


@inlined
def to_local_axes(R, Jw, out) -> None:
    """``out = [Rᵀ Jw_lin; Rᵀ Jw_ang]``: a world-aligned Jacobian ``Jw (6, nv)`` in the axes of a frame
    whose world rotation is ``R (3, 3)``."""
    for c in range(Jw.shape[1]):
        for h in range(0, 6, 3):
            x0, x1, x2 = Jw[h, c], Jw[h + 1, c], Jw[h + 2, c]
            for a in range(3):
                out[h + a, c] = R[0, a] * x0 + R[1, a] * x1 + R[2, a] * x2


@inlined
def frame_jacobian(tree, f, oR, op, p, J) -> None:
    """``J (6, nv)``: the world-aligned Jacobian of frame ``f`` at the point ``p (3,)`` [m] (world
    coordinates; the frame origin gives pinocchio's ``LOCAL_WORLD_ALIGNED``)."""
    joint_jacobian(tree, tree[4][f], oR, op, p, J)


@inlined
def joint_jacobian(tree, j, oR, op, p, J) -> None:
    """``J (6, nv)``: the world-aligned Jacobian of a point ``p (3,)`` [m] (world coordinates) moving
    with joint ``j``."""
    jf, ji = tree[0], tree[1]
    for r in range(6):
        for c in range(J.shape[1]):
            J[r, c] = 0.0
    while j > 0:
        kind, iv = ji[j, TYPE], ji[j, IV]
        d0, d1, d2 = p[0] - op[j, 0], p[1] - op[j, 1], p[2] - op[j, 2]
        if kind <= CONTINUOUS:  # revolute, prismatic, continuous: one column along the world axis
            k = ji[j, ALIGNED]
            if k >= 0:
                z0, z1, z2 = oR[j, 0, k], oR[j, 1, k], oR[j, 2, k]
            else:
                x, y, z = jf[j, _AXIS], jf[j, _AXIS + 1], jf[j, _AXIS + 2]
                z0 = oR[j, 0, 0] * x + oR[j, 0, 1] * y + oR[j, 0, 2] * z
                z1 = oR[j, 1, 0] * x + oR[j, 1, 1] * y + oR[j, 1, 2] * z
                z2 = oR[j, 2, 0] * x + oR[j, 2, 1] * y + oR[j, 2, 2] * z
            _add_column(J, iv, jf[j, _SCALE], z0, z1, z2, kind != PRISMATIC, d0, d1, d2)
        elif kind == FREEFLYER or kind == TRANSLATION or kind == SPHERICAL:
            # v = [v_local; ω_local]: translations along, then rotations about, the joint's axes
            lin = kind != SPHERICAL
            ang = kind != TRANSLATION
            c = iv
            if lin:
                for a in range(3):
                    _add_column(J, c, 1.0, oR[j, 0, a], oR[j, 1, a], oR[j, 2, a], False, d0, d1, d2)
                    c += 1
            if ang:
                for a in range(3):
                    _add_column(J, c, 1.0, oR[j, 0, a], oR[j, 1, a], oR[j, 2, a], True, d0, d1, d2)
                    c += 1
        elif kind == PLANAR:  # v = [vx, vy, ωz] in the joint's axes
            _add_column(J, iv, 1.0, oR[j, 0, 0], oR[j, 1, 0], oR[j, 2, 0], False, d0, d1, d2)
            _add_column(J, iv + 1, 1.0, oR[j, 0, 1], oR[j, 1, 1], oR[j, 2, 1], False, d0, d1, d2)
            _add_column(J, iv + 2, 1.0, oR[j, 0, 2], oR[j, 1, 2], oR[j, 2, 2], True, d0, d1, d2)
        j = ji[j, PARENT]
