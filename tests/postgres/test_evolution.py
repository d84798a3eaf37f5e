"""Real production changes through `modelgen migration --from` (issue 21).

Four consecutive pairs of openstreetmap-website's db/structure.sql, committed
in bench/evolution/osm, go through the evolution benchmark's check
(bench/evolution_check.py): the revision written from version k's snapshot to
k+1's brings a copy of k, holding a row in every table that takes one, to
exactly k+1; it changes nothing on a copy of k+1; its downgrade brings the copy
back to exactly k with every row as it was.  The pairs: users gains an inet
column and a GiST index; a data-only change (no revision expected); users loses
a column whose values the downgrade must bring back; a new table with a
composite primary key and two foreign keys.

Skips while `modelgen migration` has no --from option; fails on any wrong fact
once it has one.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from evolution_check import (  # noqa: E402
    Databases,
    Modelgen,
    check_pair,
    has_from_option,
    read_versions,
)

MODELGEN = str(Path(sys.executable).with_name("modelgen"))
PAIRS = [
    pytest.param("029", "030", True, id="users-gains-inet-column-and-gist-index"),
    pytest.param("030", "031", False, id="backfill-only-no-schema-change"),
    pytest.param("031", "032", True, id="users-drops-a-column-with-data"),
    pytest.param("032", "033", True, id="new-table-composite-key-two-foreign-keys"),
]


@pytest.fixture(scope="module")
def evolution(
    pg_admin: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Databases, Modelgen]]:
    if not has_from_option(MODELGEN):
        pytest.skip(
            f"{MODELGEN} migration has no --from option yet (issue 21): "
            "nothing to check until it exists"
        )
    workdir = tmp_path_factory.mktemp("evolution")
    wanted = {name for pair in PAIRS for name in pair.values[:2]}
    versions = {n: text for n, text in read_versions() if n in wanted}
    dbs = Databases(pg_admin, versions, workdir)
    try:
        yield dbs, Modelgen(dbs, MODELGEN, workdir)
    finally:
        dbs.close()


@pytest.mark.parametrize(("old", "new", "changes"), PAIRS)
def test_revision_upgrades_exactly_is_a_noop_on_the_target_and_downgrades_with_rows(
    evolution: tuple[Databases, Modelgen], old: str, new: str, changes: bool
) -> None:
    dbs, modelgen = evolution
    result = check_pair(dbs, old, new, "modelgen", lambda: modelgen.plan(old, new))
    detail = "\n".join(result.notes)
    if not changes:
        assert result.exact == "yes (same)", detail
        return
    assert (result.exact, result.noop, result.down_exact) == ("yes",) * 3, detail
    # users (which gains, then loses a column here) had a row, and every row
    # inserted before the upgrade is there after the downgrade as it was
    assert "public.users" in result.tables_with_rows
    assert result.rows_kept == f"yes ({len(result.tables_with_rows)})", detail
