"""Every command's --help, walked from the real command tree: uniform and accurate."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Any

import pytest
import typer
from conftest import ROOT

from modelgen.cli.main import app


def command_paths() -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        found.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            if not sub.hidden:
                walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return found


def modelgen(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "modelgen", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"},
    )


def test_the_walk_sees_every_command() -> None:
    names = {" ".join(p) for p in command_paths()}
    assert {"generate", "check", "drift", "snapshot", "snapshot diff", "init"} <= names


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(p) or "-")
def test_help_is_uniform_and_accurate(path: tuple[str, ...]) -> None:
    long = modelgen(*path, "--help")
    short = modelgen(*path, "-h")
    assert long.returncode == 0 and short.returncode == 0, long.stderr + short.stderr
    assert short.stdout == long.stdout
    text = long.stdout
    assert not re.search(r"<(bool|str|path|int|list\[[^]]*\])>", text), text
    assert "-h, --help" in text
    assert "Exit codes:" in text  # every command says what its exit codes mean
    if path:  # every command that does work can be quieted
        assert "-q, --quiet" in text
    if path == ("init",):
        assert "config's url_env" not in text  # init has no config yet
        assert "--url URL" in text and "$DATABASE_URL" in text
    if path == ("check",):
        assert "-g, --group NAME" in text and "--snapshot FILE" in text


def test_version() -> None:
    from modelgen import __version__

    proc = modelgen("--version")
    assert proc.returncode == 0
    assert proc.stdout == f"modelgen {__version__}\n"


def test_snapshot_diff_says_no_changes_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from conftest import FIXTURES

    snapshot = str(FIXTURES / "production" / "schema.json")
    for fmt in ("text", "markdown", "json"):
        proc = modelgen("snapshot", "diff", snapshot, snapshot, "--format", fmt)
        assert proc.returncode == 0
        said = (proc.stdout + proc.stderr).count("no changes")
        assert said == 1, (fmt, proc.stdout, proc.stderr)
