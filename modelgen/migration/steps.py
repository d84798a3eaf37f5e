"""Changes -> ordered, guarded steps, each with what undoes it and its hazards.

A step acts on one object.  It runs only when the object's form in the
database (its probe, read at upgrade time) is not one of ``skip``, so a
revision is a no-op wherever production's form is already there.  Steps are
ordered by phase, so what an object needs comes before it: schemas and types,
then renames, then drops (keys and indexes before their columns, columns
before tables), then tables, columns and constraints, then table-owned
objects (functions came first), then the online phase, whose steps run
outside the transaction (CREATE INDEX CONCURRENTLY, VALIDATE CONSTRAINT).
"""

from __future__ import annotations

from modelgen.catalog.owned import OwnedStatement, drop_sql, owned_statements
from modelgen.catalog.prerequisites import (
    Prerequisite,
    domain_ddl,
    find_prerequisites,
)
from modelgen.catalog.schema import Table
from modelgen.migration import dropped, keys, types
from modelgen.migration import objects as obj
from modelgen.migration import sql as q
from modelgen.migration.changes import Changes, TableChange
from modelgen.migration.objects import (
    DROP_KEYS,
    DROP_OTHERS,
    OWNED,
    PREREQUISITES,
    RENAMES,
    SCHEMAS,
    SEQUENCES,
    Step,
)
from modelgen.migration.tables import order_tables


def build_steps(changes: Changes) -> list[Step]:
    """Every step of the revision, in the order upgrade() runs them."""
    steps: list[Step] = []
    steps += _prerequisite_steps(changes)
    steps += _enum_steps(changes)
    steps += _sequence_steps(changes)
    steps += [
        s
        for t in _dependents_first(changes.dropped)
        for s in dropped.drop_table_steps(t)
    ]
    steps += _rename_steps(changes)
    for change in changes.changed:
        steps += _table_change_steps(change)
    for table in changes.added:
        steps += obj.create_table_steps(table)
        steps += _new_table_objects(table)
    return sorted(steps, key=lambda s: s.phase)  # stable: the order within a phase


# -- prerequisites and types ------------------------------------------------


def _prerequisite_steps(changes: Changes) -> list[Step]:
    """Schemas, extensions, collations, range and composite types, domains and
    functions production has and OLD lacks (or, for functions, has otherwise)."""
    old = {(p.kind, p.schema, p.name): p for p in find_prerequisites(changes.old)}
    steps = []
    functions_done: set[tuple[str, str]] = set()
    for item in find_prerequisites(changes.new):
        key = (item.kind, item.schema, item.name)
        if item.kind == "function":
            if (item.schema, item.name) not in functions_done:
                functions_done.add((item.schema, item.name))
                steps += _function_step(changes, item.schema, item.name)
            continue
        if key in old or item.kind == "domain":  # domains: _domain_steps
            continue
        steps.append(_create_prerequisite(item))
    for item in find_prerequisites(changes.old):
        if item.kind == "function" and (item.schema, item.name) not in functions_done:
            functions_done.add((item.schema, item.name))
            steps += _function_step(changes, item.schema, item.name)
    return steps + _domain_steps(changes)


def _domain_steps(changes: Changes) -> list[Step]:
    steps = []
    for domain in changes.new.domains:
        before = changes.old.domain(domain.schema, domain.name)
        name = q.qualified(domain.schema, domain.name)
        if before is None:
            steps.append(
                Step(
                    f"create domain {domain.schema}.{domain.name}",
                    q.type_probe(domain.schema, domain.name),
                    ("d",),
                    (domain_ddl(domain),),
                    (f"DROP DOMAIN {name}",),
                    PREREQUISITES,
                )
            )
        elif before != domain:
            steps.append(obj.note(f"domain {domain.schema}.{domain.name} changed"))
    for domain in changes.old.domains:
        if changes.new.domain(domain.schema, domain.name) is None:
            name = q.qualified(domain.schema, domain.name)
            steps.append(
                Step(
                    f"drop domain {domain.schema}.{domain.name}",
                    q.type_probe(domain.schema, domain.name),
                    (None,),
                    (f"DROP DOMAIN {name}",),
                    (domain_ddl(domain),),
                    DROP_OTHERS,
                )
            )
    return steps


