"""Inverse kinematics, animated: the Panda's tool visits the corners of a square, pointing down.

Each corner is solved starting from the previous solution (with ``history=True``, so every solver
iterate is kept); the printed table gives the errors, iterations and time per corner, and the
viewer replays the iterates one after the other with the targets drawn (meshcat, in the browser;
Ctrl-C to quit). ``--headless`` draws without opening a browser and exits at once (used by the
tests); ``--no-viewer`` only solves.

Run: ``python scripts/demo_ik.py`` (or ``--headless``).
"""

from __future__ import annotations

import argparse

import numpy as np

import kinejac
from kinejac.ik import solve_ik

__all__ = ["main", "square_targets"]

FRAME = "panda_hand_tcp"


def square_targets(center=(0.45, 0.0, 0.35), half_side: float = 0.15) -> list[np.ndarray]:
    """``T_world_target`` (4, 4) at the corners of a horizontal square, tool z pointing down."""
    targets = []
    for dx, dy in ((1, 1), (1, -1), (-1, -1), (-1, 1)):
        T = np.diag([1.0, -1.0, -1.0, 1.0])  # rotation by pi about x: z down
        T[:3, 3] = np.add(center, (half_side * dx, half_side * dy, 0.0))
        targets.append(T)
    return targets


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--headless", action="store_true", help="no browser, exit after drawing")
    parser.add_argument("--no-viewer", action="store_true", help="only solve and print")
    args = parser.parse_args(argv)

    robot = kinejac.load("panda", locked_joints=["panda_finger_joint1"])
    targets = square_targets()
    q = robot.clip(robot.neutral())  # neutral has q4 = 0, just outside the Panda's limits
    path = [q[None]]
    print("corner  ok  position error [m]  rotation error [rad]  iters      ms")
    for i, T in enumerate(targets):
        result = solve_ik(robot, T, FRAME, q0=q, history=True)
        print(
            f"{i:6d} {'yes' if result.success else 'no':>3s} {result.position_error:19.2e} "
            f"{result.rotation_error:21.2e} {result.iterations:6d} {result.time * 1e3:7.2f}"
        )
        if not result.success:
            return 1
        q = result.q
        path.append(result.history if result.history is not None else q[None])
    trajectory = np.concatenate(path)

    if args.no_viewer:
        return 0
    from kinejac.viewer import Viewer

    with Viewer(robot, open=not args.headless) as viewer:
        for i, T in enumerate(targets):
            viewer.show_target(T, name=f"corner{i}")
        viewer.show_frames([FRAME])
        viewer.show_path(kinejac.pose(robot, trajectory, FRAME)[:, :3, 3])
        frames = viewer.play(trajectory, dt=0.25, repetitions=100, wait=False)  # loops in the page
        print(f"animating {frames} solver iterates")
        if not args.headless:
            viewer.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
