"""Building a reachability map: which poses of a frame a robot can reach, voxel by voxel.

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
  SO(3) (:func:`~kinejac.reachability.grid.so3_grid`, Alexa, "Super-Fibonacci Spirals: Fast,
  Low-Discrepancy Sampling of SO(3)", CVPR 2022): deterministic and spread evenly for every ``N``.
  They are orientations of the frame in world axes, the same set in every voxel.
  ``orientations="position"`` maps positions only (any orientation; the index is then 0 or 1),
  which is what a robot with fewer than 6 DOF, such as a planar arm, can be asked for.
- Voxels farther from the first joint of the chain than the frame can go (a bound from the chain's
  offsets and joint limits, :func:`~kinejac.reachability.grid.reach_sphere`) are unreachable
  without solving anything; so are the orientations that would put the frame's joint beyond its
  own reach (:func:`~kinejac.reachability.grid.orientation_bound`). By default ``bounds`` is the
  reach sphere's box.
- IK (:mod:`kinejac.reachability.chunk`): the orientations of a voxel are one batch of
  :meth:`kinejac.IKSolver.solve_batch`; each starts from the solution of a neighbouring voxel for
  the same orientation where there is one (continuation), then makes up to ``restarts`` random
  restarts; unreached orientations next to reached ones get one more try from the neighbour's
  solution. ``restarts`` trades time for completeness (see BENCHMARKS.md for the measured
  agreement with 10 restarts). ``success`` of the solver is what "reached" means. No time budget
  applies, so the map does not depend on the load.
- The work is cut into chunks of ``chunk`` candidate voxels, each seeded from ``(seed, chunk
  index)``: the same map comes out of one process, every local core or a Dask cluster
  (:mod:`kinejac.parallel`).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._checks import check_memory, positive
from ..analysis.measures import check_measure
from ..analysis.rows import check_part
from ..collision.obstacles import as_scene
from ..errors import InvalidValueError, KinejacError
from ..ik.solvers import MAX_COUNT, IKSolver, check_options
from ..parallel import ChunkRun, job_digest, run_chunks, thread_cache, worker_robot
from ..robot import Robot
from .chunk import solve_chunk
from .grid import check_bounds, check_orientations, lattice, reach_sphere, voxel_centres, voxel_count
from .result import ReachabilityMap

__all__ = ["IK_DEFAULTS", "RESTARTS", "map_chunk", "reachability"]

#: IKSolver options of a map unless ``ik_options`` says otherwise: no time budget (determinism) and
#: no patient polish of failures (a map needs success, not the closest answer).
IK_DEFAULTS: dict = {"timeout": None, "polish": False}
#: the default of ``restarts``: random restarts per orientation after its first attempt
RESTARTS = 2
# version of the map's algorithm, part of a checkpoint's identity (2: continuation, bounds, repair)
_ALGORITHM = 2


def _part_label(part) -> str | list:
    return part if isinstance(part, str) else [str(p) if not isinstance(p, (int, np.integer)) else int(p) for p in part]


def _collision_options(self_collision, obstacles, client, workers) -> dict:
    """The IK options of a collision-aware map (empty without one); such maps run in this process."""
    if not isinstance(self_collision, (bool, np.bool_)):
        raise InvalidValueError(f"self_collision must be True or False, got {self_collision!r}")
    if isinstance(obstacles, (str, Path)):
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


def _ik_options(robot: Robot, frame: str, restarts, ik_options, collision: dict) -> dict:
    """The validated IKSolver options of a map."""
    restarts = positive("restarts", restarts, integer=True, zero=True, maximum=MAX_COUNT)
    if not isinstance(ik_options, (dict, type(None))):
        raise InvalidValueError(f"ik_options must be a dict of IKSolver options, got {type(ik_options).__name__}")
    if ik_options and "max_restarts" in ik_options:
        raise InvalidValueError(
            "ik_options: pass the restarts of a map as restarts=N, not ik_options={'max_restarts': ...} "
            f"(got max_restarts={ik_options['max_restarts']!r})"
        )
    options = {**IK_DEFAULTS, **check_options("reachability(ik_options=...)", ik_options or {}),
               "max_restarts": restarts, **collision}  # fmt: skip
    IKSolver(robot, frame, **options)  # validates the options here rather than in every worker
    return options


def _check_size(bounds: np.ndarray, resolution: float, orientations: int, nq: int, chunk: int) -> None:
    """Refuse a map whose arrays would not fit in the memory limit, before any is made: per voxel its
    centre and the lattice's temporaries (96 bytes), ``reached`` and its copy (2 per orientation),
    the best configuration (``8 nq``); per chunk the orientation bound (32 bytes per voxel and orientation)."""
    n = voxel_count(bounds, resolution)
    need = n * (96.0 + 2.0 * orientations + 8.0 * nq) + 32.0 * min(float(chunk), n) * orientations
    check_memory(need, f"a reachability map of {n:.3g} voxels x {orientations} orientations at resolution "
                 f"{resolution:g} m", "take a coarser resolution, smaller bounds or fewer orientations")  # fmt: skip


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


def _plan(robot: Robot, frame: str, *, resolution, orientations, bounds, self_collision, obstacles, client, workers,
          seed, chunk, restarts, measure, part, length_scale, ik_options) -> _Plan:  # fmt: skip
    """Validate the arguments of :func:`reachability` and lay out its chunks."""
    if not isinstance(robot, Robot):
        raise InvalidValueError(f"reachability needs a kinejac.Robot, got {type(robot).__name__}")
    if not isinstance(frame, str):
        raise InvalidValueError(f"frame must be a frame name (str), got {type(frame).__name__}")
    robot.frame_id(frame)
    collision = _collision_options(self_collision, obstacles, client, workers)
    resolution = positive("resolution", resolution)
    R = check_orientations(orientations)
    seed = positive("seed", seed, integer=True, zero=True)
    chunk = positive("chunk", chunk, integer=True)
    check_measure(measure)
    check_part(part, length_scale)  # validates part and length_scale
    options = _ik_options(robot, frame, restarts, ik_options, collision)
    centre, radius = reach_sphere(robot, frame)
    b = check_bounds(bounds, centre, radius, robot, frame)
    _check_size(b, resolution, 1 if R is None else len(R), robot.nq, chunk)
    k_lo, shape = lattice(b, resolution)
    centres = voxel_centres(k_lo, shape, resolution)
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
    payload = {"robot": robot if in_process else None, "source": source, "frame": frame, "resolution": resolution,
               "candidates": centres[cand_idx], "rotations": R, "seed": seed, "chunk": chunk, "ik_options": options,
               "measure": measure, "part": part, "length_scale": float(length_scale)}  # fmt: skip
    identity = {
        "kind": "reachability",
        "algorithm": _ALGORITHM,
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
    return _Plan(payload=payload, identity=identity, n_chunks=n_chunks, sizes=sizes, centres=centres,
                 cand_idx=cand_idx, candidate=candidate, rotations=R, bounds=b, k_lo=k_lo, shape=shape,
                 centre=centre, radius=radius, in_process=in_process)  # fmt: skip


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
    restarts: int = RESTARTS,
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
        restarts: random restarts per orientation after its first attempt (>= 0), the speed/accuracy
            knob: an orientation that cannot be reached costs all of them. With the default (2), a
            Panda map at 5 cm agrees with a map made with 10 restarts per orientation as well as two
            such maps with different seeds agree (about 99 % of the entries; BENCHMARKS.md, section
            reachability), several times faster. Continuation helps less when neighbouring voxels are
            far apart: at 25 cm the default agrees on 96 %, ``restarts=5`` on 98.5 %.
        measure, part, length_scale: the manipulability recorded (as in :func:`kinejac.manipulability`).
        ik_options: other :class:`kinejac.IKSolver` options over :data:`IK_DEFAULTS` (method ``"lm"``,
            the batched solver, is what makes maps fast).
        progress: progress bar on stderr (default: when stderr is a terminal).

    Ctrl-C returns the map computed so far with ``complete=False`` (a ``RuntimeWarning`` says so).
    """
    plan = _plan(robot, frame, resolution=resolution, orientations=orientations, bounds=bounds,
                 self_collision=self_collision, obstacles=obstacles, client=client, workers=workers, seed=seed,
                 chunk=chunk, restarts=restarts, measure=measure, part=part, length_scale=length_scale,
                 ik_options=ik_options)  # fmt: skip
    run = run_chunks(map_chunk, plan.payload, plan.n_chunks, client=client, workers=1 if plan.in_process else workers,
                     checkpoint=checkpoint, identity=plan.identity, progress=progress, sizes=plan.sizes,
                     label="reachability")  # fmt: skip
    if not run.complete:
        warnings.warn(
            f"reachability map interrupted: {len(run.results)} of {plan.n_chunks} chunks computed "
            "(ReachabilityMap.complete is False; voxels not computed have index NaN)",
            RuntimeWarning,
            stacklevel=2,
        )
    return _assemble(plan, run, robot, frame)


