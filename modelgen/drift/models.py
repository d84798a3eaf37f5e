"""The app's models as plain facts: imported (SQLAlchemy ``Table`` objects) or, failing that, scanned.

``load_models`` imports the configured models package and every module in it
(hand-written and generated alike) in this process, with ``app_path`` first on
``sys.path``, turns each ``Table`` it finds into frozen ``ModelTable`` facts at
once, and then restores ``sys.path`` and removes the app's own modules from
``sys.modules`` (third-party modules such as Flask stay: removing them would
leave two copies of SQLAlchemy's classes alive).  Where the import is
impossible it falls back to ``existing.scan_models`` (table names and
locations only) and says so in ``ModelSet.method`` / ``detail``.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import importlib
import sys
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from modelgen.config import Config
from modelgen.drift.owned import (
    OwnedFact,
    added_constraints,
    metadata_owned,
    owned_by,
)
from modelgen.errors import first_line
from modelgen.gcpause import collector_paused
from modelgen.source.existing import (
    ExistingModel,
    ParsedSources,
    call_name,
    scan_models,
    statement_call,
    statements,
)


@dataclass(frozen=True)
class ModelColumn:
    name: str
    type_sql: str | None  # compiled with the postgresql dialect; None: unknown
    nullable: bool
    primary_key: bool
    server_default: str | None = None  # SQL text, only when the model declares one
    comment: str | None = None
    enum_name: str | None = None  # native enums (also the element of an ARRAY)
    enum_schema: str | None = None
    enum_labels: tuple[str, ...] = ()
    line: int | None = None
    # COLLATE the type declares, apart from type_sql: (name, schema or None)
    collation: tuple[str, str | None] | None = None


@dataclass(frozen=True)
class ModelConstraint:
    kind: str  # p primary, u unique, c check, f foreign key, x exclusion
    name: str | None  # None: the model does not name it
    columns: tuple[str, ...] = ()
    expression: str | None = None  # CHECK text
    ref_schema: str | None = None
    ref_table: str | None = None
    ref_columns: tuple[str, ...] = ()
    on_delete: str | None = None
    on_update: str | None = None


@dataclass(frozen=True)
class ModelIndex:
    name: str | None
    unique: bool
    elements: tuple[str, ...]  # a column name, or an expression's SQL text
    predicate: str | None = None
    method: str | None = None  # postgresql_using, when declared


@dataclass(frozen=True)
class ModelTable:
    schema: str | None
    name: str
    class_name: str | None
    path: Path | None
    line: int | None
    generated: bool = False
    # None: known only from the static scan, so its columns cannot be compared
    columns: tuple[ModelColumn, ...] | None = None
    constraints: tuple[ModelConstraint, ...] = ()
    indexes: tuple[ModelIndex, ...] = ()
    comment: str | None = None
    # triggers, row-level security, policies its after_create DDL creates
    owned: tuple[OwnedFact, ...] = ()


@dataclass(frozen=True)
class ModelSet:
    tables: tuple[ModelTable, ...]
    method: str  # "import", "static", "partial" (some modules scanned), "none"
    detail: str
    problems: tuple[str, ...] = field(default=())


def derive_module(app_path: Path, folder: Path) -> str | None:
    """``app/models`` under ``app_path`` -> ``app.models`` (None when not importable that way)."""
    try:
        relative = folder.resolve().relative_to(app_path.resolve())
    except ValueError:
        return None
    parts = relative.parts
    if not parts or not all(p.isidentifier() for p in parts):
        return None
    return ".".join(parts)


def load_models(
    config: Config,
    sources: ParsedSources | None = None,
    lines: bool = True,
    mapped: bool = True,
) -> ModelSet:
    """Every model table of the app, imported where possible, scanned otherwise.

    Each model file is read and parsed at most once (``sources``), for the scan
    and for the lines of all its columns together.  ``lines=False`` parses no
    file that imported: tables and columns come without lines (the class's file
    is known from the import) and ``with_lines`` adds them afterwards for the
    files a report names.  Parsing is the one cost of a model file that grows
    with its size and that an in-sync run never needs (about 1 s for a 2,000-table
    module).
    """
    sources = sources or ParsedSources()
    folders = [f for f in dict.fromkeys([config.models, config.output]) if f]
    folders = [f for f in folders if f.is_dir()]
    if not folders:
        return ModelSet((), "none", "no models folder (set 'models' in the config)")

    def scan() -> tuple[ExistingModel, ...]:
        return tuple(m for folder in folders for m in scan_models(folder, sources))

    scanned = scan() if lines else ()
    app_path = config.app_path or config.root
    packages: list[tuple[str, Path]] = []
    if config.models_import and config.models is not None:
        packages.append((config.models_import, config.models))
    for folder in folders:
        if config.models_import and folder == config.models:
            continue
        module = derive_module(app_path, folder)
        if module is None:
            return _static(
                scanned or scan(),
                f"cannot tell which module {folder} is under {app_path}: "
                "set 'models_import' (and 'app_path') in the config",
                config.bind,
            )
        packages.append((module, folder))
    try:
        tables, problems = _import_tables(
            app_path, packages, scanned, sources, config.bind, lines, mapped
        )
    except _ImportFailed as exc:
        return _static(scanned or scan(), str(exc), config.bind)
    names = ", ".join(p for p, _ in packages)
    if problems:
        return ModelSet(
            tables,
            "partial",
            f"imported {names}; scanned the modules that failed to import",
            tuple(problems),
        )
    return ModelSet(tables, "import", f"imported {names}")


def _static(
    scanned: tuple[ExistingModel, ...], reason: str, bind: str | None = None
) -> ModelSet:
    # a model of another database (Flask-SQLAlchemy bind) is not one of this one
    tables = tuple(_scanned_table(m) for m in scanned if m.bind == bind)
    return ModelSet(
        tables, "static", f"static scan of __tablename__ (import failed: {reason})"
    )


def _scanned_table(model: ExistingModel) -> ModelTable:
    """A model known from the static scan only: where it is, but no columns."""
    return ModelTable(
        model.schema,
        model.table,
        model.class_name,
        model.path,
        model.line,
        model.generated,
    )


class _ImportFailed(Exception):
    pass


def _import_tables(
    app_path: Path,
    packages: list[tuple[str, Path]],
    scanned: tuple[ExistingModel, ...],
    sources: ParsedSources,
    bind: str | None = None,
    lines: bool = True,
    mapped: bool = True,
) -> tuple[tuple[ModelTable, ...], list[str]]:
    """The tables of the imported packages, and the modules that failed to import.

    ``mapped=False`` first imports with Flask-SQLAlchemy's classes left unmapped
    (``_unmapped``); if anything fails that way, the import is simply done again
    the usual way, so an app is never judged by the shortcut.
    """
    args = (app_path, packages, scanned, sources, bind, lines)
    if not mapped:
        try:
            tables, problems = _import_once(*args, mapped=False)
            if not problems:
                return tables, problems
        except _ImportFailed:
            pass
    return _import_once(*args, mapped=True)


@contextlib.contextmanager
def _unmapped(active: bool) -> Iterator[None]:
    """Flask-SQLAlchemy's model classes built up to their ``Table``, never mapped.

    drift reads tables, not mappers; mapping (``Mapper`` and its properties) is
    about half of what importing a class costs.  SQLAlchemy's declarative layer
    defers mapping for classes carrying ``_sa_decl_prepare`` (what its
    ``DeferredReflection`` uses): set on Flask-SQLAlchemy's ``Model`` while the
    app is imported, every ``db.Model`` class gets its ``__table__`` (columns,
    constraints, indexes, events) exactly as usual and no mapper.  Nothing maps
    them later: the app's modules are dropped after the facts are read.
    """
    model: Any = None
    if active:
        try:
            from flask_sqlalchemy.model import Model as model
        except ImportError:
            model = None
    if model is None or hasattr(model, "_sa_decl_prepare"):
        yield
        return
    model._sa_decl_prepare = True
    try:
        yield
    finally:
        del model._sa_decl_prepare


def _import_once(
    app_path: Path,
    packages: list[tuple[str, Path]],
    scanned: tuple[ExistingModel, ...],
    sources: ParsedSources,
    bind: str | None,
    lines: bool,
    mapped: bool,
) -> tuple[tuple[ModelTable, ...], list[str]]:
    saved_path = list(sys.path)
    saved_modules = set(sys.modules)
    root = app_path.resolve()
    sys.path.insert(0, str(root))
    problems: list[str] = []
    try:
        modules: list[Any] = []
        failed_files: set[Path] = set()
        # an app that prints while importing must not corrupt a json/github report
        with (
            warnings.catch_warnings(),
            contextlib.redirect_stdout(sys.stderr),
            _unmapped(not mapped),
            collector_paused(),
        ):
            warnings.simplefilter("ignore")
            for package, folder in packages:
                module, problem = _try_import(package)
                if problem is not None:
                    raise _ImportFailed(problem)
                modules.append(module)
                for name, path in _submodules(package, folder):
                    module, problem = _try_import(name)
                    if problem is None:
                        modules.append(module)
                    else:
                        failed_files.add(path.resolve())
                        problems.append(problem)
        if failed_files and not lines:  # what failed is known from a scan only
            scanned = tuple(
                m
                for path in sorted(failed_files)
                for m in scan_models(path.parent, sources, only=path)
            )
        tables = _facts(modules, scanned, failed_files, sources, bind, lines)
    finally:
        sys.path[:] = saved_path
        # children first: a namespace package's path is recomputed from its parent
        for name in sorted(set(sys.modules) - saved_modules, reverse=True):
            if _is_app_module(sys.modules.get(name), root):
                del sys.modules[name]
    return tables, problems


def _try_import(name: str) -> tuple[Any, str | None]:
    """The module, or what went wrong importing it (``import NAME: Error: first line``)."""
    try:
        return importlib.import_module(name), None
    except BaseException as exc:  # noqa: B036 - a user's import may sys.exit()
        if isinstance(exc, KeyboardInterrupt):
            raise
        return (
            None,
            f"import {name}: {type(exc).__name__}: {first_line(exc, '(no message)')}",
        )


def _submodules(package: str, folder: Path) -> Iterable[tuple[str, Path]]:
    for path in sorted(folder.rglob("*.py")):
        relative = path.relative_to(folder).with_suffix("")
        parts = list(relative.parts)
        if "__pycache__" in parts or not all(p.isidentifier() for p in parts):
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
            if not parts:
                continue
        yield ".".join([package, *parts]), path


def _is_app_module(module: Any, root: Path) -> bool:
    filename = getattr(module, "__file__", None)
    if filename:
        return Path(filename).resolve().is_relative_to(root)
    locations = getattr(
        getattr(module, "__spec__", None), "submodule_search_locations", None
    )
    return any(Path(p).resolve().is_relative_to(root) for p in locations or ())


def _facts(
    modules: list[Any],
    scanned: tuple[ExistingModel, ...],
    failed: set[Path],
    sources: ParsedSources,
    bind: str | None = None,
    with_lines: bool = True,
) -> tuple[ModelTable, ...]:
    import sqlalchemy as sa

    lines = _LineIndex(sources) if with_lines else None

    metadatas, classes, homes = _collect(modules, sa)
    locations = {(m.schema, m.table): m for m in scanned}
    by_name = {m.table: m for m in scanned}
    tables: list[ModelTable] = []
    seen: set[tuple[str | None, str]] = set()
    for md in metadatas:
        on_metadata = metadata_owned(md)
        for table in md.tables.values():
            key = (table.schema, table.name)
            if key in seen or _bind_key(table) != bind:
                continue  # seen, or a table of another database (Flask-SQLAlchemy bind)
            seen.add(key)
            cls = classes.get(id(table))
            where = locations.get(key) or by_name.get(table.name)
            home = _home(table.name, homes.get(id(table), []), sources)
            facts = _table_facts(table, cls, where, sa, lines, sources, home)
            added, owned = added_constraints(table, owned_by(table, on_metadata))
            constraints = facts.constraints + tuple(ModelConstraint(*a) for a in added)
            tables.append(
                replace(facts, owned=owned, constraints=_sorted_keys(constraints))
            )
    imported = {(t.schema, t.name) for t in tables}
    # models in modules that failed to import: known from the scan only
    for model in scanned:
        if (
            model.path.resolve() in failed
            and (model.schema, model.table) not in imported
            and model.bind == bind  # not a table of another database
        ):
            tables.append(_scanned_table(model))
    return tuple(sorted(tables, key=lambda t: (t.schema or "", t.name)))


def _home(name: str, candidates: list[Path], sources: ParsedSources) -> Path | None:
    """The file that defines a plain ``Table``: of the modules binding it, the one
    whose source has ``Table("name", ...)`` (parsed only when several bind it)."""
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    for path in candidates:
        if any(m.table == name for m in scan_models(path.parent, sources, only=path)):
            return path
    return candidates[0]


def _bind_key(table: Any) -> str | None:
    """The Flask-SQLAlchemy bind a table belongs to (None: the default database)."""
    key = table.info.get("bind_key") or table.metadata.info.get("bind_key")
    return str(key) if key else None


def _collect(
    modules: list[Any], sa: Any
) -> tuple[list[Any], dict[int, type], dict[int, list[Path]]]:
    """Every MetaData the modules reach (first seen first), id(Table) -> mapped
    class, and id(Table) -> the files of the modules a plain ``Table`` is bound in
    (where it is defined, and where it is imported: ``models/__init__.py``)."""
    metadatas: dict[int, Any] = {}
    classes: dict[int, type] = {}
    homes: dict[int, list[Path]] = {}
    for module in modules:
        filename = getattr(module, "__file__", None)
        for value in list(vars(module).values()):
            for md in _metadatas_of(value, sa):
                metadatas.setdefault(id(md), md)
            if isinstance(value, sa.Table) and filename:
                homes.setdefault(id(value), []).append(Path(filename))
            table = (
                getattr(value, "__table__", None) if isinstance(value, type) else None
            )
            if isinstance(table, sa.Table):
                classes.setdefault(id(table), value)
    return list(metadatas.values()), classes, homes


def _metadatas_of(value: Any, sa: Any) -> list[Any]:
    found: list[Any] = []
    try:
        if isinstance(value, sa.MetaData):
            found.append(value)
        elif isinstance(value, sa.Table):
            found.append(value.metadata)
        elif isinstance(value, type):
            md = getattr(value, "metadata", None)
            if isinstance(md, sa.MetaData):
                found.append(md)
        elif hasattr(type(value), "metadatas"):  # Flask-SQLAlchemy's db object
            mds = getattr(value, "metadatas", None)
            if isinstance(mds, dict):
                found += [m for m in mds.values() if isinstance(m, sa.MetaData)]
    except (
        Exception
    ):  # noqa: BLE001 - an odd attribute on a user's object is not our error
        return []
    return found


def _name(value: Any) -> str | None:
    return str(value) if isinstance(value, str) else None


def _table_facts(
    table: Any,
    cls: type | None,
    where: ExistingModel | None,
    sa: Any,
    line_index: _LineIndex | None,
    sources: ParsedSources,
    home: Path | None = None,
) -> ModelTable:
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()
    path = where.path if where else (_source_file(cls) or home)
    class_name = (
        cls.__name__ if cls is not None else (where.class_name if where else None)
    )
    line = where.line if where else None
    if line is None and path and line_index is not None:
        line = line_index.class_line(path, class_name)
    lines = (
        line_index.lines(path, class_name, table.name)
        if path and line_index is not None
        else {}
    )
    columns = tuple(
        _column_facts(c, dialect, sa, lines.get(c.name)) for c in table.columns
    )
    constraints: list[ModelConstraint] = []
    # a constraint given to a Column(...) stays on the column, not in table.constraints
    on_columns = [k for c in table.columns for k in getattr(c, "constraints", ())]
    for constraint in [*table.constraints, *on_columns]:
        fact = _constraint_facts(constraint, dialect, sa)
        if fact is not None:
            constraints.append(fact)
    indexes = tuple(_index_facts(i, dialect, sa) for i in table.indexes)
    return ModelTable(
        schema=table.schema,
        name=table.name,
        class_name=class_name,
        path=path,
        line=line,
        generated=where.generated if where else _generated_file(path, sources),
        columns=columns,
        constraints=_sorted_keys(constraints),
        indexes=tuple(sorted(indexes, key=lambda i: (i.name or "", i.elements))),
        comment=table.comment,
    )


def _generated_file(path: Path | None, sources: ParsedSources) -> bool:
    """Whether ``path`` carries modelgen's header (read once, never parsed)."""
    return path is not None and sources.generated(path)


