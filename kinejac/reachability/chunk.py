"""One chunk of a reachability map: IK for a run of consecutive voxels (the unit of parallel work).

A chunk holds ``chunk`` candidate voxels in lattice order (x slowest, z fastest) and depends only on
the payload and its index, so the map is the same whoever computes it (:mod:`kinejac.parallel`).
:func:`solve_chunk` is given the IK solvers (:func:`kinejac.reachability.build.map_chunk` makes
them, one set per thread), so this module knows how a chunk is solved, not how solvers are built.

For an orientation map, each voxel's orientations are solved as one batch (:meth:`IKSolver.solve_batch`,
one thread):

1. Orientations that :func:`~kinejac.reachability.grid.orientation_bound` rules out are not solved.
2. Continuation: orientation ``m`` of a voxel starts from the configuration that reached
   orientation ``m`` at a neighbouring voxel solved before it (the ``-z``, then ``-y``, then ``-x``
   neighbour), or from the middle of the limits without one; then up to ``max_restarts`` seeded
   random restarts. The voxels are solved in waves (:func:`_waves`): a voxel comes one wave after
   the latest of its earlier neighbours, and a wave is one batch (restart streams ``(chunk seed,
   wave)``).
3. Repair: an orientation still unreached whose neighbour (any of the six) reached it is tried once
   more from that neighbour's configuration, without restarts, while such tries keep succeeding
   (at most :data:`REPAIR_PASSES` rounds). A starting point close to a solution is what random
   restarts mostly fail to find near the boundary of the reachable set.

A position map (``rotations`` is ``None``) solves one position target per voxel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..analysis.measures import manipulability
from .grid import orientation_bound

if TYPE_CHECKING:
    from ..ik.solvers import IKSolver
    from ..robot import Robot

__all__ = ["REPAIR_PASSES", "chunk_seed", "solve_chunk"]

#: rounds of the repair step at most (each tries only what the previous one newly reached)
REPAIR_PASSES = 4
# lattice steps to the neighbours: the three visited before a voxel in lattice order, then the others
_STEPS = np.array([(0, 0, -1), (0, -1, 0), (-1, 0, 0), (0, 0, 1), (0, 1, 0), (1, 0, 0)])


def chunk_seed(seed: int, index: int) -> int:
    """The seed of chunk ``index`` of a map seeded with ``seed``."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1, np.uint64)[0] >> np.uint64(1))


def solve_chunk(
    robot: Robot, solvers: tuple[IKSolver, IKSolver | None], payload: dict, index: int
) -> dict[str, np.ndarray]:
    """Chunk ``index`` of a map: ``reached (n, M)``, best ``manipulability (n,)`` and ``configurations (n, nq)``.

    ``solvers``: an :class:`~kinejac.IKSolver` of the map's options (``payload["ik_options"]``) and,
    for an orientation map, the same without restarts (the repair step), else ``None``.
    """
    frame, size = payload["frame"], payload["chunk"]
    P = payload["candidates"][index * size : (index + 1) * size]  # (n, 3) [m]
    seed = chunk_seed(payload["seed"], index)
    solver, local = solvers
    if payload["rotations"] is None:  # position only: one target per voxel
        Q = np.empty((len(P), 1, robot.nq))
        reached = np.zeros((len(P), 1), dtype=bool)
        for j, p in enumerate(P):
            res = solver.solve(p, seed=(seed, j))
            reached[j, 0], Q[j, 0] = res.success, res.q
    else:
        reached, Q = _orientations(robot, frame, (solver, local), P, payload["rotations"], payload["resolution"], seed)
    return _best(robot, frame, payload, reached, Q)


def _start(robot: Robot) -> np.ndarray:
    """The solver's default start: the middle of the limits where both are finite, neutral elsewhere."""
    q, finite = robot.neutral(), np.isfinite(robot.lower) & np.isfinite(robot.upper)
    q[finite] = 0.5 * (robot.lower[finite] + robot.upper[finite])
    return q


def _neighbours(P: np.ndarray, resolution: float) -> np.ndarray:
    """``(n, 6)`` the chunk's voxel at each step of ``_STEPS`` from voxel ``j``, or -1."""
    k = np.floor(P / resolution + 0.5).astype(np.int64)
    where = {tuple(row): j for j, row in enumerate(k.tolist())}
    return np.array([[where.get(tuple(row), -1) for row in (kj + _STEPS).tolist()] for kj in k], dtype=np.int64)


