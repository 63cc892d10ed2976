"""The kinematic tree as flat arrays: what the native core's ``Model`` is built from.

:func:`build_tree` reads a :class:`~kinejac.Robot` once into a :class:`Tree` of C-contiguous arrays
(every joint kinejac loads: revolute and prismatic about any axis, continuous, mimic, floating,
planar, spherical and translation joints; fixed joints are already merged into the placements by
pinocchio). The native core (``cpp/include/kinejac/tree.hpp``) copies them into its structs and
walks them with 3x3 rotations and 3-vectors. Mimic joints sit in the tree as ordinary 1-DOF joints
whose value is ``scale * q[iq] + offset`` of the joint they follow; their Jacobian column adds to
that joint's.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..errors import KinejacError

__all__ = ["ANGLE", "CLAMP", "FREE", "HOLD", "WRAP", "Tree", "build_tree", "joint_kind", "support"]

# joint types (the core's JointType)
REVOLUTE, PRISMATIC, CONTINUOUS, FREEFLYER, PLANAR, SPHERICAL, TRANSLATION = range(7)
# coordinate modes (the core's Mode: how the limits treat a coordinate of q)
FREE, HOLD, WRAP, CLAMP, ANGLE = range(5)
# columns of Tree.jf and Tree.ji
_R, _P, _AXIS, _SCALE, _OFFSET = 0, 9, 12, 15, 16
PARENT = 0

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


def joint_kind(jm) -> tuple[int, np.ndarray]:
    """The core's joint type of pinocchio joint model ``jm`` and its unit axis (zeros where it has none)."""
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
        kind, axis = joint_kind(jm)
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
            (joint_kind(model.joints[k + 1])[0], j.idx_q, j.idx_v)
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
