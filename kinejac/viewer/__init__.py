"""Meshcat viewer: robots, targets, ellipsoids, paths, point clouds and motions in the browser.

``import kinejac`` never imports this package's meshcat parts; :class:`Viewer` imports meshcat
when it is created and says how to install it when it is missing.
"""

from ._chromium import HeadlessChromium, find_chromium
from ._viewer import INSTALL_HINT, Viewer, wait_for_scene
from ._visuals import MESH_FORMATS, VisualElement, resolve_mesh_path, visual_elements

__all__ = [
    "INSTALL_HINT",
    "MESH_FORMATS",
    "HeadlessChromium",
    "Viewer",
    "VisualElement",
    "find_chromium",
    "resolve_mesh_path",
    "visual_elements",
    "wait_for_scene",
]
