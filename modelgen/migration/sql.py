"""SQL text for ``migration --from``: DDL from schema facts, and probes.

A probe is one scalar ``SELECT`` that returns an object's form in a live
database as text (NULL when the object is absent), in the same words as the
fact production's snapshot holds (``pg_get_indexdef``, ``format_type``, ...),
so a revision can compare what a database has with what production has.
Every probe and statement is read with ``search_path = public``, as
modelgen.catalog.reflect reads production: unqualified names mean ``public``.
"""

from __future__ import annotations

import hashlib

from modelgen.catalog.reflect import quote_ident
from modelgen.catalog.schema import Column, Identity, Policy, SequenceFact

BACKUP_SCHEMA = "modelgen_backup"
PRESENT = "present"


def ident(name: str) -> str:
    """A name as a quoted SQL identifier (any text is safe)."""
    return '"' + name.replace('"', '""') + '"'


def qualified(schema: str, name: str) -> str:
    return f"{ident(schema)}.{ident(name)}"


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def regclass(schema: str, name: str) -> str:
    """The relation's oid, or NULL when it does not exist (never an error)."""
    return f"to_regclass({literal(qualified(schema, name))})"


def backup_name(*parts: str) -> str:
    """A name in the backup schema, unique to what it keeps: readable, at most
    63 bytes, with a hash of everything that identifies the step."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:10]
    stem = "_".join(p for p in parts[1:3] if p)[:40]
    return f"{stem}_{digest}"


# -- columns -----------------------------------------------------------------


def collate_clause(column: Column) -> str:
    if not column.collation:
        return ""
    return f" COLLATE {ident(column.collation_schema or 'pg_catalog')}.{ident(column.collation)}"


def type_form(column: Column) -> str:
    """What the type probe returns for ``column``: its type and collation."""
    if not column.collation:
        return column.type.display
    schema = column.collation_schema or "pg_catalog"
    return f"{column.type.display} COLLATE {quote_ident(schema)}.{quote_ident(column.collation)}"


def identity_clause(identity: Identity) -> str:
    kind = "ALWAYS" if identity.always else "BY DEFAULT"
    return f" GENERATED {kind} AS IDENTITY ({identity_options(identity)})"


def identity_options(item: Identity | SequenceFact) -> str:
    cycle = "CYCLE" if item.cycle else "NO CYCLE"
    return (
        f"START WITH {item.start} INCREMENT BY {item.increment} "
        f"MINVALUE {item.minvalue} MAXVALUE {item.maxvalue} CACHE {item.cache} {cycle}"
    )


def identity_form(identity: Identity | None) -> str:
    if identity is None:
        return ""
    cycle = "true" if identity.cycle else "false"
    return (
        f"{'a' if identity.always else 'd'} {identity.start} {identity.increment} "
        f"{identity.minvalue} {identity.maxvalue} {identity.cache} {cycle}"
    )


def column_definition(
    column: Column, *, not_null: bool = True, identity: bool = True
) -> str:
    """``name type ...`` as in CREATE TABLE / ADD COLUMN, production's form."""
    parts = [ident(column.name), column.type.display + collate_clause(column)]
    if column.generated is not None:
        parts.append(f"GENERATED ALWAYS AS ({column.generated}) STORED")
    elif column.default is not None:
        parts.append(f"DEFAULT {column.default}")
    if not column.nullable and not_null:
        parts.append("NOT NULL")
    if column.identity is not None and identity:
        parts.append(identity_clause(column.identity).strip())
    return " ".join(parts)


def _attribute(
    schema: str, table: str, column: str, select: str, joins: str = ""
) -> str:
    return (
        f"SELECT {select} FROM pg_attribute a {joins}WHERE a.attrelid = "
        f"{regclass(schema, table)} AND a.attname = {literal(column)} "
        "AND a.attnum > 0 AND NOT a.attisdropped"
    )


