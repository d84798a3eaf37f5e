"""``modelgen migration --from OLD`` and ``--check``: parse, call modelgen.migration, print."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import typer

from modelgen.cli.app import _note, _read_schema, _rel
from modelgen.errors import ModelgenError


def _old_schema(cfg: Any, old: str, quiet: bool) -> Any:
    """OLD: a snapshot file, or the URL of a database (read-only), read as
    production is (the config's schemas)."""
    from modelgen.generate.pipeline import load_schema
    from modelgen.migration import MigrationError

    if "://" in old:
        _note(quiet, "reading the old schema from its database (read-only) ...")
        return load_schema(cfg, old, None)
    path = Path(old)
    if not path.is_file():
        raise MigrationError(
            f"--from {old}: no such snapshot file (or pass a database URL)"
        )
    return load_schema(cfg, None, path)


def migration_from(
    cfg: Any,
    old: str | None,
    url: str | None,
    snapshot: Path | None,
    out: Path | None,
    message: str | None,
    no_renames: bool,
    check: bool,
    sql: bool,
    quiet: bool,
) -> None:
    from modelgen.generate.output import atomic_write
    from modelgen.generate.render import make_environment
    from modelgen.migration import MigrationError
    from modelgen.migration.render import diff_migration, diff_sql, preflight

    target = None
    if check or sql:
        # --url names the database looked at; production comes from elsewhere
        target = url or os.environ.get(cfg.url_env)
        if not target:
            raise MigrationError(
                f"--{'check' if check else 'sql'} needs the database to look at: pass --url"
            )
        if snapshot is None and not os.environ.get(cfg.url_env):
            raise MigrationError(
                "--check and --sql need production's schema: pass --snapshot FILE or set "
                f"{cfg.url_env} (--url names the database the upgrade would run on)"
            )
        production = _read_schema(cfg, None, snapshot, quiet, then="comparing")
    else:
        production = _read_schema(cfg, url, snapshot, quiet, then="comparing")
    before = _old_schema(cfg, old or target or "", quiet)
    versions = (
        out.resolve() if out is not None else cfg.root / "migrations" / "versions"
    )
    if not (check or sql) and not versions.is_dir():
        raise MigrationError(
            f"{versions}: no such versions folder (pass --out VERSIONS_DIR; "
            "`alembic init` or `flask db init` creates one)"
        )
    item = diff_migration(
        before,
        production,
        versions_dir=versions,
        message=message or "bring the schema to production's (modelgen)",
        renames=not no_renames,
        env=make_environment(cfg.templates),
        bind=cfg.bind,
    )
    if item is None:
        typer.echo("no changes: the old schema is production's")
        return
    if check:
        assert target is not None
        results = preflight(item, target)
        failing = 0
        for result in results:
            word = "run " if result.runs else "skip"
            if result.failure:
                word, failing = "FAIL", failing + 1
            typer.echo(
                f"{word} {result.label}"
                + (f": {result.failure}" if result.failure else "")
            )
        runs = sum(r.runs for r in results)
        _note(
            quiet,
            f"{runs} of {len(results)} step(s) would run; {failing} would fail; nothing changed",
        )
        if failing:
            raise typer.Exit(1)
        return
    if sql:
        assert target is not None
        sys.stdout.write(diff_sql(item, target))
        _note(
            quiet,
            "-- the statements above are what upgrade() would run there; nothing written",
        )
        return
    if item.path.exists():
        if item.path.read_text(encoding="utf-8") == item.content:
            typer.echo(f"unchanged {_rel(item.path)}")
            return
        raise ModelgenError(f"{item.path}: exists with other content; not replaced")
    atomic_write(item.path, item.content)
    typer.echo(f"wrote {_rel(item.path)}")
    typer.echo(f"  revision {item.revision}, down_revision {item.down_revision}")
    typer.echo(f"  steps ({len(item.steps)}):")
    for line in item.steps:
        typer.echo(f"    {line}")
    for title, lines in (("renames", item.renames), ("hazards", item.hazards)):
        if lines:
            typer.echo(f"  {title} ({len(lines)}):")
            for line in lines:
                typer.echo(f"    {line}")
