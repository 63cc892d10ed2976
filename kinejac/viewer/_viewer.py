"""The :class:`Viewer`: a robot, targets, ellipsoids, paths and motions in meshcat, in the browser.

The scene is a tree addressed by path; everything kinejac draws sits under ``/meshcat/kinejac``:
``robot/<link>/<visual>``, ``frames/<frame>``, ``targets/<name>``, ``ellipsoids/<name>``,
``paths/<name>``, ``points/<name>``, ``obstacles/<name>``, ``collision/<geometry>`` (the collision
geometry), ``spheres/<index>`` (the fitted sphere model). meshcat is imported when a ``Viewer`` is made, never by
``import kinejac``.
"""

from __future__ import annotations

import contextlib
import math
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import warnings
import weakref
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pinocchio as pin

from ..errors import InvalidValueError, KinejacError, ShapeError
from ..robot import Robot
from ..spatial import as_transform, orthonormality_error
from ._lifeline import in_main_thread, is_loopback
from ._visuals import DEFAULT_RGBA, VisualElement, visual_elements

__all__ = ["INSTALL_HINT", "Viewer"]

INSTALL_HINT = "the viewer needs meshcat: pip install 'meshcat>=0.3.2'"
_TINT_RGBA = (1.0, 0.3, 0.1, 1.0)  # links of joints near a limit
_COLLISION_RGBA = (0.9, 0.0, 0.0, 1.0)  # links in collision (show_collisions)
_Y_TO_Z = np.array([[1.0, 0, 0, 0], [0, 0, -1, 0], [0, 1, 0, 0], [0, 0, 0, 1]])  # three.js cylinders run along y
_TIMEOUT = 30.0  # [s] for the server to start and to answer each command
# viridis at 0, 1/4, 1/2, 3/4, 1 (matplotlib's values), interpolated linearly
_VIRIDIS = np.array(
    [[0.267, 0.005, 0.329], [0.229, 0.322, 0.546], [0.128, 0.567, 0.551], [0.369, 0.789, 0.383], [0.993, 0.906, 0.144]]
)
# red (singular) -> yellow -> green (isotropic), for ellipsoids coloured by their isotropy
_RED_GREEN = np.array([[0.84, 0.15, 0.16], [1.0, 0.8, 0.2], [0.17, 0.63, 0.17]])


def _meshcat():
    try:
        import meshcat.animation
        import meshcat.geometry
        import meshcat.visualizer
        import umsgpack
        import zmq
    except ImportError as exc:
        raise ImportError(f"{INSTALL_HINT} (import failed: {exc})") from exc
    return meshcat, zmq, umsgpack


def _colormap(table: np.ndarray, t: np.ndarray) -> np.ndarray:
    """RGB ``(N, 3)`` for values ``t`` in [0, 1] along a table of evenly spaced colours."""
    x = np.clip(t, 0.0, 1.0) * (len(table) - 1)
    i = np.minimum(x.astype(int), len(table) - 2)
    f = (x - i)[:, None]
    return table[i] * (1 - f) + table[i + 1] * f


def _hex(rgb: Sequence[float]) -> int:
    r, g, b = (round(255 * min(max(float(c), 0.0), 1.0)) for c in rgb[:3])
    return (r << 16) | (g << 8) | b


def _color(color, what: str) -> tuple[int, float]:
    """``(0xRRGGBB, opacity)`` from an int ``0xRRGGBB`` or an ``(r, g, b[, a])`` in [0, 1]."""
    if isinstance(color, (int, np.integer)) and not isinstance(color, bool):
        if not 0 <= int(color) <= 0xFFFFFF:
            raise InvalidValueError(f"{what} must be 0xRRGGBB, got {color:#x}")
        return int(color), 1.0
    c = np.asarray(color, dtype=float)
    if c.shape not in ((3,), (4,)) or not np.isfinite(c).all() or c.min() < 0 or c.max() > 1:
        raise InvalidValueError(f"{what} must be 0xRRGGBB or (r, g, b[, a]) in [0, 1], got {color!r}")
    return _hex(c), float(c[3]) if c.shape == (4,) else 1.0


