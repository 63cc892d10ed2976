"""Inverse reachability: the base placements from which a reachability map reaches a target pose.

The map is anything with the few attributes and the look-up of :class:`MapLookup` (a
:class:`~kinejac.ReachabilityMap` has them), so this module does not import the map's: the map
imports it, one direction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pinocchio as pin

from .._checks import as_real_array, check_memory, positive
from ..errors import InvalidValueError, ShapeError
from ..spatial import MAX_COORDINATE, as_transform, check_points

__all__ = ["InverseReachability", "MapLookup", "inverse_reachability"]


class MapLookup(Protocol):
    """What inverse reachability reads of a map (see :class:`~kinejac.ReachabilityMap`)."""

    resolution: float  #: [m] voxel side
    reach_radius: float  #: [m] the radius of the sphere the frame cannot leave
    robot: str
    frame: str

    @property
    def position_only(self) -> bool:
        """The map holds positions only (no orientations)."""
        ...

    def lookup(self, P: np.ndarray, R: np.ndarray | None) -> np.ndarray:
        """The map at points ``P (N, 3)`` [m] with rotations ``R (N, 3, 3)`` or ``None``: ``(N,)``."""
        ...


@dataclass(frozen=True, eq=False)
class InverseReachability:
    """Base placements that reach one target (from :meth:`ReachabilityMap.inverse`).

    Attributes:
        positions: ``(K, 3)`` [m] candidate base positions (world).
        reached: ``(K, Y)`` bool, the target is reachable from position ``k`` with heading ``yaws[y]``.
        unknown: ``(K, Y)`` bool, the look-up fell outside the map (or on a voxel not computed).
        yaws: ``(Y,)`` [rad] base headings about the world z axis.
        target: ``(4, 4)`` ``T_world_target``; robot, frame: names.
    """

    positions: np.ndarray
    reached: np.ndarray
    unknown: np.ndarray
    yaws: np.ndarray
    target: np.ndarray
    robot: str
    frame: str

    @property
    def score(self) -> np.ndarray:
        """``(K,)`` the fraction of headings from which the target is reachable."""
        return self.reached.mean(axis=1)

    def T_world_base(self, k: int, y: int) -> np.ndarray:
        """The base pose ``(4, 4)`` of candidate ``k`` with heading ``yaws[y]``."""
        T = np.eye(4)
        c, s = np.cos(self.yaws[y]), np.sin(self.yaws[y])
        T[:2, :2] = [[c, -s], [s, c]]
        T[:3, 3] = self.positions[k]
        return T

    def as_points(self) -> tuple[np.ndarray, np.ndarray]:
        """(positions ``(K', 3)``, score ``(K',)``) of the placements with a score > 0 (for the viewer)."""
        keep = self.score > 0
        return self.positions[keep], self.score[keep]

    def __repr__(self) -> str:
        return (
            f"InverseReachability({self.robot!r}, frame={self.frame!r}, candidates={len(self.positions)}, "
            f"headings={len(self.yaws)}, reaching={int((self.score > 0).sum())})"
        )


def inverse_reachability(
    reach_map: MapLookup,
    target,
    *,
    z: float = 0.0,
    yaws: int = 8,
    resolution: float | None = None,
    extent: float | None = None,
) -> InverseReachability:
    """Base positions from which ``target`` is reachable (inverse reachability, for base placement).

    The map was made with the robot's base at the world origin. A base moved to position
    ``(x, y, z)`` and turned by ``yaw`` about the world z axis reaches ``T_world_target`` when the
    map reaches ``T_base_target = T_world_base⁻¹ T_world_target`` (looked up as in :meth:`ReachabilityMap.query`).
    Candidates: a square grid of spacing ``resolution`` (default: the map's) on the plane of
    height ``z`` [m], centred below the target, of half-width ``extent`` [m] (default: the reach
    radius plus one cell), each with ``yaws`` headings ``2 pi k / yaws``.

    ``target``: a pose ``(4, 4)`` / ``pinocchio.SE3``, or a point ``(3,)`` for a position map.
    Returns an :class:`InverseReachability`; its ``score`` is the fraction of headings that reach.
    """
    t = target.homogeneous if isinstance(target, pin.SE3) else as_real_array(target, "target")
    if t.shape == (3,):
        if not reach_map.position_only:
            raise ShapeError("this map has orientations: give the target as a pose (4, 4), not a point (3,)")
        T_world_target = np.eye(4)
        T_world_target[:3, 3] = check_points(t, "target")
    else:
        T_world_target = as_transform(t, "target")
    yaws = positive("yaws", yaws, integer=True)
    res = reach_map.resolution if resolution is None else positive("resolution", resolution)
    if extent is None:
        if not np.isfinite(reach_map.reach_radius):
            raise InvalidValueError("the map's reach is unbounded: pass extent= (half-width of the base grid [m])")
        extent = reach_map.reach_radius + res
    extent = positive("extent", extent, maximum=MAX_COORDINATE)
    if np.ndim(z) != 0:
        raise InvalidValueError(f"z must be a number [m] (the height of the base), got {z!r}")
    z = float(check_points(np.full(3, z), "z")[0])
    side = 2.0 * float(np.floor(extent / res)) + 1.0  # candidates per side (Python floats: inf, no warning)
    rotations = getattr(reach_map, "orientations", None)
    m = 1 if rotations is None else len(rotations)
    # per candidate and heading: its position, rotation, value and the look-up's (·, M) scores
    what = f"inverse reachability over {side:.3g} x {side:.3g} base positions x {yaws} headings"
    knob = "take a coarser resolution, a smaller extent or fewer yaws"
    check_memory(side * side * yaws * (128.0 + 8.0 * m), what, knob)
    n = int(np.floor(extent / res))
    offsets = np.arange(-n, n + 1) * res
    X, Y = np.meshgrid(T_world_target[0, 3] + offsets, T_world_target[1, 3] + offsets, indexing="ij")
    base = np.stack([X.ravel(), Y.ravel(), np.full(X.size, z)], axis=1)  # (K, 3)
    psi = 2 * np.pi * np.arange(yaws) / yaws
    c, s = np.cos(psi), np.sin(psi)
    Rz = np.zeros((yaws, 3, 3))
    Rz[:, 0, 0], Rz[:, 0, 1], Rz[:, 1, 0], Rz[:, 1, 1], Rz[:, 2, 2] = c, -s, s, c, 1.0
    # T_base_target = [Rz^T R_t, Rz^T (p_t - b)] for every (base, yaw)
    d = T_world_target[:3, 3] - base  # (K, 3)
    P = np.einsum("yji,kj->kyi", Rz, d).reshape(-1, 3)
    R = np.einsum("yji,jl->yil", Rz, T_world_target[:3, :3])
    R = np.broadcast_to(R[None], (len(base), yaws, 3, 3)).reshape(-1, 3, 3)
    vals = reach_map.lookup(P, None if reach_map.position_only else R).reshape(len(base), yaws)
    return InverseReachability(
        positions=base,
        reached=vals == 1.0,
        unknown=np.isnan(vals),
        yaws=psi,
        target=T_world_target,
        robot=reach_map.robot,
        frame=reach_map.frame,
    )

