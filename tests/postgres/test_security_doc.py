"""The role docs/security.md tells users to create works: run its SQL as written (names
swapped for unique ones) and reflect as that role."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from conftest import PRODUCTION_SQL, ROOT

from modelgen.catalog.connect import parse_url
from modelgen.catalog.reflect import readonly_cursor, reflect_url
from modelgen.catalog.scratch import execute, run_sql_file
from modelgen.catalog.snapshot import dump_schema
from modelgen.errors import DatabaseError

DOC = ROOT / "docs" / "security.md"


def doc_sql() -> str:
    blocks = re.findall(r"```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert blocks, "docs/security.md has no sql block"
    return str(blocks[0])


def test_the_documented_role_reflects_what_a_superuser_sees(
    make_db: Callable[[], str], pg_admin: str, tmp_path: Path
) -> None:
    url = make_db()
    run_sql_file(url, PRODUCTION_SQL)
    database = parse_url(url).database
    role = f"modelgen_reader_{secrets.token_hex(3)}"
    password = secrets.token_hex(8)
    sql = (
        doc_sql()
        .replace("modelgen_reader", role)
        .replace("choose-a-long-random-one", password)
        .replace("ON DATABASE app", f'ON DATABASE "{database}"')
    )
    assert role in sql and password in sql and database in sql
    script = tmp_path / "role.sql"
    script.write_text(sql, encoding="utf-8")
    try:
        run_sql_file(url, script)
        reader = replace(parse_url(url), user=role, password=password).render()
        assert dump_schema(reflect_url(reader)) == dump_schema(reflect_url(url))
        try:
            with readonly_cursor(reader) as cur:
                cur.execute("SELECT count(*) FROM payments")
        except DatabaseError as exc:
            assert "permission denied" in str(exc) and password not in str(exc)
        else:
            raise AssertionError("the documented role can read table rows")
    finally:
        execute(url, f"DROP OWNED BY {role}")
        execute(pg_admin, f"DROP ROLE IF EXISTS {role}")
