"""Benchmark reachability maps: IK solves per second on one core, on every core of this machine
(a process pool) and on a two-worker Dask LocalCluster, for the Panda map at 5 cm with 50
orientations over its reach.

The three executors run the same sample of the map's chunks (evenly spread over the map, so easy
and hard regions are both in it), after a warm-up (imports, robots rebuilt on the workers), in
alternating rounds keeping each one's best; the ratios between them are what to trust on a shared
machine. The time of the whole map is extrapolated from the all-cores rate unless
``--full`` builds it. Prints by default; ``--write`` writes the ``reachability`` section of
BENCHMARKS.md. Usage: ``python scripts/bench_reachability.py [--chunks 16] [--full] [--write]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
from _bench import write_section

import kinejac
from kinejac import reachability_map as rm
from kinejac.parallel import local_workers, run_chunks

GOALS = {"speedup_2_cores": 1.8, "dask_overhead": 0.10, "whole_map_s": 30.0}
# Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536, which also freezes glibc's mmap threshold
# at 128 KiB: every numpy temporary above it is then a fresh mmap. A larger mmap threshold undoes that.
MMAP_THRESHOLD = 32 * 2**20


def _timed(plan, indices, **where) -> tuple[float, dict]:
    t0 = time.perf_counter()
    run = run_chunks(rm._map_chunk, plan.payload, plan.n_chunks, indices=indices, label="bench", **where)
    return time.perf_counter() - t0, run.results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resolution", type=float, default=0.05, help="[m] voxel side (default 0.05)")
    parser.add_argument("--orientations", type=int, default=50, help="orientations per voxel (default 50)")
    parser.add_argument("--chunks", type=int, default=16, help="chunks of the map timed per executor (default 16)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the executors (default 3)")
    parser.add_argument("--full", action="store_true", help="also build the whole map on every core")
    parser.add_argument("--write", action="store_true", help="write the section of BENCHMARKS.md")
    args = parser.parse_args(argv)

    load_before = os.getloadavg()
    robot = kinejac.load("panda", locked_joints=["panda_finger_joint1"])
    frame = "panda_hand_tcp"
    common = dict(
        resolution=args.resolution, orientations=args.orientations, bounds=None, self_collision=False, obstacles=(),
        seed=0, chunk=64, measure="yoshikawa", part="full", length_scale=1.0, ik_options=None,
    )  # fmt: skip
    plan = rm._plan(robot, frame, client=None, workers=None, **common)
    plan_1 = rm._plan(robot, frame, client=None, workers=1, **common)  # the robot object, in this process
    M = args.orientations
    total_solves = len(plan.cand_idx) * M
    indices = np.unique(np.linspace(0, plan.n_chunks - 1, min(args.chunks, plan.n_chunks)).round().astype(int))
    solves = sum(plan.sizes[i] for i in indices) * M
    cores = local_workers()
    print(
        f"Panda {frame}: {len(plan.centres)} voxels of {args.resolution:g} m, {len(plan.cand_idx)} within reach, "
        f"{M} orientations: {total_solves:,} IK solves in {plan.n_chunks} chunks; timing {len(indices)} chunks "
        f"({solves:,} solves) per executor; {cores} cores; load average {load_before[0]:.2f}"
    )
    from dask.distributed import Client, LocalCluster

    def cluster(env: dict | None):
        """A 2-worker LocalCluster; ``env`` goes into the workers' environment (they read it at start)."""
        old = {k: os.environ.get(k) for k in env or {}}
        os.environ.update(env or {})
        try:
            return LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None)
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k)
                else:
                    os.environ[k] = v

    t1 = tp = td = tt = float("inf")
    with (
        cluster(None) as plain,
        Client(plain) as client,
        cluster({"MALLOC_MMAP_THRESHOLD_": str(MMAP_THRESHOLD)}) as tuned,
        Client(tuned) as client_t,
    ):
        # warm-up: imports, robots rebuilt from their URDF text, IK solvers (every worker gets a chunk)
        _timed(plan_1, indices[:1], workers=1)
        _timed(plan, indices[:2], client=client)
        _timed(plan, indices[:2], client=client_t)
        for r in range(args.rounds):  # the executors in alternation; the best round of each is kept
            t, r1 = _timed(plan_1, indices, workers=1)
            t1 = min(t1, t)
            t, rp = _timed(plan, indices, workers=cores)
            tp = min(tp, t)
            t, rd = _timed(plan, indices, client=client)
            td = min(td, t)
            t, rt = _timed(plan, indices, client=client_t)
            tt = min(tt, t)
            print(f"  round {r + 1} (best so far): 1 core {solves / t1:7.0f}, {cores} cores {solves / tp:7.0f}, "
                  f"Dask {solves / td:7.0f}, Dask tuned {solves / tt:7.0f} solves/s; "
                  f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    print(f"  1 core (this process)   {t1:7.2f} s  {solves / t1:9.0f} solves/s")
    print(f"  {cores} cores (process pool) {tp:7.2f} s  {solves / tp:9.0f} solves/s")
    print(f"  Dask, 2 workers          {td:7.2f} s  {solves / td:9.0f} solves/s")
    print(f"  Dask, 2 workers, tuned   {tt:7.2f} s  {solves / tt:9.0f} solves/s")
    same = all(np.array_equal(r1[i]["reached"], r[i]["reached"]) for r in (rp, rd, rt) for i in indices)
    speedup = t1 / tp
    overhead = td / tp - 1
    overhead_t = tt / tp - 1
    whole = total_solves / (solves / tp)
    full_time = None
    if args.full:
        t0 = time.perf_counter()
        m = kinejac.reachability(robot, frame, progress=True, **{k: common[k] for k in ("resolution", "orientations")})
        full_time = time.perf_counter() - t0
        print(f"  whole map on {cores} cores: {full_time:.1f} s, {m}")
    load_after = os.getloadavg()
    reached = np.mean(np.concatenate([r1[i]["reached"].ravel() for i in indices]))

    def verdict(ok: bool) -> str:
        return "met" if ok else "**not met**"

    whole_s = full_time if full_time is not None else whole
    whole_how = "built" if full_time is not None else f"extrapolated from the {cores}-core rate"
    rows = [
        "| executor | time [s] | IK solves/s | ratio to 1 core |",
        "|---|---|---|---|",
        f"| 1 core (this process) | {t1:.2f} | {solves / t1:,.0f} | 1.00 |",
        f"| {cores} cores (process pool) | {tp:.2f} | {solves / tp:,.0f} | {speedup:.2f} |",
        f"| Dask LocalCluster, 2 worker processes | {td:.2f} | {solves / td:,.0f} | {t1 / td:.2f} |",
        f"| the same, workers started with `MALLOC_MMAP_THRESHOLD_={MMAP_THRESHOLD}` | {tt:.2f} | "
        f"{solves / tt:,.0f} | {t1 / tt:.2f} |",
    ]
    section = "\n".join(
        [
            "## Reachability maps (`scripts/bench_reachability.py`)",
            "",
            f"Panda `{frame}`, {args.resolution:g} m voxels over its reach ({len(plan.cand_idx):,} voxels within the",
            f"reach sphere), {M} super-Fibonacci orientations: {total_solves:,} IK solves in {plan.n_chunks} chunks.",
            f"Each executor ran the same {len(indices)} chunks spread over the map ({solves:,} solves, "
            f"{100 * reached:.0f} % reached), after a warm-up, in {args.rounds} alternating rounds (best kept); "
            f"identical results from all executors: {same}.",
            "",
            *rows,
            "",
            f"- speed-up from 1 to {cores} cores: {speedup:.2f}x (goal >= {GOALS['speedup_2_cores']}x: "
            f"{verdict(speedup >= GOALS['speedup_2_cores'])})",
            f"- Dask overhead against the local pool: {100 * overhead:+.1f} % with Dask's default worker "
            f"environment, {100 * overhead_t:+.1f} % with `MALLOC_MMAP_THRESHOLD_` set (goal <= "
            f"{100 * GOALS['dask_overhead']:.0f} %: {verdict(overhead <= GOALS['dask_overhead'])} / "
            f"{verdict(overhead_t <= GOALS['dask_overhead'])}). Dask's nanny starts workers with "
            "`MALLOC_TRIM_THRESHOLD_=65536`, which freezes glibc's mmap threshold at 128 KiB, so every "
            "numpy temporary of the batched IK above that size is a fresh `mmap`; see README.",
            f"- whole map: {whole_s:.0f} s, {whole_how} (goal <= {GOALS['whole_map_s']:.0f} s: "
            f"{verdict(whole_s <= GOALS['whole_map_s'])})",
            "",
            f"Machine: {cores} cores ({platform.processor() or platform.machine()}), shared with other jobs: load "
            f"average {load_before[0]:.2f} before and {load_after[0]:.2f} after the run. The IK inside is "
            "the compiled core's batched LM (`IKSolver.solve_batch` on one thread per chunk, at most 10 restarts "
            "per target): an orientation that cannot be reached costs all its restarts, which dominates the map.",
        ]
    )
    print()
    print(section)
    if args.write:
        write_section("reachability", section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
