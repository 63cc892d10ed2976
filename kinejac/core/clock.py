"""A monotonic clock readable from compiled code (for the time budget of a solve).

``monotonic()`` calls the C library's ``clock_gettime(CLOCK_MONOTONIC)`` through an LLVM
declaration, so compiled functions that use it can still be cached by numba (a ctypes function
pointer would pin them to one process). Linux and macOS; the same clock as ``time.monotonic``.
"""

from __future__ import annotations

import sys

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .jit import compiled

__all__ = ["monotonic"]

_CLOCK_MONOTONIC = 6 if sys.platform == "darwin" else 1


@intrinsic
def _clock_gettime(typingctx):
    def codegen(context, builder, signature, args):
        i32, i64, f64 = ir.IntType(32), ir.IntType(64), ir.DoubleType()
        timespec = ir.LiteralStructType([i64, i64])  # (tv_sec, tv_nsec), 64-bit platforms
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(i32, [i32, timespec.as_pointer()]), "clock_gettime"
        )
        ts = cgutils.alloca_once(builder, timespec)
        builder.call(fn, [ir.Constant(i32, _CLOCK_MONOTONIC), ts])
        sec = builder.sitofp(builder.load(cgutils.gep_inbounds(builder, ts, 0, 0)), f64)
        nsec = builder.sitofp(builder.load(cgutils.gep_inbounds(builder, ts, 0, 1)), f64)
        return builder.fadd(sec, builder.fmul(nsec, ir.Constant(f64, 1e-9)))

    return types.float64(), codegen


@compiled
def monotonic() -> float:
    """Seconds of a monotonic clock (``time.monotonic()``'s), from compiled code."""
    return _clock_gettime()  # type: ignore[call-arg]  # numba passes the typing context
