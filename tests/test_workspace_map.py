"""Workspace sampling: values against the per-configuration functions, persistence, interruption,
progress bar and pictures."""

from __future__ import annotations

import importlib
import math
import sys

import numpy as np
import pytest
from conftest import get_robot

import kinejac
from kinejac.analysis import Workspace, manipulability, workspace
from kinejac.errors import InvalidChoiceError, InvalidValueError, KinejacError

# the module, not the function of the same name that kinejac/__init__.py may re-export
ws_module = importlib.import_module("kinejac.analysis.workspace_map")


def test_planar_2r_workspace_is_an_annulus_with_closed_form_manipulability():
    robot, frame = get_robot("planar_2r")
    ws = workspace(robot, frame, samples=2_000, rng=0, part="translation", chunk=700)
    assert len(ws) == 2_000 and ws.complete and ws.requested == 2_000
    r = np.linalg.norm(ws.positions[:, :2], axis=1)
    assert r.min() >= 1.0 - 0.8 - 1e-12 and r.max() <= 1.0 + 0.8 + 1e-12
    np.testing.assert_allclose(ws.positions[:, 2], 0.0, atol=1e-12)
    np.testing.assert_allclose(ws.manipulability, 0.8 * np.abs(np.sin(ws.configurations[:, 1])), atol=1e-12)
    # the most dexterous samples have the elbow near ±90°
    assert np.all(np.abs(np.abs(np.sin(ws.configurations[ws.best(10), 1])) - 1) < 0.01)


@pytest.mark.parametrize("case, measure", [("ur5", "yoshikawa"), ("panda", "condition"), ("test_mimic", "dynamic")])
def test_samples_match_pose_and_manipulability(case, measure):
    robot, frame = get_robot(case)
    ws = workspace(robot, frame, samples=300, rng=1, measure=measure, chunk=128)
    assert ws.configurations.shape == (300, robot.nq) and ws.positions.shape == (300, 3)
    assert robot.within_limits(ws.configurations).all()
    np.testing.assert_allclose(ws.positions, kinejac.pose(robot, ws.configurations, frame)[:, :3, 3], atol=1e-12)
    np.testing.assert_allclose(
        ws.manipulability, manipulability(robot, ws.configurations, frame, measure=measure), rtol=1e-10, atol=1e-15
    )
    assert ws.measure == measure and ws.frame == frame and ws.robot == robot.name


def test_same_seed_same_samples():
    robot, frame = get_robot("ur5")
    a = workspace(robot, frame, samples=500, rng=7, chunk=200)
    b = workspace(robot, frame, samples=500, rng=np.random.default_rng(7), chunk=200)
    np.testing.assert_array_equal(a.configurations, b.configurations)
    np.testing.assert_array_equal(a.manipulability, b.manipulability)


def test_save_load_round_trip(tmp_path):
    robot, frame = get_robot("ur5")
    ws = workspace(robot, frame, samples=200, rng=2, part="translation")
    path = ws.save(tmp_path / "ur5_ws")
    assert path.suffix == ".npz" and path.exists()
    back = Workspace.load(path)
    for name in ("positions", "manipulability", "configurations"):
        np.testing.assert_array_equal(getattr(back, name), getattr(ws, name))
    assert (back.robot, back.frame, back.measure, back.part, back.requested, back.complete) == (
        "ur5",
        frame,
        "yoshikawa",
        "translation",
        200,
        True,
    )
    bad = tmp_path / "bad.npz"
    np.savez(bad, x=np.zeros(3))
    with pytest.raises(KinejacError, match="not a kinejac workspace"):
        Workspace.load(bad)
    with pytest.raises(FileNotFoundError):
        Workspace.load(tmp_path / "missing.npz")


