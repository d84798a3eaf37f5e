"""The prerequisites a generated package carries: what, in which order, and the
guarded statements that create and drop each one.

``db.create_all()`` runs the create statements (``before_create`` DDL events on
the MetaData, in this order) and ``db.drop_all()`` the drop statements
(``after_drop``, in reverse).  Every create is guarded so an object already
there is left alone; every drop leaves an object something else still depends
on.  Extensions are created, never dropped.  See docs/prerequisites.md.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Sequence
from dataclasses import dataclass

from modelgen.catalog.prerequisites import (
    Prerequisite,
    domain_ddl,
    exists_sql,
    find_prerequisites,
    sql_ident,
    sql_literal,
    sql_qualified,
)
from modelgen.catalog.schema import Domain, Enum, Schema, Table

# identifiers (plain or quoted) and the names called like functions
_WORD = re.compile(r'"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*')
_LITERAL = re.compile(r"'(?:[^']|'')*'")
_CALL = re.compile(r'("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)\s*\(')
TYPE_KINDS = ("range", "composite", "domain", "enum")


@dataclass(frozen=True)
class Carried:
    """One object of the package's prerequisites module."""

    item: Prerequisite
    create: str  # guarded: a database that has the object is left alone
    drop: str | None  # None: never dropped (extensions)

    @property
    def label(self) -> str:
        return self.item.label


def carried_prerequisites(schema: Schema) -> list[Carried]:
    """What the package's module creates, in creation order (deterministic): every
    schema something lives in, production's extensions, collations, the types the
    models cannot create (and those of the models' enums and domains they need
    first), and the functions the tables use, directly or through another one."""
    every = find_prerequisites(schema)
    used = used_functions(schema)
    kept = [
        p for p in every if p.kind != "function" or (p.schema, p.name.lower()) in used
    ]
    # types, then functions, each after what its definition names
    objects = [p for p in kept if p.kind in TYPE_KINDS]
    objects += _model_types_needed(schema, kept)
    objects = _in_order(objects + [p for p in kept if p.kind == "function"])
    rest = [p for p in kept if p.kind in ("extension", "collation")]
    homes = {p.schema for p in rest + objects}
    homes |= {s for _, s in schema.extensions} | _table_homes(schema)
    schemas = [p for p in kept if p.kind == "schema" and p.name in homes]
    return [_carried(p) for p in schemas + rest + objects]


def model_type_drops(schema: Schema, carried: Sequence[Carried]) -> list[str]:
    """Drops of the models' own enums and domains that must go before the module's
    drops: SQLAlchemy drops them after every ``after_drop`` listener registered
    before its models (the module is imported first), which is too late for the
    schema they live in or a type they depend on.  SQLAlchemy then finds them gone
    and skips them (``drop_all`` checks first)."""
    mine = {(c.item.kind, c.item.schema, c.item.name) for c in carried}
    dropped_schemas = {c.item.name for c in carried if c.item.kind == "schema"}
    every: list[Enum | Domain] = [*schema.domains, *schema.enums]
    wanted = [
        p
        for p in map(_model_type, every)
        if (p.kind, p.schema, p.name) not in mine
        and (p.kind == "domain" or p.schema in dropped_schemas)
    ]
    return [_drop(p) or "" for p in reversed(_in_order(wanted))]


def used_functions(schema: Schema) -> set[tuple[str, str]]:
    """(schema, lower-case name) of every function a table's default, generated
    column, CHECK, index, trigger or policy calls, a domain's default or CHECK
    calls, or such a function's body calls in turn (overloads are not told apart)."""
    by_name: dict[str, list[tuple[str, str, str]]] = {}
    for nsp, name, ddl in schema.functions:
        by_name.setdefault(name.lower(), []).append((nsp, name.lower(), ddl))
    texts: list[str] = []
    for table in schema.tables:
        texts += _table_texts(table)
    for domain in schema.domains:
        texts += [domain.default or "", *(check for _, check in domain.checks)]
    found: set[tuple[str, str]] = set()
    todo = [name for text in texts for name in _called(text)]
    while todo:
        for nsp, name, ddl in by_name.pop(todo.pop(), ()):
            found.add((nsp, name))
            todo += _called(ddl)
    return found


def _called(text: str) -> list[str]:
    return [m.strip('"').replace('""', '"').lower() for m in _CALL.findall(text)]


