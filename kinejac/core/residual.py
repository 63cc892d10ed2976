"""The IK error of a set of frame targets and its exact Jacobian, compiled.

A task asks for the pose ``T_ref_frame`` of one frame (``ref``: the world, or another frame). With
``X = T_ref_frame(q)`` and the target ``T_t``, the pose error ``M = T_t⁻¹ X`` is the current pose
seen from the target frame, and every error is in the target frame's axes:

- full pose (all six weights > 0): ``e = W log6(M)``, ``de/dq = W Jlog6(M) J_local(q)``;
- some weights 0 (masks, position-only, orientation-only): ``e = W [t(M); log3(R(M))]`` on the
  weighted rows, ``de/dq = W [R(M) J_local,lin; Jlog3(R(M)) J_local,ang]`` (a free axis is exactly free);
- relative targets (``X = T_world_ref⁻¹ T_world_frame``): ``J_local = J_frame - Ad(X⁻¹) J_ref``.

``J_local`` is the frame Jacobian in its own axes (``X ⊕ δ = X exp(J_local δ)``). The position error
is ``‖t(M)‖`` [m] and the rotation error ``‖log3(R(M))‖`` [rad], on the constrained axes, the worst
over the tasks. Tasks are ``ti (nt, 3)``: frame, reference frame (-1: world), full (1/0), and
``tw (nt, 6)``: the weights; a problem's targets are ``T (nt, 4, 4)``.
"""

from __future__ import annotations

import math

from .jit import compiled, fused, inlined
from .lie import jlog3, log3, log6_jlog6
from .linalg import assign
from .packing import cut
from .tree import forward, frame_jacobian, frame_pose, to_local_axes

__all__ = ["evaluate", "scratch", "scratch_size"]


@inlined
def _scratch_sizes(nj: int, nv: int):
    return nj * 9, nj * 3, 81, 24, 6, 24 * nv


@inlined
def scratch_size(nj: int, nv: int) -> int:
    """The length of the buffer that :func:`scratch` cuts."""
    total = 0
    for n in _scratch_sizes(nj, nv):
        total += n
    return total


@inlined
def scratch(buf, nj: int, nv: int):
    """Work arrays of :func:`evaluate`: views of ``buf`` (:func:`scratch_size` long), made once per
    batch of problems."""
    s = _scratch_sizes(nj, nv)
    oR, a = cut(buf, 0, s[0])
    op, a = cut(buf, a, s[1])
    m33, a = cut(buf, a, s[2])  # Rm, Rf, Rb, Rx, RM, A, C, R scratch, spare
    v3, a = cut(buf, a, s[3])  # pm, pf, pb, px, pM, ω, scratch, spare
    e6, a = cut(buf, a, s[4])
    J6, a = cut(buf, a, s[5])  # frame (world-aligned, then local), reference, scratch
    oR, op, m33 = oR.reshape((nj, 3, 3)), op.reshape((nj, 3)), m33.reshape((9, 3, 3))
    v3, J6 = v3.reshape((8, 3)), J6.reshape((4, 6, nv))
    for i in range(3):  # the world
        op[0, i] = 0.0
        for c in range(3):
            oR[0, i, c] = 1.0 if i == c else 0.0
    return oR, op, m33, v3, e6, J6


@inlined
def _target_error(T, k, Rx, px, RM, pM) -> None:
    """``M = T[k]⁻¹ X`` as ``RM (3, 3)``, ``pM (3,)``: the pose ``(Rx, px)`` seen from target ``k``."""
    for a in range(3):
        d0, d1, d2 = px[0] - T[k, 0, 3], px[1] - T[k, 1, 3], px[2] - T[k, 2, 3]
        pM[a] = T[k, 0, a] * d0 + T[k, 1, a] * d1 + T[k, 2, a] * d2
        for c in range(3):
            RM[a, c] = T[k, 0, a] * Rx[0, c] + T[k, 1, a] * Rx[1, c] + T[k, 2, a] * Rx[2, c]


