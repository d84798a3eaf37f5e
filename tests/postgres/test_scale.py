"""Work that must not grow with the schema, counted instead of timed (issue 10).

A timed test would be flaky on a shared machine; these count what a quadratic
or per-table path would multiply: catalog queries, snapshot bytes per table.
The timings themselves are in bench/ (bench/README.md).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

from modelgen.catalog.reflect import readonly_cursor, reflect_cursor
from modelgen.catalog.scratch import run_sql_file
from modelgen.catalog.snapshot import dump_schema, load_snapshot

SNAPSHOT_BYTES_PER_TABLE = 2000  # issue 10: at most 2 KB per table


@pytest.fixture(scope="module")
def synthetic(
    make_db: Callable[[], str], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[int], str]:
    """URL of a database holding bench/make_schema.py N (loaded once per N)."""
    loaded: dict[int, str] = {}

    def load(size: int) -> str:
        if size not in loaded:
            sql = tmp_path_factory.mktemp("synthetic") / f"schema_{size}.sql"
            sql.write_text(
                subprocess.run(
                    [sys.executable, str(ROOT / "bench" / "make_schema.py"), str(size)],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            )
            loaded[size] = make_db()
            run_sql_file(loaded[size], sql)
        return loaded[size]

    return load


class CountingCursor:
    """A DB-API cursor that counts the statements sent through it."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self.statements = 0

    def execute(self, *args: Any) -> Any:
        self.statements += 1
        return self.cursor.execute(*args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.cursor, name)


def _statements(url: str) -> tuple[int, int]:
    with readonly_cursor(url) as cur:
        counting = CountingCursor(cur)
        schema = reflect_cursor(counting)
    return counting.statements, len(schema.tables)


def test_catalog_queries_do_not_depend_on_the_number_of_tables(
    synthetic: Callable[[int], str],
) -> None:
    small, small_tables = _statements(synthetic(10))
    large, large_tables = _statements(synthetic(150))
    assert (small_tables, large_tables) == (10, 150)
    assert small == large


def test_snapshot_stays_under_2_kb_per_table_and_loads_back(
    synthetic: Callable[[int], str], tmp_path: Path
) -> None:
    with readonly_cursor(synthetic(150)) as cur:
        schema = reflect_cursor(cur)
    text = dump_schema(schema)
    per_table = len(text.encode()) / len(schema.tables)
    assert per_table <= SNAPSHOT_BYTES_PER_TABLE, f"{per_table:.0f} bytes per table"
    path = tmp_path / "schema.json"
    path.write_text(text)
    assert load_snapshot(path) == schema
    assert dump_schema(load_snapshot(path)) == text
