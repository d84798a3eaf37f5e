import json
from dataclasses import replace
from pathlib import Path

import pytest

from modelgen.catalog.compare import compare_schemas
from modelgen.catalog.snapshot import (
    FORMAT_VERSION,
    dump_schema,
    load_snapshot,
    write_snapshot,
)
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
    assert json.loads(dump_schema(schema))["format_version"] == FORMAT_VERSION


V1 = (
    Path(__file__).parent / "data" / "snapshot_v1.json"
)  # fixtures/cases/views, format 1


def test_a_format_1_snapshot_still_loads_to_the_same_schema(tmp_path: Path) -> None:
    """Every fact a format 1 file states is loaded as written, and format 2 keeps it.

    (The copy was taken before reflection moved to the exact deparse, so it is
    compared with its own JSON, not with today's snapshot of the same case.)"""
    payload = json.loads(V1.read_text())
    assert payload["format_version"] == 1
    schema = load_snapshot(V1)
    written = payload["schema"]["tables"] + payload["schema"]["others"]
    loaded = [*schema.tables, *schema.others]
    assert sorted((t["schema"], t["name"]) for t in written) == sorted(
        (t.schema, t.name) for t in loaded
    )
    by_name = {(t.schema, t.name): t for t in loaded}
    for table in written:
        columns = by_name[(table["schema"], table["name"])].columns
        assert [
            (c.name, c.type.display, c.nullable, c.default, c.comment) for c in columns
        ] == [
            (c["name"], c["type"]["display"], c["nullable"], c["default"], c["comment"])
            for c in table["columns"]
        ]
    again = tmp_path / "v2.json"
    write_snapshot(schema, again)
    assert json.loads(again.read_text())["format_version"] == 2
    assert load_snapshot(again) == schema


def test_fields_at_their_default_are_not_written() -> None:
    schema = load_snapshot(FIXTURE)
    text = dump_schema(schema)
    for null_field in ('"comment":null', '"identity":null', '"predicate":null'):
        assert null_field not in text
    assert '"nullable":true' not in text  # True is Column.nullable's default
    # where it was read from is not a fact about the database
    assert "source" not in json.loads(text)["schema"]


def test_one_changed_fact_is_one_changed_line() -> None:
    schema = load_snapshot(FIXTURE)
    payments = schema.table("public", "payments")
    status = payments.column("status")
    changed = replace(
        payments,
        columns=tuple(
            replace(c, default=None) if c is status else c for c in payments.columns
        ),
    )
    other = replace(
        schema, tables=tuple(changed if t is payments else t for t in schema.tables)
    )
    before = dump_schema(schema).splitlines()
    after = dump_schema(other).splitlines()
    assert len(before) == len(after)
    changed_lines = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(changed_lines) == 1
    assert '"name":"status"' in changed_lines[0][0]


def test_an_unknown_field_is_named(tmp_path: Path) -> None:
    text = FIXTURE.read_text().replace('"nullable":false', '"nulable":false', 1)
    path = tmp_path / "schema.json"
    path.write_text(text)
    with pytest.raises(SnapshotError) as info:
        load_snapshot(path)
    assert "unknown field 'nulable'" in str(info.value) and str(path) in str(info.value)
