"""What upgrade drops, kept: a dropped table goes aside into the backup schema
with its rows; a dropped column's values are copied there first, and the
downgrade puts the column back in its place (docs/migration.md, "Downgrade
loses no data")."""

from __future__ import annotations

from modelgen.catalog.schema import Column, Table
from modelgen.migration import sql as q
from modelgen.migration.objects import (
    DROP_COLUMNS,
    DROP_TABLES,
    Step,
    _alter,
    _backup_schema,
    _column_extras,
    _label,
    _move,
    _move_back,
    _table,
)


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
    later = _later_columns(table, column)
    if later:
        restore = _back_in_place(table, column, later, restore)
        hazards.append(
            f"downgrade rewrites {_label(table)}: {column.name} goes back in its place, "
            f"so the {len(later)} column(s) after it are added again in order, and the "
            "table's keys, indexes and triggers dropped and recreated"
        )
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


def _later_columns(table: Table, column: Column) -> list[Column]:
    names = [c.name for c in table.columns]
    return list(table.columns[names.index(column.name) + 1 :])


_ASIDE = "_modelgen_aside"


def _back_in_place(
    table: Table, column: Column, later: list[Column], restore: list[str]
) -> list[str]:
    """The column put back at its position: PostgreSQL only appends, so the later
    columns are set aside, the column and then they are added again in order and
    filled, and the keys, indexes and triggers that used them are dropped first
    and recreated last (read from the catalog at that moment, in a DO block)."""
    target = _table(table)
    out = [_SAVE_DEPENDENTS.replace("@T@", q.literal(target))]
    for item in later:
        if item.serial_sequence:
            out.append(f"ALTER SEQUENCE {item.serial_sequence} OWNED BY NONE")
        aside = q.ident(item.name[:40] + _ASIDE)
        out.append(
            f"ALTER TABLE {target} RENAME COLUMN {q.ident(item.name)} TO {aside}"
        )
    # the column and its values first: while nothing has been rewritten, a row
    # keyed by its position (ctid) is still where the backup saw it
    out += restore[:2]
    copied = []
    for item in later:
        bare = Column(
            item.name,
            item.type,
            collation=item.collation,
            collation_schema=item.collation_schema,
            generated=item.generated,
        )
        out.append(f"ALTER TABLE {target} ADD COLUMN {q.column_definition(bare)}")
        if item.generated is None:
            copied.append(f"{q.ident(item.name)} = {q.ident(item.name[:40] + _ASIDE)}")
    if copied:
        out.append(f"UPDATE {target} SET {', '.join(copied)}")
    for item in later:
        out.append(
            f"ALTER TABLE {target} DROP COLUMN {q.ident(item.name[:40] + _ASIDE)}"
        )
    out += restore[2:]  # the column's NOT NULL, identity, comment; the backup goes
    for item in later:
        if item.generated is None and item.default is not None:
            out.append(_alter(table, item, f"SET DEFAULT {item.default}"))
        if item.identity is not None:
            out.append(_alter(table, item, "ADD" + q.identity_clause(item.identity)))
            out.append(
                f"SELECT setval(pg_get_serial_sequence({q.literal(target)}, "
                f"{q.literal(item.name)}), COALESCE((SELECT max({q.ident(item.name)}) "
                f"FROM {target}), {item.identity.start}), (SELECT max({q.ident(item.name)}) "
                f"FROM {target}) IS NOT NULL)"
            )
        if not item.nullable:
            out.append(_alter(table, item, "SET NOT NULL"))
        out += _column_extras(table, item)
    out.append(_RESTORE_DEPENDENTS)
    return out


# Keys (and foreign keys into the table), indexes and triggers of @T@, saved as
# their exact CREATE text and dropped; _RESTORE_DEPENDENTS creates them again.
_SAVE_DEPENDENTS = """DO $modelgen$
DECLARE r record;
BEGIN
  CREATE TEMP TABLE IF NOT EXISTS modelgen_dependents (n serial, ddl text);
  TRUNCATE modelgen_dependents;
  FOR r IN SELECT c.conrelid::regclass AS rel, c.conname, pg_get_constraintdef(c.oid) AS def
           FROM pg_constraint c
           WHERE (c.conrelid = @T@::regclass OR c.confrelid = @T@::regclass)
             AND c.contype IN ('p', 'u', 'f', 'c', 'x') AND c.conparentid = 0
           ORDER BY c.contype <> 'f', c.conname LOOP
    INSERT INTO modelgen_dependents (ddl)
      VALUES (format('ALTER TABLE %s ADD CONSTRAINT %I %s', r.rel, r.conname, r.def));
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.rel, r.conname);
  END LOOP;
  FOR r IN SELECT i.indexrelid::regclass AS idx, pg_get_indexdef(i.indexrelid) AS def
           FROM pg_index i WHERE i.indrelid = @T@::regclass LOOP
    INSERT INTO modelgen_dependents (ddl) VALUES (r.def);
    EXECUTE format('DROP INDEX %s', r.idx);
  END LOOP;
  FOR r IN SELECT t.tgname, pg_get_triggerdef(t.oid, false) AS def FROM pg_trigger t
           WHERE t.tgrelid = @T@::regclass AND NOT t.tgisinternal LOOP
    INSERT INTO modelgen_dependents (ddl) VALUES (r.def);
    EXECUTE format('DROP TRIGGER %I ON %s', r.tgname, @T@);
  END LOOP;
END $modelgen$"""

_RESTORE_DEPENDENTS = """DO $modelgen$
DECLARE r record;
BEGIN
  FOR r IN SELECT ddl FROM modelgen_dependents ORDER BY n DESC LOOP
    EXECUTE r.ddl;
  END LOOP;
  DROP TABLE modelgen_dependents;
END $modelgen$"""
