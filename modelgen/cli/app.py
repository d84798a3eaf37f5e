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

from modelgen.errors import ModelgenError

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


def _read_schema(
    cfg: Any, url: str | None, snapshot: Path | None, then: str = "generating"
) -> Any:
    import time

    from modelgen.generate.pipeline import load_schema

    start = time.perf_counter()
    _status(
        "reading the schema ..." if snapshot else "reading the catalog (read-only) ..."
    )
    schema = load_schema(cfg, url, snapshot)
    _status(
        f"read {len(schema.tables)} tables in {time.perf_counter() - start:.1f} s; "
        f"{then} ...\n"
    )
    return schema


def _load(config_path: Path | None, views: bool = False, split: int = 0) -> Any:
    from dataclasses import replace

    from modelgen.config import find_config, load_config

    config = load_config(find_config(config_path, Path.cwd()), Path.cwd())
    config = replace(config, views=True) if views else config
    return replace(config, split=split) if split else config


snapshot_app = typer.Typer(
    invoke_without_command=True,
    help="Save the reflected schema as JSON; `snapshot diff OLD NEW` compares two.",
)
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
