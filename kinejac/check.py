"""A user-callable finite-difference check of the Jacobian engine on any robot and frame."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pinocchio as pin

from . import kinematics as kin
from .errors import InvalidValueError
from .spatial import Reference

if TYPE_CHECKING:
    from .robot import Robot

__all__ = ["DerivativeReport", "check_derivatives", "finite_difference_jacobian"]


@dataclass(frozen=True)
class DerivativeReport:
    """Worst relative errors ``max|analytic - numeric| / max(1, max|numeric|)`` per quantity.

    ``errors`` maps e.g. ``"hessian[local]"`` to its error over all sampled configurations;
    ``ok`` is whether every error is below ``tol``.
    """

    robot: str
    frame: str
    samples: int
    eps: float
    tol: float
    errors: dict[str, float] = field(default_factory=dict)

    @property
    def worst(self) -> tuple[str, float]:
        """The quantity with the largest error, and that error."""
        name = max(self.errors, key=self.errors.__getitem__)
        return name, self.errors[name]

    @property
    def ok(self) -> bool:
        return all(e <= self.tol for e in self.errors.values())

    def __str__(self) -> str:
        lines = [
            f"derivative check of {self.robot!r} frame {self.frame!r} ({self.samples} configurations, eps={self.eps:g})"
        ]
        for name, err in sorted(self.errors.items()):
            lines.append(f"  {name:32s} {err:9.2e}  {'ok' if err <= self.tol else 'FAIL'}")
        return "\n".join(lines)


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max(initial=0.0) / max(1.0, np.abs(b).max(initial=0.0)))


def finite_difference_jacobian(
    robot: Robot, q: np.ndarray, frame: str, reference: Reference | str, eps: float = 1e-6
) -> np.ndarray:
    """Central finite differences of the frame pose on the manifold, ``(6, nv)``.

    Column k differentiates ``T(q ⊕ t e_k)`` at ``t = 0`` through the SE(3)/SO(3) log map, so
    it is an independent check of :func:`kinejac.jacobian`.
    """
    reference = Reference(reference)
    T0 = pin.SE3(kin.pose(robot, q, frame))
    J = np.empty((6, robot.nv))
    for k in range(robot.nv):
        e = np.zeros(robot.nv)
        e[k] = eps
        Tp = pin.SE3(kin.pose(robot, robot.integrate(q, e), frame))
        Tm = pin.SE3(kin.pose(robot, robot.integrate(q, -e), frame))
        if reference is Reference.LOCAL_WORLD_ALIGNED:
            J[:3, k] = (Tp.translation - Tm.translation) / (2 * eps)
            J[3:, k] = (pin.log3(Tp.rotation @ T0.rotation.T) - pin.log3(Tm.rotation @ T0.rotation.T)) / (2 * eps)
        else:
            J[:, k] = (pin.log6(T0.actInv(Tp)).vector - pin.log6(T0.actInv(Tm)).vector) / (2 * eps)
    if reference is Reference.WORLD:
        J = T0.action @ J
    return J


def check_derivatives(
    robot: Robot,
    frame: str,
    q=None,
    *,
    samples: int = 3,
    rng: np.random.Generator | int | None = 0,
    eps: float = 1e-6,
    tol: float = 1e-6,
) -> DerivativeReport:
    """Check every quantity of the Jacobian engine against central finite differences.

    For each reference frame: ``jacobian`` against differences of ``pose`` (log map),
    ``twist`` against ``jacobian @ v``, ``vjp`` by the adjoint identity ⟨J v, w⟩ = ⟨v, Jᵀw⟩,
    ``jacobian_dot`` against differences of ``jacobian`` along ``v`` and ``hessian`` against
    differences of ``jacobian`` along each tangent direction. ``q``: one ``(nq,)`` or several
    ``(B, nq)`` configurations; by default ``samples`` random ones (seeded by ``rng``).
    """
    robot.frame_id(frame)
    rng = np.random.default_rng(rng)
    Q = robot.random_configuration(rng, size=samples) if q is None else np.atleast_2d(robot.check_q(q))
    if len(Q) == 0:
        raise InvalidValueError("check_derivatives needs at least one configuration (samples >= 1)")
    errors: dict[str, float] = {}

    def record(name: str, err: float) -> None:
        errors[name] = max(errors.get(name, 0.0), err)

    for qi in Q:
        v = rng.standard_normal(robot.nv)
        w = rng.standard_normal(6)
        for ref in Reference:
            tag = f"[{ref.value}]"
            J = kin.jacobian(robot, qi, frame, ref)
            record("jacobian" + tag, _rel(J, finite_difference_jacobian(robot, qi, frame, ref, eps)))
            record("twist" + tag, _rel(kin.twist(robot, qi, v, frame, ref), J @ v))
            lhs, rhs = (J @ v) @ w, v @ kin.vjp(robot, qi, w, frame, ref)
            record("vjp" + tag, abs(lhs - rhs) / max(1.0, abs(lhs)))
            Jp = kin.jacobian(robot, robot.integrate(qi, eps * v), frame, ref)
            Jm = kin.jacobian(robot, robot.integrate(qi, -eps * v), frame, ref)
            record("jacobian_dot" + tag, _rel(kin.jacobian_dot(robot, qi, v, frame, ref), (Jp - Jm) / (2 * eps)))
            H = kin.hessian(robot, qi, frame, ref)
            Hfd = np.empty_like(H)
            for k in range(robot.nv):
                e = np.zeros(robot.nv)
                e[k] = eps
                Hfd[:, :, k] = (
                    kin.jacobian(robot, robot.integrate(qi, e), frame, ref)
                    - kin.jacobian(robot, robot.integrate(qi, -e), frame, ref)
                ) / (2 * eps)
            record("hessian" + tag, _rel(H, Hfd))
    return DerivativeReport(robot.name, frame, len(Q), eps, tol, errors)