def _table_texts(table: Table) -> list[str]:
    texts = [c.default or "" for c in table.columns]
    texts += [c.generated or "" for c in table.columns]
    texts += [c.expression or "" for c in table.checks]
    texts += [i.definition for i in table.indexes]
    texts += [t.definition for t in table.triggers]
    texts += [f"{p.using or ''} {p.with_check or ''}" for p in table.policies]
    for partition in table.partition_facts:
        texts += [d for _, d in partition.constraints]
        texts += [d for _, d in partition.indexes]
    return texts


def _table_homes(schema: Schema) -> set[str]:
    homes = {t.schema for t in schema.tables}
    homes |= {p.schema for t in schema.tables for p in t.partition_facts}
    homes |= {e.schema for e in schema.enums} | {d.schema for d in schema.domains}
    return homes | {s.schema for s in schema.sequences}


def _model_type(found: Enum | Domain) -> Prerequisite:
    if isinstance(found, Domain):
        ddl = domain_ddl(found)
        kind = "domain"
    else:
        labels = ", ".join(sql_literal(label) for label in found.labels)
        ddl = (
            f"CREATE TYPE {sql_qualified(found.schema, found.name)} AS ENUM ({labels})"
        )
        kind = "enum"
    exists = exists_sql("pg_type", "typ", found.schema, found.name)
    return Prerequisite(kind, found.schema, found.name, ddl, exists)


def _model_types_needed(schema: Schema, kept: list[Prerequisite]) -> list[Prerequisite]:
    """The models' enums and domains a kept prerequisite names (a composite's field,
    a domain's base, a function's argument): the models create them only after the
    module's statements, so the module creates them first (guarded; SQLAlchemy then
    finds them and skips them)."""
    models: dict[str, list[Prerequisite]] = {}
    every: list[Enum | Domain] = [*schema.enums, *schema.domains]
    for found in every:
        models.setdefault(found.name, []).append(_model_type(found))
    mine = {(p.schema, p.name) for p in kept if p.kind in TYPE_KINDS}
    needed: dict[tuple[str, str, str], Prerequisite] = {}
    todo = [p for p in kept if p.kind in TYPE_KINDS or p.kind == "function"]
    while todo:
        item = todo.pop()
        for word in _words(_signature(item)):
            for candidate in models.get(word, ()):
                key = (candidate.kind, candidate.schema, candidate.name)
                if key in needed or (candidate.schema, candidate.name) in mine:
                    continue
                needed[key] = candidate
                todo.append(candidate)
    return sorted(needed.values(), key=lambda p: (p.schema, p.name, p.kind))


def _signature(item: Prerequisite) -> str:
    """The part of the DDL that must name existing objects: a function's header (its
    body is not checked when created), a type's definition after its name."""
    if item.kind != "function":
        return item.ddl.split(" AS ", 1)[-1] if " AS " in item.ddl else ""
    header = re.split(r"\n(?:AS |BEGIN ATOMIC)", item.ddl, maxsplit=1)[0]
    return header.split("(", 1)[-1]  # not its own name


def _words(text: str) -> set[str]:
    """Identifiers in ``text``, string literals left out."""
    text = _LITERAL.sub(" ", text)
    return {
        w[1:-1].replace('""', '"') if w[0] == '"' else w for w in _WORD.findall(text)
    }


def _in_order(items: list[Prerequisite]) -> list[Prerequisite]:
    """Each item after the items its definition names (Kahn's algorithm; ties in
    the given order, so the result is deterministic)."""
    by_name: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        by_name.setdefault(item.name, []).append(i)
    needs: list[set[int]] = []
    for i, item in enumerate(items):
        words = _words(_signature(item))
        needs.append({j for w in words for j in by_name.get(w, ()) if j != i})
    waiting = [len(n) for n in needs]
    unlocks: list[list[int]] = [[] for _ in items]
    for i, need in enumerate(needs):
        for j in need:
            unlocks[j].append(i)
    ready = [i for i, count in enumerate(waiting) if count == 0]
    heapq.heapify(ready)
    order: list[int] = []
    placed: set[int] = set()
    while len(order) < len(items):
        if not ready:  # a cycle (PostgreSQL has none): the first waiting one
            ready = [next(i for i in range(len(items)) if i not in placed)]
        i = heapq.heappop(ready)
        if i in placed:
            continue
        order.append(i)
        placed.add(i)
        for k in unlocks[i]:
            waiting[k] -= 1
            if waiting[k] == 0:
                heapq.heappush(ready, k)
    return [items[i] for i in order]


def _carried(item: Prerequisite) -> Carried:
    return Carried(item, _create(item), _drop(item))


