"""Quickstart: load the bundled Franka Panda, solve inverse kinematics for a pose, check the answer.

Loads the 7-DOF arm (the finger joint locked), asks for the tool centre point 40 cm in front of
the base and 50 cm up, pointing straight down, and prints the joint angles found with the
position and rotation errors, then checks them with forward kinematics and shows the Jacobian
there. Run: ``python scripts/quickstart.py``.
"""

from __future__ import annotations

import argparse

import numpy as np

import kinejac

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("Run:")[0].strip(), formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.parse_args(argv)  # no options: --help says what the script does

    robot = kinejac.load("panda", locked_joints=["panda_finger_joint1"])  # the 7-DOF arm
    print(robot)

    # T_world_target: 0.4 m forward, 0.5 m up, tool z axis pointing down
    T_world_target = np.array(
        [
            [1.0, 0.0, 0.0, 0.4],
            [0.0, -1.0, 0.0, 0.0],
            [0.0, 0.0, -1.0, 0.5],
            [0.0, 0.0, 0.0, 1.0],
        ]
    )
    result = kinejac.solve_ik(robot, T_world_target, "panda_hand_tcp")
    print(result)
    for name, angle in robot.to_dict(result.q).items():
        print(f"  {name:13s} {angle:+.4f} rad")
    print(f"position error {result.position_error:.2e} m, rotation error {result.rotation_error:.2e} rad")

    # check with forward kinematics; the Jacobian maps joint velocities to the tool's twist there
    T_world_tool = kinejac.pose(robot, result.q, "panda_hand_tcp")
    print("reached position [m]:", np.round(T_world_tool[:3, 3], 6) + 0.0)  # + 0.0: no "-0."
    J = kinejac.jacobian(robot, result.q, "panda_hand_tcp")  # (6, 7), rows [vx vy vz wx wy wz]
    print(f"Jacobian {J.shape}, rank {np.linalg.matrix_rank(J)}")
    return 0 if result.success else 1


if __name__ == "__main__":
    raise SystemExit(main())
