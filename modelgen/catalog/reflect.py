"""The only module that connects: reads a PostgreSQL catalog into a Schema, read-only.

Everything is read with plain catalog queries inside one REPEATABLE READ, READ
ONLY transaction (one consistent picture; no statement can write), with
statement and lock timeouts so a busy production server is never held up.
Only catalog tables readable by any role with CONNECT are used.
"""

from __future__ import annotations

import contextlib
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from modelgen.catalog.pgtext import closing_paren, sequence_name, unwrap
from modelgen.catalog.schema import (
    Column,
    Constraint,
    Domain,
    Enum,
    ForeignKey,
    Identity,
    Index,
    IndexElement,
    Partition,
    Policy,
    Relation,
    Schema,
    SequenceFact,
    Table,
    Trigger,
    TypeRef,
)

_NS_FILTER = """
    n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
    AND n.nspname NOT LIKE 'pg\\_temp\\_%%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%%'
    AND (%(all_schemas)s OR n.nspname = ANY(%(schemas)s))
"""

_NOT_EXTENSION = """
    NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = '{catalog}'::regclass
                AND dep.objid = {oid} AND dep.deptype = 'e')
"""

RELATIONS_SQL = f"""
SELECT c.oid, n.nspname, c.relname, c.relkind, c.relispartition,
       obj_description(c.oid, 'pg_class') AS comment,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partkey,
       (SELECT pn.nspname || '.' || pc.relname FROM pg_inherits inh
          JOIN pg_class pc ON pc.oid = inh.inhparent
          JOIN pg_namespace pn ON pn.oid = pc.relnamespace
         WHERE inh.inhrelid = c.oid AND c.relispartition LIMIT 1) AS parent
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {_NS_FILTER}
  AND {_NOT_EXTENSION.format(catalog="pg_class", oid="c.oid")}
ORDER BY n.nspname, c.relname
"""

COLUMNS_SQL = f"""
SELECT a.attrelid, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) AS display,
       a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid) AS default_expr,
       a.attidentity, a.attgenerated, col_description(a.attrelid, a.attnum) AS comment,
       CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
            THEN co.collname END AS collation,
       COALESCE(et.typname, t.typname) AS elem_name,
       COALESCE(etn.nspname, tn.nspname) AS elem_schema,
       COALESCE(et.typtype, t.typtype)::text AS elem_kind,
       CASE WHEN et.oid IS NOT NULL THEN greatest(a.attndims, 1) ELSE 0 END AS dims,
       format_type(COALESCE(et.oid, t.oid), a.atttypmod) AS elem_display,
       CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
             AND cn.nspname <> 'pg_catalog' THEN cn.nspname END AS collation_schema
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_namespace tn ON tn.oid = t.typnamespace
LEFT JOIN pg_type et ON t.typcategory = 'A' AND et.oid = t.typelem
LEFT JOIN pg_namespace etn ON etn.oid = et.typnamespace
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm')
  AND {_NS_FILTER}
ORDER BY a.attrelid, a.attnum
"""

SEQUENCES_SQL = f"""
SELECT d.refobjid, d.refobjsubid, d.deptype,
       quote_ident(sn.nspname) || '.' || quote_ident(sc.relname) AS seqname, sc.relname,
       s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle
FROM pg_depend d
JOIN pg_class sc ON sc.oid = d.objid AND sc.relkind = 'S'
JOIN pg_namespace sn ON sn.oid = sc.relnamespace
JOIN pg_sequence s ON s.seqrelid = sc.oid
JOIN pg_class c ON c.oid = d.refobjid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
  AND d.deptype IN ('a', 'i') AND {_NS_FILTER}
"""