def _create_prerequisite(item: Prerequisite) -> Step:
    phase = PREREQUISITES
    if item.kind in ("schema", "extension", "collation"):
        phase = SCHEMAS
    if item.kind == "schema":
        probe, drop = q.schema_probe(item.name), f"DROP SCHEMA {q.ident(item.name)}"
    elif item.kind == "extension":
        probe, drop = (
            q.extension_probe(item.name),
            f"DROP EXTENSION {q.ident(item.name)}",
        )
    elif item.kind == "collation":
        probe = q.catalog_probe("pg_collation", "coll", item.schema, item.name)
        drop = f"DROP COLLATION {q.qualified(item.schema, item.name)}"
    else:  # range, composite, domain
        probe = q.catalog_probe("pg_type", "typ", item.schema, item.name)
        drop = f"DROP {'DOMAIN' if item.kind == 'domain' else 'TYPE'} {q.qualified(item.schema, item.name)}"
    return Step(
        f"create {item.label}",
        probe,
        (q.PRESENT,),
        (item.ddl,),
        (drop,),
        phase,
    )


def _function_step(changes: Changes, schema: str, name: str) -> list[Step]:
    """A function's overloads as production has them: CREATE OR REPLACE each."""
    want = [d for s, n, d in changes.new.functions if (s, n) == (schema, name)]
    had = [d for s, n, d in changes.old.functions if (s, n) == (schema, name)]
    if want == had:
        return []
    label = f"{schema}.{name}"
    if not want:
        drop = tuple(f"DROP FUNCTION {types.function_signature(d)}" for d in had)
        return [
            Step(
                f"drop function {label}",
                q.function_probe(schema, name),
                (None,),
                drop,
                tuple(had),
                DROP_OTHERS,
            )
        ]
    # an overload OLD has and production lacks goes; the others are (re)placed
    stale = [
        d
        for d in had
        if types.function_signature(d)
        not in {types.function_signature(w) for w in want}
    ]
    new_sigs = {types.function_signature(d) for d in want} - {
        types.function_signature(d) for d in had
    }
    undo = tuple(f"DROP FUNCTION {s}" for s in sorted(new_sigs)) + tuple(had)
    return [
        Step(
            f"{'replace' if had else 'create'} function {label}",
            q.function_probe(schema, name),
            ("\x1e".join(want),),
            tuple(
                f"DROP FUNCTION IF EXISTS {types.function_signature(d)}" for d in stale
            )
            + tuple(want),
            undo,
            PREREQUISITES,
        )
    ]


def _enum_steps(changes: Changes) -> list[Step]:
    steps = []
    renamed: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for enum, a, b in changes.label_renames:
        renamed.setdefault((enum.schema, enum.name), []).append((a, b))
    for enum in changes.new.enums:
        before = changes.old.enum(enum.schema, enum.name)
        if before is None:
            steps.append(types.create_enum_step(enum))
        elif before.labels != enum.labels:
            pairs = renamed.get((enum.schema, enum.name), [])
            steps.append(types.enum_labels_step(before, enum, pairs, changes))
    for enum in changes.old.enums:
        if changes.new.enum(enum.schema, enum.name) is None:
            steps.append(types.drop_enum_step(enum))
    return steps


