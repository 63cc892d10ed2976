"""The numba options of every compiled function in the core, in one place."""

from __future__ import annotations

from numba import njit

__all__ = ["compiled"]

#: The decorator of the core's compiled functions: machine code cached on disk (``cache``), the GIL
#: released (``nogil``: batches run on a thread pool), and numpy's float semantics (``error_model``:
#: a division by zero gives inf or nan instead of raising, so no exception path slows the loops).
compiled = njit(cache=True, nogil=True, error_model="numpy")
