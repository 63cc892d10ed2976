"""The viewer's processes as a user meets them, with real processes and no mocks.

Every server listens on loopback only (read from ``/proc/net/tcp`` and ``tcp6``), and no meshcat
server, browser or watchdog outlives the process that started it, however that process ends:
SIGTERM, SIGINT once or twice, SIGHUP, SIGKILL, a viewer made in a worker thread.
"""

from __future__ import annotations

import ipaddress
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

import kinejac
from kinejac.errors import InvalidValueError, KinejacError

pytest.importorskip("meshcat")
if not Path("/proc/net/tcp").exists():
    pytest.skip("these tests read Linux's /proc", allow_module_level=True)

from browser import require_chromium

from kinejac.viewer import Viewer

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
GONE_WITHIN = 5.0  # [s] for every helper process to end and its ports to be free


# -- reading /proc ----------------------------------------------------------------------------------
def _processes() -> dict[int, tuple[int, str]]:
    """``{pid: (ppid, state)}`` of every process."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_bytes().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            table[int(entry)] = (int(fields[1]), fields[0].decode())
    return table


def descendants(pid: int) -> set[int]:
    """The live processes started by ``pid``, directly or not."""
    table = _processes()
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, (ppid, state) in table.items() if ppid in frontier and state != "Z"} - found
        found |= frontier
    return found


def marked(marker: str) -> set[int]:
    """Live processes whose environment holds ``KINEJAC_TEST_MARKER=marker``: those a test's child
    started, even when they left its process tree (Chromium's crash handler double-forks)."""
    needle = f"KINEJAC_TEST_MARKER={marker}".encode()
    found = set()
    for pid in _processes():
        try:
            if needle in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") and alive(pid):
                found.add(pid)
        except OSError:
            continue
    return found


def alive(pid: int) -> bool:
    state = _processes().get(pid)
    return state is not None and state[1] != "Z"


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _address(hex_address: str) -> tuple[str, int]:
    host, port = hex_address.split(":")
    raw = bytes.fromhex(host)
    raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))  # 32-bit words, little-endian
    return str(ipaddress.ip_address(raw)), int(port, 16)


def listening(pids=None) -> list[tuple[str, int]]:
    """``(address, port)`` of the TCP sockets listening in processes ``pids`` (all when ``None``)."""
    inodes = None
    if pids is not None:
        inodes = set()
        for pid in pids:
            try:
                for fd in os.listdir(f"/proc/{pid}/fd"):
                    link = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if link.startswith("socket:["):
                        inodes.add(int(link[8:-1]))
            except OSError:
                continue
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and (inodes is None or int(fields[9]) in inodes):  # 0A: LISTEN
                found.append(_address(fields[1]))
    return found


def assert_loopback_only(sockets: list[tuple[str, int]]) -> None:
    assert sockets, "no listening socket found"
    wide = [(a, p) for a, p in sockets if not ipaddress.ip_address(a).is_loopback]
    assert not wide, f"listening beyond loopback: {wide} (all: {sockets})"


def assert_all_gone(pids: set[int], ports: set[int], marker: str | None = None) -> None:
    """Within GONE_WITHIN seconds, none of ``pids`` (nor of the processes marked ``marker``) runs
    and nothing listens on ``ports``."""
    deadline = time.monotonic() + GONE_WITHIN
    while True:
        left = {p: cmdline(p) for p in pids | (marked(marker) if marker else set()) if alive(p)}
        busy = {port for _, port in listening()} & ports
        if not left and not busy:
            return
        if time.monotonic() > deadline:
            for p in left:  # do not leave them behind for the next test
                os.kill(p, signal.SIGKILL)
            pytest.fail(f"after {GONE_WITHIN} s still running: {left}; ports still listening: {busy}")
        time.sleep(0.05)


