"""Reachability maps: which poses of a frame a robot can reach, voxel by voxel, and where to put
its base to reach a given pose (inverse reachability).

A map is a voxel grid around the robot. For each voxel it tries a fixed set of orientations of
the frame at the voxel centre with batched inverse kinematics, and records which ones were
reached: the *reachability index* of a voxel is the fraction reached (Zacharias, Borst &
Hirzinger, "Capturing robot workspace structure: representing robot capabilities", IROS 2007;
OpenRAVE's kinematic reachability and ROS's Reuleaux build the same kind of map). It also keeps
the best manipulability over the reached orientations and the configuration that achieved it.

Conventions:
- Voxels are cubes of side ``resolution`` [m] centred on the lattice ``k * resolution`` (integer
  ``k`` per axis) of the world frame; a map holds every voxel that meets ``bounds``. A degenerate
  axis (``lower == upper``) gives one layer, e.g. the plane of a planar arm.
- Orientations: ``orientations=N`` uses the ``N`` points of a super-Fibonacci spiral on
  SO(3) (:func:`so3_grid`, Alexa, "Super-Fibonacci Spirals: Fast, Low-Discrepancy Sampling of
  SO(3)", CVPR 2022): deterministic and spread evenly for every ``N``. They are orientations of
  the frame in world axes, the same set in every voxel. ``orientations="position"`` maps
  positions only (any orientation; the index is then 0 or 1), which is what a robot with fewer
  than 6 DOF, such as a planar arm, can be asked for.
- Voxels farther from the first joint of the chain than the chain's length (the sum of the
  distances between consecutive joint origins plus prismatic travel, an upper bound on the
  reach) are unreachable without solving anything. By default ``bounds`` is that sphere's box.
- IK: :meth:`kinejac.IKSolver.solve_batch` per chunk (``solve`` per voxel for position maps),
  with the options of :data:`IK_DEFAULTS` unless ``ik_options`` overrides them. ``success`` of the
  solver is what "reached" means. No time budget applies, so the map does not depend on the load.
- The work is cut into chunks of ``chunk`` candidate voxels, each seeded from ``(seed, chunk
  index)``: the same map comes out of one process, every local core or a Dask cluster
  (:mod:`kinejac.parallel`).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pinocchio as pin

from ._checks import as_real_array, positive
from .dexterity import _check_measure, _task
from .errors import InvalidChoiceError, InvalidValueError, KinejacError, ShapeError
from .parallel import job_digest, run_chunks, thread_cache, worker_robot
from .robot import Robot
from .spatial import as_transform

__all__ = ["IK_DEFAULTS", "InverseReachability", "ReachabilityMap", "reachability", "so3_grid"]

_FORMAT = 1
#: IKSolver options of a map unless ``ik_options`` says otherwise: a few restarts (a map tries many
#: targets that cannot be reached, each of which uses them all) and no time budget (determinism).
IK_DEFAULTS: dict = {"max_restarts": 10, "timeout": None}
_AXES = {"x": 0, "y": 1, "z": 2}
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


def _reach(robot: Robot, frame: str) -> tuple[np.ndarray, float]:
    """(centre (3,) [m], radius [m]): a sphere the frame origin never leaves (radius ``inf`` when
    a joint of the chain translates without bound or cannot be bounded: floating, planar, mimic)."""
    model = robot.model
    f = model.frames[robot.frame_id(frame)]
    chain = []
    j = int(f.parentJoint)
    while j != 0:
        chain.append(j)
        j = int(model.parents[j])
    chain.reverse()
    if not chain:
        return _fixed_frame_position(robot, frame), 0.0
    centre = np.array(model.jointPlacements[chain[0]].translation)
    radius = sum(float(np.linalg.norm(model.jointPlacements[j].translation)) for j in chain[1:])
    radius += float(np.linalg.norm(f.placement.translation))
    by_name = {info.name: info for info in robot.joints}
    for j in chain:
        info = by_name[model.names[j]]
        if info.kind == "prismatic":
            travel = max(abs(robot.lower[info.idx_q]), abs(robot.upper[info.idx_q]))
            radius += float(travel)
        elif info.kind not in ("revolute", "continuous", "spherical"):
            return centre, float("inf")
    return centre, radius


def _fixed_frame_position(robot: Robot, frame: str) -> np.ndarray:
    data = robot.model.createData()
    pin.framesForwardKinematics(robot.model, data, robot.neutral())
    return np.array(data.oMf[robot.frame_id(frame)].translation)


def _lattice(bounds: np.ndarray, resolution: float) -> tuple[np.ndarray, np.ndarray]:
    """(k_lo (3,) int, shape (3,) int) of the voxels meeting ``bounds`` (2, 3)."""
    k_lo = np.floor(bounds[0] / resolution + 0.5).astype(np.int64)
    k_hi = np.floor(bounds[1] / resolution + 0.5).astype(np.int64)
    return k_lo, k_hi - k_lo + 1


def _centres(k_lo: np.ndarray, shape: np.ndarray, resolution: float) -> np.ndarray:
    axes = [(k_lo[a] + np.arange(shape[a])) * resolution for a in range(3)]
    X, Y, Z = np.meshgrid(*axes, indexing="ij")
    return np.stack([X.ravel(), Y.ravel(), Z.ravel()], axis=1)


def _check_bounds(bounds, centre: np.ndarray, radius: float, robot: Robot, frame: str) -> np.ndarray:
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
    if (b[1] < b[0]).any():
        axes = ", ".join("xyz"[a] for a in np.flatnonzero(b[1] < b[0]))
        raise InvalidValueError(f"bounds are empty: upper < lower along {axes} (got {b.tolist()})")
    return b.copy()


def _check_orientations(orientations) -> np.ndarray | None:
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
        return so3_grid(int(orientations))
    R = as_real_array(orientations, "orientations")
    if R.ndim != 3 or R.shape[1:] != (3, 3) or R.shape[0] == 0:
        raise ShapeError(f"expected orientations as an integer >= 1, 'position' or (M, 3, 3) rotations, got {R.shape}")
    dev = np.abs(np.swapaxes(R, 1, 2) @ R - np.eye(3)).max(axis=(1, 2))
    bad = np.flatnonzero((dev > 1e-6) | (np.linalg.det(R) < 0) | ~np.isfinite(R).all(axis=(1, 2)))
    if len(bad):
        raise InvalidValueError(f"orientations[{bad[0]}] is not a rotation matrix")
    return R.copy()


def _chunk_seed(seed: int, index: int) -> int:
    return int(np.random.SeedSequence([seed, index]).generate_state(1, np.uint64)[0] >> np.uint64(1))


def _solver(robot: Robot, frame: str, options: dict):
    """An IKSolver per (robot, frame, options), private to the calling thread."""
    from .ik import IKSolver

    cache = thread_cache()
    key = ("reach-solver", id(robot), frame, json.dumps(options, sort_keys=True, default=repr))
    hit = cache.get(key)
    if hit is None or hit[0] is not robot:
        if len(cache) > 8:
            cache.clear()
        hit = cache[key] = (robot, IKSolver(robot, frame, **options))
    return hit[1]


def _map_chunk(payload: dict, index: int) -> dict[str, np.ndarray]:
    """Chunk ``index`` of a map: ``reached (n, M)``, best ``manipulability (n,)`` and ``configurations (n, nq)``."""
    from .dexterity import manipulability

    robot = payload["robot"] if payload["robot"] is not None else worker_robot(payload["source"])
    frame, size = payload["frame"], payload["chunk"]
    solver = _solver(robot, frame, payload["ik_options"])
    P = payload["candidates"][index * size : (index + 1) * size]  # (n, 3) [m]
    seed = _chunk_seed(payload["seed"], index)
    R = payload["rotations"]
    n, nq = len(P), robot.nq
    if R is None:  # position only: one target per voxel
        Q = np.empty((n, 1, nq))
        reached = np.zeros((n, 1), dtype=bool)
        for j, p in enumerate(P):
            res = solver.solve(p, seed=(seed, j))
            reached[j, 0], Q[j, 0] = res.success, res.q
    else:
        M = len(R)
        T = np.zeros((n, M, 4, 4))
        T[:, :, :3, :3] = R[None]
        T[:, :, :3, 3] = P[:, None, :]
        T[:, :, 3, 3] = 1.0
        res = solver.solve_batch(T.reshape(n * M, 4, 4), seed=seed, threads=1)  # chunks are the parallel unit
        reached = np.asarray(res.success, dtype=bool).reshape(n, M)
        Q = np.asarray(res.q).reshape(n, M, nq)
    w = np.full(reached.shape, -np.inf)
    hit = np.flatnonzero(reached)
    if len(hit):
        w.flat[hit] = manipulability(
            robot,
            Q.reshape(-1, nq)[hit],
            frame,
            measure=payload["measure"],
            part=payload["part"],
            length_scale=payload["length_scale"],
        )
    best = np.argmax(w, axis=1)
    any_ = reached.any(axis=1)
    rows = np.arange(n)
    best_w = np.where(any_, w[rows, best], np.nan)
    best_q = np.where(any_[:, None], Q[rows, best], np.nan)
    return {"reached": reached, "manipulability": best_w, "configurations": best_q}


def _part_label(part) -> str | list:
    return part if isinstance(part, str) else [str(p) if not isinstance(p, (int, np.integer)) else int(p) for p in part]


def _collision_options(self_collision, obstacles, client, workers) -> dict:
    """The IK options of a collision-aware map (empty without one); such maps run in this process."""
    if not isinstance(self_collision, (bool, np.bool_)):
        raise InvalidValueError(f"self_collision must be True or False, got {self_collision!r}")
    if isinstance(obstacles, (str, Path)):
        from .collision.obstacles import as_scene

        obstacles = as_scene(obstacles)
    obstacles = tuple(obstacles or ())
    if not (self_collision or obstacles):
        return {}
    if client is not None or workers != 1:
        raise KinejacError(
            "a collision-aware map (self_collision or obstacles) runs in this process: pass workers=1 and no "
            "client (workers rebuild the robot from its URDF text, without its mesh files and disabled pairs)"
        )
    return {"self_collision": bool(self_collision), "obstacles": obstacles}


@dataclass(frozen=True, eq=False)
class ReachabilityMap:
    """A reachability map; build one with :func:`reachability` or read one with :meth:`load`.

    Attributes:
        centres: ``(N, 3)`` [m] voxel centres in world coordinates, in lattice order (x slowest).
        reached: ``(N, M)`` bool, orientation ``m`` reached at voxel ``n`` (``M = 1`` for position maps).
        index: ``(N,)`` reachability index, the fraction of the orientations reached (``NaN`` where
            the run was interrupted before the voxel was computed).
        manipulability: ``(N,)`` the best measure over the reached orientations (``NaN`` where none).
        configurations: ``(N, nq)`` the configuration of that best solution (``NaN`` where none).
        orientations: ``(M, 3, 3)`` the orientations tried, or ``None`` for a position map.
        computed: ``(N,)`` bool, the voxel's chunk finished.
        resolution [m], bounds ``(2, 3)`` [m], lattice_origin ``(3,)`` int (``k`` of the first voxel),
        shape ``(3,)`` voxels per axis; reach_centre ``(3,)`` [m], reach_radius [m]: the sphere the
        frame cannot leave; robot, frame, source (a :class:`~kinejac.urdf.RobotSource` or None),
        measure, part, length_scale, seed, chunk, ik_options: how it was made; complete: every chunk finished.
    """

    centres: np.ndarray
    reached: np.ndarray
    manipulability: np.ndarray
    configurations: np.ndarray
    orientations: np.ndarray | None
    computed: np.ndarray
    resolution: float
    bounds: np.ndarray
    lattice_origin: np.ndarray
    shape: np.ndarray
    reach_centre: np.ndarray
    reach_radius: float
    robot: str
    frame: str
    source: object | None
    measure: str
    part: str | list
    length_scale: float
    seed: int
    chunk: int
    ik_options: dict = field(default_factory=dict)
    complete: bool = True

    # -- derived ---------------------------------------------------------------------------------
    @property
    def index(self) -> np.ndarray:
        out = self.reached.mean(axis=1)
        out[~self.computed] = np.nan
        return out

    @property
    def position_only(self) -> bool:
        return self.orientations is None

    def __len__(self) -> int:
        return self.centres.shape[0]

    def __repr__(self) -> str:
        what = "positions" if self.position_only else f"{len(self.orientations)} orientations"
        state = "" if self.complete else f", interrupted: {int(self.computed.sum())} of {len(self)} voxels computed"
        reach = np.nanmean(self.index > 0) if len(self) else 0.0
        return (
            f"ReachabilityMap({self.robot!r}, frame={self.frame!r}, resolution={self.resolution:g} m, "
            f"voxels={len(self)} {tuple(int(s) for s in self.shape)}, {what}, reachable={100 * reach:.1f}%{state})"
        )

    def load_robot(self) -> Robot:
        """Rebuild the robot the map was made for from its stored URDF text and load options."""
        if self.source is None:
            raise KinejacError(
                f"map of robot {self.robot!r} has no stored URDF (the robot was built from a pinocchio Model)"
            )
        return self.source.load()

    def as_points(self) -> tuple[np.ndarray, np.ndarray]:
        """(centres ``(K, 3)``, index ``(K,)``) of the voxels with a reachability index > 0 (for
        ``Viewer.show_points(map)``)."""
        keep = self.computed & self.reached.any(axis=1)
        return self.centres[keep], self.index[keep]

    # -- look-ups --------------------------------------------------------------------------------
    def voxel_of(self, points) -> np.ndarray:
        """Voxel numbers ``(N,)`` of points ``(N, 3)`` [m] (``-1`` outside the map)."""
        P = as_real_array(points, "points").reshape(-1, 3)
        k = np.floor(P / self.resolution + 0.5).astype(np.int64) - self.lattice_origin
        inside = ((k >= 0) & (k < self.shape)).all(axis=1)
        flat = np.ravel_multi_index(tuple(np.clip(k, 0, self.shape - 1).T), tuple(self.shape))
        return np.where(inside, flat, -1)

    def query(self, pose_or_point) -> float | np.ndarray:
        """The map at points or poses.

        - a point ``(3,)`` or ``(N, 3)`` [m]: the reachability index of its voxel;
        - a pose ``(4, 4)``, ``(N, 4, 4)`` or ``pinocchio.SE3``: 1.0 if the orientation of the map
          closest to the pose's rotation (geodesic angle) was reached in its voxel, else 0.0 (a
          position map looks at the position only).

        Outside the map's voxels: 0.0 beyond the reach sphere, ``NaN`` (unknown) within it; ``NaN``
        also for voxels an interrupted run did not compute. Returns a float for
        one input, an array ``(N,)`` for a batch.
        """
        x = pose_or_point
        if isinstance(x, pin.SE3):
            x = x.homogeneous
        a = as_real_array(x, "pose_or_point")
        if a.shape[-2:] == (4, 4) and a.ndim in (2, 3):
            T = a.reshape(-1, 4, 4)
            for i in range(len(T)):  # validate each pose (shape, rotation, last row)
                as_transform(T[i], f"pose_or_point[{i}]")
            values = self._lookup(T[:, :3, 3], T[:, :3, :3])
        elif a.shape[-1:] == (3,) and a.ndim in (1, 2):
            if not np.isfinite(a).all():
                raise InvalidValueError("pose_or_point contains NaN or inf")
            values = self._lookup(a.reshape(-1, 3), None)
        else:
            raise ShapeError(f"expected a point (3,) or (N, 3), or a pose (4, 4) or (N, 4, 4), got {a.shape}")
        return float(values[0]) if a.shape in ((3,), (4, 4)) else values

    def _lookup(self, P: np.ndarray, R: np.ndarray | None) -> np.ndarray:
        vox = self.voxel_of(P)
        inside = vox >= 0
        # outside the voxels: unreachable beyond the reach sphere, unknown within it
        beyond = np.linalg.norm(P - self.reach_centre, axis=1) > self.reach_radius + 1e-9 * max(1.0, self.reach_radius)
        out = np.where(beyond, 0.0, np.nan)
        v = vox[inside]
        if R is None or self.position_only:
            vals = self.reached[v].mean(axis=1)
        else:
            # the closest orientation maximises trace(R_m^T R)
            m = np.argmax(np.einsum("mij,nij->nm", self.orientations, R[inside]), axis=1)
            vals = self.reached[v, m].astype(float)
        vals[~self.computed[v]] = np.nan
        out[inside] = vals
        return out

    def inverse(
        self,
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
        map reaches ``T_base_target = T_world_base⁻¹ T_world_target`` (looked up as in :meth:`query`).
        Candidates: a square grid of spacing ``resolution`` (default: the map's) on the plane of
        height ``z`` [m], centred below the target, of half-width ``extent`` [m] (default: the reach
        radius plus one cell), each with ``yaws`` headings ``2 pi k / yaws``.

        ``target``: a pose ``(4, 4)`` / ``pinocchio.SE3``, or a point ``(3,)`` for a position map.
        Returns an :class:`InverseReachability`; its ``score`` is the fraction of headings that reach.
        """
        if isinstance(target, pin.SE3):
            target = target.homogeneous
        t = as_real_array(target, "target")
        if t.shape == (3,):
            if not self.position_only:
                raise ShapeError("this map has orientations: give the target as a pose (4, 4), not a point (3,)")
            if not np.isfinite(t).all():
                raise InvalidValueError("target contains NaN or inf")
            T_world_target = np.eye(4)
            T_world_target[:3, 3] = t
        else:
            T_world_target = as_transform(t, "target")
        yaws = positive("yaws", yaws, integer=True)
        res = self.resolution if resolution is None else positive("resolution", resolution)
        if extent is None:
            if not np.isfinite(self.reach_radius):
                raise InvalidValueError("the map's reach is unbounded: pass extent= (half-width of the base grid [m])")
            extent = self.reach_radius + res
        extent = positive("extent", extent)
        z = float(as_real_array(z, "z"))
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
        vals = self._lookup(P, None if self.position_only else R).reshape(len(base), yaws)
        return InverseReachability(
            positions=base,
            reached=vals == 1.0,
            unknown=np.isnan(vals),
            yaws=psi,
            target=T_world_target,
            robot=self.robot,
            frame=self.frame,
        )

    # -- persistence -----------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write to a compressed ``.npz`` (no pickles; the robot's URDF text and load options are
        stored, so :meth:`load_robot` works anywhere); returns the path written."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_suffix(path.suffix + ".npz")
        src = self.source
        meta = {
            "format": _FORMAT,
            "kind": "kinejac reachability map",
            "robot": self.robot,
            "frame": self.frame,
            "source": None
            if src is None
            else {
                "name": src.name,
                "urdf": src.urdf,
                "root_joint": src.root_joint,
                "locked_joints": [[j, list(v)] for j, v in src.locked_joints],
            },
            "resolution": self.resolution,
            "reach_radius": self.reach_radius,
            "measure": self.measure,
            "part": self.part,
            "length_scale": self.length_scale,
            "seed": self.seed,
            "chunk": self.chunk,
            "ik_options": self.ik_options,
            "complete": self.complete,
        }
        arrays = {
            "centres": self.centres,
            "reached": self.reached,
            "manipulability": self.manipulability,
            "configurations": self.configurations,
            "computed": self.computed,
            "bounds": self.bounds,
            "lattice_origin": self.lattice_origin,
            "shape": self.shape,
            "reach_centre": self.reach_centre,
        }
        if self.orientations is not None:
            arrays["orientations"] = self.orientations
        np.savez_compressed(path, meta=np.array(json.dumps(meta)), **arrays)
        return path

    @classmethod
    def load(cls, path: str | Path) -> ReachabilityMap:
        """Read a file written by :meth:`save`."""
        from .urdf import RobotSource

        path = Path(path)
        names = ("centres", "reached", "manipulability", "configurations", "computed", "bounds", "lattice_origin",
                 "shape", "reach_centre")  # fmt: skip
        try:
            with np.load(path, allow_pickle=False) as f:
                meta = json.loads(str(f["meta"]))
                arrays = {k: np.array(f[k]) for k in names}
                orientations = np.array(f["orientations"]) if "orientations" in f.files else None
        except FileNotFoundError:
            raise
        except (KeyError, ValueError, OSError) as exc:
            raise KinejacError(f"{path} is not a kinejac reachability map: {exc}") from exc
        if not isinstance(meta, dict) or meta.get("kind") != "kinejac reachability map":
            raise KinejacError(f"{path} is not a kinejac reachability map")
        if meta.get("format") != _FORMAT:
            got = meta.get("format")
            raise KinejacError(f"{path}: unsupported reachability map format {got!r} (expected {_FORMAT})")
        n = arrays["centres"].shape[0]
        M = 1 if orientations is None else orientations.shape[0]
        ok = (
            arrays["centres"].shape == (n, 3)
            and arrays["reached"].shape == (n, M)
            and arrays["manipulability"].shape == (n,)
            and arrays["computed"].shape == (n,)
            and arrays["configurations"].ndim == 2
            and arrays["configurations"].shape[0] == n
            and int(np.prod(arrays["shape"])) == n
        )
        if not ok:
            raise ShapeError(f"{path}: inconsistent array shapes {[a.shape for a in arrays.values()]}")
        s = meta["source"]
        source = None
        if s is not None:
            locked = tuple((j, tuple(float(x) for x in v)) for j, v in s["locked_joints"])
            source = RobotSource(name=s["name"], urdf=s["urdf"], root_joint=s["root_joint"], locked_joints=locked)
        return cls(
            centres=arrays["centres"],
            reached=arrays["reached"].astype(bool),
            manipulability=arrays["manipulability"],
            configurations=arrays["configurations"],
            orientations=orientations,
            computed=arrays["computed"].astype(bool),
            resolution=float(meta["resolution"]),
            bounds=arrays["bounds"],
            lattice_origin=arrays["lattice_origin"].astype(np.int64),
            shape=arrays["shape"].astype(np.int64),
            reach_centre=arrays["reach_centre"],
            reach_radius=float(meta["reach_radius"]),
            robot=meta["robot"],
            frame=meta["frame"],
            source=source,
            measure=meta["measure"],
            part=meta["part"],
            length_scale=float(meta["length_scale"]),
            seed=int(meta["seed"]),
            chunk=int(meta["chunk"]),
            ik_options=dict(meta["ik_options"]),
            complete=bool(meta["complete"]),
        )

    # -- pictures --------------------------------------------------------------------------------
    def plot_png(
        self, path: str | Path, *, slice: tuple[str, float] | str = "z", cmap: str = "viridis", dpi: int = 150
    ) -> Path:
        """Draw one layer of voxels coloured by reachability index into a PNG; returns the path.

        ``slice``: ``(axis, value)`` with axis ``"x"``, ``"y"`` or ``"z"`` and value [m] (the layer
        closest to it), or an axis alone for the layer through the reach centre. Voxels an
        interrupted run did not compute are left blank. Needs matplotlib (``pip install kinejac[plot]``).
        """
        axis, value = (slice, None) if isinstance(slice, str) else tuple(slice)
        if axis not in _AXES:
            raise InvalidChoiceError("slice axis", axis, tuple(_AXES))
        c = _AXES[axis]
        value = float(self.reach_centre[c] if value is None else as_real_array(value, "slice value"))
        layer = int(np.clip(np.floor(value / self.resolution + 0.5) - self.lattice_origin[c], 0, self.shape[c] - 1))
        try:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
        except ImportError as exc:
            raise KinejacError("ReachabilityMap.plot_png needs matplotlib: pip install kinejac[plot]") from exc
        a, b = [i for i in range(3) if i != c]
        grid = np.moveaxis(self.index.reshape(tuple(self.shape)), c, 0)[layer]  # (shape[a], shape[b])
        res = self.resolution
        lo = (self.lattice_origin - 0.5) * res
        hi = (self.lattice_origin + self.shape - 0.5) * res
        fig = Figure(figsize=(6.4, 5.6))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        im = ax.imshow(
            np.ma.masked_invalid(grid.T), origin="lower", extent=(lo[a], hi[a], lo[b], hi[b]), vmin=0.0, vmax=1.0,
            cmap=cmap, interpolation="nearest",
        )  # fmt: skip
        fig.colorbar(im, ax=ax, label="reachability index (fraction of orientations reached)")
        ax.set_xlabel(f"{'xyz'[a]} [m]")
        ax.set_ylabel(f"{'xyz'[b]} [m]")
        at = (self.lattice_origin[c] + layer) * res
        what = "positions" if self.position_only else f"{len(self.orientations)} orientations"
        ax.set_title(f"{self.robot} {self.frame}: {'xyz'[c]} = {at:.3f} m, {res:g} m voxels, {what}", fontsize=9)
        path = Path(path)
        fig.savefig(path, dpi=dpi, format="png")
        return path


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


