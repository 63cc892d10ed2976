"""The geometric Jacobian engine: poses, Jacobians, twists, their adjoints and derivatives.

Every function takes the robot, a configuration ``q`` of shape ``(nq,)`` or a batch ``(B, nq)``
and a frame name, and returns arrays with a leading ``B`` axis for a batch. Twists and Jacobian
rows are ``[linear; angular]`` ([m/s; rad/s] per unit joint velocity); ``reference`` is a
:class:`~kinejac.spatial.Reference` (or its string) and defaults to ``local_world_aligned``.

Single configurations go through pinocchio. Batches of poses and Jacobians go through the compiled
core (:mod:`kinejac.core.frames`: the same numbers to 1e-12, a fraction of the time of a loop of
pinocchio calls); the other functions loop over pinocchio per sample.

Derivatives are taken on the configuration manifold: the k-th column of ``J`` is the twist of the
frame when ``q`` moves along tangent direction ``e_k`` (``q ⊕ t e_k``), so floating bases and
continuous joints need no special care.
"""

from __future__ import annotations

from functools import lru_cache
from math import isfinite as _isfinite
from operator import attrgetter
from typing import TYPE_CHECKING

import numpy as np
import pinocchio as pin

from . import core
from ._checks import as_real_array, broadcast_batch
from .errors import InvalidValueError, KinejacError, ShapeError
from .spatial import REFERENCE_TO_PINOCCHIO as _TO_PIN
from .spatial import Reference, as_reference

if TYPE_CHECKING:
    from .robot import Robot

__all__ = ["hessian", "jacobian", "jacobian_dot", "pose", "twist", "vjp"]

_LWA = pin.ReferenceFrame.LOCAL_WORLD_ALIGNED
_LOCAL = int(pin.ReferenceFrame.LOCAL)
_F64 = np.dtype(np.float64)
_DEFAULT = "local_world_aligned"  # a plain str: hashing an Enum member runs Python code
_computeFrameJacobian = pin.computeFrameJacobian
_forwardKinematics = pin.forwardKinematics
_updateFramePlacement = pin.updateFramePlacement
_getFrameVelocity = pin.getFrameVelocity
_dJ_pass, _getFrameJacobianTimeVariation = pin.computeJointJacobiansTimeVariation, pin.getFrameJacobianTimeVariation
_H_pass, _getFrameKinematicHessian = pin.computeJointKinematicHessians, pin.getFrameKinematicHessian
_VECTOR = attrgetter("vector")  # Motion -> (6,)
_PLACEMENT = object()  # the reference of a pose: none (``_per_sample`` reads the frame's SE3 placement)


def _point(point, name: str = "point") -> np.ndarray:
    p = as_real_array(point, name)
    if p.shape != (3,):
        raise ShapeError(f"expected {name} of shape (3,) [m] in frame coordinates, got {p.shape}")
    if not np.isfinite(p).all():
        raise InvalidValueError(f"{name} contains NaN or inf: {p.tolist()}")
    return p


