"""Manipulability measures, their gradients, velocity/force ellipsoids and singularity analysis.

Everything here works on the geometric Jacobian in ``local_world_aligned`` axes (linear velocity
of the frame origin and angular velocity, both in world axes), restricted to a *part* of its rows:

- ``"translation"``: rows ``vx, vy, vz`` [m/s per rad/s or m/s of joint speed];
- ``"rotation"``: rows ``wx, wy, wz`` [rad/s per unit joint speed];
- ``"full"``: all six rows. Linear and angular rows have different units, so a measure of the full
  Jacobian depends on the choice of length unit: kinejac divides the linear rows by
  ``length_scale`` [m] (default 1 m, i.e. metres and radians weighed alike) whenever linear and
  angular rows are mixed. Pick a characteristic length of your task, or use one part at a time.
- a sequence of row indices (0-5) or names (``"vx" ... "wz"``), e.g. ``("vx", "vy")`` for the
  position of a planar arm.

**Rank.** The measures use the ``r`` largest singular values, where ``r`` is the *generic rank* of
the selected rows: how many independent directions the frame can move in at a generic
configuration (estimated once per robot, frame and part from a few seeded random configurations).
For a 6-DOF arm ``r = 6``; for a redundant arm ``r = 6 < nv``; for a planar 2R arm ``part="full"``
has ``r = 2`` (the arm never moves along z or about x/y, which is structure, not a singularity),
and for joints that do not move the frame (another branch) the extra columns do not count.
With ``r = m <= nv`` Yoshikawa's measure is the classical ``√det(J Jᵀ)``; in general it is
``σ_1 ⋯ σ_r``, the r-dimensional volume of the image of the unit joint-velocity ball.

Every function takes ``q`` of shape ``(nq,)`` or a batch ``(B, nq)`` and returns results with a
leading ``B`` axis for a batch.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import pinocchio as pin

from ._checks import positive
from .errors import InvalidChoiceError, InvalidValueError, KinejacError
from .kinematics import hessian, jacobian, pose
from .robot import Robot

__all__ = [
    "MEASURES",
    "PARTS",
    "Ellipsoid",
    "SingularityReport",
    "force_ellipsoid",
    "generic_rank",
    "manipulability",
    "manipulability_gradient",
    "singularity",
    "velocity_ellipsoid",
]

Measure = Literal["yoshikawa", "condition", "min_singular", "dynamic"]
MEASURES: tuple[str, ...] = ("yoshikawa", "condition", "min_singular", "dynamic")
PARTS: tuple[str, ...] = ("full", "translation", "rotation")
_AXES = ("vx", "vy", "vz", "wx", "wy", "wz")
_RANK_SAMPLES = 8
_RANK_TOL = 1e-8
_LOST_DIRECTION = 1e-12  # relative: singular values below this are directions the arm cannot move in
_GRADIENT_CHUNK = 4096

# per-robot caches (dropped with the robot): generic ranks, zero-gravity models for dM/dq
_ranks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_dynamics: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


# -- argument handling ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Task:
    rows: tuple[int, ...]
    scale: np.ndarray | None  # per selected row, or None for no scaling
    label: str


def _task(part, length_scale: float = 1.0) -> _Task:
    """The selected Jacobian rows and their scaling for a ``part`` argument (cached when hashable)."""
    try:
        return _task_cached(part, length_scale)
    except TypeError:  # an unhashable sequence of rows, e.g. a list
        return _make_task(part, length_scale)


def _make_task(part, length_scale: float) -> _Task:
    if isinstance(part, str):
        if part == "full":
            rows = tuple(range(6))
        elif part == "translation":
            rows = (0, 1, 2)
        elif part == "rotation":
            rows = (3, 4, 5)
        else:
            raise InvalidChoiceError("part", part, [*PARTS, "or a sequence of rows among " + "/".join(_AXES)])
        label = part
    else:
        try:
            items = list(part)
        except TypeError:
            raise InvalidChoiceError("part", part, [*PARTS, "or a sequence of rows among " + "/".join(_AXES)]) from None
        rows_list = []
        for item in items:
            if isinstance(item, str):
                if item not in _AXES:
                    raise InvalidChoiceError("Jacobian row", item, _AXES)
                rows_list.append(_AXES.index(item))
            elif isinstance(item, (int, np.integer)) and 0 <= int(item) < 6:
                rows_list.append(int(item))
            else:
                raise InvalidValueError(f"Jacobian rows are indices 0-5 or names {'/'.join(_AXES)}, got {item!r}")
        if not rows_list or len(set(rows_list)) != len(rows_list):
            raise InvalidValueError(f"part must select distinct Jacobian rows, at least one, got {part!r}")
        rows = tuple(rows_list)
        label = ",".join(_AXES[i] for i in rows)
    length_scale = positive("length_scale [m]", length_scale)
    mixed = any(i < 3 for i in rows) and any(i >= 3 for i in rows)
    scale = None
    if mixed and length_scale != 1.0:
        scale = np.array([1.0 / length_scale if i < 3 else 1.0 for i in rows])
    return _Task(rows, scale, label)


_task_cached = lru_cache(maxsize=64)(_make_task)


def _check_measure(measure: str) -> str:
    if measure not in MEASURES:
        raise InvalidChoiceError("manipulability measure", measure, MEASURES)
    return measure


def _select(J: np.ndarray, task: _Task) -> np.ndarray:
    """The task rows of a Jacobian stack ``(B, 6, ...)``, scaled: ``(B, m, ...)``."""
    rows = task.rows
    if rows == tuple(range(rows[0], rows[-1] + 1)):
        A = J[:, rows[0] : rows[-1] + 1]  # a view: no copy of (B, 6, nv, nv) Hessian stacks
    else:
        A = J[:, list(rows)]
    if task.scale is not None:
        A = A * task.scale.reshape((1, -1) + (1,) * (A.ndim - 2))
    return A


def generic_rank(robot: Robot, frame: str, part="full") -> int:
    """How many independent directions of ``part`` the frame can move in at a generic configuration.

    Estimated once per robot, frame and part (then cached) as the largest numerical rank of the
    selected Jacobian rows over a few seeded random configurations.
    """
    return _generic_rank(robot, frame, _task(part).rows)


def _rank(robot: Robot, frame: str, rows: tuple[int, ...]) -> int:
    """The generic rank of the selected rows; raises when it is 0 (nothing can be measured)."""
    r = _generic_rank(robot, frame, rows)
    if r == 0:
        names = ", ".join(_AXES[i] for i in rows)
        raise InvalidValueError(
            f"frame {frame!r} of robot {robot.name!r} can never move along the selected rows ({names}): "
            "their generic rank is 0, so there is nothing to measure; select other rows with part="
        )
    return r


def _generic_rank(robot: Robot, frame: str, rows: tuple[int, ...]) -> int:
    cache = _ranks.get(robot)
    if cache is not None:
        r = cache.get((frame, rows))
        if r is not None:
            return r
    task = _task(rows)
    cache = _ranks.setdefault(robot, {})
    key = (frame, rows)
    if key not in cache:
        Q = robot.random_configuration(np.random.default_rng(20240611), size=_RANK_SAMPLES)
        s = np.linalg.svd(_select(jacobian(robot, Q, frame), task), compute_uv=False)
        cache[key] = int((s > _RANK_TOL * np.maximum(s[:, :1], 1.0)).sum(axis=1).max())
    return cache[key]


def _mass_matrix(robot: Robot, Q: np.ndarray) -> np.ndarray:
    """Joint-space inertia ``M(q)`` from pinocchio's CRBA, ``(B, nv, nv)`` [kg, kg·m, kg·m²]."""
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


