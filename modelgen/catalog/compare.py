"""Compare two Schemas fact by fact: the engine behind verify and the fidelity tests.

Each difference is one line naming the table and the fact, e.g.
``public.payments: column status: default 'pending'::payment_status != NULL``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict

from modelgen.catalog.owned import owned_statements
from modelgen.catalog.pgtext import sequence_name
from modelgen.catalog.schema import Column, Schema, Table

_COLUMN_FACTS = (
    "type",
    "nullable",
    "default",
    "identity",
    "generated",
    "comment",
    "collation",
    "collation_schema",
    "serial_sequence",
)


def compare_schemas(
    expected: Schema, actual: Schema, tables: Iterable[tuple[str, str]] | None = None
) -> list[str]:
    """Every difference between ``expected`` and ``actual`` on ``tables`` (default: all)."""
    keys = (
        sorted(tables) if tables is not None else sorted(t.key for t in expected.tables)
    )
    actual_tables = {t.key: t for t in actual.tables}
    diffs: list[str] = []
    enums_used: set[tuple[str, str]] = set()
    domains_used: set[tuple[str, str]] = set()
    sequences_used: set[tuple[str, str]] = set()
    for key in keys:
        want = expected.table(*key)
        got = actual_tables.get(key)
        label = f"{key[0]}.{key[1]}"
        if got is None:
            diffs.append(f"{label}: table missing")
            continue
        diffs += [f"{label}: {d}" for d in compare_tables(want, got)]
        enums_used |= {
            (c.type.schema, c.type.name) for c in want.columns if c.type.kind == "e"
        }
        for column in want.columns:
            found = sequence_name(column.default) if column.default else None
            if found is not None and column.serial_sequence is None:
                sequences_used.add((found[0] or expected.default_schema, found[1]))
        domains_used |= {
            (c.type.schema, c.type.name) for c in want.columns if c.type.kind == "d"
        }
    for schema_name, name in sorted(enums_used):
        want_enum = expected.enum(schema_name, name)
        got_enum = actual.enum(schema_name, name)
        if want_enum and (got_enum is None or got_enum.labels != want_enum.labels):
            got_labels = got_enum.labels if got_enum else None
            diffs.append(
                f"enum {schema_name}.{name}: labels {list(want_enum.labels)} != {got_labels}"
            )
    for schema_name, name in sorted(sequences_used):
        want_seq = expected.sequence(schema_name, name)
        got_seq = actual.sequence(schema_name, name)
        if want_seq is not None and want_seq != got_seq:
            diffs.append(f"sequence {schema_name}.{name}: {want_seq} != {got_seq}")
    for schema_name, name in sorted(domains_used):
        want_domain = expected.domain(schema_name, name)
        got_domain = actual.domain(schema_name, name)
        if want_domain and want_domain != got_domain:
            diffs.append(f"domain {schema_name}.{name}: {want_domain} != {got_domain}")
    return diffs


def _column_facts(column: Column) -> dict[str, object]:
    facts = {name: getattr(column, name) for name in _COLUMN_FACTS}
    facts["type"] = column.type.display
    facts["identity"] = asdict(column.identity) if column.identity else None
    return facts


def compare_tables(want: Table, got: Table) -> list[str]:
    diffs: list[str] = []
    want_names = [c.name for c in want.columns]
    got_names = [c.name for c in got.columns]
    if want_names != got_names:
        diffs.append(f"columns {want_names} != {got_names}")
    got_columns = {c.name: c for c in got.columns}
    for column in want.columns:
        other = got_columns.get(column.name)
        if other is None:
            continue
        want_facts, got_facts = _column_facts(column), _column_facts(other)
        for fact in _COLUMN_FACTS:
            if want_facts[fact] != got_facts[fact]:
                diffs.append(
                    f"column {column.name}: {fact} {want_facts[fact]!r} != {got_facts[fact]!r}"
                )
    if want.comment != got.comment:
        diffs.append(f"comment {want.comment!r} != {got.comment!r}")
    if want.partition_key != got.partition_key:
        diffs.append(f"partition key {want.partition_key!r} != {got.partition_key!r}")
    diffs += _compare_named(
        "primary key",
        (
            {want.primary_key.name: want.primary_key.definition}
            if want.primary_key
            else {}
        ),
        {got.primary_key.name: got.primary_key.definition} if got.primary_key else {},
    )
    for kind, attr in (
        ("foreign key", "foreign_keys"),
        ("unique constraint", "uniques"),
        ("check constraint", "checks"),
        ("exclusion constraint", "excludes"),
    ):
        diffs += _compare_named(
            kind,
            {c.name: _constraint_fact(c) for c in getattr(want, attr)},
            {c.name: _constraint_fact(c) for c in getattr(got, attr)},
        )
    diffs += _compare_named(
        "index",
        {i.name: i.definition for i in want.indexes},
        {i.name: i.definition for i in got.indexes},
    )
    diffs += compare_owned(want, got)
    return diffs


def compare_owned(want: Table, got: Table) -> list[str]:
    """Triggers, row-level security and policies, each compared as the exact
    statement that recreates it (modelgen.catalog.owned)."""
    diffs: list[str] = []
    wanted, found = owned_statements(want), owned_statements(got)
    for kind in sorted({s.kind for s in wanted} | {s.kind for s in found}):
        diffs += _compare_named(
            kind,
            {s.name: s.sql for s in wanted if s.kind == kind},
            {s.name: s.sql for s in found if s.kind == kind},
        )
    return diffs


def _constraint_fact(constraint: object) -> str:
    definition = str(getattr(constraint, "definition", ""))
    return definition


def _compare_named(kind: str, want: dict[str, str], got: dict[str, str]) -> list[str]:
    diffs = []
    for name in sorted(set(want) | set(got)):
        if name not in got:
            diffs.append(f"{kind} {name}: missing ({want[name]})")
        elif name not in want:
            diffs.append(f"{kind} {name}: extra ({got[name]})")
        elif want[name] != got[name]:
            diffs.append(f"{kind} {name}: {want[name]} != {got[name]}")
    return diffs
