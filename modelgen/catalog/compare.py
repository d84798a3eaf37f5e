"""Compare two Schemas fact by fact: the engine behind verify and the fidelity tests.

Each difference is one line naming the table and the fact, e.g.
``public.payments: column status: default 'pending'::payment_status != NULL``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

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


@dataclass(frozen=True)
class Difference:
    """One fact on which ``want`` (production) and ``got`` differ, with both sides.

    ``kind`` names the object (``column``, ``index``, ``check constraint``,
    ``trigger``, ...); ``want``/``got`` are the objects themselves (a Column,
    Index, Constraint, ForeignKey, OwnedStatement; None where absent), so a
    migration can act on them; ``line`` is how verify and the tests print it
    (None for what they only see through another line, e.g. a column that is
    missing shows in the column list)."""

    kind: str
    name: str
    want: Any
    got: Any
    line: str | None
    fact: str = ""  # for a column present on both sides: which fact differs


def compare_tables(want: Table, got: Table) -> list[str]:
    return [d.line for d in table_differences(want, got) if d.line is not None]


def table_differences(want: Table, got: Table) -> list[Difference]:
    """Every difference between two versions of one table, structured."""
    diffs: list[Difference] = []
    want_names = [c.name for c in want.columns]
    got_names = [c.name for c in got.columns]
    if want_names != got_names:
        line = f"columns {want_names} != {got_names}"
        diffs.append(Difference("column order", "", want_names, got_names, line))
    got_columns = {c.name: c for c in got.columns}
    for column in want.columns:
        other = got_columns.get(column.name)
        if other is None:
            diffs.append(Difference("column", column.name, column, None, None))
            continue
        want_facts, got_facts = _column_facts(column), _column_facts(other)
        for fact in _COLUMN_FACTS:
            if want_facts[fact] != got_facts[fact]:
                line = f"column {column.name}: {fact} {want_facts[fact]!r} != {got_facts[fact]!r}"
                diffs.append(
                    Difference("column", column.name, column, other, line, fact)
                )
    wanted = set(want_names)
    for column in got.columns:
        if column.name not in wanted:
            diffs.append(Difference("column", column.name, None, column, None))
    for kind, mine, theirs in (
        ("comment", want.comment, got.comment),
        ("partition key", want.partition_key, got.partition_key),
    ):
        if mine != theirs:
            diffs.append(
                Difference(kind, "", mine, theirs, f"{kind} {mine!r} != {theirs!r}")
            )
    keys: list[tuple[str, list[Any], list[Any]]] = [
        (
            "primary key",
            [want.primary_key] if want.primary_key else [],
            [got.primary_key] if got.primary_key else [],
        )
    ]
    for kind, attr in (
        ("foreign key", "foreign_keys"),
        ("unique constraint", "uniques"),
        ("check constraint", "checks"),
        ("exclusion constraint", "excludes"),
        ("index", "indexes"),
    ):
        keys.append((kind, list(getattr(want, attr)), list(getattr(got, attr))))
    for kind, mine_list, theirs_list in keys:
        diffs += _named(
            kind,
            {c.name: c for c in mine_list},
            {c.name: c for c in theirs_list},
            lambda c: c.definition,
        )
    diffs += owned_differences(want, got)
    return diffs


def compare_owned(want: Table, got: Table) -> list[str]:
    return [d.line for d in owned_differences(want, got) if d.line is not None]


def owned_differences(want: Table, got: Table) -> list[Difference]:
    """Triggers, row-level security and policies, each compared as the exact
    statement that recreates it (modelgen.catalog.owned)."""
    diffs: list[Difference] = []
    wanted, found = owned_statements(want), owned_statements(got)
    for kind in sorted({s.kind for s in wanted} | {s.kind for s in found}):
        diffs += _named(
            kind,
            {s.name: s for s in wanted if s.kind == kind},
            {s.name: s for s in found if s.kind == kind},
            lambda s: s.sql,
        )
    return diffs


def _named(
    kind: str, want: dict[str, Any], got: dict[str, Any], text: Callable[[Any], str]
) -> list[Difference]:
    diffs = []
    for name in sorted(set(want) | set(got)):
        mine, theirs = want.get(name), got.get(name)
        if theirs is None:
            line = f"{kind} {name}: missing ({text(mine)})"
        elif mine is None:
            line = f"{kind} {name}: extra ({text(theirs)})"
        elif text(mine) != text(theirs):
            line = f"{kind} {name}: {text(mine)} != {text(theirs)}"
        else:
            continue
        diffs.append(Difference(kind, name, mine, theirs, line))
    return diffs
