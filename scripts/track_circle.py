"""Velocity IK in a control loop: the Panda's tool tracks a circle at 1 kHz, within its limits.

Every control period ``dt`` a :class:`kinejac.VelocityIK` (built once) solves one small QP: a
:class:`kinejac.FrameTask` asks the tool to be at the circle's next point, pointing down, at the end
of the period (dead-beat, ``gain = 1``), a light :class:`kinejac.PostureTask` keeps the elbow near
its start, and the joint position and velocity limits are constraints (``--acceleration-limit``
adds acceleration limits). The joint velocity is integrated with ``robot.integrate``. Prints the
tracking error (max and RMS), the limit violations (none) and the time per control step; the viewer
shows the circle and replays the motion (``--headless``: no viewer, for the tests).

Run: ``python scripts/track_circle.py [--radius 0.1] [--period 4] [--laps 2] [--dt 0.001]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import kinejac
from kinejac.ik import solve_ik

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


def track(
    robot,
    q0,
    center,
    radius: float,
    period: float,
    laps: float,
    dt: float = 0.001,
    *,
    posture_cost: float = 1e-2,
    posture_gain: float = 0.01,
    acceleration_limit=None,
):
    """Run the control loop from ``q0``; returns the configurations ``(N + 1, nq)``, the velocities
    ``(N, nv)``, the position errors ``(N,)`` [m] after each step and the solve times ``(N,)`` [s].

    Step ``k`` targets the circle at ``t = (k + 1) dt``: the pose the tool should have when the
    velocity has been applied for one period.
    """
    T_target = np.eye(4)
    T_target[:3, :3] = R_WORLD_TOOL
    frame = kinejac.FrameTask(FRAME, T_target)  # position and orientation cost 1
    posture = kinejac.PostureTask(q0, cost=posture_cost, gain=posture_gain)
    ik = kinejac.VelocityIK(robot, [frame, posture], acceleration_limit=acceleration_limit)
    n = round(laps * period / dt)
    points, _ = circle(np.arange(1, n + 1) * dt, center, radius, period)
    q, v = q0, np.zeros(robot.nv)
    trajectory, velocities, errors, times = [q0], [], np.empty(n), np.empty(n)
    perf = time.perf_counter
    for k in range(n):
        T_target[:3, 3] = points[k]
        t0 = perf()
        frame.set_target(T_target)
        v = ik.solve(q, dt, v_prev=v)
        times[k] = perf() - t0
        q = robot.integrate(q, v * dt)
        errors[k] = np.linalg.norm(kinejac.pose(robot, q, FRAME)[:3, 3] - points[k])
        trajectory.append(q)
        velocities.append(v)
    return np.array(trajectory), np.array(velocities), errors, times


def violations(robot, trajectory: np.ndarray, velocities: np.ndarray, dt: float, acceleration_limit=None) -> dict:
    """Counts of samples beyond the position, velocity (and acceleration) limits, to 1e-9."""
    out = {
        "position": int(np.sum(~robot.within_limits(trajectory, tol=1e-9))),
        "velocity": int(np.sum(np.abs(velocities) > robot.velocity_limit * (1 + 1e-9))),
    }
    if acceleration_limit is not None:
        acc = np.abs(np.diff(np.vstack([np.zeros(robot.nv), velocities]), axis=0)) / dt
        out["acceleration"] = int(np.sum(acc > np.asarray(acceleration_limit) * (1 + 1e-9) + 1e-9))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--radius", type=float, default=0.1, help="[m]")
    parser.add_argument("--period", type=float, default=4.0, help="[s] per lap")
    parser.add_argument("--laps", type=float, default=2.0)
    parser.add_argument("--dt", type=float, default=0.001, help="[s] control period")
    parser.add_argument("--acceleration-limit", type=float, default=None, help="[rad/s^2], all joints")
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

    trajectory, velocities, errors, times = track(
        robot, first.q, center, args.radius, args.period, args.laps, args.dt, acceleration_limit=args.acceleration_limit
    )
    print(
        f"tracked {args.laps:g} lap(s) of a {args.radius:g} m circle in {args.period:g} s per lap, "
        f"{len(errors)} steps of {args.dt * 1e3:g} ms"
    )
    print(f"max tracking error {errors.max():.3e} m")
    print(f"rms tracking error {np.sqrt(np.mean(errors**2)):.3e} m")
    bad = violations(robot, trajectory, velocities, args.dt, args.acceleration_limit)
    print("limit violations: " + ", ".join(f"{k} {n}" for k, n in bad.items()))
    print(f"joint limits respected: {not any(bad.values())}")
    print(f"velocity IK step: median {np.median(times) * 1e6:.1f} us, p99 {np.percentile(times, 99) * 1e6:.1f} us")

    if not args.headless:
        from kinejac.viewer import Viewer

        with Viewer(robot, open=True) as viewer:
            ts = np.linspace(0.0, args.period, 100)
            viewer.show_path(circle(ts, center, args.radius, args.period)[0], name="desired")
            viewer.show_frames([FRAME])
            stride = max(1, round(0.04 / args.dt))  # 25 frames per second
            viewer.play(trajectory[::stride], dt=stride * args.dt, repetitions=100, wait=False)  # loops in the page
            viewer.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
