"""The :class:`Viewer`: a robot, targets, ellipsoids, paths and motions in meshcat, in the browser.

This module owns what a viewer is over time: it starts (or connects to) the meshcat server
(:mod:`._server`), plays animations, takes pictures and closes; the drawing methods come from
:class:`~._scene.RobotScene`, which also lists the scene's paths. meshcat is imported when a
``Viewer`` is made, never by ``import kinejac``.
"""

from __future__ import annotations

import math
import subprocess
import sys
import time
import warnings
import weakref
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import InvalidValueError, KinejacError
from ..robot import Robot
from ._lifeline import is_loopback
from ._scene import RobotScene
from ._server import (
    INSTALL_HINT,
    TIMEOUT,
    Connection,
    StopSignal,
    import_meshcat,
    shutdown,
    start_server,
    stop_process,
    stop_signals_raise,
)
from ._style import safe_name
from ._visuals import VisualElement, visual_elements

__all__ = ["INSTALL_HINT", "Viewer", "wait_for_scene"]


class Viewer(RobotScene):
    """A meshcat scene showing one robot, in the browser.

    Starts a meshcat server listening on 127.0.0.1 only (or connects to a running one at
    ``zmq_url``), prints the page's URL (also :attr:`url`) and draws the robot from its URDF visual
    geometry at its neutral configuration. Works offline: meshcat serves its own JavaScript.

    Args:
        robot: the robot to draw (loaded from a URDF).
        zmq_url: a running server's zmq address (``"tcp://127.0.0.1:6000"``); ``None`` starts one.
        host: the address the page is served on (default ``"127.0.0.1"``). Anything but a loopback
            address (e.g. ``"0.0.0.0"``: every interface) lets other machines see the scene and is
            a ``UserWarning``. The server's zmq port (drawing commands) stays on 127.0.0.1.
        open: open the page in the default web browser.
        package_dirs: extra folders for ``package://`` meshes (before ``robot.package_dirs``).
        tint_margin: links of a joint within this fraction of its range from a limit are tinted by
            :meth:`show` (``0`` disables the tint).
        quiet: do not print the URL.
        timeout: seconds to wait for the server to start and to answer each command.

    A missing mesh file is a ``UserWarning`` naming it; the rest of the robot is drawn.
    :meth:`close` (or leaving a ``with`` block) stops the server this viewer started. The server
    also stops by itself when this Python process ends in any other way (an exception, Ctrl-C,
    SIGTERM, SIGHUP, even SIGKILL): it watches its parent process.
    """

    def __init__(
        self,
        robot: Robot,
        *,
        zmq_url: str | None = None,
        host: str | None = None,
        open: bool = False,
        package_dirs: Sequence[str | Path] = (),
        tint_margin: float = 0.05,
        quiet: bool = False,
        timeout: float = TIMEOUT,
    ) -> None:
        if not isinstance(robot, Robot):
            raise KinejacError(f"Viewer needs a kinejac Robot, got {type(robot).__name__}")
        if not (math.isfinite(tint_margin) and 0.0 <= tint_margin < 0.5):
            raise InvalidValueError(f"tint_margin must be in [0, 0.5), got {tint_margin}")
        if not (math.isfinite(timeout) and timeout > 0):
            raise InvalidValueError(f"timeout must be > 0 [s], got {timeout}")
        if host is not None:
            if zmq_url is not None:
                raise InvalidValueError("host= is for a server the viewer starts; it cannot be given with zmq_url=")
            if not isinstance(host, str) or not host.strip():
                raise InvalidValueError(f"host must be an address or host name such as '127.0.0.1', got {host!r}")
            if not is_loopback(host):
                warnings.warn(
                    f"the viewer's page is served on {host!r}, not on a loopback address: other machines that "
                    "can reach this one can open the scene",
                    UserWarning,
                    stacklevel=2,
                )
        meshcat, _, _ = import_meshcat()
        self._mc = meshcat
        self.robot = robot
        self.tint_margin = float(tint_margin)
        self._elements: list[VisualElement] = visual_elements(robot, package_dirs=package_dirs)
        self._server: subprocess.Popen | None = None
        if zmq_url is None:
            self._server, zmq_url, _ = start_server(timeout, host or "127.0.0.1")
        try:
            self._conn = Connection(zmq_url, timeout)
        except BaseException:
            stop_process(self._server)
            raise
        self._finalizer = weakref.finalize(self, shutdown, self._conn, self._server)
        self.zmq_url: str = zmq_url
        self.url: str = self._conn.web_url
        self._vis = meshcat.visualizer.Visualizer(window=self._conn)
        self._root = self._vis["kinejac"]
        try:
            self._root.delete()  # a running server may hold an earlier scene
            self._link_frames = {e.link: robot.frame_id(e.link) for e in self._elements}
            self._geometries = {e.name: self._geometry(e) for e in self._elements}
            self._tinted: set[str] = set()
            self._colliding: set[str] = set()
            self._drawn_state: dict[str, str | None] = {}
            self._collision_shown = False
            self._spheres_shown = None  # the SphereModel drawn by show_spheres
            self._shown_frames: dict[str, tuple[int, float]] = {}
            for e in self._elements:
                self._draw_element(e, tinted=False)
            self.q = robot.neutral()
            self.show(self.q)
            self._frame_camera()
        except BaseException:
            self.close()
            raise
        if not quiet:
            print(f"kinejac viewer: {self.url}", flush=True)
        if open:
            import webbrowser

            webbrowser.open(self.url, new=2)

    # -- lifetime --------------------------------------------------------------------------------
    @property
    def server_process(self) -> subprocess.Popen | None:
        """The meshcat server process this viewer started (``None`` when it connected to one)."""
        return self._server

    def close(self) -> None:
        """Disconnect and stop the meshcat server this viewer started. Idempotent; Ctrl-C during
        it is ignored (it takes at most a few seconds), so it always finishes."""
        self._finalizer()

    def wait(self, timeout: float | None = None, *, quiet: bool = False) -> str | None:
        """Keep the page served (for scripts): prints the URL (on stderr, unless ``quiet``) and blocks
        until Ctrl-C, SIGTERM or SIGHUP (in the main thread), or ``timeout`` [s]. Returns the name of
        the signal that ended the wait (``"SIGINT"``, ``"SIGTERM"``, ``"SIGHUP"``), ``None`` after
        ``timeout``. The viewer stays open: close it (or leave its ``with`` block) afterwards."""
        if timeout is not None and not (math.isfinite(timeout) and timeout >= 0):
            raise InvalidValueError(f"timeout must be >= 0 [s] or None, got {timeout}")
        if self.closed:
            raise KinejacError("the viewer is closed")
        if not quiet:
            print(f"viewer at {self.url}: press Ctrl-C to quit", file=sys.stderr, flush=True)
        deadline = None if timeout is None else time.monotonic() + timeout
        with stop_signals_raise() as received:
            try:
                while deadline is None or time.monotonic() < deadline:
                    time.sleep(0.1 if deadline is None else min(0.1, max(0.0, deadline - time.monotonic())))
            except KeyboardInterrupt:
                return "SIGINT"
            except StopSignal:
                return received[-1]
        return None

    def __enter__(self) -> Viewer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else self.url
        return f"Viewer({self.robot.name!r}, {state})"

    # -- motion ----------------------------------------------------------------------------------
    def play(
        self, trajectory, dt: float = 0.05, *, repetitions: int = 1, autoplay: bool = True, wait: bool = True
    ) -> int:
        """Animate a joint trajectory ``(N, nq)`` (or anything with a ``history`` of that shape,
        such as an IK result) at ``dt`` [s] per sample, with meshcat's animation controls (play,
        pause, time slider under "Animations"). Returns the number of frames.

        With ``wait`` (the default) and ``autoplay``, returns once the animation has played:
        after ``(N - 1) * dt * repetitions`` seconds, so the script's next command follows it.
        ``wait=False`` returns at once (the page plays the animation by itself; a page opened
        later plays it from the start)."""
        history = getattr(trajectory, "history", trajectory)
        if history is None:
            raise InvalidValueError("this result has no history to play (ask the solver to record it)")
        traj = self.robot.check_q(history, "trajectory")
        traj = np.atleast_2d(traj)
        if not (math.isfinite(dt) and dt > 0):
            raise InvalidValueError(f"dt must be > 0 [s], got {dt}")
        if int(repetitions) < 1:
            raise InvalidValueError(f"repetitions must be >= 1, got {repetitions}")
        animation = self._mc.animation.Animation(default_framerate=1.0 / dt)
        for i, q in enumerate(traj):
            poses = self._link_poses(q)
            with animation.at_frame(self._root, i) as frame:
                for link in self._link_frames:
                    frame[f"robot/{safe_name(link)}"].set_transform(poses[link])
                for name in self._shown_frames:
                    frame[f"frames/{safe_name(name)}"].set_transform(poses[name])
        if self.closed:
            raise KinejacError("the viewer is closed")
        self._vis.set_animation(animation, play=autoplay, repetitions=int(repetitions))
        self._link_poses(self.q)  # leave robot.data at the shown configuration
        if wait and autoplay:
            time.sleep(self.animation_time(len(traj), dt, repetitions))
        return len(traj)

    @staticmethod
    def animation_time(frames: int, dt: float, repetitions: int = 1) -> float:
        """How long [s] :meth:`play` animates ``frames`` samples at ``dt`` [s]: ``(frames - 1) * dt * repetitions``."""
        return max(int(frames) - 1, 0) * float(dt) * int(repetitions)

    # -- pictures ------------------------------------------------------------------------------
    def screenshot(self, path: str | Path | None = None, *, width: int = 960, height: int = 720) -> bytes:
        """A PNG of the page as headless Chromium draws it (software WebGL); saved to ``path`` if
        given. Needs Chromium (``apt-get install chromium``); the browser is stopped afterwards."""
        from ._chromium import HeadlessChromium

        with HeadlessChromium(width, height) as browser:
            wait_for_scene(browser, self.url, len(self._elements))
            png = browser.screenshot()
        if path is not None:
            Path(path).write_bytes(png)
        return png


_COUNT_MESHES_JS = """(() => {
  const root = viewer.scene_tree.children.meshcat;
  const robot = root && root.children.kinejac && root.children.kinejac.children.robot;
  if (!robot) return -1;
  let n = 0;
  for (const link of Object.values(robot.children))
    for (const v of Object.values(link.children))
      if (v.object && (v.object.isMesh || v.object.children.some(c => c.isMesh))) n++;
  return n;
})()"""


def wait_for_scene(browser, url: str, n_visuals: int) -> None:
    """Load the viewer page in ``browser`` (a ``HeadlessChromium``) and wait until its
    websocket is open, the robot's ``n_visuals`` meshes are in the scene and two frames rendered."""
    browser.goto(url)
    browser.wait_for("typeof viewer !== 'undefined' && viewer.connection && viewer.connection.readyState === 1")
    browser.wait_for(f"{_COUNT_MESHES_JS} >= {int(n_visuals)}")
    browser.frames(3)
