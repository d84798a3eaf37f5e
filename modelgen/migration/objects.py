"""One object's change -> its guarded steps: tables, columns, keys, indexes, types.

Each builder returns plain ``Step`` data: the statements that give the
object production's form, the probe that tells whether it already has it,
the statements that undo it, and its hazards.  Data never goes: a dropped
column's values and a dropped table or sequence are kept in the
``modelgen_backup`` schema until a team clears it (docs/migration.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from modelgen.catalog.schema import (
    Column,
    Table,
)
from modelgen.migration import sql as q

# phases, in the order upgrade() runs them
(
    LABELS,
    SCHEMAS,
    TYPES,
    PREREQUISITES,
    SEQUENCES,
    RENAMES,
    DROP_KEYS,
    DROP_COLUMNS,
    DROP_TABLES,
    DROP_OTHERS,
    TABLES,
    COLUMNS,
    CONSTRAINTS,
    OWNED,
    ONLINE,
) = range(15)


@dataclass(frozen=True)
class Step:
    label: str  # one human line: what the step does
    probe: str  # SQL: the object's form in the database now (NULL: absent)
    skip: tuple[str | None, ...]  # forms in which the step has nothing to do
    run: tuple[str, ...]
    undo: tuple[str, ...]  # what downgrade() runs, after the later steps' undo
    phase: int
    online: bool = False  # run: each statement in its own transaction
    hazards: tuple[str, ...] = ()
    fails: str | None = None  # SQL: true when the target's data makes it fail
    undo_online: bool = False  # undo: each statement in its own transaction


def _table(table: Table) -> str:
    return q.qualified(table.schema, table.name)


def _label(table: Table, name: str = "") -> str:
    return f"{table.schema}.{table.name}" + (f".{name}" if name else "")


def _exists(table: Table, where: str) -> str:
    return f"SELECT EXISTS (SELECT 1 FROM {_table(table)} WHERE {where})"


def _backup_schema() -> str:
    return f"CREATE SCHEMA IF NOT EXISTS {q.ident(q.BACKUP_SCHEMA)}"


def _move(kind: str, schema: str, name: str, to_schema: str, to_name: str) -> list[str]:
    """Statements that move a table or sequence to another schema and name."""
    return [
        f"ALTER {kind} {q.qualified(schema, name)} RENAME TO {q.ident(to_name)}",
        f"ALTER {kind} {q.qualified(schema, to_name)} SET SCHEMA {q.ident(to_schema)}",
    ]


def _move_back(kind: str, schema: str, name: str, backup: str) -> list[str]:
    return [
        f"ALTER {kind} {q.qualified(q.BACKUP_SCHEMA, backup)} SET SCHEMA {q.ident(schema)}",
        f"ALTER {kind} {q.qualified(schema, backup)} RENAME TO {q.ident(name)}",
    ]


def note(why: str) -> Step:
    """A change the revision leaves alone: named, never run."""
    text = f"not migrated: {why}"
    return Step(text, "SELECT NULL", (None,), (), (), COLUMNS, hazards=(text,))


# -- tables ------------------------------------------------------------------


def create_table_steps(table: Table) -> list[Step]:
    items = [q.column_definition(c) for c in table.columns]
    constraints = [table.primary_key] if table.primary_key else []
    constraints += list(table.uniques) + list(table.excludes)
    constraints += [c for c in table.checks if not c.not_valid]
    items += [f"CONSTRAINT {q.ident(c.name)} {c.definition}" for c in constraints]
    create = f"CREATE TABLE {_table(table)} (" + ", ".join(items) + ")"
    if table.partition_key:
        create += f" PARTITION BY {table.partition_key}"
    run = [create]
    if table.comment is not None:
        run.append(f"COMMENT ON TABLE {_table(table)} IS {q.literal(table.comment)}")
    for column in table.columns:
        run += _column_extras(table, column)
    return [
        Step(
            f"create table {_label(table)}",
            q.relation_probe(table.schema, table.name),
            ("r", "p"),
            tuple(run),
            (f"DROP TABLE {_table(table)}",),
            TABLES,
        )
    ]


def _column_extras(table: Table, column: Column) -> list[str]:
    """A column's comment and the sequence it owns, once it exists."""
    run = []
    if column.comment is not None:
        target = f"{_table(table)}.{q.ident(column.name)}"
        run.append(f"COMMENT ON COLUMN {target} IS {q.literal(column.comment)}")
    if column.serial_sequence:
        run.append(
            f"ALTER SEQUENCE {column.serial_sequence} OWNED BY "
            f"{_table(table)}.{q.ident(column.name)}"
        )
    return run


