"""Typer commands ``diagram`` and ``docs``: ER diagrams and the Markdown schema reference."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from modelgen.cli.app import (
    AllOpt,
    ConfigOpt,
    GroupOpt,
    QuietOpt,
    SnapshotOpt,
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


class DiagramFormat(StrEnum):
    mermaid = "mermaid"
    dot = "dot"


@app.command()
@guarded
def diagram(
    config: ConfigOpt = None,
    url: UrlOpt = None,
    snapshot: SnapshotOpt = None,
    group: GroupOpt = None,
    all_groups: Annotated[
        bool, typer.Option("--all", help="every table production has")
    ] = False,
    tables: Annotated[
        str | None,
        typer.Option(
            "--tables", metavar="T1,T2", help="these tables (comma-separated)"
        ),
    ] = None,
    fmt: Annotated[
        DiagramFormat,
        typer.Option(
            "--format", "-f", metavar="FORMAT", help="mermaid (Markdown) or dot"
        ),
    ] = DiagramFormat.mermaid,
    neighbours: Annotated[
        int,
        typer.Option(
            "--neighbours",
            min=0,
            metavar="N",
            help="also draw the tables up to N keys away (default 1)",
        ),
    ] = 1,
    max_tables: Annotated[
        int,
        typer.Option(
            "--max-tables",
            min=0,
            metavar="N",
            help="refuse a diagram of more tables than this (default 40; 0: no limit)",
        ),
    ] = 40,
    quiet: QuietOpt = False,
) -> None:
    """Draw an ER diagram of groups or tables (Mermaid or Graphviz DOT) on stdout.

    Columns carry PK, FK and UK marks; a key's ends say what its columns imply
    (a nullable key is optional, a unique one one-to-one); keys to other groups
    and to hand-written models say so (docs/diagrams.md).

    Exit codes: 0 drawn, 2 error (a diagram too large to read included).
    """
    from modelgen.diagram.dot import render_dot
    from modelgen.diagram.graph import TooLarge, build_diagram, scan_app, select
    from modelgen.diagram.mermaid import render_mermaid

    names = [t for t in (tables or "").split(",") if t.strip()]
    if not (group or all_groups or names):
        raise ModelgenError(
            "choose what to draw: --group NAME, --tables T1,T2 or --all"
        )
    cfg = _load(config)
    schema = _read_schema(cfg, url, snapshot, quiet, then="drawing")
    chosen = select(schema, cfg, group or (), names, all_groups)
    title = (
        "all tables"
        if all_groups
        else ", ".join([f"group {g}" for g in group or ()] + names)
    )
    try:
        drawn = build_diagram(
            schema, scan_app(schema, cfg), chosen, neighbours, title, max_tables
        )
    except TooLarge as exc:
        raise ModelgenError(f"{exc}, or raise --max-tables") from None
    result_decided()
    render = render_dot if fmt is DiagramFormat.dot else render_mermaid
    sys.stdout.write(render(drawn))
    _note(quiet, f"{len(drawn.nodes)} tables, {len(drawn.edges)} keys")


@app.command()
@guarded
def docs(
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", metavar="DIR", help="folder the pages are written to"
        ),
    ],
    config: ConfigOpt = None,
    url: UrlOpt = None,
    snapshot: SnapshotOpt = None,
    group: GroupOpt = None,
    all_groups: AllOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Write the schema reference: a Markdown page per group, and an index.

    Each page has the group's diagram and, per table, its columns, keys,
    indexes, triggers, policies and the model that maps it.  Deterministic: a
    production change is a small diff.  Files it did not write are left alone.

    Exit codes: 0 written, 2 error.
    """
    from modelgen.diagram.reference import write_reference

    cfg = _load(config)
    if cfg.path is None:
        raise ModelgenError(
            "no config found: pass --config FILE (or write one with `modelgen init`)"
        )
    schema = _read_schema(cfg, url, snapshot, quiet, then="writing the reference")
    written = write_reference(schema, cfg, out, group or (), all_groups or not group)
    result_decided()
    typer.echo(f"wrote {len(written)} page(s) into {_rel(out)}")
