"""`modelgen sync` refusals from a user's seat, with production read from a snapshot
(no database): one line, exit 2, and not one file of the project touched."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT


def modelgen(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "modelgen", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
            "PYTHONPATH": str(ROOT),
        },
    )


def tree(project: Path) -> dict[str, str]:
    return {
        str(p.relative_to(project)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(project.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """The fixture app, critical group generated, schema.json committed, and a
    production snapshot where payments has one more column."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copytree(FIXTURES / "app", project / "app")
    shutil.copy(FIXTURES / "modelgen.toml", project / "modelgen.toml")
    shutil.copy(FIXTURES / "production" / "schema.json", project / "schema.json")
    result = modelgen(
        project, "generate", "--snapshot", "schema.json", "-g", "critical"
    )
    assert result.returncode == 0, result.stderr
    data = json.loads((project / "schema.json").read_text())
    payments = next(t for t in data["schema"]["tables"] if t["name"] == "payments")
    payments["columns"].append({"name": "refund_reason", "type": "text"})
    (tmp_path / "prod.json").write_text(json.dumps(data))
    (project / "migrations" / "versions").mkdir(parents=True)
    return project


PROD = ("--snapshot", "../prod.json")


def test_dry_run_prints_the_body_and_writes_nothing(app: Path) -> None:
    before = tree(app)
    result = modelgen(app, "sync", *PROD, "--dry-run")
    assert result.returncode == 1, result.stderr
    assert "- `payments`: column added: refund_reason (text)" in result.stdout
    assert "| `app/models/payments.py` | regenerated: payments changed" in result.stdout
    assert "dry run: 3 file(s) would change; nothing written" in result.stderr
    assert tree(app) == before


def test_same_schema_is_exit_0(app: Path) -> None:
    before = tree(app)
    result = modelgen(app, "sync", "--snapshot", "schema.json")
    assert (result.returncode, result.stdout) == (0, "")
    assert tree(app) == before


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("no-snapshot", "schema.json: no committed snapshot (write one with"),
        ("no-versions", "versions: no such versions folder for the migration"),
        ("hand-edit", "app/models/payments.py:"),
    ],
)
def test_refusals_are_one_line_exit_2_and_write_nothing(
    app: Path, setup: str, message: str
) -> None:
    if setup == "no-snapshot":
        (app / "schema.json").unlink()
    elif setup == "no-versions":
        shutil.rmtree(app / "migrations")
    else:  # a hand edit to a column modelgen owns in a generated file
        payments = app / "app" / "models" / "payments.py"
        text = payments.read_text()
        edited = text.replace("db.Numeric(12, 2)", "db.Numeric(14, 2)", 1)
        assert edited != text
        payments.write_text(edited)
    before = tree(app)
    result = modelgen(app, "sync", *PROD)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    if setup == "hand-edit":  # the file and line, then what happened
        assert "statements modelgen owns were edited by hand" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stdout == ""
    assert tree(app) == before


def test_a_dropped_table_keeps_its_class_for_the_hand_code_and_says_so(
    tmp_path: Path,
) -> None:
    """user_sessions shares payments.py here; production drops it.  The class
    stays (code was added to it), and the body says what to do by hand."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copytree(FIXTURES / "app", project / "app")
    config = (FIXTURES / "modelgen.toml").read_text()
    config = config.replace('"user_sessions.py" = ["user_sessions"]\n', "")
    config = config.replace(
        '"payments.py" = ["payments"]', '"payments.py" = ["payments", "user_sessions"]'
    )
    (project / "modelgen.toml").write_text(config)
    shutil.copy(FIXTURES / "production" / "schema.json", project / "schema.json")
    (project / "migrations" / "versions").mkdir(parents=True)
    result = modelgen(
        project, "generate", "--snapshot", "schema.json", "-g", "critical"
    )
    assert result.returncode == 0, result.stderr
    payments = project / "app" / "models" / "payments.py"
    text = payments.read_text()
    marker = '    __tablename__ = "user_sessions"\n'
    assert marker in text
    payments.write_text(
        text.replace(marker, marker + "\n    def is_open(self):\n        return True\n")
    )
    data = json.loads((project / "schema.json").read_text())
    data["schema"]["tables"] = [
        t for t in data["schema"]["tables"] if t["name"] != "user_sessions"
    ]
    (tmp_path / "prod.json").write_text(json.dumps(data))

    result = modelgen(project, "sync", *PROD)
    assert result.returncode == 1, result.stderr
    body = result.stdout
    assert "- `user_sessions`: table removed" in body
    assert (
        "- class UserSession in app/models/payments.py:" in body
        and "maps user_sessions, which this file no longer generates; kept for the "
        "code you added" in body
    )
    assert (
        "- `user_sessions` is gone from production: remove it from "
        '`[groups.critical]` "payments.py" in the config' in body
    )
    kept = payments.read_text()
    assert "class UserSession(Model):" in kept and "def is_open(self):" in kept
    assert "drop table public.user_sessions" in body.lower()
