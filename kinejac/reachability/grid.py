"""The grid of a reachability map: voxels, the orientation set, and sound bounds on the reach.

- Voxels are cubes of side ``resolution`` [m] centred on the lattice ``k * resolution`` (integer
  ``k`` per axis) of the world frame (:func:`lattice`, :func:`voxel_centres`).
- Orientations: the ``N`` points of a super-Fibonacci spiral on SO(3) (:func:`so3_grid`).
- Reach: the frame's origin never leaves a sphere around the first joint of its chain, of a radius
  bounded from the chain's offsets and joint limits (:func:`reach_sphere`); the origin of the joint
  that carries the frame has such a sphere too, which rules out orientations without solving
  anything (:func:`orientation_bound`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pinocchio as pin

from .._checks import as_real_array, check_memory, positive
from ..errors import InvalidChoiceError, InvalidValueError, ShapeError
from ..spatial import check_points, check_rotations

if TYPE_CHECKING:
    from ..robot import Robot

__all__ = [
    "check_bounds",
    "check_orientations",
    "lattice",
    "orientation_bound",
    "reach_sphere",
    "so3_grid",
    "voxel_centres",
    "voxel_count",
]

#: [bytes] the memory one rotation of :func:`so3_grid` takes while it is made (the result and temporaries)
_ROTATION_BYTES = 200
# Alexa 2022: phi = sqrt(2) and psi, the real root of psi**4 = psi + 4 (> 1)
_PHI = np.sqrt(2.0)
_PSI = 1.533751168755204288118041


def so3_grid(n: int) -> np.ndarray:
    """``n`` rotation matrices ``(n, 3, 3)`` spread evenly over SO(3): a super-Fibonacci spiral.

    Sample ``i`` (``s = i + 1/2``) is the unit quaternion ``(r sin a, r cos a, R sin b, R cos b)``
    with ``r = sqrt(s/n)``, ``R = sqrt(1 - s/n)``, ``a = 2 pi s / phi``, ``b = 2 pi s / psi``,
    ``phi = sqrt(2)`` and ``psi`` the real root of ``psi^4 = psi + 4`` (Alexa, CVPR 2022). The
    quaternion is read as ``(x, y, z, w)``; any fixed reading gives an equally even set.
    """
    n = positive("n", n, integer=True)
    check_memory(_ROTATION_BYTES * n, f"so3_grid({n})", "ask for fewer rotations")
    s = np.arange(n) + 0.5
    r, R = np.sqrt(s / n), np.sqrt(1.0 - s / n)
    a, b = 2 * np.pi * s / _PHI, 2 * np.pi * s / _PSI
    x, y, z, w = r * np.sin(a), r * np.cos(a), R * np.sin(b), R * np.cos(b)
    out = np.empty((n, 3, 3))
    out[:, 0, 0] = 1 - 2 * (y * y + z * z)
    out[:, 0, 1] = 2 * (x * y - z * w)
    out[:, 0, 2] = 2 * (x * z + y * w)
    out[:, 1, 0] = 2 * (x * y + z * w)
    out[:, 1, 1] = 1 - 2 * (x * x + z * z)
    out[:, 1, 2] = 2 * (y * z - x * w)
    out[:, 2, 0] = 2 * (x * z - y * w)
    out[:, 2, 1] = 2 * (y * z + x * w)
    out[:, 2, 2] = 1 - 2 * (x * x + y * y)
    return out


def _chain(robot: Robot, frame: str) -> list[int]:
    """The joints from the root to the frame's parent joint (pinocchio indices, root first)."""
    model = robot.model
    chain = []
    j = int(model.frames[robot.frame_id(frame)].parentJoint)
    while j != 0:
        chain.append(j)
        j = int(model.parents[j])
    chain.reverse()
    return chain


def _axis(robot: Robot, j: int) -> np.ndarray:
    """The unit rotation axis of revolute or continuous joint ``j`` in its own frame."""
    model = robot.model
    jm = model.joints[j]
    jd = jm.createData()
    q = robot.neutral()
    if jm.nq == 2:  # continuous: (cos, sin)
        q[jm.idx_q : jm.idx_q + 2] = np.cos(1.0), np.sin(1.0)
    else:
        q[jm.idx_q] = 1.0
    jm.calc(jd, q)
    return np.array(pin.log3(jd.M.rotation))  # the rotation by 1 rad about the axis


