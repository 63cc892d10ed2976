"""The README's Python examples run and print what they say, so the docs cannot drift from the code.

In a README code block, ``print(...)  # -> text`` states what that line prints. ``...`` in ``text``
stands for any text; whitespace runs compare equal; an integer must match exactly and a decimal
number to one unit of its last written digit (``0.4`` matches 0.43, ``-0.091`` matches -0.0913).
Every ``print`` of an example states its output.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
NUMBER = r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?"
EXPECTED = re.compile(r"^(?!\s*#).*#\s*->\s?(.*)$")  # on a line of code, not in a comment line


def _normalise(text: str) -> str:
    text = re.sub(r"\s+", " ", text.strip())
    return re.sub(r"([\[(]) ", r"\1", re.sub(r" ([\])])", r"\1", text))


def _tolerance(number: str) -> float | None:
    """None for an integer (exact), else one unit of the last written digit."""
    mantissa, _, exponent = number.lower().partition("e")
    if "." not in mantissa and not exponent:
        return None
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (int(exponent or 0) - decimals)


def output_matches(expected: str, printed: str) -> bool:
    """Whether ``printed`` matches the README's ``expected`` (see the module doc)."""
    pattern, wanted = [], []
    for k, segment in enumerate(_normalise(expected).split("...")):
        if k:
            pattern.append(".*?")
        for j, token in enumerate(re.split(f"({NUMBER})", segment)):
            if j % 2:
                pattern.append(f"({NUMBER})")
                wanted.append(token)
            else:
                pattern.append(re.escape(token))
    m = re.fullmatch("".join(pattern), _normalise(printed), flags=re.S)
    if m is None:
        return False
    for want, got in zip(wanted, m.groups()):
        tol = _tolerance(want)
        if (want != got) if tol is None else abs(float(got) - float(want)) > tol * (1 + 1e-9):
            return False
    return True


def test_output_matching():
    assert output_matches("Robot('panda', nq=7)", "Robot('panda', nq=7)")
    assert not output_matches("Robot('panda', nq=7)", "Robot('panda', nq=8)")
    assert output_matches("0.4", "0.43210314713481973") and not output_matches("0.4", "0.52")
    assert output_matches("-0.091 [0.001 -0.000]", "-0.09127562602899604 [ 0.00123447 -0.00032161]")
    assert not output_matches("-0.091", "0.091") and not output_matches("1.0", "1.2")
    assert output_matches("IKResult(success=True, error=...)", "IKResult(success=True, error=8.8e-08 m)")
    assert not output_matches("IKResult(success=True, ...)", "IKResult(success=False, reason=stalled)")
    assert output_matches("n=..., fraction=1.0000", "n=62, fraction=1.0000")
    assert not output_matches("425 free samples", "424 free samples")
    assert output_matches("4e-10", "3.94e-10") and not output_matches("4e-10", "5.5e-10")


def test_readme_has_examples():
    assert len(BLOCKS) >= 2


# an example that shows another library next to kinejac runs where that library is installed
OPTIONAL = {"import pink": "pink"}  # what the example says: the module to import (pip install pin-pink)

# the viewer example serves its page until Ctrl-C: tests/test_viewer_processes.py runs it as a script
WAITING = [i for i, block in enumerate(BLOCKS) if "viewer.wait()" in block]


def test_only_the_viewer_example_waits():
    assert len(WAITING) == 1 and "kinejac.Viewer(" in BLOCKS[WAITING[0]]


@pytest.mark.parametrize("index", [i for i in range(len(BLOCKS)) if i not in WAITING])
def test_readme_example_prints_what_it_says(index, tmp_path, monkeypatch):
    for marker, module in OPTIONAL.items():
        if marker in BLOCKS[index]:
            pytest.importorskip(module)
    monkeypatch.chdir(tmp_path)
    lines = BLOCKS[index].splitlines()
    expected = {n: m.group(1) for n, line in enumerate(lines, start=1) if (m := EXPECTED.search(line))}
    code = {n: line for n, line in enumerate(lines, start=1) if not line.lstrip().startswith("#")}
    unstated = [line for n, line in code.items() if "print(" in line and n not in expected]
    assert not unstated, f"README block {index}: say what these print (# -> ...): {unstated}"
    printed: dict[int, list[str]] = {}
    name = f"README.md[python block {index}]"

    def record(*args, sep=" ", end="\n", **_):
        import sys

        caller = sys._getframe(1)
        assert caller.f_code.co_filename == name, "only the example's own prints are recorded"
        printed.setdefault(caller.f_lineno, []).append(sep.join(map(str, args)))

    exec(compile(BLOCKS[index], name, "exec"), {"__name__": "__readme__", "print": record})
    assert set(printed) == set(expected), f"README block {index}: printed on lines {sorted(printed)}"
    for n, outputs in printed.items():
        for out in outputs:
            assert output_matches(expected[n], out), (
                f"README block {index}, line {n}: printed {out!r}, not {expected[n]!r}"
            )