def with_lines(
    models: ModelSet, paths: set[Path], sources: ParsedSources | None = None
) -> ModelSet:
    """``models`` with the class and column lines of the tables in ``paths`` (each
    file parsed once), for a model set loaded with ``lines=False``."""
    sources = sources or ParsedSources()
    index = _LineIndex(sources)
    wanted = {p.resolve() for p in paths}
    scanned: dict[tuple[Path, str | None, str], ExistingModel] = {}
    for file in sorted(wanted):
        for model in scan_models(file.parent, sources, only=file):
            scanned.setdefault((file, model.class_name, model.table), model)
    located: list[ModelTable] = []
    for table in models.tables:
        home = table.path.resolve() if table.path else None
        if home is None or home not in wanted:
            located.append(table)
            continue
        found = scanned.get((home, table.class_name, table.name))
        lines = index.lines(home, table.class_name, table.name)
        located.append(
            replace(
                table,
                line=table.line
                or (found.line if found else index.class_line(home, table.class_name)),
                columns=(
                    tuple(
                        replace(c, line=c.line or lines.get(c.name))
                        for c in table.columns
                    )
                    if table.columns is not None
                    else None
                ),
            )
        )
    return replace(models, tables=tuple(located))


def _source_file(cls: type | None) -> Path | None:
    if cls is None:
        return None
    module = sys.modules.get(cls.__module__)
    filename = getattr(module, "__file__", None)
    return Path(filename) if filename else None


