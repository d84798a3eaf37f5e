"""Triggers, row-level security and policies against a real server: `migration`
creates them with the tables it creates (and nothing on tables it finds), its
downgrade leaves nothing behind."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from conftest import FIXTURES
from test_migration import alembic_config, alembic_project, write_revision

from modelgen.catalog.compare import compare_schemas
from modelgen.catalog.reflect import reflect_url
from modelgen.catalog.scratch import execute, run_sql_file
from modelgen.config import Config

CASES = ("triggers", "row_security", "partition_fk")


def _source(make_db: Callable[[], str]) -> str:
    url = make_db()
    for case in CASES:
        run_sql_file(url, FIXTURES / "cases" / case / "schema.sql")
    return url


def _functions(url: str) -> list[str]:
    """The trigger functions: prerequisites no table owns (created by hand here)."""
    schema = reflect_url(url)
    return [definition for _, _, definition in schema.functions]


def test_migration_creates_triggers_and_policies_and_downgrade_removes_them(
    tmp_path: Path, make_db: Callable[[], str]
) -> None:
    source = _source(make_db)
    schema = reflect_url(source)
    root = tmp_path / "alembic"
    write_revision(alembic_project(root), schema, Config(None, tmp_path), [], True)
    revision = next((root / "versions").glob("*.py")).read_text()
    assert "sa.DDL(" in revision and "CREATE CONSTRAINT TRIGGER k_noop" in revision
    target = make_db()
    execute(target, *_functions(source))
    config = alembic_config(root, target)
    command.upgrade(config, "head")
    keys = [t.key for t in schema.tables]
    assert compare_schemas(schema, reflect_url(target), keys) == []
    command.downgrade(config, "base")
    left = reflect_url(target)
    assert [t.name for t in left.tables] == ["alembic_version"]
    command.upgrade(config, "head")  # and again
    assert compare_schemas(schema, reflect_url(target), keys) == []


def test_a_table_the_migration_finds_keeps_its_own_triggers(
    tmp_path: Path, make_db: Callable[[], str]
) -> None:
    """Only tables the revision creates get their triggers and policies: a table
    it finds is not altered (drift reports what it lacks)."""
    source = _source(make_db)
    schema = reflect_url(source)
    root = tmp_path / "alembic"
    write_revision(alembic_project(root), schema, Config(None, tmp_path), [], True)
    target = make_db()
    execute(
        target,
        *_functions(source),
        "CREATE TABLE k (id integer PRIMARY KEY)",
    )
    config = alembic_config(root, target)
    command.upgrade(config, "head")
    after = reflect_url(target)
    assert after.table("public", "k").triggers == ()
    others = [t.key for t in schema.tables if t.name != "k"]
    assert compare_schemas(schema, after, others) == []
    command.downgrade(config, "base")
    assert [t.name for t in reflect_url(target).tables] == ["alembic_version", "k"]
