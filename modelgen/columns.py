"""One table's facts -> rendered column, constraint and index expressions (plain strings).

The choices here are what makes ``create_all`` print production back: SERIAL
only where production has an owned ``<table>_<column>_seq``, ``autoincrement=False``
on plain integer keys, explicit names on every constraint and index, identity
options that differ from PostgreSQL's defaults, and expression index keys
kept as PostgreSQL prints them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .literals import call, lit
from .pgtext import source_form
from .plan import AttrPlan
from .reflect import quote_ident
from .schema import Column, Constraint, Domain, Enum, ForeignKey, Index, Schema, Table
from .typemap import (
    custom_type_class,
    domain_variable,
    enum_variable,
    python_imports,
    render_type,
)

_INT_TYPES = {"int2": 32767, "int4": 2147483647, "int8": 9223372036854775807}
_INT_MIN = {"int2": -32768, "int4": -2147483648, "int8": -9223372036854775808}
_NEXTVAL = re.compile(r"^nextval\('(?P<name>(?:[^']|'')+)'::regclass\)$")


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

    def table_expr(self, metadata: str | None = None) -> str:
        """``db.Table(name, [metadata,] columns..., constraints..., kwargs...)``."""
        kwargs = [f"{k.strip(chr(34))}={v}" for k, v in self.table_kwargs]
        if metadata is None and not self.column_exprs:
            metadata = (
                "db.metadata"  # Flask-SQLAlchemy's db.Table needs a column or this
            )
        head = [self.name_literal] + ([metadata] if metadata else [])
        parts = [*head, *self.column_exprs, *self.table_args, *kwargs]
        return "db.Table(" + ", ".join(parts) + ")"


class ColumnRenderer:
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
            pk.name != _default_name(table.name, "pkey")
            or list(pk_cols) != [c.name for c in table.columns if c.name in pk_cols]
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
        args += [self._constraint("db.UniqueConstraint", u) for u in table.uniques]
        args += [
            call(
                "db.CheckConstraint",
                [lit(source_form(c.expression or ""))],
                [("name", lit(c.name))]
                + (
                    [("postgresql_not_valid", "True")]
                    if c.not_valid and self.keep_not_valid
                    else []
                ),
            )
            for c in table.checks
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
        out.table_kwargs = tuple(kwargs)
        return out

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
            out.definitions[enum_variable(enum)] = self._enum_expr(enum, shadowed)
        for domain in rendered.domains:
            out.definitions[domain_variable(domain)] = self._domain_expr(domain, out)
            out.ranks[domain_variable(domain)] = 1 + self._domain_depth(domain)
        for spec in rendered.custom:
            out.custom_types[custom_type_class(spec)] = lit(spec)
            out.imports.add("from typing import Any")
        args: list[str] = []
        if attr != column.name:
            args.append(lit(column.name))
        type_expr = rendered.expr
        if column.collation and not column.type.array_dims:
            type_expr = _with_collation(type_expr, column.collation)
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

    def is_pg_serial(self, table: Table, column: Column) -> bool:
        """A serial column SQLAlchemy can recreate as SERIAL: the table's only
        autoincrement key, with the sequence name PostgreSQL would choose."""
        if column.serial_sequence is None or column.type.array_dims:
            return False
        if column.type.schema != "pg_catalog" or column.type.name not in _INT_TYPES:
            return False
        pk = table.primary_key
        if pk is None or column.name not in pk.columns:
            return False
        serials = [
            c for c in table.columns if c.serial_sequence and c.name in pk.columns
        ]
        if len(serials) != 1:
            return False
        expected = _default_name(f"{table.name}_{column.name}", "seq")
        schema, _, name = column.serial_sequence.rpartition(".")
        return _unquote(name) == expected and _unquote(schema) == table.schema

    def _sequence(self, schema: str | None, name: str) -> str:
        """``db.Sequence(name, ...)`` with the options that differ from CREATE SEQUENCE's."""
        kwargs = [("schema", lit(schema))] if schema else []
        fact = self.schema.sequence(schema, name)
        if fact is not None:
            kind = {"smallint": "int2", "integer": "int4"}.get(fact.data_type, "int8")
            ascending = fact.increment > 0
            low = 1 if ascending else _INT_MIN[kind]
            high = _INT_TYPES[kind] if ascending else -1
            if kind != "int8":
                kwargs.append(
                    ("data_type", "db.SmallInteger" if kind == "int2" else "db.Integer")
                )
            for key, value, default in (
                ("start", fact.start, low if ascending else high),
                ("increment", fact.increment, 1),
                ("minvalue", fact.minvalue, low),
                ("maxvalue", fact.maxvalue, high),
                ("cache", fact.cache, 1),
            ):
                if value != default:
                    kwargs.append((key, str(value)))
            if fact.cycle:
                kwargs.append(("cycle", "True"))
        return call("db.Sequence", [lit(name)], kwargs)

    def _autoincrement(
        self, table: Table, column: Column, in_pk: bool, serial: bool, has_fk: bool
    ) -> str | None:
        pk = table.primary_key
        if serial:
            single = pk is not None and len(pk.columns) == 1
            return None if (single and not has_fk and in_pk) else "True"
        if (
            pk is not None
            and len(pk.columns) == 1
            and column.name in pk.columns
            and column.type.schema == "pg_catalog"
            and column.type.name in _INT_TYPES
            and not column.type.array_dims
            and column.default is None
            and column.identity is None
            and not has_fk
        ):
            return "False"  # a plain integer key: no SERIAL, no sequence
        return None

    def _identity(self, column: Column) -> str:
        ident = column.identity
        assert ident is not None
        type_name = column.type.name if column.type.name in _INT_TYPES else "int8"
        kwargs: list[tuple[str, str]] = [
            ("always", "True" if ident.always else "False")
        ]
        ascending = ident.increment > 0
        default_min = 1 if ascending else _INT_MIN[type_name]
        default_max = _INT_TYPES[type_name] if ascending else -1
        default_start = default_min if ascending else default_max
        if ident.start != default_start:
            kwargs.append(("start", str(ident.start)))
        if ident.increment != 1:
            kwargs.append(("increment", str(ident.increment)))
        if ident.minvalue != default_min:
            kwargs.append(("minvalue", str(ident.minvalue)))
        if ident.maxvalue != default_max:
            kwargs.append(("maxvalue", str(ident.maxvalue)))
        if ident.cycle:
            kwargs.append(("cycle", "True"))
        if ident.cache != 1:
            kwargs.append(("cache", str(ident.cache)))
        return call("db.Identity", [], kwargs)

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
        if domain.checks:
            name, check = domain.checks[0]
            kwargs.append(("constraint_name", lit(name)))
            kwargs.append(("check", call("db.text", [lit(source_form(check))])))
        if domain.collation:
            kwargs.append(("collation", lit(domain.collation)))
        if domain.schema != self.schema.default_schema:
            kwargs.append(("schema", lit(domain.schema)))
        return call("postgresql.DOMAIN", [lit(domain.name), base.expr], kwargs)

    # -- constraints and indexes ---------------------------------------------

    def _target(self, schema: str, table: str, column: str) -> str:
        """A foreign key's target: ``"schema.table.column"``, or where a name holds a
        dot (which the string form cannot say) SQLAlchemy 2.1's token tuple."""
        own = schema == self.schema.default_schema
        if "." in schema + table + column:
            return f"({'None' if own else lit(schema)}, {lit(table)}, {lit(column)})"
        return lit(f"{'' if own else schema + '.'}{table}.{column}")

    def fk_kwargs(self, fk: ForeignKey) -> list[tuple[str, str]]:
        kwargs = [("name", lit(fk.name))]
        if fk.on_update:
            kwargs.append(("onupdate", lit(fk.on_update)))
        if fk.on_delete:
            kwargs.append(("ondelete", lit(fk.on_delete)))
        if fk.deferrable:
            kwargs.append(("deferrable", "True"))
        if fk.initially_deferred:
            kwargs.append(("initially", lit("DEFERRED")))
        if fk.match:
            kwargs.append(("match", lit(fk.match)))
        if fk.not_valid and self.keep_not_valid:
            # only ALTER TABLE ... ADD CONSTRAINT can leave a foreign key NOT VALID
            kwargs += [("use_alter", "True"), ("postgresql_not_valid", "True")]
        return kwargs

    def _inline_fk(self, fk: ForeignKey) -> str:
        target = self._target(fk.ref_schema, fk.ref_table, fk.ref_columns[0])
        return call("db.ForeignKey", [target], self.fk_kwargs(fk))

    def _fk_constraint(self, table: Table, fk: ForeignKey) -> str:
        cols = "[" + ", ".join(lit(c) for c in fk.columns) + "]"
        refs = (
            "["
            + ", ".join(
                self._target(fk.ref_schema, fk.ref_table, c) for c in fk.ref_columns
            )
            + "]"
        )
        return call("db.ForeignKeyConstraint", [cols, refs], self.fk_kwargs(fk))

    def _constraint(self, func: str, constraint: Constraint) -> str:
        kwargs = [("name", lit(constraint.name))]
        if constraint.deferrable:
            kwargs.append(("deferrable", "True"))
        if constraint.initially_deferred:
            kwargs.append(("initially", lit("DEFERRED")))
        if constraint.nulls_not_distinct:
            kwargs.append(("postgresql_nulls_not_distinct", "True"))
        index = constraint.index
        if index is not None and index.include:
            kwargs.append(
                (
                    "postgresql_include",
                    "[" + ", ".join(lit(c) for c in index.include) + "]",
                )
            )
        return call(func, [lit(c) for c in constraint.columns], kwargs)

    def _exclude(self, constraint: Constraint) -> str:
        index = constraint.index
        assert index is not None
        elements = []
        for element, operator in zip(
            index.elements, index.exclude_operators, strict=False
        ):
            text = (
                element.column
                if element.column is not None
                else element.expression or ""
            )
            elements.append(
                f"({call('db.text', [lit(quote_ident(text) if element.column else text)])}, {lit(operator)})"
            )
        kwargs = [("name", lit(constraint.name))]
        if index.method != "btree":
            kwargs.append(("using", lit(index.method)))
        if index.predicate:
            kwargs.append(
                ("where", call("db.text", [lit(source_form(index.predicate))]))
            )
        if constraint.deferrable:
            kwargs.append(("deferrable", "True"))
        if constraint.initially_deferred:
            kwargs.append(("initially", lit("DEFERRED")))
        return call("postgresql.ExcludeConstraint", elements, kwargs)

    def _index(self, index: Index) -> str:
        args = [lit(index.name)]
        for element in index.elements:
            if element.column is not None:
                args.append(lit(element.column))
            else:
                args.append(
                    call("db.text", [lit(source_form(element.expression or ""))])
                )
        kwargs: list[tuple[str, str]] = []
        if index.unique:
            kwargs.append(("unique", "True"))
        if index.method != "btree":
            kwargs.append(("postgresql_using", lit(index.method)))
        if index.include:
            kwargs.append(
                (
                    "postgresql_include",
                    "[" + ", ".join(lit(c) for c in index.include) + "]",
                )
            )
        if index.nulls_not_distinct:
            kwargs.append(("postgresql_nulls_not_distinct", "True"))
        if index.options:
            items = []
            for option in index.options:
                key, _, value = option.partition("=")
                items.append(f"{lit(key)}: {lit(value)}")
            kwargs.append(("postgresql_with", "{" + ", ".join(items) + "}"))
        if index.predicate:
            kwargs.append(
                (
                    "postgresql_where",
                    call("db.text", [lit(source_form(index.predicate))]),
                )
            )
        return call("db.Index", args, kwargs)


