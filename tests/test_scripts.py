"""The example scripts in ``scripts/`` run headless (no browser) and print correct results."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import kinejac

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
_FLOAT = r"[-+]?\d+(?:\.\d*)?(?:e[-+]?\d+)?"


def run_script(name: str, *args: str, cwd: Path | None = None) -> str:
    proc = subprocess.run(
        [sys.executable, str(SCRIPTS / name), *args], capture_output=True, text=True, timeout=120, cwd=cwd
    )
    assert proc.returncode == 0, f"{name} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr
    return proc.stdout


def floats_after(text: str, label: str) -> list[float]:
    """Every number that follows ``label`` on the lines containing it."""
    return [float(m) for m in re.findall(re.escape(label) + r"\s*(" + _FLOAT + ")", text)]


@pytest.mark.parametrize(
    "name",
    ["quickstart.py", "demo_ik.py", "track_circle.py", "draw_line.py", "manipulability_map.py", "multi_frame_ik.py"],
)
def test_example_scripts_say_what_they_show(name):
    source = (SCRIPTS / name).read_text()
    assert source.startswith('"""') and "Run: ``python scripts/" + name in source


def test_quickstart():
    out = run_script("quickstart.py")
    assert "success=True" in out
    (position_error,) = floats_after(out, "position error")
    (rotation_error,) = floats_after(out, "rotation error")
    assert position_error < 1e-5 and rotation_error < 1e-5
    reached = re.search(r"reached position \[m\]: \[(.*)\]", out).group(1).split()
    assert [float(x) for x in reached] == pytest.approx([0.4, 0.0, 0.5], abs=1e-5)
    assert len(re.findall(r"panda_joint\d\s+[-+]\d\.\d{4} rad", out)) == 7


def test_demo_ik_headless():
    out = run_script("demo_ik.py", "--headless")
    rows = [line.split() for line in out.splitlines() if re.match(r"\s+\d\s+(yes|no)\s", line)]
    assert [row[0] for row in rows] == ["0", "1", "2", "3"]
    assert all(row[1] == "yes" and float(row[2]) < 1e-5 and float(row[3]) < 1e-5 for row in rows)
    assert "kinejac viewer: http://" in out and int(floats_after(out, "animating")[0]) >= 5


def test_track_circle_headless():
    out = run_script("track_circle.py", "--headless")
    (worst,) = floats_after(out, "max tracking error")
    (rms,) = floats_after(out, "rms tracking error")
    assert 0 < rms <= worst < 1e-4  # [m] on a 10 cm circle at 16 cm/s, 1 kHz
    assert "limit violations: position 0, velocity 0" in out
    assert "joint limits respected: True" in out


def test_track_circle_with_acceleration_limits():
    out = run_script("track_circle.py", "--headless", "--laps", "0.5", "--acceleration-limit", "10")
    assert "limit violations: position 0, velocity 0, acceleration 0" in out
    (rms,) = floats_after(out, "rms tracking error")
    assert rms < 1e-3  # the start from rest lags behind the moving target, then catches up


def test_draw_line_headless():
    out = run_script("draw_line.py", "--headless")
    naive = re.search(r"naive IK: jumps above 0\.1 rad: (\d+), largest joint step (" + _FLOAT + ")", out)
    assert int(naive.group(1)) >= 1 and float(naive.group(2)) > 1.0  # the naive solutions flip branches
    (fraction,) = floats_after(out, "solve_ik_path: fraction")
    (largest,) = floats_after(out, "largest joint step")[1:]
    (error,) = floats_after(out, "largest waypoint error")
    assert fraction == 1.0 and largest < 0.1 and error < 1e-5
    assert "kinejac viewer: http://" in out and "the naive motion, then the followed one" in out


def test_manipulability_map_headless(tmp_path):
    png = tmp_path / "map.png"
    out = run_script("manipulability_map.py", "--headless", "--samples", "2000", "--robot", "ur5", "--out", str(png))
    assert "samples=2000" in out
    rows = [line.split() for line in out.splitlines() if re.match(r"\s+\d+\.\d+ \.\.", line)]
    assert sum(int(row[3]) for row in rows) == 2000  # every sample falls in one distance bin
    medians = [float(row[4]) for row in rows]
    assert max(medians) > 3 * medians[0]  # dexterity grows away from the base axis
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_multi_frame_ik_branching():
    out = run_script("multi_frame_ik.py", "--headless")
    errors = dict(re.findall(r"^\s+(\w+)\s+position error (" + _FLOAT + ") m", out, flags=re.M))
    assert set(errors) == {"left_tool", "right_tool"}
    assert all(float(e) < 1e-5 for e in errors.values())


