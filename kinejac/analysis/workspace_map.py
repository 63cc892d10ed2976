"""Workspace analysis: where the end effector can go, and how dexterous it is there.

:func:`workspace` samples configurations uniformly within the joint limits (in chunks, so memory
stays bounded), and records the frame position and its manipulability for each one. The result,
a :class:`Workspace`, saves to and loads from ``.npz``, draws a PNG (matplotlib, a dependency
of kinejac, imported when a picture is drawn) and feeds the viewer:
``viewer.show_points(ws.positions, ws.manipulability)``. The chunks run on every core of this
machine, or on a Dask cluster (:mod:`kinejac.parallel`).
"""

from __future__ import annotations

import json
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pinocchio as pin

from .._checks import check_memory, positive
from ..errors import InvalidChoiceError, InvalidValueError, KinejacError, ShapeError
from ..parallel import ChunkRun, run_chunks, worker_robot
from ..robot import require_robot
from .measures import Measure, MeasureDefinition, check_measure, measure_values
from .rows import Part, PartRows, check_part, measurable_rank, weighted_rows

if TYPE_CHECKING:
    from ..robot import Robot

__all__ = ["Workspace", "workspace"]

_FORMAT = 1
_PLANES = {"xy": (0, 1, 2), "xz": (0, 2, 1), "yz": (1, 2, 0)}


@dataclass(frozen=True, eq=False)
class Workspace:
    """Sampled end-effector positions with their manipulability.

    Attributes:
        positions: ``(N, 3)`` [m], frame origins in world coordinates.
        manipulability: ``(N,)`` the measure at each sample (units of :func:`kinejac.manipulability`).
        configurations: ``(N, nq)`` the sampled configurations.
        robot, frame, measure, part: what was measured (``part`` as a label, e.g. ``"translation"``).
        requested: how many samples were asked for; complete: ``False`` if the run was interrupted
            and only the first ``N < requested`` samples were computed.
        rejected: how many of the drawn configurations were left out because they collide
            (``workspace(..., self_collision=True, obstacles=...)``); ``len(ws) + rejected``
            configurations were drawn.
    """

    positions: np.ndarray
    manipulability: np.ndarray
    configurations: np.ndarray
    robot: str
    frame: str
    measure: str
    part: str
    requested: int
    complete: bool = True
    rejected: int = 0

    def __len__(self) -> int:
        return self.positions.shape[0]

    def __repr__(self) -> str:
        state = "" if self.complete else f", interrupted after {len(self) + self.rejected} of {self.requested}"
        state += f", {self.rejected} in collision left out" if self.rejected else ""
        return (
            f"Workspace({self.robot!r}, frame={self.frame!r}, samples={len(self)}{state}, "
            f"measure={self.measure!r}, part={self.part!r})"
        )

    @property
    def bounds(self) -> np.ndarray:
        """``(2, 3)`` [m]: the smallest and largest reached coordinates."""
        return np.stack([self.positions.min(axis=0), self.positions.max(axis=0)])

    def best(self, k: int = 1) -> np.ndarray:
        """Indices of the ``k`` most dexterous samples, most dexterous first."""
        k = min(positive("k", k, integer=True, zero=True), len(self))
        idx = np.argpartition(-self.manipulability, k - 1)[:k] if k else np.empty(0, dtype=int)
        return idx[np.argsort(-self.manipulability[idx])]

    # -- persistence ---------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write to a compressed ``.npz`` (no pickles); returns the path written."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_suffix(path.suffix + ".npz")
        meta = {
            "format": _FORMAT,
            "robot": self.robot,
            "frame": self.frame,
            "measure": self.measure,
            "part": self.part,
            "requested": self.requested,
            "complete": self.complete,
            "rejected": self.rejected,
        }
        np.savez_compressed(
            path,
            positions=self.positions,
            manipulability=self.manipulability,
            configurations=self.configurations,
            meta=np.array(json.dumps(meta)),
        )
        return path

    @classmethod
    def load(cls, path: str | Path) -> Workspace:
        """Read a file written by :meth:`save`."""
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as f:
                meta = json.loads(str(f["meta"]))
                arrays = {k: np.array(f[k]) for k in ("positions", "manipulability", "configurations")}
        except FileNotFoundError:
            raise
        except (KeyError, ValueError, OSError) as exc:
            raise KinejacError(f"{path} is not a kinejac workspace file: {exc}") from exc
        if meta.get("format") != _FORMAT:
            raise KinejacError(f"{path}: unsupported workspace file format {meta.get('format')!r} (expected {_FORMAT})")
        n = arrays["positions"].shape[0]
        shapes_ok = arrays["positions"].shape == (n, 3) and arrays["manipulability"].shape == (n,)
        if not shapes_ok or arrays["configurations"].ndim != 2 or arrays["configurations"].shape[0] != n:
            raise ShapeError(f"{path}: inconsistent array shapes {[a.shape for a in arrays.values()]}")
        missing = [k for k in ("robot", "frame", "measure", "part", "requested", "complete") if k not in meta]
        if missing:
            raise KinejacError(f"{path} is not a kinejac workspace file: its metadata lacks {', '.join(missing)}")
        return cls(
            **arrays,
            robot=meta["robot"],
            frame=meta["frame"],
            measure=meta["measure"],
            part=meta["part"],
            requested=int(meta["requested"]),
            complete=bool(meta["complete"]),
            rejected=int(meta.get("rejected", 0)),
        )

    # -- pictures ------------------------------------------------------------------------------
    def plot_png(
        self,
        path: str | Path,
        *,
        plane: str = "xy",
        mode: str = "projection",
        at: float | None = None,
        thickness: float = 0.05,
        cmap: str = "viridis",
        dpi: int = 150,
    ) -> Path:
        """Draw the samples coloured by manipulability into a PNG; returns the path.

        ``plane``: ``"xy"``, ``"xz"`` or ``"yz"``. ``mode="projection"`` draws every sample
        projected onto the plane (the most dexterous drawn on top); ``mode="slice"`` only those
        within ``thickness/2`` [m] of ``at`` [m] along the third axis (default: the median).
        Uses matplotlib (installed with kinejac; imported here, not by ``import kinejac``).
        """
        if plane not in _PLANES:
            raise InvalidChoiceError("plane", plane, tuple(_PLANES))
        if mode not in ("projection", "slice"):
            raise InvalidChoiceError("plot mode", mode, ("projection", "slice"))
        try:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
        except ImportError as exc:
            raise KinejacError(
                f"Workspace.plot_png needs matplotlib, which cannot be imported ({exc}): pip install matplotlib"
            ) from exc
        a, b, c = _PLANES[plane]
        P, w = self.positions, self.manipulability
        title = f"{self.robot} {self.frame}: {self.measure} ({self.part}), {len(self)} samples"
        if mode == "slice":
            if not (np.isfinite(thickness) and thickness > 0):
                raise InvalidValueError(f"thickness must be a positive length [m], got {thickness!r}")
            at = float(np.median(P[:, c])) if at is None and len(self) else float(at or 0.0)
            keep = np.abs(P[:, c] - at) <= thickness / 2
            P, w = P[keep], w[keep]
            title += f"\nslice {'xyz'[c]} = {at:.3f} ± {thickness / 2:.3f} m ({len(w)} samples)"
        order = np.argsort(w, kind="stable")
        fig = Figure(figsize=(6.4, 5.6))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        sc = ax.scatter(P[order, a], P[order, b], c=w[order], s=4, cmap=cmap, linewidths=0)
        fig.colorbar(sc, ax=ax, label=f"{self.measure} manipulability ({self.part})")
        ax.set_xlabel(f"{'xyz'[a]} [m]")
        ax.set_ylabel(f"{'xyz'[b]} [m]")
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_title(title, fontsize=9)
        path = Path(path)
        fig.savefig(path, dpi=dpi, format="png")
        return path


