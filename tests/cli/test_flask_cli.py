"""`flask modelgen ...` in the fixture app, as a Flask team runs it: the app's
SQLALCHEMY_DATABASE_URI is production when neither --url nor DATABASE_URL is set."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from conftest import ROOT

FLASK = Path(sys.executable).parent / "flask"
COMMANDS = ("generate", "check", "drift", "verify", "migration", "snapshot", "init")

pytestmark = pytest.mark.skipif(
    not FLASK.is_file()
    or not any(
        ep.name == "modelgen" for ep in metadata.entry_points(group="flask.commands")
    ),
    reason="flask, or modelgen's flask.commands entry point, is not installed "
    "(pip install -e '.[dev]')",
)

WSGI = """\
from app import create_app

app = create_app({{"SQLALCHEMY_DATABASE_URI": {url!r}, "SQLALCHEMY_BINDS": {binds!r}}})
"""


def flask(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(FLASK_APP="wsgi", PYTHONPATH=str(ROOT))
    return subprocess.run(
        [str(FLASK), "modelgen", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def with_password(url: str) -> str:
    """Trust auth ignores it; the output must never show it."""
    return url.replace("postgres@", "postgres:hunter2@", 1)


def write_wsgi(project: Path, url: str, binds: dict[str, str] | None = None) -> None:
    text = WSGI.format(url=with_password(url), binds=binds or {})
    (project / "wsgi.py").write_text(text, encoding="utf-8")


def test_help_lists_every_command(tmp_path: Path) -> None:
    result = flask(tmp_path, "--help")  # no app needed for help
    assert result.returncode == 0, result.stderr
    assert "Usage: flask modelgen" in result.stdout
    for command in COMMANDS:
        assert f" {command} " in result.stdout, command


def test_usage_errors_keep_modelgens_exit_code(project: Path) -> None:
    result = flask(project, "drift", "--bogus")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "modelgen: error: No such option: --bogus (see flask modelgen drift --help)"
    ]


def test_production_comes_from_the_apps_database_uri(
    project: Path, production_url: str
) -> None:
    write_wsgi(project, production_url)
    result = flask(project, "generate", "--group", "critical")
    assert result.returncode == 0, result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith("production: the Flask app's SQLALCHEMY_DATABASE_URI (")
    assert "postgres:***@" in first
    assert (project / "app" / "models" / "payments.py").is_file()

    result = flask(project, "drift", "--format", "json")
    assert result.returncode == 1, result.stderr
    assert "hunter2" not in result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["models"]["method"] == "import"
    # 23 without a model, less the critical four and user_devices, written along
    # because user_sessions.device_id references it
    assert len(report["tables_without_model"]) == 18
    assert not {"applications", "payments"} & {
        t["table"] for t in report["tables_without_model"]
    }


def test_url_and_environment_still_win_over_the_app(
    project: Path, production_url: str
) -> None:
    write_wsgi(project, "postgresql+psycopg2://nobody@127.0.0.1:1/none")
    result = flask(project, "drift", "--url", production_url, "-q")
    assert result.returncode == 1, result.stderr
    assert "Flask app" not in result.stderr


def test_db_import_and_models_are_found_in_the_app(
    project: Path, production_url: str
) -> None:
    config = project / "modelgen.toml"
    lines = config.read_text(encoding="utf-8").splitlines()
    kept = [ln for ln in lines if not ln.startswith(("db_import", "models "))]
    config.write_text("\n".join(kept) + "\n", encoding="utf-8")
    # `db` lives where no default would look for it
    (project / "app" / "extensions.py").rename(project / "app" / "database.py")
    for path in (project / "app").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("app.extensions", "app.database"), "utf-8")
    write_wsgi(project, production_url)
    result = flask(project, "drift", "--format", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["models"]["method"] == "import"
    # the 12 hand-written model files define 23 tables: none reported missing
    assert len(report["tables_without_model"]) == 23
    result = flask(project, "generate", "--group", "critical")
    assert result.returncode == 0, result.stderr
    payments = (project / "app" / "models" / "payments.py").read_text()
    assert "from app.database import db" in payments


def test_a_bind_reads_its_own_database(project: Path, production_url: str) -> None:
    config = project / "modelgen.toml"
    config.write_text('bind = "reporting"\n' + config.read_text("utf-8"), "utf-8")
    unreachable = "postgresql+psycopg2://nobody@127.0.0.1:1/none"
    write_wsgi(project, unreachable, {"reporting": with_password(production_url)})
    result = flask(project, "drift", "--format", "json")
    assert result.returncode == 1, result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith(
        "production: the Flask app's SQLALCHEMY_BINDS['reporting'] ("
    )
    # the hand-written models belong to the default database, not to this bind:
    # every production table but the ignored alembic_version lacks a model here
    report = json.loads(result.stdout)
    assert report["models"]["tables"] == 0
    assert len(report["tables_without_model"]) == 46

    write_wsgi(project, production_url)  # no SQLALCHEMY_BINDS['reporting']
    result = flask(project, "drift")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "modelgen: error: the Flask app has no SQLALCHEMY_BINDS['reporting']: "
        "pass --url or set the config's url_env"
    ]
