"""The command line: the Typer app, shared options, one module per command family."""

from modelgen.cli.main import app, main

__all__ = ["app", "main"]
