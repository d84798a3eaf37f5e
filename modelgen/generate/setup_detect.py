"""Which Flask-SQLAlchemy set-up an app uses, read from its ``db`` module (never imported).

Flask-SQLAlchemy 3.1 documents two: ``db = SQLAlchemy()``, whose ``db.Model`` is a
plain declarative base, and ``db = SQLAlchemy(model_class=Base)`` with ``Base`` a
subclass of ``DeclarativeBase``, ``DeclarativeBaseNoMeta`` or ``MappedAsDataclass``
(the set-up its documentation gives for typed models).  ``modelgen init`` writes the
matching ``base`` and ``style`` (docs/typing.md).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

DECLARATIVE = ("DeclarativeBase", "DeclarativeBaseNoMeta", "MappedAsDataclass")


@dataclass(frozen=True)
class Setup:
    base: str | None  # "app.extensions:Base" for the config's `base`, or None
    kinds: tuple[str, ...] = ()  # the SQLAlchemy 2 bases that class names
    found: bool = False  # the module and its `db = SQLAlchemy(...)` were read


def module_file(root: Path, module: str) -> Path | None:
    """``app.extensions`` -> ``root/app/extensions.py`` (or its package's __init__)."""
    if module.startswith("."):
        return None
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def detect_setup(root: Path, db_import: str | None) -> Setup:
    """The set-up the module ``db_import`` (under ``root``) makes ``db`` with."""
    path = module_file(root, db_import) if db_import else None
    if path is None:
        return Setup(None)
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    except (SyntaxError, UnicodeDecodeError, ValueError, OSError):
        return Setup(None)
    call = _db_call(tree)
    if call is None:
        return Setup(None)
    model_class = next((k.value for k in call.keywords if k.arg == "model_class"), None)
    if not isinstance(model_class, ast.Name):
        return Setup(None, found=True)
    return Setup(
        f"{db_import}:{model_class.id}", _kinds(tree, model_class.id), found=True
    )


def is_dataclass_base(root: Path, base: str | None) -> bool:
    """Whether the config's ``base`` (``module:Name``) is a class of a module under
    ``root`` that subclasses ``MappedAsDataclass`` (read, never imported)."""
    if base is None:
        return False
    module, _, name = base.partition(":")
    path = module_file(root, module)
    if path is None:
        return False
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    except (SyntaxError, UnicodeDecodeError, ValueError, OSError):
        return False
    return "MappedAsDataclass" in _kinds(tree, name)


def _db_call(tree: ast.Module) -> ast.Call | None:
    """The ``SQLAlchemy(...)`` call assigned to ``db`` at module level."""
    for stmt in tree.body:
        if not isinstance(stmt, ast.Assign | ast.AnnAssign):
            continue
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        value = stmt.value
        if (
            any(isinstance(t, ast.Name) and t.id == "db" for t in targets)
            and isinstance(value, ast.Call)
            and _name(value.func) == "SQLAlchemy"
        ):
            return value
    return None


def _kinds(tree: ast.Module, name: str) -> tuple[str, ...]:
    """The SQLAlchemy 2 declarative bases class ``name`` of the module names."""
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == name:
            return tuple(b for b in map(_name, stmt.bases) if b in DECLARATIVE)
    return ()


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""
