"""`modelgen migration` revisions run by `flask db upgrade` / `flask db downgrade` in a
Flask-Migrate project: the single-database layout, and a bind in the multi-database one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CRITICAL, ROOT
from test_migration import CRITICAL_KEYS, dev_copy

from modelgen.catalog.compare import compare_schemas
from modelgen.catalog.reflect import reflect_url

FLASK = Path(sys.executable).parent / "flask"

pytestmark = pytest.mark.skipif(
    not FLASK.is_file(), reason="flask is not installed (pip install -e '.[dev]')"
)
pytest.importorskip("flask_migrate", reason="Flask-Migrate is not installed")

WSGI = """\
from flask_migrate import Migrate

from app import create_app
from app.extensions import db

app = create_app({{"SQLALCHEMY_DATABASE_URI": {url!r}, "SQLALCHEMY_BINDS": {binds!r}}})
Migrate(app, db)
"""


def flask(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(FLASK_APP="wsgi", PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [str(FLASK), *args], cwd=project, capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, f"flask {' '.join(args)}:\n{result.stderr}"
    return result


def tables(url: str) -> set[str]:
    return {t.name for t in reflect_url(url).tables}


def test_flask_db_runs_the_revision_up_and_down(
    project: Path, production_url: str, production_schema, make_db: Callable[[], str]
) -> None:
    dev = dev_copy(make_db)
    (project / "wsgi.py").write_text(WSGI.format(url=dev, binds={}), "utf-8")
    flask(project, "db", "init")
    flask(project, "modelgen", "migration", "-g", "critical", "--url", production_url)
    flask(project, "db", "upgrade")
    assert compare_schemas(production_schema, reflect_url(dev), CRITICAL_KEYS) == []
    flask(project, "db", "downgrade")
    assert not set(CRITICAL) & tables(dev)
    assert "users" in tables(dev)


def test_a_bind_revision_runs_on_that_bind_only(
    project: Path, production_url: str, production_schema, make_db: Callable[[], str]
) -> None:
    default, reporting = make_db(), dev_copy(make_db)
    wsgi = WSGI.format(url=default, binds={"reporting": reporting})
    (project / "wsgi.py").write_text(wsgi, "utf-8")
    config = project / "modelgen.toml"
    config.write_text('bind = "reporting"\n' + config.read_text("utf-8"), "utf-8")
    flask(project, "db", "init", "--multidb")
    result = flask(
        project, "modelgen", "migration", "-g", "critical", "--url", production_url
    )
    revision = next((project / "migrations" / "versions").glob("*.py"))
    assert 'bind_key = "reporting"' in revision.read_text("utf-8"), result.stdout
    flask(project, "db", "upgrade")
    assert (
        compare_schemas(production_schema, reflect_url(reporting), CRITICAL_KEYS) == []
    )
    assert not set(CRITICAL) & tables(default)
    flask(project, "db", "downgrade")
    assert not set(CRITICAL) & tables(reporting)
