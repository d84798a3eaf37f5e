"""Reflection is read-only, bounded in time, and needs no privilege beyond CONNECT + USAGE."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest
from conftest import PRODUCTION_SQL

from modelgen.catalog.connect import parse_url
from modelgen.catalog.reflect import readonly_cursor, reflect_url
from modelgen.catalog.scratch import execute, run_sql_file
from modelgen.catalog.snapshot import dump_schema
from modelgen.errors import DatabaseError


def test_the_reflection_session_cannot_write_and_has_timeouts(
    production_url: str,
) -> None:
    with readonly_cursor(production_url) as cur:
        cur.execute("SHOW transaction_read_only")
        assert cur.fetchone()[0] == "on"
        cur.execute("SHOW transaction_isolation")
        assert cur.fetchone()[0] == "repeatable read"
        cur.execute("SHOW statement_timeout")
        assert cur.fetchone()[0] == "1min"
        cur.execute("SHOW lock_timeout")
        assert cur.fetchone()[0] == "5s"
    with pytest.raises(DatabaseError) as info:
        with readonly_cursor(production_url) as cur:
            cur.execute("CREATE TABLE should_not_exist (id int)")
    assert "read-only transaction" in str(info.value)
    with readonly_cursor(production_url) as cur:
        cur.execute("SELECT to_regclass('should_not_exist')")
        assert cur.fetchone()[0] is None


def test_a_connect_and_usage_only_role_sees_what_a_superuser_sees(
    make_db: Callable[[], str], pg_admin: str
) -> None:
    url = make_db()
    run_sql_file(url, PRODUCTION_SQL)
    role = f"modelgen_ro_{secrets.token_hex(3)}"
    database = parse_url(url).database
    execute(
        pg_admin,
        f"CREATE ROLE {role} LOGIN PASSWORD 'ro-secret'",
        f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC',
        f'GRANT CONNECT ON DATABASE "{database}" TO {role}',
    )
    try:
        execute(
            url,
            "REVOKE ALL ON SCHEMA public FROM PUBLIC",
            f"GRANT USAGE ON SCHEMA public TO {role}",
        )
        parsed = parse_url(url)
        limited = parsed.__class__(
            parsed.driver,
            parsed.host,
            parsed.port,
            role,
            "ro-secret",
            parsed.database,
            parsed.query,
        ).render()
        as_superuser = dump_schema(reflect_url(url))
        as_reader = dump_schema(reflect_url(limited))
        assert as_reader == as_superuser
    finally:
        execute(url, f"REVOKE ALL ON SCHEMA public FROM {role}")
        execute(
            pg_admin,
            f'REVOKE ALL ON DATABASE "{database}" FROM {role}',
            f"DROP ROLE {role}",
        )