CONSTRAINTS_SQL = f"""
SELECT con.conrelid, con.conname, con.contype::text, con.condeferrable, con.condeferred,
       con.connoinherit, pg_get_constraintdef(con.oid) AS definition,
       ARRAY(SELECT att.attname FROM unnest(con.conkey) WITH ORDINALITY k(num, ord)
             JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = k.num
             ORDER BY k.ord) AS cols,
       rn.nspname AS ref_schema, rc.relname AS ref_table,
       ARRAY(SELECT att.attname FROM unnest(con.confkey) WITH ORDINALITY k(num, ord)
             JOIN pg_attribute att ON att.attrelid = con.confrelid AND att.attnum = k.num
             ORDER BY k.ord) AS ref_cols,
       con.confupdtype::text, con.confdeltype::text, con.confmatchtype::text,
       CASE WHEN con.contype IN ('u', 'p', 'x') THEN con.conindid END AS indexid,
       CASE WHEN con.contype = 'x' THEN
         ARRAY(SELECT op.oprname FROM unnest(con.conexclop) WITH ORDINALITY k(opid, ord)
               JOIN pg_operator op ON op.oid = k.opid ORDER BY k.ord) END AS exclops,
       NOT con.convalidated AS not_valid
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
WHERE con.contype IN ('p', 'u', 'f', 'c', 'x') AND c.relkind IN ('r', 'p') AND {_NS_FILTER}
  AND (con.contype <> 'f' OR con.conparentid = 0)
ORDER BY con.conrelid, con.conname
"""

INDEXES_SQL = f"""
SELECT i.indrelid, i.indexrelid, ic.relname, i.indisunique, am.amname, i.indnkeyatts,
       pg_get_indexdef(i.indexrelid, 0, false) AS definition,
       pg_get_expr(i.indpred, i.indrelid) AS predicate,
       ARRAY(SELECT att.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(num, ord)
             LEFT JOIN pg_attribute att ON att.attrelid = i.indrelid AND att.attnum = k.num
             ORDER BY k.ord) AS cols,
       ic.reloptions, {{nulls_not_distinct}} AS nulls_not_distinct
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_am am ON am.oid = ic.relam
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND {_NS_FILTER}
ORDER BY i.indrelid, ic.relname
"""

ENUMS_SQL = f"""
SELECT n.nspname, t.typname, ARRAY(SELECT e.enumlabel FROM pg_enum e
                                   WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder)
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype = 'e' AND {_NS_FILTER}
  AND {_NOT_EXTENSION.format(catalog="pg_type", oid="t.oid")}
ORDER BY n.nspname, t.typname
"""

DOMAINS_SQL = f"""
SELECT t.oid, n.nspname, t.typname, format_type(t.typbasetype, t.typtypmod) AS display,
       bt.typname AS base_name, bn.nspname AS base_schema, bt.typtype::text AS base_kind,
       t.typnotnull, t.typdefault,
       CASE WHEN t.typcollation <> 0 AND t.typcollation <> bt.typcollation
            THEN co.collname END AS collation,
       ARRAY(SELECT con.conname || E'\\x1f' || pg_get_constraintdef(con.oid)
             FROM pg_constraint con WHERE con.contypid = t.oid AND con.contype = 'c'
             ORDER BY con.conname) AS checks,
       CASE WHEN t.typcollation <> 0 AND t.typcollation <> bt.typcollation
             AND cn.nspname <> 'pg_catalog' THEN cn.nspname END AS collation_schema
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_type bt ON bt.oid = t.typbasetype
JOIN pg_namespace bn ON bn.oid = bt.typnamespace
LEFT JOIN pg_collation co ON co.oid = t.typcollation
LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
WHERE t.typtype = 'd' AND {_NS_FILTER}
  AND {_NOT_EXTENSION.format(catalog="pg_type", oid="t.oid")}
ORDER BY n.nspname, t.typname
"""

EXTENSIONS_SQL = """
SELECT e.extname, n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname <> 'plpgsql' ORDER BY e.extname
"""

FUNCTIONS_SQL = f"""
SELECT n.nspname, p.proname, pg_get_functiondef(p.oid)
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE p.prokind IN ('f', 'p') AND {_NS_FILTER}
  AND {_NOT_EXTENSION.format(catalog="pg_proc", oid="p.oid")}
  -- a range type's constructors come with the type
  AND NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = 'pg_proc'::regclass
                  AND dep.objid = p.oid AND dep.deptype = 'i')
ORDER BY n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)
"""

