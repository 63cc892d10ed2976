"""Several frames at once: inverse kinematics with one target per end effector.

On the bundled branching robot (a torso with two arms), both tool frames are given a position:
the solver moves the shared torso joints and each arm together. With ``--humanoid`` (needs
example-robot-data) the TALOS humanoid, on a floating base, keeps both feet where they are
(full poses) while its left gripper reaches 15 cm forward and 10 cm up: the whole body moves.
Prints each frame's error; ``--headless`` skips the viewer (tests).

Run: ``python scripts/multi_frame_ik.py [--humanoid]``.
"""

from __future__ import annotations

import argparse

import numpy as np

import kinejac
from kinejac.ik import FrameTarget, solve_ik

__all__ = ["branching_targets", "humanoid_targets", "main"]


def branching_targets(robot: kinejac.Robot, seed: int = 1) -> list[FrameTarget]:
    """Positions for ``left_tool`` and ``right_tool``, taken from a random configuration (so reachable)."""
    q = robot.random_configuration(seed)
    return [FrameTarget.position(f, kinejac.pose(robot, q, f)[:3, 3]) for f in ("left_tool", "right_tool")]


def humanoid_targets(robot: kinejac.Robot, q0: np.ndarray) -> list[FrameTarget]:
    """Feet stay (full poses); the left gripper moves 15 cm forward and 10 cm up (position)."""
    feet = [FrameTarget.pose(f, kinejac.pose(robot, q0, f)) for f in ("left_sole_link", "right_sole_link")]
    hand = kinejac.pose(robot, q0, "gripper_left_base_link")[:3, 3] + (0.15, 0.0, 0.10)
    return [*feet, FrameTarget.position("gripper_left_base_link", hand)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--humanoid", action="store_true", help="TALOS from example-robot-data")
    parser.add_argument("--headless", action="store_true", help="no viewer")
    args = parser.parse_args(argv)

    if args.humanoid:
        robot = kinejac.load("erd:talos_reduced", root_joint="floating")
        q0 = robot.neutral()
        targets = humanoid_targets(robot, q0)
    else:
        robot = kinejac.load("kinejac_test_robot")
        q0 = robot.neutral()
        targets = branching_targets(robot)
    result = solve_ik(robot, targets, q0=q0, timeout=1.0)
    print(result)
    for t in targets:
        error = np.linalg.norm(kinejac.pose(robot, result.q, t.frame)[:3, 3] - t.T[:3, 3])
        print(f"  {t.frame:24s} position error {error:.2e} m")
    start, end = robot.to_dict(q0), robot.to_dict(result.q)
    moved = [name for name in end if np.abs(np.subtract(end[name], start[name])).max() > 1e-3]
    print(f"{len(moved)} of {len(robot.joint_names)} joints moved: {', '.join(moved)}")

    if not args.headless:
        from kinejac.viewer import Viewer

        with Viewer(robot, open=True) as viewer:
            for t in targets:
                viewer.show_target(t.T, name=t.frame)
            viewer.show_frames([t.frame for t in targets])
            viewer.show(result.q)
            viewer.wait()
    return 0 if result.success else 1


if __name__ == "__main__":
    raise SystemExit(main())
