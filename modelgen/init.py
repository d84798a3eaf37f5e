"""`modelgen init`: a starting modelgen.toml for an app that has none, every key explained.

The tables the app's models lack go to a group ``unassigned``, one proposed
file per table; migration bookkeeping tables go to ``ignore``.  The text is
validated with ``config.load_config`` before it is written (temp file + rename),
and an existing file is never replaced.
"""

from __future__ import annotations

import ast
import json
import os
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelgen.catalog.schema import Schema, Table
from modelgen.config import load_config
from modelgen.drift.findings import display_name
from modelgen.drift.models import derive_module
from modelgen.errors import ConfigError, ModelgenError
from modelgen.files import new_file_mode
from modelgen.gcpause import collector_paused
from modelgen.generate import naming
from modelgen.generate.setup_detect import Setup, detect_setup
from modelgen.source.existing import (
    ExistingModel,
    models_in,
    parse_source,
    scan_models,
)

# bookkeeping tables of migration tools: never modelled
MIGRATION_TABLES = ("alembic_version", "flyway_schema_history", "schema_migrations")
_SKIP_DIRS = {".venv", "venv", "env", "node_modules", "site-packages", "__pycache__"}


@dataclass(frozen=True)
class InitResult:
    path: Path
    text: str
    missing: tuple[str, ...]
    ignored: tuple[str, ...]
    models: Path

    @property
    def summary(self) -> str:
        return (
            f"{len(self.missing)} table(s) without a model in group 'unassigned', "
            f"{len(self.ignored)} ignored, models in {_relative(self.models, self.path.parent)}"
        )


def find_models_dir(root: Path) -> Path | None:
    """The folder named ``models`` (up to 3 levels down) holding the most ``__tablename__``s."""
    best: tuple[int, Path] | None = None
    for current, dirs, _files in os.walk(root):
        here = Path(current)
        depth = len(here.relative_to(root).parts)
        dirs[:] = sorted(
            d for d in dirs if d not in _SKIP_DIRS and not d.startswith(".")
        )
        if depth >= 3:
            dirs[:] = []
        if here.name == "models" or here == root / "models":
            count = len(scan_models(here))
            if count and (best is None or count > best[0]):
                best = (count, here)
    return best[1] if best else None


def detect_db_import(models_dir: Path, models_module: str | None) -> str | None:
    """The module the models most often import ``db`` from."""
    return read_models(models_dir, models_module)[1]


def read_models(
    models_dir: Path, models_module: str | None
) -> tuple[tuple[ExistingModel, ...], str | None]:
    """The models under ``models_dir`` and the module they most often import ``db``
    from, each file parsed once and its tree dropped before the next.

    A second parse per file for the import, and a walk of every expression node
    of every tree, were two thirds of init; the trees of all files kept at once
    made its collector passes grow with the schema (25 s at 10,000 tables).
    """
    models: list[ExistingModel] = []
    counts: Counter[str] = Counter()
    with collector_paused():  # the trees die young: nothing for it to find
        for path in sorted(models_dir.rglob("*.py")):
            parsed = parse_source(path)
            if parsed is None:
                continue
            models += models_in(path, *parsed)
            for node in _db_imports(parsed[1]):
                module = _imported_from(node, path, models_dir, models_module)
                if module:
                    counts[module] += 1
            # gone before the collector is back: its first pass would walk the
            # last tree (0.6 s for a 4,000-table module)
            del parsed
    return tuple(models), counts.most_common(1)[0][0] if counts else None


def _db_imports(tree: ast.Module) -> list[ast.ImportFrom]:
    """The ``from ... import db`` statements of ``tree`` in ``ast.walk``'s order
    (breadth first: by depth, then in source order), found without entering
    expressions: imports are statements.  The order decides a tie between modules.
    """
    found: list[tuple[int, int, ast.ImportFrom]] = []

    def visit(body: list[Any], depth: int) -> None:
        for stmt in body:
            if isinstance(stmt, ast.ImportFrom) and any(
                alias.name == "db" for alias in stmt.names
            ):
                found.append((depth, len(found), stmt))
            for name in stmt._fields:  # in ast.walk's order: body, handlers, orelse...
                inner = getattr(stmt, name, None)
                if not isinstance(inner, list) or not inner:
                    continue
                if isinstance(inner[0], ast.stmt):
                    visit(inner, depth + 1)
                elif isinstance(inner[0], ast.excepthandler | ast.match_case):
                    for block in inner:  # a node of its own, the body below it
                        visit(block.body, depth + 2)

    visit(tree.body, 1)
    return [node for _, _, node in sorted(found, key=lambda f: f[:2])]