def _chunk(
    robot: Robot, Q: np.ndarray, fid: int, rows: PartRows, definition: MeasureDefinition, r: int
) -> tuple[np.ndarray, np.ndarray]:
    """Positions ``(n, 3)`` and measures ``(n,)`` of ``Q (n, nq)``: one kinematics pass per configuration."""
    model, data = robot.model, robot.data
    J = np.empty((Q.shape[0], 6, robot.nv))
    P = np.empty((Q.shape[0], 3))
    ref = pin.ReferenceFrame.LOCAL_WORLD_ALIGNED
    for i, qi in enumerate(Q):
        J[i] = pin.computeFrameJacobian(model, data, qi, fid, ref)  # also updates data.oMf[fid]
        P[i] = data.oMf[fid].translation
    A, _ = weighted_rows(robot, Q, J, rows, definition.inertia_weighted)
    return P, measure_values(A, r, definition)


def _workspace_chunk(payload: dict, index: int) -> dict[str, np.ndarray]:
    """Positions and measures of chunk ``index`` of the configurations in ``payload`` (those that
    pass the collision check, if asked: ``kept`` marks them)."""
    robot = payload["robot"] if payload["robot"] is not None else worker_robot(payload["source"])
    size = payload["chunk"]
    Q = payload["configurations"][index * size : (index + 1) * size]
    kept = np.ones(len(Q), dtype=bool)
    if payload["self_collision"] or payload["obstacles"]:
        from ..collision.checking import checker

        kept = ~np.asarray(checker(robot, payload["obstacles"], payload["self_collision"]).in_collision(Q))
        Q = Q[kept]
    rows = check_part(payload["part"], payload["length_scale"])
    fid = robot.frame_id(payload["frame"])
    P, w = np.empty((0, 3)), np.empty(0)
    if len(Q):
        P, w = _chunk(robot, Q, fid, rows, check_measure(payload["measure"]), payload["rank"])
    return {"positions": P, "manipulability": w, "kept": kept}


