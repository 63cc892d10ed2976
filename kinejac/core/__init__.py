"""The Python face of kinejac's native core (C++17, compiled when the package is installed).

The core (``cpp/``: flat kinematic trees, forward kinematics and Jacobians, the SE(3) maps, the
damped normal equations, the sphere penalty, the LM / GN / DLS loops with restarts, batches on
threads) is the extension module ``kinejac._core``. This package packs a :class:`~kinejac.Robot`
into its bound :class:`Model` once (:func:`model_of`), and re-exports the calls the rest of kinejac
makes: :func:`solve` (one problem), :func:`solve_batch` (many, on threads), :func:`frames` (batched
poses and Jacobians), :func:`evaluate` and :func:`step` (the error and the limited step, for the
Python-side stages), and :class:`Analytic` with :func:`solve_all` / :func:`solve_all_batch` (every
closed-form IK solution, :mod:`kinejac.ik.analytic`). :mod:`kinejac.ik` validates user input
before anything gets here; the binding checks shapes and indices again and raises
:class:`~kinejac.KinejacError`.
"""

from __future__ import annotations

import os
import weakref

import numpy as np

from .tree import Tree, build_tree, support

try:
    from .. import _core
except ImportError as exc:  # a source tree without a build (shadowing an install?), or a broken install
    _here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    raise ImportError(
        f"kinejac's native core (kinejac._core) is missing from {_here}: this is a source tree that was never "
        "built, imported because the current folder comes first on sys.path. Run from another folder to use "
        "an installed kinejac, or build this tree in place with `pip install -e .` (a C++17 compiler is "
        "needed, e.g. Debian's build-essential)"
    ) from exc

__all__ = [
    "INVALID_TARGET",
    "METHOD_CODES",
    "AllDoor",
    "Analytic",
    "Model",
    "Options",
    "PoseDoor",
    "Tasks",
    "Tree",
    "World",
    "default_threads",
    "evaluate",
    "frames",
    "model_of",
    "obstacle_distances",
    "solve",
    "solve_all",
    "solve_all_batch",
    "solve_batch",
    "solve_free",
    "solve_free_batch",
    "step",
    "support",
    "tree_of",
    "world_check",
    "world_collide",
    "world_distances",
]

Model = _core.Model
Tasks = _core.Tasks
Options = _core.Options
solve = _core.solve
solve_batch = _core.solve_batch
evaluate = _core.evaluate
step = _core.step
obstacle_distances = _core.obstacle_distances
Analytic = _core.Analytic
solve_all = _core.solve_all
solve_all_batch = _core.solve_all_batch
PoseDoor = _core.PoseDoor  # IKSolver's plain pose solve in one call (None: take the Python path)
AllDoor = _core.AllDoor  # AnalyticIK's solve in one call (likewise)
World = _core.World  # the collision world (kinejac.collision.world builds it)
world_check = _core.world_check
solve_free = _core.solve_free  # collision-free IK by candidates (cpp/include/kinejac/free_ik.hpp)
solve_free_batch = _core.solve_free_batch
world_collide = _core.world_collide
world_distances = _core.world_distances

#: the core's codes of the IK methods
METHOD_CODES = {"lm": 0, "gn": 1, "dls": 2}
#: reasons: the core returns the index of :class:`kinejac.ik.IKReason` (0: converged), or
#: ``INVALID_TARGET`` for a target that is not a finite rigid transform (the Python side explains it)
INVALID_TARGET = -1
_BATCH_THREADS_FROM = 2048  # a batch of kinematics this large is cut across threads

_trees: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_models: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_I = np.int64
_NO_SPHERES = (
    np.zeros(0, _I),
    np.zeros((0, 3)),
    np.zeros(0),
    np.zeros((0, 2), _I),
    np.zeros(0, _I),
    np.zeros((0, 4, 4)),
    np.zeros((0, 3)),
    np.zeros((0, 2), _I),
)


def tree_of(robot) -> Tree:
    """The robot's :class:`Tree`, built on first use (the model is treated as read-only)."""
    tree = _trees.get(robot)
    if tree is None:
        tree = _trees[robot] = build_tree(robot)
    return tree


def model_of(robot, spheres: tuple | None = None) -> Model:
    """The robot packed into the core: a bound :class:`Model` owning its tree and, if given,
    ``spheres`` (the 8 arrays of a :class:`~kinejac.collision.spheres.SphereModel`, in field
    order). Without spheres it is built once per robot and shared."""
    if spheres is None:
        model = _models.get(robot)
        if model is None:
            model = _models[robot] = _build(tree_of(robot), _NO_SPHERES)
        return model
    return _build(tree_of(robot), spheres)


def _build(tree: Tree, spheres: tuple) -> Model:
    jf, ji, cj, ff, fi, lo, hi, mode, cv, dims = tree
    sj, sc, sr, sp, ok, oT, osz, opairs = (np.asarray(a) for a in spheres)
    return Model(
        jf, ji, cj, ff, fi, lo, hi, mode, cv, int(dims[0]), int(dims[1]),
        sj.astype(_I), sc.astype(float), sr.astype(float), sp.astype(_I), ok.astype(_I), oT.astype(float),
        osz.astype(float), opairs.astype(_I),
    )  # fmt: skip


def frames(robot, Q: np.ndarray, frame_id: int, point: np.ndarray | None, reference: int, jacobian: bool):
    """Poses ``(B, 4, 4)`` and, if ``jacobian``, Jacobians ``(B, 6, nv)`` (else ``None``) of frame
    ``frame_id`` at the configurations ``Q (B, nq)`` (finite, unit-norm groups: checked by the
    caller); ``point``: a point in frame coordinates [m] (``None``: the frame origin);
    ``reference``: pinocchio's ``ReferenceFrame`` value. Large batches run on every core."""
    B = Q.shape[0]
    T = np.empty((B, 4, 4))
    J = np.empty((B, 6, robot.nv)) if jacobian else None
    offset = np.zeros(3) if point is None else np.asarray(point, dtype=float)
    threads = default_threads() if B >= _BATCH_THREADS_FROM else 1
    _core.frames(model_of(robot), Q, frame_id, offset, int(reference), T, J, threads)
    return T, J


def default_threads() -> int:
    """Threads of a batched solve: ``KINEJAC_THREADS`` if set, else the cores this process may use."""
    env = os.environ.get("KINEJAC_THREADS")
    if env:
        return max(1, int(env))
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
