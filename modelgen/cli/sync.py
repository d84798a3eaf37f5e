"""The ``modelgen sync`` command: production vs the committed snapshot, and every file
the repository needs when they differ, written all at once."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from modelgen.cli.app import (
    ConfigOpt,
    QuietOpt,
    UrlOpt,
    _load,
    _note,
    _read_schema,
    _rel,
    app,
    guarded,
)
from modelgen.errors import ModelgenError
from modelgen.interrupt import result_decided


@app.command()
@guarded
def sync(
    config: ConfigOpt = None,
    url: UrlOpt = None,
    snapshot: Annotated[
        Path | None,
        typer.Option(
            "--snapshot",
            metavar="FILE",
            help="read production from a schema.json instead of the database",
        ),
    ] = None,
    snapshot_file: Annotated[
        Path | None,
        typer.Option(
            "--snapshot-file",
            metavar="FILE",
            help="the committed snapshot (default: schema.json beside the config)",
        ),
    ] = None,
    versions: Annotated[
        Path | None,
        typer.Option(
            "--versions",
            metavar="DIR",
            help="Alembic versions folder (default: migrations/versions beside the config)",
        ),
    ] = None,
    body: Annotated[
        Path | None,
        typer.Option(
            "--body",
            metavar="FILE",
            help="also write the pull-request body there (outside the repository)",
        ),
    ] = None,
    message: Annotated[
        str,
        typer.Option("--message", "-m", metavar="TEXT", help="the revision's message"),
    ] = "production schema change (modelgen sync)",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="write nothing; print the body")
    ] = False,
    quiet: QuietOpt = False,
) -> None:
    """Turn a production change into one reviewable change of the repository.

    Reads production (read-only) and compares it with the committed snapshot.
    When they differ it writes, all or nothing: the generated models
    regenerated (code you added kept), drift --fix's safe fixes to the
    hand-written models, one migration from the snapshot to production, the
    snapshot, and prints the pull-request body (docs/ci-recipes.md).

    Exit codes: 0 no change (nothing written), 1 changes written (or, with
    --dry-run, found), 2 error (nothing written).
    """
    from modelgen.cli.drift import _source_label
    from modelgen.files import replace_all
    from modelgen.generate.pipeline import load_schema
    from modelgen.sync.body import render_body
    from modelgen.sync.plan import plan_sync, schema_changed

    cfg = _load(config)
    if cfg.path is None:
        raise ModelgenError(
            "no config found: pass --config FILE (or write one with `modelgen init`)"
        )
    committed = (snapshot_file or cfg.root / "schema.json").resolve()
    if not committed.is_file():
        raise ModelgenError(
            f"{committed}: no committed snapshot (write one with "
            f"`modelgen snapshot -o {_rel(committed)}` and commit it)"
        )
    old = load_schema(cfg, None, committed)  # read as production is: its schemas
    new = _read_schema(cfg, url, snapshot, quiet, then="comparing")
    if not schema_changed(old, new):
        result_decided()
        _note(quiet, f"production matches {_rel(committed)}: nothing to do")
        return
    versions_dir = (versions or cfg.root / "migrations" / "versions").resolve()
    plan = plan_sync(old, new, cfg, committed, versions_dir, message)
    production = _source_label(cfg, url, snapshot)  # a URL's password masked
    text = render_body(plan, new, cfg, production, _rel(committed))
    if dry_run:
        result_decided()
        sys.stdout.write(text)
        _note(
            quiet, f"dry run: {len(plan.changes)} file(s) would change; nothing written"
        )
        raise typer.Exit(1)
    contents = plan.contents
    if body is not None:
        contents[body.resolve()] = text
    replace_all(contents)
    result_decided()
    sys.stdout.write(text)
    for change in plan.changes:
        _note(quiet, f"wrote {_rel(change.path)}: {change.why}")
    raise typer.Exit(1)
