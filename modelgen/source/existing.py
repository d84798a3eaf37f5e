"""Static scan of hand-written models: which tables already have a class, and where."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from modelgen.gcpause import collector_paused
from modelgen.generate.output import is_generated


@dataclass(frozen=True)
class ExistingModel:
    table: str
    class_name: str | None  # None for a db.Table(...) assignment
    path: Path
    line: int
    generated: bool
    schema: str | None = None
    bind: str | None = None  # Flask-SQLAlchemy's __bind_key__ / Table(bind_key=...)


class ParsedSources:
    """Each model file read and parsed at most once per run, however many tables it holds.

    A command that needs a file's tree several times (the scan, then the line of
    every column of every table) asks this cache: parsing a 2,000-table module
    once per table made ``drift`` quadratic.  ``parses`` counts the real reads.
    """

    def __init__(self) -> None:
        self._trees: dict[Path, tuple[str, ast.Module] | None] = {}
        self._texts: dict[Path, str] = {}
        self._generated: dict[Path, bool] = {}
        self.parses = 0

    def text(self, path: Path) -> str:
        """The text of ``path`` ("" when unreadable), read once and never parsed."""
        key = path.resolve()
        if key not in self._texts:
            try:
                self._texts[key] = key.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                self._texts[key] = ""
        return self._texts[key]

    def generated(self, path: Path) -> bool:
        """Whether ``path`` carries modelgen's header (asked once per file)."""
        if path not in self._generated:
            self._generated[path] = is_generated(self.text(path))
        return self._generated[path]

    def get(self, path: Path) -> tuple[str, ast.Module] | None:
        """(text, tree) of ``path``, or None when it cannot be read or parsed."""
        key = path.resolve()
        if key not in self._trees:
            self.parses += 1
            with collector_paused():  # half of a large module's parse
                self._trees[key] = parse_source(key, str(path))
        return self._trees[key]


def parse_source(path: Path, label: str | None = None) -> tuple[str, ast.Module] | None:
    """(text, tree) of ``path``, or None when it cannot be read or parsed; nothing kept."""
    try:
        text = path.read_text(encoding="utf-8")
        return text, ast.parse(text, filename=label or str(path))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None


def scan_models(
    directory: Path | None,
    sources: ParsedSources | None = None,
    only: Path | None = None,
) -> tuple[ExistingModel, ...]:
    """Every ``__tablename__`` and ``db.Table("name", ...)`` under ``directory`` (no import).

    ``only``: that one file of ``directory``.  Statements are walked (classes at
    any depth, ``Table(...)`` bound or called as a statement), not every
    expression node: that is what keeps a 2,000-table module cheap to scan.
    Without ``sources`` each tree is dropped once scanned: keeping them all (a
    cache nobody asks again) held 1,000 files' trees at once, ~0.5 GB at
    10,000 tables, and left them all to the collector's next pass.
    """
    if directory is None or not directory.is_dir():
        return ()
    paths = [only] if only is not None else sorted(directory.rglob("*.py"))
    with collector_paused():  # once for all files: a pause per file just defers it
        return tuple(_scan_files(paths, sources))


def _scan_files(
    paths: list[Path], sources: ParsedSources | None
) -> Iterator[ExistingModel]:
    for path in paths:
        parsed = sources.get(path) if sources is not None else parse_source(path)
        if parsed is not None:
            yield from models_in(path, *parsed)


def models_in(path: Path, text: str, tree: ast.Module) -> Iterator[ExistingModel]:
    """The models of one parsed file (``text`` and ``tree`` of ``path``)."""
    generated = is_generated(text)
    for node in statements(tree.body):
        if isinstance(node, ast.ClassDef):
            table, schema = _class_table(node)
            if table is not None:
                yield ExistingModel(
                    table,
                    node.name,
                    path,
                    node.lineno,
                    generated,
                    schema,
                    _bind_key(node),
                )
            continue
        call = statement_call(node)
        if call is not None and call_name(call) == "Table" and call.args:
            first = call.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                schema = _schema_kw(call.keywords)
                bind = _keyword_str(call.keywords, "bind_key")
                yield ExistingModel(
                    first.value, None, path, call.lineno, generated, schema, bind
                )


def statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement of ``body`` and of the blocks inside it (classes, functions,
    if/try/with/for), in source order; expressions are not entered."""
    for stmt in body:
        yield stmt
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list):
                yield from statements(inner)
        for handler in getattr(stmt, "handlers", ()):
            yield from statements(handler.body)
        for case in getattr(stmt, "cases", ()):
            yield from statements(case.body)


def statement_call(stmt: ast.stmt) -> ast.Call | None:
    """The call a statement makes or binds: ``x = f(...)``, ``x: T = f(...)``, ``f(...)``."""
    value = getattr(stmt, "value", None)
    return value if isinstance(value, ast.Call) else None


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


def _bind_key(node: ast.ClassDef) -> str | None:
    """``__bind_key__ = "name"`` in the class body."""
    for stmt in node.body:
        if (
            isinstance(stmt, ast.Assign)
            and any(
                isinstance(t, ast.Name) and t.id == "__bind_key__" for t in stmt.targets
            )
            and isinstance(stmt.value, ast.Constant)
            and isinstance(stmt.value.value, str)
        ):
            return stmt.value.value
    return None


def _keyword_str(keywords: list[ast.keyword], name: str) -> str | None:
    for kw in keywords:
        if (
            kw.arg == name
            and isinstance(kw.value, ast.Constant)
            and isinstance(kw.value.value, str)
        ):
            return kw.value.value
    return None


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
