"""Golden revisions of `modelgen migration --from`, one per kind of change, no database.

OLD is the fixture's production snapshot; production is OLD with one change
made to its facts.  Each revision must match its reviewed file under
tests/golden/migration_from/ byte for byte, compile, and print in Alembic's
offline mode the statements of its steps in order.
To refresh after an intended change: MODELGEN_UPDATE_GOLDEN=1 pytest tests/golden.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from modelgen.catalog.schema import (
    Column,
    Enum,
    ForeignKey,
    Schema,
    Table,
    Trigger,
    TypeRef,
)
from modelgen.catalog.snapshot import load_snapshot
from modelgen.generate.format import black_format
from modelgen.migration.render import diff_migration, offline_upgrade

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "migration_from"
UPDATE = os.environ.get("MODELGEN_UPDATE_GOLDEN") == "1"
OLD = load_snapshot(ROOT / "fixtures" / "production" / "schema.json")


def _table(schema: Schema, name: str, **changes: object) -> Schema:
    tables = tuple(
        replace(t, **changes) if t.name == name else t for t in schema.tables  # type: ignore[arg-type]
    )
    return replace(schema, tables=tables)


def _rename(schema: Schema) -> Schema:
    """webhook_logs -> webhook_deliveries, its column error_message -> error, as
    PostgreSQL prints them after ALTER TABLE ... RENAME."""
    logs = schema.table("public", "webhook_logs")
    columns = tuple(
        replace(c, name="error") if c.name == "error_message" else c
        for c in logs.columns
    )
    indexes = tuple(
        replace(
            i, definition=i.definition.replace(".webhook_logs ", ".webhook_deliveries ")
        )
        for i in logs.indexes
    )
    renamed = replace(logs, name="webhook_deliveries", columns=columns, indexes=indexes)
    return replace(
        schema, tables=tuple(renamed if t is logs else t for t in schema.tables)
    )


def _enum_label(schema: Schema) -> Schema:
    enums = tuple(
        (
            Enum(e.schema, e.name, e.labels[:5] + ("disputed",) + e.labels[5:])
            if e.name == "payment_status"
            else e
        )
        for e in schema.enums
    )
    return replace(schema, enums=enums)


def _trigger(schema: Schema) -> Schema:
    function = (
        "CREATE OR REPLACE FUNCTION public.touch_updated_at()\n RETURNS trigger\n"
        " LANGUAGE plpgsql\nAS $function$ BEGIN NEW.updated_at := now(); "
        "RETURN NEW; END $function$\n"
    )
    trigger = Trigger(
        "users_touch_updated_at",
        "CREATE TRIGGER users_touch_updated_at BEFORE UPDATE ON public.users "
        "FOR EACH ROW EXECUTE FUNCTION touch_updated_at()",
    )
    schema = replace(
        schema, functions=schema.functions + (("public", "touch_updated_at", function),)
    )
    return _table(schema, "users", triggers=(trigger,))


def _not_valid_key(schema: Schema) -> Schema:
    payments = schema.table("public", "payments")
    key = ForeignKey(
        "fk_payments_refund_of",
        ("refund_of",),
        "public",
        "payments",
        ("id",),
        definition="FOREIGN KEY (refund_of) REFERENCES payments(id) NOT VALID",
        not_valid=True,
    )
    column = Column("refund_of", TypeRef("integer", "int4", "pg_catalog", "b"))
    return _table(
        schema,
        "payments",
        columns=payments.columns + (column,),
        foreign_keys=payments.foreign_keys + (key,),
    )


def _dropped_column(schema: Schema) -> Schema:
    payments = schema.table("public", "payments")
    return _table(
        schema,
        "payments",
        columns=tuple(c for c in payments.columns if c.name != "failure_reason"),
    )


CASES: dict[str, Callable[[Schema], Schema]] = {
    "rename": _rename,
    "enum_label": _enum_label,
    "trigger": _trigger,
    "not_valid_key": _not_valid_key,
    "dropped_column": _dropped_column,
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_revision_is_the_reviewed_one(case: str, tmp_path: Path) -> None:
    item = diff_migration(
        OLD, CASES[case](OLD), versions_dir=tmp_path, message=f"golden {case}"
    )
    assert item is not None
    expected = GOLDEN / f"{case}.py"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        expected.write_text(item.content, "utf-8")
    assert item.content == expected.read_text("utf-8")
    assert black_format(item.content, case) == item.content  # Black's own output
    compile(item.content, str(expected), "exec")
    sql = offline_upgrade(item.content, str(expected), None)
    for step in item.plan:
        for statement in step.run:
            assert statement.strip() in sql, statement


def test_the_same_schema_twice_is_no_revision(tmp_path: Path) -> None:
    assert diff_migration(OLD, OLD, versions_dir=tmp_path, message="none") is None


def test_a_table_is_never_both_renamed_and_dropped(tmp_path: Path) -> None:
    item = diff_migration(OLD, _rename(OLD), versions_dir=tmp_path, message="m")
    assert item is not None
    assert item.renames == [
        "table public.webhook_logs -> webhook_deliveries",
        "column public.webhook_deliveries.error_message -> error",
    ]
    assert item.steps == [
        "rename table public.webhook_logs to webhook_deliveries",
        "rename column public.webhook_deliveries.error_message to error",
    ]
    plain = diff_migration(
        OLD, _rename(OLD), versions_dir=tmp_path, message="m", renames=False
    )
    assert plain is not None and plain.renames == []
    assert any(s.startswith("drop table public.webhook_logs") for s in plain.steps)
    assert "create table public.webhook_deliveries" in plain.steps
    assert isinstance(OLD.table("public", "webhook_logs"), Table)