def _waves(near: np.ndarray) -> np.ndarray:
    """``(n,)`` the wave of each voxel: one more than the latest of its earlier neighbours (0 without
    one). The voxels of a wave depend on nothing in it, so they are solved in one batch."""
    wave = np.zeros(len(near), dtype=np.int64)
    for j, earlier in enumerate(near[:, :3].tolist()):
        prev = [wave[nb] for nb in earlier if nb >= 0]
        wave[j] = 1 + max(prev) if prev else 0
    return wave


def _orientations(robot, frame, solvers, P, R, resolution, seed) -> tuple[np.ndarray, np.ndarray]:
    """``reached (n, M)`` and configurations ``(n, M, nq)`` of an orientation chunk (module docstring)."""
    solver, local = solvers
    n, M, nq = len(P), len(R), robot.nq
    T = np.zeros((n, M, 4, 4))
    T[:, :, :3, :3] = R[None]
    T[:, :, :3, 3] = P[:, None, :]
    T[:, :, 3, 3] = 1.0
    possible = orientation_bound(robot, frame, P, R)
    near = _neighbours(P, resolution)
    reached = np.zeros((n, M), dtype=bool)
    Q = np.zeros((n, M, nq))
    tried = np.full((n, M), -1, dtype=np.int64)  # the neighbour whose configuration the solve started from
    start = _start(robot)
    wave = _waves(near)
    for w in range(int(wave.max(initial=-1)) + 1):
        v, o = np.nonzero(possible & (wave == w)[:, None])  # voxels and orientations of this wave
        if not len(v):
            continue
        Q0 = np.tile(start, (len(v), 1))
        for step in range(3):  # the earlier neighbours, in the order of _STEPS
            nb = near[v, step]
            use = (nb >= 0) & reached[np.maximum(nb, 0), o] & (tried[v, o] < 0)
            Q0[use], tried[v[use], o[use]] = Q[nb[use], o[use]], nb[use]
        res = solver.solve_batch(T[v, o], q0=Q0, seed=(seed, w), threads=1)
        reached[v, o], Q[v, o] = res.success, res.q
    _repair(local, T, possible, near, reached, Q, tried, seed)
    return reached, Q


def _repair(local, T, possible, near, reached, Q, tried, seed) -> None:
    """Step 3 of the module docstring, in place on ``reached``, ``Q`` and ``tried``."""
    fresh = reached.copy()  # reached in the previous round: the configurations to start from
    for _ in range(REPAIR_PASSES):
        source = np.full(reached.shape, -1, dtype=np.int64)
        for step in range(len(_STEPS)):
            nb = near[:, step, None]  # (n, 1)
            use = (nb >= 0) & fresh[np.maximum(nb[:, 0], 0)] & possible & ~reached & (tried != nb) & (source < 0)
            source[use] = np.broadcast_to(nb, source.shape)[use]
        v, o = np.nonzero(source >= 0)
        if not len(v):
            return
        s = source[v, o]
        res = local.solve_batch(T[v, o], q0=Q[s, o], seed=seed, threads=1)
        tried[v, o] = s
        ok = np.asarray(res.success, dtype=bool)
        fresh = np.zeros_like(reached)
        fresh[v[ok], o[ok]] = True
        reached[v[ok], o[ok]] = True
        Q[v[ok], o[ok]] = res.q[ok]
        if not ok.any():
            return


def _best(robot: Robot, frame: str, payload: dict, reached: np.ndarray, Q: np.ndarray) -> dict[str, np.ndarray]:
    """The chunk's result: ``reached``, and per voxel the best manipulability over the reached
    orientations and the configuration achieving it (``NaN`` where none)."""
    n, nq = reached.shape[0], robot.nq
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
    any_ = np.asarray(reached.any(axis=1), dtype=bool)
    rows = np.arange(n)
    best_w = np.where(any_, w[rows, best], np.nan)
    best_q = np.where(any_[:, None], Q[rows, best], np.nan)
    return {"reached": reached, "manipulability": best_w, "configurations": best_q}