def _stack(
    robot: Robot, q, frame: str, task: _Task, measure: str
) -> tuple[np.ndarray, np.ndarray, bool, np.ndarray | None]:
    """``(Q (B, nq), A (B, m, nv), batched, M or None)``: the matrix whose singular values are measured.

    ``A = S J`` for the kinematic measures, ``A = S J M⁻¹`` for the dynamic one.
    """
    q = robot.check_q(q)
    batched = q.ndim == 2
    Q = q if batched else q[None]
    A = _select(jacobian(robot, Q, frame), task)
    M = None
    if measure == "dynamic":
        M = _mass_matrix(robot, Q)
        A = np.linalg.solve(M, A.transpose(0, 2, 1)).transpose(0, 2, 1)  # (M⁻¹ Aᵀ)ᵀ = A M⁻¹, M symmetric
    return Q, A, batched, M


def _measure_from_singular(s: np.ndarray, r: int, measure: str) -> np.ndarray:
    s = s[:, :r]
    if measure in ("yoshikawa", "dynamic"):
        return np.prod(s, axis=1)
    if measure == "min_singular":
        return s[:, -1].copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(s[:, 0] > 0, s[:, -1] / np.where(s[:, 0] > 0, s[:, 0], 1.0), 0.0)


def _volume(A: np.ndarray, r: int) -> np.ndarray:
    """``σ_1 ⋯ σ_r`` of a stack ``(B, m, n)``; |det| or a QR when ``r`` is the full size (fast, exact at 0)."""
    m, n = A.shape[1:]
    if r == m == n:
        return np.abs(np.linalg.det(A))
    if r == min(m, n):
        R = np.linalg.qr(A if m > n else A.transpose(0, 2, 1), mode="r")
        return np.abs(np.prod(np.diagonal(R, axis1=1, axis2=2), axis=1))
    return np.prod(np.linalg.svd(A, compute_uv=False)[:, :r], axis=1)


