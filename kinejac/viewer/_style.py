"""How the viewer draws: colours, colour maps, input checks for points and colours, scene path names."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import InvalidValueError, ShapeError

__all__ = [
    "COLLISION_RGBA",
    "RED_GREEN",
    "TINT_RGBA",
    "VIRIDIS",
    "Y_TO_Z",
    "check_points",
    "colormap",
    "hex_color",
    "parse_color",
    "safe_name",
]

TINT_RGBA = (1.0, 0.3, 0.1, 1.0)  # links of joints near a limit
COLLISION_RGBA = (0.9, 0.0, 0.0, 1.0)  # links in collision (show_collisions)
Y_TO_Z = np.array([[1.0, 0, 0, 0], [0, 0, -1, 0], [0, 1, 0, 0], [0, 0, 0, 1]])  # three.js cylinders run along y
# viridis at 0, 1/4, 1/2, 3/4, 1 (matplotlib's values), interpolated linearly
VIRIDIS = np.array(
    [[0.267, 0.005, 0.329], [0.229, 0.322, 0.546], [0.128, 0.567, 0.551], [0.369, 0.789, 0.383], [0.993, 0.906, 0.144]]
)
# red (singular) -> yellow -> green (isotropic), for ellipsoids coloured by their isotropy
RED_GREEN = np.array([[0.84, 0.15, 0.16], [1.0, 0.8, 0.2], [0.17, 0.63, 0.17]])


def colormap(table: np.ndarray, t: np.ndarray) -> np.ndarray:
    """RGB ``(N, 3)`` for values ``t`` in [0, 1] along a table of evenly spaced colours."""
    x = np.clip(t, 0.0, 1.0) * (len(table) - 1)
    i = np.minimum(x.astype(int), len(table) - 2)
    f = (x - i)[:, None]
    return table[i] * (1 - f) + table[i + 1] * f


def hex_color(rgb: Sequence[float] | np.ndarray) -> int:
    """``0xRRGGBB`` of an ``(r, g, b[, a])`` in [0, 1] (clipped)."""
    r, g, b = (round(255 * min(max(float(c), 0.0), 1.0)) for c in rgb[:3])
    return (r << 16) | (g << 8) | b


def parse_color(color, what: str) -> tuple[int, float]:
    """``(0xRRGGBB, opacity)`` from an int ``0xRRGGBB`` or an ``(r, g, b[, a])`` in [0, 1]."""
    if isinstance(color, (int, np.integer)) and not isinstance(color, bool):
        if not 0 <= int(color) <= 0xFFFFFF:
            raise InvalidValueError(f"{what} must be 0xRRGGBB, got {color:#x}")
        return int(color), 1.0
    c = np.asarray(color, dtype=float)
    if c.shape not in ((3,), (4,)) or not np.isfinite(c).all() or c.min() < 0 or c.max() > 1:
        raise InvalidValueError(f"{what} must be 0xRRGGBB or (r, g, b[, a]) in [0, 1], got {color!r}")
    return hex_color(c), float(c[3]) if c.shape == (4,) else 1.0


def check_points(points, what: str) -> np.ndarray:
    """``points`` as a finite float ``(N, 3)`` array [m]."""
    p = np.asarray(points, dtype=float)
    if p.ndim != 2 or p.shape[1] != 3:
        raise ShapeError(f"expected {what} of shape (N, 3) [m], got {p.shape}")
    if not np.isfinite(p).all():
        raise InvalidValueError(f"{what} contains NaN or inf")
    return p


def safe_name(name: str) -> str:
    """A name as one segment of a meshcat scene path (``/`` separates segments)."""
    return name.replace("/", "_")
