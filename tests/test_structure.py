"""The structure of the package: no import circle, few floors, ``Robot`` near the ground, and
functions short enough to read.

The graph is read from the source with ``ast`` (nothing is imported): every ``import`` and
``from ... import`` of a kinejac module, at module level or inside a function (a lazy import is
still a dependency), except those under ``if TYPE_CHECKING:`` (annotations only). ``from .x import
y`` depends on ``x.y`` when that is a module, else on ``x``.

A *floor* is a layer of that graph: a module that imports no kinejac module is on floor 1, any
other one floor above the highest module it imports. ``kinejac/core/`` counts as one module (the
compiled core, a native library behind one Python face): its internals are the core's business.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "kinejac"
MAX_FLOORS = 10
CORE = "kinejac.core"
MAX_LINES = 80  # of a function, from its ``def`` to its last line, docstring included
# functions allowed to be longer without saying why at their top, each with the reason (none now)
LONG_ALLOWED: dict[tuple[str, str], str] = {}


def _modules() -> dict[str, tuple[Path, bool]]:
    """``{dotted name: (file, is a package)}`` for every module of kinejac (an extension module by its
    ``.pyi`` stub: ``kinejac._core``, the native core)."""
    out = {}
    stubs = [p for p in PACKAGE.rglob("*.pyi") if not p.with_suffix(".py").exists()]
    for path in sorted([*PACKAGE.rglob("*.py"), *stubs]):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return out


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported_names(tree: ast.AST):
    """``(level, module, names)`` of every import statement, skipping ``if TYPE_CHECKING:`` bodies."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield 0, alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            yield node.level, node.module or "", tuple(a.name for a in node.names)
        stack.extend(ast.iter_child_nodes(node))


def _owner(name: str) -> str | None:
    """The kinejac module a dotted name lives in (the longest prefix that is a module)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str) -> set[str]:
    """The kinejac modules ``module`` imports (lazily or not; not for annotations only)."""
    path, is_package = MODULES[module]
    here = module.split(".") if is_package else module.split(".")[:-1]
    found = set()
    for level, name, names in _imported_names(ast.parse(path.read_text(), str(path))):
        base = ".".join(here[: len(here) - level + 1] + ([name] if name else [])) if level else name
        if base != "kinejac" and not base.startswith("kinejac."):
            continue
        # ``from base import n``: the module base.n when there is one, else base itself
        for target in [f"{base}.{n}" if f"{base}.{n}" in MODULES else base for n in names] or [base]:
            owner = _owner(target)
            if owner is not None and owner != module:
                found.add(owner)
    return found


def _collapse(name: str) -> str:
    return CORE if name.startswith(CORE + ".") else name


@functools.lru_cache(maxsize=1)
def graph() -> dict[str, frozenset[str]]:
    """``{module: modules it imports}`` with ``kinejac/core/`` as one node."""
    g: dict[str, set[str]] = {}
    for module in MODULES:
        node = _collapse(module)
        g.setdefault(node, set()).update(_collapse(m) for m in imports_of(module))
    return {m: frozenset(deps - {m}) for m, deps in g.items()}


def find_circle(g) -> list[str] | None:
    """One import circle ``[a, b, ..., a]`` of ``g``, or ``None``."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for d in sorted(g[m]):
            if state.get(d) == 1:
                return [*path[path.index(d) :], d]
            if d not in state and (found := visit(d)):
                return found
        path.pop()
        state[m] = 2
        return None

    for m in sorted(g):
        if m not in state and (found := visit(m)):
            return found
    return None


def floors(g) -> dict[str, int]:
    """``{module: floor}`` of an acyclic graph."""
    out: dict[str, int] = {}

    def floor(m: str) -> int:
        if m not in out:
            out[m] = 1 + max((floor(d) for d in g[m]), default=0)
        return out[m]

    for m in g:
        floor(m)
    return out


def test_the_graph_reader_sees_lazy_imports_and_skips_annotation_only_ones():
    # kinejac/__init__.py imports the viewer inside __getattr__ (lazily), and nothing else does
    assert "kinejac.viewer" in imports_of("kinejac")
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .robot import Robot\n")
    assert list(_imported_names(tree)) == [(0, "typing", ("TYPE_CHECKING",))]
    lazy = ast.parse("def f():\n    from ..errors import KinejacError\n")
    assert list(_imported_names(lazy)) == [(2, "errors", ("KinejacError",))]


