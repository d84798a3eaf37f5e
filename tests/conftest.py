"""Shared fixtures: a PostgreSQL server (given, local, or embedded), scratch databases,
the fixture production database, and the real-world corpus."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
PRODUCTION_SQL = FIXTURES / "production" / "schema.sql"
# real schemas from other projects, not shipped here (README, "The corpus")
CORPUS = Path(os.environ.get("MODELGEN_CORPUS") or ROOT.parent / "shared" / "corpus")
CRITICAL = ("applications", "payments", "invoices", "user_sessions")


@pytest.fixture(scope="session")
def pg_admin() -> str:
    """Admin URL of a server: $MODELGEN_TEST_DATABASE_URL, 127.0.0.1:5432, else embedded."""
    from modelgen.catalog.scratch import execute, find_server
    from modelgen.errors import ModelgenError

    try:
        url = find_server()
        execute(url, "SELECT 1")
    except ModelgenError as exc:
        pytest.skip(f"no PostgreSQL server available: {exc}")
    return url


@pytest.fixture(scope="session")
def make_db(pg_admin: str) -> Iterator[Callable[[], str]]:
    """Factory of fresh empty databases, all dropped at the end of the session."""
    from modelgen.catalog.scratch import create_database, drop_database

    made: list[str] = []

    def factory() -> str:
        url = create_database(pg_admin, "modelgen_test")
        made.append(url)
        return url

    yield factory
    for url in made:
        drop_database(pg_admin, url)


@pytest.fixture(scope="session")
def corpus_db(make_db: Callable[[], str]) -> Callable[[str], str]:
    """A database per corpus schema, loaded once per session and shared: tests only
    read its schema (nextval() may advance a sequence; no test reads sequence values).
    """
    from modelgen.catalog.scratch import run_sql_file

    loaded: dict[str, str] = {}

    def factory(name: str) -> str:
        if name not in loaded:
            url = make_db()
            run_sql_file(url, CORPUS / name / "schema.sql")
            loaded[name] = url
        return loaded[name]

    return factory


@pytest.fixture(scope="session")
def production_url(make_db: Callable[[], str]) -> str:
    """The fixture production database, loaded once (tests must not change it)."""
    from modelgen.catalog.scratch import run_sql_file

    url = make_db()
    run_sql_file(url, PRODUCTION_SQL)
    return url


@pytest.fixture(scope="session")
def production_schema(production_url: str):  # type: ignore[no-untyped-def]
    from modelgen.catalog.reflect import reflect_url

    return reflect_url(production_url)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of fixtures/ (config, app package) the way a user would have it."""
    target = tmp_path / "project"
    shutil.copytree(
        FIXTURES, target, ignore=shutil.ignore_patterns("cases", "__pycache__")
    )
    return target
