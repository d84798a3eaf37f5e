"""Static scan of hand-written models: which tables already have a class, and where."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from modelgen.generate.output import is_generated


@dataclass(frozen=True)
class ExistingModel:
    table: str
    class_name: str | None  # None for a db.Table(...) assignment
    path: Path
    line: int
    generated: bool
    schema: str | None = None


class ParsedSources:
    """Each model file read and parsed at most once per run, however many tables it holds.

    A command that needs a file's tree several times (the scan, then the line of
    every column of every table) asks this cache: parsing a 2,000-table module
    once per table made ``drift`` quadratic.  ``parses`` counts the real reads.
    """

    def __init__(self) -> None:
        self._trees: dict[Path, tuple[str, ast.Module] | None] = {}
        self.parses = 0

    def get(self, path: Path) -> tuple[str, ast.Module] | None:
        """(text, tree) of ``path``, or None when it cannot be read or parsed."""
        key = path.resolve()
        if key not in self._trees:
            self.parses += 1
            try:
                text = key.read_text(encoding="utf-8")
                self._trees[key] = (text, ast.parse(text, filename=str(path)))
            except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
                self._trees[key] = None
        return self._trees[key]


def scan_models(
    directory: Path | None, sources: ParsedSources | None = None
) -> tuple[ExistingModel, ...]:
    """Every ``__tablename__`` and ``db.Table("name", ...)`` under ``directory`` (no import)."""
    if directory is None or not directory.is_dir():
        return ()
    sources = sources or ParsedSources()
    found: list[ExistingModel] = []
    for path in sorted(directory.rglob("*.py")):
        parsed = sources.get(path)
        if parsed is None:
            continue
        text, tree = parsed
        generated = is_generated(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                table, schema = _class_table(node)
                if table is not None:
                    found.append(
                        ExistingModel(
                            table, node.name, path, node.lineno, generated, schema
                        )
                    )
            elif (
                isinstance(node, ast.Call) and call_name(node) == "Table" and node.args
            ):
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    schema = _schema_kw(node.keywords)
                    found.append(
                        ExistingModel(
                            first.value, None, path, node.lineno, generated, schema
                        )
                    )
    return tuple(found)


def _class_table(node: ast.ClassDef) -> tuple[str | None, str | None]:
    table = None
    schema = None
    for stmt in node.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(stmt, ast.Assign):
            targets, value = list(stmt.targets), stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        for target in targets:
            if not isinstance(target, ast.Name):
                continue
            if target.id == "__tablename__" and isinstance(value, ast.Constant):
                table = value.value if isinstance(value.value, str) else None
            elif target.id == "__table_args__" and value is not None:
                schema = _schema_from_args(value)
    return table, schema


def _schema_from_args(value: ast.expr) -> str | None:
    candidates = [value] + (list(value.elts) if isinstance(value, ast.Tuple) else [])
    for item in candidates:
        if isinstance(item, ast.Dict):
            for key, val in zip(item.keys, item.values, strict=False):
                if (
                    isinstance(key, ast.Constant)
                    and key.value == "schema"
                    and isinstance(val, ast.Constant)
                ):
                    return str(val.value)
    return None


def _schema_kw(keywords: list[ast.keyword]) -> str | None:
    for kw in keywords:
        if kw.arg == "schema" and isinstance(kw.value, ast.Constant):
            return str(kw.value.value)
    return None


def call_name(node: ast.Call) -> str | None:
    """``Table`` for ``db.Table(...)``, ``sa.Table(...)`` or ``Table(...)``."""
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
