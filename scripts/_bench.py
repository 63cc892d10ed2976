"""Shared pieces of the benchmark scripts: timing and writing a section of BENCHMARKS.md."""

from __future__ import annotations

import re
import timeit
from pathlib import Path

__all__ = ["BENCHMARKS", "best", "paired", "write_section"]

BENCHMARKS = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"


def best(fn, number: int = 1, repeat: int = 5) -> float:
    """Best time per call [s] over ``repeat`` runs of ``number`` calls (the machine is shared)."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def paired(baseline, ours, number: int = 1, rounds: int = 9) -> tuple[float, float]:
    """Best times per call [s] of ``baseline`` and ``ours``, measured in alternation so that a change
    of the machine's load during the run affects both alike."""
    t_base = t_ours = float("inf")
    for _ in range(rounds):
        t_base = min(t_base, timeit.timeit(baseline, number=number) / number)
        t_ours = min(t_ours, timeit.timeit(ours, number=number) / number)
    return t_base, t_ours


def write_section(name: str, body: str) -> None:
    """Replace (or append) the part of BENCHMARKS.md between ``<!-- bench:NAME:start -->`` and
    ``<!-- bench:NAME:end -->``, leaving the other scripts' sections alone."""
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    text = "# Benchmarks\n\nEach section is written by the script it names.\n"
    if BENCHMARKS.exists():
        text = BENCHMARKS.read_text()
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text and end in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    BENCHMARKS.write_text(text)
    print(f"wrote the {name} section of {BENCHMARKS}")