_COLLATABLE = (
    "db.String",
    "db.Text",
    "db.CHAR",
    "postgresql.CITEXT",
    "postgresql.BPCHAR",
)


def _with_collation(type_expr: str, collation: str) -> str:
    """``db.String(12)`` -> ``db.String(12, collation="C")``; other types are left alone
    (verify reports the collation it could not carry)."""
    if not type_expr.startswith(_COLLATABLE):
        return type_expr
    kwarg = f"collation={lit(collation)}"
    if type_expr.endswith("()"):
        return f"{type_expr[:-1]}{kwarg})"
    if type_expr.endswith(")"):
        return f"{type_expr[:-1]}, {kwarg})"
    return f"{type_expr}({kwarg})"


def _default_name(base: str, suffix: str) -> str:
    """The name PostgreSQL gives an unnamed object, when no truncation is involved."""
    name = f"{base}_{suffix}"
    return (
        name if len(name.encode()) <= 63 else "\0"
    )  # never equal: render names explicitly


def _unquote(name: str) -> str:
    if name.startswith('"') and name.endswith('"'):
        return name[1:-1].replace('""', '"')
    return name


def sequence_name(default: str) -> tuple[str | None, str] | None:
    """(schema, name) of the sequence in a ``nextval('...'::regclass)`` default."""
    match = _NEXTVAL.match(default)
    if not match:
        return None
    text = match.group("name").replace("''", "'")
    parts = _split_qualified(text)
    if len(parts) == 2:
        return parts[0], parts[1]
    return None, parts[-1]


def _split_qualified(text: str) -> list[str]:
    parts: list[str] = []
    current = ""
    quoted = False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == '"':
            if quoted and i + 1 < len(text) and text[i + 1] == '"':
                current += '"'
                i += 1
            else:
                quoted = not quoted
        elif ch == "." and not quoted:
            parts.append(current)
            current = ""
        else:
            current += ch if quoted else ch.lower()
        i += 1
    parts.append(current)
    return parts
