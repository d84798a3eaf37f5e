"""Typer commands `generate`, `check`, `snapshot`, `verify` and `demo`: parse, call, print, exit code."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from modelgen.cli.app import (
    AllOpt,
    ConfigOpt,
    GroupOpt,
    OutOpt,
    QuietOpt,
    SnapshotOpt,
    SplitOpt,
    UrlOpt,
    ViewsOpt,
    _done,
    _load,
    _note,
    _read_schema,
    _rel,
    _report_list,
    app,
    guarded,
    snapshot_app,
)
from modelgen.errors import ModelgenError
from modelgen.interrupt import result_decided


def _merged(files: list[Any], refuse: bool) -> list[Any]:
    """The files with the hand-written code on disk kept (source/merge.py); each
    hand edit to a statement modelgen owns is printed, and refused unless --force;
    each class kept only for the team's code is printed (check and generate)."""
    from modelgen.errors import RefusedError
    from modelgen.source.merge import Kept, merge_with_disk

    kept: list[Kept] = []
    files, conflicts = merge_with_disk(files, kept)
    for orphan in kept:
        typer.echo(
            f"{_rel(orphan.path)}:{orphan.line}: class {orphan.name} maps "
            f"{orphan.table}, which this file no longer generates as a class "
            "(dropped or renamed in production, moved by the config, or now a "
            "db.Table); it is kept, statements and all, because it has code you "
            "added: move that code, then delete the class",
            err=True,
        )
    for item in conflicts:
        typer.echo(
            f"{_rel(item.path)}:{item.line}: differs from production, and statements "
            "modelgen owns in this file were edited by hand since it wrote them",
            err=True,
        )
        for label, code in (("production", item.production), ("file", item.file)):
            typer.echo(f"  {label}:", err=True)
            for line in code.splitlines():
                typer.echo(f"    {line}", err=True)
    if conflicts and refuse:
        raise RefusedError(
            f"{len(conflicts)} statement(s) modelgen owns differ from production in "
            "hand-edited file(s); nothing was written (undo the edit, or rerun with "
            "--force to take production's statements: the rest of the file is kept, "
            "and a .bak)"
        )
    return files


if TYPE_CHECKING:
    from modelgen.catalog.schema import Schema
    from modelgen.generate.output import GeneratedFile


@app.command()
@guarded
def generate(
    config: ConfigOpt = None,
    url: UrlOpt = None,
    snapshot: SnapshotOpt = None,
    group: GroupOpt = None,
    all_groups: AllOpt = False,
    out: OutOpt = None,
    views: ViewsOpt = False,
    split: SplitOpt = 0,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="print the diff, write nothing")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="replace hand-edited files (a .bak is kept)")
    ] = False,
    quiet: QuietOpt = False,
) -> None:
    """Write the model files of the chosen groups.

    With no config, --out DIR bootstraps a package of every table.

    Exit codes: 0 written (or nothing to do), 1 refused (a hand edit; nothing
    written), 2 error (nothing written).
    """
    from modelgen.generate.output import compare_files, write_files
    from modelgen.generate.pipeline import (
        check_db_import,
        generate_files,
        missing_import_lines,
        output_dir,
    )

    cfg = _load(config, views, split)
    if cfg.path is None and out is None:
        raise ModelgenError(
            "no config found: pass --config FILE, or --out DIR to bootstrap"
        )
    check_db_import(cfg, output_dir(cfg, out))
    schema = _read_schema(cfg, url, snapshot, quiet)
    result = generate_files(schema, cfg, group or [], all_groups, out)
    files = _merged(list(result.files), refuse=not force and not dry_run)
    if dry_run:
        diffs = compare_files(files, Path.cwd())
        for item in diffs:
            if item.diff:
                sys.stdout.write(item.diff)
        changed = sum(1 for d in diffs if d.status != "unchanged")
        _note(quiet, f"dry run: {changed} file(s) would change; nothing written")
        return
    outcome = write_files(files, force=force)
    for path in outcome.written:
        _done(quiet, f"wrote {_rel(path)}")
    for path in outcome.unchanged:
        _done(quiet, f"unchanged {_rel(path)}")
    for path in outcome.backups:
        typer.echo(f"kept the hand-edited version as {_rel(path)}")
    for line in result.plan.also_wrote:
        _done(quiet, f"also wrote {line}")
    _report_list(
        "foreign keys left out (their target has no model)", result.plan.left_out
    )
    if not quiet:
        _report_list("no primary key, written as db.Table", result.plan.without_key)
        _report_list("not modelled (views, partitions ...)", result.plan.unmodelled)
    if not quiet:
        _report_prerequisites(schema, files)
    missing = [] if cfg.bootstrap else missing_import_lines(result)
    if missing:
        typer.echo(
            f"\nadd to {_rel(result.out_dir / '__init__.py')} "
            "(modelgen never edits it):"
        )
        for line in missing:
            typer.echo(f"    {line}")


