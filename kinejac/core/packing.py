"""A robot's tree and sphere model packed into two flat arrays, for a cheap call into the core.

Calling compiled code costs per array argument (numba wraps each one: ~0.1 µs), and a tree and a
sphere model are 18 arrays. :func:`pack` concatenates them once per solver into one float and one
integer array, whose header gives the sizes; :func:`unpack` (compiled) cuts them back into the
tuples that the rest of the core takes, as views (borrowed when the arrays are: :mod:`kinejac.core.borrow`).

Layout: ``mi = [nj, nc, nf, nq, S, P, O, Q, ji, cj, fi, mode, cv, dims, sphere_joint,
self_pairs, obstacle_kind, obstacle_pairs]`` and ``mf = [jf, ff, lo, hi, sphere_center,
sphere_radius, obstacle_pose, obstacle_size]``, each array flattened in C order.
"""

from __future__ import annotations

import numpy as np

from ..errors import KinejacError
from .jit import inlined

__all__ = ["cut", "pack", "unpack"]

_HEADER = 8
# the trailing shape of each packed array (the leading one comes from the header)
_TREE_WIDTHS = {"jf": (17,), "ji": (5,), "cj": (3,), "ff": (12,), "fi": (), "lo": (), "hi": (), "mode": (), "cv": ()}
_SPHERE_WIDTHS = ((), (3,), (), (2,), (), (4, 4), (3,), (2,))


def pack(tree, sph) -> tuple[np.ndarray, np.ndarray]:
    """``(mf, mi)``: the tree (:class:`~kinejac.core.tree.Tree`, in field order) and the sphere
    model (the 8-tuple of :mod:`kinejac.core.spheres`) as one float64 and one int64 array."""
    jf, ji, cj, ff, fi, lo, hi, mode, cv, dims = tree
    sj, sc, sr, sp, ok, oT, osz, opairs = sph
    named = dict(zip(_TREE_WIDTHS, (jf, ji, cj, ff, fi, lo, hi, mode, cv)))
    for name, width in _TREE_WIDTHS.items():
        if named[name].shape[1:] != width:
            raise KinejacError(f"tree array {name} has shape {named[name].shape}, expected (n, *{width})")
    for k, (a, width) in enumerate(zip(sph, _SPHERE_WIDTHS)):
        if a.shape[1:] != width:
            raise KinejacError(f"sphere model array {k} has shape {a.shape}, expected (n, *{width})")
    header = [len(jf), len(cj), len(ff), len(lo), len(sj), len(sp), len(ok), len(opairs)]
    ints = (np.array(header), ji, cj, fi, mode, cv, dims, sj, sp, ok, opairs)
    floats = (jf, ff, lo, hi, sc, sr, oT, osz)
    mi = np.concatenate([np.asarray(a, dtype=np.int64).ravel() for a in ints])
    mf = np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in floats])
    return mf, mi


@inlined
def unpack(mf, mi):
    """``(tree, sph)`` as tuples of views of ``mf``, ``mi`` (the entry points pass them borrowed:
    :mod:`kinejac.core.borrow`)."""
    f, i = mf, mi
    nj, nc, nf, nq, S, P, K, Q = i[0], i[1], i[2], i[3], i[4], i[5], i[6], i[7]
    a = _HEADER
    ji = i[a : a + 5 * nj].reshape((nj, 5))
    a += 5 * nj
    cj = i[a : a + 3 * nc].reshape((nc, 3))
    a += 3 * nc
    fi = i[a : a + nf]
    a += nf
    mode = i[a : a + nq]
    cv = i[a + nq : a + 2 * nq]
    dims = i[a + 2 * nq : a + 2 * nq + 2]
    a += 2 * nq + 2
    sj = i[a : a + S]
    sp = i[a + S : a + S + 2 * P].reshape((P, 2))
    a += S + 2 * P
    ok = i[a : a + K]
    opairs = i[a + K : a + K + 2 * Q].reshape((Q, 2))
    b = 17 * nj
    jf = f[:b].reshape((nj, 17))
    ff = f[b : b + 12 * nf].reshape((nf, 12))
    b += 12 * nf
    lo = f[b : b + nq]
    hi = f[b + nq : b + 2 * nq]
    b += 2 * nq
    sc = f[b : b + 3 * S].reshape((S, 3))
    sr = f[b + 3 * S : b + 4 * S]
    b += 4 * S
    oT = f[b : b + 16 * K].reshape((K, 4, 4))
    osz = f[b + 16 * K : b + 19 * K].reshape((K, 3))
    return (jf, ji, cj, ff, fi, lo, hi, mode, cv, dims), (sj, sc, sr, sp, ok, oT, osz, opairs)


@inlined
def cut(buf, a: int, n: int):
    """``(buf[a : a + n], a + n)``: the next ``n`` items of a buffer cut in order."""
    return buf[a : a + n], a + n
