"""A regular (non-editable) install works, and says what to do when the source tree shadows it.

Builds the wheel, installs it into a temporary folder with ``pip install --target`` and imports
kinejac from there, as ``pip install .`` users do.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ["kinejac_test_robot", "panda", "planar_2r", "planar_3r", "ur5"]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """``(wheel, site)``: the built wheel (or the one ``KINEJAC_WHEEL`` names: CI builds it once from
    this tree) and the folder it is installed in."""
    tmp = tmp_path_factory.mktemp("wheel")
    given = os.environ.get("KINEJAC_WHEEL")
    if given:
        wheel = Path(given)
        assert wheel.is_file() and wheel.name.startswith("kinejac-"), f"KINEJAC_WHEEL={given!r} is not a kinejac wheel"
    else:
        build = subprocess.run(  # in an isolated build environment, as `pip install .` does
            [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp / "dist"), "."],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert build.returncode == 0, build.stderr
        (wheel,) = (tmp / "dist").glob("kinejac-*.whl")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(tmp / "site"), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    return wheel, tmp / "site"


# the test environment may hold an editable install of this repository (`pip install -e .`): its import
# hook would find what the regular install lacks, so the child process drops it first
_NO_EDITABLE = (
    "import sys; sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in getattr(f, '__module__', '')]\n"
)


def _python(code: str, cwd: Path, site: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site)}
    argv = [sys.executable, "-c", _NO_EDITABLE + code]
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_the_wheel_carries_the_robots_and_the_process_helpers(installed):
    wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"kinejac/robots/{name}.urdf" for name in BUNDLED} <= names
    assert "kinejac/viewer/_lifeline.py" in names and "kinejac/py.typed" in names
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    requires = [
        line.split(":", 1)[1].strip()
        for line in zipfile.ZipFile(wheel).read(metadata).decode().splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    ]
    assert any(r.startswith("matplotlib") for r in requires), requires  # the README's plot works after install


def test_the_wheel_carries_the_native_core_and_no_numba(installed):
    wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    assert any(n.startswith("kinejac/_core.") and n.endswith((".so", ".pyd")) for n in names), sorted(names)[:20]
    assert "kinejac/_core.pyi" in names
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    assert "numba" not in zipfile.ZipFile(wheel).read(metadata).decode()


def test_an_unbuilt_source_tree_that_shadows_the_install_says_so(installed):
    _, site = installed
    if any(p.suffix in (".so", ".pyd") for p in (ROOT / "kinejac").glob("_core.*")):
        pytest.skip("this source tree has a build of its own (an in-place build)")
    # from the repository root, the source tree's kinejac/ comes first on sys.path: it has no built core
    proc = _python("import kinejac", ROOT, site)
    assert proc.returncode != 0
    assert "kinejac's native core (kinejac._core) is missing from" in proc.stderr
    assert str(ROOT / "kinejac") in proc.stderr and "Run from another folder" in proc.stderr


def test_regular_install_alone_loads_a_bundled_robot(installed, tmp_path):
    _, site = installed
    code = "import kinejac; print(kinejac.__file__); print(kinejac.load('ur5').nq)"
    proc = _python(code, tmp_path, site)
    assert proc.returncode == 0, proc.stderr
    where, nq = proc.stdout.split()
    assert Path(where).is_relative_to(site) and nq == "6"