ALL_SEQUENCES_SQL = f"""
SELECT n.nspname, c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement,
       s.seqmin, s.seqmax, s.seqcache, s.seqcycle
FROM pg_sequence s
JOIN pg_class c ON c.oid = s.seqrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {_NS_FILTER}
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype IN ('e', 'i'))
ORDER BY n.nspname, c.relname
"""

COMPOSITES_SQL = f"""
SELECT n.nspname, t.typname,
       'CREATE TYPE ' || quote_ident(n.nspname) || '.' || quote_ident(t.typname) || ' AS ('
       || string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod),
                     ', ' ORDER BY a.attnum) || ')'
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_class c ON c.oid = t.typrelid AND c.relkind = 'c'
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE t.typtype = 'c' AND {_NS_FILTER}
  AND {_NOT_EXTENSION.format(catalog="pg_type", oid="t.oid")}
GROUP BY n.nspname, t.typname
ORDER BY n.nspname, t.typname
"""

# Collations and range types as guarded CREATE statements (prerequisites: no table
# owns them).  The ICU locale column was renamed in PostgreSQL 17; to_jsonb reads
# whichever this server has.
COLLATIONS_SQL = f"""
SELECT n.nspname, c.collname,
       format('CREATE COLLATION IF NOT EXISTS %%I.%%I (provider = %%s, locale = %%L%%s)',
              n.nspname, c.collname,
              CASE c.collprovider WHEN 'i' THEN 'icu' ELSE 'libc' END,
              CASE WHEN c.collprovider = 'i'
                   THEN COALESCE(to_jsonb(c) ->> 'colllocale', to_jsonb(c) ->> 'colliculocale')
                   ELSE c.collcollate END,
              CASE WHEN c.collisdeterministic THEN '' ELSE ', deterministic = false' END)
FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace
WHERE {_NS_FILTER} AND {_NOT_EXTENSION.format(catalog="pg_collation", oid="c.oid")}
  AND (c.collprovider <> 'c' OR c.collcollate = c.collctype)
ORDER BY n.nspname, c.collname
"""

RANGES_SQL = f"""
SELECT n.nspname, t.typname,
       format('CREATE TYPE %%I.%%I AS RANGE (SUBTYPE = %%s%%s%%s%%s%%s)', n.nspname, t.typname,
              format_type(r.rngsubtype, NULL),
              CASE WHEN NOT opc.opcdefault
                   THEN format(', SUBTYPE_OPCLASS = %%I.%%I', opn.nspname, opc.opcname) END,
              CASE WHEN r.rngcollation <> 0 AND r.rngcollation <> st.typcollation
                   THEN format(', COLLATION = %%I.%%I', cn.nspname, co.collname) END,
              CASE WHEN r.rngsubdiff <> 0
                   THEN ', SUBTYPE_DIFF = ' || r.rngsubdiff::regproc::text END,
              CASE WHEN to_jsonb(r) ? 'rngmultitypid'
                   THEN format(', MULTIRANGE_TYPE_NAME = %%I.%%I', n.nspname,
                               (SELECT mt.typname FROM pg_type mt
                                 WHERE mt.oid = (to_jsonb(r) ->> 'rngmultitypid')::oid)) END)
FROM pg_range r
JOIN pg_type t ON t.oid = r.rngtypid
JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_type st ON st.oid = r.rngsubtype
JOIN pg_opclass opc ON opc.oid = r.rngsubopc
JOIN pg_namespace opn ON opn.oid = opc.opcnamespace
LEFT JOIN pg_collation co ON co.oid = r.rngcollation
LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
WHERE {_NS_FILTER} AND {_NOT_EXTENSION.format(catalog="pg_type", oid="t.oid")}
  AND r.rngcanonical = 0
ORDER BY n.nspname, t.typname
"""

# Table-owned objects.  Internal triggers (those behind foreign keys) and those a
# partition inherits are not the table's own; exact (non-pretty) deparse throughout.
TRIGGERS_SQL = f"""
SELECT t.tgrelid, t.tgname, pg_get_triggerdef(t.oid, false), t.tgenabled::text
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal AND c.relkind IN ('r', 'p') AND {_NS_FILTER}
  AND {_NOT_EXTENSION.format(catalog="pg_trigger", oid="t.oid")}
ORDER BY t.tgrelid, t.tgname
"""