def _per_sample(
    compute,
    read,
    shape: tuple[int, ...],
    robot: Robot,
    frame: str,
    reference,
    q: np.ndarray,
    v=None,
    *,
    array=None,
    full: bool = False,
) -> np.ndarray:
    """One sample's pinocchio calls, for a single ``q`` (and ``v``) or for each row of a batch, stacked
    to ``(B, *shape)``: the single/batch branch of every function here. A single ``q`` or ``v`` is
    repeated to the other's batch size (:func:`broadcast_batch`).

    Per sample, ``compute(model, data, q)`` (or ``compute(model, data, q, v)``) runs a kinematics pass
    and ``read(model, data, frame_id, ref)`` returns the result (for a pose, ``reference`` is
    ``_PLACEMENT`` and ``read(model, data, frame_id)`` an ``SE3``, whose ``homogeneous`` matrix is
    taken); without ``compute``, ``read(model, data, q, frame_id, ref)`` does both. ``array`` (an
    ``operator.attrgetter``) takes the array out of a pinocchio ``Motion``. A single result is
    returned as pinocchio makes it: a ``6 x 1`` Jacobian comes back as a ``(6,)`` vector (callers
    reshape). Looks ``frame`` and ``reference`` up (raises FrameNotFound / InvalidChoiceError);
    ``full`` runs on :attr:`Robot.unmimicked`'s model.

    The loops call pinocchio directly with a fixed arity, one loop per call pattern: a Python
    function per sample costs a batch 3-5 %, and ``*args``, closures or ``np.reshape`` cost the
    benchmarked single calls 5-50 % (``scripts/bench_jacobian.py``).
    """
    try:
        fid, ref = robot.frame_ids[frame], None if reference is _PLACEMENT else _TO_PIN[reference]
    except (KeyError, TypeError):
        fid, ref = robot.frame_id(frame), as_reference(reference)
    if full:
        model, data = robot.unmimicked[0], robot.unmimicked_data()  # type: ignore[index]
        fid = model.getFrameId(frame)
    else:
        model, data = robot.model, robot.data
    single = q.ndim == 1 and (v is None or v.ndim == 1)
    if compute is None:  # jacobian: one call
        if single:
            return read(model, data, q, fid, ref)
        rows = [read(model, data, qi, fid, ref) for qi in q]
    elif v is not None:  # twist, jacobian_dot
        if single:
            compute(model, data, q, v)
            out = read(model, data, fid, ref)
            return out if array is None else array(out)
        rows = []
        for qi, vi in zip(*broadcast_batch(q, v, "q", "v")):
            compute(model, data, qi, vi)
            rows.append(read(model, data, fid, ref))
    elif ref is None:  # pose
        if single:
            compute(model, data, q)
            return read(model, data, fid).homogeneous
        rows = []
        for qi in q:
            compute(model, data, qi)
            rows.append(read(model, data, fid).homogeneous)
    else:  # hessian
        if single:
            compute(model, data, q)
            return read(model, data, fid, ref)
        rows = []
        for qi in q:
            compute(model, data, qi)
            rows.append(read(model, data, fid, ref))
    return np.array(rows if array is None else list(map(array, rows))).reshape(len(rows), *shape)


def pose(robot: Robot, q, frame: str, *, point=None) -> np.ndarray:
    """``T_world_frame``: the frame's pose, ``(4, 4)`` or ``(B, 4, 4)`` [m].

    With ``point`` (``(3,)`` [m] in frame coordinates), the pose of a frame with the same
    orientation placed at that point.
    """
    q = robot.check_q(q)
    if q.ndim == 2:  # a batch: compiled
        offset = None if point is None else _point(point)
        return core.frames(robot, q, robot.frame_id(frame), offset, _LOCAL, jacobian=False)[0]
    T = _per_sample(_forwardKinematics, _updateFramePlacement, (4, 4), robot, frame, _PLACEMENT, q)
    if point is not None:  # T_world_frame @ T_frame_point
        T[..., :3, 3] += T[..., :3, :3] @ _point(point)
    return T


def jacobian(robot: Robot, q, frame: str, reference: Reference | str = _DEFAULT, *, point=None) -> np.ndarray:
    """The geometric Jacobian ``J(q)``: twist of ``frame`` = ``J @ v``; ``(6, nv)`` or ``(B, 6, nv)``.

    With ``point`` (``(3,)`` [m] in frame coordinates) the linear rows are those of that point,
    rigidly attached to the frame (``world`` Jacobians do not depend on the point).
    """
    if (
        point is None
        and type(q) is np.ndarray
        and q.shape == robot.plain_q_shape
        and robot.nv > 1  # pinocchio returns a 6x1 J as a (6,) vector
        and q.dtype is _F64
        and _isfinite(sum(q.tolist()))  # finite iff every entry is (or it overflowed: the slow path decides)
    ):
        # the hot path, whose overhead over the raw call is benchmarked: robot.check_q() and _ids() inlined
        try:
            return _computeFrameJacobian(robot.model, robot.data, q, robot.frame_ids[frame], _TO_PIN[reference])
        except (KeyError, TypeError):
            pass  # an unknown frame or reference: the checks below say which
    q = robot.check_q(q)
    if q.ndim == 2:  # a batch: compiled
        offset = None if point is None else _point(point)
        return core.frames(robot, q, robot.frame_id(frame), offset, int(as_reference(reference)), jacobian=True)[1]
    J = _per_sample(None, _computeFrameJacobian, (6, robot.nv), robot, frame, reference, q)
    J = J.reshape(*q.shape[:-1], 6, robot.nv)  # the binding hands a 6x1 matrix back as a (6,) vector
    ref = as_reference(reference)
    if point is not None and ref != pin.ReferenceFrame.WORLD:
        p = _point(point)
        if ref == _LWA:  # the offset in world axes: R_world_frame @ p, per sample
            r = pose(robot, q, frame)[..., :3, :3] @ p
        else:
            r = np.broadcast_to(p, (*J.shape[:-2], 3))
        # v_point = v + ω × r  =>  J_lin -= [r]x J_ang
        J[..., :3, :] += np.cross(J[..., 3:, :], r[..., :, None], axisa=-2, axisb=-2, axisc=-2)
    return J


