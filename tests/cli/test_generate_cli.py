"""The generate command from a user's seat, without a database (snapshots)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CRITICAL, FIXTURES, ROOT
from typer.testing import CliRunner

from modelgen.cli.app import app

SNAPSHOT = FIXTURES / "production" / "schema.json"
runner = CliRunner()


def run(project: Path, *args: str) -> tuple[int, str, str]:
    old = Path.cwd()
    os.chdir(project)
    try:
        result = runner.invoke(app, list(args))
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


def test_generate_from_snapshot_writes_the_group_and_prints_imports(
    project: Path,
) -> None:
    code, out, err = run(
        project, "generate", "--snapshot", str(SNAPSHOT), "--group", "critical"
    )
    assert code == 0, err
    for table in CRITICAL:
        assert (project / "app" / "models" / f"{table}.py").is_file()
    assert "from .user_sessions import UserSession  # noqa: F401" in out
    init = (project / "app" / "models" / "__init__.py").read_text()
    assert init == (FIXTURES / "app" / "models" / "__init__.py").read_text()


def test_dry_run_prints_a_diff_and_writes_nothing(project: Path) -> None:
    before = sorted(p.name for p in (project / "app" / "models").iterdir())
    code, out, err = run(
        project,
        "generate",
        "--snapshot",
        str(SNAPSHOT),
        "--group",
        "critical",
        "--dry-run",
    )
    assert code == 0, err
    assert "+++ b/app/models/payments.py" in out and "+class Payment(db.Model):" in out
    assert sorted(p.name for p in (project / "app" / "models").iterdir()) == before


def test_user_templates_override_builtin_ones_file_by_file(project: Path) -> None:
    templates = project / "modelgen-templates"
    templates.mkdir()
    (templates / "header.py.j2").write_text(
        "# ACME generated models: {{ tables }}\n{{ hash_line }}\n"
    )
    config = project / "modelgen.toml"
    config.write_text('templates = "modelgen-templates"\n' + config.read_text())
    code, _, err = run(
        project, "generate", "--snapshot", str(SNAPSHOT), "--group", "critical"
    )
    assert code == 0, err
    text = (project / "app" / "models" / "payments.py").read_text()
    assert text.startswith(
        "# ACME generated models: public.payments\n# modelgen-hash: "
    )
    assert "class Payment(db.Model):" in text  # the built-in model template still used


def test_a_split_bootstrap_names_split_in_its_header_and_in_checks_hint(
    tmp_path: Path,
) -> None:
    """Without --split the named command would write public.py and leave the
    public_NN.py files stale."""
    out = tmp_path / "legacy_models"
    args = ("--snapshot", str(SNAPSHOT), "--out", str(out), "--split", "10")
    code, _, err = run(tmp_path, "generate", *args)
    assert code == 0, err
    first = (out / "public_1.py").read_text()
    assert (
        "# Regenerate: modelgen generate --url $DATABASE_URL --out DIR --split 10\n"
        in (first)
    )
    (out / "public_1.py").unlink()
    code, _, err = run(tmp_path, "check", *args)
    assert code == 1
    assert "--out legacy_models --split 10` updates them" in err


def test_no_config_bootstraps_an_importable_package(tmp_path: Path) -> None:
    out = tmp_path / "legacy_models"
    code, _, err = run(
        tmp_path, "generate", "--snapshot", str(SNAPSHOT), "--out", str(out)
    )
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == [
        "__init__.py",
        "extensions.py",
        "public.py",
    ]
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import legacy_models as m; from sqlalchemy.orm import configure_mappers; "
            "configure_mappers(); print(len(m.db.metadata.tables))",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    assert check.stdout.strip() == "47"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["generate", "--snapshot", "missing.json", "--all"],
            "missing.json: cannot read",
        ),
        (["generate", "--snapshot", str(SNAPSHOT)], "choose --group NAME or --all"),
        (
            ["generate", "--snapshot", str(SNAPSHOT), "--group", "nope"],
            "no group named 'nope'",
        ),
        (
            ["generate", "--url", "mysql://root:hunter2@127.0.0.1/app", "--all"],
            "unsupported database URL scheme 'mysql'",
        ),
        (
            ["generate", "--url", "postgresql://u:hunter2@127.0.0.1:1/app", "--all"],
            "cannot connect to postgresql://u:***@127.0.0.1:1/app",
        ),
        (
            ["generate", "--config", "nope.toml", "--all"],
            "nope.toml: config file not found",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    project: Path, args: list[str], message: str
) -> None:
    code, out, err = run(project, *args)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "hunter2" not in out + err and "Traceback" not in err


def test_no_traceback_and_no_password_from_the_real_process(project: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "modelgen",
            "generate",
            "--all",
            "--url",
            "postgresql://admin:s3cr3t@127.0.0.1:1/prod",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 2
    assert "s3cr3t" not in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["generate", "--bogus"], "No such option: --bogus"),
        (["nosuch"], "No such command 'nosuch'"),
        (["generate", "--group"], "requires an argument"),
        (["snapshot", "diff", "only-one.json"], "Missing argument"),
    ],
)
def test_command_line_mistakes_are_one_line_and_exit_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "modelgen", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 2
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_quiet_prints_no_wrote_lines_only_what_needs_attention(project: Path) -> None:
    args = ("--snapshot", str(SNAPSHOT), "--group", "critical")
    code, out, err = run(project, "generate", *args, "-q")
    assert code == 0, err
    assert (project / "app" / "models" / "payments.py").is_file()
    assert "wrote" not in out and "wrote" not in err
    # what the user must still do is not progress: the __init__.py lines stay
    assert "from .payments import Payment  # noqa: F401" in out
    code, out, err = run(project, "generate", *args, "-q")  # a rerun: all unchanged
    assert code == 0 and "unchanged" not in out
    code, out, err = run(project, "generate", *args)  # without -q they are said
    assert "unchanged app/models/payments.py" in out


def test_check_names_a_new_production_table_in_no_group(project: Path) -> None:
    """drift fails on it; check (whose exit code is about the generated files)
    still names it instead of passing over it in silence."""
    from dataclasses import replace

    from modelgen.catalog.schema import Table
    from modelgen.catalog.snapshot import load_snapshot, write_snapshot

    schema = load_snapshot(SNAPSHOT)
    users = schema.find_table("users")
    assert users is not None
    fresh = Table("public", "coupons", (replace(users.columns[0], default=None),))
    write_snapshot(replace(schema, tables=(*schema.tables, fresh)), project / "s.json")
    code, _, err = run(project, "generate", "--snapshot", "s.json", "--all")
    assert code == 0, err
    code, _, err = run(project, "check", "--snapshot", "s.json", "-q")
    assert code == 0, err  # every generated file is in sync
    assert "in no group of the config" in err
    assert err.splitlines()[-1].endswith("(1): coupons")
    code, _, err = run(project, "check", "--snapshot", str(SNAPSHOT))
    assert code == 0 and "in no group" not in err  # ignored, hand-written: not named


def test_the_regenerate_line_works_from_any_folder_of_the_project(
    project: Path,
) -> None:
    """The header's command, run where the file is (or anywhere below the config),
    finds the config and writes the same files to the same place."""
    import shlex

    code, _, err = run(
        project, "generate", "--snapshot", str(SNAPSHOT), "-g", "critical"
    )
    assert code == 0, err
    models = project / "app" / "models"
    text = (models / "payments.py").read_text()
    line = next(x for x in text.splitlines() if x.startswith("# Regenerate: "))
    command = shlex.split(line.removeprefix("# Regenerate: "))
    assert command[:2] == ["modelgen", "generate"]
    deeper = project / "app" / "models" / "sub"
    deeper.mkdir()
    for folder in (project, models, deeper):
        code, out, err = run(folder, *command[1:], "--snapshot", str(SNAPSHOT))
        assert code == 0, err
        assert "wrote" not in out and "unchanged" in out, out
        assert (models / "payments.py").read_text() == text
        assert not (folder / "app").exists() or folder == project