ROW_SECURITY_SQL = f"""
SELECT c.oid, c.relrowsecurity, c.relforcerowsecurity
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE (c.relrowsecurity OR c.relforcerowsecurity) AND c.relkind IN ('r', 'p')
  AND {_NS_FILTER}
"""

POLICIES_SQL = f"""
SELECT p.polrelid, p.polname, p.polcmd::text, p.polpermissive,
       ARRAY(SELECT CASE WHEN r.id = 0 THEN 'public' ELSE pg_get_userbyid(r.id) END
             FROM unnest(p.polroles) AS r(id) ORDER BY 1) AS roles,
       pg_get_expr(p.polqual, p.polrelid, false),
       pg_get_expr(p.polwithcheck, p.polrelid, false),
       ARRAY(SELECT DISTINCT rn.nspname || '.' || rc.relname FROM pg_depend d
             JOIN pg_class rc ON rc.oid = d.refobjid AND rc.relkind IN ('r', 'p', 'v', 'm', 'f')
             JOIN pg_namespace rn ON rn.oid = rc.relnamespace
             WHERE d.classid = 'pg_policy'::regclass AND d.objid = p.oid
               AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> p.polrelid
             ORDER BY 1) AS refs
FROM pg_policy p
JOIN pg_class c ON c.oid = p.polrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {_NS_FILTER}
ORDER BY p.polrelid, p.polname
"""

PARTITIONS_SQL = f"""
SELECT c.oid, n.nspname, c.relname, inh.inhparent,
       quote_ident(pn.nspname) || '.' || quote_ident(pc.relname),
       pg_get_expr(c.relpartbound, c.oid),
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
       ARRAY(SELECT con.conname || E'\\x1f' || pg_get_constraintdef(con.oid, false)
             FROM pg_constraint con WHERE con.conrelid = c.oid AND con.conparentid = 0
               AND con.coninhcount = 0 AND con.contype IN ('p', 'u', 'f', 'c', 'x')
             ORDER BY con.conname),
       ARRAY(SELECT ic.relname || E'\\x1f' || pg_get_indexdef(i.indexrelid)
             FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
             WHERE i.indrelid = c.oid
               AND NOT EXISTS (SELECT 1 FROM pg_inherits ii WHERE ii.inhrelid = i.indexrelid)
               AND NOT EXISTS (SELECT 1 FROM pg_constraint ic2
                               WHERE ic2.conindid = i.indexrelid AND ic2.conrelid = c.oid)
             ORDER BY ic.relname)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_inherits inh ON inh.inhrelid = c.oid
JOIN pg_class pc ON pc.oid = inh.inhparent
JOIN pg_namespace pn ON pn.oid = pc.relnamespace
WHERE c.relispartition AND c.relkind IN ('r', 'p') AND {_NS_FILTER}
"""

_POLICY_COMMANDS = {
    "*": "ALL",
    "r": "SELECT",
    "a": "INSERT",
    "w": "UPDATE",
    "d": "DELETE",
}

_FK_ACTIONS = {
    "a": None,
    "r": "RESTRICT",
    "c": "CASCADE",
    "n": "SET NULL",
    "d": "SET DEFAULT",
}
_FK_MATCH = {"s": None, "f": "FULL", "p": "PARTIAL"}
# PostgreSQL 15+: ON DELETE SET NULL / SET DEFAULT of some of the key's columns; the
# column list is kept as PostgreSQL prints it (quoted where needed), which is what
# SQLAlchemy's PostgreSQL dialect accepts in ondelete= and prints back.
_FK_DELETE_COLUMNS = re.compile(
    r' ON DELETE SET (?:NULL|DEFAULT) (\((?:"(?:[^"]|"")*"|[^()"])*\))'
    r"(?: DEFERRABLE| INITIALLY DEFERRED| NOT VALID)*$"
)


def _on_delete(action: str, definition: str) -> str | None:
    name = _FK_ACTIONS[action]
    if action in ("n", "d"):
        found = _FK_DELETE_COLUMNS.search(definition)
        if found:
            return f"{name} {found.group(1)}"
    return name


