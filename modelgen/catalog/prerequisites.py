"""What no table owns but the tables need: schemas, extensions, collations, types the
models cannot create, and functions; each as a fact with guarded DDL.

Generated models create their tables, enums and (where SQLAlchemy can express
them) domains.  Everything else a table relies on must exist first: ``verify``
creates it in its scratch database, ``generate`` lists it, and the guarded DDL
(``CREATE ... IF NOT EXISTS`` or a ``DO`` block that checks the catalog) never
replaces an object that exists.  See docs/prerequisites.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from modelgen.catalog.schema import Domain, Schema, Table

# Creation order: what a later kind may need comes earlier.  Functions come last,
# created with check_function_bodies = off (their bodies may name any table).
KINDS = ("schema", "extension", "collation", "range", "composite", "domain", "function")


@dataclass(frozen=True)
class Prerequisite:
    kind: str  # one of KINDS
    schema: str
    name: str
    ddl: str  # the exact CREATE statement
    exists: str  # a boolean SQL expression: true when the object is already there

    @property
    def label(self) -> str:
        return (
            f"{self.kind} {self.schema}.{self.name}"
            if self.schema
            else (f"{self.kind} {self.name}")
        )

    def guarded(self) -> str:
        """The DDL, run only when the object is absent (never replaces one)."""
        if self.ddl.startswith(("CREATE SCHEMA IF NOT", "CREATE EXTENSION IF NOT")):
            return self.ddl
        if self.ddl.startswith("CREATE COLLATION IF NOT"):
            return self.ddl
        tag = "$modelgen$"
        while tag in self.ddl:
            tag = tag[:-1] + "_$"
        return (
            f"DO {tag} BEGIN IF NOT ({self.exists}) THEN EXECUTE {sql_literal(self.ddl)}; "
            f"END IF; END {tag}"
        )


def domain_is_expressible(domain: Domain) -> bool:
    """Whether SQLAlchemy's DOMAIN can create ``domain`` exactly: it takes one CHECK,
    and puts its constraint name before NOT NULL (where it names the NOT NULL), so
    with NOT NULL only a CHECK PostgreSQL names itself (``<domain>_check``) fits."""
    if not domain.checks:
        return True
    if len(domain.checks) > 1:
        return False
    return not domain.not_null or domain.checks[0][0] == f"{domain.name}_check"


def domain_ddl(domain: Domain) -> str:
    """The exact CREATE DOMAIN, every CHECK with its name."""
    parts = [f"CREATE DOMAIN {sql_qualified(domain.schema, domain.name)} AS"]
    parts.append(domain.base.display)
    if domain.collation:
        collation = sql_ident(domain.collation)
        if domain.collation_schema:
            collation = f"{sql_ident(domain.collation_schema)}.{collation}"
        parts.append(f"COLLATE {collation}")
    if domain.default is not None:
        parts.append(f"DEFAULT {domain.default}")
    if domain.not_null:
        parts.append("NOT NULL")
    for name, check in domain.checks:
        parts.append(f"CONSTRAINT {sql_ident(name)} CHECK ({check})")
    return " ".join(parts)


def find_prerequisites(schema: Schema) -> list[Prerequisite]:
    """Every prerequisite of ``schema``, in creation order (deterministic)."""
    found: list[Prerequisite] = []
    default = schema.default_schema
    # every schema something is created in: a schema may hold only types
    homes = {t.schema for t in schema.tables} | {s for _, s in schema.extensions}
    # a partition may live in another schema than its parent
    homes |= {p.schema for t in schema.tables for p in t.partition_facts}
    homes |= {s.schema for s in schema.sequences}
    homes |= {e.schema for e in schema.enums} | {d.schema for d in schema.domains}
    homes |= {s for s, _, _ in schema.ranges + schema.composites + schema.collations}
    homes |= {s for s, _, _ in schema.functions}
    for name in sorted(homes - {default, "public", "pg_catalog", ""}):
        found.append(
            Prerequisite(
                "schema",
                "",
                name,
                f"CREATE SCHEMA IF NOT EXISTS {sql_ident(name)}",
                f"EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = {sql_literal(name)})",
            )
        )
    for extension, ext_schema in sorted(schema.extensions):
        found.append(
            Prerequisite(
                "extension",
                "",
                extension,
                f"CREATE EXTENSION IF NOT EXISTS {sql_ident(extension)} "
                f"WITH SCHEMA {sql_ident(ext_schema)}",
                f"EXISTS (SELECT 1 FROM pg_extension WHERE extname = {sql_literal(extension)})",
            )
        )
    for nsp, name, ddl in sorted(schema.collations):
        found.append(
            Prerequisite(
                "collation",
                nsp,
                name,
                ddl,
                exists_sql("pg_collation", "coll", nsp, name),
            )
        )
    for kind, items in (("range", schema.ranges), ("composite", schema.composites)):
        for nsp, name, ddl in sorted(items):
            found.append(
                Prerequisite(
                    kind, nsp, name, ddl, exists_sql("pg_type", "typ", nsp, name)
                )
            )
    for domain in sorted(schema.domains, key=lambda d: (d.schema, d.name)):
        if not domain_is_expressible(domain):
            found.append(
                Prerequisite(
                    "domain",
                    domain.schema,
                    domain.name,
                    domain_ddl(domain),
                    exists_sql("pg_type", "typ", domain.schema, domain.name),
                )
            )
    for nsp, name, ddl in schema.functions:  # already in a deterministic order
        found.append(
            Prerequisite(
                "function",
                nsp,
                name,
                ddl.strip(),
                exists_sql("pg_proc", "pro", nsp, name),
            )
        )
    return found


_CALL = re.compile(r'("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)\s*\(')


def needed_by(schema: Schema, tables: Iterable[Table]) -> list[Prerequisite]:
    """The prerequisites ``tables`` rely on: their schemas, the collations and types
    of their columns, the functions their defaults, checks and indexes call, and the
    extensions when a column has a type the schema does not declare."""
    wanted: set[tuple[str, str, str]] = set()
    own_types = {(s, n) for s, n, _ in schema.ranges + schema.composites}
    own_types |= {(e.schema, e.name) for e in schema.enums}
    own_types |= {(d.schema, d.name) for d in schema.domains}
    called: set[str] = set()
    foreign_type = False
    for table in tables:
        wanted.add(("schema", "", table.schema))
        for column in table.columns:
            ref = column.type
            wanted.add(("schema", "", ref.schema))  # the type's, if it has one
            wanted.add(("range", ref.schema, ref.name))
            wanted.add(("composite", ref.schema, ref.name))
            wanted.add(("domain", ref.schema, ref.name))
            if column.collation_schema and column.collation:
                wanted.add(("collation", column.collation_schema, column.collation))
                wanted.add(("schema", "", column.collation_schema))
            foreign_type |= ref.schema != "pg_catalog" and (
                (ref.schema, ref.name) not in own_types
            )
        for text in _expressions(table):
            called |= {m.strip('"').lower() for m in _CALL.findall(text)}
    # a domain's base is needed too (a composite, a range, another domain, maybe
    # in another schema), down the chain
    bases = [(d.schema, d.name, d.base) for d in schema.domains]
    grown = True
    while grown:
        grown = False
        for nsp, name, base in bases:
            needs = {
                ("schema", "", base.schema),
                ("range", base.schema, base.name),
                ("composite", base.schema, base.name),
                ("domain", base.schema, base.name),
            }
            if ("domain", nsp, name) in wanted and not needs <= wanted:
                wanted |= needs
                grown = True
    for domain in schema.domains:
        if ("domain", domain.schema, domain.name) in wanted and domain.collation:
            wanted.add(("collation", domain.collation_schema or "", domain.collation))
    every = find_prerequisites(schema)
    kept: set[Prerequisite] = set()
    for item in every:
        if item.kind == "function":
            keep = item.name.lower() in called
        elif item.kind == "extension":
            keep = foreign_type
        else:
            keep = (item.kind, item.schema, item.name) in wanted
        if keep:
            kept.add(item)
            wanted.add(("schema", "", item.schema))  # what it is created in
    # schemas come first in ``every``: decided once every other item is
    return [i for i in every if i in kept or (i.kind, "", i.name) in wanted]


def _expressions(table: Table) -> list[str]:
    texts = [c.default or "" for c in table.columns]
    texts += [c.generated or "" for c in table.columns]
    texts += [c.expression or "" for c in table.checks]
    for index in table.indexes:
        texts.append(index.definition)
    return texts


def exists_sql(catalog: str, prefix: str, schema: str, name: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM {catalog} x JOIN pg_namespace n ON n.oid = "
        f"x.{prefix}namespace WHERE n.nspname = {sql_literal(schema)} "
        f"AND x.{prefix}name = {sql_literal(name)})"
    )


def sql_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_qualified(schema: str, name: str) -> str:
    return f"{sql_ident(schema)}.{sql_ident(name)}"


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
