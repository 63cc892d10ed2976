"""The numba options of every compiled function in the core, in one place."""

from __future__ import annotations

from numba import njit

__all__ = ["compiled", "inlined"]

#: The decorator of the core's compiled functions: machine code cached on disk (``cache``), the GIL
#: released (``nogil``: batches run on a thread pool), and numpy's float semantics (``error_model``:
#: a division by zero gives inf or nan instead of raising, so no exception path slows the loops).
compiled = njit(cache=True, nogil=True, error_model="numpy")

#: The same for small helpers and thin wrappers, compiled into each caller: a call copies its
#: arguments on the stack (an array is 7 to 11 words, the robot's tree 78), which cost the IK loop
#: more than the arithmetic of such helpers.
inlined = njit(cache=True, nogil=True, error_model="numpy", inline="always")
