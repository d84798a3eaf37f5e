"""PostgreSQL type -> rendered SQLAlchemy type expression, Python type, and the imports they need.

Every rendered type is chosen so that SQLAlchemy's DDL for it prints back, in
PostgreSQL's catalog, exactly the ``format_type()`` production has.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache

from modelgen.catalog.schema import Domain, Enum, Schema, TypeRef
from modelgen.generate.literals import lit


@dataclass(frozen=True)
class TypeRender:
    expr: str  # e.g. db.String(40), postgresql.ARRAY(db.Text)
    python: str  # e.g. str, datetime.datetime, list[str]
    imports: frozenset[str] = field(default_factory=frozenset)  # what ``expr`` needs
    enums: tuple[Enum, ...] = ()
    domains: tuple[Domain, ...] = ()
    custom: tuple[str, ...] = ()  # type names rendered as UserDefinedType fallbacks


_IMPORT_PG = "from sqlalchemy.dialects import postgresql"

# What a Python annotation built from these types needs imported.
PYTHON_IMPORTS = {
    "datetime.": "import datetime",
    "decimal.": "import decimal",
    "uuid.": "import uuid",
    "Any": "from typing import Any",
    "Literal[": "from typing import Literal",
}
_MARKER = re.compile("|".join(re.escape(m) for m in PYTHON_IMPORTS))
_STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'")


def python_imports(annotation: str) -> set[str]:
    """The imports an annotation needs; an enum label inside ``Literal[...]`` is data,
    never a reason to import (``Literal["Any"]``)."""
    code = _STRING.sub('""', annotation)
    return {PYTHON_IMPORTS[m] for m in _MARKER.findall(code)}


# pg_catalog type name -> (expression without modifiers, python type, imports)
_SIMPLE: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "int2": ("db.SmallInteger", "int", ()),
    "int4": ("db.Integer", "int", ()),
    "int8": ("db.BigInteger", "int", ()),
    "text": ("db.Text", "str", ()),
    "bool": ("db.Boolean", "bool", ()),
    "float4": ("db.REAL", "float", ()),
    "float8": ("db.Double", "float", ()),
    "date": ("db.Date", "datetime.date", ()),
    "json": ("db.JSON", "dict[str, Any]", ()),
    "jsonb": ("postgresql.JSONB", "dict[str, Any]", (_IMPORT_PG,)),
    "uuid": ("db.Uuid", "uuid.UUID", ()),
    "bytea": ("db.LargeBinary", "bytes", ()),
    "inet": ("postgresql.INET", "str", (_IMPORT_PG,)),
    "cidr": ("postgresql.CIDR", "str", (_IMPORT_PG,)),
    "macaddr": ("postgresql.MACADDR", "str", (_IMPORT_PG,)),
    "macaddr8": ("postgresql.MACADDR8", "str", (_IMPORT_PG,)),
    "money": ("postgresql.MONEY", "str", (_IMPORT_PG,)),
    "tsvector": ("postgresql.TSVECTOR", "str", (_IMPORT_PG,)),
    "tsquery": ("postgresql.TSQUERY", "str", (_IMPORT_PG,)),
    "oid": ("postgresql.OID", "int", (_IMPORT_PG,)),
    "regclass": ("postgresql.REGCLASS", "str", (_IMPORT_PG,)),
    "regconfig": ("postgresql.REGCONFIG", "str", (_IMPORT_PG,)),
    "jsonpath": ("postgresql.JSONPATH", "str", (_IMPORT_PG,)),
    "int4range": ("postgresql.INT4RANGE", "Any", (_IMPORT_PG,)),
    "int8range": ("postgresql.INT8RANGE", "Any", (_IMPORT_PG,)),
    "numrange": ("postgresql.NUMRANGE", "Any", (_IMPORT_PG,)),
    "daterange": ("postgresql.DATERANGE", "Any", (_IMPORT_PG,)),
    "tsrange": ("postgresql.TSRANGE", "Any", (_IMPORT_PG,)),
    "tstzrange": ("postgresql.TSTZRANGE", "Any", (_IMPORT_PG,)),
    "int4multirange": ("postgresql.INT4MULTIRANGE", "Any", (_IMPORT_PG,)),
    "int8multirange": ("postgresql.INT8MULTIRANGE", "Any", (_IMPORT_PG,)),
    "nummultirange": ("postgresql.NUMMULTIRANGE", "Any", (_IMPORT_PG,)),
    "datemultirange": ("postgresql.DATEMULTIRANGE", "Any", (_IMPORT_PG,)),
    "tsmultirange": ("postgresql.TSMULTIRANGE", "Any", (_IMPORT_PG,)),
    "tstzmultirange": ("postgresql.TSTZMULTIRANGE", "Any", (_IMPORT_PG,)),
}
# Extension types SQLAlchemy knows, wherever the extension was installed.
_EXTENSION = {
    "citext": ("postgresql.CITEXT", "str", (_IMPORT_PG,)),
    "hstore": ("postgresql.HSTORE", "dict[str, str | None]", (_IMPORT_PG,)),
}


def render_type(
    ref: TypeRef, schema: Schema, default_schema: str = "public"
) -> TypeRender:
    """The SQLAlchemy expression for a column of type ``ref``."""
    element = _render_element(ref, schema, default_schema)
    if not ref.array_dims:
        return element
    dims = f", dimensions={ref.array_dims}" if ref.array_dims > 1 else ""
    return TypeRender(
        expr=f"postgresql.ARRAY({element.expr}{dims})",
        python=f"list[{element.python}]",
        imports=element.imports | {_IMPORT_PG},
        enums=element.enums,
        domains=element.domains,
        custom=element.custom,
    )


def enum_python(enum: Enum) -> str:
    """``Literal["new", "paid"]``: the labels a column of the enum can hold (``str``
    for an enum without labels, which ``Literal[]`` cannot spell)."""
    if not enum.labels:
        return "str"
    return "Literal[" + ", ".join(lit(label) for label in enum.labels) + "]"


def _render_element(ref: TypeRef, schema: Schema, default_schema: str) -> TypeRender:
    mods = ref.modifiers
    if ref.kind == "e":
        enum = schema.enum(ref.schema, ref.name)
        if enum is not None:
            return TypeRender(
                expr=enum_variable(enum, schema),
                python=enum_python(enum),
                enums=(enum,),
            )
    if ref.kind == "d":
        domain = schema.domain(ref.schema, ref.name)
        if domain is not None:
            base = _render_element(domain.base, schema, default_schema)
            return TypeRender(
                expr=domain_variable(domain, schema),
                python=base.python,
                imports=base.imports | {_IMPORT_PG},
                enums=base.enums,
                domains=base.domains + (domain,),
                custom=base.custom,
            )
    if ref.schema == "pg_catalog":
        rendered = _render_catalog(ref.name, mods, ref.element_display)
        if rendered is not None:
            return rendered
    if ref.name in _EXTENSION:
        expr, python, imports = _EXTENSION[ref.name]
        return TypeRender(expr, python, frozenset(imports))
    # A type SQLAlchemy has no class for (xml, ltree, a composite type...): a small
    # UserDefinedType in the generated file prints the exact type name in DDL.
    spec = ref.element_display
    return TypeRender(
        expr=f"{custom_type_class(spec)}()",
        python="Any",
        imports=frozenset({"from sqlalchemy.types import UserDefinedType"}),
        custom=(spec,),
    )


@lru_cache(maxsize=4096)  # pure, and called per column with a few distinct types
def _render_catalog(
    name: str, mods: tuple[str, ...], display: str
) -> TypeRender | None:
    args = ", ".join(mods)
    if name in _SIMPLE:
        expr, python, imports = _SIMPLE[name]
        return TypeRender(expr, python, frozenset(imports))
    if name == "varchar":
        return TypeRender(f"db.String({args})" if mods else "db.String", "str")
    if name == "bpchar":
        if not mods:
            return TypeRender("postgresql.BPCHAR", "str", frozenset({_IMPORT_PG}))
        return TypeRender(f"db.CHAR({args})", "str")
    if name == "numeric":
        return TypeRender(
            f"db.Numeric({args})" if mods else "db.Numeric", "decimal.Decimal"
        )
    if name in ("timestamp", "timestamptz", "time", "timetz"):
        tz = name.endswith("tz")
        python = (
            "datetime.datetime" if name.startswith("timestamp") else "datetime.time"
        )
        generic = "db.DateTime" if name.startswith("timestamp") else "db.Time"
        dialect = (
            "postgresql.TIMESTAMP"
            if name.startswith("timestamp")
            else "postgresql.TIME"
        )
        if mods:
            tz_arg = "timezone=True, " if tz else ""
            return TypeRender(
                f"{dialect}({tz_arg}precision={mods[0]})",
                python,
                frozenset({_IMPORT_PG}),
            )
        return TypeRender(f"{generic}(timezone=True)" if tz else generic, python)
    if name == "interval":
        fields = re.sub(r"\(\d+\)", "", display[len("interval") :]).strip()
        kwargs = []
        if fields:
            kwargs.append(f"fields={lit(fields)}")
        if mods:
            kwargs.append(f"precision={mods[-1]}")
        return TypeRender(
            (
                f"postgresql.INTERVAL({', '.join(kwargs)})"
                if kwargs
                else "postgresql.INTERVAL"
            ),
            "datetime.timedelta",
            frozenset({_IMPORT_PG}),
        )
    if name in ("bit", "varbit"):
        kwargs = [mods[0]] if mods else []
        if name == "varbit":
            kwargs.append("varying=True")
        return TypeRender(
            f"postgresql.BIT({', '.join(kwargs)})", "str", frozenset({_IMPORT_PG})
        )
    return None


def _ident(text: str) -> str:
    cleaned = re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower() or "type"
    return cleaned if not cleaned[0].isdigit() else "t_" + cleaned


def _readable(schema: str, name: str) -> str:
    prefix = "" if schema == "public" else _ident(schema) + "_"
    return prefix + _ident(name)


def _exact(schema: str, name: str) -> str:
    return name if schema == "public" else f"{schema}_{name}"


def _type_variables(schema: Schema) -> dict[tuple[str, str, str], str]:
    """(kind, schema, name) -> the variable of every enum and domain of ``schema``.

    The readable form (``mood``, ``billing_mood``) loses case, punctuation and every
    non-ASCII letter, and joins schema and name with ``_``: ``"статус"`` and
    ``"приоритет"`` are both ``type``, ``a.b`` and ``public.a_b`` both ``a_b``. Such
    types share the readable form only with a hash of their full name added, except
    the first of them (one the readable form spells exactly first, public first,
    then by schema and name), so a schema without a clash keeps every name it had.
    Computed once per Schema (stored as cached_property stores its value)."""
    cache = "_modelgen_type_variables"
    found: dict[tuple[str, str, str], str] | None = schema.__dict__.get(cache)
    if found is not None:
        return found
    groups: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    types = [("enum", e.schema, e.name) for e in schema.enums]
    types += [("domain", d.schema, d.name) for d in schema.domains]
    for kind, where, name in types:
        groups.setdefault((kind, _readable(where, name)), []).append(
            (kind, where, name)
        )
    found = {}
    for (kind, readable), members in groups.items():
        members.sort(
            key=lambda m: (
                _readable(m[1], m[2]) != _exact(m[1], m[2]),
                m[1] != "public",
                m,
            )
        )
        for position, (_, where, name) in enumerate(members):
            base = readable
            if position:
                digest = hashlib.sha256(f"{where}.{name}".encode()).hexdigest()
                base = f"{readable}_{digest[:8]}"
            found[(kind, where, name)] = f"{base}_{kind}"
    schema.__dict__[cache] = found
    return found


def enum_variable(enum: Enum, schema: Schema) -> str:
    key = ("enum", enum.schema, enum.name)
    return _type_variables(schema).get(key) or f"{_readable(*key[1:])}_enum"


def domain_variable(domain: Domain, schema: Schema) -> str:
    key = ("domain", domain.schema, domain.name)
    return _type_variables(schema).get(key) or f"{_readable(*key[1:])}_domain"


# a type name the CamelCase class spells back unambiguously: lowercase words, each
# starting with a letter (its capital marks where it starts), single underscores,
# maybe quoted (a keyword: "char"); then its modifiers (vector(1536) -> Vector1536Type,
# geometry(Point,4326) -> GeometryPoint4326Type)
_WORDS = r"[a-z][a-z0-9]*(?:_[a-z][a-z0-9]*)*"
_PLAIN_TYPE = re.compile(rf'(?:{_WORDS}|"{_WORDS}")(?:\([A-Za-z0-9_, ]+\))?')


@lru_cache(maxsize=4096)
def custom_type_class(spec: str) -> str:
    """``xml`` -> ``XmlType``; a name the class cannot spell back (schema-qualified,
    capitals, punctuation, non-ASCII: ``"адрес"`` and ``"точка"`` are both
    ``Custom``, ``"Pair"`` and ``pair`` both ``Pair``) adds a hash of the name."""
    words = re.findall(r"[A-Za-z0-9]+", spec) or ["Custom"]
    name = "".join(w.capitalize() for w in words)
    if name[0].isdigit():
        name = "T" + name
    if not _PLAIN_TYPE.fullmatch(spec):
        name += "_" + hashlib.sha256(spec.encode()).hexdigest()[:8]
    return name + "Type"
