"""Save a PNG of the kinejac viewer: a robot with its velocity ellipsoid, a target, a tool path.

    python scripts/screenshot.py                      # UR5 (with meshes if example-robot-data is there): viewer.png
    python scripts/screenshot.py --robot panda --frame panda_hand_tcp --out panda.png
    python scripts/screenshot.py --out docs/viewer.png   # the README's picture (a tracked file: only when asked)

Starts a meshcat server on 127.0.0.1, renders the page in headless Chromium (software WebGL:
``apt-get install chromium``) and stops both. Works offline.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import kinejac
from kinejac.viewer import Viewer


def _velocity_ellipsoid(robot: kinejac.Robot, q: np.ndarray, frame: str):
    """(center, axes, radii) of the translational velocity ellipsoid: J_v = U diag(s) Vᵀ."""
    U, s, _ = np.linalg.svd(kinejac.jacobian(robot, q, frame)[:3])
    return kinejac.pose(robot, q, frame)[:3, 3], U, s


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = "erd:ur5_robot" if "erd:ur5_robot" in kinejac.available_robots() else "ur5"
    parser.add_argument("--robot", default=default, help=f"robot to draw (default: {default})")
    parser.add_argument("--frame", default=None, help="tool frame (default: tool0 for UR5s, else the last frame)")
    parser.add_argument(
        "--out", type=Path, default=Path("viewer.png"), help="PNG to write (default: viewer.png in the current folder)"
    )
    parser.add_argument("--camera", type=float, nargs=3, metavar=("X", "Y", "Z"), help="camera position [m]")
    parser.add_argument("--width", type=int, default=960)
    parser.add_argument("--height", type=int, default=640)
    args = parser.parse_args(argv)

    robot = kinejac.load(args.robot)
    frame = args.frame or ("tool0" if "tool0" in robot.frame_names else robot.frame_names[-1])
    named = {
        "shoulder_pan_joint": 0.5,
        "shoulder_lift_joint": -1.2,
        "elbow_joint": 1.0,
        "wrist_1_joint": -1.4,
        "wrist_2_joint": -1.57,
    }
    q = robot.from_dict({k: v for k, v in named.items() if k in robot.joint_names})
    camera = args.camera
    if named.keys() <= set(robot.joint_names):  # a UR arm: a side view of that pose
        # (the bundled ur5's base is turned by pi about z relative to example-robot-data's)
        side = np.sign(kinejac.pose(robot, q, frame)[0, 3]) or 1.0
        camera = camera or (1.2 * side, -0.15 * side, 0.65)
    else:
        q = robot.clip(robot.random_configuration(7) * 0.5)

    # a short motion of the pan joint, for the tool path
    pan = np.linspace(-0.6, 0.6, 40)
    trajectory = np.repeat(q[None], len(pan), axis=0)
    trajectory[:, 0] = np.clip(q[0] + pan, robot.lower[0], robot.upper[0])

    with Viewer(robot) as viewer:
        viewer.show(q)
        viewer.show_frames([frame], scale=0.12)
        center, axes, radii = _velocity_ellipsoid(robot, q, frame)
        viewer.show_ellipsoid(center=center, axes=axes, radii=radii, scale=0.15)
        T_target = kinejac.pose(robot, trajectory[-1], frame)
        viewer.show_target(T_target, scale=0.12)
        viewer.show_path(trajectory, frame=frame)
        if camera:
            viewer.set_camera(camera)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        viewer.screenshot(args.out, width=args.width, height=args.height)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
