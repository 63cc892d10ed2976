"""Headless Chromium for the viewer tests: find it (skip, or fail under CI), and read screenshots.

Tests that need a browser call :func:`require_chromium`: without Chromium they are skipped with
the reason, except when ``KINEJAC_REQUIRE_BROWSER=1`` (set by CI), where they fail.
"""

from __future__ import annotations

import io
import os

import numpy as np
import pytest

from kinejac.viewer import HeadlessChromium, find_chromium

__all__ = ["changed_fraction", "middle", "open_browser", "png_to_array", "require_chromium"]

REQUIRE_ENV = "KINEJAC_REQUIRE_BROWSER"


def require_chromium() -> str:
    """The Chromium executable; skips the test (fails under ``KINEJAC_REQUIRE_BROWSER=1``) without one."""
    path = find_chromium()
    if path is None:
        reason = "Chromium is not installed (apt-get install chromium), so the headless-browser viewer test cannot run"
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{REQUIRE_ENV}=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    return path


def open_browser(width: int = 800, height: int = 600) -> HeadlessChromium:
    return HeadlessChromium(width, height, executable=require_chromium())


def png_to_array(png: bytes) -> np.ndarray:
    """An ``(H, W, 3)`` int array from PNG bytes."""
    from PIL import Image  # Pillow comes with meshcat

    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)


def middle(img: np.ndarray, keep: float = 0.6) -> np.ndarray:
    """The central ``keep`` fraction of an image (both ways)."""
    h, w = img.shape[:2]
    dh, dw = int(h * (1 - keep) / 2), int(w * (1 - keep) / 2)
    return img[dh : h - dh, dw : w - dw]


def changed_fraction(a: np.ndarray, b: np.ndarray, threshold: int = 30) -> float:
    """Fraction of pixels whose summed |RGB difference| exceeds ``threshold`` (of 765)."""
    return float((np.abs(a - b).sum(axis=-1) > threshold).mean())