_CHECK_LABELS = {
    "missing": "missing",
    "generated": "out of date",
    "hand-edited": "edited by hand",
    "not generated": "not written by modelgen",
}


def _fix_command(
    cfg: Any, drift: list[Any], config: Path | None, snapshot: Path | None
) -> str:
    """The generate command that brings the differing files up to date."""
    from modelgen.generate.pipeline import bootstrap_layout_options

    parts = ["modelgen generate"]
    if config is not None:
        parts.append(f"--config {config}")
    if snapshot is not None:
        parts.append(f"--snapshot {snapshot}")
    if cfg.bootstrap:
        out = f"--out {_rel(drift[0].path.parent)}"
        return " ".join([*parts, out, *bootstrap_layout_options(cfg)])
    group_of = {spec.filename: spec.group for spec in cfg.files}
    groups = [g for g in dict.fromkeys(group_of.get(d.path.name) for d in drift) if g]
    if len(groups) > 1 and len(groups) == len(cfg.groups):
        return " ".join([*parts, "--all"])
    return " ".join([*parts, *(f"--group {g}" for g in groups)])


@app.command()
@guarded
def check(
    config: ConfigOpt = None,
    url: UrlOpt = None,
    snapshot: SnapshotOpt = None,
    group: GroupOpt = None,
    all_groups: AllOpt = False,
    out: OutOpt = None,
    views: ViewsOpt = False,
    quiet: QuietOpt = False,
    split: SplitOpt = 0,
) -> None:
    """Diff the model files on disk against the schema.

    Regenerates in memory (every group unless --group) and writes nothing.

    Exit codes: 0 in sync, 1 a file differs (missing, out of date or edited by
    hand), 2 error.
    """
    from modelgen.generate.output import compare_files
    from modelgen.generate.pipeline import (
        check_db_import,
        generate_files,
        output_dir,
        unassigned,
    )

    cfg = _load(config, views, split)
    if cfg.path is None and out is None:
        raise ModelgenError("no config found: pass --config FILE, or --out DIR")
    check_db_import(cfg, output_dir(cfg, out))
    schema = _read_schema(cfg, url, snapshot, quiet)
    every = all_groups or not group
    result = generate_files(schema, cfg, group or [], every, out)
    diffs = compare_files(_merged(list(result.files), refuse=False), Path.cwd())
    drift = [d for d in diffs if d.status != "unchanged"]
    for line in result.plan.also_wrote:
        _note(quiet, f"also checked {line}")
    _report_list(
        "foreign keys left out (their target has no model)", result.plan.left_out
    )
    # not a file that differs (the exit code stays check's), but never silent
    _report_list(
        "production tables with no model, in no group of the config (add them to "
        "a group, or to 'ignore'; `modelgen drift` fails on them)",
        unassigned(result, schema, cfg),
    )
    result_decided()  # what is left is the report
    for item in drift:
        sys.stdout.write(item.diff)
    for item in drift:
        label = _CHECK_LABELS[item.state or item.status]
        typer.echo(f"{label}: {_rel(item.path)}", err=True)
    if not drift:
        _note(quiet, f"{len(diffs)} file(s) in sync")
        return
    edited = [d for d in drift if d.state in ("hand-edited", "not generated")]
    typer.echo(
        f"{len(drift)} of {len(diffs)} file(s) differ from the schema; "
        f"`{_fix_command(cfg, drift, config, snapshot)}` updates them"
        + (
            f" (with --force for the {len(edited)} edited by hand; a .bak is kept)"
            if edited
            else ""
        ),
        err=True,
    )
    raise typer.Exit(1)


@snapshot_app.callback()
@guarded
def snapshot(
    ctx: typer.Context,
    url: UrlOpt = None,
    config: ConfigOpt = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", metavar="FILE", help="file to write")
    ] = Path("schema.json"),
    quiet: QuietOpt = False,
) -> None:
    """Save the reflected schema as deterministic JSON.

    Read-only on the database; `modelgen snapshot diff OLD NEW` compares two.

    Exit codes: 0 written, 2 error.
    """
    if ctx.invoked_subcommand is not None:
        return
    from modelgen.catalog.snapshot import write_snapshot

    cfg = _load(config)
    schema = _read_schema(cfg, url, None, quiet, then="writing the snapshot")
    write_snapshot(schema, output)
    _done(quiet, f"wrote {_rel(output.resolve())}: {len(schema.tables)} tables")