# -- measures ------------------------------------------------------------------------------------
def manipulability(
    robot: Robot,
    q,
    frame: str,
    *,
    measure: Measure = "yoshikawa",
    part="full",
    length_scale: float = 1.0,
) -> float | np.ndarray:
    """How well the frame can move at ``q``: a float, or ``(B,)`` for a batch.

    Measures, on the selected rows ``A`` of the Jacobian and its ``r`` largest singular values:

    - ``"yoshikawa"``: ``σ_1 ⋯ σ_r`` (``√det(A Aᵀ)`` when ``r = m <= nv``), the volume of the
      velocity ellipsoid up to a constant. Units: [m]^r for translation, dimensionless for rotation.
    - ``"condition"``: ``σ_r / σ_1``, the inverse condition number, in [0, 1] (1 = isotropic).
    - ``"min_singular"``: ``σ_r``, the speed in the worst direction per unit joint speed.
    - ``"dynamic"``: Yoshikawa's dynamic manipulability, ``σ_1 ⋯ σ_r`` of ``A M(q)⁻¹`` with the
      joint-space inertia ``M`` from pinocchio's CRBA: task acceleration per unit joint torque.

    ``part``: ``"full"``, ``"translation"``, ``"rotation"`` or explicit rows (see the module
    docstring); ``length_scale`` [m] divides the linear rows when linear and angular rows are mixed.
    Pick the part of the task: ``"full"`` can hide a positional singularity (a stretched planar 2R
    arm keeps rank 2 through its rotation row; ``part="translation"`` gives ``l1·l2·|sin q2| = 0``).
    """
    _check_measure(measure)
    task = _task(part, length_scale)
    r = _rank(robot, frame, task.rows)
    _, A, batched, _ = _stack(robot, q, frame, task, measure)
    w = _measure_of(A, r, measure)
    return w if batched else float(w[0])


def _measure_of(A: np.ndarray, r: int, measure: str) -> np.ndarray:
    """The measure of a stack of (selected, possibly ``M⁻¹``-weighted) Jacobians ``(B, m, nv)``: ``(B,)``."""
    if measure in ("yoshikawa", "dynamic"):
        return _volume(A, r)
    return _measure_from_singular(np.linalg.svd(A, compute_uv=False), r, measure)


# -- gradient ------------------------------------------------------------------------------------
def _zero_gravity(robot: Robot):
    """A model without gravity (and without mimic joints, which pinocchio's RNEA derivatives lack),
    its data and the maps ``q_full = A q + b``, ``v_full = G v`` (``None`` when there is no mimic)."""
    if robot not in _dynamics:
        if robot.unmimicked is None:
            model, A, b, G = robot.model.copy(), None, None, None
        else:
            base, A, b, G = robot.unmimicked
            model = base.copy()
        model.gravity = pin.Motion.Zero()
        _dynamics[robot] = (model, model.createData(), A, b, G)
    return _dynamics[robot]


