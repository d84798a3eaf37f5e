"""`modelgen diagram` and `modelgen docs` from a user's seat: the real process, on the
fixture app and its production snapshot (no database)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT

EXPECTED = FIXTURES / "diagrams" / "expected"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES / "app", tmp_path / "app")
    shutil.copy(FIXTURES / "modelgen.toml", tmp_path / "modelgen.toml")
    shutil.copytree(FIXTURES / "production", tmp_path / "production")
    return tmp_path


def modelgen(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "modelgen", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


SNAP = ("--snapshot", "production/schema.json")


def test_diagram_of_a_group_is_the_golden_one(project: Path) -> None:
    for fmt, suffix in (("mermaid", "mmd"), ("dot", "dot")):
        result = modelgen(project, "diagram", *SNAP, "--group", "critical", "-f", fmt)
        assert result.returncode == 0, result.stderr
        assert result.stdout == (EXPECTED / f"critical.{suffix}").read_text()
        assert result.stderr.strip().endswith("9 tables, 12 keys")


def test_tables_and_neighbours(project: Path) -> None:
    result = modelgen(
        project, "diagram", *SNAP, "--tables", "payments", "--neighbours", "0", "-q"
    )
    assert result.returncode == 0, result.stderr
    assert "  payments {" in result.stdout and "invoices" not in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--all",), "a diagram of 47 tables is too large to read (at most 40)"),
        (("--group", "critcal"), "no group 'critcal' in "),
        (("--tables", "paymnts"), "--tables: no table 'paymnts' in production"),
        ((), "choose what to draw: --group NAME, --tables T1,T2 or --all"),
    ],
)
def test_bad_choices_are_one_line_and_exit_2(
    project: Path, args: tuple[str, ...], message: str
) -> None:
    result = modelgen(project, "diagram", *SNAP, *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_too_large_suggests_a_group(project: Path) -> None:
    result = modelgen(project, "diagram", *SNAP, "--all")
    assert "draw one group (--group " in result.stderr
    result = modelgen(project, "diagram", *SNAP, "--all", "--max-tables", "0")
    assert result.returncode == 0
    assert result.stdout.count(" {\n") == 47


def test_docs_writes_pages_and_is_deterministic(project: Path) -> None:
    out = project / "docs" / "schema"
    result = modelgen(project, "docs", *SNAP, "--out", "docs/schema")
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "group-critical.md",
        "group-enterprise.md",
        "group-infrastructure.md",
        "index.md",
        "no-group.md",
    ]
    critical = (out / "group-critical.md").read_text()
    assert critical == (EXPECTED / "docs-fixture" / "group-critical.md").read_text()
    no_group = (out / "no-group.md").read_text()
    assert "Model: class `User` in `app/models/user.py` (hand-written)" in no_group
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    again = modelgen(project, "docs", *SNAP, "--out", "docs/schema")
    assert again.returncode == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_drift_markdown_draws_the_tables_with_drift(project: Path) -> None:
    result = modelgen(project, "drift", *SNAP, "--format", "markdown", "-q")
    assert result.returncode == 1, result.stderr
    text = result.stdout
    head, _, folded = text.partition(
        "<details><summary>Diagram: the tables with drift, and their neighbours"
    )
    assert folded, text
    block = folded.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert block.startswith('---\ntitle: "tables with drift"\n---\nerDiagram\n')
    # every table without a model is drawn, with its columns (not as a neighbour)
    for table in ("payments", "invoices", "user_devices", "background_jobs"):
        assert f"\n  {table} {{\n" in block
        assert f"| `{table}` |" in head
    assert 'users ||..o{ payments : "payer_id (to hand-written)"' in block