# -- a process under test ---------------------------------------------------------------------------
class Running:
    """A child process whose stdout and stderr are read line by line as they come."""

    def __init__(self, argv: list[str], cwd: Path | None = None) -> None:
        self.marker = uuid.uuid4().hex  # inherited by every process it starts
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "BROWSER": "true", "KINEJAC_TEST_MARKER": self.marker}
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd, env=env)
        self.out: list[str] = []
        self.err: list[str] = []
        self._ended: list[str] = []
        self._closed = threading.Event()  # both streams read to their end
        for name, stream in (("out", self.proc.stdout), ("err", self.proc.stderr)):
            threading.Thread(target=self._read, args=(name, stream), daemon=True).start()

    def _read(self, name: str, stream) -> None:
        for line in stream:
            (self.out if name == "out" else self.err).append(line)
        self._ended.append(name)
        if len(self._ended) == 2:
            self._closed.set()

    def wait_for(self, pattern: str, timeout: float = 60.0) -> re.Match:
        """The first line so far, of stdout or stderr, matching ``pattern`` (waits for it)."""
        deadline = time.monotonic() + timeout
        while True:
            ended = self._closed.is_set()  # before the scan: no line comes after it
            for line in [*self.out, *self.err]:
                if match := re.search(pattern, line):
                    return match
            if ended or time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"no line matching {pattern!r}; stdout: {''.join(self.out)} stderr: {''.join(self.err)}")
            time.sleep(0.02)

    def finish(self, timeout: float = GONE_WITHIN) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"did not exit within {timeout} s; stderr: {''.join(self.err)}")

    def kill(self) -> None:
        for pid in descendants(self.proc.pid) | {self.proc.pid}:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()

    @property
    def stderr(self) -> str:
        self._closed.wait(GONE_WITHIN)  # the reader threads have the last lines
        return "".join(self.err)


def send(proc: Running, signals: tuple[int, ...]) -> None:
    for i, sig in enumerate(signals):
        if i:
            time.sleep(0.01)
        proc.proc.send_signal(sig)


SIGNALS = {
    "SIGTERM": (signal.SIGTERM,),
    "SIGINT": (signal.SIGINT,),
    "SIGINT-twice": (signal.SIGINT, signal.SIGINT),
    "SIGHUP": (signal.SIGHUP,),
    "SIGKILL": (signal.SIGKILL,),
}


# -- kinejac view ---------------------------------------------------------------------------------
@pytest.mark.parametrize("how", list(SIGNALS))
def test_view_command_serves_loopback_only_and_leaves_nothing_behind(how):
    view = Running([sys.executable, "-m", "kinejac", "view", "planar_2r", "--q", "0.3", "0.5"])
    url = view.wait_for(r"kinejac viewer: (http://\S+)").group(1)
    view.wait_for("press Ctrl-C")
    helpers = descendants(view.proc.pid)
    assert any("meshcat" in cmdline(p) for p in helpers), [cmdline(p) for p in helpers]
    sockets = listening(helpers)
    assert_loopback_only(sockets)
    assert len(sockets) == 2  # the web port and the zmq port
    assert url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(url, timeout=10) as page:  # the page is served while the command waits
        assert page.status == 200 and b"MeshCat" in page.read()

    send(view, SIGNALS[how])
    code = view.finish()
    assert_all_gone(helpers, {port for _, port in sockets}, view.marker)
    if how == "SIGKILL":
        assert code == -signal.SIGKILL
    else:  # a clean exit: the viewer closed, no traceback
        assert code == 0, view.stderr
        assert "Traceback" not in view.stderr


def test_view_host_option_warns_and_binds_that_address():
    view = Running([sys.executable, "-m", "kinejac", "view", "planar_2r", "--host", "::1"])
    url = view.wait_for(r"kinejac viewer: (http://\S+)").group(1)
    view.wait_for("press Ctrl-C")
    helpers = descendants(view.proc.pid)
    sockets = listening(helpers)
    assert sorted(a for a, _ in sockets) == ["127.0.0.1", "::1"]  # zmq stays on 127.0.0.1, the page on ::1
    assert url.startswith("http://[::1]:")
    send(view, (signal.SIGTERM,))
    assert view.finish() == 0
    assert "warning" not in view.stderr  # ::1 is a loopback address
    assert_all_gone(helpers, {port for _, port in sockets}, view.marker)


