"""The commands that solve or show: ik (with collision avoidance and ``--view``) and view.

A command that opens a viewer hands it back in its record; :func:`kinejac.cli.main` keeps it open
after printing (:func:`keep_open`) and closes it.
"""

from __future__ import annotations

import argparse
import math
import signal
import threading
import warnings
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pinocchio as pin

from ..collision.checking import CollisionChecker
from ..collision.checking import collisions as self_collisions
from ..collision.obstacles import load_scene
from ..errors import InvalidChoiceError, InvalidValueError, KinejacError
from ..ik.analytic import IKSolutions, solve_ik_all
from ..ik.cached import solve_ik
from ..ik.solvers import METHODS
from ..kinematics import pose
from .inputs import ANGULAR, configuration, ik_target, load_robot, note, number, view_target, warn
from .pairs_cache import prepare_disabled_pairs
from .parser import UsageError
from .reports import EXIT_NEGATIVE, EXIT_OK, IkAllReport, IkReport, ViewReport

if TYPE_CHECKING:
    from ..robot import Robot

__all__ = ["ik", "ik_all", "keep_open", "view"]

# the fields of the IKResult that the record takes as they are
_AS_SOLVED = ("success", "q", "position_error", "rotation_error", "iterations", "restarts", "time")


def _open_viewer(robot: Robot, args: argparse.Namespace):
    from ..viewer._viewer import Viewer  # the class itself: the package adds the browser helpers

    try:
        with warnings.catch_warnings(record=True) as caught:  # the active filters apply
            viewer = Viewer(robot, zmq_url=args.zmq_url, host=args.host, open=args.open, quiet=args.json)
    except ImportError as exc:  # meshcat missing
        raise KinejacError(str(exc)) from None
    finally:
        for w in caught:
            warn(str(w.message))
    return viewer


def keep_open(viewer, args: argparse.Namespace) -> None:
    """Keep the viewer's server alive until Ctrl-C, SIGTERM or SIGHUP (or return at once with --no-wait)."""
    if not args.no_wait:
        note("the viewer stays open: press Ctrl-C to quit")  # its URL is in the output already
        viewer.wait(quiet=True)
        if threading.current_thread() is threading.main_thread():  # the user asked to quit: a second
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C while the viewer closes changes nothing


def _described(xyz: np.ndarray | None, R: np.ndarray | None) -> dict[str, list[float] | None]:
    """The target as documented in JSON: ``xyz``, ``rpy``, ``quat_xyzw`` (``None`` where not given)."""
    return {
        "xyz": None if xyz is None else xyz.tolist(),
        "rpy": None if R is None else pin.rpy.matrixToRpy(R).tolist(),
        "quat_xyzw": None if R is None else pin.Quaternion(R).coeffs().tolist(),
    }


def ik(args: argparse.Namespace) -> IkReport | IkAllReport:
    if args.method.lower() not in METHODS:  # before anything is loaded
        raise InvalidChoiceError("IK method", args.method, METHODS)
    target, xyz, R = ik_target(args)
    robot = load_robot(args)
    robot.frame_id(args.frame)
    q0 = None if args.q0 is None else configuration(robot, args, "q0", "--q0")
    if args.all:
        return ik_all(robot, args, target, xyz, R, q0)
    if args.fixed:
        raise UsageError("kinejac ik: --fixed goes with --all")
    options: dict[str, Any] = {"history": bool(args.view)}
    for name in ("timeout", "max_restarts"):
        if getattr(args, name) is not None:
            options[name] = getattr(args, name)
    if args.clearance is not None and not (args.obstacles or args.self_collision):
        raise InvalidValueError("--clearance needs --obstacles SCENE.json and/or --self-collision")
    if args.self_collision and args.method.lower() == "dls":
        raise InvalidValueError("collision avoidance needs method 'lm' or 'gn' (DLS steps follow the pose error alone)")
    prepare_disabled_pairs(robot, args)  # the answer is checked for self-collision (generated pairs: seconds)
    scene, checker = _collision_options(robot, args, options)
    result = solve_ik(robot, target, args.frame, q0=q0, method=args.method, seed=args.seed, **options)
    collisions, closest = _collision_check(robot, args, checker, result.q)
    viewer = _open_viewer(robot, args) if args.view else None
    if viewer is not None:
        try:
            _draw_ik(viewer, target, args.frame, result, scene)
        except BaseException:
            viewer.close()
            raise
    return IkReport(
        robot,
        frame=args.frame,
        method=args.method,
        target=_described(xyz, R),
        reason=result.reason.value,
        **{name: getattr(result, name) for name in _AS_SOLVED},
        obstacles=list(checker.obstacle_names) if checker is not None else [],
        self_collision=bool(args.self_collision),
        clearance=args.clearance or 0.0,
        collisions=collisions,
        closest=closest,
        url=viewer.url if viewer else None,
        avoiding=checker is not None,
        status=EXIT_OK if result.success else EXIT_NEGATIVE,
        viewer=viewer,
    )


