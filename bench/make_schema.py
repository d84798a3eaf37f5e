"""Write a synthetic PostgreSQL schema of N tables mixing real types, foreign keys,
enums, checks and indexes (deterministic for a given N).

usage: python bench/make_schema.py N > schema.sql
"""

from __future__ import annotations

import random
import sys

ENUMS = {
    "order_status": ["new", "paid", "shipped", "cancelled"],
    "priority": ["low", "normal", "high"],
    "channel": ["web", "mobile", "api", "partner"],
}
TYPES = [
    "integer",
    "bigint",
    "smallint",
    "text",
    "varchar(120)",
    "numeric(12,2)",
    "boolean",
    "date",
    "timestamp with time zone",
    "jsonb",
    "uuid",
    "text[]",
    "inet",
    "interval",
    "double precision",
]


def table_sql(i: int, rng: random.Random) -> list[str]:
    name = f"entity_{i:05d}"
    cols = [
        f"    id {'serial' if i % 3 else 'bigint GENERATED ALWAYS AS IDENTITY'} PRIMARY KEY"
    ]
    parents = [j for j in range(max(0, i - 50), i)]
    fks = rng.sample(parents, k=min(len(parents), rng.randint(0, 3)))
    for j in fks:
        action = rng.choice(["CASCADE", "SET NULL", "RESTRICT"])
        cols.append(
            f"    ref_{j:05d}_id integer REFERENCES entity_{j:05d} (id) ON DELETE {action}"
        )
    for c in range(rng.randint(4, 14)):
        col_type = rng.choice(TYPES + list(ENUMS))
        not_null = " NOT NULL" if rng.random() < 0.4 else ""
        default = ""
        if col_type == "timestamp with time zone" and rng.random() < 0.5:
            default = " DEFAULT now()"
        elif col_type == "boolean":
            default = " DEFAULT false"
        elif col_type in ENUMS:
            default = f" DEFAULT '{ENUMS[col_type][0]}'"
        elif col_type == "uuid" and rng.random() < 0.5:
            default = " DEFAULT gen_random_uuid()"
        cols.append(f"    col_{c:02d} {col_type}{default}{not_null}")
    if rng.random() < 0.3:
        cols.append("    amount numeric(12,2) CHECK (amount >= 0)")
    if rng.random() < 0.2:
        cols.append("    code varchar(40) UNIQUE")
    lines = [f"CREATE TABLE {name} (", ",\n".join(cols), ");"]
    if rng.random() < 0.5:
        lines.append(f"CREATE INDEX {name}_col_00_idx ON {name} (col_00);")
    if rng.random() < 0.2:
        lines.append(
            f"CREATE INDEX {name}_recent_idx ON {name} (id DESC) WHERE col_01 IS NOT NULL;"
        )
    if rng.random() < 0.3:
        lines.append(f"COMMENT ON TABLE {name} IS 'Synthetic table number {i}';")
    return lines


def main() -> None:
    count = int(sys.argv[1])
    rng = random.Random(count)
    out = [
        f"CREATE TYPE {n} AS ENUM ({', '.join(repr(v) for v in vals)});"
        for n, vals in ENUMS.items()
    ]
    for i in range(count):
        out.extend(table_sql(i, rng))
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
