"""What ``modelgen sync`` would write for a production change, computed in memory.

Four steps, each its own function and each an existing job: the generated files
regenerated with their hand code kept (``generate``'s pipeline and merge), the
hand-written models repaired with ``drift --fix``'s safe fixes, one migration from
the committed snapshot to production (``migration --from``'s ``diff_migration``),
and the snapshot.  Nothing here writes: ``SyncPlan.contents`` is handed to
``files.replace_all`` whole, or (``--dry-run``) to nobody.
"""

from __future__ import annotations

import json
import keyword
from dataclasses import dataclass, field, replace
from pathlib import Path

from modelgen.catalog.schema import Schema
from modelgen.catalog.snapshot import dump_schema
from modelgen.config import Config
from modelgen.diagram.graph import display_name
from modelgen.drift.findings import DRIFT, INFO, Finding
from modelgen.drift.snapshot_diff import SnapshotDiff, diff_schemas
from modelgen.errors import ModelgenError, RefusedError


@dataclass(frozen=True)
class FileChange:
    path: Path
    content: str
    why: str


@dataclass(frozen=True)
class Unplaced:
    """A table production added that no group of the config lists."""

    table: str
    group: str  # the group its keys point into most, else "unassigned"
    line: str  # the config line that would place it


@dataclass
class SyncPlan:
    diff: SnapshotDiff
    changes: list[FileChange] = field(default_factory=list)
    held: list[Finding] = field(default_factory=list)  # unsafe fixes, not applied
    unfixed: list[tuple[Finding, str]] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # classes kept for hand code only
    dropped: list[str] = field(default_factory=list)  # config lines for gone tables
    unplaced: list[Unplaced] = field(default_factory=list)
    migration_steps: list[str] = field(default_factory=list)
    hazards: list[str] = field(default_factory=list)
    renames: list[str] = field(default_factory=list)

    @property
    def contents(self) -> dict[Path, str | bytes]:
        return {change.path: change.content for change in self.changes}


