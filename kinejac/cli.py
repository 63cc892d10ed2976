"""The ``kinejac`` command line (also ``python -m kinejac``).

Every subcommand calls the library; nothing here re-implements kinematics. Robots are named as in
:func:`kinejac.load`: a bundled name (``panda``), a ``.urdf`` path or ``erd:NAME``. Options shared by
the subcommands that take a ROBOT: ``--lock J`` (lock joints, repeatable or comma-separated),
``--root-joint {floating,planar}``, ``--package-dir DIR`` (mesh lookup), ``--json``, ``--degrees``.

Configurations (``--q``, ``--q0``) are joint values, in one of two forms:

- a plain list, one value per joint in ``robot.joint_names`` order (commas, spaces and brackets
  are all accepted: ``--q 0 0.5 1``, ``--q 0,0.5,1``, ``--q "[0, 0.5, 1]"``). A continuous joint
  takes one angle (not pinocchio's ``(cos, sin)`` pair); floating/planar base joints take their
  raw coordinates (``x y z qx qy qz qw`` / ``x y cos sin``);
- ``name=value`` pairs (``--q panda_joint2=0.4 panda_joint4=-1.8``); joints not named keep their
  neutral value. A multi-coordinate joint takes its values after the ``=``.

Both are turned into ``q`` with :meth:`kinejac.Robot.from_dict`. When ``--q`` is omitted the
neutral configuration is used (a warning says so when it is outside the joint limits). Angles
are in radians; ``--degrees`` switches the angle inputs (revolute and continuous joints, ``--rpy``)
and the human-readable angle outputs to degrees. ``--json`` output is always in SI units
(m, rad) so scripts need not care about ``--degrees``.

Exit statuses: 0 success; 1 the command ran but its answer is negative (``ik`` found no
solution, ``doctor`` found the URDF broken (a finding of severity ``error``, code
``invalid_urdf``, ``derivative_check`` null), collision geometry it cannot build (code
``collision_geometry``) or its derivative check failed, ``collisions`` found a colliding pair); 2 a
usage error (unknown robot, frame or joint, bad numbers, a URDF file that is missing or, except for
``doctor``, broken, unwritable output file, a request larger than the memory limit), reported as one
line on stderr ``kinejac: error: ...``
and found before any long computation (every number is checked while parsing); with ``--json``
stdout also gets ``{"error": {"type", "message"}}``; 130 Ctrl-C (no traceback); 70 an error kinejac
did not foresee (a bug: one line, ``KINEJAC_TRACEBACK=1`` shows the traceback). A step that takes
more than a second says what it is doing on stderr (``kinejac: generating the disabled collision
pairs ...``); generated disabled pairs are cached (:mod:`kinejac._cli.pairs_cache`).

JSON schemas (keys are stable; 4x4 poses are nested row lists, ``T_world_frame`` maps frame
coordinates into world coordinates; ``rpy`` is roll-pitch-yaw with ``R = Rz(yaw) Ry(pitch)
Rx(roll)``; ``quat_xyzw`` is a unit quaternion; ``null`` stands for an infinite limit):

- ``robots``: ``{"bundled": [{"name", "nq", "nv", "leaf_frames"}], "example_robot_data": [name]}``
- ``info``: ``{"robot", "urdf", "nq", "nv", "joints": [{"name", "kind", "idx_q", "nq", "idx_v",
  "nv", "parent", "mimicked", "lower", "upper", "velocity_limit"}], "frames": [{"name", "type",
  "parent"}], "leaf_frames"}`` (``lower``/``upper`` are lists of the joint's nq coordinates,
  ``velocity_limit`` of its nv; ``parent`` of a frame is its parent frame, ``null`` for ``universe``)
- ``fk``: ``{"robot", "q", "joints", "frames": {name: {"T_world_frame", "xyz", "rpy", "quat_xyzw"}}}``
  where ``q`` is pinocchio's ``(nq,)`` vector and ``joints`` maps joint names to their values
- ``jacobian``: ``{"robot", "q", "joints", "frame", "reference", "rows", "columns", "J"}``, ``J`` is
  ``6 x nv`` (rows ``vx vy vz wx wy wz``, columns the tangent directions named after their joints)
- ``doctor``: ``{"robot", "urdf", "nq", "nv", "findings": [{"severity", "code", "message", "subject"}],
  "derivative_check": {"frames": {name: {"worst", "error", "ok"}}, "worst_frame", "worst_error",
  "tolerance", "ok"}, "ok", "ik_structure": {frame: {"family", "method", "reversed", "exact",
  "deviation", "description", "fixable"}}}``; ``severity`` is ``error``, ``warning`` or ``note``; ``code`` one of
  ``invalid_urdf`` (the URDF cannot be loaded; ``nq``, ``nv`` and ``derivative_check`` are null),
  ``collision_geometry`` (the ``<collision>`` meshes cannot be found: collision checks are impossible;
  the message names the folder to pass with ``--package-dir``), ``continuous_limits``, ``mimic``,
  ``unresolved_mesh``, ``unsupported_mesh``, ``duplicate_frame``, ``neutral_outside_limits``,
  ``no_inertia``; ``ok`` is false when a finding is an error or the derivative check failed;
  ``ik_structure`` is :func:`kinejac.ik_structure` of each checked frame: its family of closed-form
  IK, ``null`` with the reason in ``description`` when none fits (``fixable``: the joints of a
  7-joint chain whose fixing gives one)
- ``ik``: ``{"robot", "frame", "method", "target": {"xyz", "rpy", "quat_xyzw"}, "success", "reason", "q",
  "joints", "position_error", "rotation_error", "iterations", "restarts", "time", "obstacles",
  "self_collision", "clearance", "collisions", "closest", "url"}`` (``target`` entries are ``null`` when
  not given: ``--xyz`` alone is a position-only target; errors in m and rad, ``time`` in s, ``url`` the
  viewer's page with ``--view``; ``obstacles`` the names of ``--obstacles``' scene, ``clearance`` [m];
  ``collisions`` the answer's colliding pairs ``[[a, b]]`` by the exact check: the pairs avoided, plus
  the self-collisions without ``--self-collision``, ``null`` when nothing was checked (no collision
  geometry and no obstacles); ``closest`` ``{"distance", "pair"}`` the closest avoided pair, ``null``
  without ``--obstacles``/``--self-collision``; reason ``collision``: the answer reaches the target but
  collides or is closer than ``--clearance``)
- ``ik --all``: ``{"robot", "frame", "target", "family", "structure", "fixed", "count", "reason", "singular",
  "solutions": [{"q", "joints", "position_error", "rotation_error", "branch"}], "time", "url"}``: every
  closed-form solution (:func:`kinejac.solve_ik_all`), nearest ``--q0`` first; ``fixed`` the ``--fixed``
  joint values [rad]; ``reason`` ``solved``, ``unreachable``, ``outside_limits`` or ``not_converged``; exit
  status 1 without a solution
- ``manip``: ``{"robot", "q", "joints", "frame", "part", "length_scale", "measures": {"yoshikawa",
  "condition", "min_singular", "dynamic"}, "singular_values", "rank", "generic_rank", "singular", "tol",
  "ellipsoids": {"translation" | "rotation": {"center", "axes", "velocity_radii", "force_radii"}}, "notes"}``
  (``axes`` is a list of three unit principal axes in world coordinates; a measure that cannot be
  computed, e.g. ``dynamic`` without inertias, is ``null`` with a note; an infinite force radius is ``null``)
- ``workspace``: ``{"robot", "frame", "samples", "measure", "part", "seed", "out", "png", "bounds": {"min",
  "max"}, "manipulability": {"min", "mean", "median", "max"}, "best": {"position", "manipulability",
  "joints"}}``; the samples themselves are in the ``.npz`` (:meth:`kinejac.Workspace.load`)
- ``reachability``: ``{"robot", "frame", "resolution", "orientations", "voxels", "shape", "bounds": {"min",
  "max"}, "reachable_voxels", "mean_index", "complete", "executor", "time", "out", "png"}`` (``orientations``
  is a count or ``"position"``; ``mean_index`` averages the reachability index over the voxels of the reach
  sphere); the map itself is in the ``.npz`` (:meth:`kinejac.ReachabilityMap.load`)
- ``view``: ``{"robot", "url", "frame", "q", "joints"}``
- ``collisions``: ``{"robot", "q", "joints", "obstacles", "self_collision", "in_collision", "pairs": [[a, b]],
  "clearance": {"distance", "pair", "point_a", "point_b"}}`` (exit status 1 when ``in_collision``;
  ``distance`` in m, negative when penetrating; the witness points in world coordinates)
- ``srdf``: ``{"robot", "out", "samples", "seed", "pairs": {"adjacent", "never", "always"}}`` (counts)

``view`` and ``ik --view`` start a meshcat server on 127.0.0.1 (``--host ADDR`` serves the page
on another address, with a warning), print its URL and keep it alive until Ctrl-C, SIGTERM or
SIGHUP, then stop it (exit status 0); ``--no-wait`` closes it right after drawing (scripts and
tests), ``--open`` opens the browser. The server never outlives the command, even when it is
killed. Ctrl-C anywhere else exits with status 130 and no traceback.

Layout: this module is the thin layer; the package :mod:`kinejac._cli` holds the rest:
``parser`` builds the argument parser; ``inputs`` turns words into library values (robots,
configurations, targets, output paths); each command in ``commands`` (model), ``commands_ik``
(ik, view) and ``commands_maps`` (workspace, reachability, collisions, srdf) returns a record of
``reports``; ``render`` prints any record as text or JSON; :func:`main` here
ties them together and turns errors into exit statuses.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ._cli.commands import doctor, fk, info, jacobian_of, manip, robots
from ._cli.commands_ik import ik, keep_open, view
from ._cli.commands_maps import collisions, reachability, srdf, workspace
from ._cli.inputs import parse_q
from ._cli.parser import UsageError, build_parser
from ._cli.render import fmt_vec as _fmt_vec  # noqa: F401  (tests pin the negative-zero formatting through it)
from ._cli.render import print_json, render
from ._cli.reports import EXIT_INTERNAL, EXIT_NEGATIVE, EXIT_OK, EXIT_USAGE, Report
from .errors import KinejacError

if TYPE_CHECKING:
    from .robot import Robot

__all__ = ["EXIT_INTERNAL", "EXIT_NEGATIVE", "EXIT_OK", "EXIT_USAGE", "build_parser", "leaf_frames", "main", "parse_q"]

COMMANDS: dict[str, Callable[[argparse.Namespace], Report]] = {
    "robots": robots,
    "info": info,
    "fk": fk,
    "jacobian": jacobian_of,
    "doctor": doctor,
    "ik": ik,
    "manip": manip,
    "workspace": workspace,
    "collisions": collisions,
    "srdf": srdf,
    "reachability": reachability,
    "view": view,
}


def leaf_frames(robot: Robot) -> list[str]:
    """Frames no other frame hangs from; kept for old imports: use :meth:`kinejac.Robot.leaf_frames`."""
    return robot.leaf_frames()


def _run(args: argparse.Namespace) -> int:
    """Run the command, print its record, keep its viewer open (if any) until asked to quit."""
    report = COMMANDS[args.command](args)
    try:
        render(report, as_json=args.json, degrees=args.degrees)
        if report.viewer is not None:
            keep_open(report.viewer, args)
    finally:
        if report.viewer is not None:
            report.viewer.close()
    return report.status


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 negative answer, 2 usage error)."""
    parser = build_parser()
    json_wanted = "--json" in (sys.argv[1:] if argv is None else argv)
    try:
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help / --version
            return int(exc.code or 0)
        if args.command is None:
            parser.print_help()
            return EXIT_USAGE
        return _run(args)
    except (KinejacError, UsageError) as exc:
        message = str(exc).replace("\n", " ")
        if json_wanted:
            print_json({"error": {"type": type(exc).__name__, "message": message}})
        print(f"kinejac: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:  # Ctrl-C outside the viewer's wait: whatever was started is stopped
        print("kinejac: interrupted", file=sys.stderr)
        return 128 + 2
    except BrokenPipeError:  # stdout closed early (``kinejac ... | head``): not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_NEGATIVE
    except OSError as exc:  # output files that cannot be written
        if json_wanted:
            print_json({"error": {"type": type(exc).__name__, "message": str(exc)}})
        print(f"kinejac: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # not foreseen: a bug, reported in one line (KINEJAC_TRACEBACK=1 shows where)
        if os.environ.get("KINEJAC_TRACEBACK"):
            raise
        message = f"internal error, please report it: {type(exc).__name__}: {exc}".replace("\n", " ")
        if json_wanted:
            print_json({"error": {"type": type(exc).__name__, "message": message}})
        print(f"kinejac: error: {message} (KINEJAC_TRACEBACK=1 shows the traceback)", file=sys.stderr)
        return EXIT_INTERNAL
