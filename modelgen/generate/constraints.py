"""A table's keys, constraints and indexes -> rendered SQLAlchemy expressions (plain strings)."""

from __future__ import annotations

from modelgen.catalog.pgtext import source_form, unwrap
from modelgen.catalog.reflect import quote_ident
from modelgen.catalog.schema import Constraint, ForeignKey, Index, Schema, Table
from modelgen.generate.literals import call, lit


def merged_in_create(table: Table) -> list[Constraint]:
    """The unique constraints PostgreSQL would merge into the primary key or an
    earlier unique constraint if ``CREATE TABLE`` declared them all: the same
    index (columns in order, INCLUDE, NULLS NOT DISTINCT, deferrability).  Added
    one by one by ``ALTER TABLE``, all of them stay, so the models add these after
    the table (``after_create``), as production's history did."""

    def index_of(key: Constraint) -> tuple[object, ...]:
        include = key.index.include if key.index is not None else ()
        flags = (key.nulls_not_distinct, key.deferrable, key.initially_deferred)
        return (key.columns, include, *flags)

    seen = {index_of(table.primary_key)} if table.primary_key is not None else set()
    merged = []
    for unique in table.uniques:
        if index_of(unique) in seen:
            merged.append(unique)
        seen.add(index_of(unique))
    return merged


def add_constraint(table_name: str, constraint: Constraint) -> str:
    """``ALTER TABLE <table_name> ADD CONSTRAINT <name> <production's definition>``
    for ``db.DDL``, whose text is %-formatted (``table_name`` is escaped already)."""
    name = quote_ident(constraint.name).replace("%", "%%")
    definition = constraint.definition.replace("%", "%%")
    return f"ALTER TABLE {table_name} ADD CONSTRAINT {name} {definition}"


class ConstraintRenderer:
    schema: Schema
    keep_not_valid: bool

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
                ("where", call("db.text", [lit(unwrap(source_form(index.predicate)))]))
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
                    call("db.text", [lit(unwrap(source_form(index.predicate)))]),
                )
            )
        return call("db.Index", args, kwargs)
