"""Analytic gradients ``∂w/∂q`` of the manipulability measures.

By the chain rule through the singular values: ``∂w/∂q_k = Σ_i ∂w/∂σ_i · ∂σ_i/∂q_k``, with
``∂w/∂σ_i`` from the measure's entry in :data:`~kinejac.analysis.measures.MEASURE_TABLE` and, for
``A = U Σ Vᵀ``, ``∂σ_i/∂q_k = u_iᵀ (∂A/∂q_k) v_i`` where ``∂A/∂q_k`` comes from the kinematic Hessian
(:func:`kinejac.hessian`). For the dynamic measure ``∂(J M⁻¹) = ∂J M⁻¹ - J M⁻¹ ∂M M⁻¹``, with
``∂M`` from pinocchio's RNEA derivatives (:mod:`kinejac.analysis.dynamics`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..kinematics import hessian
from .dynamics import mass_derivative_products
from .measures import Measure, MeasureDefinition, check_measure, volume
from .rows import Part, PartRows, check_part, measurable_rank, selected_jacobian

if TYPE_CHECKING:
    from ..robot import Robot

__all__ = ["manipulability_gradient"]

_CHUNK = 4096  # configurations per Hessian stack (chunk, m, nv, nv): bounds the memory of a large batch
_WELL_CONDITIONED = 1e-4  # of Hadamard's bound: above it the normal equations of the fast path are safe


def manipulability_gradient(
    robot: Robot,
    q,
    frame: str,
    measure: Measure = "yoshikawa",
    part: Part = "full",
    *,
    length_scale: float = 1.0,
    with_value: bool = False,
) -> np.ndarray | tuple:
    """``∂w/∂q`` of :func:`~kinejac.analysis.measures.manipulability`: ``(nv,)`` or ``(B, nv)`` for
    ``q (nq,)`` or ``(B, nq)``, in [unit of w / rad or m].

    A tangent-space gradient: ``w(q ⊕ ε e_k) ≈ w(q) + ε g_k``, so it can be used as a
    null-space objective in IK (``q̇ = J⁺ ẋ + (I - J⁺J) α g``). Analytic, by the chain rule through
    the singular values (see the module docstring). Yoshikawa's measure at full rank takes the
    cheaper ``w · tr(A⁺ ∂A/∂q_k)`` (one small solve, no SVD) and falls back to the SVD form near
    singularities. Where singular values coincide (``condition``, ``min_singular``) or vanish (any
    measure at a singularity) the measure is not differentiable and the value returned is one of
    its one-sided derivatives. With ``with_value=True`` returns ``(w, gradient)``.
    """
    definition = check_measure(measure)
    rows = check_part(part, length_scale)
    r = measurable_rank(robot, frame, rows.rows)
    q = robot.check_q(q)
    if q.ndim == 1:
        w, g = _gradient_stack(robot, q[None], frame, rows, definition, r)
        return (float(w[0]), g[0]) if with_value else g[0]
    w, g = np.empty(q.shape[0]), np.empty((q.shape[0], robot.nv))
    for start in range(0, q.shape[0], _CHUNK):
        sl = slice(start, start + _CHUNK)
        w[sl], g[sl] = _gradient_stack(robot, q[sl], frame, rows, definition, r)
    return (w, g) if with_value else g


def _gradient_stack(
    robot: Robot, Q: np.ndarray, frame: str, rows: PartRows, definition: MeasureDefinition, r: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(w (B,), ∂w/∂q (B, nv))`` for a batch of checked configurations ``Q (B, nq)``."""
    Q, A, _, M = selected_jacobian(robot, Q, frame, rows, definition.inertia_weighted)
    dA = rows.select(hessian(robot, Q, frame))  # (B, m, nv, nv): dA[:, :, j, k] = ∂A[:, j]/∂q_k
    if not (definition.volume and M is None and r == min(A.shape[1:])):
        return _svd_gradient(robot, Q, A, dA, M, definition, r)
    # a volume at full rank: ∂w/∂q_k = w tr(A⁺ ∂A/∂q_k), with A⁺ from one small solve instead of an SVD
    w = volume(A, r)
    good = _well_conditioned(A, w)
    w_out, g_out = np.empty(A.shape[0]), np.empty((A.shape[0], robot.nv))
    if good.any():
        w_out[good], g_out[good] = w[good], w[good, None] * _trace_pinv_products(A[good], dA[good])
    if not good.all():
        bad = ~good
        w_out[bad], g_out[bad] = _svd_gradient(robot, Q[bad], A[bad], dA[bad], None, definition, r)
    return w_out, g_out


def _trace_pinv_products(A: np.ndarray, dA: np.ndarray) -> np.ndarray:
    """``tr(A⁺ ∂A/∂q_k)`` for a full-rank stack ``A (B, m, n)`` and ``dA (B, m, n, nv)``: ``(B, nv)``."""
    B, m, n = A.shape
    if m == n:
        X = np.linalg.inv(A).transpose(0, 2, 1)
    elif m < n:
        X = np.linalg.solve(A @ A.transpose(0, 2, 1), A)
    else:
        X = np.linalg.solve(A.transpose(0, 2, 1) @ A, A.transpose(0, 2, 1)).transpose(0, 2, 1)
    # X = (A⁺)ᵀ, so tr(A⁺ dA_k) = Σ_mj X[m, j] dA[m, j, k]
    return (X.reshape(B, 1, m * n) @ dA.reshape(B, m * n, dA.shape[-1]))[:, 0]


def _well_conditioned(A: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Where ``w`` is not tiny against Hadamard's bound (``w <= Π |rows|``): the normal equations are safe."""
    m, n = A.shape[1:]
    norms = np.linalg.norm(A, axis=2 if m <= n else 1)
    bound = np.prod(norms, axis=1)
    return w > _WELL_CONDITIONED * bound


def _svd_gradient(
    robot: Robot,
    Q: np.ndarray,
    A: np.ndarray,
    dA: np.ndarray,
    M: np.ndarray | None,
    definition: MeasureDefinition,
    r: int,
) -> tuple[np.ndarray, np.ndarray]:
    """``(w, ∂w/∂q)`` from ``∂σ_i/∂q_k = u_iᵀ (∂A/∂q_k) v_i`` and the table's ``∂w/∂σ`` (any measure, any rank)."""
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    U, s, V = U[:, :, :r], s[:, :r], Vt[:, :r].transpose(0, 2, 1)
    B, m, n = A.shape
    UdA = (U.transpose(0, 2, 1) @ dA.reshape(B, m, n * n)).reshape(B, r, n, n)  # Σ_m u_mi dA[m, j, k]
    if M is None:
        P = np.einsum("bijk,bji->bik", UdA, V)  # P[b, i, k] = ∂σ_i/∂q_k
    else:  # A = S J M⁻¹: ∂σ_i/∂q_k = u_iᵀ ∂(SJ)/∂q_k x_i - σ_i v_iᵀ ∂(M x_i)/∂q_k with x_i = M⁻¹ v_i
        X = np.linalg.solve(M, V)  # (B, nv, r)
        P = np.einsum("bijk,bji->bik", UdA, X)
        for b in range(B):
            D = mass_derivative_products(robot, Q[b], X[b])  # (r, nv, nv)
            P[b] -= s[b, :, None] * np.einsum("ji,ijk->ik", V[b], D)
    return definition.value(s), np.einsum("bi,bik->bk", definition.derivative(s), P)