def sql_text(clause: Any, dialect: Any) -> str:
    """SQL text of a string, text() or expression, as the model would send it."""
    if isinstance(clause, str):
        return clause
    text = getattr(clause, "text", None)
    if isinstance(text, str):
        return text
    return str(clause.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def _try_sql(clause: Any, dialect: Any) -> str | None:
    """``sql_text``, or None when the clause cannot be compiled."""
    try:
        return sql_text(clause, dialect)
    except Exception:  # noqa: BLE001 - a user's odd clause is "unknown", not a crash
        return None


def _without_collation(type_: Any) -> tuple[Any, tuple[str, str | None] | None]:
    """The type with its COLLATE taken off (compiled, ``TEXT COLLATE "C"`` is not a
    type name production's ``text`` can match), and that collation."""
    collation = getattr(type_, "collation", None)
    if not isinstance(collation, str):
        return type_, None
    bare = copy.copy(type_)
    bare.collation = None
    schema = getattr(type_, "collation_schema", None)
    return bare, (collation, schema if isinstance(schema, str) else None)


def _column_facts(column: Any, dialect: Any, sa: Any, line: int | None) -> ModelColumn:
    type_, collation = _without_collation(column.type)
    try:
        type_sql: str | None = None
        if not isinstance(type_, sa.types.NullType):
            type_sql = type_.compile(dialect=dialect)
    except Exception:  # noqa: BLE001 - a type the dialect cannot print is "unknown"
        type_sql = None
    element = getattr(type_, "item_type", type_)
    enum_name = enum_schema = None
    labels: tuple[str, ...] = ()
    if isinstance(element, sa.Enum) and element.native_enum:
        enum_name, enum_schema, labels = (
            element.name,
            element.schema,
            tuple(element.enums),
        )
    default = column.server_default
    default_sql = None
    if default is not None and not isinstance(default, sa.Identity | sa.Computed):
        arg = getattr(default, "arg", None)
        if isinstance(arg, str):
            default_sql = "'" + arg.replace("'", "''") + "'"
        elif arg is not None:
            default_sql = _try_sql(arg, dialect)
    return ModelColumn(
        name=column.name,
        type_sql=type_sql,
        nullable=bool(column.nullable),
        primary_key=bool(column.primary_key),
        server_default=default_sql,
        comment=column.comment,
        enum_name=enum_name,
        enum_schema=enum_schema,
        enum_labels=labels,
        line=line,
        collation=collation,
    )


def _constraint_facts(constraint: Any, dialect: Any, sa: Any) -> ModelConstraint | None:
    name = _name(constraint.name)
    columns = tuple(c.name for c in constraint.columns)
    if isinstance(constraint, sa.PrimaryKeyConstraint):
        return ModelConstraint("p", name, _key_order(constraint)) if columns else None
    if isinstance(constraint, sa.UniqueConstraint):
        return ModelConstraint("u", name, columns)
    if isinstance(constraint, sa.CheckConstraint):
        if getattr(constraint, "_type_bound", False):
            return None  # created by a non-native Enum/Boolean, not declared by hand
        text = _try_sql(constraint.sqltext, dialect)
        return ModelConstraint("c", name, columns, expression=text)
    if isinstance(constraint, sa.ForeignKeyConstraint):
        targets = [e.target_fullname.split(".") for e in constraint.elements]
        ref = targets[0] if targets else []
        # no schema in the target: the MetaData's schema, else the default one
        # (never the schema of the table holding the key)
        ref_schema = ref[-3] if len(ref) >= 3 else _metadata_schema(constraint)
        ref_table = ref[-2] if len(ref) >= 2 else None
        return ModelConstraint(
            "f",
            name,
            tuple(e.parent.name for e in constraint.elements),
            ref_schema=ref_schema,
            ref_table=ref_table,
            ref_columns=tuple(t[-1] for t in targets),
            on_delete=constraint.ondelete,
            on_update=constraint.onupdate,
        )
    if type(constraint).__name__ == "ExcludeConstraint":
        return ModelConstraint("x", name, columns)
    return None


def _sorted_keys(keys: Iterable[ModelConstraint]) -> tuple[ModelConstraint, ...]:
    return tuple(sorted(keys, key=lambda c: (c.kind, c.name or "", c.columns)))


def _key_order(key: Any) -> tuple[str, ...]:
    """A primary key's columns in the order ``CREATE TABLE`` gets them (the index's
    order): a key made of ``primary_key=True`` columns puts its ``autoincrement=True``
    column first (SQLAlchemy's DDL compiler does the same)."""
    columns = key.columns
    if getattr(key, "_implicit_generated", False):
        try:
            columns = key.columns_autoinc_first
        except Exception:  # noqa: BLE001 - a bad autoincrement is not this finding
            pass
    return tuple(c.name for c in columns)


def _metadata_schema(constraint: Any) -> str | None:
    table = getattr(constraint, "table", None)
    schema = getattr(getattr(table, "metadata", None), "schema", None)
    return schema if isinstance(schema, str) else None


def _index_facts(index: Any, dialect: Any, sa: Any) -> ModelIndex:
    elements: list[str] = []
    for expr in index.expressions:
        if isinstance(expr, sa.Column):
            elements.append(expr.name)
        else:
            text = _try_sql(expr, dialect)
            elements.append(text if text is not None else str(expr))
    options = index.dialect_options["postgresql"]
    where = options.get("where")
    predicate = None
    if where is not None:
        predicate = _try_sql(where, dialect)
        if predicate is None:
            predicate = str(where)
    using = options.get("using")
    return ModelIndex(
        name=_name(index.name),
        unique=bool(index.unique),
        elements=tuple(elements),
        predicate=predicate,
        method=str(using) if using else None,
    )


def column_lines(
    path: Path | None, class_name: str | None, table: str
) -> dict[str, int]:
    """Column name -> line of its ``Column(...)`` / ``mapped_column(...)`` in the class (ast)."""
    if path is None:
        return {}
    return _LineIndex(ParsedSources()).lines(path, class_name, table)


# class name -> column -> line, table name -> column -> line,
# class name -> (line of the class, the names of its bases),
# base name -> the classes naming it as a base, in file order
_FileLines = tuple[
    dict[str, dict[str, int]],
    dict[str, dict[str, int]],
    dict[str, tuple[int, tuple[str, ...]]],
    dict[str, list[str]],
]


class _LineIndex:
    """The column lines of every class and ``Table(...)`` of a file, from one walk of its tree."""

    def __init__(self, sources: ParsedSources) -> None:
        self._sources = sources
        self._files: dict[Path, _FileLines] = {}

    def _file(self, path: Path) -> _FileLines:
        if path not in self._files:
            parsed = self._sources.get(path)
            self._files[path] = _file_lines(parsed[1]) if parsed else ({}, {}, {}, {})
        return self._files[path]

    def lines(self, path: Path, class_name: str | None, table: str) -> dict[str, int]:
        by_class, by_table, classes, children = self._file(path)
        found = dict(by_table.get(table, {}))
        found.update(by_class.get(class_name or "", {}))
        # subclasses in the file (single-table inheritance) declare columns too:
        # found through the map of bases, not by reading every class per table
        family: set[str] = set()
        pending = [class_name] if class_name else []
        while pending:
            for name in children.get(pending.pop(), []):
                if name not in family and name != class_name:
                    family.add(name)
                    pending.append(name)
        for name in sorted(family, key=lambda n: classes[n][0]):  # file order
            for column, line in by_class.get(name, {}).items():
                found.setdefault(column, line)
        return found

    def class_line(self, path: Path, class_name: str | None) -> int | None:
        """The line of ``class NAME``: for a class the scan of ``__tablename__``
        does not see (a table named from the class)."""
        found = self._file(path)[2].get(class_name or "")
        return found[0] if found else None


def _file_lines(tree: ast.Module) -> _FileLines:
    """(class name -> column -> line, table name -> column -> line) of one module.

    Walks statements only (every class at any depth, ``Table(...)`` bound or
    called as a statement), never into the expressions of the columns: a full
    ``ast.walk`` of a 2,000-table module visits half a million nodes.
    """
    by_class: dict[str, dict[str, int]] = {}
    by_table: dict[str, dict[str, int]] = {}
    classes: dict[str, tuple[int, tuple[str, ...]]] = {}
    children: dict[str, list[str]] = {}
    for stmt in statements(tree.body):
        if isinstance(stmt, ast.ClassDef):
            bases = tuple(
                b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "")
                for b in stmt.bases
            )
            if stmt.name not in classes:
                classes[stmt.name] = (stmt.lineno, bases)
                for base in dict.fromkeys(bases):
                    children.setdefault(base, []).append(stmt.name)
            lines = by_class.setdefault(stmt.name, {})
            for member in stmt.body:
                target, value = _assignment(member)
                if (
                    target is not None
                    and isinstance(value, ast.Call)
                    and _is_column_call(value)
                ):
                    lines.setdefault(_column_name(value) or target, member.lineno)
                elif target is not None and value is None and _is_mapped(member):
                    lines.setdefault(target, member.lineno)  # `title: Mapped[str]`
            continue
        call = statement_call(stmt)
        if call is not None and (table := _table_call_name(call)):
            lines = by_table.setdefault(table, {})
            for arg in call.args[1:]:
                if isinstance(arg, ast.Call) and _is_column_call(arg):
                    name = _column_name(arg)
                    if name:
                        lines.setdefault(name, arg.lineno)
    return by_class, by_table, classes, children


def _assignment(stmt: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
        return (target.id if isinstance(target, ast.Name) else None), stmt.value
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return stmt.target.id, stmt.value
    return None, None


def _is_mapped(stmt: ast.stmt) -> bool:
    """An annotation ``Mapped[T]`` (a typed column when nothing is assigned)."""
    if not isinstance(stmt, ast.AnnAssign) or not isinstance(
        stmt.annotation, ast.Subscript
    ):
        return False
    head = stmt.annotation.value
    name = head.attr if isinstance(head, ast.Attribute) else getattr(head, "id", None)
    return name == "Mapped"


def _is_column_call(node: ast.Call) -> bool:
    return call_name(node) in ("Column", "mapped_column")


def _table_call_name(node: ast.Call) -> str | None:
    """``"t"`` for ``Table("t", ...)``."""
    if call_name(node) != "Table" or not node.args:
        return None
    first = node.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    return None


def _column_name(node: ast.Call) -> str | None:
    if node.args and isinstance(node.args[0], ast.Constant):
        value = node.args[0].value
        if isinstance(value, str):
            return value
    for kw in node.keywords:
        if kw.arg == "name" and isinstance(kw.value, ast.Constant):
            return str(kw.value.value)
    return None
