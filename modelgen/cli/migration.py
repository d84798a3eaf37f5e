"""The ``modelgen migration`` command: parse, call modelgen.migration, print, exit code."""

from __future__ import annotations

import os
import sys
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
    _done,
    _load,
    _note,
    _read_schema,
    _rel,
    app,
    guarded,
)
from modelgen.errors import ModelgenError


@app.command()
@guarded
def migration(
    config: ConfigOpt = None,
    url: UrlOpt = None,
    snapshot: SnapshotOpt = None,
    group: GroupOpt = None,
    all_groups: AllOpt = False,
    message: Annotated[
        str | None,
        typer.Option("--message", "-m", metavar="TEXT", help="the revision's message"),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="DIR",
            help="Alembic versions folder (default: migrations/versions beside the config)",
        ),
    ] = None,
    old: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="OLD",
            help="bring a database from OLD's schema to production's: a snapshot "
            "file or a database URL (every difference, not the groups' tables)",
        ),
    ] = None,
    no_renames: Annotated[
        bool,
        typer.Option("--no-renames", help="with --from: drop and add, never rename"),
    ] = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="pre-flight on --url: each step run or skipped, and which would fail "
            "on its data; changes nothing (exit 1 when a step would fail)",
        ),
    ] = False,
    sql: Annotated[
        bool,
        typer.Option(
            "--sql",
            help="print the DDL upgrade() would run on --url (the production schema "
            "from --snapshot or the config's url_env); write nothing",
        ),
    ] = False,
    quiet: QuietOpt = False,
) -> None:
    """Write an Alembic revision creating the chosen groups' tables, or with --from OLD
    one that brings any database from OLD's schema to production's.

    Each step is guarded, so the revision is a no-op where production's form is there.

    Exit codes: 0 written (or already there, unchanged; or no changes), 1 --check: a
    step would fail on the target's data, 2 error.
    """
    from modelgen.generate.output import atomic_write
    from modelgen.generate.render import make_environment
    from modelgen.migration import (
        MigrationError,
        generate_migration,
        migration_sql,
        select_tables,
    )

    cfg = _load(config)
    if old is not None or check:
        from modelgen.cli.migration_from import migration_from

        migration_from(
            cfg, old, url, snapshot, out, message, no_renames, check, sql, quiet
        )
        return
    if sql:
        target = url or os.environ.get(cfg.url_env)
        if not target:
            raise MigrationError(
                f"--sql needs the database to compare with: pass --url or set {cfg.url_env}"
            )
        if snapshot is None and not os.environ.get(cfg.url_env):
            raise MigrationError(
                "--sql needs the production schema: pass --snapshot FILE or set "
                f"{cfg.url_env} (--url names the database the upgrade would run on)"
            )
        schema = _read_schema(cfg, None, snapshot, quiet, then="writing the revision")
    else:
        schema = _read_schema(cfg, url, snapshot, quiet, then="writing the revision")
    tables = select_tables(schema, cfg, group or [], all_groups)
    versions = (
        out.resolve() if out is not None else cfg.root / "migrations" / "versions"
    )
    if not sql and not versions.is_dir():
        raise MigrationError(
            f"{versions}: no such versions folder (pass --out VERSIONS_DIR; "
            "`alembic init` or `flask db init` creates one)"
        )
    if message is None:
        chosen = "all" if all_groups or not cfg.files else ", ".join(group or [])
        message = f"create the {chosen} tables (modelgen)"
    item = generate_migration(
        make_environment(cfg.templates), schema, tables, versions, message, cfg.bind
    )
    if sql:
        sys.stdout.write(migration_sql(item, target))  # type: ignore[arg-type]
        _note(
            quiet,
            f"-- {len(tables)} table(s) selected; the statements above are what "
            "upgrade() would run there; nothing written",
        )
        return
    if item.path.exists():
        if item.path.read_text(encoding="utf-8") == item.content:
            _done(quiet, f"unchanged {_rel(item.path)}")
            return
        raise ModelgenError(f"{item.path}: exists with other content; not replaced")
    atomic_write(item.path, item.content)
    _done(quiet, f"wrote {_rel(item.path)}")
    _done(quiet, f"  revision {item.revision}, down_revision {item.down_revision}")
    _done(quiet, f"  tables: {', '.join(item.tables)}")
