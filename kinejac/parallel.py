"""Chunked execution: a job cut into fixed chunks, run in this process, on every core of this
machine (a process pool) or on a Dask cluster, with a progress bar, checkpoints and Ctrl-C.

A job is a module-level function ``fn(payload, index) -> {name: array}`` and a picklable
``payload``; chunk ``index`` must depend on nothing else (seed it from the index), so the result
is the same whoever runs it. The number of chunks is fixed by the job, never by the number of
workers. Robots travel inside payloads as their :class:`~kinejac.urdf.RobotSource` (URDF text and
load options) and are rebuilt once per worker process by :func:`worker_robot`.

Executors:
- ``workers=1``: in this process, one chunk after the other.
- default: a process pool with one process per usable core (``fork`` where the platform has it,
  else ``spawn``, which needs the usual ``if __name__ == "__main__":`` guard in scripts).
- ``client=``: a ``dask.distributed.Client`` (or a scheduler address such as
  ``"tcp://10.0.0.5:8786"``). Every worker needs kinejac installed. Consecutive chunks travel as
  one task when there are more than :data:`TASKS_PER_WORKER` per worker thread (each chunk is still
  checkpointed and reported on its own). A task lost with a worker is rescheduled by Dask on
  another worker (up to the scheduler's ``allowed-failures``). Dask's
  nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which pins glibc's mmap threshold
  at 128 KiB and slows numpy-heavy chunks; ``MALLOC_MMAP_THRESHOLD_=33554432`` in the workers'
  environment undoes it (see README).

With ``checkpoint=folder`` each chunk is written to ``folder/chunk-NNNNNN.npz`` as it finishes
(atomically), next to a ``manifest.json`` describing the job; running the same job again reads
the finished chunks and computes only the others. Ctrl-C stops the run and keeps every finished
chunk (:attr:`ChunkRun.complete` is then ``False``).
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import multiprocessing
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._checks import positive
from .errors import InvalidValueError, KinejacError

__all__ = [
    "TASKS_PER_WORKER",
    "ChunkRun",
    "ClusterError",
    "connect",
    "job_digest",
    "local_workers",
    "run_chunks",
    "thread_cache",
    "worker_robot",
]

_FORMAT = 1
ChunkFn = Callable[[Any, int], dict[str, np.ndarray]]


class ClusterError(KinejacError, ConnectionError):
    """The Dask scheduler cannot be reached, or the cluster lost a chunk for good."""


def local_workers() -> int:
    """The number of cores this process may run on (the default number of local processes)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


_local = threading.local()


def worker_robot(source):
    """The :class:`~kinejac.Robot` of a :class:`~kinejac.urdf.RobotSource`, built once per thread
    (a ``Robot`` owns one pinocchio ``Data``, and Dask workers may run several threads)."""
    cache = getattr(_local, "robots", None)
    if cache is None:
        cache = _local.robots = {}
    key = source.key
    if key not in cache:
        if len(cache) >= 4:
            cache.pop(next(iter(cache)))
        cache[key] = source.load()
    return cache[key]


def thread_cache() -> dict:
    """A dictionary private to the calling thread (for per-thread solvers built from a payload)."""
    cache = getattr(_local, "objects", None)
    if cache is None:
        cache = _local.objects = {}
    return cache


# -- progress ------------------------------------------------------------------------------------
class _Progress:
    """A one-line progress bar on stderr (only drawn when enabled)."""

    def __init__(self, total: int, enabled: bool, label: str = "workspace") -> None:
        self.total, self.enabled, self.label = total, enabled, label
        self.start = time.perf_counter()

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        frac = done / self.total if self.total else 1.0
        bar = "#" * int(30 * frac)
        elapsed = time.perf_counter() - self.start
        eta = elapsed / frac - elapsed if frac > 0 else float("nan")
        sys.stderr.write(
            f"\r{self.label} [{bar:<30}] {done}/{self.total} {100 * frac:5.1f}% {elapsed:6.1f} s, ~{eta:.0f} s left"
        )
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


