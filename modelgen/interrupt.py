"""Ctrl-C: while work is in progress, one line and exit code 130; once the run has
its result, a late Ctrl-C changes nothing and the run exits with its own code.

`console.main` installs the handler for the real process; commands (through
`cli.app.guarded`) call `result_decided` the moment their outcome is known.
In-process callers (tests, a Flask CLI) keep Python's own handler: there the
flag is never consulted.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType

_decided = [False]
_reported = [False]


def result_decided() -> None:
    """From here on the run only reports and exits: Ctrl-C no longer changes it."""
    _decided[0] = True


def work_started() -> None:
    _decided[0] = False


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    if not _decided[0]:
        raise KeyboardInterrupt


def install() -> None:
    signal.signal(signal.SIGINT, _on_sigint)


def interrupted() -> int:
    """Ctrl-C while work is in progress: one line on stderr and exit code 130.

    Further Ctrl-C are ignored from here on, so the line is never followed by a
    traceback; files are whole either way (every write is a rename, and the
    writes of one run are put back together when interrupted).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _reported[0] = True
    # CPython remembers a KeyboardInterrupt that left code run by exec(str) (the
    # dataclass decorator does that on import) and then kills itself with SIGINT
    # at exit, though the interrupt was handled; running exec(str) once more
    # clears that memory, so the exit code is our 130.
    exec("None")
    sys.stderr.write(
        "modelgen: interrupted; nothing is half-written (every file is old or new)\n"
    )
    sys.stderr.flush()
    return 130


def reported() -> bool:
    """Whether the interrupted line was printed (Typer turns a Ctrl-C outside our
    commands into a silent exit code 130)."""
    return _reported[0]