def _sequence_steps(changes: Changes) -> list[Step]:
    steps = []
    for (schema, old), (_, new) in changes.sequence_renames.items():
        steps.append(
            Step(
                f"rename sequence {schema}.{old} to {new}",
                q.relation_probe(schema, new),
                ("S",),
                (
                    f"ALTER SEQUENCE {q.qualified(schema, old)} RENAME TO {q.ident(new)}",
                ),
                (
                    f"ALTER SEQUENCE {q.qualified(schema, new)} RENAME TO {q.ident(old)}",
                ),
                RENAMES,
            )
        )
    renamed = set(changes.sequence_renames) | set(changes.sequence_renames.values())
    for seq in changes.new.sequences:
        if (seq.schema, seq.name) in renamed:
            continue
        before = changes.old.sequence(seq.schema, seq.name)
        if before == seq:
            continue
        label = f"{seq.schema}.{seq.name}"
        probe = q.sequence_probe(seq.schema, seq.name)
        if before is None:
            steps.append(
                Step(
                    f"create sequence {label}",
                    probe,
                    (q.sequence_form(seq),),
                    (
                        f"DROP SEQUENCE IF EXISTS {q.qualified(seq.schema, seq.name)}",
                        q.create_sequence(seq),
                    ),
                    (f"DROP SEQUENCE IF EXISTS {q.qualified(seq.schema, seq.name)}",),
                    SEQUENCES,
                )
            )
        else:
            alter = f"ALTER SEQUENCE {q.qualified(seq.schema, seq.name)} AS "
            steps.append(
                Step(
                    f"alter sequence {label}",
                    probe,
                    (q.sequence_form(seq),),
                    (alter + f"{seq.data_type} {q.identity_options(seq)}",),
                    (alter + f"{before.data_type} {q.identity_options(before)}",),
                    SEQUENCES,
                )
            )
    for seq in changes.old.sequences:
        if (seq.schema, seq.name) in renamed:
            continue
        if changes.new.sequence(seq.schema, seq.name) is None:
            steps.append(types.drop_sequence_step(seq))
    return steps


# -- renames -----------------------------------------------------------------


def _rename_steps(changes: Changes) -> list[Step]:
    steps = []
    for (schema, old), (_, new) in changes.table_renames.items():
        steps.append(
            Step(
                f"rename table {schema}.{old} to {new}",
                q.relation_probe(schema, new),
                ("r", "p"),
                (f"ALTER TABLE {q.qualified(schema, old)} RENAME TO {q.ident(new)}",),
                (f"ALTER TABLE {q.qualified(schema, new)} RENAME TO {q.ident(old)}",),
                RENAMES,
            )
        )
    for table, old, new in changes.column_renames:
        target = q.qualified(table.schema, table.name)
        steps.append(
            Step(
                f"rename column {table.schema}.{table.name}.{old} to {new}",
                q.column_probe(table.schema, table.name, new, "present"),
                (q.PRESENT,),
                (
                    f"ALTER TABLE {target} RENAME COLUMN {q.ident(old)} TO {q.ident(new)}",
                ),
                (
                    f"ALTER TABLE {target} RENAME COLUMN {q.ident(new)} TO {q.ident(old)}",
                ),
                RENAMES,
            )
        )
    for table, kind, old, new in changes.object_renames:
        if kind == "index":
            probe = q.index_probe(table.schema, new)
            run = (
                f"ALTER INDEX {q.qualified(table.schema, old)} RENAME TO {q.ident(new)}"
            )
            back = (
                f"ALTER INDEX {q.qualified(table.schema, new)} RENAME TO {q.ident(old)}"
            )
        else:
            target = q.qualified(table.schema, table.name)
            probe = q.constraint_probe(table.schema, table.name, new)
            run = f"ALTER TABLE {target} RENAME CONSTRAINT {q.ident(old)} TO {q.ident(new)}"
            back = f"ALTER TABLE {target} RENAME CONSTRAINT {q.ident(new)} TO {q.ident(old)}"
        steps.append(
            Step(
                f"rename {kind} {table.schema}.{old} to {new}",
                f"SELECT CASE WHEN ({probe}) IS NULL THEN NULL ELSE {q.literal(q.PRESENT)} END",
                (q.PRESENT,),
                (run,),
                (back,),
                RENAMES,
            )
        )
    return steps


# -- a table on both sides ---------------------------------------------------


