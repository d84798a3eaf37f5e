"""The command line run: every command module registered on the one Typer app."""

from __future__ import annotations

import sys

import typer

# Importing a command module registers its commands; this order is --help's order.
# isort: off
from modelgen.cli import generate  # noqa: F401  generate, check, snapshot, verify, demo
from modelgen.cli import drift  # noqa: F401  drift, snapshot diff, init
from modelgen.cli import migration  # noqa: F401  migration
from modelgen.cli import diagram  # noqa: F401  diagram, docs
from modelgen.cli import sync  # noqa: F401  sync

# isort: on
from modelgen.cli.app import _err, app
from modelgen.interrupt import interrupted, reported

__all__ = ["app", "main", "run"]


def run(args: list[str] | None = None, prog_name: str = "modelgen") -> int:
    """One command line, to its exit code: command-line mistakes are one line and 2
    (``flask modelgen`` runs through here too)."""
    try:
        code = app(args=args, prog_name=prog_name, standalone_mode=False)
    except typer.Abort:  # click turns a Ctrl-C in its own code into Abort
        return interrupted()
    except typer.TyperException as exc:  # click's usage errors, vendored by Typer
        if type(exc).__name__ == "NoArgsIsHelpError":
            exc.show()  # type: ignore[attr-defined]
        else:
            message = exc.format_message()  # type: ignore[attr-defined]
            command = getattr(getattr(exc, "ctx", None), "command_path", prog_name)
            _err(f"{message} (see {command} --help)")
        return int(getattr(exc, "exit_code", 2))
    if code == 130 and not reported():  # Typer's own silent Ctrl-C handling
        return interrupted()
    return code if isinstance(code, int) else 0


def main() -> None:
    """The entry point of earlier installs (`modelgen.console.main` covers start-up too)."""
    try:
        code = run()
    except KeyboardInterrupt:
        code = interrupted()
    sys.exit(code)
