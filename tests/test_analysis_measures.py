"""The measure table of kinejac.analysis: each entry's derivative against finite differences of its
value, the public argument checks and one signature style."""

from __future__ import annotations

from typing import get_args

import numpy as np
import pytest
from conftest import get_robot

from kinejac.analysis import (
    MEASURE_TABLE,
    MEASURES,
    Measure,
    check_measure,
    check_part,
    manipulability,
    manipulability_gradient,
    singularity,
    workspace,
)
from kinejac.errors import InvalidChoiceError, InvalidValueError


def test_the_table_is_the_list_of_measures():
    assert tuple(MEASURE_TABLE) == MEASURES == get_args(Measure)
    assert all(MEASURE_TABLE[name].name == name for name in MEASURES)
    assert [name for name in MEASURES if MEASURE_TABLE[name].inertia_weighted] == ["dynamic"]


@pytest.mark.parametrize("measure", MEASURES)
@pytest.mark.parametrize("r", [1, 2, 3, 6])
def test_derivative_is_the_derivative_of_the_value(measure, r):
    definition = MEASURE_TABLE[measure]
    rng = np.random.default_rng(r)
    s = -np.sort(-rng.uniform(0.2, 2.0, (5, r)), axis=1)  # distinct, largest first
    eps = 1e-6
    fd = np.empty_like(s)
    for i in range(r):
        step = np.zeros(r)
        step[i] = eps
        fd[:, i] = (definition.value(s + step) - definition.value(s - step)) / (2 * eps)
    np.testing.assert_allclose(definition.derivative(s), fd, rtol=1e-8, atol=1e-9)


def test_values_in_closed_form():
    s = np.array([[3.0, 2.0, 0.5], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(MEASURE_TABLE["yoshikawa"].value(s), [3.0, 1.0, 0.0], rtol=1e-15)
    np.testing.assert_allclose(MEASURE_TABLE["condition"].value(s), [0.5 / 3.0, 1.0, 0.0], rtol=1e-15)
    np.testing.assert_allclose(MEASURE_TABLE["min_singular"].value(s), [0.5, 1.0, 0.0], rtol=1e-15)
    # at A = 0 the condition measure is 0 and its derivative is finite (not NaN)
    assert np.isfinite(MEASURE_TABLE["condition"].derivative(s)).all()


def test_check_measure_and_check_part_name_what_exists():
    assert check_measure("dynamic") is MEASURE_TABLE["dynamic"]
    with pytest.raises(InvalidChoiceError, match="yoshikawa"):
        check_measure("volume")
    with pytest.raises(InvalidChoiceError, match="yoshikawa"):
        check_measure(["yoshikawa"])  # unhashable
    rows = check_part(["wz", "vx"], length_scale=0.5)  # unhashable sequences are not cached but work
    assert rows.rows == (5, 0) and rows.label == "wz,vx"
    np.testing.assert_array_equal(rows.scale, [1.0, 2.0])
    assert check_part("translation", 0.5).scale is None  # no mixed units: nothing to scale
    with pytest.raises(InvalidChoiceError, match="translation"):
        check_part("position")
    with pytest.raises(InvalidValueError, match="distinct"):
        check_part(("vx", "vx"))
    with pytest.raises(InvalidValueError, match="length_scale"):
        check_part("full", 0.0)


def test_measure_and_part_by_position_or_keyword():
    robot, frame = get_robot("ur5")
    Q = robot.random_configuration(3, size=4)
    by_keyword = manipulability(robot, Q, frame, measure="condition", part="translation")
    np.testing.assert_array_equal(manipulability(robot, Q, frame, "condition", "translation"), by_keyword)
    np.testing.assert_array_equal(
        manipulability_gradient(robot, Q, frame, measure="condition", part="translation"),
        manipulability_gradient(robot, Q, frame, "condition", "translation"),
    )
    a = singularity(robot, Q[0], frame, 1e-3, "rotation")
    b = singularity(robot, Q[0], frame, tol=1e-3, part="rotation")
    assert a.part == b.part == "rotation"
    np.testing.assert_array_equal(a.singular_values, b.singular_values)
    w1 = workspace(robot, frame, 50, 0, "min_singular", "translation", progress=False, workers=1)
    w2 = workspace(robot, frame, samples=50, rng=0, measure="min_singular", part="translation", workers=1)
    np.testing.assert_array_equal(w1.manipulability, w2.manipulability)
    assert (w1.measure, w1.part) == ("min_singular", "translation")
