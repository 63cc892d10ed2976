"""The geometric Jacobian engine: poses, Jacobians, twists, their adjoints and derivatives.

Every function takes the robot, a configuration ``q`` of shape ``(nq,)`` or a batch ``(B, nq)``
and a frame name, and returns arrays with a leading ``B`` axis for a batch. Twists and Jacobian
rows are ``[linear; angular]`` ([m/s; rad/s] per unit joint velocity); ``reference`` is a
:class:`~kinejac.spatial.Reference` (or its string) and defaults to ``local_world_aligned``.

Derivatives are taken on the configuration manifold: the k-th column of ``J`` is the twist of the
frame when ``q`` moves along tangent direction ``e_k`` (``q ⊕ t e_k``), so floating bases and
continuous joints need no special care.
"""

from __future__ import annotations

from functools import lru_cache
from math import isfinite as _isfinite

import numpy as np
import pinocchio as pin

from ._checks import as_real_array
from .errors import InvalidValueError, KinejacError, ShapeError
from .robot import Robot, broadcast_batch
from .spatial import _TO_PIN, Reference, as_reference

__all__ = ["hessian", "jacobian", "jacobian_dot", "pose", "twist", "vjp"]

_LWA = pin.ReferenceFrame.LOCAL_WORLD_ALIGNED
_F64 = np.dtype(np.float64)
_DEFAULT = "local_world_aligned"  # a plain str: hashing an Enum member runs Python code
_computeFrameJacobian = pin.computeFrameJacobian
_forwardKinematics = pin.forwardKinematics
_updateFramePlacement = pin.updateFramePlacement
_getFrameVelocity = pin.getFrameVelocity


def _point(point, name: str = "point") -> np.ndarray:
    p = as_real_array(point, name)
    if p.shape != (3,):
        raise ShapeError(f"expected {name} of shape (3,) [m] in frame coordinates, got {p.shape}")
    if not np.isfinite(p).all():
        raise InvalidValueError(f"{name} contains NaN or inf: {p.tolist()}")
    return p


def _ids(robot: Robot, frame: str, reference) -> tuple[int, pin.ReferenceFrame]:
    """Frame index and pinocchio reference; raises FrameNotFound / InvalidChoiceError."""
    try:
        return robot.frame_ids[frame], _TO_PIN[reference]
    except (KeyError, TypeError):
        return robot.frame_id(frame), as_reference(reference)


def pose(robot: Robot, q, frame: str, *, point=None) -> np.ndarray:
    """``T_world_frame``: the frame's pose, ``(4, 4)`` or ``(B, 4, 4)`` [m].

    With ``point`` (``(3,)`` [m] in frame coordinates), the pose of a frame with the same
    orientation placed at that point.
    """
    q = robot.check_q(q)
    fid = robot.frame_id(frame)
    model, data = robot.model, robot.data
    offset = None if point is None else pin.SE3(np.eye(3), _point(point))
    if q.ndim == 1:
        _forwardKinematics(model, data, q)
        T = _updateFramePlacement(model, data, fid)
        return (T if offset is None else T * offset).homogeneous
    out = []
    for qi in q:
        _forwardKinematics(model, data, qi)
        T = _updateFramePlacement(model, data, fid)
        out.append((T if offset is None else T * offset).homogeneous)
    return np.array(out).reshape(-1, 4, 4)


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
    fid, ref = _ids(robot, frame, reference)
    model, data = robot.model, robot.data
    if q.ndim == 1:  # the binding hands a 6x1 matrix back as a (6,) vector: reshape
        J = _computeFrameJacobian(model, data, q, fid, ref).reshape(6, robot.nv)
    else:
        J = np.array([_computeFrameJacobian(model, data, qi, fid, ref) for qi in q]).reshape(len(q), 6, robot.nv)
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
    q, v = robot.check_q(q), robot.check_v(v)
    fid, ref = _ids(robot, frame, reference)
    model, data = robot.model, robot.data
    if q.ndim == 1 and v.ndim == 1:
        _forwardKinematics(model, data, q, v)
        return _getFrameVelocity(model, data, fid, ref).vector
    out = []
    for qi, vi in zip(*broadcast_batch(q, v, "q", "v")):
        _forwardKinematics(model, data, qi, vi)
        out.append(_getFrameVelocity(model, data, fid, ref).vector)
    return np.array(out).reshape(-1, 6)


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
    fid, ref = _ids(robot, frame, reference)
    model, data, nv = robot.model, robot.data, robot.nv
    if q.ndim == 1 and w.ndim == 1:
        return w @ _computeFrameJacobian(model, data, q, fid, ref).reshape(6, nv)
    q, w = broadcast_batch(q, w, "q", "w")
    J = np.array([_computeFrameJacobian(model, data, qi, fid, ref) for qi in q]).reshape(len(q), 6, nv)
    return np.einsum("bi,bij->bj", w, J)


