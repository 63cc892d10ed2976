"""The numba options of every compiled function in the core, in one place."""

from __future__ import annotations

from numba import njit

__all__ = ["allocating", "compiled", "inlined"]

#: The decorator of the core's compiled functions: machine code cached on disk (``cache``), the GIL
#: released (``nogil``: batches run on a thread pool), numpy's float semantics (``error_model``: a
#: division by zero gives inf or nan instead of raising, so no exception path slows the loops), and
#: no reference counting (``_nrt=False``). numba otherwise counts every array argument and view
#: with a call on entry and exit: perf found ~40 such calls at the top of the IK residual alone, a
#: third of its time. Functions compiled so cannot allocate: the arrays they see are their
#: callers', which outlive them.
compiled = njit(cache=True, nogil=True, error_model="numpy", _nrt=False)

#: For the few functions that allocate (the entry points, rare fallbacks): with reference counting
#: (said explicitly: numba's functions otherwise inherit the setting of the function that calls
#: them). The entry points pass what they own on :func:`~kinejac.core.borrow.borrowed`, uncounted.
allocating = njit(cache=True, nogil=True, error_model="numpy", _nrt=True)

#: Small helpers and thin wrappers, compiled into each caller (so they take the caller's options):
#: a call copies its arguments on the stack (an array is 7 to 11 words, the robot's tree 78), which
#: cost the IK loop more than the arithmetic of such helpers.
inlined = njit(cache=True, nogil=True, error_model="numpy", inline="always")
