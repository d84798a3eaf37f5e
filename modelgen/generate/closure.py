"""Foreign keys never dangle: the files a selection needs, and the keys no model can hold.

A chosen table's foreign key must reach a table that has a model when the
app's metadata is used (``create_all``, Alembic autogenerate,
``MetaData.sorted_tables``), or SQLAlchemy raises ``NoReferencedTableError``.
So with ``--group G``, a referenced table that has no model yet but is in
another group of the config gets its file written too (and the run says so);
one that is in no group at all stops the run (exit 2) naming the table to add.
A key whose target can never have a model (a view, an ignored table, a table
outside the reflected schemas) is left out of the model and reported by
generate and check; one to a partition is added by DDL instead (partitions
are created with their table: modelgen.catalog.owned).
"""

from __future__ import annotations

from collections.abc import Iterable

from modelgen.catalog.schema import ForeignKey, Schema, Table
from modelgen.config import Config, FileSpec
from modelgen.errors import ConfigError
from modelgen.source.existing import ExistingModel


def _spec_tables(schema: Schema, spec: FileSpec) -> list[Table]:
    if spec.keys:
        return [t for t in (schema.find_table(f"{s}.{n}") for s, n in spec.keys) if t]
    return [t for t in (schema.find_table(name) for name in spec.tables) if t]


def _columns(table: Table, fk: ForeignKey) -> str:
    return ", ".join(f"{table.name}.{c}" for c in fk.columns)


def complete_selection(
    schema: Schema,
    config: Config,
    selected: list[FileSpec],
    existing: Iterable[ExistingModel],
) -> tuple[list[FileSpec], list[str]]:
    """``selected`` plus the files of other groups its foreign keys need, and one
    line per added file saying why (``device_tracking.py (group infrastructure):
    user_sessions.device_id references user_devices``)."""
    if config.bootstrap:
        return selected, []
    have = {(m.schema or schema.default_schema, m.table) for m in existing}
    owner: dict[tuple[str, str], FileSpec] = {}
    for spec in config.files:
        for member in _spec_tables(schema, spec):
            owner.setdefault(member.key, spec)
    tables = {t.key for t in schema.tables}
    chosen = list(selected)
    todo = [t for spec in selected for t in _spec_tables(schema, spec)]
    have |= {t.key for t in todo}
    notes: list[str] = []
    missing: list[str] = []
    while todo:
        table = todo.pop(0)
        for fk in table.foreign_keys:
            target = (fk.ref_schema, fk.ref_table)
            if target in have or target not in tables:
                continue
            if _ignored(config, target):
                continue
            needed = owner.get(target)
            if needed is None:
                missing.append(f"{_columns(table, fk)} references {fk.ref_table}")
                continue
            if needed not in chosen:
                chosen.append(needed)
                notes.append(
                    f"{needed.filename} (group {needed.group}): "
                    f"{_columns(table, fk)} references {fk.ref_table}"
                )
                added = _spec_tables(schema, needed)
                have |= {t.key for t in added}
                todo += added
    if missing and config.models is not None:  # else its models are not known
        raise ConfigError(
            f"{config.label}: {missing[0]}, which has no model and is in no group: "
            "add it to a group (or to 'ignore', and the key is left out of the model)"
            + (f"; {len(missing) - 1} more like it" if len(missing) > 1 else "")
        )
    return chosen, notes


def _ignored(config: Config, key: tuple[str, str]) -> bool:
    return key[1] in config.ignore or f"{key[0]}.{key[1]}" in config.ignore


def unmodelled_keys(
    tables: Iterable[Table], modelled: set[tuple[str, str]]
) -> dict[tuple[str, str], list[ForeignKey]]:
    """Per table, the foreign keys whose target no model holds."""
    found: dict[tuple[str, str], list[ForeignKey]] = {}
    for table in tables:
        for fk in table.foreign_keys:
            if (fk.ref_schema, fk.ref_table) not in modelled:
                found.setdefault(table.key, []).append(fk)
    return found


def describe_left_out(schema: Schema, table: Table, fk: ForeignKey) -> str:
    """``cost_settings.runner_id -> instance_runners (partition)``."""
    target = (fk.ref_schema, fk.ref_table)
    kind = next(
        (r.kind for r in schema.others if (r.schema, r.name) == target),
        "table without a model",
    )
    return f"{_columns(table, fk)} -> {fk.ref_table} ({kind}; key {fk.name})"


def unassigned_tables(
    schema: Schema, config: Config, existing: Iterable[ExistingModel]
) -> tuple[str, ...]:
    """Production tables with no model that no group and no ``ignore`` entry names
    (``users``; ``audit.events`` outside the default schema): what drift reports
    as unassigned, and what check would otherwise pass over in silence."""
    if config.bootstrap:
        return ()  # a bootstrap models every table
    default = schema.default_schema
    have = {(m.schema or default, m.table) for m in existing}
    for spec in config.files:
        have |= {t.key for t in _spec_tables(schema, spec)}
    return tuple(
        name if space == default else f"{space}.{name}"
        for space, name in sorted(t.key for t in schema.tables)
        if (space, name) not in have and not _ignored(config, (space, name))
    )
