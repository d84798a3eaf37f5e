"""Typer commands only: parse, call, print, exit code (0 ok, 1 drift/refused, 2 error)."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from .errors import ModelgenError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    help="Generate the missing Flask-SQLAlchemy models from production PostgreSQL.",
)

F = TypeVar("F", bound=Callable[..., Any])

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="modelgen.toml or pyproject.toml")
]
UrlOpt = Annotated[
    str | None,
    typer.Option("--url", help="database URL (default: the config's url_env)"),
]
SnapshotOpt = Annotated[
    Path | None,
    typer.Option("--snapshot", help="read a schema.json instead of a database"),
]
GroupOpt = Annotated[
    list[str] | None,
    typer.Option("--group", "-g", help="a group of the config (repeatable)"),
]
AllOpt = Annotated[bool, typer.Option("--all", help="every group of the config")]
ViewsOpt = Annotated[
    bool,
    typer.Option("--views", help="no config: also map views read-only (never created)"),
]
OutOpt = Annotated[
    Path | None,
    typer.Option("--out", help="output package folder (default: the config's)"),
]


def _err(message: str) -> None:
    typer.echo(f"modelgen: error: {message}", err=True)


def guarded(func: F) -> F:
    """Every ModelgenError becomes one line on stderr and its exit code; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ModelgenError as exc:
            _err(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            _err("interrupted; files are either old or new, never half-written")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def _status(message: str) -> None:
    """Progress on stderr, on a terminal only (CI logs and pipes stay clean)."""
    if sys.stderr.isatty():
        sys.stderr.write(f"\r\033[K{message}")
        sys.stderr.flush()


def _read_schema(cfg: Any, url: str | None, snapshot: Path | None) -> Any:
    import time

    from .pipeline import load_schema

    start = time.perf_counter()
    _status(
        "reading the schema ..." if snapshot else "reading the catalog (read-only) ..."
    )
    schema = load_schema(cfg, url, snapshot)
    _status(
        f"read {len(schema.tables)} tables in {time.perf_counter() - start:.1f} s; "
        "generating ...\n"
    )
    return schema


def _load(config_path: Path | None, views: bool = False) -> Any:
    from dataclasses import replace

    from .config import find_config, load_config

    config = load_config(find_config(config_path, Path.cwd()), Path.cwd())
    return replace(config, views=True) if views else config


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
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="print the diff, write nothing")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="replace hand-edited files (a .bak is kept)")
    ] = False,
) -> None:
    """Write the model files of the chosen groups (or bootstrap a package with no config)."""
    from .output import compare_files, write_files
    from .pipeline import generate_files

    cfg = _load(config, views)
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
) -> None:
    """Regenerate in memory and diff against the files on disk: exit 0 in sync, 1 drift."""
    from .output import compare_files
    from .pipeline import generate_files

    cfg = _load(config, views)
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


snapshot_app = typer.Typer(
    invoke_without_command=True,
    help="Save the reflected schema as JSON; `snapshot diff OLD NEW` compares two.",
)
app.add_typer(snapshot_app, name="snapshot")


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
    from .pipeline import load_schema
    from .snapshot import write_snapshot

    cfg = _load(config)
    schema = load_schema(cfg, url, None)
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
    from .build import select_specs
    from .scratch import embedded_url
    from .verify import verify_schema

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
    from .demo import run_demo

    target, written, _ = run_demo(directory.resolve(), url)
    typer.echo(f"fixture production loaded; fixture app copied to {_rel(target)}")
    for path in written:
        typer.echo(f"wrote {_rel(path)}")
    if written:
        first = next((p for p in written if p.name == "payments.py"), written[0])
        typer.echo(f"\n--- {_rel(first)} ---")
        typer.echo(first.read_text(encoding="utf-8"))


def _report_list(label: str, items: tuple[str, ...], most: int = 10) -> None:
    if items:
        more = f" ... ({len(items) - most} more)" if len(items) > most else ""
        typer.echo(f"{label} ({len(items)}): {', '.join(items[:most])}{more}", err=True)


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main() -> None:
    """Console entry point: command-line mistakes are one line and exit 2 as well."""
    try:
        code = app(prog_name="modelgen", standalone_mode=False)
    except typer.Abort:
        _err("interrupted")
        sys.exit(130)
    except typer.TyperException as exc:  # click's usage errors, vendored by Typer
        if type(exc).__name__ == "NoArgsIsHelpError":
            exc.show()  # type: ignore[attr-defined]
        else:
            message = exc.format_message()  # type: ignore[attr-defined]
            command = getattr(getattr(exc, "ctx", None), "command_path", "modelgen")
            _err(f"{message} (see {command} --help)")
        sys.exit(getattr(exc, "exit_code", 2))
    sys.exit(code if isinstance(code, int) else 0)


from . import commands_drift  # noqa: E402,F401
from . import commands_migration as commands_migration  # noqa: E402,F401