@fused
def evaluate(tree, ti, tw, T, q, path, ws, e, J) -> tuple[float, float]:
    """Error ``e (m,)`` and its Jacobian ``J (m, nv)`` of the tasks at ``q``, from one kinematics pass
    over the joints ``path`` (the tasks' ancestors, sorted); returns the position error [m] and the
    rotation error [rad]. ``ws`` comes from :func:`scratch`.

    LLVM inlines it into each caller (the IK loops: :data:`~kinejac.core.jit.fused`). The common
    task (a full pose in the world) is computed here, the others by :func:`_other_task`."""
    oR, op, m33, v3, e6, J6 = ws
    Rm, Rf, RM, A, C = m33[0], m33[1], m33[4], m33[5], m33[6]
    pm, pf, pM = v3[0], v3[1], v3[4]
    Jt = J6[2]
    nv = J.shape[1]
    forward(tree, q, path, oR, op, Rm, pm)
    perr = rerr = 0.0
    row = 0
    for k in range(ti.shape[0]):
        f, ref, full = ti[k, 0], ti[k, 1], ti[k, 2]
        frame_pose(tree, f, oR, op, Rf, pf)
        frame_jacobian(tree, f, oR, op, pf, Jt)
        if ref < 0 and full:  # the common task, fused: Jlog6(M) · diag(Rfᵀ, Rfᵀ) · J_world
            _target_error(T, k, Rf, pf, RM, pM)
            t = log6_jlog6(RM, pM, e6, A, C)
            R = m33[7]
            for a in range(3):  # R = A Rfᵀ, then C R into Rm
                for c in range(3):
                    R[a, c] = A[a, 0] * Rf[c, 0] + A[a, 1] * Rf[c, 1] + A[a, 2] * Rf[c, 2]
            for a in range(3):
                for c in range(3):
                    Rm[a, c] = C[a, 0] * R[0, c] + C[a, 1] * R[1, c] + C[a, 2] * R[2, c]
            for c in range(nv):
                l0, l1, l2, a0, a1, a2 = Jt[0, c], Jt[1, c], Jt[2, c], Jt[3, c], Jt[4, c], Jt[5, c]
                for a in range(3):
                    J[row + a, c] = tw[k, a] * (
                        R[a, 0] * l0 + R[a, 1] * l1 + R[a, 2] * l2 + Rm[a, 0] * a0 + Rm[a, 1] * a1 + Rm[a, 2] * a2
                    )
                    J[row + 3 + a, c] = tw[k, 3 + a] * (R[a, 0] * a0 + R[a, 1] * a1 + R[a, 2] * a2)
            for a in range(6):
                e[row + a] = tw[k, a] * e6[a]
            row += 6
            perr = max(perr, math.sqrt(pM[0] * pM[0] + pM[1] * pM[1] + pM[2] * pM[2]))
            rerr = max(rerr, t)
            continue
        row, p, r = _other_task(tree, ti, tw, T, k, oR, op, m33, v3, e6, J6, e, J, row)
        perr, rerr = max(perr, p), max(rerr, r)
    return perr, rerr


