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
    renames: list[str] = field(default_factory=list)  # what the command says


def ref_name(schema: str, table: str) -> str:
    """How pg_get_constraintdef names a table read with search_path = public."""
    if schema == "public":
        return quote_ident(table)
    return f"{quote_ident(schema)}.{quote_ident(table)}"


def _signature(table: Table) -> tuple[tuple[str, str], ...]:
    return tuple((c.name, c.type.display) for c in table.columns)


def _pairs(olds: list[Table], news: list[Table]) -> list[tuple[Table, Table]]:
    """Tables alike in one schema, each signature once on each side."""
    old_count = Counter((t.schema, _signature(t)) for t in olds)
    new_by = {(t.schema, _signature(t)): t for t in news}
    new_count = Counter((t.schema, _signature(t)) for t in news)
    found = []
    for table in olds:
        sig = (table.schema, _signature(table))
        if old_count[sig] == 1 and new_count[sig] == 1 and table.columns:
            found.append((table, new_by[sig]))
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
    changes = {}
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


def find_changes(old: Schema, new: Schema, renames: bool = True) -> Changes:
    """Every difference between OLD and production, renames found first."""
    found = Changes(old, new)
    old_tables = {t.key: t for t in old.tables}
    new_tables = {t.key: t for t in new.tables}
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