_MODIFIERS = re.compile(r"\(([^()]*)\)")


@contextlib.contextmanager
def readonly_cursor(url: str, timeout_s: int = 60) -> Iterator[Any]:
    """A cursor inside a REPEATABLE READ, READ ONLY transaction with statement and lock
    timeouts; the transaction is always rolled back."""
    from modelgen.catalog.connect import connect

    with connect(url) as conn:
        cur = conn.cursor()
        cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        cur.execute(f"SET LOCAL statement_timeout = '{int(timeout_s)}s'")
        cur.execute("SET LOCAL lock_timeout = '5s'")
        cur.execute("SET LOCAL idle_in_transaction_session_timeout = '60s'")
        cur.execute("SET LOCAL search_path = public")
        try:
            yield cur
        finally:
            cur.execute("ROLLBACK")


def reflect_url(
    url: str, schemas: Sequence[str] | None = None, timeout_s: int = 60
) -> Schema:
    """Connect to ``url`` read-only and reflect ``schemas`` (all non-system schemas if None)."""
    with readonly_cursor(url, timeout_s) as cur:
        return reflect_cursor(cur, schemas)


def reflect_cursor(cur: Any, schemas: Sequence[str] | None = None) -> Schema:
    """Reflect through a DB-API cursor already inside the read-only transaction."""
    params: dict[str, Any] = {
        "all_schemas": not schemas,
        "schemas": list(schemas or []),
    }

    def rows(sql: str) -> list[tuple[Any, ...]]:
        cur.execute(sql, params)
        return list(cur.fetchall())

    cur.execute("SHOW server_version_num")
    version_num = int(cur.fetchone()[0])
    cur.execute("SHOW server_version")
    version = str(cur.fetchone()[0])

    tables: dict[int, dict[str, Any]] = {}
    others: list[Relation] = []
    views: dict[int, dict[str, Any]] = {}
    partitions: dict[str, list[str]] = defaultdict(list)
    kinds = {"v": "view", "m": "materialized view", "f": "foreign table"}
    for oid, nsp, name, kind, is_partition, comment, partkey, parent in rows(
        RELATIONS_SQL
    ):
        if is_partition:
            others.append(Relation(nsp, name, "partition"))
            partitions[parent].append(f"{nsp}.{name}")
        elif kind in ("v", "m"):
            views[oid] = {
                "schema": nsp,
                "name": name,
                "kind": kinds[kind],
                "comment": comment,
            }
            views[oid]["columns"] = []
        elif kind in kinds:
            others.append(Relation(nsp, name, kinds[kind]))
        else:
            tables[oid] = {
                "schema": nsp,
                "name": name,
                "comment": comment,
                "partition_key": partkey,
                "columns": [],
                "fks": [],
                "uniques": [],
                "checks": [],
                "excludes": [],
                "pk": None,
                "indexes": [],
            }

    sequences = {(r[0], r[1]): r for r in rows(SEQUENCES_SQL)}
    for row in rows(COLUMNS_SQL):
        if row[0] in tables:
            tables[row[0]]["columns"].append(
                _column(row, sequences.get((row[0], row[1])))
            )
        elif row[0] in views:
            views[row[0]]["columns"].append(_column(row, None))
    others += [
        Relation(v["schema"], v["name"], v["kind"], tuple(v["columns"]), v["comment"])
        for v in views.values()
    ]

    index_rows: dict[int, Sequence[Any]] = {}
    nnd = "i.indnullsnotdistinct" if version_num >= 150000 else "false"
    for row in rows(INDEXES_SQL.replace("{nulls_not_distinct}", nnd)):
        if row[0] in tables:
            index_rows[row[1]] = row

    constraint_indexes: set[int] = set()
    for row in rows(CONSTRAINTS_SQL):
        if row[0] not in tables:
            continue
        table = tables[row[0]]
        _add_constraint(table, row, index_rows)
        if row[14] is not None:
            constraint_indexes.add(row[14])

    for indexid, index_row in index_rows.items():
        if indexid not in constraint_indexes:
            tables[index_row[0]]["indexes"].append(_index(index_row))
    _add_owned(tables, rows)
    _add_partitions(tables, rows)

    result = [
        Table(
            schema=t["schema"],
            name=t["name"],
            columns=tuple(t["columns"]),
            comment=t["comment"],
            primary_key=t["pk"],
            foreign_keys=tuple(sorted(t["fks"], key=lambda c: c.name)),
            uniques=tuple(sorted(t["uniques"], key=lambda c: c.name)),
            checks=tuple(sorted(t["checks"], key=lambda c: c.name)),
            excludes=tuple(sorted(t["excludes"], key=lambda c: c.name)),
            indexes=tuple(sorted(t["indexes"], key=lambda i: i.name)),
            partition_key=t["partition_key"],
            partitions=tuple(sorted(partitions.get(f"{t['schema']}.{t['name']}", []))),
            triggers=tuple(t.get("triggers", ())),
            row_security=t.get("row_security", False),
            force_row_security=t.get("force_row_security", False),
            policies=tuple(t.get("policies", ())),
            partition_facts=tuple(t.get("partition_facts", ())),
        )
        for t in tables.values()
    ]
    enums = [Enum(nsp, name, tuple(labels)) for nsp, name, labels in rows(ENUMS_SQL)]
    domains = [_domain(row) for row in rows(DOMAINS_SQL)]
    return Schema(
        tables=tuple(sorted(result, key=lambda t: t.key)),
        enums=tuple(enums),
        domains=tuple(domains),
        others=tuple(sorted(others, key=lambda r: (r.schema, r.name))),
        extensions=tuple((str(a), str(b)) for a, b in rows(EXTENSIONS_SQL)),
        functions=tuple((str(a), str(b), str(c)) for a, b, c in rows(FUNCTIONS_SQL)),
        sequences=tuple(_sequence_fact(r) for r in rows(ALL_SEQUENCES_SQL)),
        composites=tuple((str(a), str(b), str(c)) for a, b, c in rows(COMPOSITES_SQL)),
        collations=tuple((str(a), str(b), str(c)) for a, b, c in rows(COLLATIONS_SQL)),
        ranges=tuple((str(a), str(b), str(c)) for a, b, c in rows(RANGES_SQL)),
        server_version=version,
    )


