"""A column's sequence, identity and autoincrement: SERIAL only where PostgreSQL would
name the owned sequence itself, every other option rendered where it differs."""

from __future__ import annotations

from functools import cached_property

from modelgen.catalog.pgtext import sequence_name
from modelgen.catalog.reflect import quote_ident
from modelgen.catalog.schema import Column, Schema, Table
from modelgen.generate.literals import call, lit

_INT_TYPES = {"int2": 32767, "int4": 2147483647, "int8": 9223372036854775807}
_INT_MIN = {"int2": -32768, "int4": -2147483648, "int8": -9223372036854775808}


class SequenceRenderer:
    schema: Schema

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
        if self._sequence_users.get(_key(column.serial_sequence), 0) > 1:
            return False  # SERIAL would make its own, and the others' collide with it
        expected = default_name(f"{table.name}_{column.name}", "seq")
        schema, _, name = column.serial_sequence.rpartition(".")
        return _unquote(name) == expected and _unquote(schema) == table.schema

    @cached_property
    def _sequence_users(self) -> dict[tuple[str, str], int]:
        """How many columns of the schema take their default from each sequence."""
        users: dict[tuple[str, str], int] = {}
        for table in self.schema.tables:
            for column in table.columns:
                found = sequence_name(column.default) if column.default else None
                if found is not None:
                    key = (found[0] or self.schema.default_schema, found[1])
                    users[key] = users.get(key, 0) + 1
        return users

    def owned_by(self, table: Table, column: Column) -> str | None:
        """``ALTER SEQUENCE ... OWNED BY`` for a column that owns the sequence its
        default calls when that is not a SERIAL (run after the table is created)."""
        if column.serial_sequence is None or self.is_pg_serial(table, column):
            return None
        sequence = column.serial_sequence.replace("%", "%%")
        name = quote_ident(column.name).replace("%", "%%")
        return f"ALTER SEQUENCE {sequence} OWNED BY {self.ddl_table_name(table)}.{name}"

    def ddl_table_name(self, table: Table) -> str:
        """The table's name for db.DDL text, qualified as the model is (a table of the
        default schema goes where the connection's search_path puts it). Not
        DDL's %(fullname)s: SQLAlchemy doubles a % inside it, which then stays."""
        name = quote_ident(table.name)
        if table.schema != self.schema.default_schema:
            name = f"{quote_ident(table.schema)}.{name}"
        return name.replace("%", "%%")

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


def default_name(base: str, suffix: str) -> str:
    """The name PostgreSQL gives an unnamed object, when no truncation is involved."""
    name = f"{base}_{suffix}"
    return (
        name if len(name.encode()) <= 63 else "\0"
    )  # never equal: render names explicitly


def _key(qualified: str) -> tuple[str, str]:
    schema, _, name = qualified.rpartition(".")
    return _unquote(schema), _unquote(name)


def _unquote(name: str) -> str:
    if name.startswith('"') and name.endswith('"'):
        return name[1:-1].replace('""', '"')
    return name