def relative(path: Path, root: Path) -> str:
    """``path`` as the body and its lines show it: relative to the config's folder."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _bare(schema: Schema, qualified: str) -> str:
    """``public.payments`` as the snapshot diff names it: ``payments``."""
    prefix = f"{schema.default_schema}."
    return qualified[len(prefix) :] if qualified.startswith(prefix) else qualified


def schema_changed(old: Schema, new: Schema) -> bool:
    """Whether the snapshot would change: its exact text, every fact included."""
    return dump_schema(old) != dump_schema(new)


def plan_sync(
    old: Schema,
    new: Schema,
    config: Config,
    snapshot_file: Path,
    versions_dir: Path,
    message: str,
) -> SyncPlan:
    plan = SyncPlan(diff_schemas(old, new))
    generated = regenerate(new, config, plan)
    fix_hand_written(new, config, plan, set(generated), new_keys(old, new))
    add_migration(old, new, config, plan, versions_dir, message)
    plan.changes.append(
        FileChange(snapshot_file, dump_schema(new), "the snapshot, now production's")
    )
    plan.unplaced = unplaced_tables(new, config, plan.diff)
    return plan


def _on_disk(schema: Schema, config: Config, plan: SyncPlan) -> Config:
    """The config with only the files already on disk: the files the team has
    generated, so the tables selected (and so their relationships) are the ones
    of the runs that wrote them; a file never generated is `generate`'s to write.

    A table production dropped leaves its file's list (its class is kept only if
    code was added to it); the config line is the team's to remove, and the body
    says so."""
    out = config.output
    files = []
    for spec in config.files:
        if out is None or not (out / spec.filename).is_file():
            continue
        there = tuple(t for t in spec.tables if schema.find_table(t) is not None)
        for gone in sorted(set(spec.tables) - set(there)):
            plan.dropped.append(
                f"`{gone}` is gone from production: remove it from "
                f'`[groups.{spec.group}]` "{spec.filename}" in the config'
            )
        if there:
            files.append(replace(spec, tables=there))
    return replace(config, files=tuple(files))


def regenerate(schema: Schema, config: Config, plan: SyncPlan) -> list[Path]:
    """The generated files on disk regenerated, hand code kept.  Returns them all
    (changed or not)."""
    from modelgen.generate.output import check_writable
    from modelgen.generate.pipeline import generate_files
    from modelgen.source.merge import Kept, merge_with_disk

    on_disk = _on_disk(schema, config, plan)
    if not on_disk.files:
        return []
    result = generate_files(schema, on_disk, all_groups=True)
    kept: list[Kept] = []
    files, conflicts = merge_with_disk(list(result.files), kept)
    if conflicts:
        where = ", ".join(
            sorted({f"{relative(c.path, config.root)}:{c.line}" for c in conflicts})
        )
        raise ModelgenError(
            f"{where}: statements modelgen owns were edited by hand and differ from "
            "production; nothing was written (`modelgen generate` shows them)"
        )
    try:
        check_writable(files, force=False)
    except RefusedError as exc:  # sync's exit 1 means "written": this is an error
        raise ModelgenError(str(exc)) from None
    changed_tables = set(plan.diff.changed) | set(plan.diff.added)
    files = [f for f in files if f.path.exists()]  # not a closure's new file
    for item in files:
        current = item.path.read_text("utf-8")
        if current == item.content or not item.overwrite_if_present:
            continue
        names = [_bare(schema, t) for t in item.tables]
        tables = sorted(set(names) & changed_tables)
        why = (
            f"regenerated: {', '.join(tables)} changed in production"
            if tables
            else "regenerated"
        )
        if item.merged:
            why += " (code you added is kept)"
        plan.changes.append(FileChange(item.path, item.content, why))
    plan.kept = [
        f"class {k.name} in {relative(k.path, config.root)}:{k.line} maps {k.table}, "
        "which this file no "
        "longer generates; kept for the code you added: move it, then delete the class"
        for k in kept
    ]
    return [f.path for f in files]


def new_keys(old: Schema, new: Schema) -> set[tuple[str, str]]:
    """(table, name) of every constraint and index production added to a table the
    committed snapshot already had."""
    before = {t.key: t for t in old.tables}
    added: set[tuple[str, str]] = set()
    for table in new.tables:
        was = before.get(table.key)
        if was is None:
            continue
        for attr in ("uniques", "checks", "excludes", "foreign_keys", "indexes"):
            names = {item.name for item in getattr(was, attr)}
            added |= {
                (display_name(new, table.key), item.name)
                for item in getattr(table, attr)
                if item.name not in names
            }
    return added


def _promoted(
    findings: tuple[Finding, ...], added: set[tuple[str, str]]
) -> list[Finding]:
    """A key the change added and the model does not declare is drift's info (many
    teams never declare indexes); the change under review declares it."""
    out = []
    for f in findings:
        if f.level == INFO and (f.table, f.subject) in added:
            kind = "index-new" if f.kind == "index" else "constraint-new"
            f = replace(f, level=DRIFT, kind=kind)
        out.append(f)
    return out


def fix_hand_written(
    schema: Schema,
    config: Config,
    plan: SyncPlan,
    generated: set[Path],
    added: set[tuple[str, str]],
) -> None:
    """``drift --fix``'s safe fixes, on the model files modelgen does not generate,
    and the keys and indexes the change added declared in them."""
    from modelgen.drift.engine import compute_drift, with_file_lines
    from modelgen.drift.ignore import load_ignore_rules
    from modelgen.drift.models import load_models
    from modelgen.source.fix import check_models_readable, plan_fixes

    rules = load_ignore_rules(config)
    models = load_models(config, lines=False, mapped=False)
    report = compute_drift(schema, config, models, rules, "production")
    report = with_file_lines(report, schema, config, rules, "production")
    report = replace(report, findings=tuple(_promoted(report.findings, added)))
    folders = [f for f in dict.fromkeys([config.models, config.output]) if f]
    check_models_readable(report, [f for f in folders if f.is_dir()])
    result = plan_fixes(report, schema, unsafe=False)
    generated = {p.resolve() for p in generated}
    for fix in result.files:
        if fix.path.resolve() in generated:
            continue  # regenerated above, from production itself
        plan.held += fix.held
        if fix.after != fix.before:
            keys = ", ".join(dict.fromkeys(f.key for f in fix.fixed))
            why = f"drift --fix (safe fixes): {keys}"
            plan.changes.append(FileChange(fix.path, fix.after, why))
    plan.unfixed += [
        (f, why)
        for f, why in result.unfixable
        if f.path is None or f.path.resolve() not in generated
    ]


def add_migration(
    old: Schema,
    new: Schema,
    config: Config,
    plan: SyncPlan,
    versions_dir: Path,
    message: str,
) -> None:
    """One revision from the committed snapshot to production (``migration --from``)."""
    from modelgen.generate.render import make_environment
    from modelgen.migration.render import diff_migration  # migration --from's API

    if not versions_dir.is_dir():
        raise ModelgenError(
            f"{versions_dir}: no such versions folder for the migration (pass "
            "--versions DIR; `alembic init` or `flask db init` creates one)"
        )
    revision = diff_migration(
        old,
        new,
        versions_dir=versions_dir,
        message=message,
        renames=True,
        env=make_environment(config.templates),
        bind=config.bind,
    )
    if revision is None:
        return
    plan.changes.append(
        FileChange(
            revision.path,
            revision.content,
            f"migration from the committed snapshot to production "
            f"({len(revision.steps)} step(s))",
        )
    )
    plan.migration_steps = list(revision.steps)
    plan.hazards = list(revision.hazards)
    plan.renames = list(revision.renames)


def unplaced_tables(
    schema: Schema, config: Config, diff: SnapshotDiff
) -> list[Unplaced]:
    """Tables production added that are in no group (and not ignored), each with the
    config line that would place it: in the group its keys point into most."""
    listed = {
        t.key
        for spec in config.files
        for name in spec.tables
        if (t := schema.find_table(name)) is not None
    }
    group_of = {
        t.key: spec.group
        for spec in config.files
        for name in spec.tables
        if (t := schema.find_table(name)) is not None
    }
    from modelgen.diagram.graph import scan_app

    mapped = scan_app(schema, config).by_table  # a hand-written model places it
    found = []
    for name in diff.added:
        table = schema.find_table(name)
        if table is None or table.key in listed or table.key in mapped:
            continue
        if table.name in config.ignore or name in config.ignore:
            continue
        votes: dict[str, int] = {}
        for fk in table.foreign_keys:
            group = group_of.get((fk.ref_schema, fk.ref_table))
            if group:
                votes[group] = votes.get(group, 0) + 1
        group = min(votes, key=lambda g: (-votes[g], g)) if votes else "unassigned"
        plain = table.name.isidentifier() and not keyword.iskeyword(table.name)
        filename = f"{table.name}.py" if plain else "new_tables.py"
        line = f"{json.dumps(filename)} = [{json.dumps(name, ensure_ascii=False)}]"
        found.append(Unplaced(name, group, line))
    return found
