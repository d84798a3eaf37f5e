"""Without ``--from``: the chosen groups' tables -> one Alembic revision that creates
them, guarded table by table.

The revision's DDL comes from the same rendering decisions as the models
(modelgen.generate.columns.ColumnRenderer), with ``db.X`` turned into ``sa.X``; every
database name reaches the file through ``lit()``.  Each step of ``upgrade()``
runs only when its object is absent from the catalog read at the start, and is
recorded in ``modelgen_migration_log`` so ``downgrade()`` drops exactly that.
See docs/migration.md.
"""

from __future__ import annotations

import hashlib
import heapq
import io
import re
import textwrap
import tokenize
from dataclasses import dataclass, field, replace
from pathlib import Path

import jinja2

from modelgen.catalog.owned import (
    OwnedStatement,
    foreign_key_statement,
    owned_statements,
    unique_statement,
)
from modelgen.catalog.pgtext import referenced_table, sequence_name
from modelgen.catalog.prerequisites import (
    Prerequisite,
    domain_is_expressible,
    needed_by,
)
from modelgen.catalog.schema import Domain, Enum, ForeignKey, Schema, Table
from modelgen.config import Config
from modelgen.generate.build import select_specs, table_suggestion
from modelgen.generate.columns import ColumnRenderer, call, lit
from modelgen.generate.constraints import merged_in_create
from modelgen.generate.format import format_source
from modelgen.generate.owned import ddl_literal
from modelgen.generate.render import render_template
from modelgen.generate.typemap import domain_variable, enum_variable, render_type
from modelgen.migration.revisions import (
    LOG_TABLE,
    MigrationError,
    catalog_rows,
    find_head,
    load_revision,
    slug,
    upgrade_sql,
)

TEMPLATE = "migration.py.j2"
_NEVER_MIGRATED = ("alembic_version", LOG_TABLE)
_PLACEHOLDER = "0" * 12


@dataclass(frozen=True)
class TableStep:
    schema: str  # a literal, or None for the default schema
    name: str  # a literal
    requires: tuple[tuple[str, str], ...]  # ("requires"/"types", tuple literal)
    args: tuple[str, ...]  # columns, constraints, indexes
    kwargs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ForeignKeyStep:
    """A foreign key between two tables of the revision, added after both exist."""

    schema: str
    table: str
    name: str
    args: str  # the arguments of op.create_foreign_key(...)


@dataclass(frozen=True)
class OwnedStep:
    """A trigger, row-level security flag or policy of a table this revision creates."""

    schema: str
    table: str
    ddl: str  # sa.DDL(<literal>)
    record: str | None = None  # "policy" / "trigger": logged, dropped by downgrade
    name: str = "None"  # its name, a literal


@dataclass(frozen=True)
class MigrationPlan:
    docstring: str
    import_groups: tuple[tuple[str, ...], ...]
    revision: str  # literal
    down_revision: str  # literal or None
    definitions: tuple[tuple[str, str], ...]  # enum and domain variables
    custom_types: tuple[tuple[str, str], ...]
    label_enums: tuple[str, ...]
    schemas: tuple[str, ...]  # literals of non-default schemas the tables live in
    types: tuple[str, ...]  # enum then domain variables, in creation order
    # (kind, schema, name, CREATE statement) literals of prerequisites the tables
    # need: collations, range and composite types before the types, domains the
    # models cannot express and called functions after them (docs/prerequisites.md)
    early: tuple[tuple[str, str, str, str], ...]
    late: tuple[tuple[str, str, str, str], ...]
    sequences: tuple[str, ...]  # sa.Sequence(...) of non-owned nextval() defaults
    tables: tuple[TableStep, ...]
    foreign_keys: tuple[ForeignKeyStep, ...]
    owned: tuple[OwnedStep, ...] = ()
    bind: str = (
        ""  # a literal: the Flask-SQLAlchemy bind whose database it is for, or ""
    )
    names: tuple[str, ...] = ()  # schema.name of the tables, in creation order


