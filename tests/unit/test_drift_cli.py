"""The drift, snapshot diff and init commands without a database (synthetic snapshots)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

from modelgen.catalog.schema import Column, Schema, Table, TypeRef
from modelgen.catalog.snapshot import write_snapshot

INT = TypeRef("integer", "int4", "pg_catalog", "b")


def modelgen(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "modelgen", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(ROOT)},
        check=False,
    )


def snapshot(path: Path, *names: str) -> Path:
    tables = tuple(Table("public", n, (Column("id", INT, False),)) for n in names)
    write_snapshot(Schema(tables=tables), path)
    return path


def test_snapshot_diff_exit_codes(tmp_path: Path) -> None:
    old = snapshot(tmp_path / "old.json", "users", "gone")
    new = snapshot(tmp_path / "new.json", "users", "fresh")
    same = modelgen(tmp_path, "snapshot", "diff", "old.json", "old.json")
    assert same.returncode == 0 and "no changes" in same.stdout
    changed = modelgen(tmp_path, "snapshot", "diff", str(old), str(new), "-f", "json")
    assert changed.returncode == 1, changed.stderr
    payload = json.loads(changed.stdout)
    assert payload["tables_added"] == ["fresh"]
    assert payload["tables_removed"] == ["gone"]
    (tmp_path / "bad.json").write_text("{")
    broken = modelgen(tmp_path, "snapshot", "diff", "old.json", "bad.json")
    assert broken.returncode == 2
    assert "bad.json" in broken.stderr and "Traceback" not in broken.stderr


def test_a_bad_ignore_file_fails_before_any_connection(project: Path) -> None:
    (project / ".modelgen-ignore").write_text("# ok\nusers.nickname\n")
    result = modelgen(
        project, "drift", "--url", "postgresql://u:pw@127.0.0.1:1/db", "-q"
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"modelgen: error: {project / '.modelgen-ignore'}:2: 'users.nickname' has no "
        "reason; write 'users.nickname: why it is ignored'"
    ]


def test_drift_from_a_snapshot_without_a_database(project: Path) -> None:
    snapshot(project / "schema.json", "users", "payments")
    result = modelgen(project, "drift", "--snapshot", "schema.json", "-f", "json")
    assert result.returncode == 1, result.stderr
    payload = json.loads(result.stdout)
    assert [t["table"] for t in payload["tables_without_model"]] == ["payments"]
    keys = {f["key"] for f in payload["findings"] if f["level"] == "drift"}
    # production's users has only an id here: the model's other columns are extra
    assert "users.email" in keys and "payments" in keys
    assert "categories" in keys  # a hand-written model whose table is absent
    assert "reading production" in result.stderr


def test_drift_needs_a_config(tmp_path: Path) -> None:
    snapshot(tmp_path / "schema.json", "users")
    result = modelgen(tmp_path, "drift", "--snapshot", "schema.json")
    assert result.returncode == 2 and "modelgen init" in result.stderr


def test_init_from_a_snapshot_and_never_over_an_existing_config(project: Path) -> None:
    (project / "modelgen.toml").unlink()
    snapshot(project / "schema.json", "users", "payments", "alembic_version")
    result = modelgen(project, "init", "--snapshot", "schema.json")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("wrote modelgen.toml: 1 table(s) without a model")
    assert "models in app/models" in result.stdout
    text = (project / "modelgen.toml").read_text()
    assert '"payments.py" = ["payments"]' in text
    assert 'ignore = ["alembic_version"]' in text
    again = modelgen(project, "init", "--snapshot", "schema.json")
    assert again.returncode == 2
    assert "already exists" in again.stderr
    assert (project / "modelgen.toml").read_text() == text
    (project / "modelgen.toml").unlink()
    quiet = modelgen(project, "init", "--snapshot", "schema.json", "-q")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""
    assert (project / "modelgen.toml").read_text() == text
