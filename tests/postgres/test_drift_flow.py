"""Issue 4's acceptance, as a user would run it: generate, check, drift, snapshot, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from conftest import PRODUCTION_SQL, ROOT

from modelgen.catalog.scratch import execute, run_sql_file

STILL_WITHOUT_MODEL = {
    "disputes",
    "audit_logs",
    "webhook_logs",
    "stripe_events",
    "stripe_customers",
    "email_queue",
    "sms_logs",
    "push_notifications",
    "file_uploads",
    "api_keys",
    "rate_limits",
    "system_logs",
    "error_logs",
    "health_checks",
    "feature_flags",
    "system_settings",
    "maintenance_windows",
    "background_jobs",
}


def modelgen(
    project: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "modelgen", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env={**base, "PYTHONPATH": str(ROOT), **(env or {})},
        check=False,
    )


def test_drift_flow_from_critical_to_all_groups(
    project: Path, production_url: str, make_db: Callable[[], str]
) -> None:
    # phase 1: the critical group, then check is clean
    result = modelgen(
        project, "generate", "--url", production_url, "--group", "critical"
    )
    assert result.returncode == 0, result.stderr
    result = modelgen(project, "check", "--url", production_url, "--group", "critical")
    assert result.returncode == 0, result.stdout + result.stderr

    # drift lists the 18 tables still without a model (user_devices came with
    # critical: user_sessions references it), and nothing else fails
    result = modelgen(project, "drift", "--url", production_url, "--format", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["schema_version"] == 1
    assert report["models"]["method"] == "import"
    assert {t["table"] for t in report["tables_without_model"]} == STILL_WITHOUT_MODEL
    assert len(report["tables_without_model"]) == 18
    disputes = next(
        t for t in report["tables_without_model"] if t["table"] == "disputes"
    )
    assert disputes == {
        "table": "disputes",
        "group": "enterprise",
        "file": "app/models/disputes.py",
    }
    other_drift = [
        f
        for f in report["findings"]
        if f["level"] == "drift" and f["kind"] != "table-without-model"
    ]
    assert other_drift == []  # hand-written and generated models agree with production
    assert report["summary"]["not_modelled_by_config"] == ["alembic_version"]

    # every group generated: production and all models agree
    result = modelgen(project, "generate", "--url", production_url, "--all")
    assert result.returncode == 0, result.stderr
    result = modelgen(project, "drift", "--url", production_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no drift" in result.stdout

    # a committed snapshot: check and drift run with no database at all
    result = modelgen(project, "snapshot", "--url", production_url, "-o", "schema.json")
    assert result.returncode == 0, result.stderr
    for command in (
        ("check", "--snapshot", "schema.json", "--all"),
        ("drift", "--snapshot", "schema.json", "--quiet"),
    ):
        result = modelgen(project, *command, env={"DATABASE_URL": ""})
        assert result.returncode == 0, (command, result.stdout, result.stderr)

    # production grows a column on a generated table (a separate copy of production)
    altered = make_db()
    run_sql_file(altered, PRODUCTION_SQL)
    execute(altered, "ALTER TABLE payments ADD COLUMN refund_reason text")
    result = modelgen(project, "check", "--url", altered, "--group", "critical")
    assert result.returncode == 1
    assert "refund_reason" in result.stdout

    # ... and on a hand-written one
    execute(altered, "ALTER TABLE users ADD COLUMN nickname varchar(40)")
    result = modelgen(project, "drift", "--url", altered, "--format", "json")
    assert result.returncode == 1
    findings = {f["key"]: f for f in json.loads(result.stdout)["findings"]}
    nickname = findings["users.nickname"]
    assert nickname["kind"] == "column-missing"
    assert "hand-written model" in nickname["message"]
    assert (nickname["file"], nickname["line"]) == ("app/models/user.py", 11)
    assert findings["payments.refund_reason"]["kind"] == "column-missing"
    assert "generated model" in findings["payments.refund_reason"]["message"]

    result = modelgen(project, "drift", "--url", altered, "--format", "github")
    assert result.returncode == 1
    assert any(
        line.startswith("::error file=app/models/user.py,line=11,")
        and "users.nickname" in line
        for line in result.stdout.splitlines()
    )

    # ignored with a reason: counted, shown, and the exit code follows what is left
    (project / ".modelgen-ignore").write_text(
        "users.nickname: analytics column, the app never reads it\n"
        "payments.refund_reason: lands with the refunds release\n"
    )
    result = modelgen(project, "drift", "--url", altered)
    assert result.returncode == 0, result.stdout
    assert "2 ignored" in result.stdout and "analytics column" in result.stdout
    (project / ".modelgen-ignore").write_text("users.nickname\n")
    result = modelgen(project, "drift", "--url", altered)
    assert result.returncode == 2
    assert ".modelgen-ignore:1" in result.stderr and "no reason" in result.stderr


def test_unreachable_database_is_one_line_without_the_password(project: Path) -> None:
    url = "postgresql://app:hunter2secret@127.0.0.1:1/production"
    for args in (("drift", "--url", url), ("drift", "--url", url, "--quiet")):
        result = modelgen(project, *args)
        assert result.returncode == 2
        assert result.stdout == ""
        errors = [line for line in result.stderr.splitlines() if "error" in line]
        assert len(errors) == 1 and errors[0].startswith("modelgen: error: ")
        assert "hunter2secret" not in result.stderr
        assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1  # --quiet: only the error


def test_a_broken_config_names_the_file_and_line(project: Path) -> None:
    config = project / "modelgen.toml"
    config.write_text(
        config.read_text().replace("[groups.enterprise]", "[groups.enterprise")
    )
    result = modelgen(project, "drift", "--snapshot", "schema.json")
    assert result.returncode == 2
    assert "modelgen.toml" in result.stderr and "line 18" in result.stderr
    assert "Traceback" not in result.stderr
