"""The package layout stays the architecture: no import cycles between modules
(lazy imports inside functions count too), and no class longer than about 250 lines."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "modelgen"
MAX_CLASS_LINES = 260


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [
                    f"{node.module}.{a.name}" for a in node.names
                ]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for target in targets:
                if target in modules and target != name:
                    # a package's __init__ importing its own submodules is how it exports
                    if not name or not target.startswith(name + "."):
                        graph[name].add(target)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_graph_sees_imports() -> None:
    graph = _graph()
    assert "modelgen.catalog.schema" in graph["modelgen.generate.build"]
    assert "modelgen.cli.app" in graph["modelgen.cli.drift"]


def test_no_import_cycles() -> None:
    cycle = _cycle(_graph())
    assert cycle is None, " -> ".join(cycle or [])


def test_cycle_detector_finds_one() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_class_is_longer_than_a_screenful_or_two() -> None:
    long = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_CLASS_LINES:
                    long.append(f"{path.relative_to(PACKAGE)}:{node.name} ({lines})")
    assert not long, long


# a lower layer never imports a higher one
LAYERS = (
    (
        "modelgen.errors",
        "modelgen.interrupt",
        "modelgen.files",
        "modelgen.gcpause",
        "modelgen.config",
        "modelgen.catalog",
    ),
    ("modelgen.generate",),
    ("modelgen.drift",),
    (
        "modelgen.verify",
        "modelgen.migration",
        "modelgen.init",
        "modelgen.demo",
        "modelgen.alembic",
    ),
    ("modelgen.cli", "modelgen.console"),
)


def _layer(module: str) -> int | None:
    for rank, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    return None


def test_dependencies_point_down_the_pipeline() -> None:
    upward = []
    for module, targets in _graph().items():
        rank = _layer(module)
        for target in targets:
            other = _layer(target)
            if rank is not None and other is not None and other > rank:
                upward.append(f"{module} -> {target}")
    assert not upward, upward
