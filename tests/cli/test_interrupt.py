"""Ctrl-C, sent as a real SIGINT to the real process: while work is in progress
(start-up included) one line and exit 130; once the run has its result, the
run's own exit code."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import ROOT

LINE = "modelgen: interrupted; nothing is half-written (every file is old or new)"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
CHECK = ["check", "--snapshot", "production/schema.json"]


def interrupted_cleanly(proc: subprocess.Popen[str]) -> bool:
    """True for the one line and 130; False for a run that finished on its own."""
    out, err = proc.communicate(timeout=120)
    if proc.returncode == 130:
        assert err.splitlines()[-1] == LINE, err
        assert err.count("modelgen:") == 1 and "Traceback" not in err, err
        return True
    assert proc.returncode == 1, (proc.returncode, err)  # check's own: files differ
    assert "interrupted" not in err and "Traceback" not in err, err
    return False


def start(project: Path) -> subprocess.Popen[str]:
    """`modelgen check` as the console script runs it, once the interpreter itself is
    up (its own start-up, `site` included, is Python's, not modelgen's)."""
    starter = (
        "import sys, modelgen.console; print('ready', flush=True); "
        f"sys.argv = ['modelgen', *{CHECK!r}]; modelgen.console.main()"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", starter],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    return proc


def test_ctrl_c_during_start_up_is_one_line_and_130(project: Path) -> None:
    proc = start(project)
    time.sleep(0.05)
    proc.send_signal(signal.SIGINT)  # Typer, SQLAlchemy and the commands still loading
    assert interrupted_cleanly(proc)


def test_ctrl_c_at_any_moment_of_a_run_is_one_line_and_130(project: Path) -> None:
    outcomes = []
    for delay in (0.05, 0.5, 1.0, 1.5, 2.0, 3.0):
        proc = start(project)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        outcomes.append(interrupted_cleanly(proc))
    assert outcomes[0], "the earliest Ctrl-C must have caught the run at work"


def test_ctrl_c_after_the_run_has_its_result_keeps_the_result(project: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "modelgen", *CHECK],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert proc.stderr is not None
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if "differ from the schema" in line:  # the last line: the result is decided
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
            break
    lines += proc.stderr.readlines()
    assert proc.wait(timeout=60) == 1, "".join(lines)
    assert not any("interrupted" in line for line in lines)
