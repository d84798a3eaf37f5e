"""`modelgen drift` and Alembic autogenerate (with modelgen.alembic's hooks) agree:
drift exits 0 exactly when autogenerate proposes no operation.

What drift reports as info (production has an index, a unique or foreign key, a
server default or a comment the model does not declare) used to be a drop in
`flask db migrate`; what drift reports as drift must still be an operation.
Each case is the fixture app with every group generated, against the fixture
production with one change.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import PRODUCTION_SQL, ROOT

from modelgen.catalog.connect import parse_url
from modelgen.catalog.scratch import execute, run_sql_file

# the app's models (every module of the package), compared as env.py would
AUTOGENERATE = """\
import importlib, json, pkgutil, sys, warnings
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from modelgen.alembic import include_object

warnings.simplefilter("ignore")  # Alembic's notes on operator classes
sys.path.insert(0, ".")
import app.models
for module in pkgutil.iter_modules(app.models.__path__):
    importlib.import_module("app.models." + module.name)
from app.extensions import db

engine = sa.create_engine(sys.argv[1], poolclass=sa.pool.NullPool)
with engine.connect() as connection:
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "compare_server_default": True,
            "include_object": include_object,
            "target_metadata": db.metadata,
        },
    )
    diffs = compare_metadata(context, db.metadata)
print(json.dumps([repr(d)[:160] for d in diffs]))
"""

CASES = {
    # the fixture itself: its hand-written models leave 4 indexes, 53 server
    # defaults and 3 comments to production (drift: info), and drift exits 0
    "fixture": ((), 0),
    "index only in production": (("CREATE INDEX ix_users_phone ON users (phone)",), 0),
    "unique only in production": (
        ("ALTER TABLE users ADD CONSTRAINT uq_users_phone UNIQUE (phone)",),
        0,
    ),
    "foreign key only in production": (
        (
            "ALTER TABLE users ADD CONSTRAINT fk_users_points "
            "FOREIGN KEY (points) REFERENCES users (id)",
        ),
        0,
    ),
    "default and comment only in production": (
        (
            "ALTER TABLE users ALTER COLUMN phone SET DEFAULT ''",
            "COMMENT ON COLUMN users.phone IS 'mobile, E.164'",
            "COMMENT ON TABLE jobs IS 'posted by customers'",
        ),
        0,
    ),
    "column only in production": (
        ("ALTER TABLE users ADD COLUMN nickname varchar(40)",),
        1,
    ),
    "index only in a generated model": (("DROP INDEX ix_payments_payer_id",), 1),
    "another length in production": (
        ("ALTER TABLE users ALTER COLUMN phone TYPE varchar(32)",),
        1,
    ),
    "another default in production, declared by a generated model": (
        ("ALTER TABLE payments ALTER COLUMN platform_fee SET DEFAULT 1",),
        1,
    ),
}


def run(project: Path, *argv: str, url: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        argv,
        cwd=project,
        capture_output=True,
        text=True,
        env={**base, "PYTHONPATH": str(ROOT), "DATABASE_URL": url},
        timeout=300,
    )


@pytest.mark.parametrize("case", list(CASES))
def test_drift_exits_0_exactly_when_autogenerate_is_empty(
    case: str, project: Path, make_db: Callable[[], str]
) -> None:
    statements, expected = CASES[case]
    url = make_db()
    run_sql_file(url, PRODUCTION_SQL)
    modelgen = (sys.executable, "-m", "modelgen")
    generated = run(project, *modelgen, "generate", "--all", "-q", url=url)
    assert generated.returncode == 0, generated.stderr
    if statements:
        execute(url, *statements)
    drift = run(project, *modelgen, "drift", url=url)
    assert drift.returncode in (0, 1), drift.stderr
    compared = run(
        project, sys.executable, "-c", AUTOGENERATE, parse_url(url).render(), url=url
    )
    assert compared.returncode == 0, compared.stderr
    operations = json.loads(compared.stdout)
    assert drift.returncode == expected, drift.stdout
    assert (drift.returncode == 0) == (operations == []), (drift.stdout, operations)
