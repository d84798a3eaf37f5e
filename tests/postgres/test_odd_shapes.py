"""Shapes real teams have that no golden case covered: each round-trips exactly
through the generated models (verify reports no difference), in both styles."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT

from modelgen.catalog.reflect import reflect_url
from modelgen.catalog.scratch import execute
from modelgen.verify import verify_schema


def _round_trip(
    make_db: Callable[[], str], pg_admin: str, sql: str, style: str, since: int = 0
) -> tuple[str, ...]:
    production = make_db()
    try:
        execute(production, sql)
    except Exception:  # noqa: BLE001 - an older server lacks the syntax
        if since:
            pytest.skip(f"needs PostgreSQL {since}+")
        raise
    result = verify_schema(reflect_url(production), pg_admin, style=style)
    assert result.tables > 0
    return result.differences


@pytest.mark.parametrize("style", ["classic", "typed"])
def test_on_delete_set_null_of_some_columns(
    make_db: Callable[[], str], pg_admin: str, style: str
) -> None:
    sql = """
    CREATE TABLE org (id int, region text, PRIMARY KEY (id, region));
    CREATE TABLE member (
        id int PRIMARY KEY, org_id int, "Org Region" text,
        FOREIGN KEY (org_id, "Org Region") REFERENCES org
            ON DELETE SET NULL (org_id) ON UPDATE CASCADE,
        CONSTRAINT member_default FOREIGN KEY (org_id, "Org Region") REFERENCES org
            ON DELETE SET DEFAULT ("Org Region") DEFERRABLE INITIALLY DEFERRED
    );
    """
    assert _round_trip(make_db, pg_admin, sql, style, since=15) == ()


def _modelgen(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "modelgen", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(ROOT)},
        check=False,
    )


def _drift_of_generated_models(tmp_path: Path, url: str) -> str:
    """A new app: init, generate every table, then drift (its report, on exit 1)."""
    models = tmp_path / "app" / "models"
    models.mkdir(parents=True)
    (tmp_path / "app" / "__init__.py").write_text("")
    (models / "__init__.py").write_text("")
    (tmp_path / "app" / "extensions.py").write_text(
        "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n"
    )
    for args in (
        ("init", "--url", url, "--models", "app/models"),
        ("generate", "--url", url, "--group", "unassigned"),
    ):
        result = _modelgen(tmp_path, *args)
        assert result.returncode == 0, result.stdout + result.stderr
    result = _modelgen(tmp_path, "drift", "--url", url)
    assert result.returncode in (0, 1), result.stderr
    return "" if result.returncode == 0 else result.stdout


def test_generated_models_of_collated_columns_have_no_drift(
    make_db: Callable[[], str], tmp_path: Path
) -> None:
    production = make_db()
    execute(
        production,
        'CREATE TABLE accounts (id int PRIMARY KEY, name text COLLATE "C",'
        ' code varchar(8) COLLATE "POSIX", note text)',
    )
    assert _drift_of_generated_models(tmp_path, production) == ""


@pytest.mark.parametrize("style", ["classic", "typed"])
def test_columns_named_like_the_annotations_types(
    make_db: Callable[[], str], pg_admin: str, style: str
) -> None:
    """A typed model's annotations name bytes, str, int, ...: a column (or a
    relationship) of that name must not shadow them for the columns after it."""
    sql = """
    CREATE TABLE list (id int PRIMARY KEY);
    CREATE TABLE things (
        id int PRIMARY KEY, bytes bytea, str text, int integer, float real,
        bool boolean, dict hstore, list_id int REFERENCES list,
        after_bytes bytea, after_str text, after_int integer, after_float real,
        after_bool boolean, after_dict hstore, after_list text[]
    );
    CREATE TABLE other (id int PRIMARY KEY, thing_id int REFERENCES things);
    """
    sql = "CREATE EXTENSION IF NOT EXISTS hstore;" + sql
    assert _round_trip(make_db, pg_admin, sql, style) == ()


@pytest.mark.parametrize("style", ["classic", "typed"])
def test_columns_named_like_the_modules_type_variables(
    make_db: Callable[[], str], pg_admin: str, style: str
) -> None:
    """``mood_enum = db.Column(mood_enum)`` rebinds the module's enum variable in the
    class body: a later column of that type got the Column, not the type."""
    sql = """
    CREATE TYPE mood AS ENUM ('happy', 'sad');
    CREATE DOMAIN email AS text CHECK (VALUE ~ '@');
    CREATE TABLE feelings (
        id int PRIMARY KEY, mood_enum mood, later mood, email_domain email,
        contact email, "XmlType" xml, doc xml
    );
    """
    assert _round_trip(make_db, pg_admin, sql, style) == ()


@pytest.mark.parametrize("style", ["classic", "typed"])
def test_types_whose_readable_variable_names_clash(
    make_db: Callable[[], str], pg_admin: str, style: str
) -> None:
    """Non-ASCII names, names differing in case, and schema_name joins all read
    the same as Python variables; each type keeps its own labels."""
    sql = """
    CREATE SCHEMA a;
    CREATE TYPE "статус" AS ENUM ('новый', 'закрыт');
    CREATE TYPE "приоритет" AS ENUM ('низкий', 'высокий');
    CREATE TYPE "Mood" AS ENUM ('A', 'B');
    CREATE TYPE mood AS ENUM ('a', 'b');
    CREATE TYPE a.b AS ENUM ('x1', 'x2');
    CREATE TYPE a_b AS ENUM ('p1', 'p2', 'p3');
    CREATE DOMAIN "имя" AS text CHECK (VALUE <> '');
    CREATE DOMAIN "код" AS varchar(8) CHECK (VALUE ~ '^[0-9]+$');
    CREATE TABLE "заявки" (
        id int PRIMARY KEY, "статус" "статус", "приоритет" "приоритет",
        m1 "Mood", m2 mood, ab a.b, pab a_b, "имя" "имя", "код" "код"
    );
    CREATE TABLE a.t (id int PRIMARY KEY, ab a.b, pab a_b);
    """
    assert _round_trip(make_db, pg_admin, sql, style) == ()


@pytest.mark.parametrize("style", ["classic", "typed"])
def test_a_table_named_like_a_user_defined_type_class(
    make_db: Callable[[], str], pg_admin: str, style: str
) -> None:
    """Table xml_types would be class XmlType, the name of the UserDefinedType the
    module declares for xml: the classes after it got the model, not the type."""
    sql = """
    CREATE TABLE xml_types (id int PRIMARY KEY, doc xml);
    CREATE TABLE zdocs (id int PRIMARY KEY, body xml, t_id int REFERENCES xml_types);
    """
    assert _round_trip(make_db, pg_admin, sql, style) == ()


@pytest.mark.parametrize("style", ["classic", "typed"])
def test_types_whose_user_defined_type_classes_clash(
    make_db: Callable[[], str], pg_admin: str, style: str
) -> None:
    """Composite types named in Cyrillic (both ``CustomType``) or in two cases
    (both ``PairType``) each keep their own UserDefinedType class."""
    sql = """
    CREATE TYPE "адрес" AS (street text, city text);
    CREATE TYPE "точка" AS (x int, y int);
    CREATE TYPE "Pair" AS (a int, b int);
    CREATE TYPE pair AS (a text, b text);
    CREATE TABLE places (id int PRIMARY KEY, a "адрес", t "точка", p1 "Pair", p2 pair);
    """
    assert _round_trip(make_db, pg_admin, sql, style) == ()


@pytest.mark.parametrize("style", ["classic", "typed"])
def test_types_in_a_schema_without_tables(
    make_db: Callable[[], str], pg_admin: str, style: str
) -> None:
    """A schema holding only types (a shared ``types`` schema) must exist before
    the tables of another schema that use them."""
    sql = """
    CREATE SCHEMA types;
    CREATE TYPE types.mood AS ENUM ('x', 'y''z');
    CREATE DOMAIN types.code AS varchar(5) NOT NULL CHECK (VALUE ~ '^[a-z]+$');
    CREATE DOMAIN types.pair AS int CONSTRAINT a CHECK (VALUE > 0)
        CONSTRAINT b CHECK (VALUE < 9);
    CREATE TYPE types.point2 AS (x int, y int);
    CREATE TABLE t (
        id int PRIMARY KEY, moods types.mood[] DEFAULT '{x}', c types.code,
        p types.pair, pt types.point2
    );
    """
    assert _round_trip(make_db, pg_admin, sql, style) == ()


@pytest.mark.parametrize("style", ["classic", "typed"])
def test_a_domain_over_a_composite_type(
    make_db: Callable[[], str], pg_admin: str, style: str
) -> None:
    """The domain's definition names the composite's UserDefinedType class, so the
    class must come first in the module."""
    sql = """
    CREATE TYPE pair AS (a int, b int);
    CREATE DOMAIN positive_pair AS pair CHECK ((VALUE).a > 0);
    CREATE TABLE nodes (id int PRIMARY KEY, p positive_pair, q pair);
    """
    assert _round_trip(make_db, pg_admin, sql, style) == ()