def _verify_tables(
    cfg: Any, schema: Any, group: list[str], all_groups: bool
) -> set[tuple[str, str]] | None:
    """The tables verify compares: the chosen groups' (None: every table, no config)."""
    from modelgen.generate.build import select_specs, table_suggestion

    if cfg.bootstrap:
        return None
    tables = set()
    for spec in select_specs(cfg, schema, group, all_groups):
        for name in spec.tables:
            found = schema.find_table(name)
            if found is None and schema.find_view(name) is None:
                raise ModelgenError(  # as generate says it: never skipped
                    f"{cfg.label}: key 'groups.{spec.group}.{spec.filename}': "
                    f"table {name!r} is not in the database"
                    f"{table_suggestion(schema, name)}"
                )
            if found is not None:
                tables.add(found.key)
    return tables


@app.command()
@guarded
def verify(
    config: ConfigOpt = None,
    url: UrlOpt = None,
    snapshot: SnapshotOpt = None,
    group: GroupOpt = None,
    all_groups: AllOpt = False,
    views: ViewsOpt = False,
    scratch_url: Annotated[
        str | None,
        typer.Option(
            "--scratch-url",
            metavar="URL",
            help="server for the scratch database (default: an embedded one, "
            "pip install 'modelgen[embedded]')",
        ),
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Create the models in a scratch database and compare.

    Both catalogs, fact by fact: the scratch one and production.

    Exit codes: 0 the same, 1 differences (listed on stdout), 2 error.
    """
    from modelgen.catalog.scratch import embedded_url
    from modelgen.verify import verify_schema

    cfg = _load(config, views)
    schema = _read_schema(cfg, url, snapshot, quiet)
    tables = _verify_tables(cfg, schema, group or [], all_groups)
    result = verify_schema(
        schema, scratch_url or embedded_url(), tables, cfg.style, cfg.views
    )
    result_decided()
    for line in result.differences:
        typer.echo(line)
    if result.not_modelled:
        _note(quiet, f"not modelled: {len(result.not_modelled)} views/partitions")
    _note(
        quiet,
        f"{result.tables} table(s) compared: {len(result.differences)} difference(s)",
    )
    if result.differences:
        raise typer.Exit(1)


@app.command()
@guarded
def demo(
    directory: Annotated[
        Path,
        typer.Option(
            "--dir",
            metavar="DIR",
            help="where to copy the fixture app (an earlier demo there is replaced)",
        ),
    ] = Path("modelgen-demo"),
    url: Annotated[
        str | None,
        typer.Option(
            "--server-url",
            metavar="URL",
            help="use this server instead of an embedded one",
        ),
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Run the main job on the bundled fixture app (a demo).

    Loads the fixture production into an embedded PostgreSQL, copies the fixture app to --dir, saves its
    snapshot there, generates the critical group and says what to try next.

    Exit codes: 0 done, 2 error.
    """
    from modelgen.catalog.connect import parse_url
    from modelgen.demo import next_steps, run_demo

    result = run_demo(directory.resolve(), url)
    if result.started_over:
        _note(quiet, f"{_rel(result.target)}: an earlier demo; started it over")
    _done(
        quiet, f"fixture production loaded; fixture app copied to {_rel(result.target)}"
    )
    for path in result.written:
        _done(quiet, f"wrote {_rel(path)}")
    if result.written and not quiet:
        first = next((p for p in result.written if p.name == "payments.py"), None)
        first = first or result.written[0]
        typer.echo(f"\n--- {_rel(first)} ---")
        typer.echo(first.read_text(encoding="utf-8"))
    shown = url and (parse_url(url).safe() if parse_url(url).password else url)
    typer.echo("next, try:")
    for line in next_steps(_rel(result.target), shown or None):
        typer.echo(f"    {line}")


def _report_prerequisites(schema: Schema, files: list[GeneratedFile]) -> None:
    """What the written tables need before db.create_all() (docs/prerequisites.md)."""
    from modelgen.catalog.prerequisites import needed_by

    names = {name for item in files for name in item.tables}
    tables = [t for t in schema.tables if f"{t.schema}.{t.name}" in names]
    labels = tuple(p.label for p in needed_by(schema, tables))
    _report_list("prerequisites to create first (docs/prerequisites.md)", labels)