def _add_owned(tables: dict[int, dict[str, Any]], rows: Any) -> None:
    """Triggers, row-level security flags and policies, onto their tables."""
    for relid, name, definition, enabled in rows(TRIGGERS_SQL):
        if relid in tables:
            trigger = Trigger(name=name, definition=definition, enabled=enabled)
            tables[relid].setdefault("triggers", []).append(trigger)
    for relid, enabled, forced in rows(ROW_SECURITY_SQL):
        if relid in tables:
            tables[relid]["row_security"] = bool(enabled)
            tables[relid]["force_row_security"] = bool(forced)
    for relid, name, command, permissive, roles, using, check, refs in rows(
        POLICIES_SQL
    ):
        if relid in tables:
            policy = Policy(
                name=name,
                command=_POLICY_COMMANDS[command],
                permissive=bool(permissive),
                roles=tuple(roles),
                using=using,
                with_check=check,
                references=tuple(refs),
            )
            tables[relid].setdefault("policies", []).append(policy)


def _add_partitions(tables: dict[int, dict[str, Any]], rows: Any) -> None:
    """Each partition onto the modelled table at the top of its tree, parents first."""
    found = {row[0]: row for row in rows(PARTITIONS_SQL)}

    def top(oid: int) -> tuple[int, int]:
        depth = 0
        while oid in found:
            oid, depth = found[oid][3], depth + 1
        return oid, depth

    placed: dict[int, list[tuple[int, str, Partition]]] = defaultdict(list)
    for oid, nsp, name, _, parent, bound, key, constraints, indexes in found.values():
        root, depth = top(oid)
        if root not in tables:
            continue
        partition = Partition(
            schema=nsp,
            name=name,
            parent=parent,
            bound=bound,
            partition_key=key,
            constraints=tuple(_pairs(constraints)),
            indexes=tuple(_pairs(indexes)),
        )
        placed[root].append((depth, f"{nsp}.{name}", partition))
    for root, items in placed.items():
        tables[root]["partition_facts"] = [p for _, _, p in sorted(items)]