def twist(robot: Robot, q, v, frame: str, reference: Reference | str = _DEFAULT) -> np.ndarray:
    """``J(q) @ v`` without forming ``J`` (forward mode: one kinematics pass): ``(6,)`` or ``(B, 6)``.

    ``v``: joint velocity ``(nv,)`` or ``(B, nv)``; returns ``[linear; angular]`` [m/s; rad/s].
    """
    if (
        type(q) is np.ndarray
        and q.shape == robot.plain_q_shape
        and q.dtype is _F64
        and type(v) is np.ndarray
        and v.shape == (robot.nv,)
        and v.dtype is _F64
        and _isfinite(sum(q.tolist()) + sum(v.tolist()))  # as in jacobian()
    ):
        # benchmarked like jacobian()'s hot path: robot.check_q(), check_v() and _per_sample() inlined
        try:
            fid, ref = robot.frame_ids[frame], _TO_PIN[reference]
        except (KeyError, TypeError):
            pass  # an unknown frame or reference: the checks below say which
        else:
            _forwardKinematics(robot.model, robot.data, q, v)
            return _getFrameVelocity(robot.model, robot.data, fid, ref).vector
    q, v = robot.check_q(q), robot.check_v(v)
    return _per_sample(_forwardKinematics, _getFrameVelocity, (6,), robot, frame, reference, q, v, array=_VECTOR)


def _check_w(w, name: str = "w") -> np.ndarray:
    w = as_real_array(w, name)
    if w.ndim not in (1, 2) or w.shape[-1] != 6:
        raise ShapeError(f"expected {name} of shape (6,) or (B, 6), got {w.shape}")
    if not np.isfinite(w).all():
        raise InvalidValueError(f"{name} contains NaN or inf")
    return w


def vjp(robot: Robot, q, w, frame: str, reference: Reference | str = _DEFAULT) -> np.ndarray:
    """``J(q).T @ w`` (reverse mode): ``(nv,)`` or ``(B, nv)``.

    ``w``: ``(6,)`` or ``(B, 6)``, a wrench ``[force; torque]`` [N; N·m] expressed in
    ``reference`` (gives the joint torques that balance it), or the gradient of a task-space
    cost with respect to the twist (gives the joint-space gradient). pinocchio forms the
    ``6 x nv`` frame Jacobian in C++ during the same kinematics pass; no Python-side ``J`` is kept.
    """
    q, w = robot.check_q(q), _check_w(w)
    if q.ndim == 2 and w.ndim == 2:
        broadcast_batch(q, w, "q", "w")  # raises ShapeError if the batch sizes differ
    J = _per_sample(None, _computeFrameJacobian, (6, robot.nv), robot, frame, reference, q)
    if J.ndim == 1:  # the binding hands a 6x1 matrix back as a (6,) vector
        J = J.reshape(6, 1)
    return w @ J if w.ndim == 1 or J.ndim == 2 else np.einsum("bi,bij->bj", w, J)


