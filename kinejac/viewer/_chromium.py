"""Headless Chromium driven through the DevTools protocol: load a page, run JavaScript, take a PNG.

Used to screenshot the meshcat viewer (``Viewer.screenshot``, ``scripts/screenshot.py``, the tests).
WebGL renders in software (SwiftShader), so no GPU or display is needed. The DevTools websocket is
spoken with tornado's client (tornado comes with meshcat), so no extra dependency is needed.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from ..errors import KinejacError
from ._lifeline import stop_group
from ._server import lifeline_command, sigint_deferred

__all__ = ["CHROMIUM_NAMES", "HeadlessChromium", "find_chromium"]

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--mute-audio",
)


def _start_watchdog(pgid: int, profile: str) -> subprocess.Popen:
    """``_lifeline.py watch``: stops process group ``pgid`` and removes ``profile`` if this process ends."""
    return subprocess.Popen(
        lifeline_command("watch", "--group", str(pgid), "--remove", profile),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def find_chromium() -> str | None:
    """Path of a Chromium/Chrome executable (``$KINEJAC_CHROMIUM`` first), or ``None``."""
    env = os.environ.get("KINEJAC_CHROMIUM")
    if env:
        return shutil.which(env) or (env if Path(env).is_file() else None)
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


class HeadlessChromium:
    """One headless Chromium process with a fresh profile, showing one page.

    Use as a context manager (or call :meth:`close`): the browser process group and its temporary
    profile are removed on exit. A watchdog process (``_lifeline.py watch``) does the same when this
    Python process ends without closing the browser (SIGTERM, SIGKILL, ...).

    Args:
        width, height: viewport size [px].
        executable: the browser to run (default: :func:`find_chromium`).
        timeout: seconds to wait for the browser to start and for each DevTools answer.
    """

    def __init__(self, width: int = 960, height: int = 720, *, executable: str | None = None, timeout: float = 30.0):
        exe = executable or find_chromium()
        if exe is None:
            raise KinejacError(
                f"no Chromium found (looked for {', '.join(CHROMIUM_NAMES)} on PATH and $KINEJAC_CHROMIUM); "
                "install it, e.g. `apt-get install chromium`"
            )
        self.width, self.height, self.timeout = int(width), int(height), float(timeout)
        self._profile = tempfile.mkdtemp(prefix="kinejac-chromium-")
        args = [
            exe,
            *_FLAGS,
            f"--user-data-dir={self._profile}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            f"--window-size={self.width},{self.height}",
            "about:blank",
        ]
        self._loop = asyncio.new_event_loop()
        self._ws: Any = None  # tornado's WebSocketClientConnection once connected
        self._ids = itertools.count(1)
        self.requests: list[str] = []  #: URLs the page asked for (requests and websockets), in order
        try:
            self.process = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as exc:  # not executable, not found: nothing started, remove what was made
            self._loop.close()
            shutil.rmtree(self._profile, ignore_errors=True)
            raise KinejacError(f"cannot start the browser {exe!r}: {exc.strerror or exc}") from None
        self._watchdog: subprocess.Popen | None = None
        try:
            self._watchdog = _start_watchdog(self.process.pid, self._profile)
            self._connect()
            self.call("Page.enable")
            self.call("Runtime.enable")
            self.call("Network.enable")
            self.call(
                "Emulation.setDeviceMetricsOverride",
                width=self.width,
                height=self.height,
                deviceScaleFactor=1,
                mobile=False,
            )
        except BaseException:
            self.close()
            raise

    # -- plumbing ------------------------------------------------------------------------------
    def _connect(self) -> None:
        port_file = Path(self._profile) / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while not port_file.is_file() or not port_file.read_text().strip():
            if self.process.poll() is not None:
                raise KinejacError(f"Chromium exited at start with code {self.process.returncode}")
            if time.monotonic() > deadline:
                raise KinejacError(f"Chromium did not open its DevTools port within {self.timeout:.0f} s")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=self.timeout) as answer:
            targets = json.loads(answer.read())
        pages = [t for t in targets if t.get("type") == "page"]
        if not pages:
            raise KinejacError("Chromium has no page target to drive")
        from tornado.websocket import websocket_connect

        async def connect():
            return await websocket_connect(pages[0]["webSocketDebuggerUrl"], max_message_size=256 * 2**20)

        self._ws = self._run(connect())

    def _run(self, awaitable):
        return self._loop.run_until_complete(asyncio.wait_for(awaitable, self.timeout))

    async def _call(self, method: str, params: dict) -> dict:
        msg_id = next(self._ids)
        await self._ws.write_message(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            raw = await self._ws.read_message()
            if raw is None:
                raise KinejacError(f"Chromium closed the DevTools connection during {method}")
            msg = json.loads(raw)
            method_seen = msg.get("method")
            if method_seen == "Network.requestWillBeSent":
                self.requests.append(msg["params"]["request"]["url"])
            elif method_seen == "Network.webSocketCreated":
                self.requests.append(msg["params"]["url"])
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise KinejacError(f"DevTools {method} failed: {msg['error']}")
                return msg.get("result", {})

    def call(self, method: str, **params) -> dict:
        """Send one DevTools command and return its result."""
        if self._ws is None:
            raise KinejacError("the browser is closed")
        return self._run(self._call(method, params))

    # -- what users call -----------------------------------------------------------------------
    def goto(self, url: str) -> None:
        """Load ``url`` and wait for its ``load`` event."""
        self.call("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete'")

    def evaluate(self, expression: str):
        """The value of a JavaScript expression in the page (JSON-serialisable values only)."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise KinejacError(f"JavaScript error in {expression!r}: {text}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float | None = None, poll: float = 0.05):
        """Poll a JavaScript expression until it is truthy; returns its value."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            try:
                value = self.evaluate(expression)
            except KinejacError:
                value = None
            if value:
                return value
            if time.monotonic() > deadline:
                raise KinejacError(f"timed out waiting for {expression!r} in the page")
            time.sleep(poll)

    def frames(self, n: int = 2) -> None:
        """Wait for ``n`` animation frames, so the page has rendered its latest state."""
        k = max(1, int(n))
        self.evaluate(
            f"new Promise(r => {{ let k = {k}; const f = () => (--k > 0 ? requestAnimationFrame(f) : r(true)); "
            "requestAnimationFrame(f); })"
        )

    def screenshot(self) -> bytes:
        """A PNG of the viewport, as bytes."""
        result = self.call("Page.captureScreenshot", format="png")
        return base64.b64decode(result["data"])

    def close(self) -> None:
        """Stop the browser (its whole process group) and delete its profile. Idempotent; Ctrl-C
        during it is ignored (it takes at most a few seconds)."""
        with sigint_deferred():
            if self._ws is not None:
                self._ws.close()
                self._ws = None
            stop_group(self.process.pid)  # the browser and its renderer, GPU and zygote processes
            self.process.wait()
            if self._watchdog is not None:
                if self._watchdog.poll() is None:
                    self._watchdog.terminate()
                self._watchdog.wait()
                self._watchdog = None
            if not self._loop.is_closed():
                self._loop.close()
            shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> HeadlessChromium:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