# -- results and checkpoints ---------------------------------------------------------------------
@dataclass(frozen=True)
class ChunkRun:
    """What :func:`run_chunks` computed.

    Attributes:
        results: ``{index: {name: array}}`` for every finished chunk.
        n_chunks: how many chunks the job has; resumed: how many were read from the checkpoint.
        executor: who ran them, e.g. ``"2 local processes"`` or ``"dask tcp://127.0.0.1:8786"``.
    """

    results: dict[int, dict[str, np.ndarray]]
    n_chunks: int
    resumed: int
    executor: str

    @property
    def complete(self) -> bool:
        """Every chunk finished (``False`` after Ctrl-C)."""
        return len(self.results) == self.n_chunks


class _Checkpoint:
    """A folder of finished chunks plus the manifest of the job they belong to."""

    def __init__(self, folder: str | Path, identity: dict, n_chunks: int) -> None:
        self.folder = Path(folder).expanduser()
        if self.folder.exists() and not self.folder.is_dir():
            raise InvalidValueError(f"checkpoint {str(self.folder)!r} is a file, expected a folder")
        self.folder.mkdir(parents=True, exist_ok=True)
        manifest = {"format": _FORMAT, "chunks": n_chunks, "job": identity}
        path = self.folder / "manifest.json"
        if path.exists():
            try:
                old = json.loads(path.read_text())
            except (OSError, ValueError) as exc:
                raise KinejacError(f"checkpoint {path} cannot be read: {exc}") from exc
            if old != json.loads(json.dumps(manifest)):
                old_job = old.get("job", {}) if isinstance(old, dict) else {}
                diff = sorted(k for k in set(old_job) | set(identity) if old_job.get(k) != identity.get(k))
                if isinstance(old, dict) and old.get("chunks") != n_chunks:
                    diff.append("number of chunks")
                raise KinejacError(
                    f"checkpoint folder {str(self.folder)!r} holds chunks of another job (it differs in: "
                    f"{', '.join(diff) or 'format'}); use another folder or empty this one"
                )
        else:
            path.write_text(json.dumps(manifest, indent=1))

    def _path(self, index: int) -> Path:
        return self.folder / f"chunk-{index:06d}.npz"

    def finished(self, n_chunks: int) -> dict[int, dict[str, np.ndarray]]:
        done = {}
        for i in range(n_chunks):
            path = self._path(i)
            if path.exists():
                try:
                    with np.load(path, allow_pickle=False) as f:
                        done[i] = {k: np.array(f[k]) for k in f.files}
                except (OSError, ValueError) as exc:
                    msg = f"checkpoint chunk {path} cannot be read ({exc}); delete it to recompute"
                    raise KinejacError(msg) from exc
        return done

    def write(self, index: int, result: dict[str, np.ndarray]) -> None:
        path = self._path(index)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        arrays: dict[str, Any] = dict(result)
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)


# -- executors -----------------------------------------------------------------------------------
_job: tuple[ChunkFn, Any] | None = None  # (fn, payload) in a pool's worker process


def _init_pool_worker(fn: ChunkFn, payload: Any) -> None:
    global _job
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _job = (fn, payload)


def _run_pool_chunk(index: int) -> dict[str, np.ndarray]:
    if _job is None:
        raise KinejacError("a pool worker ran a chunk before its initializer set the job")
    fn, payload = _job
    return fn(payload, index)


def _payload_task(payload: Any) -> Any:
    """A Dask task returning the payload: a worker that dies with it gets it recomputed from the task."""
    return payload


def _dask_chunks(fn: ChunkFn, payload: Any, indices: list[int]) -> list[dict[str, np.ndarray]]:
    return [fn(payload, i) for i in indices]


def _start_method() -> str:
    return "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


