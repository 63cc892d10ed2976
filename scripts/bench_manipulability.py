"""Benchmark manipulability (measure + gradient) against the raw pinocchio Jacobian loop of the same run.

Prints its section of BENCHMARKS.md; ``--write`` also writes it there (between
``<!-- bench:manipulability:start -->`` and ``<!-- bench:manipulability:end -->``). Usage:
``python scripts/bench_manipulability.py [--batch 100000] [--write]``.
"""

from __future__ import annotations

import argparse
import platform

import numpy as np
import pinocchio as pin
from _bench import best, write_section

import kinejac
from kinejac.analysis import manipulability, manipulability_gradient, workspace

LWA = pin.ReferenceFrame.LOCAL_WORLD_ALIGNED


def raw_single(robot, Q, fid):
    model, data, f = robot.model, robot.data, pin.computeFrameJacobian
    for q in Q:
        f(model, data, q, fid, LWA)


def raw_batch(robot, Q, fid):
    model, data, f = robot.model, robot.data, pin.computeFrameJacobian
    return np.array([f(model, data, q, fid, LWA) for q in Q])


def bench_robot(label, robot, frame, batch, single_n=2000, repeats=5):
    fid = robot.frame_id(frame)
    Qs = robot.random_configuration(0, size=single_n)
    Qb = robot.random_configuration(1, size=batch)
    rows = []
    # per configuration: one call per q, µs per call
    t_raw = best(lambda: raw_single(robot, Qs, fid), repeat=repeats) / single_n

    def per_call(fn):
        return best(lambda: [fn(q) for q in Qs], repeat=repeats) / single_n

    single = {
        "yoshikawa": per_call(lambda q: manipulability(robot, q, frame)),
        "condition": per_call(lambda q: manipulability(robot, q, frame, measure="condition")),
        "yoshikawa + gradient": per_call(lambda q: manipulability_gradient(robot, q, frame, with_value=True)),
        "dynamic + gradient": best(
            lambda: [manipulability_gradient(robot, q, frame, "dynamic", with_value=True) for q in Qs[:200]], repeat=2
        )
        / 200,
    }
    # batched over `batch` configurations
    rep_b = 3 if batch <= 100_000 else 1
    tb_raw = best(lambda: raw_batch(robot, Qb, fid), repeat=rep_b)
    batched = {
        "yoshikawa": best(lambda: manipulability(robot, Qb, frame), repeat=rep_b),
        "condition": best(lambda: manipulability(robot, Qb, frame, measure="condition"), repeat=rep_b),
        "yoshikawa + gradient": best(lambda: manipulability_gradient(robot, Qb, frame, with_value=True), repeat=rep_b),
        "workspace (sampling + pose + yoshikawa)": best(
            lambda: workspace(robot, frame, samples=batch, rng=2, progress=False), repeat=rep_b
        ),
    }
    for name in single:
        s = single[name]
        b = batched.get(name)
        rows.append(
            (
                label,
                name,
                f"{s * 1e6:.2f} µs",
                f"**{s / t_raw:.1f}**",
                "n/a" if b is None else f"{b:.3f} s",
                "n/a" if b is None else f"**{b / tb_raw:.2f}**",
            )
        )
    b = batched["workspace (sampling + pose + yoshikawa)"]
    rows.append((label, "workspace (sampling + pose + yoshikawa)", "n/a", "n/a", f"{b:.3f} s", f"**{b / tb_raw:.2f}**"))
    return t_raw, tb_raw, rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--write", action="store_true", help="write the section of BENCHMARKS.md (default: print)")
    args = parser.parse_args(argv)
    cases = [
        ("UR5 (6 DOF, `tool0`)", kinejac.load("ur5"), "tool0"),
        (
            "Panda (7 DOF, fingers locked, `panda_hand_tcp`)",
            kinejac.load("panda", locked_joints=["panda_finger_joint1"]),
            "panda_hand_tcp",
        ),
    ]
    lines = [
        "## Manipulability (`scripts/bench_manipulability.py`)",
        "",
        f"pinocchio {pin.__version__}, numpy {np.__version__}, Python {platform.python_version()}, "
        f"{platform.machine()}; best of several repeats. Baseline: a raw Python loop of pinocchio's "
        "`computeFrameJacobian` (local_world_aligned) over the same configurations, timed in the same run; "
        "ratio = kinejac ÷ baseline. Part `full`. Timings vary with the machine's load (2 cores shared). "
        "Single = one call per configuration (2,000 configurations; "
        f"dynamic: 200); batched = one call on a ({args.batch:,}, nq) array.",
        "",
        f"| robot | what | single, per configuration | ratio | batched, B = {args.batch:,} | ratio |",
        "|---|---|---|---|---|---|",
    ]
    baselines = []
    for label, robot, frame in cases:
        t_raw, tb_raw, rows = bench_robot(label, robot, frame, args.batch)
        baselines.append(f"{label}: {t_raw * 1e6:.2f} µs single, {tb_raw:.3f} s batched")
        lines += ["| " + " | ".join(r) + " |" for r in rows]
    lines += [
        "",
        "Baselines (raw `computeFrameJacobian` loop): " + "; ".join(baselines) + ".",
        "The gradient includes the kinematic Hessian (`computeJointKinematicHessians`, about 2-3x a Jacobian on its "
        "own) and a batched solve (an SVD for `condition`/`min_singular` and near singularities); "
        "the dynamic gradient adds a CRBA and one RNEA-derivative pass per singular value, per configuration.",
    ]
    section = "\n".join(lines)
    print(section)
    if args.write:
        write_section("manipulability", section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
