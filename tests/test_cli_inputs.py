"""The command line fed malformed invocations: each exits 2 with one line, one ``kinejac: error:``
prefix and no traceback, before any long computation; every option has help text; ``doctor``
fails when collision geometry cannot be built; generated disabled pairs are announced and cached."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import kinejac
from kinejac._cli import pairs_cache
from kinejac._cli.parser import build_parser
from kinejac.cli import EXIT_NEGATIVE, EXIT_OK, EXIT_USAGE, main

IK = ["ik", "planar_2r", "--frame", "tool"]
MAP = ["reachability", "planar_2r", "--frame", "tool", "--orientations", "position", "--resolution", "0.5"]
WS = ["workspace", "planar_2r", "--frame", "tool", "--samples", "10"]


def _files(tmp: Path) -> dict[str, str]:
    """Broken input files, by name."""
    (tmp / "junk.stl").write_bytes(b"junk")
    files = {
        "junk_scene": '[{"type": "mesh", "name": "part", "path": "junk.stl"}]',
        "deep_scene": "[" * 100_000 + "]" * 100_000,
        "box_scene": '[{"type": "box", "name": "table", "size": [1, 1]}]',
        "not_json": "{",
    }
    out = {}
    for name, text in files.items():
        (tmp / f"{name}.json").write_text(text)
        out[name] = str(tmp / f"{name}.json")
    (tmp / "latin1.json").write_bytes('[{"type": "box", "name": "café", "size": [1, 1, 1]}]'.encode("latin-1"))
    out["latin1"] = str(tmp / "latin1.json")
    out["urdf_as_srdf"] = str(kinejac.load("panda").urdf_path)
    out["out"] = str(tmp / "out.npz")
    return out


# (argv with {file} placeholders, what the one line says)
MALFORMED: list[tuple[list[str], str]] = [
    (["reachability", "panda", "--frame", "panda_hand", "--resolution", "1e-6", "--out", "{out}"], "memory"),
    ([*MAP, "--slice", "z=abc", "--out", "{out}"], "--slice must be AXIS=VALUE"),
    ([*MAP, "--slice", "w", "--out", "{out}"], "--slice must be x, y or z"),
    ([*MAP, "--orientations", "1000000000", "--out", "{out}"], "fewer orientations"),
    ([*MAP, "--orientations", "some", "--out", "{out}"], "--orientations must be a positive integer or 'position'"),
    ([*MAP, "--resolution", "-1", "--out", "{out}"], "--resolution must be a number > 0"),
    ([*MAP, "--resolution", "nan", "--out", "{out}"], "'nan' is not a finite number"),
    ([*MAP, "--bounds", "0", "0", "0", "1", "1", "inf", "--out", "{out}"], "'inf' is not a finite number"),
    ([*MAP, "--bounds", "0", "0", "0", "1", "1", "--out", "{out}"], "--bounds: expected 6 arguments"),
    ([*MAP, "--chunk", "0", "--out", "{out}"], "--chunk must be a positive integer"),
    ([*MAP, "--seed", "-3", "--out", "{out}"], "--seed must be an integer >= 0"),
    ([*MAP, "--workers", "0", "--out", "{out}"], "--workers must be a positive integer"),
    ([*MAP, "--measure", "volume", "--out", "{out}"], "invalid choice: 'volume'"),
    ([*MAP, "--out", "/nonexistent/folder/m.npz"], "does not exist"),
    (["collisions", "panda", "--obstacles", "{junk_scene}"], "obstacle 0 (mesh 'part')"),
    (["collisions", "panda", "--obstacles", "{deep_scene}"], "nested too deeply"),
    (["collisions", "panda", "--obstacles", "{latin1}"], "not UTF-8"),
    (["collisions", "panda", "--obstacles", "{box_scene}"], "box_scene.json: obstacle 0 (box 'table')"),
    (["collisions", "panda", "--obstacles", "{not_json}"], "not valid JSON"),
    (["collisions", "panda", "--obstacles", "/nonexistent.json"], "--obstacles: file '/nonexistent.json'"),
    (["collisions", "panda", "--srdf", "{urdf_as_srdf}"], "this is a URDF"),
    (["collisions", "panda", "--q", "1", "2"], "takes 8 value(s)"),
    (["info", "panda", "--package-dir", "/nonexistent"], "--package-dir: folder"),
    (["info", "panda", "--lock", "panda_joint9"], "joint 'panda_joint9' not found"),
    (["info", "panda", "--root-joint", "wheels"], "invalid choice: 'wheels'"),
    ([*IK, "--xyz", "1", "2"], "--xyz: expected 3 arguments"),
    ([*IK, "--xyz", "1", "abc", "0"], "--xyz: 'abc' is not a number"),
    ([*IK, "--xyz", "1", "1e400", "0"], "'1e400' is not a finite number"),
    ([*IK, "--xyz", "1e300", "0", "0"], "beyond the"),
    ([*IK, "--xyz", "1", "1", "0", "--timeout", "0"], "--timeout must be a number > 0"),
    ([*IK, "--xyz", "1", "1", "0", "--max-restarts", "-1"], "--max-restarts must be an integer >= 0"),
    ([*IK, "--xyz", "1", "1", "0", "--max-restarts", "2.5"], "--max-restarts must be an integer >= 0"),
    ([*IK, "--xyz", "1", "1", "0", "--clearance", "-1"], "--clearance must be a number >= 0"),
    ([*IK, "--xyz", "1", "1", "0", "--method", "newton"], "unknown IK method 'newton'"),
    ([*IK, "--xyz", "1", "1", "0", "--q0", "a", "b"], "'a' is not a number"),
    ([*IK, "--rpy", "0", "0"], "--rpy: expected 3 arguments"),
    ([*IK, "--quat", "0", "0", "0", "0"], "unit quaternion"),
    ([*IK, "--xyz", "1", "1", "0", "--seed", "x"], "--seed must be an integer >= 0"),
    ([*WS, "--samples", "0", "--out", "{out}"], "--samples must be a positive integer"),
    ([*WS, "--samples", "100000000000", "--out", "{out}"], "memory"),
    ([*WS, "--plane", "xw", "--out", "{out}"], "invalid choice: 'xw'"),
    ([*WS, "--out", "{out}", "--scheduler", "tcp://127.0.0.1:9", "--workers", "2"], "not both"),
    (["srdf", "panda", "--samples", "100000000000", "--out", "{out}"], "memory"),
    (["srdf", "panda", "--samples", "-5", "--out", "{out}"], "--samples must be a positive integer"),
    (["manip", "planar_2r", "--frame", "tool", "--length-scale", "0"], "--length-scale must be a number > 0"),
    (["manip", "planar_2r", "--frame", "tool", "--part", "all"], "invalid choice: 'all'"),
    (["jacobian", "planar_2r", "--frame", "tool", "--reference", "body"], "invalid choice: 'body'"),
    (["jacobian", "planar_2r"], "required: --frame"),
    (["doctor", "planar_2r", "--samples", "0"], "--samples must be a positive integer"),
    (["doctor", "planar_2r", "--tol", "-1"], "--tol must be a number >= 0"),
    (["view", "planar_2r", "--target", "1", "2", "--no-wait"], "3 or 6 numbers"),
    (["view", "planar_2r", "--target", "1", "2", "nan", "--no-wait"], "not a finite number"),
    (["view", "planar_2r", "--ellipsoid-scale", "-1", "--no-wait"], "--ellipsoid-scale must be a number > 0"),
    (["fk", "planar_2r", "--frame", "tol"], "did you mean 'tool'"),
    (["fk", "planar_2r", "--q", "joint1=1", "joint1=2"], "given twice"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["info"], "required: ROBOT"),
]


@pytest.mark.parametrize(("argv", "says"), MALFORMED, ids=[" ".join(a[:1] + a[-2:]) for a, _ in MALFORMED])
def test_a_malformed_invocation_exits_2_with_one_line(capsys, tmp_path, argv, says):
    files = _files(tmp_path)
    argv = [a.format(**files) for a in argv]
    code = main(argv)
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == EXIT_USAGE, err
    assert len(lines) == 1 and lines[0].startswith("kinejac: error: "), err
    assert lines[0].count("kinejac: error:") == 1 and "kinejac ik:" not in lines[0]
    assert says in lines[0], lines[0]
    assert "Traceback" not in err + out
    assert not (tmp_path / "out.npz").exists()  # nothing was computed and saved


def test_malformed_invocations_as_a_user_runs_them(tmp_path):
    """The same through the interpreter (``python -m kinejac``): exit 2, one line, no traceback."""
    files = _files(tmp_path)
    env = {**os.environ, "PYTHONWARNINGS": "error"}  # a warning would be a second line
    for argv, says in [MALFORMED[0], MALFORMED[1], MALFORMED[15], MALFORMED[16], MALFORMED[25]]:
        argv = [a.format(**files) for a in argv]
        done = subprocess.run([sys.executable, "-m", "kinejac", *argv], capture_output=True, text=True, env=env,
                              timeout=300)  # fmt: skip
        assert done.returncode == EXIT_USAGE, done.stderr
        assert done.stderr.count("\n") == 1 and says in done.stderr and "Traceback" not in done.stderr


def test_an_unforeseen_error_is_one_line_and_exit_70(capsys, monkeypatch):
    from kinejac import cli

    def broken(args):
        raise ZeroDivisionError("a bug")

    monkeypatch.setitem(cli.COMMANDS, "info", broken)
    code = main(["info", "planar_2r"])
    _, err = capsys.readouterr()
    assert code == 70 and err.count("\n") == 1 and "internal error" in err and "ZeroDivisionError: a bug" in err
    monkeypatch.setenv("KINEJAC_TRACEBACK", "1")
    with pytest.raises(ZeroDivisionError):
        main(["info", "planar_2r"])


def _actions(parser: argparse.ArgumentParser, where: str = "kinejac"):
    for action in parser._actions:  # argparse keeps them there: there is no public list
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _actions(sub, f"{where} {name}")
        elif not isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            yield where, action


def test_every_option_has_help_text():
    missing = [f"{where} {'/'.join(a.option_strings) or a.dest}" for where, a in _actions(build_parser()) if not a.help]
    assert missing == []
    frames = [(where, a.help) for where, a in _actions(build_parser()) if "--frame" in a.option_strings]
    assert len(frames) == 8 and all(help for _, help in frames)


def test_the_parser_lists_every_measure():
    from kinejac._cli.parser import _MEASURES

    assert tuple(_MEASURES) == tuple(kinejac.MEASURES)


def _package_layout(tmp_path: Path) -> tuple[Path, Path]:
    """A ROS-like workspace ``ws/src/mypkg/{urdf,meshes}`` whose URDF names its meshes by package://."""
    src = tmp_path / "ws" / "src"
    (src / "mypkg" / "urdf").mkdir(parents=True)
    (src / "mypkg" / "meshes").mkdir()
    cube = "".join(f"v {x} {y} {z}\n" for x in (0, 0.1) for y in (0, 0.1) for z in (0, 0.1))
    faces = ["1 2 3", "2 4 3", "5 7 6", "6 7 8", "1 5 2", "2 5 6", "3 4 7", "4 8 7", "1 3 5", "3 7 5", "2 6 4", "4 6 8"]
    cube += "".join(f"f {f}\n" for f in faces)
    (src / "mypkg" / "meshes" / "cube.obj").write_text(cube)
    text = kinejac.load("planar_2r").urdf_path.read_text()
    mesh = '<collision><geometry><mesh filename="package://mypkg/meshes/cube.obj"/></geometry></collision>'
    text = text.replace("</link>", mesh + "</link>", 1)
    urdf = src / "mypkg" / "urdf" / "arm.urdf"
    urdf.write_text(text)
    return urdf, src