@compiled
def _other_task(tree, ti, tw, T, k, oR, op, m33, v3, e6, J6, e, J, row) -> tuple[int, float, float]:
    """The rows of task ``k`` from ``row`` on, for the tasks other than a full pose in the world
    (relative, masked, position or orientation only), with the frame already placed (``m33[1]``,
    ``v3[1]``) and its world-aligned Jacobian in ``J6[2]``; returns the next row and the task's
    position and rotation errors. (Called, not inlined, so that the IK loops stay small.)"""
    ref, full = ti[k, 1], ti[k, 2]
    Rf, Rb, Rx, RM, A, C = m33[1], m33[2], m33[3], m33[4], m33[5], m33[6]
    pf, pb, px, pM, w = v3[1], v3[2], v3[3], v3[4], v3[5]
    Jl, Jb, Jt = J6[0], J6[1], J6[2]
    nv = J.shape[1]
    to_local_axes(Rf, Jt, Jl)
    if ref < 0:
        assign(Rx, Rf)
        assign(px, pf)
    else:  # X = B⁻¹ F, J_local -= Ad(X⁻¹) J_ref,local
        frame_pose(tree, ref, oR, op, Rb, pb)
        frame_jacobian(tree, ref, oR, op, pb, Jt)
        to_local_axes(Rb, Jt, Jb)
        for a in range(3):
            px[a] = Rb[0, a] * (pf[0] - pb[0]) + Rb[1, a] * (pf[1] - pb[1]) + Rb[2, a] * (pf[2] - pb[2])
            for c in range(3):
                Rx[a, c] = Rb[0, a] * Rf[0, c] + Rb[1, a] * Rf[1, c] + Rb[2, a] * Rf[2, c]
        # X⁻¹ = (R', p') = (Rxᵀ, -Rxᵀ px);  Ad(X⁻¹) ν = [R' ν_lin + p' × R' ν_ang; R' ν_ang]
        for a in range(3):
            w[a] = -(Rx[0, a] * px[0] + Rx[1, a] * px[1] + Rx[2, a] * px[2])
        for c in range(nv):
            l0 = Rx[0, 0] * Jb[0, c] + Rx[1, 0] * Jb[1, c] + Rx[2, 0] * Jb[2, c]
            l1 = Rx[0, 1] * Jb[0, c] + Rx[1, 1] * Jb[1, c] + Rx[2, 1] * Jb[2, c]
            l2 = Rx[0, 2] * Jb[0, c] + Rx[1, 2] * Jb[1, c] + Rx[2, 2] * Jb[2, c]
            a0 = Rx[0, 0] * Jb[3, c] + Rx[1, 0] * Jb[4, c] + Rx[2, 0] * Jb[5, c]
            a1 = Rx[0, 1] * Jb[3, c] + Rx[1, 1] * Jb[4, c] + Rx[2, 1] * Jb[5, c]
            a2 = Rx[0, 2] * Jb[3, c] + Rx[1, 2] * Jb[4, c] + Rx[2, 2] * Jb[5, c]
            Jl[0, c] -= l0 + w[1] * a2 - w[2] * a1
            Jl[1, c] -= l1 + w[2] * a0 - w[0] * a2
            Jl[2, c] -= l2 + w[0] * a1 - w[1] * a0
            Jl[3, c] -= a0
            Jl[4, c] -= a1
            Jl[5, c] -= a2
    _target_error(T, k, Rx, px, RM, pM)  # M = T_t⁻¹ X
    if full:
        t = log6_jlog6(RM, pM, e6, A, C)
        p2 = pM[0] * pM[0] + pM[1] * pM[1] + pM[2] * pM[2]
        for a in range(6):
            e[row + a] = tw[k, a] * e6[a]
        for c in range(nv):  # [[A, C A], [0, A]] · [Jl_lin; Jl_ang]
            g0 = A[0, 0] * Jl[3, c] + A[0, 1] * Jl[4, c] + A[0, 2] * Jl[5, c]
            g1 = A[1, 0] * Jl[3, c] + A[1, 1] * Jl[4, c] + A[1, 2] * Jl[5, c]
            g2 = A[2, 0] * Jl[3, c] + A[2, 1] * Jl[4, c] + A[2, 2] * Jl[5, c]
            for a in range(3):
                lin = A[a, 0] * Jl[0, c] + A[a, 1] * Jl[1, c] + A[a, 2] * Jl[2, c]
                lin += C[a, 0] * g0 + C[a, 1] * g1 + C[a, 2] * g2
                J[row + a, c] = tw[k, a] * lin
            J[row + 3, c] = tw[k, 3] * g0
            J[row + 4, c] = tw[k, 4] * g1
            J[row + 5, c] = tw[k, 5] * g2
        row += 6
        return row, math.sqrt(p2), t
    t = log3(RM, w)
    jlog3(w, t, A)
    p2 = r2 = 0.0
    for a in range(6):
        wa = tw[k, a]
        if wa <= 0.0:
            continue
        if a < 3:
            e[row] = wa * pM[a]
            p2 += pM[a] * pM[a]
            for c in range(nv):
                J[row, c] = wa * (RM[a, 0] * Jl[0, c] + RM[a, 1] * Jl[1, c] + RM[a, 2] * Jl[2, c])
        else:
            b = a - 3
            e[row] = wa * w[b]
            r2 += w[b] * w[b]
            for c in range(nv):
                J[row, c] = wa * (A[b, 0] * Jl[3, c] + A[b, 1] * Jl[4, c] + A[b, 2] * Jl[5, c])
        row += 1
    return row, math.sqrt(p2), math.sqrt(r2)