def column_probe(schema: str, table: str, column: str, fact: str) -> str:
    """The probe of one fact of a column: ``present``, ``type``, ``nullable``,
    ``default``, ``comment`` or ``identity``."""
    if fact == "present":
        return _attribute(schema, table, column, literal(PRESENT))
    if fact == "type":
        collation = (
            "CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation "
            "THEN ' COLLATE ' || quote_ident(cn.nspname) || '.' || quote_ident(co.collname) "
            "ELSE '' END"
        )
        joins = (
            "JOIN pg_type t ON t.oid = a.atttypid "
            "LEFT JOIN pg_collation co ON co.oid = a.attcollation "
            "LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace "
        )
        select = f"format_type(a.atttypid, a.atttypmod) || {collation}"
        return _attribute(schema, table, column, select, joins)
    if fact == "nullable":
        return _attribute(
            schema,
            table,
            column,
            "CASE WHEN a.attnotnull THEN 'NOT NULL' ELSE 'NULL' END",
        )
    if fact == "default":
        joins = (
            "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        )
        select = "CASE WHEN a.attgenerated = '' THEN COALESCE(pg_get_expr(d.adbin, d.adrelid), '') ELSE '' END"
        return _attribute(schema, table, column, select, joins)
    if fact == "generated":
        joins = (
            "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        )
        select = "CASE WHEN a.attgenerated = 's' THEN pg_get_expr(d.adbin, d.adrelid) ELSE '' END"
        return _attribute(schema, table, column, select, joins)
    if fact == "owned":
        select = (
            "COALESCE((SELECT quote_ident(sn.nspname) || '.' || quote_ident(sc.relname) "
            "FROM pg_depend dep JOIN pg_class sc ON sc.oid = dep.objid AND sc.relkind = 'S' "
            "JOIN pg_namespace sn ON sn.oid = sc.relnamespace WHERE dep.classid = "
            "'pg_class'::regclass AND dep.refobjid = a.attrelid AND dep.refobjsubid = "
            "a.attnum AND dep.deptype = 'a' LIMIT 1), '')"
        )
        return _attribute(schema, table, column, select)
    if fact == "comment":
        return _attribute(
            schema, table, column, "COALESCE(col_description(a.attrelid, a.attnum), '')"
        )
    if fact == "identity":
        options = (
            "(SELECT ' ' || s.seqstart || ' ' || s.seqincrement || ' ' || s.seqmin || ' ' "
            "|| s.seqmax || ' ' || s.seqcache || ' ' || s.seqcycle FROM pg_depend dep "
            "JOIN pg_sequence s ON s.seqrelid = dep.objid WHERE dep.classid = "
            "'pg_class'::regclass AND dep.refobjid = a.attrelid AND dep.refobjsubid = "
            "a.attnum AND dep.deptype = 'i')"
        )
        return _attribute(
            schema, table, column, f"a.attidentity::text || COALESCE({options}, '')"
        )
    raise ValueError(fact)


def nullable_form(nullable: bool) -> str:
    return "NULL" if nullable else "NOT NULL"


# -- relations, indexes, constraints, table-owned objects ------------------


def relation_probe(schema: str, name: str) -> str:
    return (
        "SELECT c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE n.nspname = {literal(schema)} AND c.relname = {literal(name)}"
    )


def table_comment_probe(schema: str, name: str) -> str:
    return f"SELECT COALESCE(obj_description({regclass(schema, name)}, 'pg_class'), '')"


def index_probe(schema: str, name: str) -> str:
    return (
        "SELECT pg_get_indexdef(i.indexrelid, 0, false) || CASE WHEN i.indisvalid "
        "THEN '' ELSE ' (invalid)' END FROM pg_index i JOIN pg_class ic ON ic.oid = "
        "i.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace WHERE n.nspname = "
        f"{literal(schema)} AND ic.relname = {literal(name)}"
    )


def constraint_probe(schema: str, table: str, name: str) -> str:
    return (
        "SELECT pg_get_constraintdef(con.oid) FROM pg_constraint con WHERE con.conrelid = "
        f"{regclass(schema, table)} AND con.conname = {literal(name)}"
    )


def trigger_probe(schema: str, table: str, name: str, fact: str = "definition") -> str:
    select = (
        "pg_get_triggerdef(t.oid, false)"
        if fact == "definition"
        else "t.tgenabled::text"
    )
    return (
        f"SELECT {select} FROM pg_trigger t WHERE t.tgrelid = {regclass(schema, table)} "
        f"AND t.tgname = {literal(name)} AND NOT t.tgisinternal"
    )


def row_security_probe(schema: str, table: str, which: str) -> str:
    column = "relrowsecurity" if which == "enable" else "relforcerowsecurity"
    return f"SELECT c.{column}::text FROM pg_class c WHERE c.oid = {regclass(schema, table)}"


_POLICY_COMMANDS = {
    "ALL": "*",
    "SELECT": "r",
    "INSERT": "a",
    "UPDATE": "w",
    "DELETE": "d",
}


def policy_form(policy: Policy) -> str:
    permissive = "true" if policy.permissive else "false"
    return " ".join(
        [
            _POLICY_COMMANDS[policy.command],
            permissive,
            ",".join(policy.roles),
            policy.using or "",
            policy.with_check or "",
        ]
    )


def policy_probe(schema: str, table: str, name: str) -> str:
    roles = (
        "array_to_string(ARRAY(SELECT CASE WHEN r.id = 0 THEN 'public' ELSE "
        "pg_get_userbyid(r.id) END FROM unnest(p.polroles) AS r(id) ORDER BY 1), ',')"
    )
    return (
        f"SELECT p.polcmd::text || ' ' || p.polpermissive::text || ' ' || {roles} || ' ' "
        "|| COALESCE(pg_get_expr(p.polqual, p.polrelid, false), '') || ' ' || "
        "COALESCE(pg_get_expr(p.polwithcheck, p.polrelid, false), '') FROM pg_policy p "
        f"WHERE p.polrelid = {regclass(schema, table)} AND p.polname = {literal(name)}"
    )


def named_probe(kind: str, name: str) -> str:
    """Whether a partition's own constraint or index of that name exists."""
    if kind == "index":
        return (
            f"SELECT {literal(PRESENT)} FROM pg_class c WHERE c.relkind IN ('i', 'I') "
            f"AND c.relname = {literal(name)} LIMIT 1"
        )
    return (
        f"SELECT {literal(PRESENT)} FROM pg_constraint con JOIN pg_class c ON c.oid = "
        f"con.conrelid WHERE c.relispartition AND con.conname = {literal(name)} LIMIT 1"
    )


# -- types, sequences, functions, schemas, extensions ----------------------


def labels_probe(schema: str, name: str) -> str:
    return (
        "SELECT string_agg(e.enumlabel, chr(31) ORDER BY e.enumsortorder) FROM pg_enum e "
        f"WHERE e.enumtypid = to_regtype({literal(qualified(schema, name))})"
    )


def labels_form(labels: tuple[str, ...]) -> str | None:
    return "\x1f".join(labels) if labels else None


def type_probe(schema: str, name: str) -> str:
    return (
        f"SELECT t.typtype::text FROM pg_type t WHERE t.oid = "
        f"to_regtype({literal(qualified(schema, name))})"
    )


def sequence_probe(schema: str, name: str) -> str:
    return (
        "SELECT format_type(s.seqtypid, NULL) || ' ' || s.seqstart || ' ' || s.seqincrement "
        "|| ' ' || s.seqmin || ' ' || s.seqmax || ' ' || s.seqcache || ' ' || s.seqcycle "
        f"FROM pg_sequence s WHERE s.seqrelid = {regclass(schema, name)}"
    )


def sequence_form(seq: SequenceFact) -> str:
    cycle = "true" if seq.cycle else "false"
    return (
        f"{seq.data_type} {seq.start} {seq.increment} {seq.minvalue} {seq.maxvalue} "
        f"{seq.cache} {cycle}"
    )


def create_sequence(seq: SequenceFact) -> str:
    return (
        f"CREATE SEQUENCE {qualified(seq.schema, seq.name)} AS {seq.data_type} "
        f"{identity_options(seq)}"
    )


def function_probe(schema: str, name: str) -> str:
    return (
        "SELECT string_agg(pg_get_functiondef(p.oid), chr(30) ORDER BY "
        "pg_get_function_identity_arguments(p.oid)) FROM pg_proc p JOIN pg_namespace n "
        f"ON n.oid = p.pronamespace WHERE n.nspname = {literal(schema)} AND p.proname = "
        f"{literal(name)} AND p.prokind IN ('f', 'p')"
    )


def schema_probe(name: str) -> str:
    return (
        f"SELECT {literal(PRESENT)} FROM pg_namespace WHERE nspname = {literal(name)}"
    )


def extension_probe(name: str) -> str:
    return (
        f"SELECT {literal(PRESENT)} FROM pg_extension WHERE extname = {literal(name)}"
    )


def catalog_probe(catalog: str, prefix: str, schema: str, name: str) -> str:
    """Whether a collation, range or composite type of that name exists."""
    return (
        f"SELECT {literal(PRESENT)} FROM {catalog} x JOIN pg_namespace n ON n.oid = "
        f"x.{prefix}namespace WHERE n.nspname = {literal(schema)} AND x.{prefix}name = "
        f"{literal(name)}"
    )
