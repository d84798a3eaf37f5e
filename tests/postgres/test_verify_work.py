"""verify's create step, counted rather than timed (issue 10).

The DDL goes down in one pipeline, nothing is looked up first in the fresh
database, nothing is sent twice; and when the server or the models refuse
something, the failure is the one the plain way (one statement at a time,
configure first) always reported, worded the same.
"""

from __future__ import annotations

import types
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import registry, relationship

from modelgen.catalog.scratch import scratch_database
from modelgen.errors import first_line
from modelgen.verify import _create_all, verify_schema


@pytest.fixture
def sent() -> Iterator[list[tuple[str, bool]]]:
    """Every statement sent through SQLAlchemy, with whether it went in a pipeline."""
    seen: list[tuple[str, bool]] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        pgconn = getattr(conn.connection.driver_connection, "pgconn", None)
        seen.append((statement, bool(pgconn and pgconn.pipeline_status)))

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", before)


def test_verify_pipelines_its_ddl_once_and_looks_nothing_up(
    production_schema, pg_admin: str, sent: list[tuple[str, bool]]
) -> None:
    """When verify creates the prerequisites itself, the database is fresh: nothing
    to look up.  (Its default mode runs create_all as a test suite does, looking
    first: the test below.)"""
    result = verify_schema(production_schema, pg_admin, mode="prerequisites-first")
    assert result.differences == ()
    creates = [(s, piped) for s, piped in sent if s.lstrip().startswith("CREATE ")]
    tables = [s for s, _ in creates if s.lstrip().startswith("CREATE TABLE")]
    assert len(tables) == result.tables == 47  # once each: no replay
    assert all(piped for _, piped in creates)  # no round trip per statement
    # create_all's checkfirst lookups (tables, types) are not sent
    assert not [s for s, _ in sent if "pg_catalog.pg_class" in s or "pg_type" in s]


def test_verify_by_default_runs_create_all_as_a_test_suite_does(
    production_schema, pg_admin: str, sent: list[tuple[str, bool]]
) -> None:
    result = verify_schema(production_schema, pg_admin)
    assert result.differences == ()
    tables = [s for s, _ in sent if s.lstrip().startswith("CREATE TABLE")]
    assert len(tables) == result.tables == 47  # once each: no replay
    # create_all's own look-ups (checkfirst), as db.create_all() does them
    assert [s for s, _ in sent if "pg_catalog.pg_class" in s]
    # then drop_all: every table dropped once
    drops = [s for s, _ in sent if s.lstrip().startswith("DROP TABLE")]
    assert len(drops) == 47


def _models(failing_ddl: bool, broken_relationship: bool) -> types.SimpleNamespace:
    reg = registry()
    table = sa.Table("a", reg.metadata, sa.Column("id", sa.Integer, primary_key=True))

    class A:
        pass

    properties = {"bs": relationship("Nope")} if broken_relationship else {}
    reg.map_imperatively(A, table, properties=properties)
    if failing_ddl:
        sa.event.listen(
            table, "after_create", sa.DDL("CREATE INDEX nope ON missing (x)")
        )
    # the class is kept: mappers are weakly referenced
    return types.SimpleNamespace(
        metadata=reg.metadata, Model=types.SimpleNamespace(registry=reg), A=A
    )


def _failure(admin: str, db: object, plain: bool, monkeypatch) -> str:  # type: ignore[no-untyped-def]
    from modelgen import verify

    if plain:
        monkeypatch.setattr(verify, "_create_pipelined", lambda *args: False)
    monkeypatch.setattr(verify, "find_prerequisites", lambda schema: [])
    with scratch_database(admin) as url:
        try:
            _create_all(url, db, None)  # type: ignore[arg-type]
        except Exception as exc:
            return f"{type(exc).__name__}: {first_line(exc)}"
        finally:
            monkeypatch.undo()
    return "created"


@pytest.mark.parametrize(
    "failing_ddl, broken_relationship",
    [(True, False), (False, True), (True, True)],
    ids=["server refuses", "models refuse", "both: the models first"],
)
def test_a_failure_is_reported_as_the_plain_way_reports_it(
    pg_admin: str, monkeypatch, failing_ddl: bool, broken_relationship: bool
) -> None:
    piped = _failure(
        pg_admin, _models(failing_ddl, broken_relationship), False, monkeypatch
    )
    plain = _failure(
        pg_admin, _models(failing_ddl, broken_relationship), True, monkeypatch
    )
    assert piped == plain != "created"
    expected = "InvalidRequestError" if broken_relationship else "UndefinedTable"
    assert expected in piped


def test_verify_commits_every_few_hundred_tables(
    production_schema,
    pg_admin: str,
    sent: list[tuple[str, bool]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One transaction holding every CREATE ran out of PostgreSQL's lock table at
    5,000 tables ("out of shared memory"): the scratch database is committed
    every COMMIT_EVERY tables, and the result is the same."""
    from modelgen import verify

    monkeypatch.setattr(verify, "COMMIT_EVERY", 10)
    result = verify_schema(production_schema, pg_admin)
    assert result.differences == () and result.tables == 47
    first_drop = next(
        i for i, (s, _) in enumerate(sent) if s.lstrip().startswith("DROP TABLE")
    )
    creating, dropping = sent[:first_drop], sent[first_drop:]
    assert len([s for s, _ in creating if s.strip() == "COMMIT"]) == 47 // 10
    # and db.drop_all() afterwards (verify's check that it empties the database)
    assert len([s for s, _ in dropping if s.strip() == "COMMIT"]) == 47 // 10
    # the listener is gone afterwards: nothing else commits behind a caller's back
    sent.clear()
    metadata = sa.MetaData()
    for number in range(12):
        sa.Table(f"t{number}", metadata, sa.Column("id", sa.Integer))
    with scratch_database(pg_admin) as url:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            metadata.create_all(conn)
        engine.dispose()
    assert len([s for s, _ in sent if s.lstrip().startswith("CREATE TABLE")]) == 12
    assert not [s for s, _ in sent if s.strip() == "COMMIT"]
