"""The end of a run: what it built goes with the process, not through one more
full collection while Python finalizes (gc.freeze in modelgen/console.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
CHECK = ["check", "--snapshot", "production/schema.json"]


def test_the_run_is_frozen_before_python_finalizes_and_keeps_its_exit_code(
    project: Path,
) -> None:
    # registered before the run: the last exit handler, so it sees what
    # Python's final collection would have to walk
    starter = (
        "import atexit, gc, sys, modelgen.console\n"
        "atexit.register(lambda: print('frozen', gc.get_freeze_count(), file=sys.stderr))\n"
        f"sys.argv = ['modelgen', *{CHECK!r}]\n"
        "modelgen.console.main()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", starter],
        cwd=project,
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr  # check's own verdict: files differ
    assert "Traceback" not in proc.stderr
    found = re.search(r"^frozen (\d+)$", proc.stderr, re.M)
    assert found, proc.stderr
    # the snapshot, the plan, the rendered files, the imported libraries
    assert int(found.group(1)) > 10_000, proc.stderr