def _points(points, what: str) -> np.ndarray:
    p = np.asarray(points, dtype=float)
    if p.ndim != 2 or p.shape[1] != 3:
        raise ShapeError(f"expected {what} of shape (N, 3) [m], got {p.shape}")
    if not np.isfinite(p).all():
        raise InvalidValueError(f"{what} contains NaN or inf")
    return p


# -- the meshcat server and the connection to it ---------------------------------------------
_LIFELINE = Path(__file__).resolve().with_name("_lifeline.py")  # run by path: starts without importing kinejac


def _helper_env() -> dict[str, str]:
    """The environment of a helper process: this one's, with meshcat importable as here."""
    import meshcat

    env = dict(os.environ)
    meshcat_root = str(Path(meshcat.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([meshcat_root, *filter(None, [env.get("PYTHONPATH")])])
    return env


def _lifeline_command(command: str, *args: str) -> list[str]:
    """``python -u _lifeline.py [--pdeathsig] COMMAND --parent PID ...`` for a helper of this process."""
    pdeathsig = ["--pdeathsig"] if in_main_thread() else []  # PDEATHSIG follows the starting thread
    return [sys.executable, "-u", str(_LIFELINE), *pdeathsig, command, "--parent", str(os.getpid()), *args]


def _start_server(timeout: float, host: str = "127.0.0.1") -> tuple[subprocess.Popen, str, str]:
    """Start meshcat's server (zmq port on 127.0.0.1, web port on ``host``), which stops when this
    process ends: ``(process, zmq_url, web_url)``."""
    proc = subprocess.Popen(
        _lifeline_command("meshcat", "--host", host),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # the server logs each connection there; an unread pipe would fill up
        env=_helper_env(),
        start_new_session=True,  # Ctrl-C in the terminal reaches only us; close() stops the server
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def drain() -> None:  # reads the server's stdout until it exits, so the pipe never fills
        with proc.stdout:
            for raw in proc.stdout:
                lines.put(raw.decode("utf-8", "replace").strip())
        lines.put(None)

    threading.Thread(target=drain, name="kinejac-meshcat-stdout", daemon=True).start()
    urls: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    try:
        while len(urls) < 2:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                line = ""
            if line is None or time.monotonic() > deadline:
                _stop(proc)
                why = "exited" if line is None else f"did not report its URLs within {timeout:g} s"
                raise KinejacError(f"the meshcat server {why} (exit code {proc.returncode})")
            key, sep, value = line.partition("=")
            if sep and key == "error":
                raise KinejacError(f"the meshcat server cannot start: {value}")
            if sep and key in ("zmq_url", "web_url"):
                urls[key] = value
    except BaseException:
        _stop(proc)
        raise
    return proc, urls["zmq_url"], urls["web_url"]


def _stop(proc: subprocess.Popen | None, grace: float = 3.0) -> None:
    """Stop a server process: SIGTERM, SIGKILL after ``grace`` seconds; reaps it."""
    if proc is None:
        return
    if proc.poll() is None:
        try:
            proc.terminate()
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
    proc.wait()


class _Connection:
    """The zmq link to a meshcat server; stands in for meshcat's ``ViewerWindow`` (same ``send``),
    with a timeout so a dead server is an error instead of a hang."""

    def __init__(self, zmq_url: str, timeout: float) -> None:
        _, zmq, self._umsgpack = _meshcat()
        self._zmq = zmq
        self.zmq_url = zmq_url
        self._timeout_ms = int(timeout * 1000)
        self._socket = None
        self._connect()
        self.web_url = self._request([b"url"]).decode("utf-8")
        self._connect()  # meshcat reconnects after asking for the URL (its server needs a fresh socket)

    def _connect(self) -> None:
        self.close()
        sock = self._zmq.Context.instance().socket(self._zmq.REQ)
        sock.setsockopt(self._zmq.LINGER, 0)
        sock.setsockopt(self._zmq.RCVTIMEO, self._timeout_ms)
        sock.setsockopt(self._zmq.SNDTIMEO, self._timeout_ms)
        sock.connect(self.zmq_url)
        self._socket = sock

    def _request(self, frames: list[bytes]) -> bytes:
        if self._socket is None:
            raise KinejacError("the viewer is closed")
        try:
            self._socket.send_multipart(frames)
            return self._socket.recv()
        except self._zmq.Again:
            self.close()
            raise KinejacError(
                f"no answer from the meshcat server at {self.zmq_url} within {self._timeout_ms / 1000:g} s"
            ) from None

    def send(self, command) -> None:
        data = command.lower()
        self._request([data["type"].encode(), data["path"].encode(), self._umsgpack.packb(data)])

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close(linger=0)
            self._socket = None


def _shutdown(connection: _Connection, proc: subprocess.Popen | None) -> None:
    """Disconnect and stop the server. Ctrl-C during it is ignored (it takes at most a few seconds),
    so a second Ctrl-C cannot leave a server behind or print a traceback."""
    with _sigint_deferred():
        connection.close()
        _stop(proc)


@contextlib.contextmanager
def _sigint_deferred():
    """Within the block, SIGINT (Ctrl-C) is noted instead of raising KeyboardInterrupt (main thread
    only; elsewhere signals are not delivered anyway). A deferred Ctrl-C is dropped: the caller was
    already on its way out."""
    if not in_main_thread():
        yield
        return
    try:
        previous = signal.signal(signal.SIGINT, lambda *_: None)
    except ValueError:  # not the main interpreter
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


# -- the viewer ------------------------------------------------------------------------------------
class Viewer:
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
        timeout: float = _TIMEOUT,
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
        meshcat, _, _ = _meshcat()
        self._mc = meshcat
        self.robot = robot
        self.tint_margin = float(tint_margin)
        self._elements: list[VisualElement] = visual_elements(robot, package_dirs=package_dirs)
        self._server: subprocess.Popen | None = None
        if zmq_url is None:
            self._server, zmq_url, _ = _start_server(timeout, host or "127.0.0.1")
        try:
            self._conn = _Connection(zmq_url, timeout)
        except BaseException:
            _stop(self._server)
            raise
        self._finalizer = weakref.finalize(self, _shutdown, self._conn, self._server)
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

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def close(self) -> None:
        """Disconnect and stop the meshcat server this viewer started. Idempotent; Ctrl-C during
        it is ignored (it takes at most a few seconds), so it always finishes."""
        self._finalizer()

    def wait(self, timeout: float | None = None) -> str | None:
        """Keep the page served (for scripts): prints the URL and blocks until Ctrl-C, SIGTERM or
        SIGHUP (in the main thread), or ``timeout`` [s]. Returns the name of the signal that
        ended the wait (``"SIGINT"``, ``"SIGTERM"``, ``"SIGHUP"``), ``None`` after ``timeout``.
        The viewer stays open: close it (or leave its ``with`` block) afterwards."""
        if timeout is not None and not (math.isfinite(timeout) and timeout >= 0):
            raise InvalidValueError(f"timeout must be >= 0 [s] or None, got {timeout}")
        if self.closed:
            raise KinejacError("the viewer is closed")
        print(f"viewer at {self.url}: press Ctrl-C to quit", file=sys.stderr, flush=True)
        deadline = None if timeout is None else time.monotonic() + timeout
        with _stop_signals_raise() as received:
            try:
                while deadline is None or time.monotonic() < deadline:
                    time.sleep(0.1 if deadline is None else min(0.1, max(0.0, deadline - time.monotonic())))
            except KeyboardInterrupt:
                return "SIGINT"
            except _StopSignal:
                return received[-1]
        return None

    def __enter__(self) -> Viewer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else self.url
        return f"Viewer({self.robot.name!r}, {state})"

    def _node(self, path: str):
        if self.closed:
            raise KinejacError("the viewer is closed")
        return self._root[path]

    # -- the robot -------------------------------------------------------------------------------
    def _geometry(self, e: VisualElement):
        g = self._mc.geometry
        if e.shape == "box":
            return g.Box(list(e.size))
        if e.shape == "cylinder":
            return g.Cylinder(e.size[1], e.size[0])
        if e.shape == "sphere":
            return g.Sphere(e.size[0])
        suffix = e.mesh_path.suffix.lower()
        loader = {".dae": g.DaeMeshGeometry, ".stl": g.StlMeshGeometry, ".obj": g.ObjMeshGeometry}[suffix]
        return loader.from_file(str(e.mesh_path))

    def _draw_element(self, e: VisualElement, tinted: bool | str) -> None:
        rgba = _COLLISION_RGBA if tinted == "collision" else _TINT_RGBA if tinted else (e.rgba or DEFAULT_RGBA)
        material = self._mc.geometry.MeshLambertMaterial(color=_hex(rgba), opacity=float(rgba[3]))
        node = self._node(f"robot/{_safe(e.link)}/{e.name}")
        node.set_object(self._geometries[e.name], material)
        T = e.T_link_visual.copy()
        if e.shape == "cylinder":  # three.js cylinders run along y, URDF ones along z
            T[:3, :3] = T[:3, :3] @ np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])
        elif e.shape == "mesh":
            T[:3, :3] = T[:3, :3] * np.asarray(e.size)
        node.set_transform(T)

    def _link_poses(self, q: np.ndarray) -> dict[str, np.ndarray]:
        model, data = self.robot.model, self.robot.data
        pin.framesForwardKinematics(model, data, q)
        names = {**self._link_frames, **{k: v[0] for k, v in self._shown_frames.items()}}
        return {name: data.oMf[fid].homogeneous for name, fid in names.items()}

    def show(self, q) -> None:
        """Draw the robot at configuration ``q`` ``(nq,)``, moving the frames of :meth:`show_frames`;
        links of joints within ``tint_margin`` of a limit are tinted."""
        q = self.robot.check_q(q)
        if q.ndim != 1:
            raise ShapeError(f"show takes one configuration of shape ({self.robot.nq},), got {q.shape}")
        poses = self._link_poses(q)
        for link in self._link_frames:
            self._node(f"robot/{_safe(link)}").set_transform(poses[link])
        for name in self._shown_frames:
            self._node(f"frames/{_safe(name)}").set_transform(poses[name])
        self._move_collision_markers()
        self._update_tint(q)
        self.q = q.copy()

    def links_near_limits(self, q) -> set[str]:
        """The URDF links moved directly by a joint within ``tint_margin`` of its range from a limit."""
        q = self.robot.check_q(q)
        near_joints = set()
        if self.tint_margin > 0:
            for jid, j in enumerate(self.robot.joints, start=1):
                if j.kind not in ("revolute", "prismatic"):
                    continue
                lo, hi = self.robot.lower[j.idx_q], self.robot.upper[j.idx_q]
                if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
                    continue
                if min(q[j.idx_q] - lo, hi - q[j.idx_q]) <= self.tint_margin * (hi - lo):
                    near_joints.add(jid)
        return {
            link for link, fid in self._link_frames.items() if self.robot.model.frames[fid].parentJoint in near_joints
        }

    def _update_tint(self, q: np.ndarray) -> None:
        tinted = self.links_near_limits(q)
        for e in self._elements:
            state = "collision" if e.link in self._colliding else "limit" if e.link in tinted else None
            if self._drawn_state.get(e.name) != state:
                self._draw_element(e, tinted=state or False)
                self._drawn_state[e.name] = state
        self._tinted = tinted

    # -- collisions ------------------------------------------------------------------------------
    def _move_collision_markers(self) -> None:
        """Place the collision geometry and spheres at the robot's pose in ``robot.data`` (after FK)."""
        data = self.robot.data
        if self._collision_shown:
            for g in self.robot.collision_model.geometryObjects:
                self._node(f"collision/{_safe(g.name)}").set_transform(
                    (data.oMi[g.parentJoint] * g.placement).homogeneous
                )
        if self._spheres_shown is not None:
            m = self._spheres_shown
            for s in range(len(m.sphere_radius)):
                T = np.eye(4)
                T[:3, 3] = data.oMi[int(m.sphere_joint[s])].act(m.sphere_center[s])
                self._node(f"spheres/{s}").set_transform(T)

    def _shape_node(self, node, shape, material) -> None:
        """Draw a coal shape (box, sphere, cylinder, capsule, triangle mesh) under ``node``, in its own frame."""
        import coal

        g = self._mc.geometry
        if isinstance(shape, coal.Box):
            node["shape"].set_object(g.Box((2 * np.asarray(shape.halfSide)).tolist()), material)
        elif isinstance(shape, coal.Sphere):
            node["shape"].set_object(g.Sphere(float(shape.radius)), material)
        elif isinstance(shape, (coal.Cylinder, coal.Capsule)):
            r, hl = float(shape.radius), float(shape.halfLength)
            node["shape"].set_object(g.Cylinder(2 * hl, r), material)
            node["shape"].set_transform(_Y_TO_Z)
            if isinstance(shape, coal.Capsule):
                for end, z in (("top", hl), ("bottom", -hl)):
                    node[end].set_object(g.Sphere(r), material)
                    node[end].set_transform(pin.SE3(np.eye(3), np.array([0.0, 0.0, z])).homogeneous)
        elif isinstance(shape, coal.BVHModelBase):
            from ..collision.spheres import _mesh_arrays

            V, F = _mesh_arrays(shape)
            node["shape"].set_object(g.TriangularMeshGeometry(V, F), material)
        else:
            raise KinejacError(f"cannot draw a {type(shape).__name__}")

    def show_collision_geometry(self, *, color=0x3399FF, opacity: float = 0.35) -> None:
        """Draw the robot's collision geometry (``robot.collision_model``) over its visuals; it
        follows the robot in :meth:`show`. ``delete("collision")`` removes it."""
        rgb, _ = _color(color, "color")
        material = self._mc.geometry.MeshLambertMaterial(color=rgb, opacity=float(opacity), transparent=True)
        for g in self.robot.collision_model.geometryObjects:
            self._shape_node(self._node(f"collision/{_safe(g.name)}"), g.geometry, material)
        self._collision_shown = True
        self.show(self.q)

    def show_spheres(self, spheres=None, *, color=0xFFAA00, opacity: float = 0.3):
        """Draw the fitted sphere model (default :func:`kinejac.collision.spheres.sphere_model`);
        the spheres follow the robot in :meth:`show`. Returns the ``SphereModel`` drawn."""
        from ..collision.spheres import sphere_model

        m = sphere_model(self.robot) if spheres is None else spheres
        rgb, _ = _color(color, "color")
        material = self._mc.geometry.MeshLambertMaterial(color=rgb, opacity=float(opacity), transparent=True)
        self._node("spheres").delete()
        for s, r in enumerate(m.sphere_radius):
            self._node(f"spheres/{s}").set_object(self._mc.geometry.Sphere(float(r)), material)
        self._spheres_shown = m
        self.show(self.q)
        return m

    def show_obstacles(self, obstacles, *, color=0x888888, opacity: float = 0.6) -> list[str]:
        """Draw a scene (obstacles or a JSON file) under ``obstacles/<name>``, replacing the one drawn
        before; returns the obstacle names."""
        from ..collision.checking import coal_geometry
        from ..collision.obstacles import PointCloud, as_scene, obstacle_names

        scene = as_scene(obstacles)
        names = obstacle_names(scene)
        rgb, _ = _color(color, "color")
        material = self._mc.geometry.MeshLambertMaterial(color=rgb, opacity=float(opacity), transparent=True)
        self._node("obstacles").delete()
        for name, o in zip(names, scene):
            node = self._node(f"obstacles/{_safe(name)}")
            if isinstance(o, PointCloud):
                cloud = self._mc.geometry.PointCloud(
                    o.points.T.astype(np.float32),
                    np.tile(np.array([rgb >> 16, (rgb >> 8) & 255, rgb & 255]) / 255.0, (len(o.points), 1)).T.astype(
                        np.float32
                    ),
                    size=max(2 * o.radius, 0.005),
                )
                node.set_object(cloud)
                continue
            for k, (shape, placement) in enumerate(coal_geometry(o)):
                self._shape_node(node[str(k)], shape, material)
                node[str(k)].set_transform(placement.homogeneous)
        return names

    def show_collisions(self, q, obstacles=()) -> list[tuple[str, str]]:
        """Draw the robot at ``q`` with the links in collision (exact check, :func:`kinejac.collisions`)
        coloured red, and the obstacles; returns the colliding pairs. The next :meth:`show` keeps the
        colours until ``show_collisions`` is called again."""
        from ..collision.checking import collisions
        from ..collision.obstacles import as_scene

        scene = as_scene(obstacles)
        pairs = collisions(self.robot, q, scene)
        links = set(self.robot.frame_names)
        self._colliding = {name for pair in pairs for name in pair if name in links}
        if scene:
            self.show_obstacles(scene)
        self.show(q)
        return pairs

    # -- markers ---------------------------------------------------------------------------------
    def show_frames(self, names: Sequence[str], *, scale: float = 0.1) -> None:
        """Draw coordinate triads (x red, y green, z blue; ``scale`` [m] long) at the named frames,
        replacing those shown before; they follow the robot in :meth:`show` and :meth:`play`."""
        if isinstance(names, str):
            names = [names]
        ids = {name: self.robot.frame_id(name) for name in names}
        for old in set(self._shown_frames) - set(ids):
            self._node(f"frames/{_safe(old)}").delete()
        for name, fid in ids.items():
            if self._shown_frames.get(name) != (fid, scale):
                self._node(f"frames/{_safe(name)}").set_object(self._mc.geometry.triad(scale))
        self._shown_frames = {name: (fid, scale) for name, fid in ids.items()}
        self.show(self.q)

    def show_target(self, T_world_target, name: str = "target", *, scale: float = 0.1, color=0xFF3366) -> None:
        """Draw a target pose ``(4, 4)`` (or ``pin.SE3``): a triad ``scale`` [m] long and a ball."""
        T = as_transform(T_world_target, "T_world_target")
        rgb, opacity = _color(color, "color")
        node = self._node(f"targets/{_safe(name)}")
        node["triad"].set_object(self._mc.geometry.triad(1.5 * scale))
        ball = self._mc.geometry.MeshLambertMaterial(color=rgb, opacity=min(opacity, 0.7))
        node["ball"].set_object(self._mc.geometry.Sphere(0.2 * scale), ball)
        node.set_transform(T)

    def show_ellipsoid(
        self,
        ellipsoid=None,
        *,
        q=None,
        frame: str | None = None,
        kind: str = "velocity",
        part: str = "translation",
        center=None,
        axes=None,
        radii=None,
        name: str | None = None,
        scale: float = 1.0,
        max_radius: float = 2.0,
        color=None,
        opacity: float = 0.4,
    ) -> np.ndarray:
        """Draw an ellipsoid; returns its drawn radii ``(3,)`` [m].

        Give one of: ``ellipsoid``, any object with ``center`` ``(3,)``, ``axes`` ``(3, 3)``
        (columns: unit principal axes) and ``radii`` ``(3,)``, such as the result of
        ``kinejac.velocity_ellipsoid``; or ``q`` and ``frame`` (computed with
        ``kinejac.velocity_ellipsoid``/``kinejac.force_ellipsoid`` per ``kind``,
        with ``part``); or ``center``, ``axes`` and ``radii``.

        The radii are multiplied by ``scale`` (velocity radii are [m/s] per unit joint speed, so
        pick ``scale`` [s] to fit the scene) and drawn at most ``max_radius`` [m] long: a force
        ellipsoid's infinite radius (a direction the arm cannot move in) is drawn that long.
        ``color`` (``0xRRGGBB`` or rgb in [0, 1]) defaults to the ellipsoid's isotropy
        ``min(radii) / max(radii)``: red near a singularity, green when round.
        """
        if ellipsoid is None and q is not None:
            if frame is None:
                raise InvalidValueError("show_ellipsoid(q=...) needs frame= too")
            if kind not in ("velocity", "force"):
                from ..errors import InvalidChoiceError

                raise InvalidChoiceError("ellipsoid kind", kind, ["velocity", "force"])
            from .. import dexterity

            ellipsoid = getattr(dexterity, f"{kind}_ellipsoid")(self.robot, q, frame, part=part)
            name = name or f"{frame}_{kind}"
        if ellipsoid is not None:
            try:
                center, axes, radii = ellipsoid.center, ellipsoid.axes, ellipsoid.radii
            except AttributeError:
                raise InvalidValueError(
                    f"expected an ellipsoid with center, axes and radii, got {type(ellipsoid).__name__}"
                ) from None
        elif center is None or axes is None or radii is None:
            raise InvalidValueError("show_ellipsoid needs an ellipsoid, q and frame, or center, axes and radii")
        c = np.asarray(center, dtype=float).reshape(-1)
        A = np.asarray(axes, dtype=float)
        r = np.asarray(radii, dtype=float).reshape(-1)
        if c.shape != (3,) or A.shape != (3, 3) or r.shape != (3,):
            raise ShapeError(f"expected center (3,), axes (3, 3), radii (3,), got {c.shape}, {A.shape}, {r.shape}")
        if not (np.isfinite(c).all() and np.isfinite(A).all()) or np.isnan(r).any() or (r < 0).any():
            raise InvalidValueError(
                f"ellipsoid needs a finite center and axes and radii >= 0 (inf allowed), got radii {r.tolist()}"
            )
        if orthonormality_error(A) > 1e-6:
            raise InvalidValueError("ellipsoid axes must be orthonormal columns")
        if not (math.isfinite(scale) and scale > 0 and math.isfinite(max_radius) and max_radius > 0):
            raise InvalidValueError(f"scale and max_radius must be > 0, got {scale} and {max_radius}")
        if np.linalg.det(A) < 0:  # a rotation for meshcat; the ellipsoid is the same
            A = A * np.array([1.0, 1.0, -1.0])
        drawn = np.minimum(r * scale, max_radius)
        top = drawn.max()
        drawn = np.maximum(drawn, max(1e-3 * top, 1e-6))  # a flat ellipsoid stays visible, not NaN
        if color is None:
            isotropy = r.min() / r.max() if r.max() > 0 else 0.0
            rgb = _hex(_colormap(_RED_GREEN, np.array([isotropy]))[0])
            alpha = opacity
        else:
            rgb, alpha = _color(color, "color")
            alpha = min(alpha, opacity)
        node = self._node(f"ellipsoids/{_safe(name or 'ellipsoid')}")
        material = self._mc.geometry.MeshLambertMaterial(color=rgb, opacity=float(alpha))
        node["shape"].set_object(self._mc.geometry.Ellipsoid(list(drawn)), material)
        T = np.eye(4)
        T[:3, :3], T[:3, 3] = A, c
        node.set_transform(T)
        return drawn

    def show_path(self, points, *, frame: str | None = None, name: str = "path", color=0xFF8800) -> np.ndarray:
        """Draw a polyline through ``points`` ``(N, 3)`` [m]; with ``frame``, ``points`` is a
        trajectory ``(N, nq)`` and the line follows that frame's origin. Returns the points ``(N, 3)``."""
        if frame is not None:
            from ..kinematics import pose

            traj = self.robot.check_q(points, "trajectory")
            p = pose(self.robot, np.atleast_2d(traj), frame)[:, :3, 3]
        else:
            p = _points(points, "points")
        if len(p) < 2:
            raise ShapeError(f"a path needs at least 2 points, got {len(p)}")
        rgb, _ = _color(color, "color")
        g = self._mc.geometry
        line = g.Line(g.PointsGeometry(p.T.astype(np.float32)), g.LineBasicMaterial(color=rgb))
        self._node(f"paths/{_safe(name)}").set_object(line)
        return p

    def show_points(self, points, values=None, *, name: str = "points", size: float = 0.02, vmin=None, vmax=None):
        """Draw a point cloud ``(N, 3)`` [m] coloured by ``values`` ``(N,)`` (viridis, from ``vmin``
        (dark blue) to ``vmax`` (yellow); default: their range). ``points`` may also be a workspace
        (an object with ``positions`` and ``manipulability``), or a reachability map or inverse
        reachability (an object whose ``as_points()`` gives points and values: reachable voxels
        coloured by index, base positions by score). Returns the RGB colours ``(N, 3)``."""
        if values is None and hasattr(points, "as_points"):
            points, values = points.as_points()
        elif values is None and hasattr(points, "positions"):
            values = getattr(points, "manipulability", None)
            points = points.positions
        p = _points(points, "points")
        if values is None:
            rgb = np.tile(_VIRIDIS[2], (len(p), 1))
        else:
            v = np.asarray(values, dtype=float).reshape(-1)
            if v.shape != (len(p),):
                raise ShapeError(f"expected values of shape ({len(p)},), got {v.shape}")
            if not np.isfinite(v).all():
                raise InvalidValueError("values contains NaN or inf")
            lo = float(v.min() if vmin is None else vmin)
            hi = float(v.max() if vmax is None else vmax)
            rgb = _colormap(_VIRIDIS, (v - lo) / (hi - lo) if hi > lo else np.zeros_like(v))
        g = self._mc.geometry
        cloud = g.PointCloud(p.T.astype(np.float32), rgb.T.astype(np.float32), size=float(size))
        self._node(f"points/{_safe(name)}").set_object(cloud)
        return rgb

    def delete(self, group: str, name: str | None = None) -> None:
        """Remove drawn markers: a whole group (``"targets"``, ``"ellipsoids"``, ``"paths"``,
        ``"points"``, ``"frames"``) or one ``name`` in it."""
        groups = ("targets", "ellipsoids", "paths", "points", "frames", "obstacles", "collision", "spheres")
        if group not in groups:
            from ..errors import InvalidChoiceError

            raise InvalidChoiceError("group", group, groups)
        self._node(group if name is None else f"{group}/{_safe(name)}").delete()
        if group == "frames":  # the others keep their scale
            self._shown_frames = {} if name is None else {k: v for k, v in self._shown_frames.items() if k != name}
        if group == "collision" and name is None:
            self._collision_shown = False
        if group == "spheres" and name is None:
            self._spheres_shown = None

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
                    frame[f"robot/{_safe(link)}"].set_transform(poses[link])
                for name in self._shown_frames:
                    frame[f"frames/{_safe(name)}"].set_transform(poses[name])
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

    # -- camera and pictures ---------------------------------------------------------------------
    def set_camera(self, position) -> None:
        """Place the camera at ``position`` ``(3,)`` [m, world]; it looks at the world origin, about
        which meshcat's mouse controls orbit."""
        p = np.asarray(position, dtype=float).reshape(-1)
        if p.shape != (3,) or not np.isfinite(p).all() or not p.any():
            raise InvalidValueError(f"camera position must be 3 finite numbers, not the origin; got {p.tolist()}")
        # the camera sits in a y-up frame: world (x, y, z) is (x, z, -y) there
        self._vis["/Cameras/default"].set_transform(np.eye(4))
        self._vis["/Cameras/default/rotated/<object>"].set_property("position", [p[0], p[2], -p[1]])

    def _frame_camera(self) -> None:
        """A view from the front-right, above, far enough to see the robot at its neutral pose."""
        origins = np.array([T[:3, 3] for T in self._link_poses(self.q).values()] or [np.zeros(3)])
        reach = max(float(np.linalg.norm(origins, axis=1).max()), 0.3)
        direction = np.array([1.0, 0.7, 0.8]) / np.linalg.norm([1.0, 0.7, 0.8])
        self.set_camera(1.4 * reach * direction)

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


class _StopSignal(BaseException):
    """SIGTERM or SIGHUP arrived during :meth:`Viewer.wait`."""


@contextlib.contextmanager
def _stop_signals_raise():
    """Within the block (main thread), SIGTERM and SIGHUP raise :class:`_StopSignal` instead of
    ending the process at once, so the caller can close the viewer; yields the received names."""
    received: list[str] = []
    if not in_main_thread():
        yield received
        return

    def handler(signum, _frame):
        received.append(signal.Signals(signum).name)
        raise _StopSignal

    stop_signals = [s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s is not None]
    previous = {sig: signal.signal(sig, handler) for sig in stop_signals}
    try:
        yield received
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _safe(name: str) -> str:
    return name.replace("/", "_")


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