def test_keyboard_interrupt_returns_partial_workspace(monkeypatch):
    robot, frame = get_robot("ur5")
    calls = {"n": 0}
    real_chunk = ws_module._chunk

    def interrupted(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real_chunk(*args, **kwargs)

    monkeypatch.setattr(ws_module, "_chunk", interrupted)
    with pytest.warns(RuntimeWarning, match="interrupted: returning the 200 of 1000"):
        ws = workspace(robot, frame, samples=1_000, rng=3, chunk=100, progress=False, workers=1)
    assert not ws.complete and len(ws) == 200 and ws.requested == 1_000
    assert "interrupted after 200 of 1000" in repr(ws)
    np.testing.assert_allclose(ws.manipulability, manipulability(robot, ws.configurations, frame), rtol=1e-12)


def test_progress_bar_on_stderr_only_when_asked(capsys):
    robot, frame = get_robot("planar_2r")
    workspace(robot, frame, samples=300, rng=0, chunk=100, progress=True)
    err = capsys.readouterr().err
    assert "300/300" in err and "100.0%" in err
    workspace(robot, frame, samples=300, rng=0, chunk=100, progress=False)
    workspace(robot, frame, samples=300, rng=0, chunk=100)  # stderr is not a terminal under pytest
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("mode, plane", [("projection", "xy"), ("slice", "xz")])
def test_plot_png(tmp_path, mode, plane):
    pytest.importorskip("matplotlib")
    robot, frame = get_robot("ur5")
    ws = workspace(robot, frame, samples=500, rng=4)
    path = ws.plot_png(tmp_path / "ws.png", mode=mode, plane=plane, thickness=0.2)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000


def test_plot_png_without_matplotlib_says_how_to_install(tmp_path, monkeypatch):
    robot, frame = get_robot("planar_2r")
    ws = workspace(robot, frame, samples=10, rng=0)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    with pytest.raises(KinejacError, match=r"needs matplotlib.*pip install matplotlib"):
        ws.plot_png(tmp_path / "x.png")


def test_invalid_arguments():
    robot, frame = get_robot("planar_2r")
    with pytest.raises(InvalidChoiceError, match="yoshikawa"):
        workspace(robot, frame, samples=10, measure="bogus")
    with pytest.raises(InvalidValueError):
        workspace(robot, frame, samples=0)
    with pytest.raises(InvalidValueError):
        workspace(robot, frame, samples=10, chunk=0)
    with pytest.raises(kinejac.FrameNotFound):
        workspace(robot, "nope", samples=10)
    ws = workspace(robot, frame, samples=10, rng=0)
    with pytest.raises(InvalidChoiceError, match="xy, xz, yz"):
        ws.plot_png("x.png", plane="ab")
    with pytest.raises(InvalidChoiceError, match="projection, slice"):
        ws.plot_png("x.png", mode="cut")


def test_bounds_cover_the_reach():
    robot, frame = get_robot("planar_2r")
    ws = workspace(robot, frame, samples=3_000, rng=5)
    lo, hi = ws.bounds
    assert hi[0] == pytest.approx(1.8, abs=0.05) and lo[1] == pytest.approx(-1.8, abs=0.05)
    assert math.isclose(lo[2], 0.0, abs_tol=1e-12) and math.isclose(hi[2], 0.0, abs_tol=1e-12)


@pytest.mark.parametrize("samples", ["abc", None, 2.7, 0, True])
def test_bad_sample_counts_raise(samples):
    robot, frame = get_robot("planar_2r")
    with pytest.raises(InvalidValueError, match="samples must be an integer > 0"):
        workspace(robot, frame, samples=samples, part="translation")


def test_best_refuses_a_negative_count():
    robot, frame = get_robot("planar_2r")
    ws = workspace(robot, frame, samples=10, rng=0, part="translation")
    assert len(ws.best(3)) == 3 and len(ws.best(0)) == 0
    with pytest.raises(InvalidValueError, match="k must be an integer >= 0"):
        ws.best(-1)


def test_loading_a_file_without_metadata_fields_is_a_kinejac_error(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(
        path,
        meta='{"format": 1}',
        positions=np.zeros((2, 3)),
        manipulability=np.zeros(2),
        configurations=np.zeros((2, 2)),
    )
    with pytest.raises(KinejacError, match="metadata lacks robot, frame"):
        Workspace.load(path)


def test_workspace_leaves_out_collisions():
    robot = kinejac.load("panda")
    robot.set_disabled_pairs(kinejac.collision.generate_disabled_pairs(robot, samples=300, seed=0))
    table = kinejac.Box([2.0, 2.0, 0.1], _translation([0.0, 0.0, -0.051]))  # top 1 mm below the base
    free = kinejac.workspace(robot, "panda_hand_tcp", 400, rng=2, self_collision=True, obstacles=[table])
    full = kinejac.workspace(robot, "panda_hand_tcp", 400, rng=2)
    hit = kinejac.in_collision(robot, full.configurations, [table])
    assert 0 < free.rejected == hit.sum() and len(free) + free.rejected == 400 and len(free) > 100
    np.testing.assert_array_equal(free.configurations, full.configurations[~hit])
    assert not kinejac.in_collision(robot, free.configurations, [table]).any()
    assert (free.positions[:, 2] > 0).all() and (full.positions[:, 2] < 0).any()
    assert "in collision left out" in repr(free)


def _translation(xyz):
    T = np.eye(4)
    T[:3, 3] = xyz
    return T
