"""An ER diagram as plain data: the tables to draw, their columns with key marks, and
the foreign keys between them with the cardinality their keys imply.

Built from the Schema, the config's groups and a static scan of the model files
(``source.existing``: no import).  Both renderers (``mermaid``, ``dot``) read only
this, so they draw the same diagram.  Everything is sorted: the same schema gives
the same text.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from modelgen.catalog.schema import ForeignKey, Schema, Table
from modelgen.config import Config
from modelgen.errors import ModelgenError, did_you_mean
from modelgen.source.existing import ExistingModel, scan_models

MAX_TABLES = 40  # past this a diagram is a wall of boxes: say so, suggest a group

Key = tuple[str, str]

GENERATED = "generated"  # a model in a file modelgen writes
HAND_WRITTEN = "hand-written"
NO_MODEL = "no model"


class TooLarge(ModelgenError):
    """A diagram past ``max_tables``: the message says its size and what to draw."""


@dataclass(frozen=True)
class ColumnRow:
    name: str
    type: str  # format_type(), as \d prints it
    marks: tuple[str, ...]  # PK, FK, UK in that order
    nullable: bool


@dataclass(frozen=True)
class Node:
    key: Key
    label: str  # "payments", or "audit.events" outside the default schema
    group: str | None
    model: str  # GENERATED, HAND_WRITTEN or NO_MODEL
    columns: tuple[ColumnRow, ...]
    neighbour: bool = False  # drawn for its keys only: outside the chosen tables


@dataclass(frozen=True)
class Edge:
    """A foreign key from ``child`` to ``parent``."""

    child: Key
    parent: Key
    name: str
    columns: tuple[str, ...]
    ref_columns: tuple[str, ...]
    optional: bool  # a nullable key column: a child row may have no parent
    one_to_one: bool  # the key columns are unique in the child
    identifying: bool  # the key columns are part of the child's primary key
    crossing: str | None  # "group G" or "hand-written" when it leaves the child's side

    @property
    def label(self) -> str:
        text = ", ".join(self.columns)
        return f"{text} (to {self.crossing})" if self.crossing else text


@dataclass(frozen=True)
class Diagram:
    title: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]


@dataclass(frozen=True)
class Models:
    """Which table maps to which class in which file, and the config's groups."""

    by_table: dict[Key, ExistingModel]
    groups: dict[Key, str]
    files: dict[Key, Path]  # the file a group would write a table into
    # the tables each table's keys join it to, either way: built once per run, so
    # a page per group costs the schema once, not once per group
    adjacent: dict[Key, set[Key]] = field(default_factory=dict)

    def status(self, key: Key) -> str:
        found = self.by_table.get(key)
        if found is None:
            return NO_MODEL
        return GENERATED if found.generated else HAND_WRITTEN


def scan_app(schema: Schema, config: Config) -> Models:
    """The model files on disk (statically scanned) and the config's groups."""
    by_table: dict[Key, ExistingModel] = {}
    folders = dict.fromkeys(f for f in (config.models, config.output) if f)
    for folder in folders:
        for model in scan_models(folder):
            key = (model.schema or schema.default_schema, model.table)
            by_table.setdefault(key, model)
    groups: dict[Key, str] = {}
    files: dict[Key, Path] = {}
    for spec in config.files:
        for name in spec.tables:
            table = schema.find_table(name)
            if table is not None:
                groups[table.key] = spec.group
                if config.output is not None:
                    files[table.key] = config.output / spec.filename
    adjacent: dict[Key, set[Key]] = {}
    for table in schema.tables:
        for fk in table.foreign_keys:
            parent = (fk.ref_schema, fk.ref_table)
            adjacent.setdefault(table.key, set()).add(parent)
            adjacent.setdefault(parent, set()).add(table.key)
    return Models(by_table, groups, files, adjacent)


def display_name(schema: Schema, key: Key) -> str:
    return key[1] if key[0] == schema.default_schema else f"{key[0]}.{key[1]}"


def select(
    schema: Schema,
    config: Config,
    groups: Iterable[str] = (),
    tables: Iterable[str] = (),
    every: bool = False,
) -> list[Key]:
    """The chosen tables: every table, the groups' tables, and the named ones."""
    if every:
        return sorted(t.key for t in schema.tables)
    chosen: dict[Key, None] = {}
    for group in groups:
        if group not in config.groups:
            known = ", ".join(config.groups) or "none"
            raise ModelgenError(
                f"no group {group!r} in {config.label}"
                f"{did_you_mean(group, config.groups)} (groups: {known})"
            )
        for spec in config.files_for([group]):
            for name in spec.tables:
                table = schema.find_table(name)
                if table is not None:
                    chosen.setdefault(table.key)
    for name in tables:
        table = schema.find_table(name.strip())
        if table is None:
            names = [display_name(schema, t.key) for t in schema.tables]
            raise ModelgenError(
                f"--tables: no table {name.strip()!r} in production"
                f"{did_you_mean(name.strip(), names)}"
            )
        chosen.setdefault(table.key)
    return list(chosen)


def neighbourhood(
    adjacent: dict[Key, set[Key]], chosen: Iterable[Key], hops: int
) -> list[Key]:
    """``chosen`` plus every table at most ``hops`` foreign keys away (either way)."""
    distance = {key: 0 for key in chosen}
    queue = deque(distance)
    while queue:
        key = queue.popleft()
        if distance[key] == hops:
            continue
        for other in sorted(adjacent.get(key, ())):
            if other not in distance:
                distance[other] = distance[key] + 1
                queue.append(other)
    return list(distance)


