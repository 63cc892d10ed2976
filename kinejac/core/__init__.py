"""kinejac's compiled core (numba): flat kinematic trees, forward kinematics and Jacobians, the SE(3)
maps, small dense solves and the IK loop, for one problem or a batch on a thread pool.

Internal: :mod:`kinejac.ik` validates user input and hands arrays to :func:`solve`. Layout:
``tree`` (the robot as arrays; kinematics), ``lie`` (exp/log and their Jacobians),
``configuration`` (sampling, integration, limits), ``residual`` (task errors and Jacobians),
``linalg`` (damped normal equations), ``solver`` (LM, GN, DLS attempts), ``search`` (restarts, the
entry point), ``frames`` (batched poses and Jacobians), ``trig`` (sine and cosine), ``packing``,
``borrow``, ``jit``, ``clock``.

Compilation: the first use in a fresh environment compiles the core (about two minutes; a note
goes to stderr) and numba caches the machine code next to these modules (or in
``NUMBA_CACHE_DIR``); later processes load it in a fraction of a second. Developers: numba checks
only the entry module's timestamp, so after editing another module here delete the ``*.nbi`` and
``*.nbc`` files under ``kinejac/core/__pycache__``.
"""

from __future__ import annotations

import os
import sys
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .frames import frame_range
from .packing import pack
from .search import evaluate_at, solve_range, step_at, work_size
from .solver import N_OPTIONS, O_MAX_IT, O_PTOL, O_RTOL, O_TIMEOUT
from .tree import Tree, build_tree, support

__all__ = [
    "NO_SPHERES",
    "N_OPTIONS",
    "Tree",
    "default_threads",
    "evaluate_at",
    "frames",
    "load_compiled",
    "pack",
    "solve",
    "step_at",
    "support",
    "tree_of",
    "work_size",
]

