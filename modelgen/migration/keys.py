"""Steps for keys, constraints and indexes (online where PostgreSQL allows it), and
for the objects a table owns: triggers, row-level security, policies, partitions."""

from __future__ import annotations

import re

from modelgen.catalog.owned import OwnedStatement, drop_sql
from modelgen.catalog.schema import (
    Constraint,
    ForeignKey,
    Index,
    Table,
)
from modelgen.migration import sql as q
from modelgen.migration.objects import (
    CONSTRAINTS,
    DROP_KEYS,
    ONLINE,
    Step,
    _backup_schema,
    _exists,
    _label,
    _move,
    _move_back,
    _table,
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


_PARTITION_OF = re.compile(
    r" PARTITION OF (\S+) (.*?)(?: PARTITION BY .*)?$", re.DOTALL
)


def owned_drop(
    table: Table, statement: OwnedStatement
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(what drops it, what brings it back): a partition is detached and kept
    aside in the backup schema with its rows, like a dropped table."""
    if statement.kind in ("policy", "trigger", "trigger state", "row level security"):
        return (drop_sql(table, statement),), (statement.sql,)
    if statement.kind == "partition":
        schema, _, name = statement.name.partition(".")
        found = _PARTITION_OF.search(statement.sql)
        if found is None:
            return (), ()
        parent, bound = found.group(1), found.group(2)
        backup = q.backup_name("partition", schema, name, statement.sql)
        target = q.qualified(schema, name)
        return (
            (
                _backup_schema(),
                f"ALTER TABLE {parent} DETACH PARTITION {target}",
                *_move("TABLE", schema, name, q.BACKUP_SCHEMA, backup),
            ),
            (
                *_move_back("TABLE", schema, name, backup),
                f"ALTER TABLE {parent} ATTACH PARTITION {target} {bound}",
            ),
        )
    if statement.kind == "index":
        drop = f"DROP INDEX IF EXISTS {q.qualified(table.schema, statement.name)}"
        return (drop,), (statement.sql,)
    return (), ()  # a partition's own constraint goes and comes with its partition


def owned_remove(table: Table, statement: OwnedStatement) -> tuple[str, ...]:
    """What undoes adding ``statement``'s object: a partition created by the
    upgrade is dropped (OLD had no place for its rows), the others as above."""
    if statement.kind == "partition":
        schema, _, name = statement.name.partition(".")
        return (f"DROP TABLE IF EXISTS {q.qualified(schema, name)}",)
    return owned_drop(table, statement)[0]


def owned_hazards(statement: OwnedStatement, dropped: bool = False) -> tuple[str, ...]:
    if dropped and statement.kind == "partition":
        return (
            f"drops partition {statement.name}: kept with its rows in "
            f"{q.BACKUP_SCHEMA} until the backups are cleared",
        )
    if dropped:
        return ()
    if statement.kind == "row level security":
        return (
            f"row-level security ({statement.name}): roles without a policy see no rows",
        )
    return ()
