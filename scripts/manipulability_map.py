"""A manipulability map of an arm: where in its workspace it moves well, and where it is singular.

Samples configurations of the arm uniformly within its joint limits (:func:`kinejac.workspace`),
measures Yoshikawa's manipulability of the translation Jacobian at each, prints how dexterity
varies with the distance from the shoulder (poor near full stretch and near the base axis, best
in between), writes a picture of the samples coloured by manipulability (needs matplotlib) and
shows them as a coloured point cloud in the viewer. ``--headless`` skips the viewer (tests).

Run: ``python scripts/manipulability_map.py [--robot ur5] [--samples 20000] [--out map.png]``.
"""

from __future__ import annotations

import argparse
import importlib.util

import numpy as np

import kinejac
from kinejac.analysis import workspace

__all__ = ["main", "radial_profile"]


def radial_profile(positions: np.ndarray, values: np.ndarray, center: np.ndarray, bins: int = 8):
    """Median and maximum of ``values`` per bin of distance ``|positions - center|`` [m]:
    ``(edges (bins + 1,), median (bins,), maximum (bins,), count (bins,))``."""
    r = np.linalg.norm(positions - center, axis=1)
    edges = np.linspace(0.0, r.max() * (1 + 1e-9), bins + 1)
    which = np.digitize(r, edges) - 1
    median, maximum, count = np.full(bins, np.nan), np.full(bins, np.nan), np.zeros(bins, dtype=int)
    for b in range(bins):
        v = values[which == b]
        count[b] = v.size
        if v.size:
            median[b], maximum[b] = np.median(v), v.max()
    return edges, median, maximum, count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--robot", default="panda", help="robot to map (default: panda, fingers locked)")
    parser.add_argument("--frame", help="frame (default: the robot's last leaf frame)")
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="manipulability_map.png", help="picture to write (needs matplotlib)")
    parser.add_argument("--headless", action="store_true", help="no viewer")
    args = parser.parse_args(argv)

    locked = ["panda_finger_joint1"] if args.robot == "panda" else None
    robot = kinejac.load(args.robot, locked_joints=locked)
    frame = args.frame or robot.leaf_frames()[-1]
    ws = workspace(robot, frame, samples=args.samples, rng=args.seed, part="translation")
    print(f"{ws!r}: reach x {ws.bounds[:, 0].round(2)}, y {ws.bounds[:, 1].round(2)}, z {ws.bounds[:, 2].round(2)} m")

    # distances from the first joint (on the arms here, the shoulder the arm reaches around)
    shoulder = kinejac.pose(robot, robot.neutral(), robot.joint_names[0])[:3, 3]
    edges, median, maximum, count = radial_profile(ws.positions, ws.manipulability, shoulder)
    print(f"distance from {robot.joint_names[0]} [m]   samples   median w    max w   (w: Yoshikawa, translation)")
    for b in range(len(count)):
        if count[b]:
            bar = "#" * round(40 * median[b] / np.nanmax(median))
            print(f"  {edges[b]:5.2f} .. {edges[b + 1]:5.2f}  {count[b]:6d}  {median[b]:9.4f} {maximum[b]:8.4f}  {bar}")
    poor = ws.manipulability < 0.05 * ws.manipulability.max()
    print(f"{poor.mean():.1%} of the samples have less than 5% of the best manipulability (near a singularity)")

    if importlib.util.find_spec("matplotlib") is not None:
        print("wrote", ws.plot_png(args.out, plane="xz"))
    else:
        print("matplotlib is not installed: no picture (pip install kinejac[plot])")

    if not args.headless:
        from kinejac.viewer import Viewer

        with Viewer(robot, open=True) as viewer:
            viewer.show(robot.clip(robot.neutral()))
            viewer.show_points(ws.positions, ws.manipulability, size=0.01)
            viewer.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
