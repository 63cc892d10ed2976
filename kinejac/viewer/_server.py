"""The meshcat server's lifetime: start it tied to this process, talk to it over zmq, stop it.

The server runs as ``_lifeline.py meshcat`` (see :mod:`._lifeline`), so it stops when this process
ends however it ends; :func:`shutdown` stops it on ``Viewer.close()``. Signal handling for the
viewer's blocking calls (:func:`sigint_deferred`, :func:`stop_signals_raise`) lives here too.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, cast

from ..errors import KinejacError
from ._lifeline import in_main_thread

__all__ = [
    "INSTALL_HINT",
    "TIMEOUT",
    "Connection",
    "StopSignal",
    "import_meshcat",
    "lifeline_command",
    "shutdown",
    "sigint_deferred",
    "start_server",
    "stop_process",
    "stop_signals_raise",
]

INSTALL_HINT = "the viewer needs meshcat: pip install 'meshcat>=0.3.2'"
TIMEOUT = 30.0  # [s] for the server to start and to answer each command


def import_meshcat():
    """meshcat's modules ``(meshcat, zmq, umsgpack)``; an ImportError with :data:`INSTALL_HINT` when missing."""
    try:
        import meshcat.animation
        import meshcat.geometry
        import meshcat.visualizer
        import umsgpack
        import zmq
    except ImportError as exc:
        raise ImportError(f"{INSTALL_HINT} (import failed: {exc})") from exc
    return meshcat, zmq, umsgpack


_LIFELINE = Path(__file__).resolve().with_name("_lifeline.py")  # run by path: starts without importing kinejac


def _helper_env() -> dict[str, str]:
    """The environment of a helper process: this one's, with meshcat importable as here."""
    import meshcat

    env = dict(os.environ)
    meshcat_root = str(Path(meshcat.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([meshcat_root, *filter(None, [env.get("PYTHONPATH")])])
    return env


def lifeline_command(command: str, *args: str) -> list[str]:
    """``python -u _lifeline.py [--pdeathsig] COMMAND --parent PID ...`` for a helper of this process."""
    pdeathsig = ["--pdeathsig"] if in_main_thread() else []  # PDEATHSIG follows the starting thread
    return [sys.executable, "-u", str(_LIFELINE), *pdeathsig, command, "--parent", str(os.getpid()), *args]


def start_server(timeout: float, host: str = "127.0.0.1") -> tuple[subprocess.Popen, str, str]:
    """Start meshcat's server (zmq port on 127.0.0.1, web port on ``host``), which stops when this
    process ends: ``(process, zmq_url, web_url)``."""
    proc = subprocess.Popen(
        lifeline_command("meshcat", "--host", host),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # the server logs each connection there; an unread pipe would fill up
        env=_helper_env(),
        start_new_session=True,  # Ctrl-C in the terminal reaches only us; close() stops the server
    )
    lines: queue.Queue[str | None] = queue.Queue()

    stdout = cast(IO[bytes], proc.stdout)  # a pipe: stdout=PIPE

    def drain() -> None:  # reads the server's stdout until it exits, so the pipe never fills
        with stdout:
            for raw in stdout:
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
                stop_process(proc)
                why = "exited" if line is None else f"did not report its URLs within {timeout:g} s"
                raise KinejacError(f"the meshcat server {why} (exit code {proc.returncode})")
            key, sep, value = line.partition("=")
            if sep and key == "error":
                raise KinejacError(f"the meshcat server cannot start: {value}")
            if sep and key in ("zmq_url", "web_url"):
                urls[key] = value
    except BaseException:
        stop_process(proc)
        raise
    return proc, urls["zmq_url"], urls["web_url"]


def stop_process(proc: subprocess.Popen | None, grace: float = 3.0) -> None:
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


class Connection:
    """The zmq link to a meshcat server; stands in for meshcat's ``ViewerWindow`` (same ``send``),
    with a timeout so a dead server is an error instead of a hang."""

    def __init__(self, zmq_url: str, timeout: float) -> None:
        _, zmq, self._umsgpack = import_meshcat()
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


def shutdown(connection: Connection, proc: subprocess.Popen | None) -> None:
    """Disconnect and stop the server. Ctrl-C during it is ignored (it takes at most a few seconds),
    so a second Ctrl-C cannot leave a server behind or print a traceback."""
    with sigint_deferred():
        connection.close()
        stop_process(proc)


@contextlib.contextmanager
def sigint_deferred():
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


class StopSignal(BaseException):
    """SIGTERM or SIGHUP arrived during :meth:`Viewer.wait`."""


@contextlib.contextmanager
def stop_signals_raise():
    """Within the block (main thread), SIGTERM and SIGHUP raise :class:`StopSignal` instead of
    ending the process at once, so the caller can close the viewer; yields the received names."""
    received: list[str] = []
    if not in_main_thread():
        yield received
        return

    def handler(signum, _frame):
        received.append(signal.Signals(signum).name)
        raise StopSignal

    stop_signals = [s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s is not None]
    previous = {sig: signal.signal(sig, handler) for sig in stop_signals}
    try:
        yield received
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
