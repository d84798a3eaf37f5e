"""Every golden case with a schema.sql against a real server: the generated models recreate
the schema exactly in both styles, and the committed snapshots are what the server
reflects today (same major version)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from conftest import FIXTURES

from modelgen.catalog.reflect import reflect_url
from modelgen.catalog.scratch import run_sql_file
from modelgen.catalog.snapshot import dump_schema
from modelgen.verify import verify_schema

CASES = tuple(sorted(p.parent.name for p in (FIXTURES / "cases").glob("*/schema.sql")))


@pytest.fixture(scope="module")
def case_urls(make_db: Callable[[], str]) -> dict[str, str]:
    urls = {}
    for case in CASES:
        urls[case] = make_db()
        run_sql_file(urls[case], FIXTURES / "cases" / case / "schema.sql")
    return urls


@pytest.mark.parametrize("style", ["classic", "typed"])
@pytest.mark.parametrize("case", CASES)
def test_generated_models_round_trip_exactly(
    case_urls: dict[str, str], pg_admin: str, case: str, style: str
) -> None:
    schema = reflect_url(case_urls[case])
    result = verify_schema(schema, pg_admin, style=style)
    assert result.tables > 0
    assert result.differences == (), "\n".join(result.differences)


def _major(version: str) -> str:
    return version.split()[0].split(".")[0] if version else ""


@pytest.mark.parametrize("case", CASES)
def test_committed_snapshot_is_what_the_server_reflects(
    case_urls: dict[str, str], case: str
) -> None:
    committed = json.loads(
        (FIXTURES / "cases" / case / "schema.json").read_text(encoding="utf-8")
    )
    fresh = json.loads(dump_schema(reflect_url(case_urls[case])))
    theirs = committed["schema"].pop("server_version", "")
    ours = fresh["schema"].pop("server_version", "")
    if _major(theirs) != _major(ours):
        pytest.skip(
            f"server is PostgreSQL {ours!r}, the snapshot was taken on {theirs!r}: "
            "the catalog's text of defaults and checks differs between major versions"
        )
    assert fresh == committed