def _run_local(fn, payload, pending, n_workers, on_result) -> None:
    ctx = multiprocessing.get_context(_start_method())
    pool = cf.ProcessPoolExecutor(
        max_workers=n_workers, mp_context=ctx, initializer=_init_pool_worker, initargs=(fn, payload)
    )
    futures = {pool.submit(_run_pool_chunk, i): i for i in pending}
    taken: set[int] = set()
    try:
        for fut in cf.as_completed(futures):
            try:
                result = fut.result()
            except cf.process.BrokenProcessPool as exc:
                raise KinejacError(
                    f"a local worker process died ({exc}); finished chunks are kept with checkpoint=, rerun to resume"
                ) from None
            on_result(futures[fut], result)
            taken.add(futures[fut])
    except BaseException:
        for fut in futures:
            fut.cancel()
        pool.shutdown(wait=True)  # the chunks already running finish: keep them too
        for fut, i in futures.items():
            if i not in taken and fut.done() and not fut.cancelled() and fut.exception() is None:
                on_result(i, fut.result())
        raise
    pool.shutdown(wait=True)


def connect(scheduler: str, timeout: float = 5.0):
    """A ``dask.distributed.Client`` connected to ``scheduler`` (``"tcp://host:8786"``).

    Raises :class:`ClusterError` after ``timeout`` [s] when nothing answers there, and
    :class:`KinejacError` when dask.distributed is not installed (``pip install kinejac[distributed]``).
    """
    timeout = positive("timeout", timeout)
    if not isinstance(scheduler, str) or not scheduler:
        raise InvalidValueError(f"scheduler must be an address such as 'tcp://127.0.0.1:8786', got {scheduler!r}")
    distributed = _distributed()
    try:
        return distributed.Client(scheduler, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {scheduler!r} within {timeout:g} s: {exc}") from None
    except ValueError as exc:  # e.g. an unknown protocol
        raise ClusterError(f"cannot connect to the Dask scheduler at {scheduler!r}: {exc}") from None


def _distributed():
    try:
        import distributed
    except ImportError as exc:
        raise KinejacError(
            "running on a Dask cluster needs dask.distributed: pip install kinejac[distributed]"
        ) from exc
    return distributed


#: Dask tasks per worker thread at least: chunks are grouped into tasks beyond that (a task costs the
#: scheduler, the worker and the client a few milliseconds of the same cores, and a map's chunk now
#: takes ~30 ms: 16 tasks per thread cost +10.8 % against the process pool, 4 cost +4.5 %; measured
#: with scripts/bench_reachability.py on 2 cores)
TASKS_PER_WORKER = 4


def _run_dask(client, fn, payload, pending, on_result, label: str) -> None:
    """Run chunks ``pending`` on ``client``, as tasks of consecutive chunks (:data:`TASKS_PER_WORKER`)."""
    distributed = _distributed()
    token = uuid.uuid4().hex[:12]
    shared = client.submit(_payload_task, payload, key=f"kinejac-{label}-payload-{token}", pure=False)
    # a copy on every worker: otherwise the scheduler sends the chunks where the payload is (data locality)
    # and the other workers only get work by stealing it
    client.replicate([shared])  # waits for it first
    threads = max(1, sum(client.nthreads().values()))
    size = max(1, len(pending) // (TASKS_PER_WORKER * threads))
    groups = {
        f"kinejac-{label}-{token}-{g[0]:06d}": g for g in (pending[k : k + size] for k in range(0, len(pending), size))
    }
    futures = [client.submit(_dask_chunks, fn, shared, g, key=k, pure=False) for k, g in groups.items()]
    try:
        for fut in distributed.as_completed(futures, loop=client.loop):
            try:
                results = fut.result()
            except distributed.KilledWorker as exc:
                chunks = groups[fut.key]
                raise ClusterError(
                    f"the Dask cluster lost chunks {chunks[0]}-{chunks[-1]} of {label} too often: {exc}"
                ) from None
            for i, result in zip(groups[fut.key], results):
                on_result(i, result)
            fut.release()
    finally:
        client.cancel([*futures, shared])


def _executor_of(client, workers):
    """``(client, own_client, workers)`` checked; a scheduler address is connected to (``own_client``:
    the client to close afterwards, else ``None``)."""
    if workers is not None:
        workers = positive("workers", workers, integer=True)
    if client is not None and workers is not None:
        raise InvalidValueError("give either client= (a Dask cluster) or workers= (local processes), not both")
    if isinstance(client, str):
        client = connect(client)
        return client, client, workers
    if client is not None and not isinstance(client, _distributed().Client):
        raise InvalidValueError(
            f"client must be a dask.distributed.Client or a scheduler address, got {type(client).__name__}"
        )
    return client, None, workers


def run_chunks(
    fn: ChunkFn,
    payload: Any,
    n_chunks: int,
    *,
    client=None,
    workers: int | None = None,
    checkpoint: str | Path | None = None,
    identity: dict | None = None,
    progress: bool | None = None,
    sizes: Sequence[int] | None = None,
    label: str = "chunks",
    indices: Sequence[int] | None = None,
) -> ChunkRun:
    """Run ``fn(payload, i)`` for ``i in range(n_chunks)``; see the module docstring.

    Args:
        fn: a module-level function (pickled by reference) returning ``{name: array}``.
        payload: picklable data every chunk needs (sent once per worker process).
        client: a ``dask.distributed.Client`` or a scheduler address; ``None``: run locally.
        workers: local processes when ``client`` is ``None`` (default: every usable core; 1: this process).
        checkpoint: folder for finished chunks (resumed when it holds the same job).
        identity: JSON-able description of the job, compared with the checkpoint's manifest.
        progress: draw a progress bar on stderr (``None``: when stderr is a terminal and there are
            several chunks); sizes: work units per chunk for the bar (default 1 each).
        indices: run only these chunks (e.g. a sample of a job, to time it); default: all.

    On Ctrl-C returns the finished chunks (``complete`` is ``False``); other errors propagate.
    """
    n_chunks = positive("n_chunks", n_chunks, integer=True, zero=True)
    client, own_client, workers = _executor_of(client, workers)
    try:
        store = _Checkpoint(checkpoint, identity or {}, n_chunks) if checkpoint is not None else None
        results = store.finished(n_chunks) if store is not None else {}
        resumed = len(results)
        sizes = [1] * n_chunks if sizes is None else [int(s) for s in sizes]
        total = sum(sizes)
        if progress is None:
            progress = n_chunks > 1 and sys.stderr.isatty()
        bar = _Progress(total, bool(progress), label)
        done_units = sum(sizes[i] for i in results)
        bar.update(done_units)

        def on_result(index: int, result: dict[str, np.ndarray]) -> None:
            nonlocal done_units
            if store is not None:
                store.write(index, result)
            results[index] = result
            done_units += sizes[index]
            bar.update(done_units)

        wanted = range(n_chunks) if indices is None else sorted({int(i) for i in indices})
        if any(not 0 <= i < n_chunks for i in wanted):
            raise InvalidValueError(f"indices must be chunk numbers in 0 .. {n_chunks - 1}, got {list(wanted)}")
        pending = [i for i in wanted if i not in results]
        if client is not None:
            executor = f"dask {client.scheduler.address}"
        else:
            n_local = min(local_workers() if workers is None else workers, max(1, len(pending)))
            executor = "this process" if n_local == 1 else f"{n_local} local processes"
        try:
            if client is not None and pending:
                _run_dask(client, fn, payload, pending, on_result, label)
            elif pending and n_local == 1:
                for i in pending:
                    on_result(i, fn(payload, i))
            elif pending:
                _run_local(fn, payload, pending, n_local, on_result)
        except KeyboardInterrupt:
            pass  # keep what is done; the caller reports the run as incomplete
        finally:
            bar.close()
    finally:
        if own_client is not None:
            own_client.close()
    return ChunkRun(results=results, n_chunks=n_chunks, resumed=resumed, executor=executor)


def job_digest(*arrays: np.ndarray) -> str:
    """A SHA-256 hex digest of arrays' shapes, dtypes and bytes (to identify a job's inputs)."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()
