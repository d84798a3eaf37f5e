"""The `modelgen` console script: start-up, the run and exit, all under one Ctrl-C rule.

Kept free of heavy imports so that a Ctrl-C while Typer, SQLAlchemy and the
commands are still loading is the same one line and exit code 130 as one in the
middle of a run; once the run has its result, a late Ctrl-C changes nothing.
"""

from __future__ import annotations

import gc
import signal
import sys

from modelgen.interrupt import install, interrupted


def main() -> None:
    install()
    try:
        from modelgen.cli.main import run  # start-up: the slow imports

        code = run()
    except KeyboardInterrupt:
        code = interrupted()
    # finished: exit with its own code; SIG_IGN, because Python puts the default
    # action back for a handler of its own while it shuts down
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # what the run built (a snapshot, thousands of model classes, a syntax tree)
    # goes with the process: frozen, Python's last collection at exit does not
    # walk it all again first (a second of drift's four at 2,000 tables).  The
    # exit handlers still run: temporary folders are removed, files flushed.
    gc.freeze()
    sys.exit(code)