def jacobian_dot(robot: Robot, q, v, frame: str, reference: Reference | str = _DEFAULT) -> np.ndarray:
    """``dJ/dt`` along joint velocity ``v``: ``(6, nv)`` or ``(B, 6, nv)``.

    Equals ``hessian(robot, q, frame, reference) @ v`` (contracted over its last axis), computed in
    one pass; ``J̇ v`` is the velocity-product term of the frame acceleration.
    """
    q, v = robot.check_q(q), robot.check_v(v)
    fid, ref = _ids(robot, frame, reference)
    f, g = pin.computeJointJacobiansTimeVariation, pin.getFrameJacobianTimeVariation
    Q, V = (q, v) if q.ndim == 1 and v.ndim == 1 else broadcast_batch(q, v, "q", "v")
    G = None
    if robot.unmimicked is not None:
        # pinocchio 4.1 gets local/local_world_aligned dJ/dt wrong below a mimic joint: take it
        # through the unmimicked model by the chain rule, dJ/dt = dJ_full/dt(q_full, G v) G.
        model, data, fid, A, b, G = _unmimicked(robot, frame)
        Q, V = Q @ A.T + b, V @ G.T
    else:
        model, data = robot.model, robot.data
    if model.nv == 0:  # pinocchio 4.1's computeJointJacobiansTimeVariation segfaults without joints
        return np.zeros((*Q.shape[:-1], 6, 0))
    if Q.ndim == 1:
        f(model, data, Q, V)
        dJ = g(model, data, fid, ref).reshape(6, model.nv)
        return dJ if G is None else dJ @ G
    out = []
    for qi, vi in zip(Q, V):
        f(model, data, qi, vi)
        out.append(g(model, data, fid, ref))
    dJ = np.array(out).reshape(len(out), 6, model.nv)
    return dJ if G is None else dJ @ G


def _unmimicked(robot: Robot, frame: str) -> tuple[pin.Model, pin.Data, int, np.ndarray, np.ndarray, np.ndarray]:
    """The model with mimic joints as free joints, its data, the frame's id there and the maps
    ``q_full = A q + b``, ``v_full = G v``."""
    model, A, b, G = robot.unmimicked
    return model, robot.unmimicked_data(), model.getFrameId(frame), A, b, G


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
    fid, ref = _ids(robot, frame, reference)
    f, g = pin.computeJointKinematicHessians, pin.getFrameKinematicHessian
    Q, G = q, None
    if robot.unmimicked is not None:
        # pinocchio has no Hessian for mimic joints: chain rule through the unmimicked model,
        # H[:, j, k] = sum_ab H_full[:, a, b] G[a, j] G[b, k]
        model, data, fid, A, b, G = _unmimicked(robot, frame)
        Q = q @ A.T + b
    else:
        model, data = robot.model, robot.data
    n = model.nv
    if Q.ndim == 1:
        f(model, data, Q)
        H = g(model, data, fid, ref).reshape(6, n, n)
    else:
        out = []
        for qi in Q:
            f(model, data, qi)
            out.append(g(model, data, fid, ref))
        H = np.array(out).reshape(len(out), 6, n, n)
    if _hessian_is_fortran_ordered():
        H = _reorder(H)
    return H if G is None else np.einsum("...iab,aj,bk->...ijk", H, G, G)
