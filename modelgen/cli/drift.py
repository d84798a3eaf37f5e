"""Typer commands `drift`, `snapshot diff` and `init`: parse, call, print, exit code.

Registered on the shared ``app`` by the import at the bottom of cli.py.  The
report goes to stdout, progress to stderr (``--quiet`` silences it); colours
only when stdout is a terminal.
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from modelgen.cli.app import (
    ConfigOpt,
    SnapshotOpt,
    UrlOpt,
    _status,
    app,
    guarded,
    snapshot_app,
)
from modelgen.errors import ModelgenError


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    github = "github"


class DiffFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


FormatOpt = Annotated[
    ReportFormat,
    typer.Option(
        "--format", "-f", help="text, json, markdown (PR comment), github (annotations)"
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="no progress on stderr")]


def _progress(quiet: bool, message: str) -> None:
    if not quiet:
        typer.echo(message, err=True)


def _color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _source_label(cfg: object, url: str | None, snapshot: Path | None) -> str:
    if snapshot is not None:
        return f"snapshot {snapshot}"
    from modelgen.catalog.connect import parse_url

    raw = url or os.environ.get(getattr(cfg, "url_env", "DATABASE_URL"), "")
    try:
        return parse_url(raw).safe() if raw else "database"
    except ModelgenError:
        return "database"


@app.command()
@guarded
def drift(
    config: ConfigOpt = None,
    url: UrlOpt = None,
    snapshot: SnapshotOpt = None,
    fmt: FormatOpt = ReportFormat.text,
    quiet: QuietOpt = False,
) -> None:
    """Compare production with all the app's models: exit 0 agree, 1 drift, 2 error."""
    from modelgen.cli.app import _load
    from modelgen.drift.engine import compute_drift
    from modelgen.drift.ignore import load_ignore_rules
    from modelgen.drift.models import load_models
    from modelgen.drift.report import render_report, summary_line
    from modelgen.generate.pipeline import load_schema

    cfg = _load(config)
    if cfg.path is None:
        raise ModelgenError(
            "no config found: pass --config FILE (or write one with `modelgen init`)"
        )
    rules = load_ignore_rules(cfg)  # a bad ignore file fails before any connection
    _progress(quiet, "reading production ...")
    schema = load_schema(cfg, url, snapshot)
    _progress(quiet, f"reading models from {cfg.models or cfg.output} ...")
    models = load_models(cfg)
    _progress(quiet, f"models: {models.detail}")
    report = compute_drift(
        schema, cfg, models, rules, _source_label(cfg, url, snapshot)
    )
    sys.stdout.write(render_report(report, fmt.value, Path.cwd(), _color()))
    if fmt is not ReportFormat.text:
        _progress(quiet, summary_line(report))
    if report.exit_code:
        raise typer.Exit(report.exit_code)


@snapshot_app.command("diff")
@guarded
def snapshot_diff(
    old: Annotated[Path, typer.Argument(help="the older snapshot (schema.json)")],
    new: Annotated[Path, typer.Argument(help="the newer snapshot")],
    fmt: Annotated[
        DiffFormat, typer.Option("--format", "-f", help="text, json or markdown")
    ] = DiffFormat.text,
    quiet: QuietOpt = False,
) -> None:
    """What changed in production between two snapshots: exit 0 none, 1 changes, 2 error."""
    from modelgen.catalog.snapshot import load_snapshot
    from modelgen.drift.snapshot_diff import diff_schemas, render_snapshot_diff

    _status(f"reading {old} and {new} ...")
    before = load_snapshot(old)
    after = load_snapshot(new)
    diff = diff_schemas(before, after)
    _status("")  # clears the line
    sys.stdout.write(render_snapshot_diff(diff, fmt.value, str(old), str(new)))
    _progress(
        quiet,
        (
            "no changes"
            if diff.empty
            else (
                f"{len(diff.added)} table(s) added, {len(diff.removed)} removed, "
                f"{len(diff.changed)} changed, {len(diff.enums)} enum change(s)"
            )
        ),
    )
    if not diff.empty:
        raise typer.Exit(1)


# the first spelling, kept working for scripts written against it
app.command("snapshot-diff", hidden=True)(snapshot_diff)


@app.command()
@guarded
def init(
    url: UrlOpt = None,
    snapshot: SnapshotOpt = None,
    models: Annotated[
        Path | None,
        typer.Option(
            "--models", help="folder of the hand-written models (default: searched)"
        ),
    ] = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="config file to write")
    ] = Path("modelgen.toml"),
    quiet: QuietOpt = False,
) -> None:
    """Write a starting modelgen.toml for an app that has none (never overwrites one)."""
    from modelgen.config import Config
    from modelgen.generate.pipeline import load_schema
    from modelgen.init import write_init_config

    target = output.resolve()
    if target.exists():
        raise ModelgenError(
            f"{output}: already exists; modelgen init never overwrites a config "
            "(delete it or pass -o OTHER.toml)"
        )
    _progress(quiet, "reading production ...")
    schema = load_schema(Config(path=None, root=Path.cwd()), url, snapshot)
    result = write_init_config(schema, target, models)
    typer.echo(f"wrote {output}: {result.summary}")
    _progress(
        quiet,
        "next: review the groups, then `modelgen generate --group unassigned --dry-run`",
    )