def _pairs(items: Sequence[str] | None) -> list[tuple[str, str]]:
    return [tuple(item.split("\x1f", 1)) for item in items or ()]  # type: ignore[misc]


def _sequence_fact(row: Sequence[Any]) -> SequenceFact:
    schema, name, data_type, start, increment, minvalue, maxvalue, cache, cycle = row
    return SequenceFact(
        schema=schema,
        name=name,
        data_type=data_type,
        start=int(start),
        increment=int(increment),
        minvalue=int(minvalue),
        maxvalue=int(maxvalue),
        cache=int(cache),
        cycle=bool(cycle),
    )


def _typeref(
    display: str, name: str, schema: str, kind: str, dims: int, elem_display: str
) -> TypeRef:
    match = _MODIFIERS.search(elem_display)
    modifiers = tuple(m.strip() for m in match.group(1).split(",")) if match else ()
    return TypeRef(
        display=display,
        name=name,
        schema=schema,
        kind=kind,
        array_dims=dims,
        modifiers=modifiers,
        element_display=elem_display,
    )


def _column(row: Sequence[Any], seq: Sequence[Any] | None) -> Column:
    _, _, name, display, notnull, default, identity, generated, comment, collation = (
        row[:10]
    )
    elem_name, elem_schema, elem_kind, dims, elem_display, collation_schema = row[10:16]
    ident = None
    serial = None
    if identity and seq is not None:
        ident = Identity(
            always=identity == "a",
            start=int(seq[5]),
            increment=int(seq[6]),
            minvalue=int(seq[7]),
            maxvalue=int(seq[8]),
            cycle=bool(seq[10]),
            cache=int(seq[9]),
        )
    elif seq is not None and seq[2] == "a" and default and _calls(default, seq):
        serial = str(seq[3])
    return Column(
        name=name,
        type=_typeref(
            display, elem_name, elem_schema, elem_kind, int(dims), elem_display
        ),
        nullable=not notnull,
        default=None if generated else default,
        identity=ident,
        generated=default if generated == "s" else None,
        comment=comment,
        collation=collation,
        serial_sequence=serial,
        collation_schema=collation_schema,
    )


def _calls(default: str, seq: Sequence[Any]) -> bool:
    """Whether ``default`` is nextval() of the owned sequence ``seq`` (a column may own
    one sequence and take its values from another)."""
    found = sequence_name(default)
    if found is None:
        return False
    schema, name = found
    seq_schema = str(seq[3]).rpartition(".")[0].strip('"')
    return name == seq[4] and schema in (None, seq_schema)


def _strip_check(definition: str) -> tuple[str, bool]:
    body = definition
    no_inherit = False
    for suffix in (" NOT VALID", " NO INHERIT"):
        if body.endswith(suffix):
            body = body[: -len(suffix)]
            no_inherit = no_inherit or suffix == " NO INHERIT"
    if body.startswith("CHECK (") and body.endswith(")"):
        body = body[len("CHECK (") : -1]
    return unwrap(body), no_inherit


def _add_constraint(
    table: dict[str, Any], row: Sequence[Any], index_rows: dict[int, Sequence[Any]]
) -> None:
    _, name, kind, deferrable, deferred, noinherit, definition, cols = row[:8]
    ref_schema, ref_table, ref_cols, upd, dele, match, indexid, exclops = row[8:16]
    not_valid = bool(row[16])
    if kind == "f":
        table["fks"].append(
            ForeignKey(
                name=name,
                columns=tuple(cols),
                ref_schema=ref_schema,
                ref_table=ref_table,
                ref_columns=tuple(ref_cols),
                on_update=_FK_ACTIONS[upd],
                on_delete=_on_delete(dele, definition),
                match=_FK_MATCH[match],
                deferrable=bool(deferrable),
                initially_deferred=bool(deferred),
                definition=definition,
                not_valid=not_valid,
            )
        )
        return
    index = None
    if indexid is not None and indexid in index_rows:
        index = _index(index_rows[indexid], tuple(exclops or ()))
    expression = None
    if kind == "c":
        expression, _ = _strip_check(definition)
    constraint = Constraint(
        name=name,
        kind=kind,
        columns=tuple(cols),
        definition=definition,
        expression=expression,
        deferrable=bool(deferrable),
        initially_deferred=bool(deferred),
        nulls_not_distinct=bool(index.nulls_not_distinct) if index else False,
        no_inherit=bool(noinherit) and kind == "c",
        not_valid=not_valid,
        index=index,
    )
    if kind == "p":
        table["pk"] = constraint
    else:
        table[{"u": "uniques", "c": "checks", "x": "excludes"}[kind]].append(constraint)