def _table_change_steps(change: TableChange) -> list[Step]:
    steps: list[Step] = []
    old, new = change.old, change.new
    facts: dict[str, set[str]] = {}
    for diff in change.differences:
        if diff.kind == "column" and diff.want is None:
            steps += dropped.drop_column_steps(old, diff.got)
        elif diff.kind == "column" and diff.got is None:
            steps += obj.add_column_steps(new, diff.want)
        elif diff.kind == "column":
            facts.setdefault(diff.name, set()).add(diff.fact)
        elif diff.kind == "comment":
            steps.append(obj.table_comment_step(old, new))
        elif diff.kind == "partition key":
            steps.append(
                obj.note(
                    f"{new.schema}.{new.name}: its partition key cannot change in place"
                )
            )
        elif isinstance(diff.want, OwnedStatement) or isinstance(
            diff.got, OwnedStatement
        ):
            steps += _owned_steps(old, new, diff.want, diff.got)
        elif diff.kind != "column order":
            steps += keys.keyed_steps(old, new, diff.kind, diff.want, diff.got)
    for name, changed in facts.items():
        if "generated" in changed:  # PostgreSQL 15 cannot change it in place
            steps += dropped.drop_column_steps(old, old.column(name))
            steps += obj.add_column_steps(new, new.column(name))
            continue
        steps += obj.alter_column_steps(
            old, new, old.column(name), new.column(name), changed
        )
    return steps


def _new_table_objects(table: Table) -> list[Step]:
    """What a new table has besides its columns and inline constraints."""
    bare = Table(table.schema, table.name, table.columns)
    steps: list[Step] = []
    for fk in table.foreign_keys:
        steps += keys.keyed_steps(bare, table, "foreign key", fk, None)
    for check in table.checks:
        if check.not_valid:
            steps += keys.keyed_steps(bare, table, "check constraint", check, None)
    for index in table.indexes:
        steps += keys.keyed_steps(bare, table, "index", index, None)
    for statement in owned_statements(table):
        steps += _owned_steps(bare, table, statement, None)
    return steps


def _owned_steps(
    old: Table, new: Table, want: OwnedStatement | None, got: OwnedStatement | None
) -> list[Step]:
    """Triggers, their states, row-level security flags, policies, partitions."""
    item = want or got
    assert item is not None
    probe, form_want, form_got = keys.owned_probe(old, new, item, want, got)
    steps = []
    if got is not None and want is not None and got.kind in ("policy", "trigger"):
        # replaced: the old one goes with the other drops, the new one comes later
        steps.append(
            Step(
                f"drop {got.label} on {old.schema}.{old.name} (changed)",
                probe,
                (form_want, None),
                (drop_sql(old, got),),
                (got.sql,),
                DROP_KEYS,
            )
        )
        got = None
    if want is None:
        assert got is not None
        run_drop, undo_drop = keys.owned_drop(old, got)
        steps.append(
            Step(
                f"drop {got.label} on {old.schema}.{old.name}",
                probe,
                (form_want, None),
                run_drop,
                undo_drop,
                DROP_KEYS,
                hazards=keys.owned_hazards(got, dropped=True),
            )
        )
        return steps
    run: tuple[str, ...] = (want.sql,)
    if want.kind in ("policy", "trigger"):
        run = (drop_sql(new, want), want.sql)
    undo = () if got is None else (got.sql,)
    steps.append(
        Step(
            f"{'add' if got is None else 'set'} {want.label} on {new.schema}.{new.name}",
            probe,
            (form_want,),
            run,
            keys.owned_remove(new, want) + undo,
            OWNED,
            hazards=keys.owned_hazards(want),
        )
    )
    return steps


def _dependents_first(tables: list[Table]) -> list[Table]:
    """Tables that reference others before those (downgrade brings them back in
    reverse, targets first, so each foreign key finds its table)."""
    ordered, _ = order_tables(tables)
    return list(reversed(ordered))
