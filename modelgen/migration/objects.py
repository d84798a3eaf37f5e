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

from modelgen.catalog.owned import OwnedStatement, drop_sql
from modelgen.catalog.pgtext import closing_paren
from modelgen.catalog.reflect import split_top_level
from modelgen.catalog.schema import (
    Column,
    Constraint,
    Enum,
    ForeignKey,
    Index,
    Schema,
    SequenceFact,
    Table,
)
from modelgen.migration import sql as q
from modelgen.migration.changes import Changes

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


def drop_table_steps(table: Table) -> list[Step]:
    """The table goes aside into the backup schema, with its rows; its triggers
    and foreign keys are dropped first (so nothing it calls or references is
    held), and come back with it."""
    backup = q.backup_name("table", table.schema, table.name, repr(table.columns))
    loose = [
        f"DROP TRIGGER {q.ident(t.name)} ON {_table(table)}" for t in table.triggers
    ]
    loose += [
        f"ALTER TABLE {_table(table)} DROP CONSTRAINT {q.ident(k.name)}"
        for k in table.foreign_keys
    ]
    back = [
        f"ALTER TABLE {_table(table)} ADD CONSTRAINT {q.ident(k.name)} {k.definition}"
        for k in table.foreign_keys
    ]
    back += [t.definition for t in table.triggers]
    where = f"{q.BACKUP_SCHEMA}.{backup}"
    return [
        Step(
            f"drop table {_label(table)} (kept as {where})",
            q.relation_probe(table.schema, table.name),
            (None,),
            (
                _backup_schema(),
                *loose,
                *_move("TABLE", table.schema, table.name, q.BACKUP_SCHEMA, backup),
            ),
            (*_move_back("TABLE", table.schema, table.name, backup), *back),
            DROP_TABLES,
            hazards=(
                f"drops table {_label(table)}: kept with its rows as {where} until the backups are cleared",
            ),
        )
    ]


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


def drop_column_steps(table: Table, column: Column) -> list[Step]:
    """The column's values go to a backup table (keyed by the primary key, else by
    row position) before it is dropped; downgrade adds it back and fills it."""
    target, name = _table(table), q.ident(column.name)
    drop = f"ALTER TABLE {target} DROP COLUMN {name}"
    label = f"drop column {_label(table, column.name)}"
    probe = q.column_probe(table.schema, table.name, column.name, "present")
    restore = [
        f"ALTER TABLE {target} ADD COLUMN {q.column_definition(column, not_null=False, identity=False)}"
    ]
    if column.generated is not None:
        return [Step(label, probe, (None,), (drop,), tuple(restore), DROP_COLUMNS)]
    backup = q.backup_name(
        "column", table.name, column.name, table.schema, repr(column)
    )
    where = f"{q.BACKUP_SCHEMA}.{backup}"
    keys = list(table.primary_key.columns) if table.primary_key else []
    if column.name in keys:
        keys = []
    picked = [q.ident(k) for k in keys] or ["ctid AS modelgen_ctid"]
    match = (
        " AND ".join(f"t.{q.ident(k)} = b.{q.ident(k)}" for k in keys)
        or "t.ctid = b.modelgen_ctid"
    )
    hazards = [
        f"drops column {_label(table, column.name)}: its values are kept in {where} until the backups are cleared"
    ]
    if not keys:
        hazards.append(
            f"{_label(table)} has no primary key: downgrade matches rows by position (ctid); rows updated since the upgrade do not get their value back"
        )
    cast = f"b.value::{column.type.display}"
    restore.append(
        f"UPDATE {target} AS t SET {name} = {cast} FROM {q.qualified(q.BACKUP_SCHEMA, backup)} AS b WHERE {match}"
    )
    if column.identity is not None:
        restore.append(
            f"ALTER TABLE {target} ALTER COLUMN {name} ADD{q.identity_clause(column.identity)}"
        )
    if not column.nullable:
        restore.append(f"ALTER TABLE {target} ALTER COLUMN {name} SET NOT NULL")
    restore += _column_extras(table, column)
    restore.append(f"DROP TABLE {q.qualified(q.BACKUP_SCHEMA, backup)}")
    copy = (
        f"CREATE TABLE {q.qualified(q.BACKUP_SCHEMA, backup)} AS SELECT {', '.join(picked)}, "
        f"{name}::text AS value FROM {target}"
    )
    return [
        Step(
            f"{label} (values kept in {where})",
            probe,
            (None,),
            (_backup_schema(), copy, drop),
            tuple(restore),
            DROP_COLUMNS,
            hazards=tuple(hazards),
        )
    ]


def alter_column_steps(
    old: Table, new: Table, before: Column, after: Column, facts: set[str]
) -> list[Step]:
    steps: list[Step] = []
    if facts & {"generated"}:
        return drop_column_steps(old, before) + add_column_steps(new, after)
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


# -- keys, constraints, indexes ----------------------------------------------