def _solver(robot: Robot, frame: str, options: dict) -> IKSolver:
    """An IKSolver per (robot, frame, options), private to the calling thread."""
    cache = thread_cache()
    key = ("reach-solver", id(robot), frame, json.dumps(options, sort_keys=True, default=repr))
    hit = cache.get(key)
    if hit is None or hit[0] is not robot:
        if len(cache) > 8:
            cache.clear()
        hit = cache[key] = (robot, IKSolver(robot, frame, **options))
    return hit[1]


def map_chunk(payload: dict, index: int) -> dict[str, np.ndarray]:
    """Chunk ``index`` of a map, in whatever process or thread runs it: the robot (rebuilt from its
    source once per worker thread), the IK solvers of this thread, then :func:`~.chunk.solve_chunk`."""
    robot = payload["robot"] if payload["robot"] is not None else worker_robot(payload["source"])
    frame, options = payload["frame"], payload["ik_options"]
    solver = _solver(robot, frame, options)
    local = None if payload["rotations"] is None else _solver(robot, frame, {**options, "max_restarts": 0})
    return solve_chunk(robot, (solver, local), payload, index)


def _assemble(plan: _Plan, run: ChunkRun, robot: Robot, frame: str) -> ReachabilityMap:
    """The map of the finished chunks of ``run``."""
    R, cand_idx, chunk = plan.rotations, plan.cand_idx, plan.payload["chunk"]
    N, M = len(plan.centres), 1 if R is None else len(R)
    reached = np.zeros((N, M), dtype=bool)
    manip = np.full(N, np.nan)
    configs = np.full((N, robot.nq), np.nan)
    computed = ~plan.candidate
    for i, out in run.results.items():
        rows = cand_idx[i * chunk : (i + 1) * chunk]
        reached[rows], manip[rows], configs[rows] = out["reached"], out["manipulability"], out["configurations"]
        computed[rows] = True
    ident = plan.identity
    return ReachabilityMap(
        centres=plan.centres, reached=reached, manipulability=manip, configurations=configs, orientations=R,
        computed=computed, resolution=ident["resolution"], bounds=plan.bounds, lattice_origin=plan.k_lo,
        shape=plan.shape, reach_centre=plan.centre, reach_radius=plan.radius, robot=robot.name, frame=frame,
        source=robot.source, measure=plan.payload["measure"], part=ident["part"], length_scale=ident["length_scale"],
        seed=ident["seed"], chunk=chunk, ik_options=ident["ik_options"], complete=run.complete,
    )  # fmt: skip