def _mass_derivative_products(robot: Robot, qi: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``D[i] = ∂(M(q) x_i)/∂q`` for the columns ``x_i`` of ``X (nv, r)``: ``(r, nv, nv)``.

    Uses pinocchio's RNEA derivatives at zero velocity and gravity (``τ = M(q) a``).
    """
    model, data, A, b, G = _zero_gravity(robot)
    zero = np.zeros(model.nv)
    q_full = qi if A is None else A @ qi + b
    out = np.empty((X.shape[1], robot.nv, robot.nv))
    for i in range(X.shape[1]):
        a = X[:, i] if G is None else G @ X[:, i]
        pin.computeRNEADerivatives(model, data, q_full, zero, a)
        D = np.array(data.dtau_dq)
        out[i] = D if G is None else G.T @ D @ G
    return out


def manipulability_gradient(
    robot: Robot,
    q,
    frame: str,
    measure: Measure = "yoshikawa",
    part="full",
    *,
    length_scale: float = 1.0,
    with_value: bool = False,
) -> np.ndarray | tuple:
    """``∂w/∂q`` of :func:`manipulability`: ``(nv,)`` or ``(B, nv)``, in [unit of w / rad or m].

    A tangent-space gradient: ``w(q ⊕ ε e_k) ≈ w(q) + ε g_k``, so it can be used as a
    null-space objective in IK (``q̇ = J⁺ ẋ + (I - J⁺J) α g``). Analytic: with ``A = U Σ Vᵀ`` and
    the kinematic Hessian ``∂A/∂q_k`` (:func:`kinejac.hessian`), ``∂σ_i/∂q_k = u_iᵀ (∂A/∂q_k) v_i``
    (for the dynamic measure ``∂(J M⁻¹) = ∂J M⁻¹ - J M⁻¹ ∂M M⁻¹`` with ``∂M`` from pinocchio's RNEA
    derivatives). Yoshikawa's measure at full rank takes the cheaper ``w · tr(A⁺ ∂A/∂q_k)`` (one
    small solve, no SVD) and falls back to the SVD form near singularities. Where singular values
    coincide (``condition``, ``min_singular``) or vanish (any measure at a singularity) the measure
    is not differentiable and the value returned is one of its one-sided derivatives.
    With ``with_value=True`` returns ``(w, gradient)``.
    """
    _check_measure(measure)
    task = _task(part, length_scale)
    r = _rank(robot, frame, task.rows)
    q = robot.check_q(q)
    if q.ndim == 1:
        w, g = _gradient_stack(robot, q[None], frame, task, measure, r)
        return (float(w[0]), g[0]) if with_value else g[0]
    # bounded memory for large batches: the Hessian stack is (chunk, m, nv, nv)
    w, g = np.empty(q.shape[0]), np.empty((q.shape[0], robot.nv))
    for start in range(0, q.shape[0], _GRADIENT_CHUNK):
        sl = slice(start, start + _GRADIENT_CHUNK)
        w[sl], g[sl] = _gradient_stack(robot, q[sl], frame, task, measure, r)
    return (w, g) if with_value else g


def _gradient_stack(robot: Robot, Q: np.ndarray, frame: str, task: _Task, measure: str, r: int):
    """``(w (B,), ∂w/∂q (B, nv))`` for a batch of validated configurations."""
    Q, A, _, M = _stack(robot, Q, frame, task, measure)
    dA = _select(hessian(robot, Q, frame), task)  # (B, m, nv, nv): dA[:, :, j, k] = ∂A[:, j]/∂q_k
    B, m, n = A.shape
    if measure == "yoshikawa" and r == min(m, n):
        # fast path, full rank: ∂w/∂q_k = w tr(A⁺ ∂A/∂q_k), with A⁺ from one small solve instead of an SVD
        w = _volume(A, r)
        good = _well_conditioned(A, w)
        w_out, g_out = np.empty(B), np.empty((B, robot.nv))
        if good.any():
            Ag = A[good]
            if m == n:
                X = np.linalg.inv(Ag).transpose(0, 2, 1)
            elif m < n:
                X = np.linalg.solve(Ag @ Ag.transpose(0, 2, 1), Ag)
            else:
                X = np.linalg.solve(Ag.transpose(0, 2, 1) @ Ag, Ag.transpose(0, 2, 1)).transpose(0, 2, 1)
            # tr(A⁺ dA_k) = Σ_mj X[m, j] dA[m, j, k]
            t = (X.reshape(X.shape[0], 1, m * n) @ dA[good].reshape(X.shape[0], m * n, robot.nv))[:, 0]
            w_out[good], g_out[good] = w[good], w[good, None] * t
        if not good.all():
            bad = ~good
            w_out[bad], g_out[bad] = _svd_gradient(robot, Q[bad], A[bad], dA[bad], None, measure, r)
        return w_out, g_out
    return _svd_gradient(robot, Q, A, dA, M, measure, r)


def _well_conditioned(A: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Where ``w`` is not tiny against Hadamard's bound (``w <= Π |rows|``): the normal equations are safe."""
    m, n = A.shape[1:]
    norms = np.linalg.norm(A, axis=2 if m <= n else 1)
    bound = np.prod(norms, axis=1)
    return w > 1e-4 * bound