@dataclass(frozen=True)
class MigrationFile:
    path: Path
    content: str
    revision: str
    down_revision: str | None
    tables: tuple[str, ...]


# -- selection and order -----------------------------------------------------


def select_tables(
    schema: Schema, config: Config, groups: list[str], all_groups: bool
) -> list[Table]:
    """The tables of the chosen groups, in the config's order, each once."""
    specs = select_specs(config, schema, groups, all_groups)
    seen: dict[tuple[str, str], Table] = {}
    for spec in specs:
        for name in spec.tables:
            table = schema.find_table(name)
            if table is None:
                raise MigrationError(
                    f"{config.label}: key 'groups.{spec.group}.{spec.filename}': "
                    f"table {name!r} is not in the database{table_suggestion(schema, name)}"
                )
            if table.name not in _NEVER_MIGRATED:
                seen.setdefault(table.key, table)
    if not seen:
        raise MigrationError("no tables selected: nothing to migrate")
    return list(seen.values())


def partition_targets(table: Table) -> list[tuple[str, str]]:
    """The tables the partitions' own foreign keys reference (pagila's payment
    partitions each have a key to rental that the parent lacks).  The keys are
    created after every table, but the downgrade drops tables newest first, so
    the parent must come after those tables as if the keys were its own.
    Definitions are pg_get_constraintdef's, read with search_path = public: an
    unqualified name is in public."""
    found = []
    for partition in table.partition_facts:
        for _, definition in partition.constraints:
            target = referenced_table(definition)
            if target is not None:
                found.append((target[0] or "public", target[1]))
    return found


def order_tables(tables: list[Table]) -> tuple[list[Table], set[tuple[str, str, str]]]:
    """Foreign-key order (targets first; ties keep the given order) and the foreign
    keys that must wait until every table exists: (schema, table, fk name) of the
    keys that close a cycle.

    Each table counts the targets it still waits for, and the ready ones wait in
    a heap by position: picking the first ready table by scanning what remains
    made this quadratic (a table listed before what it references was passed
    over again at every step).
    """
    index = {t.key: i for i, t in enumerate(tables)}
    targets = [
        {
            key
            for key in [(fk.ref_schema, fk.ref_table) for fk in t.foreign_keys]
            + partition_targets(t)
            if key in index and key != t.key
        }
        for t in tables
    ]
    waiting = [len(t) for t in targets]  # targets not placed yet
    dependents: dict[tuple[str, str], list[int]] = {}
    for i, keys in enumerate(targets):
        for key in keys:
            dependents.setdefault(key, []).append(i)
    ready = [i for i, count in enumerate(waiting) if not count]  # sorted: a heap
    remaining = dict.fromkeys(range(len(tables)))  # in the given order
    placed: set[tuple[str, str]] = set()
    ordered: list[Table] = []
    deferred: set[tuple[str, str, str]] = set()

    def waits_for(i: int) -> set[tuple[str, str]]:
        return targets[i] - placed

    def reaches(start: tuple[str, str]) -> set[tuple[str, str]]:
        seen: set[tuple[str, str]] = set()
        todo = [start]
        while todo:
            for target in waits_for(index[todo.pop()]):
                if target not in seen:
                    seen.add(target)
                    todo.append(target)
        return seen

    while remaining:
        if ready:
            i = heapq.heappop(ready)
        else:
            # Stuck on cycles: take the first table whose every wait leads back to
            # it (one exists in each cycle no other cycle blocks) and let its keys
            # to those tables wait until all tables exist.
            i = next(
                i
                for i in remaining
                if all(tables[i].key in reaches(w) for w in waits_for(i))
            )
            waits = waits_for(i)
            for fk in tables[i].foreign_keys:
                if (fk.ref_schema, fk.ref_table) in waits:
                    deferred.add((tables[i].schema, tables[i].name, fk.name))
        del remaining[i]
        key = tables[i].key
        if key not in placed:
            placed.add(key)
            for j in dependents.get(key, ()):
                waiting[j] -= 1
                if not waiting[j] and j in remaining:
                    heapq.heappush(ready, j)
        ordered.append(tables[i])
    return ordered, deferred


