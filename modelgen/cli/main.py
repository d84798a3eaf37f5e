"""Console entry point: every command module registered on the one Typer app."""

from __future__ import annotations

import sys

import typer

# Importing a command module registers its commands; this order is --help's order.
# isort: off
from modelgen.cli import generate  # noqa: F401  generate, check, snapshot, verify, demo
from modelgen.cli import drift  # noqa: F401  drift, snapshot diff, init
from modelgen.cli import migration  # noqa: F401  migration

# isort: on
from modelgen.cli.app import _err, app

__all__ = ["app", "main"]


def main() -> None:
    """Console entry point: command-line mistakes are one line and exit 2 as well."""
    sys.exit(run(sys.argv[1:], "modelgen"))


def run(args: list[str], prog_name: str) -> int:
    """Run one command line; the exit code (``flask modelgen`` runs through here too)."""
    try:
        code = app(args=args, prog_name=prog_name, standalone_mode=False)
    except typer.Abort:
        _err("interrupted")
        return 130
    except typer.TyperException as exc:  # click's usage errors, vendored by Typer
        if type(exc).__name__ == "NoArgsIsHelpError":
            exc.show()  # type: ignore[attr-defined]
        else:
            message = exc.format_message()  # type: ignore[attr-defined]
            command = getattr(getattr(exc, "ctx", None), "command_path", prog_name)
            _err(f"{message} (see {command} --help)")
        return int(getattr(exc, "exit_code", 2))
    return code if isinstance(code, int) else 0
