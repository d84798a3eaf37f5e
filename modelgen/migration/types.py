"""Steps for enums (labels added, renamed, or the type rebuilt), sequences and functions."""

from __future__ import annotations

import re

from modelgen.catalog.pgtext import closing_paren
from modelgen.catalog.reflect import split_top_level
from modelgen.catalog.schema import (
    Column,
    Enum,
    Schema,
    SequenceFact,
    Table,
)
from modelgen.migration import sql as q
from modelgen.migration.changes import Changes
from modelgen.migration.objects import (
    DROP_OTHERS,
    LABELS,
    TYPES,
    Step,
    _alter,
    _backup_schema,
    _move,
    _move_back,
    _table,
)

# -- types, sequences, functions ---------------------------------------------


def create_enum_step(enum: Enum) -> Step:
    labels = ", ".join(q.literal(label) for label in enum.labels)
    name = q.qualified(enum.schema, enum.name)
    return Step(
        f"create enum {enum.schema}.{enum.name}",
        q.type_probe(enum.schema, enum.name),
        ("e",),
        (f"CREATE TYPE {name} AS ENUM ({labels})",),
        (f"DROP TYPE {name}",),
        TYPES,
    )


def drop_enum_step(enum: Enum) -> Step:
    created = create_enum_step(enum)
    return Step(
        f"drop enum {enum.schema}.{enum.name}",
        created.probe,
        (None,),
        created.undo,
        created.run,
        DROP_OTHERS,
    )


def enum_users(schema: Schema, enum: Enum) -> list[tuple[Table, Column]]:
    return [
        (table, column)
        for table in schema.tables
        for column in table.columns
        if (column.type.schema, column.type.name) == (enum.schema, enum.name)
    ]


def _rebuild(enum: Enum, users: list[tuple[Table, Column]]) -> list[str]:
    """The type recreated with ``enum``'s labels, every column cast through text
    (PostgreSQL cannot drop or reorder a label in place).  Indexes and CHECKs
    that name the type (a partial index on a status) go first and come back."""
    aside = enum.name[:40] + "_modelgen_old"
    name = q.qualified(enum.schema, enum.name)
    labels = ", ".join(q.literal(label) for label in enum.labels)
    out = [f"ALTER TYPE {name} RENAME TO {q.ident(aside)}"]
    out.append(f"CREATE TYPE {name} AS ENUM ({labels})")
    again: list[str] = []
    for table in {t.key: t for t, _ in users}.values():
        for index in table.indexes:
            if enum.name in index.definition:
                out.append(f"DROP INDEX {q.qualified(table.schema, index.name)}")
                again.append(index.definition)
        for check in table.checks:
            if enum.name in check.definition:
                drop = (
                    f"ALTER TABLE {_table(table)} DROP CONSTRAINT {q.ident(check.name)}"
                )
                out.append(drop)
                again.append(
                    f"ALTER TABLE {_table(table)} ADD CONSTRAINT "
                    f"{q.ident(check.name)} {check.definition}"
                )
    for table, column in users:
        text = "text[]" if column.type.array_dims else "text"
        if column.default is not None:
            out.append(_alter(table, column, "DROP DEFAULT"))
        using = f"{q.ident(column.name)}::{text}::{column.type.display}"
        out.append(_alter(table, column, f"TYPE {column.type.display} USING {using}"))
        if column.default is not None:
            out.append(_alter(table, column, f"SET DEFAULT {column.default}"))
    return out + again + [f"DROP TYPE {q.qualified(enum.schema, aside)}"]


def enum_labels_step(
    before: Enum, after: Enum, renames: list[tuple[str, str]], changes: Changes
) -> Step:
    """Labels renamed in place, added in place (ALTER TYPE ... ADD VALUE, outside
    the transaction: a label added inside one cannot be used until it commits);
    a label removed or moved rebuilds the type.  Downgrade renames back and
    rebuilds the type with OLD's labels (a row holding a new label stops it)."""
    name = q.qualified(after.schema, after.name)
    old_schema: Schema = changes.old
    run = [
        f"ALTER TYPE {name} RENAME VALUE {q.literal(a)} TO {q.literal(b)}"
        for a, b in renames
    ]
    renamed = dict(renames)
    have = [renamed.get(label, label) for label in before.labels]
    in_order = [label for label in after.labels if label in have] == have
    hazards = []
    if in_order:
        for i, label in enumerate(after.labels):
            if label in have:
                continue
            later = [x for x in after.labels[i + 1 :] if x in have]
            where = f" BEFORE {q.literal(later[0])}" if later else ""
            run.append(
                f"ALTER TYPE {name} ADD VALUE IF NOT EXISTS {q.literal(label)}{where}"
            )
            have.insert(have.index(later[0]) if later else len(have), label)
    else:
        users = [(t, c) for t, c in enum_users(old_schema, before)]
        run += _rebuild(after, users)
        hazards.append(
            f"table rewrite: enum {after.schema}.{after.name} loses or reorders labels: the type is rebuilt and every column of it rewritten; fails if a row holds a removed label"
        )
    undo = [
        f"ALTER TYPE {name} RENAME VALUE {q.literal(b)} TO {q.literal(a)}"
        for a, b in renames
    ]
    if set(after.labels) - {renamed.get(x, x) for x in before.labels} or not in_order:
        # the renames went back first: the type holds OLD's labels and the new ones
        undo += _rebuild(before, enum_users(old_schema, before))
    return Step(
        f"enum {after.schema}.{after.name}: labels {list(before.labels)} -> {list(after.labels)}",
        q.labels_probe(after.schema, after.name),
        (q.labels_form(after.labels),),
        tuple(run),
        tuple(undo),
        LABELS if in_order else TYPES,
        online=in_order,
        hazards=tuple(hazards),
    )


def drop_sequence_step(seq: SequenceFact) -> Step:
    backup = q.backup_name("sequence", seq.schema, seq.name)
    return Step(
        f"drop sequence {seq.schema}.{seq.name} (kept as {q.BACKUP_SCHEMA}.{backup})",
        q.relation_probe(seq.schema, seq.name),
        (None,),
        (
            _backup_schema(),
            *_move("SEQUENCE", seq.schema, seq.name, q.BACKUP_SCHEMA, backup),
        ),
        tuple(_move_back("SEQUENCE", seq.schema, seq.name, backup)),
        DROP_OTHERS,
    )


def function_signature(ddl: str) -> str:
    """``schema.name(arg types)`` of a CREATE FUNCTION text, for DROP ROUTINE."""
    head = ddl.strip().split("\n", 1)[0]
    found = re.search(r"\b(?:FUNCTION|PROCEDURE) ", head)
    start = found.end() if found else 0
    paren = head.find("(", start)
    if paren < 0:
        return head[start:]
    end = closing_paren(head, paren)
    args = [
        a.split(" DEFAULT ", 1)[0].strip()
        for a in split_top_level(head[paren + 1 : end])
    ]
    return f"{head[start:paren]}({', '.join(a for a in args if a)})"