def test_the_circle_finder_and_the_floor_count_work_on_a_known_graph():
    g = {"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"})}
    assert find_circle(g) == ["a", "b", "c", "a"]
    g = {"a": frozenset({"b", "c"}), "b": frozenset({"c"}), "c": frozenset()}
    assert find_circle(g) is None and floors(g) == {"a": 3, "b": 2, "c": 1}


def test_no_import_circle_inside_kinejac():
    full = {m: frozenset(imports_of(m)) for m in MODULES}  # the core's own modules included
    assert find_circle(full) is None, " -> ".join(find_circle(full) or [])


def test_at_most_ten_floors():
    g = graph()
    assert find_circle(g) is None
    level = floors(g)
    top = max(level.values())
    chain = [max(level, key=level.__getitem__)]
    while g[chain[-1]]:
        chain.append(max(g[chain[-1]], key=level.__getitem__))
    assert top <= MAX_FLOORS, f"{top} floors: " + " -> ".join(chain)


@pytest.mark.parametrize(
    "module, forbidden",
    [
        ("kinejac.robot", ("kinejac.urdf", "kinejac.collision", "kinejac.viewer", "kinejac.kinematics")),
        ("kinejac.urdf", ("kinejac.viewer", "kinejac.kinematics", "kinejac.ik")),
    ],
)
def test_the_robot_stands_below_what_builds_and_uses_it(module, forbidden):
    bad = sorted(m for m in imports_of(module) if m.startswith(forbidden))
    assert not bad, f"{module} imports {bad}"


def test_the_moved_modules_are_gone():
    parts = ("map", "result", "inverse", "chunk", "grid")
    former = ["dexterity", "workspace_map", *(f"reachability_{k}" for k in parts)]
    assert [name for name in former if (PACKAGE / f"{name}.py").exists()] == []
    assert {m for m in MODULES if m.startswith("kinejac.reachability")} == {
        "kinejac.reachability",
        *(f"kinejac.reachability.{k}" for k in ("build", "chunk", "files", "grid", "inverse", "result")),
    }


def _functions(tree: ast.AST, prefix: str = ""):
    """``(qualified name, node)`` of every function and method, nested ones too."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield prefix + node.name, node
            yield from _functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")
        else:
            yield from _functions(node, prefix)


def _says_why(node: ast.FunctionDef | ast.AsyncFunctionDef, source: list[str]) -> bool:
    """Whether a function states at its top why it is long: ``Long:`` in its docstring, or in a
    comment on the first lines of its body."""
    doc = ast.get_docstring(node) or ""
    top = source[node.body[0].lineno - 1 : node.body[0].lineno + 2]
    return "Long:" in doc or any("# Long:" in line for line in top)


def long_functions() -> list[str]:
    """``file: name (lines)`` of every function over :data:`MAX_LINES` that does not say why,
    outside ``kinejac/core/`` (the compiled core, replaced by a native one)."""
    found = []
    for path, _ in MODULES.values():
        rel = path.relative_to(PACKAGE.parent).as_posix()
        if rel.startswith("kinejac/core/"):
            continue
        source = path.read_text()
        for name, node in _functions(ast.parse(source)):
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            if lines > MAX_LINES and not _says_why(node, source.splitlines()) and (rel, name) not in LONG_ALLOWED:
                found.append(f"{rel}: {name} ({lines} lines)")
    return found


def test_the_length_check_sees_long_functions():
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_LINES))
    (node,) = ast.parse(f"def f():\n{body}\n").body
    assert isinstance(node, ast.FunctionDef) and not _says_why(node, [])
    (named,) = ast.parse(f'def f():\n    """Long: a table."""\n{body}\n').body
    assert isinstance(named, ast.FunctionDef) and _says_why(named, [])
    nested = ast.parse("class A:\n    def f(self):\n        def g(): pass\n")
    assert [name for name, _ in _functions(nested)] == ["A.f", "A.f.g"]


def test_no_function_over_80_lines_without_its_reason():
    assert long_functions() == []
