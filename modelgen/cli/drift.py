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
    InitUrlOpt,
    QuietOpt,
    SnapshotOpt,
    UrlOpt,
    _done,
    _status,
    app,
    guarded,
    snapshot_app,
)
from modelgen.errors import ModelgenError
from modelgen.interrupt import result_decided


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
        "--format",
        "-f",
        metavar="FORMAT",
        help="text, json, markdown (PR comment) or github (annotations)",
    ),
]
FixOpt = Annotated[
    bool,
    typer.Option("--fix", help="edit the model files in place to match production"),
]
DiffOpt = Annotated[
    bool,
    typer.Option("--diff", help="print the diff --fix would apply; write nothing"),
]
UnsafeOpt = Annotated[
    bool,
    typer.Option(
        "--unsafe-fixes", help="also apply unsafe fixes (remove columns the file uses)"
    ),
]


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
    raw = raw or getattr(cfg, "fallback_url", None) or ""
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
    fix: FixOpt = False,
    diff: DiffOpt = False,
    unsafe_fixes: UnsafeOpt = False,
) -> None:
    """Compare production with all the app's models.

    Hand-written and generated alike (docs/drift.md). --fix repairs the model
    files in place, --diff shows that patch instead.

    Exit codes: 0 they agree, 1 drift (the report says where), 2 error.
    """
    from modelgen.cli.app import _load
    from modelgen.drift.engine import compute_drift, with_file_lines
    from modelgen.drift.ignore import load_ignore_rules
    from modelgen.drift.models import load_models
    from modelgen.drift.report import render_report, summary_line
    from modelgen.gcpause import collector_paused
    from modelgen.generate.pipeline import load_schema

    cfg = _load(config)
    if cfg.path is None:
        raise ModelgenError(
            "no config found: pass --config FILE (or write one with `modelgen init`)"
        )
    rules = load_ignore_rules(cfg)  # a bad ignore file fails before any connection
    # one pause for the whole comparison: the snapshot, the imported models and
    # their facts all live to the end, and a full collection walks them all again
    with collector_paused():
        _progress(quiet, "reading production ...")
        schema = load_schema(cfg, url, snapshot)
        _progress(quiet, f"reading models from {cfg.models or cfg.output} ...")
        # lines only for what is reported; tables without mappers (drift/models.py)
        models = load_models(cfg, lines=False, mapped=False)
        _progress(quiet, f"models: {models.detail}")
        label = _source_label(cfg, url, snapshot)
        report = compute_drift(schema, cfg, models, rules, label)
        report = with_file_lines(report, schema, cfg, rules, label)
    if fix or diff:
        from modelgen.cli.fix import run_fix

        folders = [f for f in (cfg.models, cfg.output) if f is not None]
        options = (diff, unsafe_fixes, quiet)
        module: tuple[Path, str] | None = None
        if any(f.kind == "prerequisite" for f in report.findings):
            from modelgen.generate.pipeline import prerequisites_file

            regenerated = prerequisites_file(schema, cfg)
            if regenerated is not None:
                module = (regenerated.path, regenerated.content)
        raise typer.Exit(run_fix(report, schema, folders, fmt.value, options, module))
    result_decided()  # what is left is the report
    diagram = None
    if fmt is ReportFormat.markdown:
        from modelgen.diagram.markdown import mermaid_block

        tables = [f.table for f in report.drift if f.table]
        diagram = mermaid_block(schema, cfg, tables, "tables with drift")
    sys.stdout.write(render_report(report, fmt.value, Path.cwd(), _color(), diagram))
    if fmt is not ReportFormat.text:
        _progress(quiet, summary_line(report))
    if report.exit_code:
        raise typer.Exit(report.exit_code)


@snapshot_app.command("diff")
@guarded
def snapshot_diff(
    # described in the docstring: Typer would list them with a Python type
    old: Annotated[Path, typer.Argument(metavar="OLD", hidden=True)],
    new: Annotated[Path, typer.Argument(metavar="NEW", hidden=True)],
    fmt: Annotated[
        DiffFormat,
        typer.Option("--format", "-f", metavar="FORMAT", help="text, json or markdown"),
    ] = DiffFormat.text,
    quiet: QuietOpt = False,
) -> None:
    """What changed in production between two snapshots.

    OLD and NEW are snapshot files (schema.json) written by `modelgen snapshot`.

    Exit codes: 0 no changes, 1 changes, 2 error.
    """
    from modelgen.catalog.snapshot import load_snapshot
    from modelgen.drift.snapshot_diff import diff_schemas, render_snapshot_diff

    _status(f"reading {old} and {new} ...")
    before = load_snapshot(old)
    after = load_snapshot(new)
    diff = diff_schemas(before, after)
    _status("")  # clears the line
    result_decided()
    sys.stdout.write(render_snapshot_diff(diff, fmt.value, str(old), str(new)))
    # "no changes" is already the whole text and markdown report: say it once
    _progress(
        quiet or (diff.empty and fmt is not DiffFormat.json),
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
    url: InitUrlOpt = None,
    snapshot: SnapshotOpt = None,
    models: Annotated[
        Path | None,
        typer.Option(
            "--models",
            metavar="DIR",
            help="folder of the hand-written models (default: searched)",
        ),
    ] = None,
    output: Annotated[
        Path,
        typer.Option("--output", "-o", metavar="FILE", help="config file to write"),
    ] = Path("modelgen.toml"),
    quiet: QuietOpt = False,
) -> None:
    """Write a starting modelgen.toml (never overwrites one).

    Exit codes: 0 written, 2 error (a config already there included).
    """
    from modelgen.cli.app import _with_hooks
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
    schema = load_schema(_with_hooks(Config(path=None, root=Path.cwd())), url, snapshot)
    result = write_init_config(schema, target, models)
    _done(quiet, f"wrote {output}: {result.summary}")
    _progress(
        quiet,
        "next: review the groups, then `modelgen generate --group unassigned --dry-run`",
    )