def _imported_from(
    node: ast.ImportFrom, path: Path, models_dir: Path, models_module: str | None
) -> str | None:
    if node.level == 0 and node.module:
        return node.module
    if not models_module:
        return None
    # the package the file is in, then one level up per extra dot
    package = models_module.split(".")
    package += list(path.parent.relative_to(models_dir).parts)
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else [])) if base else None


def _toml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def build_init_config(
    schema: Schema, config_path: Path, models_dir: Path
) -> InitResult:
    root = config_path.parent
    default = schema.default_schema
    rel_models = _relative(models_dir, root)
    module = derive_module(root, models_dir)
    models, db_import = read_models(models_dir, module)
    modelled = {(m.schema or default, m.table) for m in models}
    ignored = sorted(
        {
            display_name(*t.key, default)
            for t in schema.tables
            if t.name in MIGRATION_TABLES
        }
    )
    missing = []
    for table in sorted(schema.tables, key=lambda t: t.key):
        label = display_name(*table.key, default)
        if table.key not in modelled and label not in ignored:
            missing.append((table, label))
    schemas = sorted(_schemas_read(schema)) or [default]
    lines = _path_lines(rel_models, db_import, module)
    lines += _table_lines(schemas, ignored, detect_setup(root, db_import))
    lines += _group_lines(missing, default, models_dir)
    text = "\n".join(lines) + "\n"
    return InitResult(
        config_path,
        text,
        tuple(label for _, label in missing),
        tuple(ignored),
        models_dir,
    )


def _path_lines(
    rel_models: str, db_import: str | None, module: str | None
) -> list[str]:
    """Header, url_env, output, db_import, models, models_import and app_path."""
    lines = [
        "# modelgen configuration, written by `modelgen init`.",
        "# Paths are relative to this file. Review it, then run:",
        "#   modelgen generate --group unassigned --dry-run",
        "",
        "# Environment variable holding the production database URL (a read-only role is enough).",
        'url_env = "DATABASE_URL"',
        "",
        "# Package the generated model files are written into (here: beside the hand-written ones).",
        f"output = {_toml(rel_models)}",
        "",
        "# Module that defines `db = SQLAlchemy()`; generated files do `from <db_import> import db`.",
    ]
    if db_import:
        lines.append(f"db_import = {_toml(db_import)}")
    else:
        lines += [
            "# (not detected in the models: check this)",
            'db_import = "app.extensions"',
        ]
    lines += [
        "",
        "# Folder of the hand-written models: scanned for __tablename__ so no table is modelled twice.",
        f"models = {_toml(rel_models)}",
        "",
        "# Package `modelgen drift` imports to read the models' columns, with app_path on sys.path.",
    ]
    if module:
        lines += [f"models_import = {_toml(module)}", 'app_path = "."']
    else:
        lines += [
            "# (the models folder is not an importable package under this folder: set both)",
            '# models_import = "app.models"',
            '# app_path = "."',
        ]
    return lines


def _schemas_read(schema: Schema) -> set[str]:
    """The tables' schemas and those of the types their columns use (a domain's
    base too): a schema left out of ``schemas`` is not read, and its enums and
    domains would be unknown types in the models."""
    found = {t.schema for t in schema.tables}
    refs = [c.type for t in schema.tables for c in t.columns]
    seen: set[tuple[str, str]] = set()
    while refs:
        ref = refs.pop()
        if ref.schema == "pg_catalog" or (ref.schema, ref.name) in seen:
            continue
        seen.add((ref.schema, ref.name))
        found.add(ref.schema)
        domain = schema.domain(ref.schema, ref.name)
        if domain is not None:
            refs.append(domain.base)
    return found


