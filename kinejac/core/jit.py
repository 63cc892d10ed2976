"""The numba options of every compiled function in the core, in one place."""

from __future__ import annotations

from typing import Any

from numba import njit

__all__ = ["allocating", "compiled", "fused", "inlined"]

# Machine code cached on disk (``cache``), the GIL released (``nogil``: batches run on a thread pool)
# and numpy's float semantics (``error_model``: a division by zero gives inf or nan instead of
# raising, so no exception path slows the loops).
_BASE: dict[str, Any] = {"cache": True, "nogil": True, "error_model": "numpy"}
# Reference counting and LLVM inlining are said explicitly in every decorator: a numba function
# otherwise inherits them from the function whose compilation compiles it. (``_nrt`` is numba's
# option, missing from its type stubs.)
_UNCOUNTED: dict[str, Any] = {"_nrt": False}
_COUNTED: dict[str, Any] = {"_nrt": True}

#: The core's compiled functions: without reference counting. numba otherwise counts every array
#: argument and view with a call on entry and exit: perf found ~40 such calls at the top of the IK
#: residual alone, a third of its time. Functions compiled so cannot allocate: the arrays they see
#: are their callers', which outlive them.
compiled = njit(**_BASE, **_UNCOUNTED, forceinline=False)

#: :data:`compiled`, and inlined by LLVM into each caller (``forceinline``): for the IK residual,
#: called once per iteration with the robot's tree and eight more arrays, whose call (arguments on
#: the stack, no optimisation across it) cost a quarter of an iteration. numba types it once, so a
#: large function compiles faster than with :data:`inlined`.
fused = njit(**_BASE, **_UNCOUNTED, forceinline=True)

#: For the few functions that allocate (the entry points, rare fallbacks): with reference counting.
#: The entry points pass what they own on :func:`~kinejac.core.borrow.borrowed`, uncounted.
allocating = njit(**_BASE, **_COUNTED, forceinline=False)

#: Small helpers and thin wrappers, compiled into each caller by numba (so with the caller's
#: options): a call copies its arguments on the stack (an array is 7 to 11 words, the robot's tree
#: 78), which cost the IK loop more than the arithmetic of such helpers.
inlined = njit(**_BASE, inline="always")