def keyed_steps(
    old: Table, new: Table, kind: str, want: object, got: object, fresh: bool = False
) -> list[Step]:
    """A primary key, unique, check, exclusion or foreign-key constraint, or an
    index, added, dropped or replaced."""
    item = want or got
    assert isinstance(item, Constraint | ForeignKey | Index)
    is_index = isinstance(item, Index)
    probe = (
        q.index_probe(new.schema, item.name)
        if is_index
        else q.constraint_probe(new.schema, new.name, item.name)
    )
    want_def = getattr(want, "definition", None)
    got_def = getattr(got, "definition", None)
    steps: list[Step] = []
    if (
        got_def is not None
        and want_def is not None
        and got_def == want_def + " NOT VALID"
    ):
        return [_validate_step(new, item, probe, want_def, got_def)]
    if got_def is not None:
        if is_index:
            drop = f"DROP INDEX IF EXISTS {q.qualified(old.schema, item.name)}"
            undo = got_def
        else:
            drop = f"ALTER TABLE {_table(old)} DROP CONSTRAINT IF EXISTS {q.ident(item.name)}"
            undo = f"ALTER TABLE {_table(old)} ADD CONSTRAINT {q.ident(item.name)} {got_def}"
        what = "changed" if want_def is not None else "gone"
        steps.append(
            Step(
                f"drop {kind} {item.name} on {_label(old)} ({what})",
                probe,
                (want_def, None),
                (drop,),
                (undo,),
                DROP_KEYS,
            )
        )
    if want is not None:
        steps.append(_add_index(new, want) if isinstance(want, Index) else _add_constraint(new, kind, want, probe))  # type: ignore[arg-type]
    return steps


def _validate_step(
    table: Table,
    item: Constraint | ForeignKey | Index,
    probe: str,
    want_def: str,
    got_def: str,
) -> Step:
    name = q.ident(item.name)
    return Step(
        f"validate {name} on {_label(table)}",
        probe,
        (want_def,),
        (f"ALTER TABLE {_table(table)} VALIDATE CONSTRAINT {name}",),
        (
            f"ALTER TABLE {_table(table)} DROP CONSTRAINT {name}",
            f"ALTER TABLE {_table(table)} ADD CONSTRAINT {name} {got_def}",
        ),
        ONLINE,
        online=True,
        hazards=(
            f"may fail on data: rows of {_label(table)} that violate {item.name}",
        ),
        fails=_violations(table, item),
    )


def _add_index(table: Table, index: Index) -> Step:
    name = q.qualified(table.schema, index.name)
    hazards = []
    fails = None
    if index.unique:
        hazards.append(
            f"may fail on data: duplicate values in {_label(table)} for unique index {index.name}"
        )
        fails = _duplicates(table, [e.column for e in index.elements], index.predicate)
    if table.partition_key:  # CONCURRENTLY cannot build an index on a partitioned table
        hazards.append(
            f"exclusive lock: index {index.name} is built while {_label(table)} is locked against writes"
        )
        return Step(
            f"create index {index.name} on {_label(table)}",
            q.index_probe(table.schema, index.name),
            (index.definition,),
            (f"DROP INDEX IF EXISTS {name}", index.definition),
            (f"DROP INDEX IF EXISTS {name}",),
            CONSTRAINTS,
            hazards=tuple(hazards),
            fails=fails,
        )
    concurrent = index.definition.replace(" INDEX ", " INDEX CONCURRENTLY ", 1)
    return Step(
        f"create index {index.name} on {_label(table)} (concurrently)",
        q.index_probe(table.schema, index.name),
        (index.definition,),
        (f"DROP INDEX CONCURRENTLY IF EXISTS {name}", concurrent),
        (f"DROP INDEX CONCURRENTLY IF EXISTS {name}",),
        ONLINE,
        online=True,
        undo_online=True,
        hazards=tuple(hazards),
        fails=fails,
    )


def _add_constraint(
    table: Table, kind: str, item: Constraint | ForeignKey, probe: str
) -> Step:
    target, name = _table(table), q.ident(item.name)
    drop = f"ALTER TABLE {target} DROP CONSTRAINT IF EXISTS {name}"
    undo = (drop,)
    label = f"add {kind} {item.name} on {_label(table)}"
    fails = _violations(table, item)
    if isinstance(item, ForeignKey) or getattr(item, "kind", "") == "c":
        body = item.definition.removesuffix(" NOT VALID")
        run = [drop, f"ALTER TABLE {target} ADD CONSTRAINT {name} {body} NOT VALID"]
        hazards: tuple[str, ...] = ()
        if not item.not_valid:
            run.append(f"ALTER TABLE {target} VALIDATE CONSTRAINT {name}")
            hazards = (
                f"may fail on data: rows of {_label(table)} that violate {item.name}",
            )
        else:
            fails = None
        return Step(
            label
            + (
                " (NOT VALID, then validated)" if not item.not_valid else " (NOT VALID)"
            ),
            probe,
            (item.definition,),
            tuple(run),
            undo,
            ONLINE,
            online=True,
            hazards=hazards,
            fails=fails,
        )
    hazards = (
        f"exclusive lock: {item.name} builds its index while {_label(table)} is locked (ACCESS EXCLUSIVE)",
    )
    if item.kind in ("u", "p"):
        hazards += (
            f"may fail on data: duplicate values in {_label(table)} for {item.name}",
        )
    return Step(
        label,
        probe,
        (item.definition,),
        (drop, f"ALTER TABLE {target} ADD CONSTRAINT {name} {item.definition}"),
        undo,
        CONSTRAINTS,
        hazards=hazards,
        fails=fails,
    )


