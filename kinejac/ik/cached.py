"""``solve_ik``: one call, one solve, with the :class:`~kinejac.ik.IKSolver` behind it built once per
robot and settings (and unknown options caught with a suggestion)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
import pinocchio as pin

from ..errors import InvalidChoiceError, InvalidValueError
from ..robot import Robot
from .seeds import check_seed
from .solvers import METHODS, IKSolver, Method, check_options

_ANALYTIC_OPTIONS = ("fixed", "tolerance")

if TYPE_CHECKING:
    from .result import IKResult

__all__ = ["solve_ik"]

_CACHE_KEY = "ik.solve_ik"  # robot.cache[_CACHE_KEY]: {(frame, method, *options): IKSolver}
_CACHE_SIZE = 32


def _check_method(method) -> None:
    """An unknown method raises, listing every method ``solve_ik`` takes (the closed form too)."""
    if not (isinstance(method, str) and method.lower() in METHODS):
        raise InvalidChoiceError("IK method", method, (*METHODS, "analytic"))


def _cached_solver(robot: Robot, frame, method, seed, options: dict) -> IKSolver:
    """An :class:`IKSolver` for these settings, built once per robot and settings (kept in
    ``robot.cache``: it goes with the robot, and is rebuilt when the disabled pairs change)."""
    if options and isinstance(options.get("obstacles"), list):  # obstacles are hashed by identity
        options = {**options, "obstacles": tuple(options["obstacles"])}
    key = (frame, method, *options.items()) if options else (frame, method)
    solvers = robot.cache.setdefault(_CACHE_KEY, {}) if isinstance(robot, Robot) else None
    solver = None
    try:
        solver = solvers.get(key) if solvers is not None else None
    except TypeError:  # an unhashable frame or option value: build afresh
        solvers = None
    if solver is None:
        _check_method(method)
        check_options("solve_ik", options)
        solver = IKSolver(robot, frame, method=method, seed=seed if solvers is None else 0, **options)
        if solvers is not None:
            if len(solvers) >= _CACHE_SIZE:
                solvers.pop(next(iter(solvers)))
            solvers[key] = solver
    return solver


def solve_ik(
    robot: Robot,
    target,
    frame: str | None = None,
    *,
    q0=None,
    method: Method | Literal["analytic"] = "lm",
    weights=None,
    mask=None,
    relative_to: str | None = None,
    seed: int | np.random.SeedSequence | None = 0,
    **options,
) -> IKResult:
    """Joint configuration reaching ``target`` for ``frame``, within the joint limits.

    Args:
        robot: the robot.
        target: the desired ``T_world_frame`` as a 4x4 array or ``pinocchio.SE3``; or a ``(3,)``
            position [m] (position only); or a ``(3, 3)`` rotation (orientation only); or a
            :class:`~kinejac.ik.FrameTarget` or a sequence of them (several frames at once).
        frame: the frame to place (needed for array targets).
        q0: ``(nq,)`` start configuration (clipped into the limits); default: middle of the limits.
        method: ``"lm"`` (Levenberg-Marquardt, default), ``"gn"`` (Gauss-Newton), ``"dls"``, or
            ``"analytic"``: the closed-form solution nearest ``q0`` (:func:`~kinejac.solve_ik_all`; a
            full pose of a chain with a closed form; options ``fixed`` and ``tolerance`` as there, and
            ``relative_to`` is its ``base``). No solution gives ``success=False`` at ``q0`` (clipped)
            with reason ``unreachable`` or ``limits``.
        weights: ``(6,)`` [x, y, z, rx, ry, rz] weights in the target frame's axes (0 = free axis);
            ``(3,)`` for a position or rotation target. mask: ``(6,)`` booleans, the same as 0/1 weights.
        relative_to: place ``frame`` relative to this frame (``target`` is ``T_relative_frame``).
        seed: seed of the random restarts.
        **options: any :class:`IKSolver` option (``position_tolerance``, ``timeout``, ``max_restarts``,
            ``objective``, ``history``, ...); an unknown name raises :class:`~kinejac.UnknownOptionError`.

    Returns:
        An :class:`~kinejac.ik.IKResult`; an unreachable target gives ``success=False`` with the
        closest configuration found. Malformed targets raise :class:`~kinejac.KinejacError`.

    The solver behind a call is cached per robot and settings, so repeated calls pay no set-up.
    """
    if method == "analytic":
        return _analytic(robot, target, frame, q0, weights, mask, relative_to, options)
    try:  # the cached solver of these settings (any miss or odd key: _cached_solver sorts it out)
        solver = robot.cache[_CACHE_KEY][(frame, method, *options.items()) if options else (frame, method)]
    except (AttributeError, KeyError, TypeError):
        solver = _cached_solver(robot, frame, method, seed, options)
    door = solver._door
    if door is not None and weights is None and mask is None and relative_to is None and seed is solver._seed_int:
        # a plain pose in one native call (None: the path below)
        found = door(target.homogeneous if type(target) is pin.SE3 else target, q0)
        if found is not None:
            return found
    return solver.solve(target, q0, weights=weights, mask=mask, relative_to=relative_to, seed=check_seed(seed))


def _analytic(robot: Robot, target, frame, q0, weights, mask, relative_to, options: dict) -> IKResult:
    """``solve_ik(..., method="analytic")``: the closed-form solution nearest ``q0``."""
    from .analytic import analytic_solver

    check_options("solve_ik(method='analytic')", options, _ANALYTIC_OPTIONS)
    if weights is not None or mask is not None:
        raise InvalidValueError("method 'analytic' solves full poses: weights and mask do not apply")
    if frame is None:
        raise InvalidValueError("method 'analytic' needs the frame")
    fixed = options.get("fixed")
    kw = {} if "tolerance" not in options else {"tolerance": options["tolerance"]}
    solver = analytic_solver(robot, frame, base=relative_to, fixed=None if fixed is None else tuple(fixed), **kw)
    if fixed is not None:
        q0 = solver._start(q0, fixed)
    return solver.nearest(target, q0)
