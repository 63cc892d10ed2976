"""Every-solution IK benchmark: kinejac's closed forms against EAIK and IK-Geo -> the ``analytic``
section of BENCHMARKS.md.

Protocol: ``--samples`` configurations (default 2,000) of example-robot-data's UR5 (``erd:ur5_robot``;
the bundled UR5 when example-robot-data is missing) drawn uniformly within the joint limits with a
fixed seed; the targets are their forward kinematics (frame ``tool0``). Each library gets the same
physical targets in its own convention: EAIK (``eaik``, built from the same URDF) solves for its
end frame, a constant transform away from ``tool0``; IK-Geo (``ik-geo``) is built from the chain's
axes as kinejac reads them (its ``three_parallel_two_intersecting`` robot, so that its answers can be
checked), and its hard-coded UR5 preset is timed on the same targets too. Every library's solutions
are checked by kinejac's forward kinematics (pinocchio); "found" counts the targets among whose
solutions the generating configuration is (angles compared modulo 2π, to 1e-6 rad), over the
targets that are not singular (smallest singular value of the Jacobian at the generating
configuration above 1e-3).

Times are per target, for all solutions, called from Python, the libraries timed in alternation on
the same targets (best of the rounds: the machine is shared). Batched: ``solve_ik_all`` on
``(B, 4, 4)`` targets, on 1 and 2 threads. The Panda (bundled, fingers locked) with joint 7 fixed at
its generating value (a spherical shoulder: closed form), and with joint 3 fixed (a 1-D search).
Numeric IK started from the closed form's nearest solution (``IKSolver(robot, "tool0")``: the default
on a chain with a closed form) against the iterations alone (``analytic_seeds=False``), from the
middle of the limits, on the same targets.

Run: ``python scripts/bench_analytic.py`` prints the results; ``--write`` also writes BENCHMARKS.md.
``--samples 300`` is a quick run.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import pinocchio as pin
from _bench import write_section

import kinejac
from kinejac.ik import AnalyticIK, IKSolver
from kinejac.ik.structure import plan_of

FOUND = 1e-6  # [rad]: the generating configuration is among the solutions
TOL = 1e-10  # [m] and [rad]: a solution is correct


def angle_distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(np.remainder(np.asarray(a) - b + np.pi, 2 * np.pi) - np.pi).max())


class Oracle:
    """pinocchio's forward kinematics on a fresh Data, and the Jacobian's smallest singular value."""

    def __init__(self, robot: kinejac.Robot, frame: str) -> None:
        self.robot, self.model, self.fid = robot, robot.model, robot.frame_id(frame)
        self.data = robot.model.createData()

    def pose(self, q) -> pin.SE3:
        pin.framesForwardKinematics(self.model, self.data, np.asarray(q, dtype=float))
        return self.data.oMf[self.fid].copy()

    def error(self, q, T: pin.SE3) -> float:
        M = T.actInv(self.pose(q))
        return max(float(np.linalg.norm(M.translation)), float(np.linalg.norm(pin.log3(M.rotation))))

    def sigma_min(self, q) -> float:
        J = pin.computeFrameJacobian(self.model, self.data, q, self.fid, pin.LOCAL)
        return float(np.linalg.svd(J, compute_uv=False)[-1])


def timed_loops(calls: dict, n: int, rounds: int) -> dict[str, float]:
    """Best time per target [s] of each loop, the loops run in alternation ``rounds`` times."""
    best = dict.fromkeys(calls, float("inf"))
    for _ in range(rounds):
        for name, loop in calls.items():
            t0 = time.perf_counter()
            loop()
            best[name] = min(best[name], (time.perf_counter() - t0) / n)
    return best


def stats_of(solutions: list[list[np.ndarray]], Q: np.ndarray, check, regular: np.ndarray) -> dict:
    """Mean count, worst error and the found rate over the regular targets."""
    worst = 0.0
    found = np.zeros(len(Q), dtype=bool)
    for i, sols in enumerate(solutions):
        for x in sols:
            worst = max(worst, check(i, x))
        found[i] = any(angle_distance(x, Q[i]) < FOUND for x in sols)
    return {
        "count": float(np.mean([len(s) for s in solutions])),
        "worst": worst,
        "found": float(found[regular].mean()),
        "missed": int((~found[regular]).sum()),
    }


def run_ur5(n: int, seed: int, rounds: int) -> dict:
    spec = "erd:ur5_robot" if "erd:ur5_robot" in kinejac.available_robots() else "ur5"
    robot = kinejac.load(spec)
    frame = "tool0"
    oracle = Oracle(robot, frame)
    rng = np.random.default_rng(seed)
    Q = robot.random_configuration(rng, size=n)
    T = kinejac.pose(robot, Q, frame)
    Tse3 = [pin.SE3(t) for t in T]
    regular = np.array([oracle.sigma_min(q) > 1e-3 for q in Q])
    out: dict = {"robot": spec, "n": n, "regular": int(regular.sum())}

    # kinejac, as users call it, and through a kept AnalyticIK
    ik = AnalyticIK(robot, frame)
    mine = [kinejac.solve_ik_all(robot, t, frame) for t in T]
    out["kinejac"] = stats_of([list(s.q) for s in mine], Q, lambda i, x: oracle.error(x, Tse3[i]), regular)
    calls = {
        "kinejac": lambda: [kinejac.solve_ik_all(robot, t, frame) for t in T],
        "kinejac_object": lambda: [ik.solve(t) for t in T],
    }

    # EAIK from the same URDF: its end frame is a constant transform X from tool0
    try:
        from eaik.IK_URDF import UrdfRobot

        bot = UrdfRobot(str(robot.urdf_path))
        X = np.linalg.inv(bot.fwdKin(Q[0])) @ T[0]
        assert np.abs(np.linalg.inv(bot.fwdKin(Q[1])) @ T[1] - X).max() < 1e-9
        Xi = np.linalg.inv(X)
        Te = [t @ Xi for t in T]
        eaik_sols = []
        for t in Te:
            s = bot.IK(t)
            eaik_sols.append([q for q, ls in zip(s.Q, s.is_LS) if not ls])
        out["eaik"] = stats_of(eaik_sols, Q, lambda i, x: oracle.error(x, Tse3[i]), regular)
        out["eaik_family"] = bot.getKinematicFamily()
        calls["eaik"] = lambda: [bot.IK(t) for t in Te]
    except ImportError as exc:
        out["eaik"] = f"not installed ({exc})"

    # IK-Geo built from the same axes: its tool frame at zero has the base's axes (R_t R0ᵀ), and its
    # Python binding reads and writes rotations transposed (as its own forward_kinematics shows)
    try:
        import ik_geo

        plan = plan_of(robot, frame)
        H = plan.h
        P = np.vstack([plan.o[0], np.diff(plan.o, axis=0), plan.T0[:3, 3] - plan.o[-1]])
        geo = ik_geo.Robot.three_parallel_two_intersecting(H, P)
        R0 = plan.T0[:3, :3]
        targets_ig = [(np.ascontiguousarray((t[:3, :3] @ R0.T).T), t[:3, 3].copy()) for t in T]
        q_check = Q[0]
        R_fk = np.array(geo.forward_kinematics(q_check)[0])
        assert np.abs(R_fk - targets_ig[0][0]).max() < 1e-9, "IK-Geo's rotation convention changed"
        geo_sols = [[np.array(q) for q, ls in geo.get_ik(R, p) if not ls] for R, p in targets_ig]
        out["ikgeo"] = stats_of(geo_sols, Q, lambda i, x: oracle.error(x, Tse3[i]), regular)
        preset = ik_geo.Robot.ur5()
        counts = [sum(not ls for _, ls in preset.get_ik(R, p)) for R, p in targets_ig]
        out["ikgeo_preset_count"] = float(np.mean(counts))
        calls["ikgeo"] = lambda: [geo.get_ik(R, p) for R, p in targets_ig]
        calls["ikgeo_preset"] = lambda: [preset.get_ik(R, p) for R, p in targets_ig]
    except ImportError as exc:
        out["ikgeo"] = f"not installed ({exc})"

    out["times"] = timed_loops(calls, n, rounds)

    # batched, on 1 and 2 threads
    B = 100_000
    QB = robot.random_configuration(np.random.default_rng(seed + 1), size=B)
    TB = kinejac.pose(robot, QB, frame)
    kinejac.solve_ik_all(robot, TB[:100], frame)
    rates = {}
    for threads in (1, 2):
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            batch = kinejac.solve_ik_all(robot, TB, frame, threads=threads)
            best = min(best, time.perf_counter() - t0)
        rates[threads] = B / best
    out["batch"] = rates
    out["batch_count"] = float(batch.count.mean())

    # numeric IK, alone and seeded by the closed form, from the middle of the limits
    numeric = IKSolver(robot, frame, analytic_seeds=False)
    seeded = IKSolver(robot, frame)
    m = min(n, 1000)
    res = {}
    for name, solver in (("numeric", numeric), ("seeded", seeded)):
        solver.solve(T[0])
        times, ok = [], 0
        for i in range(m):
            t0 = time.perf_counter()
            r = solver.solve(T[i])
            times.append(time.perf_counter() - t0)
            ok += r.success and oracle.error(r.q, Tse3[i]) <= 1e-6 and robot.within_limits(r.q)
        res[name] = {"success": ok / m, "mean": float(np.mean(times)), "median": float(np.median(times))}
    out["seeding"] = res
    out["seeding_n"] = m
    return out


def run_panda(n: int, seed: int, rounds: int) -> dict:
    robot = kinejac.load("panda", locked_joints=["panda_finger_joint1"])
    frame = "panda_hand_tcp"
    oracle = Oracle(robot, frame)
    Q = robot.random_configuration(np.random.default_rng(seed + 2), size=n)
    T = kinejac.pose(robot, Q, frame)
    Tse3 = [pin.SE3(t) for t in T]
    regular = np.array([oracle.sigma_min(q) > 1e-3 for q in Q])
    out = {}
    for joint, k, count in (("panda_joint7", 6, n), ("panda_joint3", 2, min(n, 300))):
        fixed = [{joint: float(q[k])} for q in Q[:count]]
        sols = [kinejac.solve_ik_all(robot, T[i], frame, fixed=fixed[i]) for i in range(count)]
        st = stats_of([list(s.q) for s in sols], Q[:count], lambda i, x: oracle.error(x, Tse3[i]), regular[:count])
        best = timed_loops(
            {"all": lambda T=T, fixed=fixed, count=count: [
                kinejac.solve_ik_all(robot, T[i], frame, fixed=fixed[i]) for i in range(count)
            ]},
            count,
            rounds if count == n else 2,
        )  # fmt: skip
        st["time"] = best["all"]
        st["family"] = sols[0].structure.describe()
        st["n"] = count
        out[joint] = st
    return out


def fmt_us(t: float) -> str:
    return f"{t * 1e6:.2f} µs"


def verdict(ok: bool, figure: str) -> str:
    return f"met ({figure})" if ok else f"NOT met ({figure})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=2000, help="targets (default 2,000)")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--rounds", type=int, default=7, help="alternating timing rounds (best is kept)")
    ap.add_argument("--write", action="store_true", help="write the analytic section of BENCHMARKS.md")
    args = ap.parse_args(argv)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    ur5 = run_ur5(args.samples, args.seed, args.rounds)
    panda = run_panda(args.samples, args.seed, args.rounds)
    t = ur5["times"]
    k = ur5["kinejac"]
    rows = [
        ("kinejac `solve_ik_all`", t["kinejac"], k),
        ("kinejac `AnalyticIK.solve` (kept object)", t["kinejac_object"], k),
    ]
    if isinstance(ur5.get("eaik"), dict):
        rows.append((f"EAIK `UrdfRobot.IK` ({ur5['eaik_family']})", t["eaik"], ur5["eaik"]))
    if isinstance(ur5.get("ikgeo"), dict):
        rows.append(("IK-Geo `three_parallel_two_intersecting`", t["ikgeo"], ur5["ikgeo"]))
        rows.append(("IK-Geo UR5 preset (its own frames: not checked)", t["ikgeo_preset"], ur5["ikgeo_preset_count"]))
    eaik_t = t.get("eaik")
    ratio = t["kinejac"] / eaik_t if eaik_t else float("nan")
    lines = [
        "## Every IK solution by closed forms (`scripts/bench_analytic.py`)",
        "",
        f"{ur5['n']:,} configurations of `{ur5['robot']}` drawn within the joint limits (seed {args.seed}); the "
        "targets are their `tool0` poses, given to each library in its own convention (EAIK: its end frame, a "
        "constant transform away; IK-Geo: built from the same axes). Times per target for all solutions, called "
        "from Python, the libraries timed in alternation (best of "
        f"{args.rounds} rounds). Solutions checked by pinocchio's forward kinematics; *found*: the generating "
        f"configuration is among the solutions (to {FOUND:g} rad, modulo 2π), over the {ur5['regular']:,} "
        "non-singular targets (σ_min(J) > 1e-3).",
        "",
        f"pinocchio {pin.__version__}, numpy {np.__version__}, Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} cores (shared: load average {load:.2f} at the start).",
        "",
        "| solver | time per target | solutions per target | found | worst error |",
        "|---|---|---|---|---|",
    ]
    for name, tt, st in rows:
        if not isinstance(st, dict):
            lines.append(f"| {name} | {fmt_us(tt)} | {st:.2f} | n/a | n/a |")
        else:
            lines.append(
                f"| {name} | {fmt_us(tt)} | {st['count']:.2f} | {100 * st['found']:.2f} % ({st['missed']} missed) "
                f"| {st['worst']:.1e} |"
            )
    b = ur5["batch"]
    lines += [
        "",
        f"Batched `solve_ik_all` on (100,000, 4, 4) targets: {b[1]:,.0f} targets/s on 1 thread, {b[2]:,.0f} "
        f"targets/s on 2 ({ur5['batch_count']:.2f} solutions per target).",
        "",
        "| Panda (fingers locked), one joint fixed at its generating value | structure | time per target | "
        "solutions | found | worst error |",
        "|---|---|---|---|---|---|",
    ]
    for joint, st in panda.items():
        lines.append(
            f"| `{joint}` fixed ({st['n']:,} targets) | {st['family']} | {fmt_us(st['time'])} | {st['count']:.2f} | "
            f"{100 * st['found']:.2f} % | {st['worst']:.1e} |"
        )
    sd = ur5["seeding"]
    lines += [
        "",
        f"Numeric IK from the middle of the limits on the first {ur5['seeding_n']:,} UR5 targets (success checked "
        "by pinocchio to 1e-6 and the limits):",
        "",
        "| `IKSolver` | success | mean | median |",
        "|---|---|---|---|",
        f"| LM alone (`analytic_seeds=False`) | {100 * sd['numeric']['success']:.2f} % | "
        f"{fmt_us(sd['numeric']['mean'])} | {fmt_us(sd['numeric']['median'])} |",
        f"| LM from the closed form's nearest solution (the default) | {100 * sd['seeded']['success']:.2f} % | "
        f"{fmt_us(sd['seeded']['mean'])} | "
        f"{fmt_us(sd['seeded']['median'])} |",
        "",
        "Goals in this run:",
        "",
        "- all solutions of one target from Python ≤ 0.5 × EAIK's time: "
        + verdict(ratio <= 0.5, f"{ratio:.2f} ×, {fmt_us(t['kinejac'])} against {fmt_us(eaik_t or float('nan'))}"),
        "- ... and ≤ 3.5 µs on the UR5: " + verdict(t["kinejac"] <= 3.5e-6, fmt_us(t["kinejac"])),
        "- generating configuration found for ≥ 99.99 % of non-singular targets: "
        + verdict(k["found"] >= 0.9999, f"{100 * k['found']:.2f} %"),
        "- batched ≥ 500,000 targets/s on 2 cores: " + verdict(b[2] >= 500_000, f"{b[2]:,.0f} /s"),
        "- Panda with joint 7 fixed ≤ 10 µs per target: "
        + verdict(panda["panda_joint7"]["time"] <= 10e-6, fmt_us(panda["panda_joint7"]["time"])),
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section("analytic", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
