"""Install and start-up benchmark -> the ``install`` section of BENCHMARKS.md.

What a newcomer meets, measured in brand-new virtual environments on this machine:

1. ``pip install <repository>`` into a fresh venv (wall time; the dependencies come from pip's cache
   when this machine has installed them before, so the figure is the install and the build, not
   the downloads), and the build of the native core alone (``pip wheel --no-deps``: scikit-build-core
   and nanobind in an isolated build environment, CMake and the compiler);
2. right after it, the first ``python scripts/quickstart.py`` in that venv, and a fresh
   ``python -c "import kinejac; load; solve_ik"`` (first run and best of 5);
3. a second fresh venv installing the built wheel: no compiler needed (``PATH`` without one), and
   the quickstart run from it.

Goals (issue 20): install ≤ 120 s; the first quickstart ≤ 2 s; import + load + one solve ≤ 0.5 s.

Run: ``python scripts/bench_install.py`` (prints), ``--write`` (writes BENCHMARKS.md). Takes a few
minutes (two venvs, one build, one wheel).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _bench import write_section

ROOT = Path(__file__).resolve().parent.parent
_SOLVE = (
    "import kinejac; robot = kinejac.load('panda', locked_joints=['panda_finger_joint1']); "
    "T = kinejac.pose(robot, robot.random_configuration(0), 'panda_hand_tcp'); "
    "assert kinejac.solve_ik(robot, T, 'panda_hand_tcp').success"
)


def timed(argv: list[str], **kwargs) -> float:
    """Wall time [s] of a command that must succeed (its output is kept for the error)."""
    t0 = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return time.perf_counter() - t0


def venv(folder: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    python = folder / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True, capture_output=True)
    return python


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="write the install section of BENCHMARKS.md")
    args = ap.parse_args(argv)
    elsewhere = tempfile.gettempdir()  # run from outside the repository: the install, not the source tree
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        python = venv(tmp_path / "fresh")
        install = timed([str(python), "-m", "pip", "install", "-q", str(ROOT)], cwd=elsewhere)
        print(f"pip install: {install:.1f} s", flush=True)
        quickstart = timed([str(python), str(ROOT / "scripts" / "quickstart.py")], cwd=elsewhere)
        print(f"first quickstart: {quickstart:.2f} s", flush=True)
        solves = [timed([str(python), "-c", _SOLVE], cwd=elsewhere) for _ in range(6)]
        print(f"import + load + solve: first {solves[0]:.2f} s, best {min(solves[1:]):.2f} s", flush=True)
        build = timed([str(python), "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"), str(ROOT)],
                      cwd=elsewhere)  # fmt: skip
        (wheel,) = (tmp_path / "dist").glob("kinejac-*.whl")
        wheel_kb = wheel.stat().st_size / 1e3
        print(f"wheel build (the native core alone): {build:.1f} s, {wheel_kb:.0f} kB", flush=True)
        clean = venv(tmp_path / "from-wheel")
        wheel_install = timed([str(clean), "-m", "pip", "install", "-q", str(wheel)], cwd=elsewhere)
        no_compiler = {**os.environ, "PATH": "/nonexistent"}
        wheel_quickstart = timed([str(clean), str(ROOT / "scripts" / "quickstart.py")], cwd=elsewhere, env=no_compiler)
        print(f"wheel: install {wheel_install:.1f} s, quickstart {wheel_quickstart:.2f} s (no compiler on PATH)")
    text = "\n".join(
        [
            "## Install and start-up (`scripts/bench_install.py`)",
            "",
            f"Fresh virtual environments on this machine (Python {platform.python_version()}, {platform.machine()}, "
            f"{os.cpu_count()} cores; dependencies from pip's cache, so these are install and build times, not "
            "download times). Nothing is compiled when kinejac runs and nothing is written into the installed "
            "package: the first use costs what every use costs.",
            "",
            "| step | wall time | goal |",
            "|---|---|---|",
            f"| `pip install .` into a fresh venv (builds the native core) | {install:.1f} s | ≤ 120 s: "
            f"{verdict(install <= 120)} |",
            f"| the native core's build alone (`pip wheel --no-deps .`, isolated build environment) | {build:.1f} s "
            f"| reported |",
            f"| the first `python scripts/quickstart.py` right after | {quickstart:.2f} s | ≤ 2 s: "
            f"{verdict(quickstart <= 2)} |",
            f"| a fresh `python -c \"import kinejac; load; solve_ik\"` (first run; best of 5) | {solves[0]:.2f} s; "
            f"{min(solves[1:]):.2f} s | ≤ 0.5 s: {verdict(solves[0] <= 0.5)} |",
            f"| the wheel ({wheel_kb:.0f} kB) into a clean venv, then the quickstart with no "
            f"compiler on `PATH` | {wheel_install:.1f} s, {wheel_quickstart:.2f} s | runs without building |",
        ]
    )
    print()
    print(text)
    if args.write:
        write_section("install", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