def test_view_host_not_loopback_is_a_warning(capsys):
    from kinejac.cli import main

    # 192.0.2.1 (TEST-NET-1) is not an address of this machine: the server says so, nothing is exposed
    assert main(["view", "planar_2r", "--host", "192.0.2.1", "--no-wait"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("kinejac: warning: the viewer's page is served on '192.0.2.1', not on a loopback")
    assert err[1].startswith("kinejac: error: the meshcat server cannot start: cannot listen on '192.0.2.1'")
    assert main(["view", "planar_2r", "--host", "127.0.0.1", "--zmq-url", "tcp://127.0.0.1:1", "--no-wait"]) == 2
    assert "cannot be given with zmq_url" in capsys.readouterr().err


# -- a script's viewer: the README example ------------------------------------------------------------
def _readme_viewer_example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    (block,) = [b for b in blocks if "kinejac.Viewer(" in b]
    return block


def test_readme_viewer_example_waits_and_is_served_until_ctrl_c(tmp_path):
    block = _readme_viewer_example()
    assert "viewer.wait()" in block  # the example does not print a URL and exit
    script = tmp_path / "viewer_example.py"
    script.write_text(block)
    run = Running([sys.executable, str(script)], cwd=tmp_path)
    url = run.wait_for(r"kinejac viewer: (http://\S+)").group(1)
    run.wait_for("press Ctrl-C")
    helpers = descendants(run.proc.pid)
    sockets = listening(helpers)
    assert_loopback_only(sockets)
    with urllib.request.urlopen(url, timeout=10) as page:
        assert page.status == 200
    time.sleep(0.5)
    assert run.proc.poll() is None  # still serving: it waits for Ctrl-C
    send(run, (signal.SIGINT,))
    assert run.finish() == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert_all_gone(helpers, {port for _, port in sockets}, run.marker)


@pytest.mark.parametrize("how", ["SIGTERM", "SIGHUP", "SIGKILL"])
def test_readme_viewer_example_leaves_nothing_behind(tmp_path, how):
    script = tmp_path / "viewer_example.py"
    script.write_text(_readme_viewer_example())
    run = Running([sys.executable, str(script)], cwd=tmp_path)
    run.wait_for("press Ctrl-C")
    helpers = descendants(run.proc.pid)
    sockets = listening(helpers)
    assert_loopback_only(sockets)
    send(run, SIGNALS[how])
    code = run.finish()
    assert code == (-signal.SIGKILL if how == "SIGKILL" else 0), run.stderr
    assert_all_gone(helpers, {port for _, port in sockets}, run.marker)


# -- scripts that end without closing their viewer ---------------------------------------------------------
_DRIVER = """
import sys, threading, time
import kinejac
from kinejac.viewer import Viewer
robot = kinejac.load("planar_2r")
if sys.argv[1] == "thread":  # the viewer is made in a worker thread that then ends
    made = []
    t = threading.Thread(target=lambda: made.append(Viewer(robot, quiet=True)))
    t.start(); t.join()
    viewer = made[0]
elif sys.argv[1] == "exception":
    viewer = Viewer(robot, quiet=True)
    print("ready", flush=True)
    time.sleep(1.0)
    raise RuntimeError("the script fails with the viewer open")
else:
    viewer = Viewer(robot, quiet=True)
if sys.argv[1] == "browser":
    from kinejac.viewer import HeadlessChromium, wait_for_scene
    browser = HeadlessChromium(320, 240)
    wait_for_scene(browser, viewer.url, 2)
    print("profile", browser._profile, flush=True)
print("ready", flush=True)
time.sleep(600)
"""


def _driver(tmp_path: Path, mode: str) -> Running:
    script = tmp_path / "driver.py"
    script.write_text(textwrap.dedent(_DRIVER))
    run = Running([sys.executable, str(script), mode], cwd=tmp_path)
    return run


def test_viewer_made_in_a_worker_thread_keeps_its_server_then_dies_with_the_process(tmp_path):
    run = _driver(tmp_path, "thread")
    run.wait_for("^ready")
    time.sleep(0.5)  # the thread that started the server has ended: the server must still run
    helpers = descendants(run.proc.pid)
    assert len(helpers) == 1 and all(alive(p) for p in helpers)
    sockets = listening(helpers)
    assert_loopback_only(sockets)
    send(run, (signal.SIGKILL,))
    run.finish()
    assert_all_gone(helpers, {port for _, port in sockets}, run.marker)


def test_an_exception_in_the_script_stops_the_server(tmp_path):
    run = _driver(tmp_path, "exception")
    run.wait_for("^ready")
    helpers = descendants(run.proc.pid)
    sockets = listening(helpers)
    assert run.finish(timeout=30) == 1
    assert "RuntimeError: the script fails" in run.stderr
    assert_all_gone(helpers, {port for _, port in sockets}, run.marker)


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM", "SIGINT"])
def test_browser_and_server_die_with_their_script(tmp_path, how):
    require_chromium()
    run = _driver(tmp_path, "browser")
    profile = Path(run.wait_for(r"^profile (\S+)").group(1))
    run.wait_for("^ready")
    helpers = descendants(run.proc.pid)
    names = [cmdline(p) for p in helpers]
    assert any("chromium" in n or "chrome" in n for n in names), names
    assert any("_lifeline.py" in n and " watch " in n for n in names), names
    sockets = listening(helpers)
    assert_loopback_only(sockets)  # meshcat's two ports and Chromium's DevTools port
    assert profile.is_dir()
    send(run, SIGNALS[how])
    run.finish()
    assert_all_gone(helpers, {port for _, port in sockets}, run.marker)
    deadline = time.monotonic() + GONE_WITHIN
    while profile.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not profile.exists(), "the browser profile was left behind"


# -- in this process ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def planar():
    return kinejac.load("planar_2r")


def test_close_is_interrupt_safe_and_idempotent(planar):
    v = Viewer(planar, quiet=True)
    server = v.server_process
    os.kill(server.pid, signal.SIGSTOP)  # a server slow to stop: close() waits for it, then kills it
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))  # Ctrl-C during close()
    timer.start()
    try:
        v.close()  # must neither raise KeyboardInterrupt nor leave the server behind
    finally:
        timer.cancel()
    assert v.closed and server.returncode is not None
    v.close()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored


def test_wait_returns_on_timeout_and_on_sigterm(planar, capsys):
    late = []
    ours = signal.signal(signal.SIGTERM, lambda *_: late.append(True))  # a late SIGTERM must not end pytest
    try:
        with Viewer(planar, quiet=True) as v:
            assert v.wait(timeout=0.2) is None
            assert f"viewer at {v.url}: press Ctrl-C to quit" in capsys.readouterr().err
            timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM))
            timer.start()
            assert v.wait(timeout=30) == "SIGTERM"
            with pytest.raises(InvalidValueError, match="timeout"):
                v.wait(timeout=-1)
        with pytest.raises(KinejacError, match="closed"):
            v.wait(timeout=0)
    finally:
        handler = signal.signal(signal.SIGTERM, ours)
    assert not late  # the signal went to wait(), which then put the test's handler back
    assert getattr(handler, "__name__", "") == "<lambda>"


def test_play_waits_for_the_animation(planar):
    traj = planar.random_configuration(3, size=6)
    with Viewer(planar, quiet=True) as v:
        start = time.monotonic()
        assert v.play(traj, dt=0.1, repetitions=2) == 6
        assert time.monotonic() - start >= 1.0  # (6 - 1) * 0.1 s * 2: it returned after the animation
        assert Viewer.animation_time(6, 0.1, 2) == pytest.approx(1.0)
        assert v.play(traj, dt=100.0, wait=False) == 6  # returns at once (else this test would hang)
        assert v.play(traj, dt=100.0, autoplay=False) == 6  # nothing plays, nothing to wait for


def test_host_argument(planar):
    with Viewer(planar, host="localhost", quiet=True) as v:
        sockets = listening({v.server_process.pid})
        assert_loopback_only(sockets)
        assert v.url.startswith("http://localhost:")
    with pytest.warns(UserWarning, match="not on a loopback address"):
        with pytest.raises(KinejacError, match="cannot listen"):
            Viewer(planar, host="192.0.2.1", quiet=True)
    with pytest.raises(InvalidValueError, match="zmq_url"):
        Viewer(planar, host="127.0.0.1", zmq_url="tcp://127.0.0.1:1")
    with pytest.raises(InvalidValueError, match="host"):
        Viewer(planar, host=" ")