def workspace(
    robot: Robot,
    frame: str,
    samples: int = 10_000,
    rng: np.random.Generator | int | None = None,
    measure: Measure = "yoshikawa",
    part: Part = "full",
    *,
    length_scale: float = 1.0,
    chunk: int = 10_000,
    progress: bool | None = None,
    self_collision: bool = False,
    obstacles=(),
    client=None,
    workers: int | None = None,
) -> Workspace:
    """Sample ``samples`` configurations uniformly within the limits and measure each one.

    Args:
        robot, frame: the robot and the frame whose workspace is wanted.
        samples: number of configurations; rng: numpy ``Generator`` or seed (same seed and
            ``chunk`` give the same samples, whatever runs the chunks).
        measure, part, length_scale: as in :func:`~kinejac.analysis.measures.manipulability`.
        chunk: configurations per chunk (bounds the memory of the intermediate Jacobians; the unit
            of work sent to a process).
        progress: draw a progress bar on stderr; ``None`` (default) draws it only when stderr is a
            terminal and the run has more than one chunk.
        self_collision, obstacles: leave out the drawn configurations that self-collide (pairs not in
            ``robot.disabled_pairs``) or touch an obstacle (a scene: list of obstacles or JSON path),
            by the exact check of :func:`kinejac.collisions`; ``Workspace.rejected`` counts them.
        client: a ``dask.distributed.Client`` or a scheduler address: the chunks run on that cluster.
        workers: local processes when ``client`` is ``None`` (default: every core of this machine;
            1: this process). A run of one chunk, and a robot built from a pinocchio ``Model``
            (no ``robot.source``) unless ``client``/``workers`` asks otherwise, run in this process.

    The configurations are drawn here, in order, so the samples do not depend on who computes them.
    Returns a :class:`Workspace`. On ``KeyboardInterrupt`` (Ctrl-C) returns the samples of the
    finished chunks with ``complete=False`` and a ``RuntimeWarning`` saying so.
    """
    require_robot(robot, "workspace")
    check_measure(measure)
    rows = check_part(part, length_scale)
    samples, chunk = positive("samples", samples, integer=True), positive("chunk", chunk, integer=True)
    check_memory(samples * (16.0 * robot.nq + 64.0) + 256.0 * samples / chunk, f"{samples} samples", "take fewer")
    robot.frame_id(frame)
    r = measurable_rank(robot, frame, rows.rows)
    rng = np.random.default_rng(rng)
    n_chunks = -(-samples // chunk)
    sizes = [min(chunk, samples - i * chunk) for i in range(n_chunks)]
    configurations = np.concatenate([robot.random_configuration(rng, size=n) for n in sizes])
    in_process = _in_process(robot, client, workers, n_chunks)
    payload = {
        "robot": robot if in_process else None,
        "source": robot.source,
        "frame": frame,
        "configurations": configurations,
        "chunk": chunk,
        "measure": measure,
        "part": part,
        "length_scale": float(length_scale),
        "rank": r,
        "self_collision": bool(self_collision),
        "obstacles": obstacles if isinstance(obstacles, (str, Path)) else tuple(obstacles or ()),
    }
    if progress is None:
        progress = n_chunks > 1 and sys.stderr.isatty()
    run = run_chunks(
        _workspace_chunk,
        payload,
        n_chunks,
        client=client,
        workers=1 if in_process else workers,
        progress=progress,
        sizes=sizes,
        label="workspace",
    )
    samples_found = _gather(run, configurations, sizes, chunk)
    return Workspace(
        **samples_found, robot=robot.name, frame=frame, measure=measure, part=rows.label, requested=samples
    )


def _in_process(robot: Robot, client, workers: int | None, n_chunks: int) -> bool:
    """Whether the chunks run in this process; raises when a robot without a URDF source would have
    to travel to other processes."""
    if robot.source is None and (client is not None or (workers is not None and workers > 1)):
        raise KinejacError(
            f"robot {robot.name!r} was built from a pinocchio Model, so it cannot travel to other processes "
            "(they rebuild robots from URDF text): load it with kinejac.load, or use workers=1"
        )
    return client is None and (robot.source is None or workers == 1 or n_chunks == 1)


def _gather(run: ChunkRun, configurations: np.ndarray, sizes: list[int], chunk: int) -> dict:
    """The finished chunks of ``run``, in order, as the sample fields of a :class:`Workspace`
    (``positions``, ``manipulability``, ``configurations``, ``rejected``, ``complete``). Warns
    (``RuntimeWarning``, attributed to the caller of :func:`workspace`) when the run was interrupted."""
    done = sorted(run.results)
    if not run.complete:
        warnings.warn(
            f"workspace sampling interrupted: returning the {sum(sizes[i] for i in done)} of {sum(sizes)} samples "
            "computed so far (Workspace.complete is False)",
            RuntimeWarning,
            stacklevel=3,
        )
    if not done:
        kept, positions, values = np.zeros(0, int), np.empty((0, 3)), np.empty(0)
    else:
        kept = np.concatenate([np.arange(i * chunk, i * chunk + sizes[i])[run.results[i]["kept"]] for i in done])
        positions = np.concatenate([run.results[i]["positions"] for i in done])
        values = np.concatenate([run.results[i]["manipulability"] for i in done])
    return {
        "positions": positions,
        "manipulability": values,
        "configurations": configurations[kept],
        "rejected": sum(int((~run.results[i]["kept"]).sum()) for i in done),
        "complete": run.complete,
    }