# -- plan ------------------------------------------------------------------


# In one line of code with no comment and no triple-quoted string: a string
# literal (skipped whole), a name after a dot (an attribute: skipped), or a
# bare ``db`` followed by a dot (the one thing rewritten).
_DB_ATTRIBUTE = re.compile(
    r"""'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|\.[ \t\f]*\w+|(?<!\w)db(?=[ \t\f]*\.)"""
)


def _sa_or_same(match: re.Match[str]) -> str:
    return "sa" if match.group() == "db" else match.group()


def to_sa(expr: str) -> str:
    """``db.X`` -> ``sa.X`` in a rendered expression; string literals are left alone.

    A regular expression over the line: Python's tokenizer on every expression
    was 70% of building a revision.  Expressions over several lines, or with a
    comment or a triple-quoted string, still go through the tokenizer (the
    tests compare both on every expression of random schemas).
    """
    if "\n" in expr or "\r" in expr or "#" in expr or '"""' in expr or "'''" in expr:
        return _to_sa_tokens(expr)
    return _DB_ATTRIBUTE.sub(_sa_or_same, expr)


def _to_sa_tokens(expr: str) -> str:
    """to_sa by Python's tokenizer: any expression, a token at a time."""
    offsets = [0]
    for line in expr.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    tokens = [
        tok
        for tok in tokenize.generate_tokens(io.StringIO(expr).readline)
        if tok.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER)
    ]
    starts = []
    for i, tok in enumerate(tokens):
        if (
            tok.type == tokenize.NAME
            and tok.string == "db"
            and i + 1 < len(tokens)
            and tokens[i + 1].string == "."
            and (i == 0 or tokens[i - 1].string != ".")
        ):
            starts.append(offsets[tok.start[0] - 1] + tok.start[1])
    out = expr
    for start in reversed(starts):
        out = out[:start] + "sa" + out[start + 2 :]
    return out


def _schema_lit(schema: Schema, name: str | None) -> str:
    return "None" if not name or name == schema.default_schema else lit(name)


def _enum_definition(schema: Schema, enum: Enum) -> str:
    kwargs = [("name", lit(enum.name))]
    if enum.schema != schema.default_schema:
        kwargs.append(("schema", lit(enum.schema)))
    kwargs.append(("create_type", "False"))  # created by upgrade(), when absent
    return call("postgresql.ENUM", [lit(label) for label in enum.labels], kwargs)


def _pairs(schema: Schema, items: list[tuple[str, str]]) -> str:
    inner = [f"({_schema_lit(schema, s)}, {lit(n)})" for s, n in items]
    return "(" + ", ".join(inner) + ("," if len(inner) == 1 else "") + ")"


@dataclass
class _Collected:
    definitions: dict[str, str]
    enums: dict[tuple[str, str], Enum]
    domains: dict[tuple[str, str], Domain]
    custom: dict[str, str]
    imports: set[str]
    sequences: dict[tuple[str | None, str], str]
    # partitions of the selected tables: created after them, so a key to one waits
    partitions: set[tuple[str, str]] = field(default_factory=set)


