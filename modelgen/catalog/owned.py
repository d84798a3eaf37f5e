"""Table-owned objects as DDL text: row-level security, policies, triggers.

One list of statements per table, in the order they must run after the
table exists.  The generated models attach them to their Table as
``after_create`` DDL, ``migration`` runs them guarded, and drift and verify
compare them; all use these same texts, so the three never disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from modelgen.catalog.pgtext import source_form
from modelgen.catalog.reflect import quote_ident
from modelgen.catalog.schema import (
    Constraint,
    ForeignKey,
    Partition,
    Policy,
    Table,
    Trigger,
)

# ALTER TABLE ... <what> TRIGGER for a trigger not in its default (origin) state
_TRIGGER_STATE = {"D": "DISABLE", "R": "ENABLE REPLICA", "A": "ENABLE ALWAYS"}


@dataclass(frozen=True)
class OwnedStatement:
    """One statement that recreates a table-owned object."""

    kind: str  # "row level security", "policy", "trigger"
    name: str  # the policy or trigger name ("enable" / "force" for row security)
    sql: str
    # other relations the statement reads: it must run after they are created too
    waits_for: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}"


def qualified(table: Table) -> str:
    return f"{quote_ident(table.schema)}.{quote_ident(table.name)}"


def policy_sql(table: Table, policy: Policy) -> str:
    """``CREATE POLICY`` that PostgreSQL stores back as ``policy``."""
    roles = ", ".join(
        "PUBLIC" if role == "public" else quote_ident(role) for role in policy.roles
    )
    parts = [
        f"CREATE POLICY {quote_ident(policy.name)} ON {qualified(table)}",
        f"AS {'PERMISSIVE' if policy.permissive else 'RESTRICTIVE'}",
        f"FOR {policy.command} TO {roles}",
    ]
    if policy.using is not None:
        parts.append(f"USING ({source_form(policy.using)})")
    if policy.with_check is not None:
        parts.append(f"WITH CHECK ({source_form(policy.with_check)})")
    return " ".join(parts)


def trigger_statements(table: Table, trigger: Trigger) -> list[OwnedStatement]:
    statements = [
        OwnedStatement("trigger", trigger.name, source_form(trigger.definition))
    ]
    state = _TRIGGER_STATE.get(trigger.enabled)
    if state is not None:
        statements.append(
            OwnedStatement(
                "trigger state",
                trigger.name,
                f"ALTER TABLE {qualified(table)} {state} TRIGGER {quote_ident(trigger.name)}",
            )
        )
    return statements


def partition_statements(partition: Partition) -> list[OwnedStatement]:
    """A partition, then the constraints and indexes it has of its own; a foreign
    key among them waits until every table exists."""
    target = f"{quote_ident(partition.schema)}.{quote_ident(partition.name)}"
    create = f"CREATE TABLE {target} PARTITION OF {partition.parent} {partition.bound}"
    if partition.partition_key:
        create += f" PARTITION BY {partition.partition_key}"
    label = f"{partition.schema}.{partition.name}"
    statements = [OwnedStatement("partition", label, create)]
    for name, definition in partition.constraints:
        waits = ("*",) if definition.startswith("FOREIGN KEY") else ()
        statements.append(
            OwnedStatement(
                "constraint",
                name,
                f"ALTER TABLE {target} ADD CONSTRAINT {quote_ident(name)} "
                f"{source_form(definition)}",
                waits,
            )
        )
    for name, definition in partition.indexes:
        statements.append(OwnedStatement("index", name, source_form(definition)))
    return statements


def foreign_key_statement(table: Table, fk: ForeignKey) -> OwnedStatement:
    """A foreign key added by DDL once every table exists (its target is a
    partition, which has no Table to point at)."""
    sql = (
        f"ALTER TABLE {qualified(table)} ADD CONSTRAINT {quote_ident(fk.name)} "
        f"{fk.definition}"
    )
    return OwnedStatement("foreign key", fk.name, sql, ("*",))


def unique_statement(table: Table, unique: Constraint) -> OwnedStatement:
    """A unique constraint added right after its table: inside ``CREATE TABLE``
    PostgreSQL would merge it into the primary key or an earlier unique one
    (``generate.constraints.merged_in_create``)."""
    sql = (
        f"ALTER TABLE {qualified(table)} ADD CONSTRAINT {quote_ident(unique.name)} "
        f"{unique.definition}"
    )
    return OwnedStatement("unique", unique.name, sql)


def owned_statements(table: Table) -> list[OwnedStatement]:
    """Every statement that recreates what ``table`` owns beyond its columns,
    constraints and indexes, in a deterministic order."""
    statements: list[OwnedStatement] = []
    for partition in table.partition_facts:
        statements += partition_statements(partition)
    if table.row_security:
        statements.append(
            OwnedStatement(
                "row level security",
                "enable",
                f"ALTER TABLE {qualified(table)} ENABLE ROW LEVEL SECURITY",
            )
        )
    if table.force_row_security:
        statements.append(
            OwnedStatement(
                "row level security",
                "force",
                f"ALTER TABLE {qualified(table)} FORCE ROW LEVEL SECURITY",
            )
        )
    for policy in sorted(table.policies, key=lambda p: p.name):
        statements.append(
            OwnedStatement(
                "policy", policy.name, policy_sql(table, policy), policy.references
            )
        )
    for trigger in sorted(table.triggers, key=lambda t: t.name):
        statements += trigger_statements(table, trigger)
    return statements


def drop_sql(table: Table, statement: OwnedStatement) -> str:
    """The statement that undoes ``statement`` (for a migration's downgrade)."""
    target = qualified(table)
    if statement.kind == "policy":
        return f"DROP POLICY IF EXISTS {quote_ident(statement.name)} ON {target}"
    if statement.kind == "trigger":
        return f"DROP TRIGGER IF EXISTS {quote_ident(statement.name)} ON {target}"
    if statement.kind == "trigger state":
        return f"ALTER TABLE {target} ENABLE TRIGGER {quote_ident(statement.name)}"
    if statement.name == "force":
        return f"ALTER TABLE {target} NO FORCE ROW LEVEL SECURITY"
    return f"ALTER TABLE {target} DISABLE ROW LEVEL SECURITY"


_IDENT = r'"(?:[^"]|"")+"|[^\s"]+'
_CREATE = re.compile(
    rf"^CREATE (?:(?P<constraint>CONSTRAINT )?TRIGGER|(?P<policy>POLICY)"
    rf"|(?P<index>(?:UNIQUE )?INDEX)) (?P<name>{_IDENT}) "
)
_PARTITION = re.compile(
    rf"^CREATE TABLE (?P<schema>{_IDENT})\.(?P<name>{_IDENT}) PARTITION OF "
)
_ADD_CONSTRAINT = re.compile(rf"^ALTER TABLE \S+ ADD CONSTRAINT (?P<name>{_IDENT}) ")
_ALTER = re.compile(
    rf"^ALTER TABLE \S+ (?:(?P<rls>ENABLE|FORCE) ROW LEVEL SECURITY"
    rf"|(?:DISABLE|ENABLE REPLICA|ENABLE ALWAYS) TRIGGER (?P<trigger>{_IDENT}))$"
)


def _unquote(name: str) -> str:
    if name.startswith('"') and name.endswith('"'):
        return name[1:-1].replace('""', '"')
    return name


def classify(sql: str) -> OwnedStatement | None:
    """The object a DDL text found on a model's Table creates, or None if it is
    not one of the statements above (a hand-written listener)."""
    text = sql.strip()
    found = _CREATE.match(text)
    if found:
        kind = (
            "policy"
            if found.group("policy")
            else "index" if found.group("index") else "trigger"
        )
        return OwnedStatement(kind, _unquote(found.group("name")), text)
    found = _PARTITION.match(text)
    if found:
        label = f"{_unquote(found.group('schema'))}.{_unquote(found.group('name'))}"
        return OwnedStatement("partition", label, text)
    found = _ADD_CONSTRAINT.match(text)
    if found:
        return OwnedStatement("constraint", _unquote(found.group("name")), text)
    found = _ALTER.match(text)
    if found and found.group("rls"):
        name = "enable" if found.group("rls") == "ENABLE" else "force"
        return OwnedStatement("row level security", name, text)
    if found and found.group("trigger"):
        return OwnedStatement("trigger state", _unquote(found.group("trigger")), text)
    return None
