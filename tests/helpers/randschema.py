"""Random Schema objects (no database) for property tests of naming, literals and layout."""

from __future__ import annotations

import random
import string

from modelgen.catalog.schema import (
    Column,
    Constraint,
    Enum,
    ForeignKey,
    Identity,
    Index,
    IndexElement,
    Schema,
    Table,
    TypeRef,
)

NASTY = [
    "'",
    '"',
    '"""',
    "\\",
    "\n",
    "#",
    " ",
    ".",
    "-",
    "ü",
    "漢",
    "\t",
    "{",
    "}",
    "%",
]
KEYWORDS = [
    "class",
    "def",
    "import",
    "query",
    "metadata",
    "db",
    "uuid",
    "self",
    "match",
    "id",
]
TYPES = [
    ("integer", "int4", ()),
    ("bigint", "int8", ()),
    ("text", "text", ()),
    ("character varying(40)", "varchar", ("40",)),
    ("numeric(12,2)", "numeric", ("12", "2")),
    ("timestamp with time zone", "timestamptz", ()),
    ("jsonb", "jsonb", ()),
    ("uuid", "uuid", ()),
    ("boolean", "bool", ()),
    ("inet", "inet", ()),
]


def _word(rng: random.Random, lo: int = 1, hi: int = 30, nasty: bool = True) -> str:
    if rng.random() < 0.15:
        return rng.choice(KEYWORDS)
    length = rng.randint(lo, hi)
    alphabet = string.ascii_lowercase + "_" + string.digits
    chars = [rng.choice(alphabet) for _ in range(length)]
    if nasty and rng.random() < 0.3:
        chars.insert(rng.randrange(len(chars) + 1), rng.choice(NASTY))
    return "".join(chars)


def _text(rng: random.Random) -> str:
    return " ".join(_word(rng, 1, 12) for _ in range(rng.randint(1, 25)))


def random_schema(seed: int, tables: int = 6) -> Schema:
    rng = random.Random(seed)
    enum = Enum(
        "public", _word(rng), tuple(dict.fromkeys(_text(rng)[:30] for _ in range(4)))
    )
    out: list[Table] = []
    names: list[str] = []
    for _ in range(tables):
        name = _word(rng, 1, 60)
        while name in names:
            name += "x"
        names.append(name)
        columns: list[Column] = [
            Column(
                "id",
                TypeRef("integer", "int4", "pg_catalog", "b"),
                False,
                identity=(
                    Identity(True, rng.choice([1, 7]), 1, 1, 2147483647, False, 1)
                    if rng.random() < 0.3
                    else None
                ),
            )
        ]
        col_names = {"id"}
        for _ in range(rng.randint(1, 12)):
            col = _word(rng, 1, 63)
            if col in col_names:
                continue
            col_names.add(col)
            display, typname, mods = rng.choice(TYPES)
            kind = "b"
            schema_name = "pg_catalog"
            if rng.random() < 0.1:
                display, typname, schema_name, kind, mods = (
                    enum.name,
                    enum.name,
                    "public",
                    "e",
                    (),
                )
            columns.append(
                Column(
                    col,
                    TypeRef(display, typname, schema_name, kind, 0, mods, display),
                    rng.random() < 0.5,
                    default=rng.choice([None, "now()", f"'{_word(rng)}'::text", "0"]),
                    comment=_text(rng) if rng.random() < 0.3 else None,
                )
            )
        fks = []
        if out and rng.random() < 0.7:
            target = rng.choice(out)
            col = _word(rng, 1, 40) + "_id"
            if col not in col_names:
                columns.append(
                    Column(col, TypeRef("integer", "int4", "pg_catalog", "b"), True)
                )
                fks.append(
                    ForeignKey(
                        f"{name}_{col}_fkey"[:63],
                        (col,),
                        "public",
                        target.name,
                        ("id",),
                        on_delete=rng.choice([None, "CASCADE", "SET NULL"]),
                    )
                )
        checks = ()
        if rng.random() < 0.5:
            checks = (
                Constraint(
                    _word(rng, 1, 63),
                    "c",
                    (),
                    "",
                    expression=f"{_word(rng)} <> '{_text(rng)}'",
                ),
            )
        indexes = ()
        if rng.random() < 0.5:
            indexes = (
                Index(
                    _word(rng, 1, 63),
                    rng.random() < 0.3,
                    rng.choice(["btree", "gin"]),
                    (
                        IndexElement(None, f"lower({_word(rng)})"),
                        IndexElement(columns[-1].name, None),
                    ),
                    predicate=rng.choice([None, f"{_word(rng)} IS NOT NULL"]),
                    # list literals: exploded one per line when they must split
                    include=tuple(c.name for c in columns[: rng.randint(0, 4)]),
                ),
            )
        out.append(
            Table(
                "public",
                name,
                tuple(columns),
                comment=_text(rng) if rng.random() < 0.4 else None,
                primary_key=(
                    Constraint(f"{name}_pkey"[:63], "p", ("id",), "PRIMARY KEY (id)")
                    if rng.random() < 0.9
                    else None
                ),
                foreign_keys=tuple(fks),
                checks=checks,
                indexes=indexes,
            )
        )
    return Schema(tables=tuple(out), enums=(enum,))