def split_top_level(text: str, sep: str = ",") -> list[str]:
    """Split on ``sep`` outside parentheses, brackets and quotes."""
    parts: list[str] = []
    depth = 0
    quote: str | None = None
    current: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            current.append(ch)
            if ch == quote:
                if i + 1 < len(text) and text[i + 1] == quote:
                    current.append(text[i + 1])
                    i += 1
                else:
                    quote = None
        elif ch in "'\"":
            quote = ch
            current.append(ch)
        elif ch in "([":
            depth += 1
            current.append(ch)
        elif ch in ")]":
            depth -= 1
            current.append(ch)
        elif ch == sep and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
        i += 1
    if current or parts:
        parts.append("".join(current).strip())
    return parts


def _paren_body(text: str, start: int) -> tuple[str, int]:
    """The text inside the parenthesis opening at ``start`` and the index after it."""
    end = closing_paren(text, start)
    if end < 0:
        raise ValueError(f"unbalanced parentheses in {text!r}")
    return text[start + 1 : end], end + 1


def quote_ident(name: str) -> str:
    """PostgreSQL's quote_ident for the names this module compares."""
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) and name not in _RESERVED_SQL:
        return name
    return '"' + name.replace('"', '""') + '"'


# The fully reserved SQL key words PostgreSQL quotes in deparsed output.
_RESERVED_SQL = frozenset(
    """all analyse analyze and any array as asc asymmetric both case cast check collate
    column constraint create current_catalog current_date current_role current_time
    current_timestamp current_user default deferrable desc distinct do else end except
    false fetch for foreign from grant group having in initially intersect into lateral
    leading limit localtime localtimestamp not null offset on only or order placing
    primary references returning select session_user some symmetric system_user table
    then to trailing true union unique user using variadic when where window with
    authorization binary collation concurrently cross current_schema freeze full ilike
    inner is isnull join left like natural notnull outer overlaps right similar tablesample
    verbose""".split()
)


def _index(row: Sequence[Any], exclops: tuple[str, ...] = ()) -> Index:
    _, _, name, unique, method, nkeys, definition, predicate, cols, reloptions, nnd = (
        row
    )
    marker = f" USING {method} ("
    start = definition.find(marker)
    elements: list[IndexElement] = []
    if start >= 0:
        body, _ = _paren_body(definition, start + len(marker) - 1)
        for position, text in enumerate(split_top_level(body)[:nkeys]):
            column = cols[position] if position < len(cols) else None
            if column is not None and text == quote_ident(column):
                elements.append(IndexElement(column=column, expression=None))
            else:
                elements.append(IndexElement(column=None, expression=text))
    return Index(
        name=name,
        unique=bool(unique),
        method=method,
        elements=tuple(elements),
        include=tuple(c for c in cols[nkeys:] if c is not None),
        predicate=predicate,
        nulls_not_distinct=bool(nnd),
        options=tuple(reloptions or ()),
        definition=definition,
        exclude_operators=exclops,
    )


def _domain(row: Sequence[Any]) -> Domain:
    _, nsp, name, display, base_name, base_schema, base_kind, notnull, default = row[:9]
    collation, checks, collation_schema = row[9], row[10], row[11]
    parsed = []
    for item in checks or ():
        conname, _, definition = item.partition("\x1f")
        parsed.append((conname, _strip_check(definition)[0]))
    return Domain(
        schema=nsp,
        name=name,
        base=_typeref(display, base_name, base_schema, base_kind, 0, display),
        not_null=bool(notnull),
        default=default,
        checks=tuple(parsed),
        collation=collation,
        collation_schema=collation_schema,
    )
