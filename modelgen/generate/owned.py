"""A table's triggers, row-level security and policies as ``after_create`` DDL listeners.

SQLAlchemy's own mechanism: ``event.listen(table, "after_create", DDL(...))``
runs the exact statement after ``CREATE TABLE`` in ``create_all`` (and in
anything that creates the Table).  The statement is always a Python string
literal, never code; ``DDL()`` %-formats its text, so ``%`` is doubled.
"""

from __future__ import annotations

from modelgen.catalog.owned import owned_statements
from modelgen.catalog.schema import Table
from modelgen.generate.literals import lit

IMPORT = "from sqlalchemy import DDL, event"


def ddl_literal(sql: str) -> str:
    """``DDL("...")`` for ``sql``: its ``%`` escaped from DDL's own formatting."""
    return f"DDL({lit(sql.replace('%', '%%'))})"


def owned_listeners(target: str, table: Table) -> list[str]:
    """One ``event.listen`` statement per object ``table`` owns; ``target`` is the
    expression of its Table (``Account.__table__`` or a ``db.Table`` variable)."""
    return [
        f'event.listen({target}, "after_create", {ddl_literal(statement.sql)})'
        for statement in owned_statements(table)
    ]