def _svd_gradient(robot, Q, A, dA, M, measure: str, r: int):
    """``(w, ∂w/∂q)`` from ``∂σ_i/∂q_k = u_iᵀ (∂A/∂q_k) v_i`` (any measure, any rank)."""
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    U, s, V = U[:, :, :r], s[:, :r], Vt[:, :r].transpose(0, 2, 1)
    B, m, n = A.shape
    UdA = (U.transpose(0, 2, 1) @ dA.reshape(B, m, n * n)).reshape(B, r, n, n)  # Σ_m u_mi dA[m, j, k]
    if measure == "dynamic":
        X = np.linalg.solve(M, V)  # x_i = M⁻¹ v_i, (B, nv, r)
        P = np.einsum("bijk,bji->bik", UdA, X)
        for b in range(B):
            D = _mass_derivative_products(robot, Q[b], X[b])  # (r, nv, nv)
            P[b] -= s[b, :, None] * np.einsum("ji,ijk->ik", V[b], D)
    else:
        P = np.einsum("bijk,bji->bik", UdA, V)  # P[b, i, k] = ∂σ_i/∂q_k
    c = np.zeros_like(s)  # ∂w/∂σ_i
    if measure in ("yoshikawa", "dynamic"):
        for i in range(r):
            c[:, i] = np.prod(np.delete(s, i, axis=1), axis=1)
        w = np.prod(s, axis=1)
    elif measure == "min_singular":
        c[:, -1] = 1.0
        w = s[:, -1].copy()
    else:
        safe = np.where(s[:, 0] > 0, s[:, 0], 1.0)
        c[:, -1] += np.where(s[:, 0] > 0, 1.0 / safe, 0.0)
        c[:, 0] -= np.where(s[:, 0] > 0, s[:, -1] / safe**2, 0.0)
        w = np.where(s[:, 0] > 0, s[:, -1] / safe, 0.0)
    return w, np.einsum("bi,bik->bk", c, P)


# -- ellipsoids ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Ellipsoid:
    """A manipulability ellipsoid ``{center + axes @ diag(radii) @ u : |u| <= 1}`` in world axes.

    Attributes:
        center: ``(3,)`` [m], the frame origin in the world.
        axes: ``(3, 3)``, columns are the unit principal axes (a right-handed rotation matrix).
        radii: ``(3,)`` along those axes, in the order of ``axes``: for ``kind="velocity"`` the
            singular values (largest first) [m/s or rad/s per unit joint speed]; for
            ``kind="force"`` their reciprocals [N or N·m per unit joint torque] (``inf`` along a
            direction the arm cannot move in, where any force is balanced without joint torque).
        kind: ``"velocity"`` or ``"force"``; part: ``"translation"`` or ``"rotation"``; frame: name.

    For a batch every array has a leading ``B`` axis; ``ellipsoid[i]`` is the i-th ellipsoid.
    """

    center: np.ndarray
    axes: np.ndarray
    radii: np.ndarray
    kind: str
    part: str
    frame: str

    def __len__(self) -> int:
        if self.radii.ndim == 1:
            raise TypeError("a single Ellipsoid has no len(); only a batch has")
        return self.radii.shape[0]

    def __getitem__(self, i: int) -> Ellipsoid:
        if self.radii.ndim == 1:
            raise TypeError("a single Ellipsoid cannot be indexed; only a batch can")
        return Ellipsoid(self.center[i], self.axes[i], self.radii[i], self.kind, self.part, self.frame)

    @property
    def matrix(self) -> np.ndarray:
        """The shape matrix ``E = axes diag(radii²) axesᵀ``: points ``x`` with ``(x-c)ᵀ E⁻¹ (x-c) <= 1``."""
        return (self.axes * self.radii[..., None, :] ** 2) @ np.swapaxes(self.axes, -1, -2)