def _through(a: np.ndarray, b: np.ndarray, u: np.ndarray, lo: float, hi: float) -> float:
    """``max |a + Rot(u, q) b|`` over ``q`` in ``[lo, hi]`` [rad], exactly: with ``b = b_u + b_p``
    (along and across ``u``), ``|a + Rot b|² = |a|² + |b|² + 2 a·b_u + 2 B cos(q - phi)`` where
    ``B cos phi = a·b_p`` and ``B sin phi = a·(u × b_p)``."""
    b_u = u * (u @ b)
    b_p = b - b_u
    x, y = float(a @ b_p), float(a @ np.cross(u, b_p))
    B, phi = float(np.hypot(x, y)), float(np.arctan2(y, x))
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi - lo >= 2 * np.pi:
        c = B
    elif phi + 2 * np.pi * np.ceil((lo - phi) / (2 * np.pi)) <= hi:  # the maximum of the cosine is in range
        c = B
    else:
        c = max(B * np.cos(lo - phi), B * np.cos(hi - phi))
    return float(np.sqrt(max(0.0, a @ a + b @ b + 2 * (a @ b_u) + 2 * c)))


def _chain_reach(robot: Robot, frame: str) -> tuple[np.ndarray, float, float]:
    """(centre (3,) [m], radius of the frame's joint origin [m], radius of the frame origin [m]).

    The origins ``o_0 .. o_n`` of the chain's joints and of the frame (``o_n``) are linked by the
    offsets ``L_i = o_{i+1} - o_i``, fixed in joint ``i``'s frame. ``|o_k - o_0|`` is at most the
    sum of ``|L_i|``; two consecutive offsets through revolute joint ``i`` span at most
    ``max_q |L_{i-1} + R_i(q) L_i|`` over its limits (:func:`_through`), never more than their
    sum. The radius is the least total over the ways of pairing them (dynamic programming), plus
    the travel of prismatic joints; ``inf`` where a joint cannot be bounded (floating, planar, mimic).
    """
    model = robot.model
    f = model.frames[robot.frame_id(frame)]
    chain = _chain(robot, frame)
    centre = np.array(model.jointPlacements[chain[0]].translation)
    links = [np.array(model.jointPlacements[j].translation) for j in chain[1:]] + [np.array(f.placement.translation)]
    by_name = {info.name: info for info in robot.joints}
    best = [0.0] * (len(chain) + 1)  # best[k]: bound on |o_k - o_0|
    kinds: list[str] = []
    for i, j in enumerate(chain):
        info = by_name[model.names[j]]
        if info.kind not in ("revolute", "continuous", "spherical", "prismatic"):
            return centre, float("inf"), float("inf")
        travel = 0.0
        if info.kind == "prismatic":
            travel = float(max(abs(robot.lower[info.idx_q]), abs(robot.upper[info.idx_q])))
        best[i + 1] = best[i] + float(np.linalg.norm(links[i])) + travel
        # a pair through joint i needs L_{i-1} fixed: joint i - 1 must not translate
        if i and info.kind in ("revolute", "continuous") and kinds[-1] != "prismatic":
            lo, hi = -np.inf, np.inf
            if info.kind == "revolute":
                lo, hi = robot.lower[info.idx_q], robot.upper[info.idx_q]
            R_i = np.array(model.jointPlacements[j].rotation)
            pair = _through(R_i.T @ links[i - 1], links[i], _axis(robot, j), float(lo), float(hi))
            best[i + 1] = min(best[i + 1], best[i - 1] + pair)
        kinds.append(info.kind)
    return centre, best[-2], best[-1]


def reach_sphere(robot: Robot, frame: str) -> tuple[np.ndarray, float]:
    """(centre (3,) [m], radius [m]): a sphere the frame origin never leaves, around the first joint
    of its chain (:func:`_chain_reach`; radius ``inf`` when a joint of the chain translates without
    bound or cannot be bounded: floating, planar, mimic). A frame on no joint: its position, 0."""
    if not _chain(robot, frame):
        data = robot.model.createData()
        pin.framesForwardKinematics(robot.model, data, robot.neutral())
        return np.array(data.oMf[robot.frame_id(frame)].translation), 0.0
    centre, _, radius = _chain_reach(robot, frame)
    return centre, radius