@pytest.mark.skipif(
    "erd:talos_reduced" not in kinejac.available_robots(), reason="example-robot-data's TALOS is not installed"
)
def test_multi_frame_ik_humanoid():
    out = run_script("multi_frame_ik.py", "--headless", "--humanoid")
    errors = dict(re.findall(r"^\s+(\w+)\s+position error (" + _FLOAT + ") m", out, flags=re.M))
    assert set(errors) == {"left_sole_link", "right_sole_link", "gripper_left_base_link"}
    assert all(float(e) < 1e-5 for e in errors.values())


@pytest.mark.skipif("erd:panda" not in kinejac.available_robots(), reason="example-robot-data is not installed")
def test_bench_collisions_quick():
    out = run_script("bench_collisions.py", "--targets", "40", "--scenes", "shelf")
    assert "[shelf] 40 collision-free targets (1 cm free, tool in the region)" in out
    rows = {
        line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:]]
        for line in out.splitlines()
        if line.startswith("| kinejac") or line.startswith("| rejection")
    }
    plain = rows["kinejac `solve_ik`, no collision handling"]
    assert int(plain[0]) == 40 and int(plain[3]) >= 5  # the shelf is cluttered: plain answers collide
    for name in ("rejection loop, pinocchio + coal check", "rejection loop, kinejac `CollisionChecker`"):
        rejection = rows[name]
        assert int(rejection[0]) == 40
        assert int(rejection[2]) == 0  # the loop never marks a colliding answer successful
    aware = rows["kinejac collision-aware `solve_ik`"]
    assert int(aware[0]) == 40
    assert int(aware[2]) == 0  # never marked successful in collision (the independent check agrees)
    assert float(aware[1].rstrip(" %")) >= 95.0
    ratio = re.search(r"vs the pinocchio \+ coal check: \*\*(" + _FLOAT + r")x\*\* faster", out)
    assert ratio, out
    assert re.search(r"Exact check of one configuration .* (\d+) disagreements", out).group(1) == "0"
    # the ratio is the rejection loop's mean time over the collision-aware one, as printed (3 decimals)
    coal_loop = rows["rejection loop, pinocchio + coal check"]
    assert float(ratio.group(1)) == pytest.approx(float(coal_loop[4]) / float(aware[4]), rel=0.02, abs=0.01)
    assert re.search(r"goal >= 3x (met|\*\*not met\*\*)\.", out)
    assert "wrote" not in out  # prints only, without --write


def test_quickstart_help_helps_instead_of_running():
    out = run_script("quickstart.py", "--help")
    assert out.startswith("usage: quickstart.py") and "Franka Panda" in out
    assert "IKResult" not in out and "position error" not in out  # nothing was solved


@pytest.mark.parametrize("name", ["bench_jacobian.py", "bench_manipulability.py"])
def test_benchmarks_print_and_write_benchmarks_md_only_when_asked(name, tmp_path):
    benchmarks = SCRIPTS.parent / "BENCHMARKS.md"
    before = hashlib.sha256(benchmarks.read_bytes()).hexdigest()
    out = run_script(name, "--batch", "20", cwd=tmp_path)
    assert "single" in out and "wrote" not in out
    assert hashlib.sha256(benchmarks.read_bytes()).hexdigest() == before  # a tracked file, left alone
    help_text = run_script(name, "--help")
    assert "--write" in help_text and "BENCHMARKS.md" in " ".join(help_text.split())


def test_screenshot_writes_to_the_current_folder_not_the_tracked_picture(tmp_path):
    from browser import png_to_array, require_chromium

    require_chromium()
    tracked = SCRIPTS.parent / "docs" / "viewer.png"
    before = hashlib.sha256(tracked.read_bytes()).hexdigest()
    out = run_script("screenshot.py", "--robot", "ur5", "--width", "200", "--height", "150", cwd=tmp_path)
    assert f"wrote {Path('viewer.png')}" in out
    assert png_to_array((tmp_path / "viewer.png").read_bytes()).shape == (150, 200, 3)
    assert hashlib.sha256(tracked.read_bytes()).hexdigest() == before
    assert "--out" in run_script("screenshot.py", "--help")
