"""The one error type the command line catches, and its kinds (each maps to an exit code)."""

from __future__ import annotations


def first_line(exc: BaseException, default: str = "") -> str:
    """The first non-empty line of an exception's message (messages are one line)."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else (default or type(exc).__name__)


class ModelgenError(Exception):
    """A problem the user can fix: printed as one line, exit code 2."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(ModelgenError):
    """The configuration file is missing, malformed or inconsistent."""


class DatabaseError(ModelgenError):
    """The database could not be reached or read (never carries a password)."""


class SnapshotError(ModelgenError):
    """A snapshot file is unreadable, truncated or of an unknown format."""


class RenderError(ModelgenError):
    """Something in the schema cannot be rendered as safe code."""


class RefusedError(ModelgenError):
    """A write was refused to protect a hand edit: exit 1, nothing written."""

    exit_code = 1
