"""The commands that sample or check many configurations: workspace, reachability, collisions, srdf."""

from __future__ import annotations

import argparse
import collections
import sys
import time
from typing import Any, cast

import numpy as np

from ..analysis.workspace_map import workspace as workspace_map
from ..collision.checking import Clearance, CollisionChecker
from ..collision.obstacles import load_scene
from ..collision.pairs import check_samples, generate_disabled_pairs, write_srdf
from ..errors import KinejacError
from ..reachability.build import reachability as reachability_map
from .inputs import configuration, load_robot, note, output_path, positive, require_collision_geometry, scheduler
from .pairs_cache import prepare_disabled_pairs
from .reports import EXIT_NEGATIVE, EXIT_OK, CollisionsReport, ReachabilityReport, SrdfReport, WorkspaceReport

__all__ = ["collisions", "reachability", "srdf", "workspace"]


def _check_png(args: argparse.Namespace) -> None:
    """``--png`` can be written: its folder exists and matplotlib imports (checked before the sampling,
    which can take minutes)."""
    output_path(args.png, "--png")
    try:
        import matplotlib.backends.backend_agg  # noqa: F401
    except ImportError as exc:
        raise KinejacError(
            f"--png needs matplotlib, which cannot be imported ({exc}): pip install matplotlib (nothing was computed)"
        ) from None


def _map_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options workspace and reachability pass alike: measure, part, chunk, progress, where to run."""
    return {
        "measure": args.measure,
        "part": args.part,
        "chunk": args.chunk,
        "progress": sys.stderr.isatty() and not args.no_progress,
        "client": scheduler(args),
        "workers": args.workers,
    }


def workspace(args: argparse.Namespace) -> WorkspaceReport:
    robot = load_robot(args)
    robot.frame_id(args.frame)
    positive(args.samples, "--samples")
    out = output_path(args.out, "--out")
    if args.png:
        _check_png(args)
    if args.self_collision:
        prepare_disabled_pairs(robot, args)
    ws = workspace_map(
        robot,
        args.frame,
        samples=args.samples,
        rng=args.seed,
        self_collision=args.self_collision,
        obstacles=args.obstacles or (),
        **_map_options(args),
    )
    written = ws.save(out)
    png = ws.plot_png(args.png, plane=args.plane) if args.png else None
    w = ws.manipulability
    best = int(ws.best(1)[0])
    return WorkspaceReport(
        robot,
        frame=args.frame,
        samples=len(ws),
        rejected=ws.rejected,
        measure=ws.measure,
        part=ws.part,
        seed=args.seed,
        out=str(written),
        png=None if png is None else str(png),
        bounds={"min": ws.bounds[0], "max": ws.bounds[1]},
        manipulability={"min": w.min(), "mean": w.mean(), "median": float(np.median(w)), "max": w.max()},
        best={
            "position": ws.positions[best],
            "manipulability": w[best],
            "joints": robot.to_dict(ws.configurations[best]),
        },
        drawn=args.samples,
        filtered=bool(args.self_collision or args.obstacles),
    )


def reachability(args: argparse.Namespace) -> ReachabilityReport:
    robot = load_robot(args)
    robot.frame_id(args.frame)
    out = output_path(args.out, "--out")
    if args.png:
        _check_png(args)
    orientations = args.orientations  # a count >= 1 or "position" (checked by the parser)
    bounds = None if args.bounds is None else np.array(args.bounds, dtype=float).reshape(2, 3)
    options = _map_options(args)
    t0 = time.perf_counter()
    m = reachability_map(
        robot,
        args.frame,
        resolution=args.resolution,
        orientations=orientations,
        bounds=bounds,
        checkpoint=args.checkpoint,
        seed=args.seed,
        **options,
    )
    elapsed = time.perf_counter() - t0
    written = m.save(out)
    png = None
    if args.png:
        axis, value = args.slice
        png = m.plot_png(args.png, slice=axis if value is None else (axis, value))
    inside = np.linalg.norm(m.centres - m.reach_centre, axis=1) <= m.reach_radius
    index = m.index
    client = options["client"]
    executor = "dask " + client if client else (f"{args.workers} local processes" if args.workers else "local")
    return ReachabilityReport(
        robot,
        frame=args.frame,
        resolution=m.resolution,
        orientations="position" if m.orientations is None else len(m.orientations),
        voxels=len(m),
        shape=[int(n) for n in m.shape],
        bounds={"min": m.bounds[0], "max": m.bounds[1]},
        reachable_voxels=int((index > 0).sum()),
        mean_index=float(np.nanmean(index[inside])) if inside.any() else 0.0,
        complete=m.complete,
        executor=executor,
        time=elapsed,
        out=str(written),
        png=None if png is None else str(png),
    )


def collisions(args: argparse.Namespace) -> CollisionsReport:
    robot = load_robot(args)
    require_collision_geometry(robot)
    scene = load_scene(args.obstacles) if args.obstacles else ()
    q = configuration(robot, args)
    if not args.no_self_collision:
        prepare_disabled_pairs(robot, args)
    checker = CollisionChecker(robot, scene, self_collision=not args.no_self_collision)
    pairs = cast(list[tuple[str, str]], checker.collisions(q))  # one configuration: one list of pairs
    c = cast(Clearance, checker.clearance(q))  # and one Clearance
    clearance = {"distance": c.distance, "pair": c.pair, "point_a": c.point_a, "point_b": c.point_b}
    return CollisionsReport(
        robot,
        q,
        obstacles=list(checker.obstacle_names),
        self_collision=not args.no_self_collision,
        in_collision=bool(pairs),
        pairs=[list(p) for p in pairs],
        clearance=clearance if c.pair is not None else None,
        scene_size=len(scene),
        checked_pairs=len(checker.pairs),
        status=EXIT_NEGATIVE if pairs else EXIT_OK,
    )


def srdf(args: argparse.Namespace) -> SrdfReport:
    robot = load_robot(args)
    require_collision_geometry(robot)
    check_samples(robot, args.samples)
    out = output_path(args.out, "--out")
    note(f"sampling {args.samples} configurations of {robot.name!r} for its disabled collision pairs")
    pairs = generate_disabled_pairs(robot, samples=args.samples, seed=args.seed)
    write_srdf(robot, pairs, out)
    counts = collections.Counter(pairs.values())
    summary = {k: counts.get(k, 0) for k in ("adjacent", "never", "always")}
    return SrdfReport(robot, str(out), args.samples, args.seed, summary, len(pairs))