@dataclass(frozen=True, eq=False)
class _Plan:
    """A map's job, before anything runs: the payload of the chunks and how to reassemble them."""

    payload: dict
    identity: dict
    n_chunks: int
    sizes: list
    centres: np.ndarray  # (N, 3) every voxel
    cand_idx: np.ndarray  # voxels within the reach sphere, in chunk order
    candidate: np.ndarray  # (N,) bool
    rotations: np.ndarray | None
    bounds: np.ndarray
    k_lo: np.ndarray
    shape: np.ndarray
    centre: np.ndarray
    radius: float
    in_process: bool


def _plan(
    robot: Robot,
    frame: str,
    *,
    resolution,
    orientations,
    bounds,
    self_collision,
    obstacles,
    client,
    workers,
    seed,
    chunk,
    measure,
    part,
    length_scale,
    ik_options,
) -> _Plan:
    """Validate the arguments of :func:`reachability` and lay out its chunks."""
    if not isinstance(robot, Robot):
        raise InvalidValueError(f"reachability needs a kinejac.Robot, got {type(robot).__name__}")
    robot.frame_id(frame)
    collision = _collision_options(self_collision, obstacles, client, workers)
    resolution = positive("resolution", resolution)
    R = _check_orientations(orientations)
    seed = positive("seed", seed, integer=True, zero=True)
    chunk = positive("chunk", chunk, integer=True)
    _check_measure(measure)
    _task(part, length_scale)  # validates part and length_scale
    if not isinstance(ik_options, (dict, type(None))):
        raise InvalidValueError(f"ik_options must be a dict of IKSolver options, got {type(ik_options).__name__}")
    options = {**IK_DEFAULTS, **(ik_options or {}), **collision}
    from .ik import IKSolver

    IKSolver(robot, frame, **options)  # validates the options here rather than in every worker
    centre, radius = _reach(robot, frame)
    b = _check_bounds(bounds, centre, radius, robot, frame)
    k_lo, shape = _lattice(b, resolution)
    centres = _centres(k_lo, shape, resolution)
    tol = float(options.get("position_tolerance", 1e-6))
    candidate = np.linalg.norm(centres - centre, axis=1) <= radius + tol + 1e-12 * max(1.0, radius)
    cand_idx = np.flatnonzero(candidate)
    n_chunks = -(-len(cand_idx) // chunk)

    source = robot.source
    if source is None and (client is not None or (workers is not None and workers > 1)):
        raise KinejacError(
            f"robot {robot.name!r} was built from a pinocchio Model, so it cannot travel to other processes "
            "(they rebuild robots from URDF text): load it with kinejac.load, or use workers=1"
        )
    in_process = source is None or workers == 1
    payload = {
        "robot": robot if in_process else None,
        "source": source,
        "frame": frame,
        "candidates": centres[cand_idx],
        "rotations": R,
        "seed": seed,
        "chunk": chunk,
        "ik_options": options,
        "measure": measure,
        "part": part,
        "length_scale": float(length_scale),
    }
    identity = {
        "kind": "reachability",
        "robot": source.key if source is not None else robot.name,
        "frame": frame,
        "resolution": resolution,
        "voxels": [k_lo.tolist(), shape.tolist()],
        "orientations": "position" if R is None else job_digest(R),
        "candidates": job_digest(centres[cand_idx]),
        "seed": seed,
        "chunk": chunk,
        "ik_options": json.loads(json.dumps(options, sort_keys=True, default=str)),
        "measure": measure,
        "part": _part_label(part),
        "length_scale": float(length_scale),
    }
    sizes = [min(chunk, len(cand_idx) - i * chunk) for i in range(n_chunks)]
    return _Plan(
        payload=payload,
        identity=identity,
        n_chunks=n_chunks,
        sizes=sizes,
        centres=centres,
        cand_idx=cand_idx,
        candidate=candidate,
        rotations=R,
        bounds=b,
        k_lo=k_lo,
        shape=shape,
        centre=centre,
        radius=radius,
        in_process=in_process,
    )


def reachability(
    robot: Robot,
    frame: str,
    *,
    resolution: float = 0.05,
    orientations: int | str | np.ndarray = 50,
    bounds=None,
    self_collision: bool = False,
    obstacles=(),
    client=None,
    workers: int | None = None,
    checkpoint: str | Path | None = None,
    seed: int = 0,
    chunk: int = 64,
    measure: str = "yoshikawa",
    part="full",
    length_scale: float = 1.0,
    ik_options: dict | None = None,
    progress: bool | None = None,
) -> ReachabilityMap:
    """Build the reachability map of ``frame`` (see the module docstring for the construction).

    Args:
        robot, frame: the robot (fixed base) and the frame whose poses are mapped.
        resolution: [m] voxel side (> 0).
        orientations: how many orientations per voxel (>= 1, a super-Fibonacci set), an array
            ``(M, 3, 3)`` of rotations, or ``"position"`` for a position-only map.
        bounds: ``[[xmin, ymin, zmin], [xmax, ymax, zmax]]`` [m] (default: the reach sphere's box).
        self_collision, obstacles: count an orientation as reached only with a collision-free answer
            (collision-aware IK, :mod:`kinejac.ik.avoidance`); such maps run in this process
            (``workers=1``).
        client: a ``dask.distributed.Client`` or a scheduler address; workers: local processes
            (default: every core; 1: this process). A robot built from a pinocchio ``Model`` (no
            ``robot.source``) runs in this process unless ``client``/``workers`` asks otherwise,
            which then raises.
        checkpoint: folder where chunks are written as they finish; rerunning resumes.
        seed: non-negative integer; chunk ``i`` is seeded from ``(seed, i)``.
        chunk: candidate voxels per chunk (fixes the work split, whatever runs it).
        measure, part, length_scale: the manipulability recorded (as in :func:`kinejac.manipulability`).
        ik_options: :class:`kinejac.IKSolver` options over :data:`IK_DEFAULTS` (method ``"lm"``,
            the batched solver, is what makes maps fast).
        progress: progress bar on stderr (default: when stderr is a terminal).

    Ctrl-C returns the map computed so far with ``complete=False`` (a ``RuntimeWarning`` says so).
    """
    plan = _plan(
        robot,
        frame,
        resolution=resolution,
        orientations=orientations,
        bounds=bounds,
        self_collision=self_collision,
        obstacles=obstacles,
        client=client,
        workers=workers,
        seed=seed,
        chunk=chunk,
        measure=measure,
        part=part,
        length_scale=length_scale,
        ik_options=ik_options,
    )
    R, cand_idx, chunk = plan.rotations, plan.cand_idx, plan.payload["chunk"]
    N = len(plan.centres)
    run = run_chunks(
        _map_chunk,
        plan.payload,
        plan.n_chunks,
        client=client,
        workers=1 if plan.in_process else workers,
        checkpoint=checkpoint,
        identity=plan.identity,
        progress=progress,
        sizes=plan.sizes,
        label="reachability",
    )
    M = 1 if R is None else len(R)
    reached = np.zeros((N, M), dtype=bool)
    manip = np.full(N, np.nan)
    configs = np.full((N, robot.nq), np.nan)
    computed = ~plan.candidate
    for i, out in run.results.items():
        rows = cand_idx[i * chunk : (i + 1) * chunk]
        reached[rows], manip[rows], configs[rows] = out["reached"], out["manipulability"], out["configurations"]
        computed[rows] = True
    if not run.complete:
        warnings.warn(
            f"reachability map interrupted: {len(run.results)} of {plan.n_chunks} chunks computed "
            "(ReachabilityMap.complete is False; voxels not computed have index NaN)",
            RuntimeWarning,
            stacklevel=2,
        )
    return ReachabilityMap(
        centres=plan.centres,
        reached=reached,
        manipulability=manip,
        configurations=configs,
        orientations=R,
        computed=computed,
        resolution=plan.identity["resolution"],
        bounds=plan.bounds,
        lattice_origin=plan.k_lo,
        shape=plan.shape,
        reach_centre=plan.centre,
        reach_radius=plan.radius,
        robot=robot.name,
        frame=frame,
        source=robot.source,
        measure=measure,
        part=plan.identity["part"],
        length_scale=plan.identity["length_scale"],
        seed=plan.identity["seed"],
        chunk=chunk,
        ik_options=plan.identity["ik_options"],
        complete=run.complete,
    )
