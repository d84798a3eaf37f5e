import json
from dataclasses import replace
from pathlib import Path

import pytest

from modelgen.catalog.compare import compare_schemas
from modelgen.catalog.snapshot import dump_schema, load_snapshot, write_snapshot
from modelgen.errors import SnapshotError

FIXTURE = Path(__file__).parents[2] / "fixtures" / "production" / "schema.json"


def test_snapshot_round_trips_byte_for_byte(tmp_path: Path) -> None:
    schema = load_snapshot(FIXTURE)
    assert len(schema.tables) == 47
    out = tmp_path / "again.json"
    write_snapshot(schema, out)
    assert out.read_text() == FIXTURE.read_text()
    shuffled = replace(schema, tables=tuple(reversed(schema.tables)))
    assert dump_schema(shuffled) == FIXTURE.read_text()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "truncated or corrupt JSON"),
        ('{"format": "something-else"}', "not a modelgen snapshot"),
        (
            '{"format": "modelgen-snapshot", "format_version": 99, "schema": {}}',
            "newer",
        ),
        (
            '{"format": "modelgen-snapshot", "format_version": 1, "schema": {}}',
            "bad field",
        ),
    ],
)
def test_bad_snapshots_name_the_file(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "schema.json"
    path.write_text(FIXTURE.read_text()[:500] if content is None else content)
    with pytest.raises(SnapshotError) as info:
        load_snapshot(path)
    assert str(path) in str(info.value) and message in str(info.value)


def test_compare_finds_each_kind_of_difference() -> None:
    schema = load_snapshot(FIXTURE)
    payments = schema.table("public", "payments")
    status = payments.column("status")
    changed = replace(
        payments,
        columns=tuple(
            replace(c, default=None) if c is status else c for c in payments.columns
        ),
        checks=payments.checks[1:],
        indexes=tuple(
            replace(i, definition=i.definition + " x") for i in payments.indexes[:1]
        )
        + payments.indexes[1:],
        comment="other",
    )
    other = replace(
        schema, tables=tuple(changed if t is payments else t for t in schema.tables)
    )
    diffs = compare_schemas(schema, other, [("public", "payments")])
    text = "\n".join(diffs)
    assert "column status: default" in text
    assert f"check constraint {payments.checks[0].name}: missing" in text
    assert f"index {payments.indexes[0].name}:" in text
    assert "comment" in text
    assert compare_schemas(schema, schema) == []
    assert json.loads(dump_schema(schema))["format_version"] == 1
