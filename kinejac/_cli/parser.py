"""The ``kinejac`` argument parser: one subparser per command, options shared through parent parsers."""

from __future__ import annotations

import argparse
import math
import re
from typing import NoReturn

from .._version import __version__
from ..spatial import Reference

__all__ = ["UsageError", "build_parser"]


class UsageError(Exception):
    """A command-line mistake (found by argparse or by a command): reported like a KinejacError, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line instead of usage + message, one "kinejac: error:"
        # argparse's "argument --x: must be ..." (our types) reads "--x must be ...", its other
        # messages "--x: expected 3 arguments"; the command's help is named once, at the end
        message = re.sub(r"^argument (\S+?)(?:/\S+)?: (must be)", r"\1 \2", message)
        message = re.sub(r"^argument ", "", message)
        raise UsageError(f"{message} (see '{self.prog} --help')")


# -- argument types: every number is checked while parsing, before anything is loaded or computed --
def _number(text: str) -> float:
    """A finite number."""
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(x):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return x


def _positive_number(text: str) -> float:
    x = _number(text)
    if x <= 0:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}")
    return x


def _non_negative_number(text: str) -> float:
    x = _number(text)
    if x < 0:
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text!r}")
    return x


def _integer(text: str, minimum: int, what: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None
    if n < minimum:
        raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}")
    return n


def _positive_integer(text: str) -> int:
    return _integer(text, 1, "a positive integer")


def _non_negative_integer(text: str) -> int:
    return _integer(text, 0, "an integer >= 0")


def _orientations(text: str) -> int | str:
    """A count of orientations >= 1, or ``position``."""
    if text == "position":
        return text
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer or 'position', got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1 (or 'position' for a position-only map), got {n}")
    return n


def _slice(text: str) -> tuple[str, float | None]:
    """``AXIS`` or ``AXIS=VALUE`` [m]: the layer of a map picture."""
    axis, eq, value = text.partition("=")
    if axis not in ("x", "y", "z"):
        raise argparse.ArgumentTypeError(f"must be x, y or z, optionally =VALUE [m], got {text!r}")
    if not eq:
        return axis, None
    try:
        return axis, _number(value)
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(f"must be AXIS=VALUE with a number VALUE [m]: {exc}") from None


_Q_HELP = "joint values: one per joint in order, or name=value pairs (default: neutral)"
_PARTS = ("full", "translation", "rotation")
_MEASURES = ("yoshikawa", "condition", "min_singular", "dynamic")  # kinejac.MEASURES (a test checks)
_MEASURE_HELP = "yoshikawa, condition, min_singular or dynamic"
_IK_DESCRIPTION = (
    "Inverse kinematics: joint values placing a frame at a target. With --obstacles and/or --self-collision the "
    "solve keeps out of collision and an answer is a success only if the exact check finds it free. Without "
    "--self-collision, the answer of a robot with collision geometry is checked for self-collision and a warning "
    "names the colliding pairs (exit status unchanged); without --srdf, that first check generates the robot's "
    "disabled pairs, which takes 1-3 s (write them once with 'kinejac srdf' and pass --srdf FILE)."
)


def _common() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--json", action="store_true", help="machine-readable output, always in SI units (m, rad)")
    p.add_argument("--degrees", action="store_true", help="angles in degrees instead of radians (inputs, text output)")
    return p


def _robot_options() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("robot", metavar="ROBOT", help="bundled robot name, URDF path or erd:NAME (see 'kinejac robots')")
    p.add_argument("--lock", action="append", metavar="JOINT", help="lock joints at neutral (repeatable, or a,b,c)")
    p.add_argument("--root-joint", choices=("floating", "planar"), help="give the robot a moving base")
    p.add_argument("--package-dir", action="append", metavar="DIR", help="where package:// meshes are looked up")
    p.add_argument("--srdf", metavar="FILE", help="SRDF with the disabled collision pairs (default: generated)")
    return p


def _viewer_options() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--no-wait", action="store_true", help="close the viewer right after drawing (for scripts)")
    p.add_argument("--open", action="store_true", help="open the page in the web browser")
    p.add_argument("--zmq-url", metavar="URL", help="draw in a running meshcat server instead of starting one")
    p.add_argument(
        "--host",
        metavar="ADDR",
        help="address to serve the page on (default 127.0.0.1, this machine only; e.g. 0.0.0.0 lets "
        "other machines open it, with a warning)",
    )
    return p


def _parallel_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask cluster, e.g. tcp://127.0.0.1:8786")
    p.add_argument("--workers", type=_positive_integer, metavar="N", help="local processes (default: every core)")


def _q_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--q", nargs="+", metavar="Q", help=_Q_HELP)


def _frame_option(p: argparse.ArgumentParser, help: str = "the frame (see 'kinejac info ROBOT' for the names)") -> None:
    p.add_argument("--frame", required=True, metavar="F", help=help)


def _progress_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _map_options(p: argparse.ArgumentParser, seed_help: str, chunk: int, chunk_help: str) -> None:
    """--measure, --part, --seed and --chunk of workspace and reachability."""
    p.add_argument("--measure", default="yoshikawa", choices=_MEASURES, help=_MEASURE_HELP)
    p.add_argument("--part", default="full", choices=_PARTS, help="Jacobian rows")
    p.add_argument("--seed", type=_non_negative_integer, default=0, help=seed_help)
    p.add_argument("--chunk", type=_positive_integer, default=chunk, help=chunk_help)


def _add_model_commands(sub, robot: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """robots, info, fk, jacobian, doctor."""
    sub.add_parser("robots", parents=[common], help="list the robots that can be loaded")
    sub.add_parser("info", parents=[robot, common], help="DOF, joints and limits, frames, the kinematic tree")

    p = sub.add_parser("fk", parents=[robot, common], help="forward kinematics: the pose of frames")
    _q_option(p)
    p.add_argument("--frame", action="append", metavar="F", help="frame (repeatable; default: the leaf frames)")

    p = sub.add_parser("jacobian", parents=[robot, common], help="the 6 x nv geometric Jacobian of a frame")
    _q_option(p)
    _frame_option(p, "the frame whose Jacobian is computed")
    p.add_argument("--reference", default="local_world_aligned", choices=[r.value for r in Reference],
                   help="the frame the twist is expressed in (see the README's conventions)")  # fmt: skip

    p = sub.add_parser("doctor", parents=[robot, common], help="check a URDF for pitfalls, and the Jacobians on it")
    p.add_argument("--frame", action="append", metavar="F", help="frames to check (default: the leaf frames)")
    p.add_argument("--samples", type=_positive_integer, default=2, help="random configurations per frame (default 2)")
    p.add_argument("--seed", type=_non_negative_integer, default=0, help="seed of the random configurations")
    p.add_argument("--tol", type=_non_negative_number, default=1e-6, help="largest relative error (default 1e-6)")


def _add_ik(sub, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "ik", parents=parents, help="inverse kinematics: joint values placing a frame", description=_IK_DESCRIPTION
    )
    _frame_option(p, "the frame to place at the target")
    p.add_argument("--xyz", nargs=3, type=_number, metavar=("X", "Y", "Z"),
                   help="target position [m] (alone: position only)")  # fmt: skip
    rot = p.add_mutually_exclusive_group()
    rot.add_argument("--rpy", nargs=3, type=_number, metavar=("R", "P", "Y"), help="target orientation, roll pitch yaw")
    rot.add_argument("--quat", nargs=4, type=_number, metavar=("X", "Y", "Z", "W"),
                     help="target orientation, unit quaternion")  # fmt: skip
    p.add_argument("--method", default="lm", help="lm (default), gn or dls")
    p.add_argument("--seed", type=_non_negative_integer, default=0, help="seed of the random restarts (default 0)")
    p.add_argument("--q0", nargs="+", metavar="Q", help="start configuration (default: middle of the limits)")
    p.add_argument("--timeout", type=_positive_number, help="time budget [s]")
    p.add_argument("--max-restarts", type=_non_negative_integer, help="random restarts allowed")
    p.add_argument("--obstacles", metavar="SCENE.json", help="keep out of these obstacles (JSON scene, see the README)")
    p.add_argument("--self-collision", action="store_true", help="keep the links apart (needs collision geometry)")
    p.add_argument("--clearance", type=_non_negative_number, metavar="M",
                   help="[m] distance to keep (with the two above; default 0)")  # fmt: skip
    p.add_argument("--view", action="store_true", help="show the solve in the browser (meshcat)")
    p.add_argument(
        "--all",
        action="store_true",
        help="every solution by closed forms, nearest --q0 first (a full pose; chains with a closed form: "
        "see 'kinejac doctor'); with --view, all of them at once",
    )
    p.add_argument(
        "--fixed",
        nargs="+",
        metavar="JOINT=VALUE",
        help="with --all: joints held at a value, e.g. panda_joint7=0.3 (a 7-joint arm needs one)",
    )


def _add_view(sub, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("view", parents=parents, help="show the robot in the browser (meshcat)")
    _q_option(p)
    p.add_argument("--frame", metavar="F", help="frame to mark (default: the last leaf frame)")
    p.add_argument("--ellipsoid", action="store_true", help="draw the frame's translation velocity ellipsoid")
    p.add_argument("--ellipsoid-scale", type=_positive_number, default=0.3, help="[s] radii scale (default 0.3)")
    p.add_argument("--target", nargs="+", type=_number, metavar="V", help="draw a target pose: X Y Z [R P Y]")


def _add_analysis_commands(sub, parents: list[argparse.ArgumentParser]) -> None:
    """manip, workspace."""
    p = sub.add_parser("manip", parents=parents, help="manipulability measures, singular values, ellipsoids")
    _q_option(p)
    _frame_option(p, "the frame whose manipulability is measured")
    p.add_argument("--part", default="full", choices=_PARTS, help="Jacobian rows")
    p.add_argument("--length-scale", type=_positive_number, default=1.0,
                   help="[m] divides linear rows in 'full' (default 1)")  # fmt: skip
    p.add_argument("--tol", type=_positive_number, default=1e-6, help="singular-value threshold of a singularity")

    p = sub.add_parser("workspace", parents=parents, help="sample the reachable workspace into an .npz")
    _frame_option(p, "the frame whose positions are sampled")
    p.add_argument("--samples", type=_positive_integer, default=10_000, help="random configurations (default 10000)")
    p.add_argument("--out", required=True, metavar="FILE.npz", help="where to save the samples")
    p.add_argument("--png", metavar="FILE.png", help="also draw the samples (needs matplotlib)")
    p.add_argument("--plane", default="xy", choices=("xy", "xz", "yz"), help="plane of the picture")
    _map_options(p, "seed of the samples (default 0)", 1000, "samples per progress step (with --seed: reproducible)")
    _progress_option(p)
    p.add_argument("--self-collision", action="store_true", help="leave out self-colliding configurations")
    p.add_argument("--obstacles", metavar="SCENE.json", help="leave out configurations touching these obstacles")
    _parallel_options(p)


def _add_reachability(sub, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("reachability", parents=parents, help="reachability map of a frame into an .npz")
    _frame_option(p, "the frame whose reachable poses are mapped")
    p.add_argument("--resolution", type=_positive_number, default=0.05, help="[m] voxel side (default 0.05)")
    p.add_argument("--orientations", type=_orientations, default=50,
                   help="orientations per voxel, or 'position' (default 50)")  # fmt: skip
    p.add_argument("--bounds", nargs=6, type=_number, metavar=("XMIN", "YMIN", "ZMIN", "XMAX", "YMAX", "ZMAX"),
                   help="[m] box to map (default: the box of the reach sphere)")  # fmt: skip
    p.add_argument("--out", required=True, metavar="FILE.npz", help="where to save the map")
    p.add_argument("--png", metavar="FILE.png", help="also draw one layer (needs matplotlib)")
    p.add_argument("--slice", type=_slice, default=("z", None), metavar="AXIS[=VALUE]",
                   help="layer of the picture, e.g. z=0.4 (default z)")  # fmt: skip
    _map_options(p, "seed of the IK restarts (default 0)", 64, "voxels per chunk of work (default 64)")
    p.add_argument("--checkpoint", metavar="DIR", help="write finished chunks here; a rerun resumes")
    _progress_option(p)
    _parallel_options(p)


def _add_collision_commands(sub, parents: list[argparse.ArgumentParser]) -> None:
    """collisions, srdf."""
    p = sub.add_parser("collisions", parents=parents, help="colliding pairs and clearance (exit 1: collision)")
    _q_option(p)
    p.add_argument("--obstacles", metavar="SCENE.json", help="obstacles (JSON scene, see the README)")
    p.add_argument("--no-self-collision", action="store_true", help="check the links against obstacles only")

    p = sub.add_parser("srdf", parents=parents, help="generate the disabled collision pairs as an SRDF file")
    p.add_argument("--out", required=True, metavar="FILE.srdf", help="where to write the SRDF")
    p.add_argument("--samples", type=_positive_integer, default=10_000, help="random configurations (default 10000)")
    p.add_argument("--seed", type=_non_negative_integer, default=0, help="seed of the samples (default 0)")


def build_parser() -> argparse.ArgumentParser:
    """The ``kinejac`` argument parser (one subparser per subcommand; ``args.command`` names it)."""
    common, robot, viewer = _common(), _robot_options(), _viewer_options()
    parser = _Parser(prog="kinejac", description="Jacobians, inverse kinematics and manipulability of URDF robots.")
    parser.add_argument("--version", action="version", version=f"kinejac {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _add_model_commands(sub, robot, common)
    _add_ik(sub, [robot, common, viewer])
    _add_analysis_commands(sub, [robot, common])
    _add_collision_commands(sub, [robot, common])
    _add_reachability(sub, [robot, common])
    _add_view(sub, [robot, common, viewer])
    return parser
