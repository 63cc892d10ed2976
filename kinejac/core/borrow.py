"""Arrays without a reference count, for the entry points of the compiled core.

numba counts references to every array with atomic operations: each view, tuple unpacking and call
increments and decrements the owner's count. The core's functions are compiled without that
counting (:data:`kinejac.core.jit.compiled`); the entry points, which allocate, are not, and
:func:`borrowed` spares their bodies the counting too: it gives the same array without its owner
record (``meminfo``), so numba skips the counting for it and every view of it. The caller keeps the
owner alive for as long as the borrowed array is used (arguments of the entry function are kept
alive by the Python caller; buffers allocated inside it must be used again after the loop).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic
from numba.np.arrayobj import make_array

__all__ = ["borrowed"]


@intrinsic
def _borrowed(typingctx, a):
    """``a`` (any numba array) without its owner record: no reference counting, same data, shape,
    strides and type."""
    if not isinstance(a, types.Array):
        return None

    def codegen(context, builder, signature, args):
        array = make_array(a)(context, builder, value=args[0])
        array.meminfo = cgutils.get_null_value(array.meminfo.type)
        array.parent = cgutils.get_null_value(array.parent.type)
        return array._getvalue()

    return a(a), codegen


#: (typed for readers and type checkers: numba passes the typing context itself)
borrowed: Callable[[np.ndarray], np.ndarray] = _borrowed  # type: ignore[assignment]
