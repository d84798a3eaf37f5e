"""docs/ci-recipes.md's `modelgen sync` jobs run: each job's shell script as written
in the doc (GitHub Actions `run: |` steps, GitLab `script:` lines), with bash,
against the fixture app and a real production database.  The tools the scripts
hand off to (curl, git, glab) are stand-ins on PATH that record their arguments."""

from __future__ import annotations

import hashlib
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
DRIFT = "ALTER TABLE users ADD COLUMN nickname varchar(40)"


def block(marker: str, fence: str = "yaml") -> str:
    blocks = re.findall(rf"```{fence}\n(.*?)```", RECIPES.read_text(), re.S)
    found = [b for b in blocks if marker in b]
    assert len(found) == 1, f"one YAML block with {marker!r}"
    return found[0]


def run_script(text: str, containing: str) -> str:
    """The ``run: |`` script (its lines dedented) of the step that has ``containing``."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        match = re.match(r"^(\s*)(?:- )?run: \|$", line)
        if not match:
            continue
        body = []
        for follow in lines[i + 1 :]:
            if follow.strip() and len(follow) - len(follow.lstrip()) <= len(
                match.group(1)
            ):
                break
            body.append(follow.strip())
        script = "\n".join(body).strip()
        if containing in script:
            return script + "\n"
    raise AssertionError(f"no run: | step with {containing!r}")


def gitlab_script(text: str) -> str:
    """The job's ``script:`` lines, but the dependency install."""
    items = re.findall(r"^    - (.*)$", text.split("  script:\n", 1)[1], re.M)
    return "\n".join(i for i in items if not i.startswith("pip install")) + "\n"


def tree(project: Path) -> dict[str, str]:
    return {
        str(p.relative_to(project)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(project.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.fixture
def tools(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """PATH with `modelgen` (this checkout) and recording curl, git and glab."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls.log"
    scripts = {
        "modelgen": f'#!/bin/sh\nexec "{sys.executable}" -m modelgen "$@"\n',
        "curl": f'#!/bin/sh\necho "curl $*" >> "{calls}"\ncat >> "{calls}"\n',
        "git": f'#!/bin/sh\necho "git $*" >> "{calls}"\n',
        "glab": f'#!/bin/sh\necho "glab $1 $2 $3" >> "{calls}"\n',
    }
    for name, text in scripts.items():
        path = bin_dir / name
        path.write_text(text)
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    env["RUNNER_TEMP"] = str(tmp_path)
    env["GITHUB_OUTPUT"] = str(tmp_path / "github-output")
    env["WEBHOOK"] = "https://hooks.example.invalid/T000"
    env["CI_DEFAULT_BRANCH"] = "main"
    return env, calls


@pytest.fixture
def committed(project: Path, production_url: str, tools) -> Path:  # type: ignore[no-untyped-def]
    """The fixture app with every group generated, schema.json and a versions folder."""
    env, _ = tools
    for args in (["generate", "--all"], ["snapshot", "-o", "schema.json"]):
        result = subprocess.run(
            ["modelgen", *args, "--url", production_url],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
    (project / "migrations" / "versions").mkdir(parents=True)
    return project


def bash(script: str, cwd: Path, env: dict[str, str], url: str):  # type: ignore[no-untyped-def]
    return subprocess.run(
        ["bash", "-c", script],
        cwd=cwd,
        env={**env, "DATABASE_URL": url, "MODELGEN_READONLY_URL": url},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def drifted(make_db: Callable[[], str]) -> str:
    from modelgen.catalog.scratch import execute, run_sql_file

    url = make_db()
    run_sql_file(url, PRODUCTION_SQL)
    execute(url, DRIFT)
    return url


def test_the_sync_job_opens_one_pull_request_on_one_branch() -> None:
    job = block("name: models-sync")
    assert 'cron: "23 5 * * *"' in job
    assert "uses: peter-evans/create-pull-request@v7" in job
    assert "branch: modelgen/sync" in job  # one branch, so one pull request
    assert "body-path: ${{ runner.temp }}/pr-body.md" in job
    assert "if: steps.sync.outputs.changed == '1'" in job
    assert "DATABASE_URL: ${{ secrets.MODELGEN_READONLY_URL }}" in job


def test_the_sync_job_script(
    committed: Path, tools, production_url: str, drifted: str  # type: ignore[no-untyped-def]
) -> None:
    env, _ = tools
    script = run_script(block("name: models-sync"), "modelgen sync")
    output = Path(env["GITHUB_OUTPUT"])
    body = Path(env["RUNNER_TEMP"]) / "pr-body.md"
    before = tree(committed)

    same = bash(script, committed, env, production_url)
    assert same.returncode == 0, same.stderr
    assert output.read_text() == "changed=0\n"  # no pull request step
    assert not body.exists() and tree(committed) == before

    output.unlink()
    changed = bash(script, committed, env, drifted)
    assert changed.returncode == 0, changed.stderr
    assert output.read_text() == "changed=1\n"
    assert "- `users`: column added: nickname" in body.read_text()
    after = tree(committed)
    touched = {k for k in after if before.get(k) != after[k]}
    assert {"schema.json", "app/models/user.py"} <= touched
    assert any(k.startswith("migrations/versions/") for k in touched)

    output.unlink()
    down = bash(script, committed, env, "postgresql://nobody@127.0.0.1:1/app")
    assert down.returncode == 2  # the job fails: no half pull request
    assert not output.exists()
    assert tree(committed) == after


def test_the_alert_job_posts_the_body_and_writes_nothing(
    committed: Path, tools, production_url: str, drifted: str  # type: ignore[no-untyped-def]
) -> None:
    env, calls = tools
    script = run_script(block("name: models-alert"), "modelgen sync --dry-run")
    before = tree(committed)
    quiet = bash(script, committed, env, production_url)
    assert quiet.returncode == 0, quiet.stderr
    assert not calls.exists()  # no change, no alert

    alert = bash(script, committed, env, drifted)
    assert alert.returncode == 0, alert.stderr
    log = calls.read_text()
    assert log.startswith(
        "curl -sS -X POST -H Content-Type: application/json --data @- "
        "https://hooks.example.invalid/T000\n"
    )
    assert '{"text": "## modelgen sync: production\'s schema changed' in log
    assert "column added: nickname" in log
    assert tree(committed) == before  # an alert writes nothing


def test_the_gitlab_job_pushes_one_branch_and_opens_or_updates_its_mr(
    committed: Path, tools, production_url: str, drifted: str  # type: ignore[no-untyped-def]
) -> None:
    env, calls = tools
    job = block("modelgen-sync:")
    assert '$CI_PIPELINE_SOURCE == "schedule"' in job
    script = gitlab_script(job).replace(
        "/tmp/mr-body.md", str(committed.parent / "mr.md")
    )
    same = bash(script, committed, env, production_url)
    assert same.returncode == 0, same.stderr
    assert not calls.exists()

    changed = bash(script, committed, env, drifted)
    assert changed.returncode == 0, changed.stderr
    log = calls.read_text().splitlines()
    assert log[0] == "git checkout -B modelgen/sync"
    assert any(
        line.startswith("git push --force ") and line.endswith(" modelgen/sync")
        for line in log
    )
    assert log[-1] == "glab mr update modelgen/sync"
    assert "column added: nickname" in (committed.parent / "mr.md").read_text()
