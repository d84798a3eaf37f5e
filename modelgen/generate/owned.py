"""A table's triggers, row-level security and policies as ``after_create`` DDL listeners.

SQLAlchemy's own mechanism: ``event.listen(table, "after_create", db.DDL(...))``
runs the exact statement after ``CREATE TABLE`` in ``create_all`` (and in
anything that creates the Table).  The statement is always a Python string
literal, never code; ``DDL()`` %-formats its text, so ``%`` is doubled.

A policy whose expression reads other tables cannot be created before they
exist, and ``create_all`` may create them later: it listens on the MetaData's
``after_create`` (after every table) and runs only when its own table was
created in that same call.  A ``DDL`` listener never sees which tables were
created, so that one listener is a lambda that checks and executes its ``DDL``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from modelgen.catalog.owned import OwnedStatement, drop_sql, owned_statements
from modelgen.catalog.schema import Table
from modelgen.generate.literals import lit

IMPORT = "from sqlalchemy import event"


def ddl_literal(sql: str) -> str:
    """``DDL("...")`` for ``sql``: its ``%`` escaped from DDL's own formatting."""
    return f"DDL({lit(sql.replace('%', '%%'))})"


def owned_listeners(
    target: str, table: Table, extra: Sequence[OwnedStatement] = ()
) -> list[str]:
    """One ``event.listen`` statement per object ``table`` owns (and per ``extra``
    statement); ``target`` is the expression of its Table (``Account.__table__``
    or a ``db.Table`` variable)."""
    statements = [*owned_statements(table), *extra]
    listeners = [_listener(target, statement) for statement in statements]
    # what reads other tables is undone before any table is dropped: drop_all's
    # order knows only the models' own foreign keys
    for statement in statements:
        undo = _undo(table, statement) if statement.waits_for else None
        if undo is not None:
            listeners.append(_listener(target, statement, "before_drop", undo))
    return listeners


def _listener(
    target: str, statement: OwnedStatement, event: str = "after_create", sql: str = ""
) -> str:
    # db.DDL: SQLAlchemy's DDL() has no annotations, so `mypy --strict` rejects a
    # call to it ("call to untyped function"); through db it is Any
    ddl = "db." + ddl_literal(sql or statement.sql)
    if not statement.waits_for:
        return f'event.listen({target}, "{event}", {ddl})'
    created = "lambda metadata, bind, tables=(), **kw: "
    run = f"{target} in tables and bind.execute({ddl})"
    # a class's metadata is its table's (type checkers know Cls.metadata, while
    # Cls.__table__ is a FromClause to them, which has none)
    metadata = f"{target.removesuffix('.__table__')}.metadata"
    return f'event.listen({metadata}, "{event}", {created}({run}))'


_ADDED = re.compile(
    r'^ALTER TABLE (?P<table>(?:"(?:[^"]|"")+"|[^\s".]+)\.(?:"(?:[^"]|"")+"|[^\s".]+)) '
    r'ADD CONSTRAINT (?P<name>"(?:[^"]|"")+"|[^\s"]+) '
)


def _undo(table: Table, statement: OwnedStatement) -> str | None:
    """The statement that removes what ``statement`` added, when it is a policy or
    a constraint added by ALTER TABLE (a partition's own foreign key, a key to a
    partition): both read another table that drop_all may drop first."""
    if statement.kind == "policy":
        return drop_sql(table, statement)
    found = _ADDED.match(statement.sql)
    if found is None:
        return None
    return (
        f"ALTER TABLE IF EXISTS {found.group('table')} "
        f"DROP CONSTRAINT IF EXISTS {found.group('name')}"
    )
