"""Argument checks shared by the modules: scalar options, real-valued arrays and batches, the robot
argument, and the memory limit every allocation sized by the user is checked against first."""

from __future__ import annotations

import math
import os

import numpy as np

from .errors import InvalidValueError, ResourceLimitError, ShapeError

__all__ = [
    "MEMORY_FRACTION",
    "as_real_array",
    "broadcast_batch",
    "check_memory",
    "memory_limit",
    "positive",
    "set_memory_limit",
]

#: the default memory limit is this fraction of the machine's physical memory
MEMORY_FRACTION = 0.25
_ENV = "KINEJAC_MEMORY_LIMIT"
_limit: int | None = None  # set by set_memory_limit (None: the environment, else the default)


def positive(
    name: str, value, *, integer: bool = False, zero: bool = False, allow_none: bool = False, maximum=None
):
    """``value`` as a finite ``float`` > 0 (>= 0 with ``zero``), or an ``int`` with ``integer``; at
    most ``maximum`` when given.

    ``None`` passes with ``allow_none``. ``bool`` is refused (``True`` is not a period of 1 s);
    numpy scalars are accepted. Raises :class:`InvalidValueError` naming the argument.
    """
    if value is None and allow_none:
        return None
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    if ok:
        ok = math.isfinite(value) and (value >= 0 if zero else value > 0)
    if ok and integer:
        ok = float(value).is_integer()
    if not ok:
        kind = "an integer" if integer else "a number"
        raise InvalidValueError(f"{name} must be {kind} {'>= 0' if zero else '> 0'}, got {value!r}")
    if maximum is not None and value > maximum:
        raise InvalidValueError(f"{name} must be at most {maximum:g}, got {value!r}")
    return int(value) if integer else float(value)


# -- the memory limit ------------------------------------------------------------------------------
def _machine_memory() -> int:
    """The memory this process may have [bytes]: the machine's physical memory (8 GiB when the
    system does not say), or less when a container (cgroup) or an address-space limit says so."""
    try:
        total = int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        total = 8 * 2**30
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path) as f:
                text = f.read().strip()
        except OSError:
            continue
        if text.isdigit():
            total = min(total, int(text))
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft != resource.RLIM_INFINITY:
            total = min(total, soft)
    except (ImportError, ValueError, OSError):  # no resource module (Windows)
        pass
    return total


def _parse_bytes(value, what: str) -> int:
    """A size in bytes: a number, or text with an optional K, M, G or T suffix (powers of 1024)."""
    if isinstance(value, str):
        text = value.strip().upper().removesuffix("B")
        scale = 1024 ** (" KMGT".index(text[-1])) if text and text[-1] in "KMGT" else 1
        try:
            number = float(text[:-1] if scale > 1 else text) * scale
        except ValueError:
            raise InvalidValueError(f"{what} must be a size in bytes such as 4G or 512M, got {value!r}") from None
    else:
        number = value
    return int(positive(what, number))


def memory_limit() -> int:
    """The memory [bytes] one call may ask for: :func:`set_memory_limit`'s, else the environment
    variable ``KINEJAC_MEMORY_LIMIT`` (``4G``, ``512M``, bytes), else :data:`MEMORY_FRACTION` of the
    machine's physical memory."""
    if _limit is not None:
        return _limit
    env = os.environ.get(_ENV)
    if env:
        return _parse_bytes(env, f"the environment variable {_ENV}")
    return int(MEMORY_FRACTION * _machine_memory())


def set_memory_limit(limit: int | float | str | None) -> None:
    """Set the memory limit [bytes] (``4e9``, ``"4G"``) that arrays sized by arguments are checked
    against before they are made (a reachability map's voxels, interpolated poses, ...); ``None``
    restores the default (see :func:`memory_limit`)."""
    global _limit
    _limit = None if limit is None else _parse_bytes(limit, "memory limit")


def _size(nbytes: float) -> str:
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if nbytes >= scale:
            return f"{nbytes / scale:.3g} {unit}"
    return f"{nbytes:.0f} bytes"


def check_memory(nbytes: float, what: str, knob: str) -> None:
    """Refuse, before allocating, a request estimated at ``nbytes``: :class:`ResourceLimitError`
    naming ``what`` would need it, the limit, and ``knob`` (the argument to change)."""
    limit = memory_limit()
    if not nbytes <= limit:  # NaN or inf estimates too
        raise ResourceLimitError(
            f"{what} would need about {_size(nbytes)} of memory, more than the limit of {_size(limit)}: {knob} "
            f"(or raise the limit with kinejac.set_memory_limit() or {_ENV})"
        )


def as_real_array(x, name: str) -> np.ndarray:
    """``x`` as a float array (no copy when it already is one); anything that is not real numbers
    raises :class:`InvalidValueError` (complex input too: numpy would drop the imaginary part)."""
    try:
        a = np.asarray(x)
        complex_ = a.dtype.kind == "c"
        a = a if complex_ else a.astype(float, copy=False)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"{name} must be an array of numbers, got {type(x).__name__}: {exc}") from None
    if complex_:
        raise InvalidValueError(f"{name} must be real numbers, got complex values")
    return a


def broadcast_batch(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> tuple[np.ndarray, np.ndarray]:
    """Two per-configuration arrays, ``(n,)`` or ``(B, n)``, as ``(B, n_a)`` and ``(B, n_b)``:
    a single one is repeated to the other's batch size; two batches must have equal sizes."""
    if a.ndim == 2 and b.ndim == 2 and a.shape[0] != b.shape[0]:
        raise ShapeError(f"batch sizes differ: {name_a} has {a.shape[0]} rows, {name_b} has {b.shape[0]}")
    n = a.shape[0] if a.ndim == 2 else b.shape[0]
    return np.broadcast_to(a, (n, a.shape[-1])), np.broadcast_to(b, (n, b.shape[-1]))