def table_comment_step(old: Table, new: Table) -> Step:
    def comment(text: str | None) -> str:
        return f"COMMENT ON TABLE {_table(new)} IS {q.literal(text) if text is not None else 'NULL'}"

    return Step(
        f"set comment on table {_label(new)}",
        q.table_comment_probe(new.schema, new.name),
        (new.comment or "",),
        (comment(new.comment),),
        (comment(old.comment),),
        COLUMNS,
    )


# -- columns -----------------------------------------------------------------

_VOLATILE = re.compile(
    r"\b(?:nextval|random|gen_random_uuid|uuid_generate_v\w*|clock_timestamp|timeofday)\("
)


def add_column_steps(table: Table, column: Column) -> list[Step]:
    hazards = []
    fails = None
    if (
        column.identity
        or column.generated
        or (column.default and _VOLATILE.search(column.default))
    ):
        hazards.append(
            f"table rewrite: adding {_label(table, column.name)} rewrites the table under an ACCESS EXCLUSIVE lock"
        )
    elif not column.nullable and column.default is None:
        hazards.append(
            f"may fail on data: {_label(table, column.name)} is NOT NULL with no default: fails when the table has rows"
        )
        fails = f"SELECT EXISTS (SELECT 1 FROM {_table(table)})"
    run = [f"ALTER TABLE {_table(table)} ADD COLUMN {q.column_definition(column)}"]
    return [
        Step(
            f"add column {_label(table, column.name)}",
            q.column_probe(table.schema, table.name, column.name, "present"),
            (q.PRESENT,),
            tuple(run + _column_extras(table, column)),
            (
                f"ALTER TABLE {_table(table)} DROP COLUMN IF EXISTS {q.ident(column.name)}",
            ),
            COLUMNS,
            hazards=tuple(hazards),
            fails=fails,
        )
    ]


def alter_column_steps(
    old: Table, new: Table, before: Column, after: Column, facts: set[str]
) -> list[Step]:
    steps: list[Step] = []
    if facts & {"type", "collation", "collation_schema"}:
        steps.append(_type_step(new, before, after))
    if "default" in facts:
        steps.append(
            _fact_step(
                new,
                after,
                "default",
                after.default or "",
                _set_default(new, after, after.default),
                _set_default(new, after, before.default),
            )
        )
    if "nullable" in facts:
        steps.append(_nullable_step(new, before, after))
    if "comment" in facts:
        steps.append(
            _fact_step(
                new,
                after,
                "comment",
                after.comment or "",
                _comment(new, after, after.comment),
                _comment(new, after, before.comment),
            )
        )
    if "identity" in facts:
        steps.append(
            _fact_step(
                new,
                after,
                "identity",
                q.identity_form(after.identity),
                _identity(new, after, before, after),
                _identity(new, after, after, before),
            )
        )
    if "serial_sequence" in facts and after.serial_sequence:
        owned = f"{_table(new)}.{q.ident(after.name)}"
        steps.append(
            _fact_step(
                new,
                after,
                "owned",
                after.serial_sequence,
                (f"ALTER SEQUENCE {after.serial_sequence} OWNED BY {owned}",),
                (f"ALTER SEQUENCE {after.serial_sequence} OWNED BY NONE",),
            )
        )
    return steps


def _fact_step(
    table: Table,
    column: Column,
    fact: str,
    form: str,
    run: tuple[str, ...],
    undo: tuple[str, ...],
) -> Step:
    return Step(
        f"set {fact} of {_label(table, column.name)}",
        q.column_probe(table.schema, table.name, column.name, fact),
        (form,),
        run,
        undo,
        COLUMNS,
    )


def _alter(table: Table, column: Column, what: str) -> str:
    return f"ALTER TABLE {_table(table)} ALTER COLUMN {q.ident(column.name)} {what}"


def _set_default(table: Table, column: Column, default: str | None) -> tuple[str, ...]:
    return (
        _alter(
            table,
            column,
            f"SET DEFAULT {default}" if default is not None else "DROP DEFAULT",
        ),
    )


def _comment(table: Table, column: Column, text: str | None) -> tuple[str, ...]:
    value = q.literal(text) if text is not None else "NULL"
    return (f"COMMENT ON COLUMN {_table(table)}.{q.ident(column.name)} IS {value}",)