def jacobian_dot(robot: Robot, q, v, frame: str, reference: Reference | str = _DEFAULT) -> np.ndarray:
    """``dJ/dt`` along joint velocity ``v``: ``(6, nv)`` or ``(B, 6, nv)``.

    Equals ``hessian(robot, q, frame, reference) @ v`` (contracted over its last axis), computed in
    one pass; ``J̇ v`` is the velocity-product term of the frame acceleration.
    """
    q, v = robot.check_q(q), robot.check_v(v)
    Q, V, G, nv = q, v, None, robot.nv
    if robot.unmimicked is not None:
        # pinocchio 4.1 gets local/local_world_aligned dJ/dt wrong below a mimic joint: take it
        # through the unmimicked model by the chain rule, dJ/dt = dJ_full/dt(q_full, G v) G.
        model, A, b, G = robot.unmimicked
        Q, V, nv = Q @ A.T + b, V @ G.T, model.nv
    # pinocchio 4.1's computeJointJacobiansTimeVariation segfaults without joints
    compute, read = (_dJ_pass, _getFrameJacobianTimeVariation) if nv else (_no_pass, _no_columns)
    dJ = _per_sample(compute, read, (6, nv), robot, frame, reference, Q, V, full=G is not None)
    if dJ.ndim == 1:  # the binding hands a 6x1 matrix back as a (6,) vector
        dJ = dJ.reshape(6, nv)
    return dJ if G is None else dJ @ G


def _no_pass(model: pin.Model, data: pin.Data, q: np.ndarray, v: np.ndarray) -> None:
    """No kinematics pass (a model without joints)."""


def _no_columns(model: pin.Model, data: pin.Data, fid: int, ref) -> np.ndarray:
    """The ``(6, 0)`` derivative of a model without joints."""
    return np.zeros((6, 0))


@lru_cache(maxsize=1)
def _hessian_is_fortran_ordered() -> bool:
    """Whether pinocchio's Python binding hands back the ``(6, nv, nv)`` kinematic Hessian with
    Fortran-ordered data under C-ordered strides (pinocchio 3 and 4 do). Decided once per process
    against ``dJ/dt = H v`` on a sample model, so a fixed binding works too."""
    model = pin.buildSampleModelManipulator()
    data = model.createData()
    q = pin.neutral(model) + 0.3
    pin.computeJointKinematicHessians(model, data, q)
    H = pin.getFrameKinematicHessian(model, data, model.nframes - 1, _LWA)
    v = np.linspace(0.3, 1.1, model.nv)
    pin.computeJointJacobiansTimeVariation(model, data, q, v)
    dJ = pin.getFrameJacobianTimeVariation(model, data, model.nframes - 1, _LWA)
    as_c, as_f = np.abs(H @ v - dJ).max(), np.abs(_reorder(H) @ v - dJ).max()
    if min(as_c, as_f) > 1e-9:
        raise KinejacError(f"cannot interpret pinocchio {pin.__version__}'s kinematic Hessian layout")
    return bool(as_f < as_c)


def _reorder(H: np.ndarray) -> np.ndarray:
    """``(..., 6, n, n)`` Hessians whose Fortran-ordered data sits under C-ordered strides, fixed
    (a view for one Hessian)."""
    n = H.shape[-1]
    if H.ndim == 3:
        return H.reshape(n, n, 6).T
    return H.reshape(len(H), n, n, 6).transpose(0, 3, 2, 1)


def hessian(robot: Robot, q, frame: str, reference: Reference | str = _DEFAULT) -> np.ndarray:
    """The kinematic Hessian ``H[:, j, k] = ∂J[:, j] / ∂q_k``: ``(6, nv, nv)`` or ``(B, 6, nv, nv)``.

    ``k`` is a tangent direction (``q ⊕ t e_k``). Contracting the last axis with a joint velocity
    gives ``dJ/dt``: ``H @ v == jacobian_dot(robot, q, v, frame, reference)``.
    """
    q = robot.check_q(q)
    Q, G, n = q, None, robot.nv
    if robot.unmimicked is not None:
        # pinocchio has no Hessian for mimic joints: chain rule through the unmimicked model,
        # H[:, j, k] = sum_ab H_full[:, a, b] G[a, j] G[b, k]
        model, A, b, G = robot.unmimicked
        Q, n = q @ A.T + b, model.nv
    H = _per_sample(_H_pass, _getFrameKinematicHessian, (6, n, n), robot, frame, reference, Q, full=G is not None)
    if H.ndim != Q.ndim + 2:  # the binding hands a 6x1x1 Hessian back as a (6,) vector
        H = H.reshape(*Q.shape[:-1], 6, n, n)
    if _hessian_is_fortran_ordered():
        H = _reorder(H)
    return H if G is None else np.einsum("...iab,aj,bk->...ijk", H, G, G)