def test_doctor_fails_when_collision_geometry_cannot_be_built_and_names_the_folder(capsys, tmp_path):
    urdf, src = _package_layout(tmp_path)
    code = main(["doctor", str(urdf), "--json"])  # inside its package: found by walking up, as ROS tools do
    data = json.loads(capsys.readouterr().out)
    assert code == EXIT_OK and data["ok"] is True
    assert not [f for f in data["findings"] if f["code"] == "collision_geometry"]
    (tmp_path / "elsewhere").mkdir()
    moved = tmp_path / "elsewhere" / "arm.urdf"
    shutil.copy(urdf, moved)  # no package folder above it: collision checks are impossible
    code = main(["doctor", str(moved), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == EXIT_NEGATIVE and data["ok"] is False and data["derivative_check"]["ok"] is True
    (finding,) = [f for f in data["findings"] if f["code"] == "collision_geometry"]
    assert finding["severity"] == "error" and finding["subject"] == "package://mypkg/meshes/cube.obj"
    assert "collision checks and collision-aware IK are impossible" in finding["message"]
    assert "pass --package-dir DIR, where DIR/mypkg/meshes/cube.obj exists" in finding["message"]
    code = main(["doctor", str(moved)])
    out = capsys.readouterr().out
    assert code == EXIT_NEGATIVE and "1 error(s) in the URDF" in out.splitlines()[-1]
    code = main(["doctor", str(moved), "--package-dir", str(src), "--json"])  # as told: fixed
    data = json.loads(capsys.readouterr().out)
    assert code == EXIT_OK and data["ok"] is True
    assert not [f for f in data["findings"] if f["code"] == "collision_geometry"]


def test_generated_pairs_are_announced_then_cached(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("KINEJAC_CACHE_DIR", str(tmp_path / "cache"))
    argv = ["collisions", "panda", "--q", "panda_joint2=1.7", "panda_joint4=-3.0", "panda_joint6=3.7", "--json"]
    assert main(argv) == EXIT_NEGATIVE  # the README's colliding configuration
    out, err = capsys.readouterr()
    first = json.loads(out)
    assert "generating the disabled collision pairs of 'panda'" in err and str(tmp_path / "cache") in err
    (cached,) = (tmp_path / "cache" / "disabled_pairs").glob("panda-*.srdf")
    robot = kinejac.load("panda")
    assert kinejac.collision.read_srdf(robot, cached) == robot.disabled_pairs  # the generated ones, as they are
    calls = []
    monkeypatch.setattr(pairs_cache, "generate_disabled_pairs", lambda *a, **k: calls.append(a))
    assert main(argv) == EXIT_NEGATIVE
    out, err = capsys.readouterr()
    assert calls == [] and "generating" not in err and json.loads(out) == first  # read back, same answer
    cached.write_text("<robot><disable_collisions link1='nolink' link2='panda_link0'/></robot>")  # damaged
    monkeypatch.undo()
    monkeypatch.setenv("KINEJAC_CACHE_DIR", str(tmp_path / "cache"))
    assert main(argv) == EXIT_NEGATIVE
    out, err = capsys.readouterr()
    assert "ignoring the cached disabled pairs" in err and "generating" in err and json.loads(out) == first
    monkeypatch.setenv("KINEJAC_CACHE_DIR", "")  # turned off
    assert main(argv) == EXIT_NEGATIVE
    assert "kept in" not in capsys.readouterr().err


def test_the_viewer_url_is_printed_once(capsys):
    pytest.importorskip("meshcat")
    code = main(["view", "planar_2r", "--no-wait"])
    out, err = capsys.readouterr()
    assert code == EXIT_OK and (out + err).count("http://") == 1
