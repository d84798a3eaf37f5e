"""What a team's test suite does with the generated package, and nothing more.

A fresh database, the package imported, ``db.create_all()``; then ``db.drop_all()``
must leave the database as it found it.  The prerequisites come from the
package's prerequisites.py; hand-written models rely on the same module.
"""

from __future__ import annotations

import importlib
import shutil
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import CORPUS, FIXTURES

from modelgen.catalog.reflect import reflect_url
from modelgen.catalog.scratch import scratch_database
from modelgen.catalog.snapshot import load_snapshot
from modelgen.config import Config, load_config
from modelgen.generate.pipeline import generate_files

# Every object a database holds outside the system schemas, described by the server.
OBJECTS_SQL = """
SELECT pg_describe_object('pg_namespace'::regclass, oid, 0) FROM pg_namespace
UNION ALL
SELECT pg_describe_object('pg_class'::regclass, c.oid, 0) FROM pg_class c
 JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
UNION ALL
SELECT pg_describe_object('pg_type'::regclass, t.oid, 0) FROM pg_type t
 JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
UNION ALL
SELECT pg_describe_object('pg_proc'::regclass, p.oid, 0) FROM pg_proc p
 JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
UNION ALL
SELECT pg_describe_object('pg_collation'::regclass, c.oid, 0) FROM pg_collation c
 JOIN pg_namespace n ON n.oid = c.collnamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
"""


def _objects(conn: sa.Connection) -> set[str]:
    return {row[0] for row in conn.exec_driver_sql(OBJECTS_SQL)}


@pytest.fixture
def importable(tmp_path: Path) -> Iterator[Path]:
    """A folder on sys.path; the packages imported from it are forgotten after."""
    sys.path.insert(0, str(tmp_path))
    before = set(sys.modules)
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        for name in set(sys.modules) - before:
            del sys.modules[name]


def _write(files: object) -> None:
    for item in files:  # type: ignore[attr-defined]
        item.path.parent.mkdir(parents=True, exist_ok=True)
        item.path.write_text(item.content, encoding="utf-8")


def test_hand_written_trigger_gets_its_function_from_the_module(
    importable: Path, pg_admin: str
) -> None:
    case = FIXTURES / "cases" / "hand_trigger"
    shutil.copytree(case / "handapp", importable / "handapp")
    spec = tomllib.loads((case / "case.toml").read_text())
    schema = load_snapshot(case / spec["snapshot"])
    config = load_config(case / spec["config"])
    out = importable / "handapp" / "generated"
    result = generate_files(schema, config, spec["groups"], out=out)
    _write(result.files)
    (out / "__init__.py").write_text("")  # the team's package file
    # the team's models package: prerequisites first, then the hand-written Note
    importlib.import_module("handapp.models")
    importlib.import_module("handapp.generated.tags")
    from handapp.extensions import db

    with scratch_database(pg_admin) as url:
        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                empty = _objects(conn)
            db.metadata.create_all(engine)
            with engine.begin() as conn:
                conn.exec_driver_sql("INSERT INTO notes (body) VALUES ('  hello ')")
                body, stamped = conn.exec_driver_sql(
                    "SELECT body, updated_at IS NOT NULL FROM notes"
                ).one()
                names = {
                    r[0] for r in conn.exec_driver_sql("SELECT proname FROM pg_proc")
                }
            assert (body, stamped) == ("hello", True)  # touch() ran, and clean()
            assert "unused" not in names  # what no table uses is not carried
            db.metadata.drop_all(engine)
            with engine.connect() as conn:
                assert _objects(conn) == empty
        finally:
            engine.dispose()


def _create_and_drop(importable: Path, pg_admin: str, url_or_schema: object) -> None:
    schema = (
        reflect_url(url_or_schema) if isinstance(url_or_schema, str) else url_or_schema
    )
    config = Config(path=None, root=importable)
    _write(generate_files(schema, config, out=importable / "pkg").files)
    import pkg  # type: ignore[import-not-found]

    with scratch_database(pg_admin) as url:
        engine = sa.create_engine(url)
        try:
            with engine.begin() as conn:  # what a test database is given
                for name, home in schema.extensions:
                    conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{home}"')
                    conn.exec_driver_sql(
                        f'CREATE EXTENSION IF NOT EXISTS "{name}" WITH SCHEMA "{home}"'
                    )
            with engine.connect() as conn:
                before = _objects(conn)
            pkg.db.metadata.create_all(engine)
            created = reflect_url(url)
            assert {t.key for t in created.tables} == {t.key for t in schema.tables}
            pkg.db.metadata.drop_all(engine)
            with engine.connect() as conn:
                assert _objects(conn) == before
            pkg.db.metadata.create_all(engine)  # and again: a test suite's next run
            pkg.db.metadata.drop_all(engine)
        finally:
            engine.dispose()


@pytest.mark.parametrize(
    "case",
    [
        "features",
        "partition_schema",
        "prerequisite_order",
        "row_security",
        "shared_sequences",
    ],
)
def test_drop_all_after_create_all_leaves_the_database_as_found(
    importable: Path, pg_admin: str, case: str
) -> None:
    snapshot = load_snapshot(FIXTURES / "cases" / case / "schema.json")
    _create_and_drop(importable, pg_admin, snapshot)


@pytest.mark.skipif(
    not (CORPUS / "graphile-starter").is_dir(), reason="graphile-starter not in corpus"
)
def test_drop_all_leaves_a_corpus_schema_as_found(
    importable: Path, pg_admin: str, corpus_db: Callable[[str], str]
) -> None:
    """Two schemas, extensions, policies that read other tables, trigger functions."""
    _create_and_drop(importable, pg_admin, corpus_db("graphile-starter"))


def test_verify_names_an_extension_the_server_cannot_create(pg_admin: str) -> None:
    from dataclasses import replace

    from modelgen.errors import ModelgenError
    from modelgen.verify import verify_schema

    schema = load_snapshot(FIXTURES / "cases" / "triggers" / "schema.json")
    schema = replace(schema, extensions=(("no_such_extension", "public"),))
    with pytest.raises(ModelgenError) as info:
        verify_schema(schema, pg_admin)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("extension 'no_such_extension'")


def test_an_extension_the_server_lacks_is_one_line_naming_it(pg_admin: str) -> None:
    """What a team's create_all says when prerequisites.py asks for an extension
    the server does not have (or the role may not create)."""
    from dataclasses import replace

    from modelgen.catalog.carried import carried_prerequisites

    schema = load_snapshot(FIXTURES / "cases" / "triggers" / "schema.json")
    schema = replace(schema, extensions=(("no_such_extension", "public"),))
    (create,) = [
        c.create for c in carried_prerequisites(schema) if c.item.kind == "extension"
    ]
    with scratch_database(pg_admin) as url:
        engine = sa.create_engine(url)
        try:
            with pytest.raises(sa.exc.DBAPIError) as info, engine.begin() as conn:
                conn.execute(sa.DDL(create.replace("%", "%%")))
        finally:
            engine.dispose()
    error = info.value.orig
    assert str(error).splitlines()[0] == (
        'extension "no_such_extension" cannot be created on this server: '
        'extension "no_such_extension" is not available'
    )
    assert "superuser" in (error.diag.message_hint or "")  # type: ignore[union-attr]
