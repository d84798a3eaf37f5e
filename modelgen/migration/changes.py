"""OLD schema -> production's: what changed, from the one catalog comparison
(modelgen.catalog.compare), with likely renames told apart from drops + adds.

A rename is likely when an object OLD alone has and one production alone has
look the same under another name: a table with the same columns, a column of
the same type at the same position, an index or constraint with the same
definition, an enum label at the same place.  OLD's facts are then rewritten
under the new names before the comparison, so what is left is real change.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace

from modelgen.catalog.compare import Difference, table_differences
from modelgen.catalog.pgtext import sequence_name
from modelgen.catalog.reflect import quote_ident
from modelgen.catalog.schema import Constraint, Enum, ForeignKey, Index, Schema, Table

Key = tuple[str, str]


@dataclass(frozen=True)
class TableChange:
    old: Table  # OLD's table, under production's table and column names
    new: Table
    differences: tuple[Difference, ...]


@dataclass
class Changes:
    old: Schema
    new: Schema
    added: list[Table] = field(default_factory=list)
    dropped: list[Table] = field(default_factory=list)
    changed: list[TableChange] = field(default_factory=list)
    table_renames: dict[Key, Key] = field(default_factory=dict)  # old -> new
    column_renames: list[tuple[Table, str, str]] = field(default_factory=list)
    # (table, kind "index" / "constraint", old name, new name)
    object_renames: list[tuple[Table, str, str, str]] = field(default_factory=list)
    label_renames: list[tuple[Enum, str, str]] = field(default_factory=list)
    sequence_renames: dict[Key, Key] = field(default_factory=dict)  # old -> new
    renames: list[str] = field(default_factory=list)  # what the command says


def ref_name(schema: str, table: str) -> str:
    """How pg_get_constraintdef names a table read with search_path = public."""
    if schema == "public":
        return quote_ident(table)
    return f"{quote_ident(schema)}.{quote_ident(table)}"


def _signature(table: Table) -> tuple[str, ...]:
    return tuple(c.type.display for c in table.columns)


def _pairs(olds: list[Table], news: list[Table]) -> list[tuple[Table, Table]]:
    """Tables alike in one schema: the same column types in the same order, most
    column names the same (a column may be renamed with its table), each such
    signature once on each side."""
    old_count = Counter((t.schema, _signature(t)) for t in olds)
    new_by = {(t.schema, _signature(t)): t for t in news}
    new_count = Counter((t.schema, _signature(t)) for t in news)
    found = []
    for table in olds:
        sig = (table.schema, _signature(table))
        if old_count[sig] != 1 or new_count[sig] != 1 or not table.columns:
            continue
        other = new_by[sig]
        same = sum(
            a.name == b.name for a, b in zip(table.columns, other.columns, strict=True)
        )
        if 2 * same >= len(table.columns):
            found.append((table, other))
    return found


def _word(name: str) -> re.Pattern[str]:
    return re.compile(rf'(?<![\w."$]){re.escape(quote_ident(name))}(?![\w"$])')


def _renamed_table(table: Table, new: Key) -> Table:
    old_on = f" ON {quote_ident(table.schema)}.{quote_ident(table.name)} "
    new_on = f" ON {quote_ident(new[0])}.{quote_ident(new[1])} "
    return replace(
        table,
        schema=new[0],
        name=new[1],
        indexes=tuple(
            replace(i, definition=i.definition.replace(old_on, new_on, 1))
            for i in table.indexes
        ),
        triggers=tuple(
            replace(t, definition=t.definition.replace(old_on, new_on, 1))
            for t in table.triggers
        ),
    )


def _renamed_column(table: Table, old: str, new: str) -> Table:
    pattern, to = _word(old), quote_ident(new)

    def text(value: str) -> str:
        return pattern.sub(to, value)

    def index(item: Index | None) -> Index | None:
        return None if item is None else replace(item, definition=text(item.definition))

    def constraint(item: Constraint) -> Constraint:
        return replace(
            item,
            definition=text(item.definition),
            columns=tuple(new if c == old else c for c in item.columns),
            index=index(item.index),
        )

    def key(item: ForeignKey) -> ForeignKey:
        head, sep, tail = item.definition.partition(" REFERENCES ")
        return replace(
            item,
            definition=text(head) + sep + tail,
            columns=tuple(new if c == old else c for c in item.columns),
        )

    return replace(
        table,
        columns=tuple(
            replace(c, name=new) if c.name == old else c for c in table.columns
        ),
        primary_key=constraint(table.primary_key) if table.primary_key else None,
        uniques=tuple(constraint(c) for c in table.uniques),
        checks=tuple(constraint(c) for c in table.checks),
        excludes=tuple(constraint(c) for c in table.excludes),
        foreign_keys=tuple(key(k) for k in table.foreign_keys),
        indexes=tuple(index(i) for i in table.indexes),  # type: ignore[misc]
        triggers=tuple(
            replace(t, definition=text(t.definition)) for t in table.triggers
        ),
    )


def _column_pairs(old: Table, new: Table) -> list[tuple[str, str]]:
    """Columns OLD alone has and production alone has, same type, same position."""
    old_names = {c.name for c in old.columns}
    new_names = {c.name for c in new.columns}
    pairs = []
    for position, column in enumerate(old.columns):
        if column.name in new_names or position >= len(new.columns):
            continue
        other = new.columns[position]
        if other.name not in old_names and other.type.display == column.type.display:
            pairs.append((column.name, other.name))
    return pairs


def _definition_without_name(item: Index | Constraint | ForeignKey) -> str:
    if isinstance(item, Index):
        return item.definition.replace(f" {quote_ident(item.name)} ON ", " ON ", 1)
    return item.definition


_RENAMEABLE = {
    "index": "index",
    "unique constraint": "constraint",
    "check constraint": "constraint",
    "foreign key": "constraint",
    "exclusion constraint": "constraint",
}


def _object_renames(old: Table, new: Table) -> list[tuple[str, str, str]]:
    """(kind, old name, new name) of indexes and constraints with the same
    definition under another name, each definition once on each side."""
    found = []
    if (
        old.primary_key
        and new.primary_key
        and old.primary_key.name != new.primary_key.name
    ):
        if old.primary_key.definition == new.primary_key.definition:
            found.append(("constraint", old.primary_key.name, new.primary_key.name))
    for kind, attr in (
        ("index", "indexes"),
        ("constraint", "uniques"),
        ("constraint", "checks"),
        ("constraint", "foreign_keys"),
        ("constraint", "excludes"),
    ):
        olds = {i.name: i for i in getattr(old, attr)}
        news = {i.name: i for i in getattr(new, attr)}
        gone = [olds[n] for n in olds if n not in news]
        came = [news[n] for n in news if n not in olds]
        old_defs = Counter(_definition_without_name(i) for i in gone)
        new_defs = {_definition_without_name(i): i for i in came}
        new_count = Counter(_definition_without_name(i) for i in came)
        for item in gone:
            text = _definition_without_name(item)
            if old_defs[text] == 1 and new_count[text] == 1:
                found.append((kind, item.name, new_defs[text].name))
    return found


def _rename_object(table: Table, kind: str, old: str, new: str) -> Table:
    if kind == "index":
        indexes = tuple(
            (
                replace(
                    i,
                    name=new,
                    definition=i.definition.replace(
                        f" {quote_ident(old)} ON ", f" {quote_ident(new)} ON ", 1
                    ),
                )
                if i.name == old
                else i
            )
            for i in table.indexes
        )
        return replace(table, indexes=indexes)
    changes: dict[str, object] = {}
    if table.primary_key and table.primary_key.name == old:
        changes["primary_key"] = replace(table.primary_key, name=new)
    for attr in ("uniques", "checks", "foreign_keys", "excludes"):
        changes[attr] = tuple(
            replace(c, name=new) if c.name == old else c for c in getattr(table, attr)
        )
    return replace(table, **changes)  # type: ignore[arg-type]


def _label_renames(old: Enum, new: Enum) -> list[tuple[str, str]]:
    if len(old.labels) != len(new.labels):
        return []
    return [
        (a, b)
        for a, b in zip(old.labels, new.labels, strict=True)
        if a != b and a not in new.labels and b not in old.labels
    ]


# what modelgen and Alembic keep in a database for themselves: never migrated
NEVER = ("alembic_version", "modelgen_migration_log")
BACKUP_SCHEMA = "modelgen_backup"


def _migrated(schema: Schema) -> dict[Key, Table]:
    return {
        t.key: t
        for t in schema.tables
        if t.name not in NEVER and t.schema != BACKUP_SCHEMA
    }


def find_changes(old: Schema, new: Schema, renames: bool = True) -> Changes:
    """Every difference between OLD and production, renames found first."""
    old = replace(
        old, sequences=tuple(s for s in old.sequences if s.schema != BACKUP_SCHEMA)
    )
    new = replace(
        new, sequences=tuple(s for s in new.sequences if s.schema != BACKUP_SCHEMA)
    )
    found = Changes(old, new)
    old_tables = _migrated(old)
    new_tables = _migrated(new)
    gone = [t for k, t in old_tables.items() if k not in new_tables]
    came = [t for k, t in new_tables.items() if k not in old_tables]
    if renames:
        for before, after in _pairs(gone, came):
            found.table_renames[before.key] = after.key
            found.renames.append(f"table {before.schema}.{before.name} -> {after.name}")
    renamed_refs = {
        old_key: (ref_name(*old_key), ref_name(*new_key))
        for old_key, new_key in found.table_renames.items()
    }
    pairs: list[tuple[Table, Table]] = []
    for key, table in old_tables.items():
        target = found.table_renames.get(key, key)
        if target not in new_tables:
            found.dropped.append(table)
            continue
        current = _renamed_table(table, target) if target != key else table
        current = _retarget_keys(current, renamed_refs)
        pairs.append((current, new_tables[target]))
    matched = {n.key for _, n in pairs}
    found.added = [t for k, t in new_tables.items() if k not in matched]
    for before, after in pairs:
        if renames:
            for old_name, new_name in _column_pairs(before, after):
                before = _renamed_column(before, old_name, new_name)
                found.column_renames.append((after, old_name, new_name))
                found.renames.append(
                    f"column {after.schema}.{after.name}.{old_name} -> {new_name}"
                )
            for kind, old_name, new_name in _object_renames(before, after):
                before = _rename_object(before, kind, old_name, new_name)
                found.object_renames.append((after, kind, old_name, new_name))
                found.renames.append(
                    f"{kind} {after.schema}.{old_name} -> {new_name} (on {after.name})"
                )
            before = _sequence_renames(found, before, after)
        differences = tuple(table_differences(after, before))
        if differences:
            found.changed.append(TableChange(before, after, differences))
    if renames:
        for enum in new.enums:
            before_enum = old.enum(enum.schema, enum.name)
            if before_enum is not None:
                for a, b in _label_renames(before_enum, enum):
                    found.label_renames.append((enum, a, b))
                    found.renames.append(
                        f"enum label {enum.schema}.{enum.name}: {a!r} -> {b!r}"
                    )
    return found


def _sequence_renames(found: Changes, before: Table, after: Table) -> Table:
    """A column's nextval() sequence that OLD alone has, where production's same
    column calls one production alone has: renamed (its value kept)."""
    columns = []
    for column in before.columns:
        other = next((c for c in after.columns if c.name == column.name), None)
        was = sequence_name(column.default) if column.default else None
        now = sequence_name(other.default) if other and other.default else None
        if was and now and was != now:
            old_key = (was[0] or found.old.default_schema, was[1])
            new_key = (now[0] or found.new.default_schema, now[1])
            if (
                old_key[0] == new_key[0]
                and found.old.sequence(*old_key) is not None
                and found.new.sequence(*old_key) is None
                and found.new.sequence(*new_key) is not None
                and found.old.sequence(*new_key) is None
                and old_key not in found.sequence_renames
            ):
                found.sequence_renames[old_key] = new_key
                found.renames.append(
                    f"sequence {old_key[0]}.{old_key[1]} -> {new_key[1]}"
                )
                column = replace(
                    column,
                    default=other.default,  # type: ignore[union-attr]
                    serial_sequence=other.serial_sequence if column.serial_sequence else None,  # type: ignore[union-attr]
                )
        columns.append(column)
    return replace(before, columns=tuple(columns))


def _retarget_keys(table: Table, renamed: dict[Key, tuple[str, str]]) -> Table:
    """OLD's foreign keys to a renamed table, as PostgreSQL prints them after the rename."""
    if not renamed or not any(
        (k.ref_schema, k.ref_table) in renamed for k in table.foreign_keys
    ):
        return table
    keys = []
    for fk in table.foreign_keys:
        names = renamed.get((fk.ref_schema, fk.ref_table))
        if names is not None:
            fk = replace(
                fk,
                definition=fk.definition.replace(
                    f"REFERENCES {names[0]}(", f"REFERENCES {names[1]}(", 1
                ),
            )
        keys.append(fk)
    return replace(table, foreign_keys=tuple(keys))
