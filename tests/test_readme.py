"""The README's Python examples run, so the docs cannot drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_examples():
    assert len(BLOCKS) >= 2


# the viewer example serves its page until Ctrl-C: tests/test_viewer_processes.py runs it as a script
WAITING = [i for i, block in enumerate(BLOCKS) if "viewer.wait()" in block]


def test_only_the_viewer_example_waits():
    assert len(WAITING) == 1 and "kinejac.Viewer(" in BLOCKS[WAITING[0]]


@pytest.mark.parametrize("index", [i for i in range(len(BLOCKS)) if i not in WAITING])
def test_readme_example_runs(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exec(compile(BLOCKS[index], f"README.md[python block {index}]", "exec"), {"__name__": "__readme__"})
