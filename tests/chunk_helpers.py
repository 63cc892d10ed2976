"""Chunk functions for tests, importable by worker processes (they get the test session's sys.path)."""

from __future__ import annotations

import time

from kinejac.reachability import build

_map_chunk = build.map_chunk  # the real one, taken before a test patches the module


def slow_map_chunk(payload, index):
    """A map chunk that takes at least 0.2 s, so a test can kill a worker while chunks run, however
    fast the IK core is."""
    time.sleep(0.2)
    return _map_chunk(payload, index)
