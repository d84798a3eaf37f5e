"""One table's facts -> rendered column, constraint and index expressions (plain strings).

The choices here are what makes ``create_all`` print production back: SERIAL
only where production has an owned ``<table>_<column>_seq``, ``autoincrement=False``
on plain integer keys, explicit names on every constraint and index, identity
options that differ from PostgreSQL's defaults, and expression index keys
kept as PostgreSQL prints them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from modelgen.catalog.pgtext import sequence_name, source_form
from modelgen.catalog.prerequisites import domain_is_expressible
from modelgen.catalog.reflect import quote_ident
from modelgen.catalog.schema import (
    Column,
    Constraint,
    Domain,
    Enum,
    ForeignKey,
    Schema,
    Table,
)
from modelgen.generate.constraints import (
    ConstraintRenderer,
    add_constraint,
    merged_in_create,
)
from modelgen.generate.literals import call, lit
from modelgen.generate.plan import AttrPlan
from modelgen.generate.sequences import SequenceRenderer, default_name
from modelgen.generate.typemap import (
    custom_type_class,
    domain_variable,
    enum_variable,
    python_imports,
    render_type,
)


@dataclass
class RenderedTable:
    name_literal: str
    attributes: tuple[AttrPlan, ...] = ()
    column_exprs: tuple[str, ...] = ()
    table_args: tuple[str, ...] = ()
    table_kwargs: tuple[tuple[str, str], ...] = ()
    definitions: dict[str, str] = field(default_factory=dict)
    # definition order: enums (0), then domains after the domains they are built on
    ranks: dict[str, int] = field(default_factory=dict)
    custom_types: dict[str, str] = field(default_factory=dict)
    imports: set[str] = field(default_factory=set)
    # unique constraints CREATE TABLE would merge into another key: added after it
    merged: tuple[Constraint, ...] = ()
    merged_args: tuple[str, ...] = ()  # the same as UniqueConstraint(...): for --fix

    def table_expr(self, metadata: str | None = None, bind_key: str = "") -> str:
        """``db.Table(name, [metadata,] columns..., constraints..., kwargs...)``."""
        kwargs = [f"{k.strip(chr(34))}={v}" for k, v in self.table_kwargs]
        if (
            bind_key
        ):  # a literal; Flask-SQLAlchemy puts the table in that bind's metadata
            kwargs.append(f"bind_key={bind_key}")
        if metadata is None and not self.column_exprs:
            metadata = (
                "db.metadata"  # Flask-SQLAlchemy's db.Table needs a column or this
            )
        head = [self.name_literal] + ([metadata] if metadata else [])
        parts = [*head, *self.column_exprs, *self.table_args, *kwargs]
        return "db.Table(" + ", ".join(parts) + ")"


class ColumnRenderer(SequenceRenderer, ConstraintRenderer):
    def __init__(self, schema: Schema, style: str, keep_not_valid: bool = True) -> None:
        self.schema = schema
        self.style = style
        # models recreate NOT VALID foreign keys through ALTER TABLE (use_alter);
        # a migration's op.create_table would silently drop such a key, so it
        # creates them valid instead (its tables are new and empty)
        self.keep_not_valid = keep_not_valid

    def table(
        self, table: Table, attrs: dict[str, str], as_table: bool | None = None
    ) -> RenderedTable:
        """Render ``table``'s columns (as class attributes ``attrs``, or with their
        names for a db.Table when ``as_table``; default: when it has no primary key)."""
        if as_table is None:
            as_table = table.primary_key is None
        out = RenderedTable(name_literal=lit(table.name))
        inline_fks: dict[str, list[ForeignKey]] = {}
        composite_fks: list[ForeignKey] = []
        for fk in table.foreign_keys:
            if len(fk.columns) == 1:
                inline_fks.setdefault(fk.columns[0], []).append(fk)
            else:
                composite_fks.append(fk)
        pk = table.primary_key
        pk_cols = pk.columns if pk else ()
        pk_explicit = pk is not None and (
            pk.name != default_name(table.name, "pkey")
            or list(pk_cols) != self._implicit_pk_order(table)
            or pk.deferrable
        )
        attributes = []
        column_exprs = []
        for column in table.columns:
            # a db.Table (no primary key) has no attributes: every column needs its name
            attr = "" if as_table else attrs[column.name]
            expr, annotation = self._column(
                table,
                column,
                attr,
                inline_fks.get(column.name, []),
                in_pk=column.name in pk_cols and not pk_explicit,
                out=out,
            )
            attributes.append(AttrPlan(attrs[column.name], expr, annotation))
            column_exprs.append(expr)
        out.attributes = tuple(attributes)
        out.column_exprs = tuple(column_exprs)

        args: list[str] = []
        if pk is not None and pk_explicit:
            args.append(self._constraint("db.PrimaryKeyConstraint", pk))
        args += [self._fk_constraint(table, fk) for fk in composite_fks]
        # A unique constraint CREATE TABLE would merge into an earlier one, and a
        # CHECK added NOT VALID (CREATE TABLE would validate it): like a NOT VALID
        # foreign key, they are added after the table, by ALTER TABLE.
        # (Never inside CREATE TABLE, where it is lost; a migration, which has no
        # listeners, must add ``out.merged`` after the table itself.)
        out.merged = tuple(merged_in_create(table))
        uniques = {
            u.name: self._constraint("db.UniqueConstraint", u) for u in table.uniques
        }
        args += [uniques[u.name] for u in table.uniques if u not in out.merged]
        out.merged_args = tuple(uniques[u.name] for u in out.merged)
        later = [c for c in table.checks if c.not_valid and self.keep_not_valid]
        ddl_name = self.ddl_table_name(table)
        after_create = [
            add_constraint(ddl_name, u) for u in out.merged if self.keep_not_valid
        ]
        after_create += [_not_valid_check(ddl_name, c) for c in later]
        if (
            self.keep_not_valid
        ):  # the models (a migration keeps it simple: no listeners)
            owned = (self.owned_by(table, c) for c in table.columns)
            after_create += [statement for statement in owned if statement]
        args += [
            call(
                "db.CheckConstraint",
                [lit(source_form(c.expression or ""))],
                [("name", lit(c.name))],
            )
            for c in table.checks
            if c not in later
        ]
        for exclude in table.excludes:
            args.append(self._exclude(exclude))
            out.imports.add("from sqlalchemy.dialects import postgresql")
        args += [self._index(index) for index in table.indexes]
        out.table_args = tuple(args)

        kwargs: list[tuple[str, str]] = []
        if table.schema != self.schema.default_schema:
            kwargs.append(('"schema"', lit(table.schema)))
        if table.comment is not None:
            kwargs.append(('"comment"', lit(table.comment)))
        if table.partition_key:
            kwargs.append(('"postgresql_partition_by"', lit(table.partition_key)))
        if after_create:
            kwargs.append(('"listeners"', _listeners(after_create)))
        out.table_kwargs = tuple(kwargs)
        return out

    def _implicit_pk_order(self, table: Table) -> list[str]:
        """The key's columns as SQLAlchemy writes a key made of ``primary_key=True``
        columns: in table order, but the ``autoincrement=True`` one (a SERIAL in a
        composite key) first.  Where that is not production's order (the index's
        order), the key is written as an explicit ``PrimaryKeyConstraint``."""
        pk = table.primary_key
        assert pk is not None
        columns = [c for c in table.columns if c.name in pk.columns]
        first = [
            c.name
            for c in columns
            if len(pk.columns) > 1 and self.is_pg_serial(table, c)
        ]
        return first + [c.name for c in columns if c.name not in first]

    # -- columns -------------------------------------------------------------

    def _column(
        self,
        table: Table,
        column: Column,
        attr: str,
        fks: list[ForeignKey],
        in_pk: bool,
        out: RenderedTable,
    ) -> tuple[str, str | None]:
        rendered = render_type(column.type, self.schema, self.schema.default_schema)
        out.imports |= rendered.imports
        for enum in rendered.enums:
            # a type PostgreSQL prints schema-qualified is shadowed (public.uuid by
            # pg_catalog.uuid): its schema must be named even when it is the default
            shadowed = column.type.element_display != quote_ident(enum.name)
            out.definitions[enum_variable(enum, self.schema)] = self._enum_expr(
                enum, shadowed
            )
        for domain in rendered.domains:
            out.definitions[domain_variable(domain, self.schema)] = self._domain_expr(
                domain, out
            )
            out.ranks[domain_variable(domain, self.schema)] = 1 + self._domain_depth(
                domain
            )
        for spec in rendered.custom:
            out.custom_types[custom_type_class(spec)] = lit(spec)
            out.imports.add("from typing import Any")
        args: list[str] = []
        if attr != column.name:
            args.append(lit(column.name))
        type_expr = rendered.expr
        if column.collation and not column.type.array_dims:
            type_expr = _with_collation(
                type_expr, column.collation, column.collation_schema
            )
        args.append(type_expr)
        args += [self._inline_fk(fk) for fk in fks]
        kwargs: list[tuple[str, str]] = []
        serial = self.is_pg_serial(table, column)
        sequence = None
        if column.default and not serial:
            sequence = sequence_name(column.default)
        if column.identity is not None:
            args.append(self._identity(column))
        if column.generated is not None:
            args.append(
                call(
                    "db.Computed",
                    [lit(source_form(column.generated))],
                    [("persisted", "True")],
                )
            )
        if sequence is not None:
            args.append(self._sequence(*sequence))
        if in_pk:
            kwargs.append(("primary_key", "True"))
        autoincrement = self._autoincrement(table, column, in_pk, serial, bool(fks))
        if autoincrement is not None:
            kwargs.append(("autoincrement", autoincrement))
        typed = self.style == "typed" and bool(attr)  # a db.Table column is never typed
        if not column.nullable and not in_pk and not typed:
            kwargs.append(("nullable", "False"))
        if column.default is not None and not serial:
            kwargs.append(("server_default", call("db.text", [lit(column.default)])))
        if column.comment is not None:
            kwargs.append(("comment", lit(column.comment)))
        if typed:
            py = rendered.python
            optional = column.nullable and not in_pk
            out.imports |= python_imports(py)
            annotation = f"Mapped[{py} | None]" if optional else f"Mapped[{py}]"
            return call("db.mapped_column", args, kwargs), annotation
        return call("db.Column", args, kwargs), None

    def _enum_expr(self, enum: Enum, shadowed: bool = False) -> str:
        kwargs = [("name", lit(enum.name))]
        if shadowed or enum.schema != self.schema.default_schema:
            kwargs.append(("schema", lit(enum.schema)))
        return call("db.Enum", [lit(label) for label in enum.labels], kwargs)

    def _domain_depth(self, domain: Domain) -> int:
        depth = 0
        base = domain.base
        while base.kind == "d" and depth < 50:
            parent = self.schema.domain(base.schema, base.name)
            if parent is None:
                break
            depth += 1
            base = parent.base
        return depth

    def _domain_expr(self, domain: Domain, out: RenderedTable) -> str:
        base = render_type(domain.base, self.schema, self.schema.default_schema)
        out.imports |= base.imports | {"from sqlalchemy.dialects import postgresql"}
        kwargs: list[tuple[str, str]] = []
        if domain.not_null:
            kwargs.append(("not_null", "True"))
        if domain.default is not None:
            kwargs.append(("default", call("db.text", [lit(domain.default)])))
        if not domain_is_expressible(domain):
            # its exact CREATE DOMAIN is a prerequisite (modelgen.catalog.prerequisites)
            kwargs.append(("create_type", "False"))
        elif domain.checks:
            name, check = domain.checks[0]
            if not domain.not_null:  # else PostgreSQL names it (domain_is_expressible)
                kwargs.append(("constraint_name", lit(name)))
            kwargs.append(("check", call("db.text", [lit(source_form(check))])))
        if domain.collation:
            kwargs.append(("collation", lit(domain.collation)))
            if domain.collation_schema is not None:
                kwargs.append(("collation_schema", lit(domain.collation_schema)))
        if domain.schema != self.schema.default_schema:
            kwargs.append(("schema", lit(domain.schema)))
        return call("postgresql.DOMAIN", [lit(domain.name), base.expr], kwargs)


def _not_valid_check(table_name: str, check: Constraint) -> str:
    body = source_form(check.expression or "").replace("%", "%%")
    name = quote_ident(check.name).replace("%", "%%")
    return f"ALTER TABLE {table_name} ADD CONSTRAINT {name} CHECK ({body}) NOT VALID"


def _listeners(statements: list[str]) -> str:
    """``[("after_create", db.DDL(...)), ...]``: statements run once the table exists."""
    items = [f'("after_create", {call("db.DDL", [lit(s)])})' for s in statements]
    return "[" + ", ".join(items) + "]"


_COLLATABLE = (
    "db.String",
    "db.Text",
    "db.CHAR",
    "postgresql.CITEXT",
    "postgresql.BPCHAR",
)


def _with_collation(type_expr: str, collation: str, schema: str | None) -> str:
    """``db.String(12)`` -> ``db.String(12, collation="C")``; a collation in another
    schema adds ``collation_schema=`` (SQLAlchemy quotes each part: ``COLLATE s.c``,
    where ``collation="s.c"`` would be one name). Other types are left alone (verify
    reports the collation it could not carry)."""
    if not type_expr.startswith(_COLLATABLE):
        return type_expr
    kwarg = f"collation={lit(collation)}"
    if schema is not None:
        kwarg += f", collation_schema={lit(schema)}"
    if type_expr.endswith("()"):
        return f"{type_expr[:-1]}{kwarg})"
    if type_expr.endswith(")"):
        return f"{type_expr[:-1]}, {kwarg})"
    return f"{type_expr}({kwarg})"
