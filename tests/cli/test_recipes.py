"""docs/ci-recipes.md runs: every `modelgen` line of its YAML blocks, against the fixture app.

The commands live in one place, the doc; this test extracts the ``run:`` steps
of each YAML block and runs their ``modelgen`` lines with bash (so redirections
and ``|| true`` behave as in CI), with a ``modelgen`` executable on PATH.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import PRODUCTION_SQL, ROOT

RECIPES = ROOT / "docs" / "ci-recipes.md"
HOOKS = ROOT / ".pre-commit-hooks.yaml"


def yaml_blocks(text: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)


def run_steps(block: str) -> list[str]:
    """The shell lines of every ``run:`` step (single line or ``run: |`` block)."""
    lines = block.splitlines()
    commands: list[str] = []
    for i, line in enumerate(lines):
        match = re.match(r"^(\s*)(?:- )?run: (.*)$", line)
        if not match:
            continue
        value = match.group(2).strip()
        if value not in ("|", ">"):
            commands.append(value)
            continue
        indent = len(match.group(1))
        for follow in lines[i + 1 :]:
            if follow.strip() and len(follow) - len(follow.lstrip()) <= indent:
                break
            if follow.strip():
                commands.append(follow.strip())
    return commands


def modelgen_lines(block: str) -> list[str]:
    return [c for c in run_steps(block) if c.startswith("modelgen ")]


def block_with(marker: str) -> str:
    blocks = [b for b in yaml_blocks(RECIPES.read_text()) if marker in b]
    assert len(blocks) == 1, f"one YAML block with {marker!r} in {RECIPES}"
    return blocks[0]


@pytest.fixture
def shell_env(tmp_path: Path) -> dict[str, str]:
    """PATH with a `modelgen` that runs this checkout; no DATABASE_URL."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "modelgen"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m modelgen "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    env["GITHUB_STEP_SUMMARY"] = str(tmp_path / "step-summary.md")
    return env


def run(line: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True
    )


@pytest.fixture
def synced(project: Path, production_url: str, shell_env: dict[str, str]) -> Path:
    """The fixture app with every group generated and schema.json committed."""
    for line in (
        f"modelgen generate --url '{production_url}' --all",
        f"modelgen snapshot --url '{production_url}' -o schema.json",
    ):
        result = run(line, project, shell_env)
        assert result.returncode == 0, result.stderr
    return project


def test_the_doc_has_the_commands_the_recipes_promise() -> None:
    pull_request = modelgen_lines(block_with("on: pull_request"))
    assert "modelgen check --snapshot schema.json --all" in pull_request
    assert "modelgen drift --snapshot schema.json --format github" in pull_request
    nightly = modelgen_lines(block_with("fresh-schema.json"))
    assert nightly[0] == "modelgen snapshot -o fresh-schema.json"
    assert "modelgen drift --snapshot fresh-schema.json --format github" in nightly
    assert "DATABASE_URL: ${{ secrets.MODELGEN_READONLY_URL }}" in block_with(
        "fresh-schema.json"
    )


def test_pull_request_recipe_passes_in_sync_and_fails_on_drift(
    synced: Path, shell_env: dict[str, str]
) -> None:
    lines = modelgen_lines(block_with("on: pull_request"))
    for line in lines:
        result = run(line, synced, shell_env)
        assert result.returncode == 0, (line, result.stdout, result.stderr)
    assert (synced / "drift.md").read_text().startswith("### ✅ modelgen drift")

    # production (as committed in the snapshot) gains a column the model lacks
    snapshot = json.loads((synced / "schema.json").read_text())
    users = next(t for t in snapshot["schema"]["tables"] if t["name"] == "users")
    extra = json.loads(json.dumps(users["columns"][-1]))
    extra.update(name="nickname", default=None, comment=None)
    users["columns"].append(extra)
    (synced / "schema.json").write_text(json.dumps(snapshot))
    codes = {line: run(line, synced, shell_env) for line in lines}
    check = codes["modelgen check --snapshot schema.json --all"]
    assert check.returncode == 0, check.stdout  # users is hand-written
    drift = codes["modelgen drift --snapshot schema.json --format github"]
    assert drift.returncode == 1
    assert "::error file=app/models/user.py,line=11," in drift.stdout
    assert "nickname" in (synced / "drift.md").read_text()


def test_scheduled_recipe_refreshes_the_snapshot_and_fails_on_drift(
    synced: Path,
    shell_env: dict[str, str],
    production_url: str,
    make_db: Callable[[], str],
) -> None:
    lines = modelgen_lines(block_with("fresh-schema.json"))
    env = {**shell_env, "DATABASE_URL": production_url}
    for line in lines:
        result = run(line, synced, env)
        assert result.returncode == 0, (line, result.stdout, result.stderr)
    assert (synced / "fresh-schema.json").read_bytes() == (
        synced / "schema.json"
    ).read_bytes()
    assert "no changes" in Path(env["GITHUB_STEP_SUMMARY"]).read_text()

    from modelgen.catalog.scratch import execute, run_sql_file

    drifted = make_db()
    run_sql_file(drifted, PRODUCTION_SQL)
    execute(drifted, "ALTER TABLE users ADD COLUMN nickname varchar(40)")
    env["DATABASE_URL"] = drifted
    results = [run(line, synced, env) for line in lines]
    assert [r.returncode for r in results] == [0, 0, 1]
    assert "column added: nickname" in Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    assert "users.nickname" in results[2].stdout


def test_pre_commit_hook_runs_modelgen_check(
    synced: Path, shell_env: dict[str, str]
) -> None:
    hook = dict(re.findall(r"^\s*-?\s*(\w+): (.+)$", HOOKS.read_text(), re.MULTILINE))
    assert hook["id"] == "modelgen-check"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] == "false"
    assert hook["entry"] == "modelgen check"
    config = block_with("repos:")
    assert "id: modelgen-check" in config
    args = re.search(r"args: \[(.*)\]", config)
    assert args is not None
    line = " ".join([hook["entry"], *(a.strip() for a in args.group(1).split(","))])
    result = run(line, synced, shell_env)
    assert result.returncode == 0, result.stderr
    assert "in sync" in result.stderr