def _tag(base: str, text: str) -> str:
    """A dollar-quote tag that ``text`` does not contain."""
    tag = f"${base}$"
    while tag in text:
        tag = tag[:-1] + "_$"
    return tag


def _create(item: Prerequisite) -> str:
    if item.kind == "extension":
        # the server may not have it, or the role may not create it: one line
        # naming it, and what to do, instead of the driver's error alone
        name = item.name.replace('"', '""').replace("'", "''")
        return (
            f"DO $modelgen$ BEGIN\n{item.ddl};\n"
            "EXCEPTION WHEN OTHERS THEN RAISE EXCEPTION "
            f"'extension \"{name}\" cannot be created on this server: %', SQLERRM\n"
            "USING HINT = 'install it on the server, or create it once as a superuser "
            "in this database or its template'; END $modelgen$"
        )
    if item.kind == "schema" or item.ddl.startswith("CREATE COLLATION IF NOT"):
        return item.ddl
    if item.kind != "function":  # a type: one of that name is left alone
        tag = _tag("modelgen", item.ddl)
        return (
            f"DO {tag} BEGIN\n{item.ddl};\n"
            f"EXCEPTION WHEN duplicate_object THEN NULL; END {tag}"
        )
    # a function's body may name tables created later: not checked on creation, as
    # pg_dump does (check_function_bodies), and the setting put back afterwards.
    # CREATE, not CREATE OR REPLACE: one with the same arguments is left alone
    ddl = re.sub(r"^CREATE OR REPLACE ", "CREATE ", item.ddl)
    inner = _tag("function_ddl", ddl)
    outer = _tag("modelgen", ddl + inner)
    return (
        f"DO {outer} DECLARE checked text := current_setting('check_function_bodies');\n"
        "BEGIN PERFORM set_config('check_function_bodies', 'off', true);\n"
        f"EXECUTE {inner}{ddl}{inner};\n"
        "PERFORM set_config('check_function_bodies', checked, true);\n"
        f"EXCEPTION WHEN duplicate_function THEN NULL; END {outer}"
    )


def _drop(item: Prerequisite) -> str | None:
    """The drop, leaving the object when something else still depends on it."""
    if item.kind == "extension":
        return None
    if item.kind == "function":  # every overload: they are created together
        declare = " DECLARE routine regprocedure;"
        statement = (
            "FOR routine IN SELECT p.oid::regprocedure FROM pg_proc p\n"
            "JOIN pg_namespace n ON n.oid = p.pronamespace\n"
            f"WHERE n.nspname = {sql_literal(item.schema)} "
            f"AND p.proname = {sql_literal(item.name)}\n"
            "LOOP EXECUTE 'DROP ROUTINE ' || routine; END LOOP;"
        )
    else:
        target = (
            sql_ident(item.name)
            if item.kind == "schema"
            else sql_qualified(item.schema, item.name)
        )
        what = {"collation": "COLLATION", "domain": "DOMAIN", "schema": "SCHEMA"}
        statement = f"DROP {what.get(item.kind, 'TYPE')} IF EXISTS {target};"
        declare = ""
    return (
        f"DO $modelgen${declare} BEGIN\n{statement}\n"
        "EXCEPTION WHEN dependent_objects_still_exist THEN NULL; END $modelgen$"
    )


def compare_carried(
    production: Schema, actual: Schema, carried: Sequence[Carried]
) -> list[str]:
    """Each function, composite and range type and collation of the prerequisites
    module, as the database it made has it, against production's exact text
    (overloads together)."""
    diffs: list[str] = []
    seen: set[tuple[str, str, str]] = set()
    for item in (c.item for c in carried):
        key = (item.kind, item.schema, item.name)
        if item.kind not in _TEXTS or key in seen:
            continue
        seen.add(key)
        want = _texts(production, item.kind, item.schema, item.name)
        got = _texts(actual, item.kind, item.schema, item.name)
        if not got:
            diffs.append(f"{item.label}: production has it, create_all made none")
        elif want != got:
            diffs.append(f"{item.label}: differs from production")
    return diffs


_TEXTS = {
    "function": lambda s: s.functions,
    "composite": lambda s: s.composites,
    "range": lambda s: s.ranges,
    "collation": lambda s: s.collations,
}


def _texts(schema: Schema, kind: str, nsp: str, name: str) -> list[str]:
    return sorted(d for s, n, d in _TEXTS[kind](schema) if (s, n) == (nsp, name))
