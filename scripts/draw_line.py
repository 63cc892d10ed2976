"""A straight line with the UR5's tool: waypoint-by-waypoint IK flips branches, the path follower does not.

The tool (pointing down) should draw a 80 cm line across the front of the robot. The *naive* way
solves each interpolated pose on its own with :func:`kinejac.solve_ik` (global solves from the
middle of the limits, with random restarts): each pose is reached, but consecutive solutions lie
on different IK branches, so the joints jump and, moving from one to the next, the tool leaves the
line. :func:`kinejac.solve_ik_path` solves each pose locally from the previous configuration,
never lets a joint move more than ``--max-joint-step``, and would stop (rather than jump) where
the line cannot be followed. Prints both; the viewer draws the line, the tool paths of both
motions (joint-space interpolation between consecutive solutions, red: naive, green: followed)
and plays the naive motion, then the followed one (``--headless``: no browser, for the tests).

Run: ``python scripts/draw_line.py [--start 0.4 -0.4 0.3] [--end 0.4 0.4 0.3]``.
"""

from __future__ import annotations

import argparse
from itertools import pairwise

import numpy as np

import kinejac
from kinejac.motion import interpolate_poses

__all__ = ["densify", "main", "naive_solutions"]

FRAME = "tool0"


def tool_down(p) -> np.ndarray:
    """``T_world_tool`` (4, 4) at ``p`` [m] with the tool z axis pointing down."""
    T = np.diag([1.0, -1.0, -1.0, 1.0])
    T[:3, 3] = p
    return T


def naive_solutions(robot, poses: np.ndarray) -> np.ndarray:
    """One global IK solve per pose ``(N, 4, 4)``, each on its own: ``(N, nq)``."""
    solver = kinejac.IKSolver(robot, FRAME)
    out = []
    for T in poses:
        result = solver.solve(T)
        if not result.success:
            raise SystemExit(f"naive IK failed on a waypoint: {result}")
        out.append(result.q)
    return np.array(out)


def densify(q: np.ndarray, per_step: int = 10) -> np.ndarray:
    """Joint-space linear interpolation between consecutive rows: what a controller moving from one
    solution to the next does."""
    s = np.linspace(0.0, 1.0, per_step, endpoint=False)[:, None]
    parts = [a + s * (b - a) for a, b in pairwise(q)]
    return np.vstack([*parts, q[-1:]])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=float, nargs=3, default=[0.4, -0.4, 0.3], help="[m]")
    parser.add_argument("--end", type=float, nargs=3, default=[0.4, 0.4, 0.3], help="[m]")
    parser.add_argument("--step", type=float, default=0.01, help="[m] between waypoints")
    parser.add_argument("--max-joint-step", type=float, default=0.1, help="[rad]")
    parser.add_argument("--headless", action="store_true", help="no browser, exit after drawing")
    args = parser.parse_args(argv)

    robot = kinejac.load("ur5")
    start, end = tool_down(args.start), tool_down(args.end)
    poses = interpolate_poses([start, end], max_step=args.step)
    print(f"line of {np.linalg.norm(np.subtract(args.end, args.start)):.3f} m, {len(poses)} waypoints")

    naive = naive_solutions(robot, poses)
    steps = np.abs(np.diff(naive, axis=0)).max(axis=1)
    naive_line = kinejac.pose(robot, densify(naive), FRAME)[:, :3, 3]
    off = _distance_to_line(naive_line, args.start, args.end)
    print(
        f"naive IK: jumps above {args.max_joint_step:g} rad: {int(np.sum(steps > args.max_joint_step))}, "
        f"largest joint step {steps.max():.3f} rad, tool off the line by up to {off.max():.3f} m between waypoints"
    )

    path = kinejac.solve_ik_path(
        robot, poses[1:], FRAME, naive[0], max_joint_step=args.max_joint_step, max_cartesian_step=args.step
    )
    followed_line = kinejac.pose(robot, densify(path.q), FRAME)[:, :3, 3]
    off_path = _distance_to_line(followed_line, args.start, args.end)
    print(
        f"solve_ik_path: fraction {path.fraction:.3f}, {path.reason.value}, {len(path)} configurations, "
        f"largest joint step {path.max_joint_step:.4f} rad, largest waypoint error {path.position_error.max():.2e} m, "
        f"tool off the line by up to {off_path.max():.2e} m between waypoints, "
        f"{path.solve_time / max(1, len(path) - 1) * 1e6:.0f} us per waypoint"
    )
    if not path.success:
        print(path.message)
        return 1

    from kinejac.viewer import Viewer

    with Viewer(robot, open=not args.headless) as viewer:
        viewer.show_path(poses[:, :3, 3], name="line", color=0x3366FF)
        viewer.show_path(naive_line, name="naive", color=0xFF3333)
        viewer.show_path(followed_line, name="followed", color=0x33CC33)
        viewer.show_frames([FRAME])
        pause = np.repeat(naive[-1:], 10, axis=0)
        frames = viewer.play(np.vstack([densify(naive, 4), pause, path.q]), dt=0.03, repetitions=100, wait=False)
        print(f"animating {frames} frames: the naive motion, then the followed one")
        if not args.headless:
            viewer.wait()
    return 0


def _distance_to_line(p: np.ndarray, a, b) -> np.ndarray:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    d = (b - a) / np.linalg.norm(b - a)
    rel = p - a
    return np.linalg.norm(rel - np.outer(rel @ d, d), axis=1)


if __name__ == "__main__":
    raise SystemExit(main())
