"""Load and validate modelgen.toml or pyproject's [tool.modelgen]; every error names file and key."""

from __future__ import annotations

import keyword
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelgen.errors import ConfigError

STYLES = ("classic", "typed")
_MODULE_FILE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.py")
_DOTTED = re.compile(r"\.?[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

KEYS = {
    "url_env": "environment variable holding the production database URL",
    "output": "package directory the generated model files are written into",
    "db_import": "module that defines `db = SQLAlchemy()` (imported as `from X import db`)",
    "models": "directory of hand-written models, scanned for __tablename__",
    "schemas": "database schemas to read",
    "ignore": "tables that never get a model",
    "style": '"classic" (db.Column) or "typed" (Mapped[...] = db.mapped_column)',
    "templates": "folder of templates overriding the built-in ones, file by file",
    "class_names": "table -> class name overrides",
    "groups": "group -> {file.py -> [tables]}",
    "views": "bootstrap only: also map views and materialized views, read-only",
    "models_import": "dotted package `modelgen drift` imports the models from (default: derived from models)",
    "app_path": "folder put on sys.path to import models_import (default: the config's folder)",
    "ignore_findings": "drift findings to ignore: pattern -> reason (see docs/drift.md)",
    "relationship_names": '"table.column" -> relationship name, or {name, back} (see docs)',
    "bind": "Flask-SQLAlchemy bind key of these tables' database (SQLALCHEMY_BINDS)",
}


@dataclass(frozen=True)
class FileSpec:
    group: str
    filename: str
    tables: tuple[str, ...]  # as written in the config: "name" or "schema.name"
    keys: tuple[
        tuple[str, str], ...
    ] = ()  # exact (schema, name), when known (bootstrap)


@dataclass(frozen=True)
class Config:
    path: Path | None  # None: no config file (bootstrap mode)
    root: Path  # directory relative paths are resolved against
    url_env: str = "DATABASE_URL"
    output: Path | None = None
    db_import: str = "app.extensions"
    models: Path | None = None
    schemas: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    style: str = "classic"
    templates: Path | None = None
    class_names: dict[str, str] = field(default_factory=dict)
    files: tuple[FileSpec, ...] = ()
    views: bool = False  # bootstrap: map views read-only too (with groups: list them)
    models_import: str | None = None  # None: derived from `models` relative to app_path
    app_path: Path | None = None  # None: the config's folder
    ignore_findings: dict[str, str] = field(default_factory=dict)
    # "table.column" (or "table.constraint") -> (relationship name, reverse name or None)
    relationship_names: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    bind: str | None = (
        None  # Flask-SQLAlchemy bind key: __bind_key__, SQLALCHEMY_BINDS[bind]
    )
    keys: frozenset[str] = frozenset()  # the keys the file sets (the rest are defaults)
    # `flask modelgen`: the app's database URL, used when neither --url nor url_env gives one
    fallback_url: str | None = field(default=None, repr=False, compare=False)
    split: int = 0  # bootstrap: at most this many tables per module (0: one per schema)

    @property
    def groups(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for spec in self.files:
            seen.setdefault(spec.group)
        return tuple(seen)

    @property
    def bootstrap(self) -> bool:
        """No config file at all: every table of every schema gets a model."""
        return self.path is None

    @property
    def label(self) -> str:
        return str(self.path) if self.path else "command line"

    def files_for(self, groups: list[str] | tuple[str, ...]) -> tuple[FileSpec, ...]:
        return tuple(spec for spec in self.files if spec.group in groups)


def find_config(explicit: Path | None, cwd: Path) -> Path | None:
    """--config, else the nearest folder from ``cwd`` upward holding modelgen.toml or a
    pyproject.toml with [tool.modelgen] (modelgen.toml first), as git and ruff look.

    A relative --config is looked for the same way, from ``cwd`` upward: the
    ``Regenerate:`` line of a generated file (``--config modelgen.toml``) then
    works from any folder of the project, the models folder included."""
    if explicit is not None:
        found = _upward(explicit, cwd) if not explicit.is_absolute() else None
        if found is not None:
            return found
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: config file not found")
        return explicit
    for folder in (cwd, *cwd.parents):
        candidate = folder / "modelgen.toml"
        if candidate.is_file():
            return candidate
        if _has_tool_modelgen(folder / "pyproject.toml"):
            return folder / "pyproject.toml"
    return None


def _upward(relative: Path, cwd: Path) -> Path | None:
    """The nearest ``folder / relative`` from ``cwd`` upward that is a config (a
    pyproject.toml only with [tool.modelgen]: a subproject's own one is passed by)."""
    for folder in (cwd, *cwd.parents):
        candidate = folder / relative
        if candidate.is_file() and (
            candidate.name != "pyproject.toml" or _has_tool_modelgen(candidate)
        ):
            return candidate
    return None


def _has_tool_modelgen(pyproject: Path) -> bool:
    if not pyproject.is_file():
        return False
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return False  # not ours to judge: a project's own broken pyproject
    return isinstance(data.get("tool"), dict) and "modelgen" in data["tool"]


def load_config(path: Path | None, cwd: Path | None = None) -> Config:
    """Read and validate a config file; ``None`` gives the no-config (bootstrap) defaults."""
    if path is None:
        return Config(path=None, root=(cwd or Path.cwd()))
    label = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{label}: cannot read config: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{label}: invalid TOML: {exc}") from None
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        if not isinstance(tool, dict) or "modelgen" not in tool:
            raise ConfigError(f"{label}: no [tool.modelgen] table")
        data = tool["modelgen"]
        prefix = "tool.modelgen."
    else:
        prefix = ""
    return _validate(data, path, prefix)


def _validate(data: dict[str, Any], path: Path, prefix: str) -> Config:
    label = str(path)
    root = path.parent

    def err(key: str, message: str) -> ConfigError:
        return ConfigError(f"{label}: key '{prefix}{key}': {message}")

    for key in data:
        if key not in KEYS:
            raise err(key, f"unknown key (known: {', '.join(sorted(KEYS))})")

    def string(key: str, default: str | None = None) -> str | None:
        value = data.get(key, default)
        if value is not None and not isinstance(value, str):
            raise err(key, "must be a string")
        if value is not None and not value.strip():
            raise err(key, "must not be empty")
        return value

    def strings(key: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(
            isinstance(v, str) and v for v in value
        ):
            raise err(key, "must be a list of non-empty strings")
        return tuple(value)

    def directory(key: str) -> Path | None:
        value = string(key)
        return (root / value).resolve() if value else None

    views = data.get("views", False)
    if not isinstance(views, bool):
        raise err("views", "must be true or false")
    style = string("style", "classic")
    if style not in STYLES:
        raise err("style", f"must be one of {', '.join(STYLES)}, not {style!r}")
    db_import = string("db_import", "app.extensions") or "app.extensions"
    if not _DOTTED.fullmatch(db_import):
        raise err(
            "db_import", f"{db_import!r} is not a module path like app.extensions"
        )
    url_env = string("url_env", "DATABASE_URL") or "DATABASE_URL"
    if not _IDENT.fullmatch(url_env):
        raise err("url_env", f"{url_env!r} is not an environment variable name")

    class_names = data.get("class_names", {})
    if not isinstance(class_names, dict):
        raise err("class_names", 'must be a table of table = "ClassName"')
    for table, cls in class_names.items():
        if (
            not isinstance(cls, str)
            or not _IDENT.fullmatch(cls)
            or keyword.iskeyword(cls)
        ):
            raise err(f"class_names.{table}", f"{cls!r} is not a valid class name")

    models_import = string("models_import")
    if models_import is not None and not _DOTTED.fullmatch(models_import):
        raise err(
            "models_import", f"{models_import!r} is not a module path like app.models"
        )
    if models_import is not None and models_import.startswith("."):
        raise err("models_import", "must be an absolute module path like app.models")
    ignore_findings = data.get("ignore_findings", {})
    if not isinstance(ignore_findings, dict):
        raise err("ignore_findings", 'must be a table of "pattern" = "reason"')
    for pattern, reason in ignore_findings.items():
        if not isinstance(reason, str) or not reason.strip():
            raise err(
                f"ignore_findings.{pattern}",
                "every ignored finding needs a reason (a non-empty string)",
            )

    bind = string("bind")
    if bind is not None and not bind.isprintable():
        raise err("bind", f"{bind!r} is not a bind key")
    files = _groups(data.get("groups", {}), err)
    relationship_names = _relationship_names(data.get("relationship_names", {}), err)
    return Config(
        path=path,
        root=root,
        url_env=url_env,
        output=directory("output"),
        db_import=db_import,
        models=directory("models"),
        schemas=strings("schemas"),
        ignore=strings("ignore"),
        style=style or "classic",
        templates=directory("templates"),
        class_names=dict(class_names),
        files=files,
        models_import=models_import,
        app_path=directory("app_path"),
        ignore_findings={k: v.strip() for k, v in ignore_findings.items()},
        views=views,
        relationship_names=relationship_names,
        bind=bind,
        keys=frozenset(data),
    )


def _relationship_names(names: Any, err: Any) -> dict[str, tuple[str, str | None]]:
    """``"invoices.issued_to" = "issuer"`` or ``= {name = "issuer", back = "issued"}``."""
    if not isinstance(names, dict):
        raise err("relationship_names", 'must be a table of "table.column" = "name"')
    result: dict[str, tuple[str, str | None]] = {}
    for key, value in names.items():
        where = f"relationship_names.{key}"
        if "." not in key.strip(".") or not all(key.split(".")):
            raise err(where, "must be table.column (the foreign key's column)")
        if isinstance(value, str):
            value = {"name": value}
        if not isinstance(value, dict) or set(value) - {"name", "back"}:
            raise err(where, 'must be "name" or {name = "...", back = "..."}')
        chosen = (value.get("name"), value.get("back"))
        for part in chosen:
            if part is not None and (
                not isinstance(part, str)
                or not _IDENT.fullmatch(part)
                or keyword.iskeyword(part)
                or part.startswith("__")
            ):
                raise err(where, f"{part!r} is not a valid attribute name")
        if chosen[0] is None:
            raise err(where, "needs a name")
        result[key] = (chosen[0], chosen[1])
    return result


def _groups(groups: Any, err: Any) -> tuple[FileSpec, ...]:
    if not isinstance(groups, dict):
        raise err("groups", "must be a table of [groups.NAME] tables")
    files: list[FileSpec] = []
    owner: dict[str, str] = {}
    filenames: dict[str, str] = {}
    for group, mapping in groups.items():
        if not _IDENT.fullmatch(group):
            raise err(f"groups.{group}", "group names must be identifiers")
        if not isinstance(mapping, dict) or not mapping:
            raise err(
                f"groups.{group}",
                'must map file names to tables: "file.py" = ["table"]',
            )
        for filename, tables in mapping.items():
            key = f"groups.{group}.{filename}"
            if not _MODULE_FILE.fullmatch(filename) or keyword.iskeyword(filename[:-3]):
                raise err(key, "file names must be Python module names ending in .py")
            if filename == "__init__.py":
                raise err(key, "__init__.py is never generated")
            if filename in filenames:
                raise err(
                    key, f"file is already listed in group '{filenames[filename]}'"
                )
            filenames[filename] = group
            if (
                not isinstance(tables, list)
                or not tables
                or not all(isinstance(t, str) and t for t in tables)
            ):
                raise err(key, "must be a non-empty list of table names")
            for table in tables:
                if table in owner:
                    raise err(
                        key, f"table '{table}' is already mapped to {owner[table]}"
                    )
                owner[table] = f"groups.{group}.{filename}"
            files.append(FileSpec(group, filename, tuple(tables)))
    return tuple(files)