def ik_all(robot: Robot, args: argparse.Namespace, target: np.ndarray, xyz, R, q0) -> IkAllReport:
    """``ik --all``: every closed-form solution (:func:`kinejac.solve_ik_all`)."""
    if target.shape != (4, 4):
        raise UsageError("kinejac ik --all: give a full pose, --xyz X Y Z and --rpy R P Y (or --quat X Y Z W)")
    for option in ("obstacles", "self_collision", "clearance", "timeout", "max_restarts"):
        if getattr(args, option):
            raise UsageError(f"kinejac ik --all lists every solution: --{option.replace('_', '-')} does not apply")
    fixed: dict[str, float] = {}
    for item in args.fixed or ():
        name, sep, text = item.partition("=")
        if not sep:
            raise UsageError(f"kinejac ik --fixed: expected JOINT=VALUE, got {item!r}")
        value = number(text, f"--fixed {name}")
        fixed[name] = math.radians(value) if args.degrees and robot.joint(name).kind in ANGULAR else value
    sols = cast(IKSolutions, solve_ik_all(robot, target, args.frame, q0=q0, fixed=fixed or None))  # one target
    solutions = [
        {"q": q, "joints": robot.to_dict(q), "position_error": float(p), "rotation_error": float(r), "branch": int(b)}
        for q, p, r, b in zip(sols.q, sols.position_error, sols.rotation_error, sols.branch)
    ]
    viewer = _open_viewer(robot, args) if args.view else None
    if viewer is not None:
        try:
            viewer.show_target(target)
            viewer.show_frames([args.frame])
            if len(sols):
                viewer.show(sols.q[0])
                viewer.show_solutions(sols.q)
        except BaseException:
            viewer.close()
            raise
    return IkAllReport(
        robot,
        frame=args.frame,
        target=_described(xyz, R),
        family=str(sols.structure.family),
        structure=sols.structure.describe(),
        fixed=fixed,
        count=len(sols),
        reason=sols.reason.value,
        singular=sols.singular,
        solutions=solutions,
        time=sols.time,
        url=viewer.url if viewer else None,
        status=EXIT_OK if len(sols) else EXIT_NEGATIVE,
        viewer=viewer,
    )


def _collision_options(robot: Robot, args: argparse.Namespace, options: dict[str, Any]):
    """Put ``--obstacles``, ``--self-collision`` and ``--clearance`` into the solver ``options``;
    returns the scene and the exact checker of what the solve avoids (``None`` without them)."""
    if not (args.obstacles or args.self_collision):
        return (), None
    scene = load_scene(args.obstacles) if args.obstacles else ()
    options.update(obstacles=scene, self_collision=bool(args.self_collision))
    if args.clearance is not None:
        options["clearance"] = args.clearance
    return scene, CollisionChecker(robot, scene, self_collision=bool(args.self_collision))


def _collision_check(
    robot: Robot, args: argparse.Namespace, checker, q: np.ndarray
) -> tuple[list[list[str]] | None, dict[str, Any] | None]:
    """The exact check of the answer: the colliding pairs (``None`` when nothing was checked) and
    the closest checked pair (with ``checker``). Without ``--self-collision``, a robot with
    collision geometry is checked for self-collision and a warning names the pairs."""
    found: list[tuple[str, str]] = []
    closest = None
    checked = checker is not None
    if checker is not None:
        found = checker.collisions(q)
        c = checker.clearance(q)
        if c.pair is not None:
            closest = {"distance": c.distance, "pair": list(c.pair)}
    if not args.self_collision and robot.has_collision_geometry:
        checked = True
        own = self_collisions(robot, q)  # the first call without an SRDF generates the disabled pairs (1-3 s)
        if own:
            warn(
                f"the answer self-collides: {', '.join(f'{a} -- {b}' for a, b in own)}; "
                "pass --self-collision to avoid it"
            )
        found = found + [p for p in own if p not in found]
    return ([list(p) for p in found] if checked else None), closest


def _draw_ik(viewer, target: np.ndarray, frame: str, result, scene=()) -> None:
    """The target (a triad; at the solution's frame origin for an orientation-only target), the
    obstacles, the solver's iterates as an animation, and the solution."""
    T = target
    if target.shape == (3,):
        T = np.eye(4)
        T[:3, 3] = target
    elif target.shape == (3, 3):
        T = pose(viewer.robot, result.q, frame).copy()
        T[:3, :3] = target
    viewer.show_target(T)
    viewer.show_frames([frame])
    if scene:
        viewer.show_obstacles(scene)
    if result.history is not None and len(result.history) > 1:
        viewer.play(result.history, dt=0.2, wait=False)  # the page plays it; a page opened later too
    viewer.show(result.q)


def view(args: argparse.Namespace) -> ViewReport:
    robot = load_robot(args)
    frame = args.frame or (robot.leaf_frames() or [robot.frame_names[-1]])[-1]
    robot.frame_id(frame)
    q = configuration(robot, args)
    target = view_target(args)
    viewer = _open_viewer(robot, args)
    try:
        viewer.show(q)
        viewer.show_frames([frame])
        if target is not None:
            viewer.show_target(target)
        if args.ellipsoid:
            viewer.show_ellipsoid(q=q, frame=frame, scale=args.ellipsoid_scale)
    except BaseException:
        viewer.close()
        raise
    return ViewReport(robot, viewer.url, frame, q, viewer=viewer)
