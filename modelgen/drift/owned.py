"""Triggers, row-level security and policies: read off the models' Tables, compared with production.

Generated models attach each as an ``after_create`` ``DDL`` on their Table
(``modelgen.generate.owned``), or, for a policy that reads other tables, as a
MetaData listener whose code holds the statement.  Both are read back here as
``(kind, name, sql)`` and compared with the statements production's facts give
(``modelgen.catalog.owned``), loosely as other SQL text is (casts, parentheses,
spacing and keyword case do not count).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from modelgen.catalog.owned import classify, owned_statements
from modelgen.catalog.pgtext import closing_paren
from modelgen.catalog.schema import Table
from modelgen.drift.normalize import normalize_expr

# (kind, name, sql) as catalog.owned.OwnedStatement has them
OwnedFact = tuple[str, str, str]
# (level, kind, subject, message) as drift.keys returns them
OwnedDiff = tuple[str, str, str, str]

_IDENT = r'"(?:[^"]|"")+"|[^\s".]+'
_ON = re.compile(rf" ON (?:(?P<schema>{_IDENT})\.)?(?P<table>{_IDENT}) ")
_ADD = re.compile(
    rf"ALTER TABLE (?:(?P<schema>{_IDENT})\.)?(?P<table>{_IDENT}) ADD CONSTRAINT "
    rf"(?:{_IDENT}) (?P<kind>CHECK|UNIQUE(?: NULLS NOT DISTINCT)?) ?\(",
    re.DOTALL,
)
# (kind "u" or "c", name, columns of a unique, the CHECK's expression)
AddedConstraint = tuple[str, str, tuple[str, ...], str | None]


def _unquote(name: str) -> str:
    return name[1:-1].replace('""', '"') if name.startswith('"') else name


def _statement_text(listener: Any) -> list[str]:
    """The SQL a listener runs: a DDL's statement, or the string constants of a
    generated function (where the statement is a literal)."""
    statement = getattr(listener, "statement", None)
    if isinstance(statement, str):
        return [statement.replace("%%", "%")]
    code = getattr(listener, "__code__", None)
    if code is None:
        return []
    return [c.replace("%%", "%") for c in code.co_consts if isinstance(c, str)]


def _facts(listeners: Iterable[Any]) -> list[OwnedFact]:
    found: list[OwnedFact] = []
    for listener in listeners:
        for text in _statement_text(listener):
            statement = classify(text)
            if statement is not None:
                found.append((statement.kind, statement.name, statement.sql))
    return found


def table_owned(table: Any) -> list[OwnedFact]:
    """What a Table's own ``after_create`` listeners create."""
    return _facts(table.dispatch.after_create)


def metadata_owned(metadata: Any) -> dict[str, list[tuple[str | None, OwnedFact]]]:
    """Statements on a MetaData's ``after_create`` by the table they name:
    ``{table: [(schema or None, fact)]}``."""
    by_table: dict[str, list[tuple[str | None, OwnedFact]]] = {}
    for fact in _facts(metadata.dispatch.after_create):
        found = _ON.search(fact[2])
        if found:
            schema = _unquote(found.group("schema")) if found.group("schema") else None
            entry = (schema, fact)
            by_table.setdefault(_unquote(found.group("table")), []).append(entry)
    return by_table


def owned_by(
    table: Any, on_metadata: dict[str, list[tuple[str | None, OwnedFact]]]
) -> tuple[OwnedFact, ...]:
    """A Table's own listeners' statements and those on its MetaData naming it."""
    found = table_owned(table)
    for schema, fact in on_metadata.get(table.name, []):
        if table.schema is None or schema is None or schema == table.schema:
            found.append(fact)
    return tuple(found)


def added_constraints(
    table: Any, facts: tuple[OwnedFact, ...]
) -> tuple[list[AddedConstraint], tuple[OwnedFact, ...]]:
    """The unique and CHECK constraints a Table's DDL adds to the table itself
    (``ALTER TABLE t ADD CONSTRAINT c UNIQUE (...)`` / ``CHECK (...) NOT VALID``,
    which CREATE TABLE cannot say), read back as constraints of the model; the
    other statements (a partition's constraints, a key to a partition) stay."""
    added: list[AddedConstraint] = []
    rest: list[OwnedFact] = []
    for fact in facts:
        kind, name, sql = fact
        found = _ADD.match(sql) if kind == "constraint" else None
        schema = found and found.group("schema")
        if (
            found is None
            or _unquote(found.group("table")) != table.name
            or (schema and _unquote(schema) != table.schema)
        ):
            rest.append(fact)
            continue
        start = found.end() - 1
        body = sql[start + 1 : closing_paren(sql, start)]
        if found.group("kind") == "CHECK":
            added.append(("c", name, (), body))
        else:
            columns = re.findall(r'"(?:[^"]|"")+"|[^\s,"]+', body)
            added.append(("u", name, tuple(_unquote(c) for c in columns), None))
    return added, tuple(rest)


def compare_owned(
    prod: Table, model: tuple[OwnedFact, ...], generated: bool
) -> list[OwnedDiff]:
    """Each object on one side only, or created differently.  Production's objects
    that a hand-written model does not create are info (hand-written models rarely
    declare them); anything a model states that production lacks is drift."""
    want = {(s.kind, s.name): s.sql for s in owned_statements(prod)}
    # a foreign key to a partition is added by DDL: it is compared as a foreign key
    keys = {fk.name for fk in prod.foreign_keys}
    got = {
        (kind, name): sql
        for kind, name, sql in model
        if not (kind == "constraint" and name in keys)
    }
    written = "generated" if generated else "hand-written"
    out: list[OwnedDiff] = []
    for key in sorted(set(want) | set(got)):
        kind, name = key
        subject, label = name, f"{kind} {name}"
        if kind == "row level security":  # subjects an ignore rule can name
            subject = "force_row_security" if name == "force" else "row_security"
            label = f"{name.upper()} ROW LEVEL SECURITY"
        if key not in got:
            level = "drift" if generated else "info"
            message = f"{label} is in production but the {written} model does not create it ({want[key]})"
            out.append((level, kind.replace(" ", "-"), subject, message))
        elif key not in want:
            message = f"{label} is created by the {written} model but not in production ({got[key]})"
            out.append(("drift", kind.replace(" ", "-"), subject, message))
        elif normalize_expr(want[key]) != normalize_expr(got[key]):
            message = f"{label}: model creates {got[key]}, production has {want[key]}"
            out.append(("drift", kind.replace(" ", "-"), subject, message))
    return out