def _table_step(
    schema: Schema,
    renderer: ColumnRenderer,
    table: Table,
    deferred: set[tuple[str, str, str]],
    selected: set[tuple[str, str]],
    found: _Collected,
) -> TableStep:
    inline = tuple(
        fk
        for fk in table.foreign_keys
        if (table.schema, table.name, fk.name) not in deferred
        and (fk.ref_schema, fk.ref_table) not in found.partitions
    )
    rendered = renderer.table(
        replace(table, foreign_keys=inline), {c.name: "" for c in table.columns}
    )
    found.imports |= rendered.imports
    found.custom.update(rendered.custom_types)
    required_types: list[tuple[str, str]] = []
    for column in table.columns:
        typed = render_type(column.type, schema, schema.default_schema)
        for enum in typed.enums:
            found.enums[(enum.schema, enum.name)] = enum
        for domain in typed.domains:
            if not domain_is_expressible(domain):
                # its exact CREATE DOMAIN is a prerequisite: required, never guessed
                required_types.append((domain.schema, domain.name))
                found.definitions[domain_variable(domain, schema)] = (
                    rendered.definitions[domain_variable(domain, schema)]
                )
                continue
            found.domains[(domain.schema, domain.name)] = domain
            expr = rendered.definitions[domain_variable(domain, schema)]
            found.definitions[domain_variable(domain, schema)] = (
                expr[:-1] + ", create_type=False)"
            )
        ref = column.type
        declared = (
            ref.kind == "e" and schema.enum(ref.schema, ref.name) is not None
        ) or (ref.kind == "d" and (ref.schema, ref.name) in found.domains)
        if ref.schema != "pg_catalog" and not declared:  # an extension's type
            required_types.append((ref.schema, ref.name))
        if column.default and not renderer.is_pg_serial(table, column):
            sequence = sequence_name(column.default)
            if sequence is not None:
                seq_schema, seq_name = sequence
                kwargs = [("schema", lit(seq_schema))] if seq_schema else []
                found.sequences[sequence] = call("sa.Sequence", [lit(seq_name)], kwargs)
    targets = sorted(
        {
            (fk.ref_schema, fk.ref_table)
            for fk in table.foreign_keys
            # two lookups, never the union: building it per key copied every
            # selected table (quadratic: 7 s of a 10,000-table revision)
            if (fk.ref_schema, fk.ref_table) not in selected
            and (fk.ref_schema, fk.ref_table) not in found.partitions
        }
    )
    requires: list[tuple[str, str]] = []
    if targets:
        requires.append(("requires", _pairs(schema, targets)))
    if required_types:
        requires.append(("types", _pairs(schema, sorted(set(required_types)))))
    return TableStep(
        schema=_schema_lit(schema, table.schema),
        name=lit(table.name),
        requires=tuple(requires),
        args=tuple(to_sa(a) for a in rendered.column_exprs + rendered.table_args),
        kwargs=tuple((k.strip('"'), to_sa(v)) for k, v in rendered.table_kwargs),
    )


def _fk_step(
    schema: Schema, renderer: ColumnRenderer, table: Table, fk: ForeignKey
) -> ForeignKeyStep:
    args = [
        lit(fk.name),
        lit(table.name),
        lit(fk.ref_table),
        "[" + ", ".join(lit(c) for c in fk.columns) + "]",
        "[" + ", ".join(lit(c) for c in fk.ref_columns) + "]",
    ]
    kwargs = [
        (k, v) for k, v in renderer.fk_kwargs(fk) if k not in ("name", "use_alter")
    ]
    if table.schema != schema.default_schema:
        kwargs.append(("source_schema", lit(table.schema)))
    if fk.ref_schema != schema.default_schema:
        kwargs.append(("referent_schema", lit(fk.ref_schema)))
    return ForeignKeyStep(
        schema=_schema_lit(schema, table.schema),
        table=lit(table.name),
        name=lit(fk.name),
        args=", ".join(args + [f"{k}={v}" for k, v in kwargs]),
    )


