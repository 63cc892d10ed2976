"""Seeds of the random restarts: what ``seed=`` accepts, and the ``(key, index)`` stream of a solve.

Stream ``(s, i)`` is sample ``i`` of a batch solved with seed ``s``; the native core turns a stream
into its restart draws (``seed_state`` in ``cpp/include/kinejac/configuration.hpp``), so a
sample's answer depends only on its own stream, never on the thread that solves it.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..errors import InvalidValueError

__all__ = ["check_seed", "stream", "stream_key"]

_U64 = np.uint64


def check_seed(seed):
    """A seed ``numpy.random.default_rng`` takes, checked now rather than at the first restart."""
    if type(seed) is int and seed >= 0:
        return seed
    if seed is None or isinstance(seed, (np.random.SeedSequence, np.random.Generator, np.random.BitGenerator)):
        return seed
    try:
        np.random.SeedSequence(seed)
    except (TypeError, ValueError):
        raise InvalidValueError(
            f"seed must be None, a non-negative integer, a sequence of them or a numpy SeedSequence, got {seed!r}"
        ) from None
    return seed


@lru_cache(maxsize=1024)
def _int_key(seed: int) -> int:
    return int(np.random.SeedSequence(seed).generate_state(1, _U64)[0])


def stream_key(seed) -> int:
    """The 64-bit key of the restart streams of ``seed``."""
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1, _U64)[0])
    if isinstance(seed, (int, np.integer)):
        return _int_key(int(seed))
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**64, dtype=_U64))
    if isinstance(seed, np.random.BitGenerator):
        return int(np.random.Generator(seed).integers(0, 2**64, dtype=_U64))
    if not isinstance(seed, np.random.SeedSequence):
        seed = np.random.SeedSequence(seed)
    return int(seed.generate_state(1, _U64)[0])


def stream(seed) -> tuple[int, int]:
    """``(key, index)`` of a solve's restart stream: ``(s, i)`` is stream ``i`` of seed ``s`` (sample
    ``i`` of a batch solved with seed ``s``); any other seed is stream 0 of its own key."""
    if isinstance(seed, tuple) and len(seed) == 2 and isinstance(seed[1], (int, np.integer)) and seed[1] >= 0:
        if not isinstance(seed[1], bool):
            return stream_key(seed[0]), int(seed[1])
    return stream_key(seed), 0
