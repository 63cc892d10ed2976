"""Frame poses and Jacobians of a batch of configurations, compiled (``kinejac.pose`` and
``kinejac.jacobian`` on a batch use them; single configurations stay on pinocchio).

References are pinocchio's: ``WORLD`` (spatial velocity in world axes at the world origin),
``LOCAL`` (the frame's own axes, at the frame origin) and ``LOCAL_WORLD_ALIGNED`` (world axes, at
the frame origin); with a point (frame coordinates [m]) the linear rows of the last two are that
point's. The robot travels packed (:mod:`kinejac.core.packing`).
"""

from __future__ import annotations

import numpy as np

from .borrow import borrowed
from .jit import allocating
from .packing import unpack
from .residual import scratch, scratch_size
from .tree import forward, frame_jacobian, frame_pose, to_local_axes

__all__ = ["LOCAL", "LOCAL_WORLD_ALIGNED", "WORLD", "frame_range"]

# pinocchio.ReferenceFrame's values
WORLD, LOCAL, LOCAL_WORLD_ALIGNED = 0, 1, 2


@allocating
def frame_range(mf, mi, Q, path, f, point, reference, start, stop, out_T, out_J) -> None:
    """Rows ``start:stop``: the pose ``out_T (B, 4, 4)`` of frame ``f`` (shifted to ``point (3,)``)
    at ``Q (B, nq)`` and, when ``out_J`` has rows, its Jacobian ``out_J (B, 6, nv)`` in
    ``reference``. ``path``: the frame's ancestor joints, sorted (:func:`~kinejac.core.tree.support`)."""
    tree, _ = unpack(borrowed(mf), borrowed(mi))  # the caller keeps mf and mi alive
    nj, nv = tree[0].shape[0], tree[9][1]
    own = np.zeros(scratch_size(nj, nv))
    oR, op, m33, v3, _, J6 = scratch(borrowed(own), nj, nv)
    Rm, R, pm, p, c = m33[0], m33[1], v3[0], v3[1], v3[2]
    Jt = J6[0]
    want_J = out_J.shape[0] > 0
    for b in range(start, stop):
        forward(tree, Q[b], path, oR, op, Rm, pm)
        frame_pose(tree, f, oR, op, R, p)
        for a in range(3):
            c[a] = p[a] + R[a, 0] * point[0] + R[a, 1] * point[1] + R[a, 2] * point[2]
        T = out_T[b]
        for a in range(3):
            for k in range(3):
                T[a, k] = R[a, k]
            T[a, 3] = c[a]
            T[3, a] = 0.0
        T[3, 3] = 1.0
        if not want_J:
            continue
        frame_jacobian(tree, f, oR, op, c, Jt)  # world-aligned, at the point
        J = out_J[b]
        if reference == LOCAL:
            to_local_axes(R, Jt, J)
            continue
        for k in range(nv):
            l0, l1, l2, w0, w1, w2 = Jt[0, k], Jt[1, k], Jt[2, k], Jt[3, k], Jt[4, k], Jt[5, k]
            if reference == WORLD:  # v_origin = v_c - ω × c
                l0 -= w1 * c[2] - w2 * c[1]
                l1 -= w2 * c[0] - w0 * c[2]
                l2 -= w0 * c[1] - w1 * c[0]
            J[0, k], J[1, k], J[2, k], J[3, k], J[4, k], J[5, k] = l0, l1, l2, w0, w1, w2
    own[0] = own[0]  # the scratch owner lives until here (numba frees an array after its last use)
