"""Every public name imports; the core does not import the viewer's dependencies."""

from __future__ import annotations

import subprocess
import sys

import pytest

import kinejac


def test_every_public_name_exists():
    for name in kinejac.__all__:
        assert getattr(kinejac, name) is not None, name
    assert sorted(kinejac.__all__) == sorted(set(kinejac.__all__))


def test_error_hierarchy():
    for name in kinejac.__all__:
        obj = getattr(kinejac, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, kinejac.KinejacError), name
    assert issubclass(kinejac.ShapeError, ValueError)
    assert issubclass(kinejac.FrameNotFound, KeyError)
    assert str(kinejac.FrameNotFound("x", ["y"])) == "frame 'x' not found. Available: y"
    assert (
        str(kinejac.FrameNotFound("tool", ["tool0"]))
        == "frame 'tool' not found; did you mean 'tool0'? Available: tool0"
    )


def test_not_found_suggestions_ignore_case():
    ur5 = kinejac.load("ur5")
    with pytest.raises(kinejac.FrameNotFound, match=r"frame 'TOOL0' not found in robot 'ur5'; did you mean 'tool0'\?"):
        ur5.frame_id("TOOL0")
    with pytest.raises(kinejac.JointNotFound, match=r"did you mean 'elbow_joint'\?"):
        ur5.joint("Elbow_Joint")
    with pytest.raises(kinejac.RobotNotFound, match=r"did you mean 'panda'"):
        kinejac.load("PANDA")
    # names equal but for case are the suggestions when there are any, else the similar ones
    assert "did you mean 'BASE' or 'base'?" in str(kinejac.FrameNotFound("Base", ["base_link", "BASE", "base"]))
    assert "did you mean 'base_link'?" in str(kinejac.FrameNotFound("BASE_LNK", ["base_link", "arm"]))
    assert "did you mean" not in str(kinejac.FrameNotFound("zzz", ["tool0", "base"]))


def test_import_does_not_load_meshcat():
    code = "import sys, kinejac; print('meshcat' in sys.modules, 'matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
