"""The joint-space inertia ``M(q)`` and its derivative, for the dynamic manipulability.

Both come from pinocchio: ``M`` from the CRBA, and the products ``∂(M(q) x)/∂q`` from the RNEA
derivatives at zero velocity and zero gravity (where ``τ = M(q) a``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pinocchio as pin

from ..errors import KinejacError

if TYPE_CHECKING:
    from ..robot import Robot

__all__ = ["mass_derivative_products", "mass_matrix"]

_CACHE_KEY = "analysis.zero_gravity"  # robot.cache[_CACHE_KEY]: (model, data, A, b, G)


def mass_matrix(robot: Robot, Q: np.ndarray) -> np.ndarray:
    """Joint-space inertia ``M(q)`` of each row of ``Q (B, nq)``: ``(B, nv, nv)`` [kg, kg·m, kg·m²].

    Raises :class:`~kinejac.errors.KinejacError` when ``M`` is not positive definite (a joint
    that moves no mass: the robot lacks inertial data).
    """
    model, data = robot.model, robot.data
    M = np.empty((Q.shape[0], robot.nv, robot.nv))
    for i, qi in enumerate(Q):
        Mi = pin.crba(model, data, qi)
        M[i] = np.triu(Mi) + np.triu(Mi, 1).T
    if not np.isfinite(M).all() or (np.linalg.eigvalsh(M)[:, 0] <= 0).any():
        raise KinejacError(
            f"the joint-space inertia of robot {robot.name!r} is not positive definite (a joint "
            "moves no mass?); the dynamic manipulability needs inertial data for every moving link"
        )
    return M


def mass_derivative_products(robot: Robot, q: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``D[i] = ∂(M(q) x_i)/∂q`` for the columns ``x_i`` of ``X (nv, r)`` at ``q (nq,)``: ``(r, nv, nv)``.

    Uses pinocchio's RNEA derivatives at zero velocity and gravity (``τ = M(q) a``), on the model
    without mimic joints (which pinocchio's RNEA derivatives lack) through the chain rule.
    """
    model, data, A, b, G = _zero_gravity(robot)
    zero = np.zeros(model.nv)
    q_full = q if A is None else A @ q + b
    out = np.empty((X.shape[1], robot.nv, robot.nv))
    for i in range(X.shape[1]):
        a = X[:, i] if G is None else G @ X[:, i]
        pin.computeRNEADerivatives(model, data, q_full, zero, a)
        D = np.array(data.dtau_dq)
        out[i] = D if G is None else G.T @ D @ G
    return out


def _zero_gravity(robot: Robot) -> tuple:
    """A model without gravity (and without mimic joints), its data and the maps ``q_full = A q + b``,
    ``v_full = G v`` (``None`` when there is no mimic), made once per robot."""
    cached = robot.cache.get(_CACHE_KEY)
    if cached is None:
        if robot.unmimicked is None:
            model, A, b, G = robot.model.copy(), None, None, None
        else:
            base, A, b, G = robot.unmimicked
            model = base.copy()
        model.gravity = pin.Motion.Zero()
        cached = robot.cache[_CACHE_KEY] = (model, model.createData(), A, b, G)
    return cached