def _identity(
    table: Table, column: Column, before: Column, after: Column
) -> tuple[str, ...]:
    if after.identity is None:
        return (_alter(table, column, "DROP IDENTITY IF EXISTS"),)
    if before.identity is None:
        return (_alter(table, column, "ADD" + q.identity_clause(after.identity)),)
    ident = after.identity
    kind = "ALWAYS" if ident.always else "BY DEFAULT"
    options = (
        f"SET START WITH {ident.start} SET INCREMENT BY {ident.increment} "
        f"SET MINVALUE {ident.minvalue} SET MAXVALUE {ident.maxvalue} "
        f"SET CACHE {ident.cache} SET {'CYCLE' if ident.cycle else 'NO CYCLE'}"
    )
    return (_alter(table, column, f"SET GENERATED {kind} {options}"),)


_CHEAP = re.compile(
    r"^(character varying|varchar|numeric|bit varying)\((\d+)(?:,\s*(\d+))?\)$"
)


def _rewrites(before: str, after: str) -> bool:
    """Whether ALTER COLUMN TYPE from ``before`` to ``after`` rewrites the table
    (PostgreSQL skips it for a wider varchar, varchar to text, a wider numeric)."""
    if after == "text" and before.startswith("character varying"):
        return False
    if after == "character varying" and before.startswith("character varying("):
        return False
    old, new = _CHEAP.match(before), _CHEAP.match(after)
    if old and new and old.group(1) == new.group(1) and old.group(3) == new.group(3):
        return int(new.group(2)) < int(old.group(2))
    return True


def _type_step(table: Table, before: Column, after: Column) -> Step:
    def change(a: Column, b: Column) -> tuple[str, ...]:
        # a default that cannot be cast goes first and comes back after
        out = [_alter(table, a, "DROP DEFAULT")] if a.default is not None else []
        using = f"{q.ident(a.name)}::{b.type.display}"
        out.append(
            _alter(
                table, a, f"TYPE {b.type.display}{q.collate_clause(b)} USING {using}"
            )
        )
        if b.default is not None:
            out.append(_alter(table, a, f"SET DEFAULT {b.default}"))
        return tuple(out)

    hazards = []
    if (
        _rewrites(before.type.display, after.type.display)
        or before.collation != after.collation
    ):
        hazards.append(
            f"table rewrite: {_label(table, after.name)} {before.type.display} -> {after.type.display} rewrites the table and its indexes under an ACCESS EXCLUSIVE lock"
        )
        hazards.append(
            f"may fail on data: values of {_label(table, after.name)} that do not convert to {after.type.display}"
        )
    return Step(
        f"change type of {_label(table, after.name)} to {after.type.display}",
        q.column_probe(table.schema, table.name, after.name, "type"),
        (q.type_form(after),),
        change(before, after),
        change(after, before),
        COLUMNS,
        hazards=tuple(hazards),
    )


def _nullable_step(table: Table, before: Column, after: Column) -> Step:
    label = _label(table, after.name)
    probe = q.column_probe(table.schema, table.name, after.name, "nullable")
    if after.nullable:
        return Step(
            f"drop NOT NULL on {label}",
            probe,
            ("NULL",),
            (_alter(table, after, "DROP NOT NULL"),),
            (_alter(table, after, "SET NOT NULL"),),
            COLUMNS,
        )
    # through a CHECK validated apart: SET NOT NULL then needs no scan under its lock
    check = q.ident(q.backup_name("nn", table.name, after.name)[-40:] + "_not_null")
    target = _table(table)
    run = (
        f"ALTER TABLE {target} DROP CONSTRAINT IF EXISTS {check}",
        f"ALTER TABLE {target} ADD CONSTRAINT {check} CHECK ({q.ident(after.name)} IS NOT NULL) NOT VALID",
        f"ALTER TABLE {target} VALIDATE CONSTRAINT {check}",
        _alter(table, after, "SET NOT NULL"),
        f"ALTER TABLE {target} DROP CONSTRAINT {check}",
    )
    return Step(
        f"set NOT NULL on {label}",
        probe,
        ("NOT NULL",),
        run,
        (
            f"ALTER TABLE {target} DROP CONSTRAINT IF EXISTS {check}",
            _alter(table, after, "DROP NOT NULL"),
        ),
        ONLINE,
        online=True,
        hazards=(
            f"may fail on data: SET NOT NULL on {label} fails where it holds NULLs",
        ),
        fails=_exists(table, f"{q.ident(after.name)} IS NULL"),
    )
