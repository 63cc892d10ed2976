"""General linear constraints on the joint velocity: the hook for obstacle distances.

Joint limits are boxes (:mod:`kinejac.motion.limits`); anything else enters the velocity QP as
rows ``lower ≤ C v ≤ upper`` [units of ``C v``] through a :class:`LinearConstraint`. The intended
user is a minimum distance to obstacles: for a pair at distance ``d`` with unit normal ``n`` and
witness-point Jacobians ``J_a``, ``J_b``, the velocity damper ``-nᵀ(J_a - J_b) v ≤ ξ (d - d_s) /
(d_i - d_s)`` (Faverjon & Tournassoud 1987) keeps ``d ≥ d_s``. :class:`ObstacleDistance` is that
constraint for obstacles, on the spheres fitted to the robot's collision geometry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pinocchio as pin

from .. import core
from .._checks import positive
from ..errors import InvalidValueError

if TYPE_CHECKING:
    from ..robot import Robot

__all__ = ["LinearConstraint", "ObstacleDistance", "relax_to_limits"]


class LinearConstraint:
    """``lower ≤ C v ≤ upper`` with ``rows`` rows, evaluated every step.

    Subclasses set :attr:`rows` and implement :meth:`fill`. The QP calls ``fill`` after
    ``pinocchio.computeJointJacobians(robot.model, robot.data, q)``, so frame placements and
    Jacobians are read from ``robot.data`` without another kinematics pass. ``-inf``/``inf``
    bounds are allowed. Constraints that cannot be met together with the joint limits make the QP
    infeasible (:class:`~kinejac.motion.qp.InfeasibleError`), unless :attr:`relax_to_limits` is set:
    then a row whose lower bound the joint limits of this step cannot reach is lowered to 90 % of
    the most they allow (or, when they allow only a decrease, to 110 % of the least decrease), so
    the row asks for the most it can get; each such row is then feasible on its own.
    """

    rows: int = 0
    relax_to_limits: bool = False

    def bind(self, robot: Robot) -> None:
        """Resolve names against ``robot`` (called once when a solver is built)."""

    def fill(self, robot: Robot, q: np.ndarray, dt: float, C: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Write ``C`` ``(rows, nv)`` and the bounds ``(rows,)`` on ``C v`` at ``q`` for period ``dt`` [s]."""
        raise NotImplementedError(f"{type(self).__name__} must implement fill()")


def relax_to_limits(C: np.ndarray, lower: np.ndarray, lo: np.ndarray, hi: np.ndarray, dt: float) -> None:
    """Lower ``lower`` ``(rows,)`` [units of ``C v``] in place where the step's box ``lo ≤ v dt ≤ hi``
    ``(nv,)`` cannot reach it: to 90 % of the largest ``C v`` the box allows (110 % when that is
    negative), so each row on its own is feasible (see :attr:`LinearConstraint.relax_to_limits`)."""
    with np.errstate(invalid="ignore"):  # 0 * inf where a joint has no limit and no part in the row
        top = np.where(C > 0, C * hi, np.where(C < 0, C * lo, 0.0)).sum(axis=1) / dt
    cap = np.where(np.isfinite(top), top - 0.1 * np.abs(top), np.inf)
    np.minimum(lower, cap, out=lower)


