"""The one error type the command line catches, and its kinds (each maps to an exit code)."""

from __future__ import annotations

from collections.abc import Iterable


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


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'payments'?)`` for the closest candidate, else ``""``: the
    suffix every "no such table / group / ..." message ends with."""
    import difflib

    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""