def _ellipsoid(robot: Robot, q, frame: str, part: str, kind: str) -> Ellipsoid:
    if part not in ("translation", "rotation"):
        raise InvalidChoiceError("ellipsoid part", part, ("translation", "rotation"))
    q = robot.check_q(q)
    batched = q.ndim == 2
    Q = q if batched else q[None]
    A = _select(jacobian(robot, Q, frame), _task(part))
    U, s, _ = np.linalg.svd(A, full_matrices=True)  # U (B, 3, 3), s (B, min(3, nv))
    sigma = np.zeros((Q.shape[0], 3))
    sigma[:, : s.shape[1]] = s
    flip = np.linalg.det(U) < 0
    U[flip, :, 2] *= -1.0
    if kind == "force":
        # a singular value at rounding level (e.g. 2e-16 at a stretched arm) is a lost direction too
        moving = sigma > _LOST_DIRECTION * np.maximum(sigma[:, :1], 1.0)
        radii = np.where(moving, 1.0 / np.where(moving, sigma, 1.0), np.inf)
    else:
        radii = sigma
    center = pose(robot, Q, frame)[:, :3, 3]
    if not batched:
        center, U, radii = center[0], U[0], radii[0]
    return Ellipsoid(center, U, radii, kind, part, frame)


def velocity_ellipsoid(robot: Robot, q, frame: str, part: str = "translation") -> Ellipsoid:
    """The velocity ellipsoid ``{J_part q̇ : |q̇| <= 1}`` of ``frame`` at ``q``, centred on the frame.

    Principal axes are the left singular vectors of the part's Jacobian, radii its singular
    values [m/s for translation, rad/s for rotation, per unit joint speed]. ``part`` is
    ``"translation"`` or ``"rotation"``, never a mix of units.
    """
    return _ellipsoid(robot, q, frame, part, "velocity")


def force_ellipsoid(robot: Robot, q, frame: str, part: str = "translation") -> Ellipsoid:
    """The force ellipsoid ``{f : |J_partᵀ f| <= 1}``, dual of :func:`velocity_ellipsoid`.

    Same principal axes, reciprocal radii [N for translation, N·m for rotation, per unit joint
    torque]: the arm is strong where it is slow. ``inf`` radii along directions it cannot move in.
    """
    return _ellipsoid(robot, q, frame, part, "force")


# -- singularities -------------------------------------------------------------------------------
@dataclass(frozen=True)
class SingularityReport:
    """The singularity analysis of one configuration.

    Attributes:
        singular_values: ``(r,)`` the ``r`` (generic rank) largest singular values of the selected
            Jacobian rows, largest first, in the units of the part.
        singular: whether the smallest of them is ``<= tol``.
        rank: how many of them are above ``tol``; generic_rank: ``r``.
        lost_directions: ``(m, k)`` unit columns in task space (the selected rows, e.g.
            ``[vx, vy, vz, wx, wy, wz]`` for ``"full"``) the frame can no longer move along;
            directions it can never move in (z of a planar arm) are structural and not listed.
        null_motions: ``(nv, d)`` orthonormal joint velocities that do not move the frame (to
            ``tol``): those gained at the singularity, plus redundancy and joints that do not move
            the frame at all.
        tol: threshold used; part: the part's name.
    """

    singular_values: np.ndarray
    singular: bool
    rank: int
    generic_rank: int
    lost_directions: np.ndarray
    null_motions: np.ndarray
    tol: float
    part: str

    @property
    def min_singular(self) -> float:
        """``σ_r``: the distance to the nearest singularity in singular-value terms."""
        return float(self.singular_values[-1]) if self.singular_values.size else 0.0


def singularity(
    robot: Robot,
    q,
    frame: str,
    tol: float = 1e-6,
    *,
    part="full",
    length_scale: float = 1.0,
) -> SingularityReport | tuple[SingularityReport, ...]:
    """Is ``q`` singular for ``frame``, and how: a :class:`SingularityReport`, or a tuple of them
    for a batch (computed in one vectorised SVD).

    ``tol`` is an absolute threshold on the singular values, in the part's units (m/s or rad/s per
    unit joint speed; linear rows divided by ``length_scale`` [m] when mixed with angular ones).
    """
    tol = positive("tol", tol, zero=True)
    task = _task(part, length_scale)
    r = _rank(robot, frame, task.rows)
    _, A, batched, _ = _stack(robot, q, frame, task, "yoshikawa")
    U, s, Vt = np.linalg.svd(A, full_matrices=True)
    reports = []
    for b in range(A.shape[0]):
        sb = s[b, :r].copy()
        low = sb <= tol
        lost = U[b][:, :r][:, low].copy()
        null = np.concatenate([Vt[b][:r][low], Vt[b][r:]], axis=0).T.copy()
        reports.append(SingularityReport(sb, bool(low.any()), int((~low).sum()), r, lost, null, tol, task.label))
    return tuple(reports) if batched else reports[0]