class ObstacleDistance(LinearConstraint):
    """Keep the robot at least ``min_distance`` [m] from obstacles: a velocity damper on the spheres
    fitted to its collision geometry (:mod:`kinejac.collision.spheres`).

    Each step, the ``pairs`` closest sphere-obstacle pairs nearer than ``influence`` [m] get the row
    ``ḋ = nᵀ Jₚ v ≥ -gain · (d - min_distance) / (influence - min_distance)`` [m/s] (``n``: the unit
    normal of the signed distance ``d`` at the sphere centre, ``Jₚ``: the centre's linear Jacobian),
    so a pair may approach at most at that speed and stops at ``min_distance``; a pair already
    closer (inside the margin, or penetrating) is pushed back out, at that speed or, when the joint
    limits of the step do not allow it, at 90 % of the fastest they allow
    (:attr:`LinearConstraint.relax_to_limits`): the QP stays feasible unless several pairs push in
    directions the limits cannot serve together. The spheres cover the geometry, so the real
    distance is at least the spheres'. Other rows are inactive. Self-collision is not constrained.

    Args:
        obstacles: a scene (:mod:`kinejac.collision` obstacles, or a JSON file).
        min_distance: [m] ``d_s`` >= 0; influence: [m] ``d_i > d_s``; gain: [m/s] > 0, the speed
            at which a pair may approach at ``influence`` (and leaves at ``2 d_s - d_i``).
        pairs: how many of the closest pairs are constrained each step (the QP's rows; at most the
            number of sphere-obstacle pairs of the robot it is bound to).
    """

    relax_to_limits = True

    def __init__(self, obstacles, *, min_distance: float = 0.01, influence: float = 0.1, gain: float = 10.0,
                 pairs: int = 8) -> None:  # fmt: skip
        from ..collision.obstacles import as_scene

        self.obstacles = as_scene(obstacles)
        self.min_distance = positive("min_distance [m]", min_distance, zero=True)
        self.influence = positive("influence [m]", influence)
        if self.influence <= self.min_distance:
            raise InvalidValueError(
                f"influence ({self.influence} m) must be larger than min_distance ({self.min_distance} m)"
            )
        self.gain = positive("gain [m/s]", gain)
        self.pairs = positive("pairs", pairs, integer=True)
        self.rows = self.pairs
        self._sph: Any = None  # the sphere model's arrays, set by bind()

    def bind(self, robot: Robot) -> None:
        from ..collision.spheres import sphere_model

        m = sphere_model(robot, self.obstacles)
        self._sph = (
            m.sphere_joint,
            m.sphere_center,
            m.sphere_radius,
            m.self_pairs,
            m.obstacle_kind,
            m.obstacle_pose,
            m.obstacle_size,
            m.obstacle_pairs,
        )
        self._joints = np.unique(m.sphere_joint)
        self._model = core.model_of(robot, self._sph)
        n = len(m.obstacle_pairs)
        self.rows = min(self.pairs, n)  # more rows than pairs would stay empty
        self._C, self._d, self._N = np.empty((len(m.sphere_radius), 3)), np.empty(n), np.empty((n, 3))

    def distances(self, robot: Robot) -> np.ndarray:
        """Signed distances ``(Q,)`` [m] of the sphere-obstacle pairs at ``robot.data``'s placements."""
        sj, sc = self._sph[0], self._sph[1]
        data = robot.data
        for j in self._joints.tolist():
            M = data.oMi[j]
            rows = sj == j
            self._C[rows] = sc[rows] @ M.rotation.T + M.translation
        core.obstacle_distances(self._model, self._C, self._d, self._N)
        return self._d

    def fill(self, robot: Robot, q: np.ndarray, dt: float, C: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        C[:] = 0.0
        lower[:] = -np.inf
        upper[:] = np.inf
        if self._sph is None or not len(self._d):
            return
        d = self.distances(robot)
        k = min(self.rows, len(d))
        near = np.argpartition(d, k - 1)[:k] if k < len(d) else np.arange(len(d))
        near = near[d[near] < self.influence]
        model, data = robot.model, robot.data
        pairs, sj = self._sph[7], self._sph[0]
        for row, p in enumerate(near.tolist()):
            s = int(pairs[p, 0])
            j = int(sj[s])
            J = pin.getJointJacobian(model, data, j, pin.LOCAL_WORLD_ALIGNED).reshape(6, -1)
            r = self._C[s] - data.oMi[j].translation  # from the joint origin to the sphere centre
            n = self._N[p]
            # n · (J_lin - [r]× J_ang) = nᵀ J_lin + (r × n)ᵀ J_ang
            C[row] = n @ J[:3] + np.cross(r, n) @ J[3:]
            lower[row] = -self.gain * (d[p] - self.min_distance) / (self.influence - self.min_distance)
