"""Schema <-> deterministic JSON: the CI contract that lets every command run without a database."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

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
from modelgen.errors import SnapshotError
from modelgen.files import atomic_write

FORMAT = "modelgen-snapshot"
FORMAT_VERSION = 1


def dump_schema(schema: Schema) -> str:
    """Sorted, indented JSON with a trailing newline: same schema, same bytes."""
    data = dataclasses.asdict(schema)
    data.pop("source", None)
    data["tables"] = sorted(data["tables"], key=lambda t: (t["schema"], t["name"]))
    _omit_empty_new_fields(data)
    payload = {"format": FORMAT, "format_version": FORMAT_VERSION, "schema": data}
    return json.dumps(payload, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _omit_empty_new_fields(data: dict[str, Any]) -> None:
    """Fields added after format version 1 are written only when they say something,
    so older snapshots stay byte-identical (loading fills in the defaults)."""
    for key in ("collations", "ranges"):
        if not data.get(key):
            data.pop(key, None)
    columns = [c for t in data["tables"] for c in t["columns"]]
    columns += [c for r in data["others"] for c in r.get("columns", ())]
    for item in columns + list(data["domains"]):
        if item.get("collation_schema") is None:
            item.pop("collation_schema", None)
    for table in data["tables"]:
        for key in _OMITTED_WHEN_EMPTY:
            if not table[key]:
                del table[key]


# table facts added after format version 1: absent means empty
_OMITTED_WHEN_EMPTY = (
    "triggers",
    "row_security",
    "force_row_security",
    "policies",
    "partition_facts",
)


def write_snapshot(schema: Schema, path: Path) -> None:
    # meant to be committed: the user's umask decides its mode, as for model files
    atomic_write(path, dump_schema(schema))


def load_snapshot(path: Path) -> Schema:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SnapshotError(f"{path}: cannot read snapshot: {exc.strerror}") from None
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SnapshotError(
            f"{path}: not a valid snapshot (truncated or corrupt JSON at line {exc.lineno})"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise SnapshotError(
            f"{path}: not a modelgen snapshot (no 'format': '{FORMAT}')"
        )
    version = payload.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise SnapshotError(
            f"{path}: snapshot format version {version!r} is newer than this modelgen "
            f"reads ({FORMAT_VERSION}); upgrade modelgen"
        )
    try:
        return _schema(payload["schema"])
    except (KeyError, TypeError, ValueError) as exc:
        raise SnapshotError(
            f"{path}: snapshot is missing or has a bad field: {exc}"
        ) from None


def _typeref(d: dict[str, Any]) -> TypeRef:
    return TypeRef(**{**d, "modifiers": tuple(d["modifiers"])})


def _index(d: dict[str, Any] | None) -> Index | None:
    if d is None:
        return None
    return Index(
        **{
            **d,
            "elements": tuple(IndexElement(**e) for e in d["elements"]),
            "include": tuple(d["include"]),
            "options": tuple(d["options"]),
            "exclude_operators": tuple(d["exclude_operators"]),
        }
    )


def _constraint(d: dict[str, Any] | None) -> Constraint | None:
    if d is None:
        return None
    return Constraint(
        **{**d, "columns": tuple(d["columns"]), "index": _index(d["index"])}
    )


def _column(d: dict[str, Any]) -> Column:
    identity = Identity(**d["identity"]) if d["identity"] else None
    return Column(**{**d, "type": _typeref(d["type"]), "identity": identity})


def _constraints(items: list[dict[str, Any]]) -> tuple[Constraint, ...]:
    return tuple(c for c in (_constraint(d) for d in items) if c is not None)


def _table(d: dict[str, Any]) -> Table:
    return Table(
        schema=d["schema"],
        name=d["name"],
        columns=tuple(_column(c) for c in d["columns"]),
        comment=d["comment"],
        primary_key=_constraint(d["primary_key"]),
        foreign_keys=tuple(
            ForeignKey(
                **{
                    **f,
                    "columns": tuple(f["columns"]),
                    "ref_columns": tuple(f["ref_columns"]),
                }
            )
            for f in d["foreign_keys"]
        ),
        uniques=_constraints(d["uniques"]),
        checks=_constraints(d["checks"]),
        excludes=_constraints(d["excludes"]),
        indexes=tuple(i for i in (_index(x) for x in d["indexes"]) if i is not None),
        partition_key=d["partition_key"],
        partitions=tuple(d["partitions"]),
        triggers=tuple(Trigger(**t) for t in d.get("triggers", ())),
        row_security=bool(d.get("row_security", False)),
        force_row_security=bool(d.get("force_row_security", False)),
        partition_facts=tuple(
            Partition(
                **{
                    **p,
                    "constraints": tuple(tuple(c) for c in p["constraints"]),
                    "indexes": tuple(tuple(i) for i in p["indexes"]),
                }
            )
            for p in d.get("partition_facts", ())
        ),
        policies=tuple(
            Policy(
                **{
                    **p,
                    "roles": tuple(p["roles"]),
                    "references": tuple(p.get("references", ())),
                }
            )
            for p in d.get("policies", ())
        ),
    )


def _schema(d: dict[str, Any]) -> Schema:
    return Schema(
        tables=tuple(_table(t) for t in d["tables"]),
        enums=tuple(
            Enum(e["schema"], e["name"], tuple(e["labels"])) for e in d["enums"]
        ),
        domains=tuple(
            Domain(
                **{
                    **x,
                    "base": _typeref(x["base"]),
                    "checks": tuple(tuple(c) for c in x["checks"]),
                }
            )
            for x in d["domains"]
        ),
        others=tuple(
            Relation(
                **{**r, "columns": tuple(_column(c) for c in r.get("columns", []))}
            )
            for r in d["others"]
        ),
        extensions=tuple((e[0], e[1]) for e in d.get("extensions", [])),
        functions=tuple((f[0], f[1], f[2]) for f in d.get("functions", [])),
        sequences=tuple(SequenceFact(**q) for q in d.get("sequences", [])),
        composites=tuple((c[0], c[1], c[2]) for c in d.get("composites", [])),
        collations=tuple((c[0], c[1], c[2]) for c in d.get("collations", [])),
        ranges=tuple((c[0], c[1], c[2]) for c in d.get("ranges", [])),
        server_version=d.get("server_version", ""),
        default_schema=d.get("default_schema", "public"),
    )
