"""What changed in production between two snapshots (`modelgen snapshot diff`), and its text, json and markdown."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from modelgen.catalog.compare import compare_tables
from modelgen.catalog.schema import Schema, Table
from modelgen.drift.findings import describe_column, display_name
from modelgen.drift.report import SCHEMA_VERSION


@dataclass(frozen=True)
class SnapshotDiff:
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: dict[str, tuple[str, ...]] = field(
        default_factory=dict
    )  # table -> changes
    enums: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.enums)


def diff_schemas(old: Schema, new: Schema) -> SnapshotDiff:
    """What changed in production between two snapshots (compare.compare_tables per table)."""
    default = new.default_schema
    old_tables = {t.key: t for t in old.tables}
    new_tables = {t.key: t for t in new.tables}
    added = tuple(
        display_name(*k, default) for k in sorted(set(new_tables) - set(old_tables))
    )
    removed = tuple(
        display_name(*k, default) for k in sorted(set(old_tables) - set(new_tables))
    )
    changed: dict[str, tuple[str, ...]] = {}
    for key in sorted(set(old_tables) & set(new_tables)):
        lines = _table_changes(old_tables[key], new_tables[key])
        if lines:
            changed[display_name(*key, default)] = tuple(lines)
    return SnapshotDiff(added, removed, changed, tuple(_enum_changes(old, new)))


def _table_changes(before: Table, after: Table) -> list[str]:
    """Columns added and removed, then compare_tables' lines worded as changes (``a -> b``)."""
    old_names = [c.name for c in before.columns]
    new_names = [c.name for c in after.columns]
    lines = [
        f"column added: {c.name} ({describe_column(c)})"
        for c in after.columns
        if c.name not in old_names
    ]
    lines += [
        f"column removed: {c.name} ({describe_column(c)})"
        for c in before.columns
        if c.name not in new_names
    ]
    for line in compare_tables(before, after):
        if line.startswith("columns "):  # the column lists: told above, or reordered
            if set(old_names) == set(new_names):
                lines.append("column order changed")
            continue
        line = re.sub(r": missing \(", ": removed (", line)
        line = re.sub(r": extra \(", ": added (", line)
        lines.append(line.replace(" != ", " -> "))
    return lines


def _enum_changes(old: Schema, new: Schema) -> list[str]:
    default = new.default_schema
    old_enums = {(e.schema, e.name): e for e in old.enums}
    new_enums = {(e.schema, e.name): e for e in new.enums}
    changes: list[str] = []
    for key in sorted(set(old_enums) | set(new_enums)):
        name = display_name(*key, default)
        if key not in old_enums:
            changes.append(f"enum added: {name} {list(new_enums[key].labels)}")
        elif key not in new_enums:
            changes.append(f"enum removed: {name}")
        elif old_enums[key].labels != new_enums[key].labels:
            changes.append(
                f"enum {name}: {list(old_enums[key].labels)} -> {list(new_enums[key].labels)}"
            )
    return changes


def render_snapshot_diff(diff: SnapshotDiff, fmt: str, old: str, new: str) -> str:
    if fmt == "json":
        return _render_json(diff, old, new)
    md = fmt == "markdown"
    lines = [f"### production changes: {old} -> {new}" if md else f"{old} -> {new}"]
    if diff.empty:
        lines.append("no changes")
        return "\n".join(lines) + "\n"
    bullet = "- " if md else "  "
    for title, items in (
        ("Tables added", diff.added),
        ("Tables removed", diff.removed),
        ("Enums", diff.enums),
    ):
        if items:
            lines += ["", _heading(title, len(items), md)]
            lines += [
                f"{bullet}{'`' + i + '`' if md and not title.startswith('Enums') else i}"
                for i in items
            ]
    if diff.changed:
        lines += ["", _heading("Tables changed", len(diff.changed), md)]
        for table, changes in diff.changed.items():
            lines.append(f"{bullet}{'`' + table + '`' if md else table}:")
            lines += [f"{'  - ' if md else '    '}{c}" for c in changes]
    return "\n".join(lines) + "\n"


def _heading(title: str, count: int, md: bool) -> str:
    return f"#### {title} ({count})" if md else f"{title} ({count}):"


def _render_json(diff: SnapshotDiff, old: str, new: str) -> str:
    payload = {
        "schema_version": SCHEMA_VERSION,
        "old": old,
        "new": new,
        "changed": not diff.empty,
        "tables_added": list(diff.added),
        "tables_removed": list(diff.removed),
        "tables_changed": {k: list(v) for k, v in diff.changed.items()},
        "enums": list(diff.enums),
    }
    return json.dumps(payload, indent=2) + "\n"