def _owned(
    table: Table, found: _Collected, renderer: ColumnRenderer
) -> list[OwnedStatement]:
    """The sequences its columns own (those that are not SERIAL are created apart,
    before the table), what the table owns, then its foreign keys to partitions
    (created just now)."""
    owners = [
        # owned_by() is db.DDL text, its % doubled: the step doubles them itself
        OwnedStatement("sequence owner", column.name, sql.replace("%%", "%"))
        for column in table.columns
        if (sql := renderer.owned_by(table, column)) is not None
    ]
    keys = [
        foreign_key_statement(table, fk)
        for fk in table.foreign_keys
        if (fk.ref_schema, fk.ref_table) in found.partitions
    ]
    # the uniques op.create_table leaves out (CREATE TABLE would merge them)
    merged = [unique_statement(table, u) for u in merged_in_create(table)]
    return owners + merged + owned_statements(table) + keys


def _owned_step(schema: Schema, table: Table, statement: OwnedStatement) -> OwnedStep:
    # logged, so downgrade drops them before any table: a policy may read another
    # table, a foreign key may point at a partition of another
    kinds = {"policy": "policy", "trigger": "trigger", "foreign key": "foreign_key"}
    record = kinds.get(statement.kind)
    return OwnedStep(
        schema=_schema_lit(schema, table.schema),
        table=lit(table.name),
        ddl="sa." + ddl_literal(statement.sql),
        record=lit(record) if record else None,
        name=lit(statement.name),
    )


def build_migration(
    schema: Schema,
    tables: list[Table],
    revision: str,
    down_revision: str | None,
    message: str,
    bind: str | None = None,
) -> MigrationPlan:
    """Every string of the revision decided here; the template only places them."""
    renderer = ColumnRenderer(schema, "classic", keep_not_valid=False)
    ordered, deferred = order_tables(tables)
    selected = {t.key for t in tables}
    found = _Collected({}, {}, {}, {}, set(), {})
    found.partitions = {(p.schema, p.name) for t in tables for p in t.partition_facts}
    steps = [
        _table_step(schema, renderer, t, deferred, selected, found) for t in ordered
    ]
    fk_steps = [
        _fk_step(schema, renderer, t, fk)
        for t in ordered
        for fk in t.foreign_keys
        if (t.schema, t.name, fk.name) in deferred
    ]
    definitions = dict(found.definitions)
    enums = [found.enums[k] for k in sorted(found.enums)]
    domains = [found.domains[k] for k in sorted(found.domains)]
    for enum in enums:
        definitions[enum_variable(enum, schema)] = _enum_definition(schema, enum)
    third = {"import sqlalchemy as sa", "from alembic import op"}
    third.add("from sqlalchemy.dialects import postgresql")
    # the runtime's step(): a failed statement is one line, not a traceback
    std = {"import contextlib", "from collections.abc import Iterator"}
    for line in found.imports:
        if line.startswith("from typing") or line.startswith("import "):
            std.add(line)
        else:
            third.add(line)
    import_groups = tuple(
        tuple(sorted(group, key=_isort_key)) for group in (std, third) if group
    )
    names = [f"{t.schema}.{t.name}" for t in ordered]
    # the tables' schemas and those of the types they use (a schema of types only)
    needed = needed_by(schema, tables)
    schemas = sorted(
        {t.schema for t in tables} | {p.name for p in needed if p.kind == "schema"}
    )
    schemas = [s for s in schemas if s != schema.default_schema]
    early, late = _prerequisite_steps(needed)
    return MigrationPlan(
        early=early,
        late=late,
        docstring=_docstring(message, revision, down_revision, names),
        import_groups=import_groups,
        revision=lit(revision),
        down_revision=lit(down_revision) if down_revision else "None",
        definitions=tuple(
            (name, to_sa(expr)) for name, expr in sorted(definitions.items())
        ),
        custom_types=tuple(sorted(found.custom.items())),
        label_enums=tuple(enum_variable(e, schema) for e in enums),
        schemas=tuple(lit(s) for s in schemas),
        types=tuple(enum_variable(e, schema) for e in enums)
        + tuple(domain_variable(d, schema) for d in domains),
        sequences=tuple(found.sequences[k] for k in sorted(found.sequences, key=str)),
        tables=tuple(steps),
        foreign_keys=tuple(fk_steps),
        owned=tuple(
            _owned_step(schema, t, s)
            for waits in (False, True)  # what reads other tables runs last
            for t in ordered
            for s in _owned(t, found, renderer)
            if bool(s.waits_for) == waits
        ),
        bind=lit(bind) if bind else "",
        names=tuple(names),
    )


