"""The user-callable derivative check reports small errors and catches a wrong derivative."""

from __future__ import annotations

import numpy as np
from conftest import get_robot

import kinejac
from kinejac import check


def test_check_passes_on_bundled_robots():
    for case in ("ur5", "panda", "test_floating", "test_mimic"):
        robot, frame = get_robot(case)
        report = kinejac.check_derivatives(robot, frame, samples=2)
        assert report.ok, str(report)
        assert len(report.errors) == 15  # five quantities x three references
        assert report.worst[1] < 1e-7
        assert "hessian[local]" in str(report)


def test_check_catches_a_wrong_hessian(monkeypatch):
    robot, frame = get_robot("ur5")
    real = check.kin.hessian

    def off_by_transpose(*args, **kwargs):
        return np.swapaxes(real(*args, **kwargs), -1, -2)

    monkeypatch.setattr(check.kin, "hessian", off_by_transpose)
    report = kinejac.check_derivatives(robot, frame, q=robot.random_configuration(0))
    assert not report.ok
    assert report.worst[0].startswith("hessian") and report.worst[1] > 1e-2
