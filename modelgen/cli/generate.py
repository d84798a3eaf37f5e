"""Typer commands `generate`, `check`, `snapshot`, `verify` and `demo`: parse, call, print, exit code."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from modelgen.cli.app import (
    AllOpt,
    ConfigOpt,
    GroupOpt,
    OutOpt,
    SnapshotOpt,
    SplitOpt,
    UrlOpt,
    ViewsOpt,
    _load,
    _read_schema,
    _rel,
    _report_list,
    app,
    guarded,
    snapshot_app,
)
from modelgen.errors import ModelgenError


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
) -> None:
    """Write the model files of the chosen groups (or bootstrap a package with no config)."""
    from modelgen.generate.output import compare_files, write_files
    from modelgen.generate.pipeline import generate_files

    cfg = _load(config, views, split)
    if cfg.path is None and out is None:
        raise ModelgenError(
            "no config found: pass --config FILE, or --out DIR to bootstrap"
        )
    schema = _read_schema(cfg, url, snapshot)
    result = generate_files(schema, cfg, group or [], all_groups, out)
    files = list(result.files)
    if dry_run:
        diffs = compare_files(files, Path.cwd())
        for item in diffs:
            if item.diff:
                sys.stdout.write(item.diff)
        changed = sum(1 for d in diffs if d.status != "unchanged")
        typer.echo(
            f"dry run: {changed} file(s) would change; nothing written", err=True
        )
        return
    outcome = write_files(files, force=force)
    for path in outcome.written:
        typer.echo(f"wrote {_rel(path)}")
    for path in outcome.unchanged:
        typer.echo(f"unchanged {_rel(path)}")
    for path in outcome.backups:
        typer.echo(f"kept the hand-edited version as {_rel(path)}")
    _report_list("no primary key, written as db.Table", result.plan.without_key)
    _report_list("not modelled (views, partitions ...)", result.plan.unmodelled)
    if not cfg.bootstrap:
        typer.echo(
            "\nadd to the models package's __init__.py (modelgen never edits it):"
        )
        for line in result.plan.import_lines:
            typer.echo(f"    {line}")


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
    split: SplitOpt = 0,
) -> None:
    """Regenerate in memory and diff against the files on disk: exit 0 in sync, 1 drift."""
    from modelgen.generate.output import compare_files
    from modelgen.generate.pipeline import generate_files

    cfg = _load(config, views, split)
    if cfg.path is None and out is None:
        raise ModelgenError("no config found: pass --config FILE, or --out DIR")
    schema = _read_schema(cfg, url, snapshot)
    result = generate_files(schema, cfg, group or [], all_groups, out)
    diffs = compare_files(list(result.files), Path.cwd())
    drift = [d for d in diffs if d.status != "unchanged"]
    for item in drift:
        sys.stdout.write(item.diff)
    for item in drift:
        if item.status == "missing":
            typer.echo(f"missing: {_rel(item.path)}", err=True)
        else:
            typer.echo(f"out of date: {_rel(item.path)}", err=True)
    typer.echo(
        (
            f"{len(drift)} of {len(diffs)} file(s) differ from the schema"
            if drift
            else f"{len(diffs)} file(s) in sync"
        ),
        err=True,
    )
    if drift:
        raise typer.Exit(1)


@snapshot_app.callback()
@guarded
def snapshot(
    ctx: typer.Context,
    url: UrlOpt = None,
    config: ConfigOpt = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="file to write")
    ] = Path("schema.json"),
) -> None:
    """Save the reflected schema as deterministic JSON (read-only on the database)."""
    if ctx.invoked_subcommand is not None:
        return
    from modelgen.catalog.snapshot import write_snapshot

    cfg = _load(config)
    schema = _read_schema(cfg, url, None, "writing the snapshot")
    write_snapshot(schema, output)
    typer.echo(f"wrote {_rel(output.resolve())}: {len(schema.tables)} tables")


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
            "--scratch-url", help="server for the scratch database (default: embedded)"
        ),
    ] = None,
) -> None:
    """Create the generated models in a scratch database and compare with production."""
    from modelgen.catalog.scratch import embedded_url
    from modelgen.generate.build import select_specs
    from modelgen.verify import verify_schema

    cfg = _load(config, views)
    schema = _read_schema(cfg, url, snapshot)
    tables = None
    if not cfg.bootstrap:
        specs = select_specs(cfg, schema, group or [], all_groups)
        tables = set()
        for spec in specs:
            for name in spec.tables:
                found = schema.find_table(name)
                if found is not None:
                    tables.add(found.key)
    result = verify_schema(
        schema, scratch_url or embedded_url(), tables, cfg.style, cfg.views
    )
    for line in result.differences:
        typer.echo(line)
    if result.not_modelled:
        typer.echo(
            f"not modelled: {len(result.not_modelled)} views/partitions", err=True
        )
    typer.echo(
        f"{result.tables} table(s) compared: {len(result.differences)} difference(s)",
        err=True,
    )
    if result.differences:
        raise typer.Exit(1)


@app.command()
@guarded
def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="where to copy the fixture app")
    ] = Path("modelgen-demo"),
    url: Annotated[
        str | None,
        typer.Option("--server-url", help="use this server instead of an embedded one"),
    ] = None,
) -> None:
    """Generate the critical models of the bundled fixture in an embedded PostgreSQL."""
    from modelgen.demo import run_demo

    target, written, _ = run_demo(directory.resolve(), url)
    typer.echo(f"fixture production loaded; fixture app copied to {_rel(target)}")
    for path in written:
        typer.echo(f"wrote {_rel(path)}")
    if written:
        first = next((p for p in written if p.name == "payments.py"), written[0])
        typer.echo(f"\n--- {_rel(first)} ---")
        typer.echo(first.read_text(encoding="utf-8"))
