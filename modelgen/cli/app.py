"""The Typer app, the options every command shares, and the one-line error boundary.

Command modules (generate, drift, migration) register on ``app``; ``cli.main``
imports them all.  Exit codes: 0 ok, 1 drift/refused, 2 error.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from modelgen.cli.coercion import install as _plain_option_values
from modelgen.errors import ModelgenError
from modelgen.interrupt import interrupted, result_decided, work_started

_plain_option_values()  # option values without importing pydantic (cli/coercion.py)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    # plain click help: the same layout in a terminal, a pipe and a CI log
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Generate the missing Flask-SQLAlchemy models from production PostgreSQL.",
    epilog="Exit codes: 0 ok, 1 drift or refused (see each command), 2 error, "
    "130 interrupted.  `modelgen COMMAND -h` for a command's options.",
)

F = TypeVar("F", bound=Callable[..., Any])

# Every option that takes a value names it (metavar): the help reads
# `--group NAME`, never a Python type.
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        metavar="FILE",
        help="modelgen.toml or pyproject.toml (default: found from here upward; "
        "a relative FILE is looked for from here upward too)",
    ),
]
UrlOpt = Annotated[
    str | None,
    typer.Option(
        "--url", metavar="URL", help="database URL (default: the config's url_env)"
    ),
]
InitUrlOpt = Annotated[
    str | None,
    typer.Option("--url", metavar="URL", help="database URL (default: $DATABASE_URL)"),
]
SnapshotOpt = Annotated[
    Path | None,
    typer.Option(
        "--snapshot", metavar="FILE", help="read a schema.json instead of a database"
    ),
]
GroupOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--group", "-g", metavar="NAME", help="a group of the config (repeatable)"
    ),
]
AllOpt = Annotated[bool, typer.Option("--all", help="every group of the config")]
ViewsOpt = Annotated[
    bool,
    typer.Option("--views", help="no config: also map views read-only (never created)"),
]
SplitOpt = Annotated[
    int,
    typer.Option(
        "--split",
        min=0,
        help="no config: at most N tables per module (public_01.py, ...); 0: one per schema",
    ),
]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out", metavar="DIR", help="output package folder (default: the config's)"
    ),
]
QuietOpt = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="only errors, warnings and reports: no progress, summary or 'wrote' lines",
    ),
]


def _version(value: bool) -> None:
    if value:
        from modelgen import __version__

        typer.echo(f"modelgen {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            callback=_version,
            help="print the version and exit",
        ),
    ] = False,
) -> None:
    """Generate the missing Flask-SQLAlchemy models from production PostgreSQL."""


def _note(quiet: bool, message: str) -> None:
    """A summary or progress line on stderr, unless --quiet."""
    if not quiet:
        typer.echo(message, err=True)


def _done(quiet: bool, message: str) -> None:
    """A 'wrote FILE' line on stdout (what a run did, not what needs attention),
    unless --quiet."""
    if not quiet:
        typer.echo(message)


def _err(message: str) -> None:
    typer.echo(f"modelgen: error: {message}", err=True)


def guarded(func: F) -> F:
    """Every ModelgenError becomes one line on stderr and its exit code; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        work_started()
        try:
            result = func(*args, **kwargs)
        except (typer.Exit, ModelgenError) as exc:
            result_decided()  # its code is the run's, whatever comes after
            if isinstance(exc, ModelgenError):
                _err(str(exc))
                raise typer.Exit(exc.exit_code) from None
            raise
        except KeyboardInterrupt:
            raise typer.Exit(interrupted()) from None
        result_decided()
        return result

    return wrapper  # type: ignore[return-value]


def _status(message: str) -> None:
    """Progress on stderr, on a terminal only (CI logs and pipes stay clean)."""
    if sys.stderr.isatty():
        sys.stderr.write(f"\r\033[K{message}")
        sys.stderr.flush()


def _read_schema(
    cfg: Any,
    url: str | None,
    snapshot: Path | None,
    quiet: bool = False,
    then: str = "generating",
) -> Any:
    import time

    from modelgen.generate.pipeline import load_schema

    start = time.perf_counter()
    status = (lambda message: None) if quiet else _status
    status(
        "reading the schema ..." if snapshot else "reading the catalog (read-only) ..."
    )
    schema = load_schema(cfg, url, snapshot)
    status(
        f"read {len(schema.tables)} tables in {time.perf_counter() - start:.1f} s; "
        f"{then} ...\n"
    )
    return schema


# `flask modelgen` adds one: it fills in what the Flask app knows (database URL, db, models)
CONFIG_HOOKS: list[Callable[[Any], Any]] = []


def _with_hooks(config: Any) -> Any:
    for hook in CONFIG_HOOKS:
        config = hook(config)
    return config


def _load(config_path: Path | None, views: bool = False, split: int = 0) -> Any:
    from dataclasses import replace

    from modelgen.config import find_config, load_config

    config = load_config(find_config(config_path, Path.cwd()), Path.cwd())
    config = replace(config, views=True) if views else config
    config = replace(config, split=split) if split else config
    return _with_hooks(config)


# its help is the `snapshot` callback's docstring (cli/generate.py)
snapshot_app = typer.Typer(invoke_without_command=True)
app.add_typer(snapshot_app, name="snapshot")


def _report_list(label: str, items: tuple[str, ...], most: int = 10) -> None:
    if items:
        more = f" ... ({len(items) - most} more)" if len(items) > most else ""
        typer.echo(f"{label} ({len(items)}): {', '.join(items[:most])}{more}", err=True)


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