def _setup_lines(setup: Setup) -> list[str]:
    """base and style, for the Flask-SQLAlchemy set-up the db module uses."""
    if setup.base is not None:
        kinds = " + ".join(setup.kinds) or "a declarative base"
        lines = [
            f"# The app passes {setup.base.partition(':')[2]} ({kinds}) as "
            "SQLAlchemy(model_class=...): the class",
            "# type checkers see under db.Model in the generated files (docs/typing.md).",
            f"base = {_toml(setup.base)}",
        ]
        if "MappedAsDataclass" in setup.kinds:
            lines.append(
                "# MappedAsDataclass: read docs/typing.md, 'MappedAsDataclass', first."
            )
        return [
            *lines,
            "",
            '# "typed": Mapped[...] = mapped_column(...), as a SQLAlchemy 2 base suggests;',
            '# "classic": db.Column(...).',
            'style = "typed"',
        ]
    found = "uses" if setup.found else "seems to use"
    return [
        f"# The app {found} `db = SQLAlchemy()` (no model_class): type checkers see",
        "# db.Model as SQLAlchemy's DeclarativeBase. With SQLAlchemy(model_class=Base), set",
        '# base = "app.extensions:Base"   (docs/typing.md)',
        "",
        '# "classic": db.Column(...); "typed": Mapped[...] = mapped_column(...).',
        'style = "classic"',
    ]


def _table_lines(schemas: list[str], ignored: list[str], setup: Setup) -> list[str]:
    """schemas, ignore, base, style and an empty [ignore_findings]."""
    return [
        "",
        "# Database schemas to read.",
        "schemas = [" + ", ".join(_toml(s) for s in schemas) + "]",
        "",
        "# Tables that never get a model (migration bookkeeping). Extension-owned",
        "# tables (PostGIS spatial_ref_sys, ...) are never read, so they need no entry.",
        "ignore = [" + ", ".join(_toml(t) for t in ignored) + "]",
        "",
        *_setup_lines(setup),
        "",
        "# Findings `modelgen drift` should not fail on, each with a reason",
        "# (or use a .modelgen-ignore file beside this one; see docs/drift.md).",
        "[ignore_findings]",
        '# "users.legacy_flag" = "kept for the old mobile app until 2026"',
        "",
    ]


def _group_lines(
    missing: list[tuple[Table, str]], default: str, models_dir: Path
) -> list[str]:
    """Group ``unassigned``: one new file per table without a model."""
    if not missing:
        return [
            "# Every table already has a model: no groups yet. Add [groups.NAME] tables",
            '# ("file.py" = ["table"]) when production grows new tables.',
        ]
    lines = [
        "# Groups: group -> file -> tables. `modelgen generate --group NAME` writes one",
        "# group's files. Every table without a model starts in its own file in group",
        "# `unassigned`: move them into groups and files that suit your team.",
        "[groups.unassigned]",
    ]
    taken = {p.stem for p in models_dir.glob("*.py")} | {"__init__"}
    for table, label in missing:
        base = naming.module_name(
            table.name if table.schema == default else f"{table.schema}_{table.name}"
        )
        filename = naming.unique(base, taken) + ".py"
        lines.append(f"{_toml(filename)} = [{_toml(label)}]")
    return lines


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix() or "."
    except ValueError:
        return os.path.relpath(path.resolve(), root.resolve()).replace(os.sep, "/")


def write_init_config(
    schema: Schema, config_path: Path, models: Path | None
) -> InitResult:
    """Build, validate and write the config; never replaces an existing file."""
    root = config_path.parent
    if models is not None:
        models_dir = models.resolve()
        if not models_dir.is_dir():
            raise ModelgenError(f"{models}: models folder not found")
    else:
        found = find_models_dir(root)
        if found is None:
            raise ModelgenError(
                f"no models folder with __tablename__ found under {root}: pass --models PATH"
            )
        models_dir = found
    result = build_init_config(schema, config_path, models_dir)
    root.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=root, prefix=f".{config_path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(result.text)
        os.chmod(tmp, new_file_mode())  # mkstemp's 0600 would outlive the link
        try:
            load_config(Path(tmp))
        except ConfigError as exc:  # a bug here, never the user's: say so plainly
            raise ModelgenError(
                f"modelgen init wrote an invalid config: {exc}"
            ) from None
        try:
            os.link(tmp, config_path)  # fails if the file appeared meanwhile
        except OSError as exc:  # FileExistsError, or no hard links on this filesystem
            if isinstance(exc, FileExistsError) or config_path.exists():
                raise ModelgenError(
                    f"{config_path}: already exists; modelgen init never overwrites a config"
                ) from None
            os.replace(tmp, config_path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return result
