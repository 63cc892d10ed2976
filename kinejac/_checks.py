"""Argument checks shared by the modules: scalar options, real-valued arrays and batches."""

from __future__ import annotations

import math

import numpy as np

from .errors import InvalidValueError, ShapeError

__all__ = ["as_real_array", "broadcast_batch", "positive"]


def positive(name: str, value, *, integer: bool = False, zero: bool = False, allow_none: bool = False):
    """``value`` as a finite ``float`` > 0 (>= 0 with ``zero``), or an ``int`` with ``integer``.

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
    return int(value) if integer else float(value)


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