def _duplicates(
    table: Table, columns: list[str | None], predicate: str | None
) -> str | None:
    if not columns or any(c is None for c in columns):
        return None  # an expression index: no simple query finds its duplicates
    cols = ", ".join(q.ident(c) for c in columns if c)
    where = " AND ".join(f"{q.ident(c)} IS NOT NULL" for c in columns if c)
    if predicate:
        where += f" AND ({predicate})"
    return f"SELECT EXISTS (SELECT 1 FROM {_table(table)} WHERE {where} GROUP BY {cols} HAVING count(*) > 1)"


def _violations(table: Table, item: object) -> str | None:
    """SQL that is true when ``table``'s rows would break ``item``."""
    if isinstance(item, ForeignKey):
        here = " AND ".join(f"c.{q.ident(c)} IS NOT NULL" for c in item.columns)
        match = " AND ".join(
            f"p.{q.ident(r)} = c.{q.ident(c)}"
            for c, r in zip(item.columns, item.ref_columns, strict=False)
        )
        ref = q.qualified(item.ref_schema, item.ref_table)
        return f"SELECT EXISTS (SELECT 1 FROM {_table(table)} AS c WHERE {here} AND NOT EXISTS (SELECT 1 FROM {ref} AS p WHERE {match}))"
    if isinstance(item, Constraint) and item.kind == "c" and item.expression:
        return _exists(table, f"NOT ({item.expression})")
    if isinstance(item, Constraint) and item.kind in ("u", "p"):
        return _duplicates(table, list(item.columns), None)
    return None


# -- table-owned objects -------------------------------------------------------


def owned_probe(
    old: Table,
    new: Table,
    item: OwnedStatement,
    want: OwnedStatement | None,
    got: OwnedStatement | None,
) -> tuple[str, str | None, str | None]:
    """(probe, production's form, OLD's form) of a trigger, trigger state,
    row-level security flag, policy or partition."""
    s, t = new.schema, new.name

    def find(table: Table, attr: str) -> object | None:
        return next((x for x in getattr(table, attr) if x.name == item.name), None)

    if item.kind == "trigger":
        forms = [getattr(find(x, "triggers"), "definition", None) for x in (new, old)]
        return (
            q.trigger_probe(s, t, item.name),
            forms[0] if want else None,
            forms[1] if got else None,
        )
    if item.kind == "trigger state":
        forms = [getattr(find(x, "triggers"), "enabled", "O") for x in (new, old)]
        return (
            q.trigger_probe(s, t, item.name, "enabled"),
            forms[0] if want else "O",
            forms[1] if got else "O",
        )
    if item.kind == "row level security":
        return (
            q.row_security_probe(s, t, item.name),
            "true" if want else "false",
            "true" if got else "false",
        )
    if item.kind == "policy":
        forms = [find(x, "policies") for x in (new, old)]
        return (
            q.policy_probe(s, t, item.name),
            q.policy_form(forms[0]) if want and forms[0] else None,  # type: ignore[arg-type]
            q.policy_form(forms[1]) if got and forms[1] else None,  # type: ignore[arg-type]
        )
    if item.kind == "partition":
        schema, _, name = item.name.partition(".")
        kind = "p" if " PARTITION BY " in item.sql else "r"
        return (
            q.relation_probe(schema, name),
            kind if want else None,
            kind if got else None,
        )
    return (
        q.named_probe(item.kind, item.name),
        q.PRESENT if want else None,
        q.PRESENT if got else None,
    )


def owned_drop(table: Table, statement: OwnedStatement) -> str:
    if statement.kind in ("policy", "trigger", "trigger state", "row level security"):
        return drop_sql(table, statement)
    if statement.kind == "partition":
        schema, _, name = statement.name.partition(".")
        return f"DROP TABLE IF EXISTS {q.qualified(schema, name)}"
    if statement.kind == "index":
        return f"DROP INDEX IF EXISTS {q.qualified(table.schema, statement.name)}"
    return f"SELECT 1  -- {statement.kind} {statement.name} goes with its partition"


def owned_hazards(statement: OwnedStatement) -> tuple[str, ...]:
    if statement.kind == "row level security":
        return (
            f"row-level security ({statement.name}): roles without a policy see no rows",
        )
    return ()


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
