"""Benchmark the Jacobian engine against raw pinocchio calls, measured in the same run.

Prints the ``jacobian`` section of BENCHMARKS.md; ``--write`` also writes it there. Ratios are
kinejac time ÷ raw pinocchio time (1.0 = no overhead). Timings are the best of several repeats,
as the machine is shared.

    python scripts/bench_jacobian.py [--batch 10000] [--write]
"""

from __future__ import annotations

import argparse
import platform

import numpy as np
import pinocchio as pin
from _bench import paired, write_section

import kinejac

GOALS = {"single": 2.0, "batched": 1.1}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--write", action="store_true", help="write the section of BENCHMARKS.md (default: print)")
    args = parser.parse_args()

    robot = kinejac.load("panda", locked_joints=["panda_finger_joint1"])
    frame = "panda_hand_tcp"
    m, d, fid = robot.model, robot.data, robot.frame_id(frame)
    ref = pin.ReferenceFrame.LOCAL_WORLD_ALIGNED
    rng = np.random.default_rng(0)
    q = robot.random_configuration(rng)
    v = rng.standard_normal(robot.nv)
    Q = robot.random_configuration(rng, size=args.batch)
    V = rng.standard_normal((args.batch, robot.nv))

    def raw_hessian(qi):
        pin.computeJointKinematicHessians(m, d, qi)
        return pin.getFrameKinematicHessian(m, d, fid, ref)

    def raw_twist(qi, vi):
        pin.forwardKinematics(m, d, qi, vi)
        return pin.getFrameVelocity(m, d, fid, ref).vector

    cases = {
        "jacobian": (
            lambda: pin.computeFrameJacobian(m, d, q, fid, ref),
            lambda: kinejac.jacobian(robot, q, frame),
            lambda: np.array([pin.computeFrameJacobian(m, d, qi, fid, ref) for qi in Q]),
            lambda: kinejac.jacobian(robot, Q, frame),
        ),
        "hessian": (
            lambda: raw_hessian(q),
            lambda: kinejac.hessian(robot, q, frame),
            lambda: np.array([raw_hessian(qi) for qi in Q]),
            lambda: kinejac.hessian(robot, Q, frame),
        ),
        "twist": (
            lambda: raw_twist(q, v),
            lambda: kinejac.twist(robot, q, v, frame),
            lambda: np.array([raw_twist(qi, vi) for qi, vi in zip(Q, V)]),
            lambda: kinejac.twist(robot, Q, V, frame),
        ),
    }
    rows = []
    for name, (raw1, kj1, rawB, kjB) in cases.items():
        n1 = 10_000 if name != "hessian" else 4_000
        t_raw1, t_kj1 = paired(raw1, kj1, n1, rounds=15)
        t_rawB, t_kjB = paired(rawB, kjB, 1, rounds=5)
        rows.append((name, t_raw1, t_kj1, t_rawB, t_kjB))
        print(
            f"{name:9s} single {t_kj1 * 1e6:7.2f} µs / raw {t_raw1 * 1e6:6.2f} µs = {t_kj1 / t_raw1:.2f}   "
            f"batch {t_kjB * 1e3:7.1f} ms / raw loop {t_rawB * 1e3:7.1f} ms = {t_kjB / t_rawB:.2f}"
        )

    lines = [
        "## Jacobian engine (`scripts/bench_jacobian.py`)",
        "",
        f"Panda, 7 DOF (fingers locked), frame `{frame}`, reference `local_world_aligned`; "
        f"pinocchio {pin.__version__}, numpy {np.__version__}, Python {platform.python_version()}, "
        f"{platform.machine()}. Best of repeats, kinejac and raw timed in alternation. "
        f"Ratio = kinejac ÷ raw pinocchio in the same run "
        f"(goal: single ≤ {GOALS['single']}, batched ≤ {GOALS['batched']}).",
        "",
        f"| function | kinejac, single | raw call | ratio | kinejac, B = {args.batch:,} | raw Python loop | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, t_raw1, t_kj1, t_rawB, t_kjB in rows:
        lines.append(
            f"| `{name}()` | {t_kj1 * 1e6:.2f} µs | {t_raw1 * 1e6:.2f} µs | **{t_kj1 / t_raw1:.2f}** "
            f"| {t_kjB * 1e3:.1f} ms | {t_rawB * 1e3:.1f} ms | **{t_kjB / t_rawB:.2f}** |"
        )
    lines += [
        "",
        "Raw calls: `computeFrameJacobian`; `computeJointKinematicHessians` + `getFrameKinematicHessian`; "
        "`forwardKinematics(q, v)` + `getFrameVelocity`. The raw loop stacks the per-sample results with "
        "`np.array([...])`. kinejac's single call includes its input checks (shape, dtype, finiteness, frame "
        "and reference lookup).",
    ]
    if args.write:
        write_section("jacobian", "\n".join(lines))


if __name__ == "__main__":
    main()
