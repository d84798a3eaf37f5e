"""Prove generated models recreate production: create them in a scratch database and compare.

The generated package is written to a temporary folder, imported under a
unique name, and ``metadata.create_all`` runs against a fresh database on the
scratch server; that database is reflected exactly as production was and the
two Schemas are compared fact by fact (modelgen.catalog.compare).
"""

from __future__ import annotations

import importlib
import secrets
import sys
import tempfile
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

from modelgen.catalog.compare import compare_schemas
from modelgen.catalog.prerequisites import Prerequisite, find_prerequisites
from modelgen.catalog.reflect import reflect_url
from modelgen.catalog.schema import Schema
from modelgen.catalog.scratch import find_server, scratch_database
from modelgen.config import Config
from modelgen.errors import ModelgenError, first_line
from modelgen.gcpause import collector_paused
from modelgen.generate.pipeline import generate_files
from modelgen.runtime import BATCH, commit_every


@dataclass(frozen=True)
class VerifyResult:
    tables: int
    differences: tuple[str, ...]
    not_modelled: tuple[str, ...]


def fk_closure(schema: Schema, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """``keys`` plus every table their foreign keys reach, transitively."""
    known = {t.key: t for t in schema.tables}
    todo = [k for k in keys if k in known]
    seen = set(todo)
    while todo:
        for fk in known[todo.pop()].foreign_keys:
            target = (fk.ref_schema, fk.ref_table)
            if target in known and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def verify_schema(
    schema: Schema,
    scratch_admin_url: str | None = None,
    tables: set[tuple[str, str]] | None = None,
    style: str = "classic",
    views: bool = False,
) -> VerifyResult:
    """Generate models for ``tables`` (default: all) and the tables their foreign keys
    reach, create them in a fresh scratch database, and compare ``tables`` with it.

    The columns, constraints and indexes are rendered by the same code in
    bootstrap and config mode, so this proves both.
    """
    with collector_paused():
        return _verify_schema(schema, scratch_admin_url, tables, style, views)


def _verify_schema(
    schema: Schema,
    scratch_admin_url: str | None,
    tables: set[tuple[str, str]] | None,
    style: str,
    views: bool,
) -> VerifyResult:
    if tables is not None:
        closure = fk_closure(schema, tables)
        schema = replace(
            schema, tables=tuple(t for t in schema.tables if t.key in closure)
        )
    admin = find_server(scratch_admin_url)
    package = f"modelgen_verify_{secrets.token_hex(4)}"
    config = Config(path=None, root=Path.cwd(), style=style, views=views)
    with tempfile.TemporaryDirectory(prefix="modelgen-verify-") as tmp:
        out = Path(tmp) / package
        generation = generate_files(schema, config, out=out, hashes=False)
        for item in generation.files:
            item.path.parent.mkdir(parents=True, exist_ok=True)
            item.path.write_text(item.content, encoding="utf-8")
        sys.path.insert(0, tmp)
        try:
            module = importlib.import_module(package)
            with scratch_database(admin) as url:
                _create_all(url, module.db, schema)
                actual = reflect_url(url)
        except ModelgenError:
            raise
        except (
            Exception
        ) as exc:  # the generated code failed: a finding, reported as one line
            raise ModelgenError(
                f"generated models could not be created: {type(exc).__name__}: {first_line(exc)}"
            ) from None
        finally:
            sys.path.remove(tmp)
            for name in [
                m for m in sys.modules if m == package or m.startswith(package + ".")
            ]:
                del sys.modules[name]
    generated = _generated(generation)
    keys = [t.key for t in schema.tables if f"{t.schema}.{t.name}" in generated]
    if tables is not None:
        keys = [k for k in keys if k in tables]
    diffs = compare_schemas(schema, actual, keys)
    known = {t.key for t in schema.tables}
    diffs += [
        f"{t.schema}.{t.name}: created by the models but not in production"
        for t in actual.tables
        if t.key not in known
    ]
    return VerifyResult(len(keys), tuple(diffs), generation.plan.unmodelled)


def _generated(generation: object) -> set[str]:
    names: set[str] = set()
    for item in generation.files:  # type: ignore[attr-defined]
        names.update(item.tables)
    return names


def _create_all(url: str, db: object, schema: Schema) -> None:
    """Create the prerequisites and ``db.metadata``'s tables, and configure the models."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with commit_every(COMMIT_EVERY):
            _create(engine, db, schema)
    finally:
        engine.dispose()


# Tables created per transaction: one transaction holding thousands of CREATEs
# runs out of PostgreSQL's lock table (modelgen.runtime), and the scratch
# database is thrown away, so nothing needs it to be atomic.
COMMIT_EVERY = BATCH


def _create(engine: object, db: object, schema: Schema) -> None:
    if not _create_pipelined(engine, db, schema):
        _configure(db)  # the models' own failure is reported first
        with engine.begin() as conn:  # type: ignore[attr-defined]
            create_prerequisites(conn, find_prerequisites(schema))
            db.metadata.create_all(conn)  # type: ignore[attr-defined]


def _create_pipelined(engine: object, db: object, schema: Schema) -> bool:
    """The same, with the CREATE statements sent in one pipeline (psycopg 3).

    ``create_all`` runs as ever (the same statements in the same order, the same
    ``after_create`` listeners) but does not wait for each answer, and the
    mappers are configured while the server works.  The database is fresh, so it
    does not look for the tables and types first (checkfirst: a query, which a
    pipeline cannot answer mid-way); a prerequisite that made one of them fails
    here and the plain way skips it as it always did.  False when the driver has
    no pipeline or the server refused something: everything was rolled back and
    the caller does it again the plain way, which finds the same failure, worded
    the same, as it always did.  The models' own failure (configure) is raised
    here, as it would be there."""
    failure: Exception | None = None
    try:
        with engine.begin() as conn:  # type: ignore[attr-defined]
            pipeline = getattr(conn.connection.driver_connection, "pipeline", None)
            if pipeline is None:
                return False
            create_prerequisites(conn, find_prerequisites(schema))
            with pipeline():  # a fresh database: nothing to check first
                db.metadata.create_all(conn, checkfirst=False)  # type: ignore[attr-defined]
                try:
                    _configure(db)
                except Exception as exc:  # raised below, after the pipeline's end
                    failure = exc
            if failure is not None:
                raise failure
    except Exception:
        if failure is not None:
            raise failure from None
        return False
    return True


def _configure(db: object) -> None:
    """Configure only these models: a failure must not poison the process; a
    warning (overlapping relationships, ...) is a defect, reported as one."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", sa_warning())
        db.Model.registry.configure()  # type: ignore[attr-defined]


def create_prerequisites(conn: object, items: list[Prerequisite]) -> list[str]:
    """Create each prerequisite (guarded), repeating the ones that failed while any
    succeeds: a function's signature may need a type listed after it.  Function
    bodies are not checked (they may name tables that do not exist yet).  Returns
    what could still not be created; a table that needs it then fails visibly."""
    conn.exec_driver_sql("SET check_function_bodies = off")  # type: ignore[attr-defined]
    pending = list(items)
    while pending:
        failed = [item for item in pending if not _run(conn, item.guarded())]
        if len(failed) == len(pending):
            break
        pending = failed
    return [item.label for item in pending]


def _run(conn: object, statement: str) -> bool:
    """Run ``statement`` in a savepoint; False (and rolled back) if it fails."""
    import sqlalchemy as sa

    savepoint = conn.begin_nested()  # type: ignore[attr-defined]
    try:
        conn.exec_driver_sql(statement.replace("%", "%%"))  # type: ignore[attr-defined]
        savepoint.commit()
        return True
    except sa.exc.DBAPIError:
        savepoint.rollback()
        return False


def sa_warning() -> type[Warning]:
    from sqlalchemy.exc import SAWarning

    return SAWarning