def with_revision(
    plan: MigrationPlan,
    revision: str,
    down_revision: str | None,
    message: str,
) -> MigrationPlan:
    """``plan`` as ``build_migration`` makes it for ``revision``: the revision id is
    in its literal and the docstring, nowhere else."""
    return replace(
        plan,
        revision=lit(revision),
        docstring=_docstring(message, revision, down_revision, list(plan.names)),
    )


def _isort_key(line: str) -> tuple[int, str]:
    """isort's order inside a section: ``import x`` lines, then ``from x import y``."""
    return (0 if line.startswith("import ") else 1, line.split()[1])


def _docstring(
    message: str, revision: str, down_revision: str | None, tables: list[str]
) -> str:
    shown = lit(message)[1:-1]
    if lit(message).startswith("'"):
        shown = shown.replace('"', '\\"')
    listed = ", ".join(lit(t)[1:-1].replace('"', '\\"') for t in tables)
    return "\n".join(
        [
            f'"""{shown}',
            "",
            f"Revision ID: {revision}",
            f"Revises: {down_revision or ''}",
            "",
            *textwrap.wrap(
                f"Generated by modelgen from the production schema. Tables: {listed}.",
                width=79,
                break_on_hyphens=False,
            ),
            "upgrade() creates only what the database lacks, and records it in",
            f"{LOG_TABLE}; downgrade() drops only what that record names.",
            '"""',
        ]
    )


# -- render ------------------------------------------------------------------


def _prerequisite_steps(
    needed: list[Prerequisite],
) -> tuple[tuple[tuple[str, str, str, str], ...], ...]:
    """Prerequisites the revision creates when absent. Schemas have their own step;
    extensions are never created (a missing one stops the upgrade, named)."""
    early: list[tuple[str, str, str, str]] = []
    late: list[tuple[str, str, str, str]] = []
    for item in needed:
        if item.kind in ("schema", "extension"):
            continue
        step = (lit(item.kind), lit(item.schema), lit(item.name), lit(item.ddl))
        (late if item.kind in ("domain", "function") else early).append(step)
    return tuple(early), tuple(late)


def render_migration(env: jinja2.Environment, plan: MigrationPlan) -> str:
    return render_template(env, TEMPLATE, plan=plan)


def generate_migration(
    env: jinja2.Environment,
    schema: Schema,
    tables: list[Table],
    versions_dir: Path | None,
    message: str,
    bind: str | None = None,
) -> MigrationFile:
    """The revision file: down_revision from the folder's head, a revision id that
    is a hash of everything else (same inputs, same file, byte for byte)."""
    down = find_head(versions_dir) if versions_dir and versions_dir.is_dir() else None
    # built once: a second build for the real id doubled the cost of every table
    draft = build_migration(schema, tables, _PLACEHOLDER, down, message, bind)
    text = render_migration(env, draft)
    revision = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    plan = with_revision(draft, revision, down, message)
    folder = versions_dir or Path.cwd()
    path = folder / f"{revision}_{slug(message)}.py"
    content = format_source(render_migration(env, plan), str(path))
    return MigrationFile(
        path, content, revision, down, tuple(f"{t.schema}.{t.name}" for t in tables)
    )


def migration_sql(item: MigrationFile, target_url: str) -> str:
    module = load_revision(item.content, str(item.path))
    rows = catalog_rows(target_url, module._CATALOG_SQL)
    return upgrade_sql(item.content, str(item.path), rows)
