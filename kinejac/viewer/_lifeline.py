"""Tie helper processes to the life of the Python process that started them.

The viewer starts a meshcat server and, for pictures, headless Chromium. Neither may outlive its
parent, however the parent ends: ``close()``, an exception, Ctrl-C, SIGTERM, SIGHUP, or SIGKILL
(where nothing in the parent runs). Two mechanisms, both in the child side:

- ``prctl(PR_SET_PDEATHSIG)`` (Linux): the kernel signals the child when the thread that started
  it ends. Used only when that thread is the parent's main thread, so a viewer made in a worker
  thread does not lose its server when the thread returns.
- polling: the child compares ``os.getppid()`` with the parent's pid a few times a second
  (portable; also covers the start-up race and worker threads).

This file is run by path (``python -u _lifeline.py COMMAND ...``), so it imports nothing from
kinejac and starts in a few milliseconds:

- ``meshcat --parent PID [--host H]``: meshcat's server, watching its parent. meshcat 0.3.2's own
  ``meshcat.servers.zmqserver`` binds its zmq port to 127.0.0.1 but calls tornado's
  ``Application.listen(port)`` without an address, so its web port listens on every interface
  (``0.0.0.0`` and ``[::]``). Here the zmq port (drawing commands, no authentication) is always on
  127.0.0.1 and the web port (the page and its websocket) on ``--host`` (default 127.0.0.1).
  Prints ``zmq_url=...`` and ``web_url=...`` like meshcat's server (or ``error=...`` and exits).
- ``watch --parent PID --group PGID [--remove DIR]``: a watchdog for a process that cannot watch
  its parent itself (Chromium): when the parent ends it stops the whole process group and deletes
  the folder (the browser profile); it exits by itself once the group is gone.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import ipaddress
import os
import shutil
import signal
import sys
import threading
import time

__all__ = [
    "POLL_INTERVAL",
    "group_alive",
    "in_main_thread",
    "is_loopback",
    "main",
    "parent_alive",
    "set_parent_death_signal",
    "stop_group",
    "url_host",
]

ZMQ_HOST = "127.0.0.1"  #: the zmq port never leaves loopback

POLL_INTERVAL = 0.1  #: [s] between two looks at the parent
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def in_main_thread() -> bool:
    """Whether the caller runs in the main thread (then ``PR_SET_PDEATHSIG`` is safe for its children)."""
    return threading.current_thread() is threading.main_thread()


def set_parent_death_signal(sig: int = signal.SIGTERM) -> bool:
    """Ask Linux to send ``sig`` to this process when its parent (thread) ends; ``False`` elsewhere."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0


def parent_alive(parent_pid: int) -> bool:
    """Whether the process that started this one still runs (an orphan is re-parented)."""
    return os.getppid() == parent_pid


def _group_members(pgid: int) -> list[int]:
    """Pids in process group ``pgid`` other than this process, zombies excluded (Linux ``/proc``)."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != b"Z":
            members.append(int(entry))
    return members


def group_alive(pgid: int) -> bool:
    """Whether any live process is in process group ``pgid``."""
    if os.path.isdir("/proc"):
        return bool(_group_members(pgid))
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_group(pgid: int, grace: float = 1.0) -> None:
    """SIGTERM to every process of group ``pgid``, SIGKILL to those left after ``grace`` seconds (the
    group is a headless browser on a temporary profile: nothing to save, so a loaded machine's slow
    shutdown is cut short rather than waited for)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if not group_alive(pgid):
                return
            time.sleep(0.05)


def is_loopback(host: str) -> bool:
    """Whether every address ``host`` (an IP address or a name) stands for is a loopback address."""
    import socket

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror:
        return False
    return bool(infos) and all(ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos)


def url_host(host: str) -> str:
    """The host part of a URL for a server bound to ``host`` (a wildcard becomes the loopback address)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.is_unspecified:
        address = ipaddress.ip_address("::1" if address.version == 6 else "127.0.0.1")
    return f"[{address}]" if address.version == 6 else str(address)


# -- the two commands ----------------------------------------------------------------------------
def _serve_meshcat(parent: int, host: str) -> int:
    import tornado.ioloop
    import tornado.netutil
    import tornado.web

    try:  # an address this machine does not have, or a name that does not resolve: say so at once
        for sock in tornado.netutil.bind_sockets(0, address=host):
            sock.close()
    except OSError as exc:
        print(f"error=cannot listen on {host!r}: {exc.strerror or exc}", flush=True)
        return 2
    from meshcat.servers import zmqserver

    class _Application(tornado.web.Application):
        def listen(self, port: int, address: str | None = None, **kwargs):  # meshcat passes no address
            return super().listen(port, address=host, **kwargs)

    class _Bridge(zmqserver.ZMQWebSocketBridge):
        def make_app(self) -> tornado.web.Application:  # meshcat's two routes, on our application
            static = {"path": zmqserver.VIEWER_ROOT, "default_filename": zmqserver.VIEWER_HTML}
            return _Application(
                [
                    (r"/static/(.*)", zmqserver.StaticFileHandlerNoCache, static),
                    (r"/", zmqserver.WebSocketHandler, {"bridge": self}),
                ]
            )

    bridge = _Bridge(host=ZMQ_HOST)
    bridge.web_url = f"http://{url_host(host)}:{bridge.fileserver_port}/static/"
    print(f"zmq_url={bridge.zmq_url}", flush=True)
    print(f"web_url={bridge.web_url}", flush=True)
    loop = tornado.ioloop.IOLoop.current()

    def watch() -> None:
        if not parent_alive(parent):
            loop.stop()

    tornado.ioloop.PeriodicCallback(watch, POLL_INTERVAL * 1000).start()
    try:
        loop.start()
    except KeyboardInterrupt:
        pass
    return 0


def _watch(parent: int, group: int, remove: str | None) -> int:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.is_set() and parent_alive(parent) and group_alive(group):
        stop.wait(POLL_INTERVAL)
    # the parent ended, or a signal came: PR_SET_PDEATHSIG's comes before the orphan is re-parented,
    # so getppid() may still name the parent; close() has stopped the group already (then a no-op)
    stop_group(group)
    if remove and not group_alive(group):
        shutil.rmtree(remove, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """``meshcat`` or ``watch`` (see the module docstring); both end when process ``--parent`` ends."""
    parser = argparse.ArgumentParser(prog="_lifeline.py", description=main.__doc__)
    parser.add_argument("--pdeathsig", action="store_true", help="also use PR_SET_PDEATHSIG (Linux)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("meshcat", help="serve meshcat")
    p.add_argument("--parent", type=int, required=True, help="pid of the process the server belongs to")
    p.add_argument("--host", default="127.0.0.1", help="address of the web port (default 127.0.0.1)")
    p = sub.add_parser("watch", help="stop a process group when the parent ends")
    p.add_argument("--parent", type=int, required=True, help="pid of the process the group belongs to")
    p.add_argument("--group", type=int, required=True, help="the process group to stop")
    p.add_argument("--remove", help="a folder to delete afterwards (a browser profile)")
    args = parser.parse_args(argv)
    if args.pdeathsig:
        set_parent_death_signal(signal.SIGTERM)
    if not parent_alive(args.parent):  # it ended before the watch was set up
        if args.command == "watch":
            stop_group(args.group)
        return 0
    if args.command == "meshcat":
        return _serve_meshcat(args.parent, args.host)
    return _watch(args.parent, args.group, args.remove)


if __name__ == "__main__":
    raise SystemExit(main())