def build_diagram(
    schema: Schema,
    models: Models,
    chosen: list[Key],
    hops: int = 0,
    title: str = "",
    max_tables: int = MAX_TABLES,
    also: Iterable[Key] = (),
) -> Diagram:
    """The diagram of ``chosen`` and their neighbours within ``hops`` keys, and of
    the tables ``also`` (drawn whole, their neighbours not added).

    Raises one line naming the size and a group to draw instead when it would
    hold more than ``max_tables`` tables (0: no limit)."""
    also = [k for k in also if k not in set(chosen)]
    if not chosen and not also:
        raise ModelgenError("nothing to draw: no table chosen")
    around = neighbourhood(models.adjacent, chosen, hops)
    keys = [k for k in dict.fromkeys([*around, *also]) if _known(schema, k)]
    if max_tables and len(keys) > max_tables:
        raise TooLarge(too_large(schema, models, keys, chosen, hops, max_tables))
    main = set(chosen) | set(also)
    drawn = set(keys)
    edges = [
        _edge(schema, models, table, fk)
        for key in sorted(drawn)
        for table in (schema.table(*key),)
        for fk in table.foreign_keys
        # between two neighbours a key is another diagram's business
        if (fk.ref_schema, fk.ref_table) in drawn
        and (key in main or (fk.ref_schema, fk.ref_table) in main)
    ]
    edge_columns: dict[Key, set[str]] = {}
    for edge in edges:
        edge_columns.setdefault(edge.child, set()).update(edge.columns)
        edge_columns.setdefault(edge.parent, set()).update(edge.ref_columns)
    nodes = [
        _node(schema, models, schema.table(*key), key not in main, edge_columns)
        for key in sorted(drawn)
    ]
    edges.sort(key=lambda e: (e.child, e.name))
    return Diagram(title, tuple(nodes), tuple(edges))


def _known(schema: Schema, key: Key) -> bool:
    try:
        schema.table(*key)
    except KeyError:  # a key to a table outside the schemas read
        return False
    return True


def too_large(
    schema: Schema,
    models: Models,
    keys: list[Key],
    chosen: list[Key],
    hops: int,
    max_tables: int,
) -> str:
    sizes: dict[str, int] = {}
    for key in chosen:
        group = models.groups.get(key)
        if group:
            sizes[group] = sizes.get(group, 0) + 1
    hint = (
        f"draw one group (--group {min(sizes, key=lambda g: (sizes[g], g))})"
        if len(sizes) > 1
        else "draw fewer tables (--tables t1,t2)"
    )
    fewer = f" or fewer hops (--neighbours {hops - 1})" if hops else ""
    return (
        f"a diagram of {len(keys)} tables is too large to read (at most "
        f"{max_tables}): {hint}{fewer}"
    )


def _node(
    schema: Schema,
    models: Models,
    table: Table,
    neighbour: bool,
    edge_columns: dict[Key, set[str]],
) -> Node:
    pk = set(table.primary_key.columns) if table.primary_key else set()
    fk = {c for key in table.foreign_keys for c in key.columns}
    unique = {u.columns[0] for u in table.uniques if len(u.columns) == 1}
    unique |= {
        i.elements[0].column or ""
        for i in table.indexes
        if i.unique and len(i.elements) == 1 and i.predicate is None
    }
    rows = []
    wanted = edge_columns.get(table.key, set())
    for column in table.columns:
        if neighbour and column.name not in pk and column.name not in wanted:
            continue  # a neighbour shows only the columns its keys use
        marks = tuple(
            mark
            for mark, names in (("PK", pk), ("FK", fk), ("UK", unique - pk))
            if column.name in names
        )
        rows.append(ColumnRow(column.name, column.type.display, marks, column.nullable))
    return Node(
        table.key,
        display_name(schema, table.key),
        models.groups.get(table.key),
        models.status(table.key),
        tuple(rows),
        neighbour,
    )


def _edge(schema: Schema, models: Models, table: Table, fk: ForeignKey) -> Edge:
    parent = (fk.ref_schema, fk.ref_table)
    columns = set(fk.columns)
    uniques = [u.columns for u in table.uniques]
    uniques += [
        tuple(e.column or "" for e in i.elements)
        for i in table.indexes
        if i.unique and i.predicate is None
    ]
    if table.primary_key is not None:
        uniques.append(table.primary_key.columns)
    pk = set(table.primary_key.columns) if table.primary_key else set()
    return Edge(
        child=table.key,
        parent=parent,
        name=fk.name,
        columns=fk.columns,
        ref_columns=fk.ref_columns,
        optional=any(table.column(c).nullable for c in fk.columns),
        one_to_one=any(set(u) and set(u) <= columns for u in uniques),
        identifying=columns <= pk,
        crossing=_crossing(models, table.key, parent),
    )


def _crossing(models: Models, child: Key, parent: Key) -> str | None:
    """What a key leaves: another group, or for a hand-written model."""
    if models.status(parent) == HAND_WRITTEN and models.status(child) != HAND_WRITTEN:
        return HAND_WRITTEN
    group, other = models.groups.get(child), models.groups.get(parent)
    if other is not None and other != group:
        return f"group {other}"
    return None
