"""The Alembic side of every modelgen revision: the versions folder (heads, ids read
with ``ast``, never imported), and running a revision's ``upgrade()`` offline for
``--sql``."""

from __future__ import annotations

import ast
import io
import re
import types
from pathlib import Path
from typing import Any

from modelgen.errors import ModelgenError

LOG_TABLE = "modelgen_migration_log"


class MigrationError(ModelgenError):
    """The revision cannot be written: versions folder, heads, selection (exit 2)."""


def _string_or_none(node: ast.expr | None) -> tuple[str, ...] | None:
    if isinstance(node, ast.Constant) and node.value is None:
        return ()
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (node.value,)
    if isinstance(node, ast.Tuple | ast.List) and all(
        isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts
    ):
        return tuple(e.value for e in node.elts)  # type: ignore[attr-defined]
    return None


def read_revisions(versions_dir: Path) -> dict[str, tuple[str, ...]]:
    """revision -> the revisions it names as down_revision, for every script in the folder."""
    found: dict[str, tuple[str, ...]] = {}
    for path in sorted(versions_dir.glob("*.py")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise MigrationError(f"{path}: cannot read revision: {exc}") from None
        values = _revision_values(text, path)
        revision = values.get("revision")
        if not revision:
            continue  # not a revision script (an __init__.py, a helper)
        down = values.get("down_revision")
        if down is None:
            raise MigrationError(f"{path}: down_revision is not a literal")
        if revision[0] in found:
            raise MigrationError(f"{path}: revision {revision[0]!r} appears twice")
        found[revision[0]] = down
    return found


# the first top-level function or class: Alembic's templates and modelgen's
# assign revision and down_revision before it, and all that follows it is the
# migration's body (a 10,000-table revision takes 12 s of CPU to parse whole)
_FIRST_DEFINITION = re.compile(r"^(?:def |async def |class |@)", re.MULTILINE)


def _revision_values(text: str, path: Path) -> dict[str, tuple[str, ...] | None]:
    """``revision`` and ``down_revision`` as the script assigns them: from the
    statements before its first function or class when both are there (a
    prefix that parses is whole statements: a cut inside a string or brackets
    is a syntax error), else from the whole script."""
    first = _FIRST_DEFINITION.search(text)
    if first is not None:
        try:
            values = _assigned(ast.parse(text[: first.start()], str(path)))
        except (SyntaxError, ValueError):
            values = {}
        if "revision" in values and "down_revision" in values:
            return values
    try:
        return _assigned(ast.parse(text, str(path)))
    except (SyntaxError, ValueError) as exc:
        raise MigrationError(f"{path}: cannot read revision: {exc}") from None


def _assigned(tree: ast.Module) -> dict[str, tuple[str, ...] | None]:
    values: dict[str, tuple[str, ...] | None] = {}
    for node in tree.body:
        target, value = None, None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
            values[target.id] = _string_or_none(value)
    return values


def find_head(versions_dir: Path) -> str | None:
    """The revision no other revision names as down_revision; None for an empty folder."""
    revisions = read_revisions(versions_dir)
    named = {down for downs in revisions.values() for down in downs}
    heads = sorted(r for r in revisions if r not in named)
    if len(heads) > 1:
        raise MigrationError(
            f"{versions_dir}: several heads ({', '.join(heads)}): merge them first "
            "(alembic merge heads)"
        )
    return heads[0] if heads else None


def slug(message: str) -> str:
    text = re.sub(r"[^0-9A-Za-z]+", "_", message).strip("_").lower()
    return text[:40].rstrip("_") or "modelgen"


# -- --sql: what upgrade() would run here ------------------------------------


def load_revision(content: str, label: str) -> types.ModuleType:
    """The revision as a module (what Alembic does with the file)."""
    module = types.ModuleType("modelgen_revision")
    module.__file__ = label
    exec(compile(content, label, "exec"), module.__dict__)
    return module


def catalog_rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    """The revision's own catalog query, run read-only against ``url``."""
    from modelgen.catalog.connect import connect

    with connect(url) as conn:
        cur = conn.cursor()
        cur.execute("BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            cur.execute(sql)
            return [tuple(row) for row in cur.fetchall()]
        finally:
            cur.execute("ROLLBACK")


def upgrade_sql(content: str, label: str, rows: list[tuple[Any, ...]] | None) -> str:
    """The SQL ``upgrade()`` emits for a database whose catalog query gave ``rows``
    (None: an empty database), by running it in Alembic's offline mode."""
    return offline_run(
        content, label, {} if rows is None else {"modelgen_catalog": rows}
    )


def offline_run(content: str, label: str, extra: dict[str, Any]) -> str:
    """The SQL a revision's ``upgrade()`` emits in Alembic's offline mode, with
    ``extra`` in the context's options (what the revision's runtime reads instead
    of the catalog: group revisions ``modelgen_catalog``, ``--from`` ones
    ``modelgen_forms``).  A revision that stops (SystemExit: one line) is a
    MigrationError."""
    try:
        from alembic.operations import Operations
        from alembic.runtime.migration import MigrationContext
    except ImportError:
        raise MigrationError("--sql needs Alembic: pip install alembic") from None
    module = load_revision(content, label)
    buffer = io.StringIO()
    opts: dict[str, Any] = {
        "as_sql": True,
        "output_buffer": buffer,
        "literal_binds": True,
        **extra,
    }
    context = MigrationContext.configure(
        dialect_name="postgresql", dialect_opts={"paramstyle": "named"}, opts=opts
    )
    try:
        with Operations.context(context), context.begin_transaction():
            # a revision for a bind (`bind_key`) runs only when called with its name
            module.upgrade(*[module.bind_key] if hasattr(module, "bind_key") else [])
    except SystemExit as exc:  # MissingPrerequisite, StepFailed
        raise MigrationError(str(exc)) from None
    return buffer.getvalue()
