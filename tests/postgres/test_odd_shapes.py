"""Shapes real teams have that no golden case covered: each round-trips exactly
through the generated models (verify reports no difference), in both styles."""

from __future__ import annotations

from collections.abc import Callable

import pytest

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
