"""Resolved-rate control: the Panda's tool tracks a circle with damped-least-squares differential IK.

Every control period ``dt`` the desired tool twist is the circle's velocity (feed-forward) plus a
proportional correction of the position and orientation errors; :func:`kinejac.ik.joint_velocities`
turns it into joint velocities (damped near singularities, within the joint velocity and position
limits), which are integrated with ``robot.integrate``. The tool keeps pointing down. Prints the
tracking error over the laps (max and RMS); the viewer shows the circle and replays the motion
(``--headless``: no viewer, for the tests).

Run: ``python scripts/track_circle.py [--radius 0.1] [--period 4] [--laps 2]``.
"""

from __future__ import annotations

import argparse

import numpy as np
import pinocchio as pin

import kinejac
from kinejac.ik import joint_velocities, solve_ik

__all__ = ["circle", "main", "track"]

FRAME = "panda_hand_tcp"
R_WORLD_TOOL = np.diag([1.0, -1.0, -1.0])  # tool z axis pointing down


def circle(t: float | np.ndarray, center, radius: float, period: float) -> tuple[np.ndarray, np.ndarray]:
    """Position ``(..., 3)`` [m] and velocity ``(..., 3)`` [m/s] at time ``t`` [s] on a horizontal circle."""
    w = 2 * np.pi / period
    a = w * np.asarray(t, dtype=float)[..., None]
    unit = np.concatenate([np.cos(a), np.sin(a), np.zeros_like(a)], axis=-1)
    tangent = np.concatenate([-np.sin(a), np.cos(a), np.zeros_like(a)], axis=-1)
    return np.asarray(center) + radius * unit, radius * w * tangent


def track(robot, q0, center, radius: float, period: float, laps: float, dt: float = 0.01, gain: float = 20.0):
    """Run the control loop from ``q0``; returns the configurations ``(N + 1, nq)`` and the
    position errors ``(N,)`` [m] at each control instant.

    The textbook resolved-rate law: ``ξ = [v_d(t) + K (p_d(t) - p); K log(R_d Rᵀ)]``, ``K = gain`` [1/s].
    """
    q = q0
    trajectory, errors = [q0], []
    for k in range(round(laps * period / dt)):
        p_desired, v_desired = circle(k * dt, center, radius, period)
        T_world_tool = kinejac.pose(robot, q, FRAME)
        position_error = p_desired - T_world_tool[:3, 3]
        errors.append(np.linalg.norm(position_error))
        linear = v_desired + gain * position_error
        angular = gain * pin.log3(R_WORLD_TOOL @ T_world_tool[:3, :3].T)  # world axes
        v = joint_velocities(robot, q, FRAME, np.r_[linear, angular], dt)
        q = robot.integrate(q, v * dt)
        trajectory.append(q)
    return np.array(trajectory), np.array(errors)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--radius", type=float, default=0.1, help="[m]")
    parser.add_argument("--period", type=float, default=4.0, help="[s] per lap")
    parser.add_argument("--laps", type=float, default=2.0)
    parser.add_argument("--dt", type=float, default=0.01, help="[s] control period")
    parser.add_argument("--headless", action="store_true", help="no viewer")
    args = parser.parse_args(argv)

    robot = kinejac.load("panda", locked_joints=["panda_finger_joint1"])
    center = np.array([0.45, 0.0, 0.4])
    start, _ = circle(0.0, center, args.radius, args.period)
    T_start = np.eye(4)
    T_start[:3, :3], T_start[:3, 3] = R_WORLD_TOOL, start
    first = solve_ik(robot, T_start, FRAME)  # start on the circle
    if not first.success:
        print(f"could not reach the start of the circle: {first}")
        return 1

    trajectory, errors = track(robot, first.q, center, args.radius, args.period, args.laps, args.dt)
    print(
        f"tracked {args.laps:g} lap(s) of a {args.radius:g} m circle in {args.period:g} s per lap, "
        f"{len(errors)} steps of {args.dt * 1e3:g} ms"
    )
    print(f"max tracking error {errors.max():.3e} m")
    print(f"rms tracking error {np.sqrt(np.mean(errors**2)):.3e} m")
    print(f"joint limits respected: {bool(robot.within_limits(trajectory).all())}")

    if not args.headless:
        from kinejac.viewer import Viewer

        with Viewer(robot, open=True) as viewer:
            ts = np.linspace(0.0, args.period, 100)
            viewer.show_path(circle(ts, center, args.radius, args.period)[0], name="desired")
            viewer.show_frames([FRAME])
            viewer.play(trajectory[::4], dt=4 * args.dt, repetitions=100, wait=False)  # loops in the page
            viewer.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