_COMPILE_SECONDS = 120  # a cold start on a quiet 2-core machine: 121.6 s measured (BENCHMARKS.md)
_trees: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_packed: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_announced: set = set()  # the entry points whose compilation has been announced
_NO_HISTORY = np.empty((1, 64))  # a dummy history buffer (nothing is written to it)
_NO_WORK = np.empty(0)  # no work buffer: each call allocates its own
_I = np.int64
#: the sphere model of a problem without collision avoidance
NO_SPHERES = (
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


def frames(robot, Q: np.ndarray, frame_id: int, point: np.ndarray | None, reference: int, jacobian: bool):
    """Poses ``(B, 4, 4)`` and, if ``jacobian``, Jacobians ``(B, 6, nv)`` (else ``None``) of frame
    ``frame_id`` at the configurations ``Q (B, nq)`` (finite, unit-norm groups: checked by the
    caller), compiled (:mod:`kinejac.core.frames`); ``reference``: pinocchio's enum value."""
    packed = _packed.get(robot)
    if packed is None:
        tree = tuple(tree_of(robot))
        packed = _packed[robot] = (*pack(tree, NO_SPHERES), tree)
    mf, mi, tree = packed
    if frame_range not in _announced:
        _note_compile(frame_range, "the batched kinematics, once")
    if not (Q.flags.c_contiguous and Q.flags.writeable and Q.dtype == np.float64):
        Q = np.array(Q, dtype=float, order="C")  # one compiled signature: writeable C float arrays
    B = Q.shape[0]
    path = support(tree, [frame_id])
    T = np.empty((B, 4, 4))
    J = np.empty((B if jacobian else 0, 6, robot.nv))
    offset = np.zeros(3) if point is None else np.asarray(point, dtype=float)
    frame_range(mf, mi, Q, path, frame_id, offset, int(reference), 0, B, T, J)
    return T, (J if jacobian else None)


def default_threads() -> int:
    """Threads of a batched solve: ``KINEJAC_THREADS`` if set, else the cores this process may use."""
    env = os.environ.get("KINEJAC_THREADS")
    if env:
        return max(1, int(env))
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _cache_index(entry) -> str | None:
    """Where numba keeps the index of a compiled entry point (``None`` if its layout is unknown)."""
    cache = getattr(entry, "_cache", None)
    return getattr(getattr(cache, "_cache_file", None), "_index_path", None)


def _note_compile(entry, what: str) -> None:
    """Once per entry point: say on stderr if numba has no cached copy of it to load."""
    _announced.add(entry)
    _announce_compile(_cache_index(entry), what)


def _announce_compile(index: str | None, what: str = f"the IK core, once (~{_COMPILE_SECONDS} s)") -> bool:
    """Say, on stderr, that ``what`` is being compiled, unless numba's cache index ``index`` exists."""
    if index is not None and os.path.exists(index):
        return False
    print(f"kinejac: compiling {what}; later runs load it from numba's cache", file=sys.stderr, flush=True)
    return True


def solve(model, ti, tw, path, Ts, Q0, seeds, opts, *, threads: int = 1, hist=None, out=None):
    """Run the compiled IK loop on ``B`` problems; returns ``out_q (B, nq)``, ``out_f (B, 4)``,
    ``out_i (B, 3)`` (into ``out`` if given) and the number of history rows written into
    ``hist (H, nq)`` (problem 0). ``model`` is ``pack(tree, sph)`` (:mod:`kinejac.core.packing`):
    the robot's tree and the sphere model of :mod:`kinejac.core.spheres` (:data:`NO_SPHERES`: none).

    With ``threads > 1`` the batch is cut into chunks solved on a pool of threads (the compiled
    code releases the GIL); every problem's result depends only on its own inputs and seed, so
    the thread count changes nothing but the speed.
    """
    if solve_range not in _announced:
        _note_compile(solve_range, f"the IK core, once (~{_COMPILE_SECONDS} s)")
    mf, mi = model
    B, nq = Q0.shape
    if out is None:
        out = np.empty((B, nq)), np.empty((B, 4)), np.empty((B, 3), dtype=np.int64)
    out_q, out_f, out_i = out
    if hist is None:
        hist = _NO_HISTORY[:, :nq]
    if threads <= 1 or B < 2:
        n = solve_range(mf, mi, ti, tw, path, Ts, Q0, seeds, opts, 0, B, out_q, out_f, out_i, hist, _NO_WORK)
        return out_q, out_f, out_i, n
    chunk = max(1, min(256, -(-B // (8 * threads))))
    bounds = [(a, min(a + chunk, B)) for a in range(0, B, chunk)]

    def run(span):
        solve_range(mf, mi, ti, tw, path, Ts, Q0, seeds, opts, span[0], span[1], out_q, out_f, out_i, hist, _NO_WORK)

    for _ in _executor(threads).map(run, bounds):
        pass
    return out_q, out_f, out_i, 0


_loaded = False


def load_compiled(tree) -> None:
    """Load (or compile) the solver now, once per process, on a trivial problem of ``tree``, so
    that the first real solve's time budget is not spent loading machine code."""
    global _loaded
    if _loaded:
        return
    nq = int(tree[9][0])
    ti = np.array([[0, -1, 1]], dtype=np.int64)  # the world frame, reached at once
    opts = np.zeros(N_OPTIONS)
    opts[O_PTOL] = opts[O_RTOL] = 1.0  # anything is converged
    opts[O_MAX_IT], opts[O_TIMEOUT] = 1.0, np.inf
    model = pack(tree, NO_SPHERES)
    solve(model, ti, np.ones((1, 6)), np.zeros(0, np.int64), np.eye(4).reshape(1, 1, 4, 4),
          np.zeros((1, nq)), np.zeros((1, 2), np.uint64), opts)  # fmt: skip
    work_size(*model, np.ones((1, 6)), 1)
    _loaded = True


def _forget_pool() -> None:
    """In a forked child: the parent's pool threads do not exist here; start a new pool when needed."""
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _executor(threads: int) -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None or _pool._max_workers < threads:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="kinejac-ik")
        return _pool