def orientation_bound(robot: Robot, frame: str, P: np.ndarray, R: np.ndarray) -> np.ndarray:
    """``(n, M)`` bool: pose ``(P[i], R[m])`` of the frame may be reachable (``False``: surely not).

    The frame is rigidly attached to its parent joint's body, so a pose of the frame fixes the origin
    of that joint: ``p_joint = p - R R_f^T t_f`` for the frame's placement ``(R_f, t_f)`` in the body.
    A pose that puts it farther from the chain's first joint than that origin can go
    (:func:`_chain_reach`) cannot be reached. ``P (n, 3)`` [m], ``R (M, 3, 3)``.
    """
    if not _chain(robot, frame):
        return np.ones((len(P), len(R)), dtype=bool)
    centre, limit, _ = _chain_reach(robot, frame)
    if not np.isfinite(limit):
        return np.ones((len(P), len(R)), dtype=bool)
    placement = robot.model.frames[robot.frame_id(frame)].placement
    t_f, R_f = np.array(placement.translation), np.array(placement.rotation)
    offset = (R @ R_f.T) @ t_f  # (M, 3): p - p_joint for each orientation
    distance = np.linalg.norm(P[:, None, :] - offset[None] - centre, axis=2)  # (n, M)
    return distance <= limit + 1e-9 * max(1.0, limit)


def voxel_count(bounds: np.ndarray, resolution: float) -> float:
    """How many voxels :func:`lattice` would give, as a float (no integer overflow, however small
    ``resolution``): compare it with a limit before making them."""
    with np.errstate(over="ignore", invalid="ignore"):
        per_axis = np.floor(bounds[1] / resolution + 0.5) - np.floor(bounds[0] / resolution + 0.5) + 1.0
        return float(np.prod(per_axis))


def lattice(bounds: np.ndarray, resolution: float) -> tuple[np.ndarray, np.ndarray]:
    """(k_lo (3,) int, shape (3,) int) of the voxels meeting ``bounds`` (2, 3)."""
    k_lo = np.floor(bounds[0] / resolution + 0.5).astype(np.int64)
    k_hi = np.floor(bounds[1] / resolution + 0.5).astype(np.int64)
    return k_lo, k_hi - k_lo + 1


def voxel_centres(k_lo: np.ndarray, shape: np.ndarray, resolution: float) -> np.ndarray:
    """``(N, 3)`` [m] voxel centres in lattice order (x slowest, z fastest)."""
    axes = [(k_lo[a] + np.arange(shape[a])) * resolution for a in range(3)]
    X, Y, Z = np.meshgrid(*axes, indexing="ij")
    return np.stack([X.ravel(), Y.ravel(), Z.ravel()], axis=1)


def check_bounds(bounds, centre: np.ndarray, radius: float, robot: Robot, frame: str) -> np.ndarray:
    """``bounds`` as a ``(2, 3)`` [m] array (default: the reach sphere's box); raises on bad input."""
    if bounds is None:
        if not np.isfinite(radius):
            raise InvalidValueError(
                f"the reach of frame {frame!r} of robot {robot.name!r} is unbounded (a floating, planar or mimic "
                "joint, or a prismatic joint without limits, on its chain); pass bounds=[[xmin, ymin, zmin], "
                "[xmax, ymax, zmax]] [m]"
            )
        return np.stack([centre - radius, centre + radius])
    b = as_real_array(bounds, "bounds")
    if b.shape != (2, 3):
        raise ShapeError(f"expected bounds of shape (2, 3), [[xmin, ymin, zmin], [xmax, ymax, zmax]], got {b.shape}")
    if not np.isfinite(b).all():
        raise InvalidValueError(f"bounds must be finite, got {b.tolist()}")
    b = check_points(b, "bounds", (2, 3))  # and within kinejac.spatial.MAX_COORDINATE
    if (b[1] < b[0]).any():
        axes = ", ".join("xyz"[a] for a in np.flatnonzero(b[1] < b[0]))
        raise InvalidValueError(f"bounds are empty: upper < lower along {axes} (got {b.tolist()})")
    return b.copy()


def check_orientations(orientations) -> np.ndarray | None:
    """The rotations ``(M, 3, 3)`` of ``orientations`` (a count, an array or ``"position"``: None)."""
    if isinstance(orientations, str):
        if orientations != "position":
            valid = ("position", "an integer >= 1", "(M, 3, 3) rotations")
            raise InvalidChoiceError("orientations", orientations, valid)
        return None
    if isinstance(orientations, (int, np.integer)) and not isinstance(orientations, (bool, np.bool_)):
        if orientations < 1:
            raise InvalidValueError(
                f"orientations must be >= 1 (or 'position' for a position-only map), got {orientations}"
            )
        check_memory(_ROTATION_BYTES * float(orientations), f"{orientations} orientations", "take fewer orientations")
        return so3_grid(int(orientations))
    R = as_real_array(orientations, "orientations")
    if R.ndim != 3 or R.shape[1:] != (3, 3) or R.shape[0] == 0:
        raise ShapeError(f"expected orientations as an integer >= 1, 'position' or (M, 3, 3) rotations, got {R.shape}")
    return check_rotations(R, "orientations").copy()
