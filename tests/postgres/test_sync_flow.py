"""The scenario of issue 22: `modelgen sync` turns a production change into one
reviewable change of the repository, and a second run finds nothing to do.

The fixture app with its critical group generated (and code added to
payments.py), schema.json committed; then production gains a column on
`payments`, a table `payment_refunds` with a key to `payments`, and an index on
`users`.  Everything runs as a user would: the real process, a real server.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import PRODUCTION_SQL, ROOT

from modelgen.catalog.compare import compare_schemas
from modelgen.catalog.reflect import reflect_url
from modelgen.catalog.scratch import execute, run_sql_file
from modelgen.catalog.snapshot import dump_schema, load_snapshot

HAND_CODE = '''
    def refunded(self):
        """Hand code: sync must keep it."""
        return self.refunded_amount > 0
'''
CHANGE = (
    "ALTER TABLE payments ADD COLUMN refund_reason varchar(200)",
    "CREATE TABLE payment_refunds (id serial PRIMARY KEY, payment_id integer NOT NULL"
    " REFERENCES payments (id), amount numeric(12,2) NOT NULL)",
    "CREATE INDEX ix_users_last_login ON users (last_login_at)",
)
ENV_PY = """\
import sqlalchemy as sa
from alembic import context

engine = sa.create_engine(context.config.attributes["url"], poolclass=sa.pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
"""


def modelgen(project: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "modelgen", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": url},
    )


def tree(project: Path) -> dict[str, str]:
    return {
        str(p.relative_to(project)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(project.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def _mermaid_parses(diagram: str, path: Path) -> None:
    """Mermaid's own parser reads the body's diagram (tests/mermaid/, when installed;
    tests/golden/test_mermaid_parser.py says so when it is not)."""
    harness = ROOT / "tests" / "mermaid"
    node = shutil.which("node")
    if node is None or not (harness / "node_modules" / "mermaid").is_dir():
        return
    path.write_text(diagram, encoding="utf-8")
    result = subprocess.run(
        [node, str(harness / "parse.mjs"), str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=harness,
    )
    assert result.returncode == 0, result.stdout


def upgrade(project: Path, url: str) -> None:
    from alembic import command
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(project / "migrations"))
    config.attributes["url"] = url
    command.upgrade(config, "head")


@pytest.fixture
def committed(project: Path, make_db: Callable[[], str]) -> tuple[Path, str]:
    """The fixture app, critical group generated with hand code, snapshot committed."""
    production = make_db()
    run_sql_file(production, PRODUCTION_SQL)
    generated = modelgen(project, production, "generate", "--group", "critical")
    assert generated.returncode == 0, generated.stderr
    payments = project / "app" / "models" / "payments.py"
    payments.write_text(payments.read_text() + HAND_CODE)
    saved = modelgen(project, production, "snapshot", "-o", "schema.json")
    assert saved.returncode == 0, saved.stderr
    (project / "migrations" / "versions").mkdir(parents=True)
    (project / "migrations" / "env.py").write_text(ENV_PY)
    (project / "migrations" / "script.py.mako").write_text("")
    return project, production


def test_no_change_exits_0_and_writes_nothing(committed: tuple[Path, str]) -> None:
    project, production = committed
    before = tree(project)
    result = modelgen(project, production, "sync")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "production matches schema.json: nothing to do" in result.stderr
    assert tree(project) == before


def test_a_production_change_becomes_one_reviewable_change(
    committed: tuple[Path, str], make_db: Callable[[], str]
) -> None:
    project, production = committed
    execute(production, *CHANGE)
    before = tree(project)

    dry = modelgen(project, production, "sync", "--dry-run")
    assert dry.returncode == 1, dry.stderr
    assert tree(project) == before  # --dry-run writes nothing, prints the body
    assert dry.stdout.startswith("## modelgen sync: production's schema changed")

    result = modelgen(project, production, "sync", "--body", "../pr-body.md")
    assert result.returncode == 1, result.stderr
    body = result.stdout
    assert (project.parent / "pr-body.md").read_text() == body
    assert body == dry.stdout

    # the generated payments.py regenerated, the code added to it kept
    payments = (project / "app" / "models" / "payments.py").read_text()
    assert "refund_reason = db.Column(db.String(200))" in payments
    assert HAND_CODE in payments
    # the hand-written user.py declares the new index (a drift --fix edit)
    user = (project / "app" / "models" / "user.py").read_text()
    assert (
        "__table_args__ = (db.Index('ix_users_last_login', 'last_login_at'),)" in user
    )
    # one migration
    revisions = sorted((project / "migrations" / "versions").glob("*.py"))
    assert len(revisions) == 1
    # the snapshot is production's
    assert dump_schema(load_snapshot(project / "schema.json")) == dump_schema(
        reflect_url(production)
    )
    changed = {k for k, v in tree(project).items() if before.get(k) != v}
    assert changed == {
        "app/models/payments.py",
        "app/models/user.py",
        "schema.json",
        str(revisions[0].relative_to(project)),
    }

    # the body, for a reviewer who has a minute
    assert "- `payment_refunds`: table added" in body
    assert "- `payments`: column added: refund_reason" in body
    assert "- `users`: " in body and "ix_users_last_login" in body
    assert (
        "| `app/models/payments.py` | regenerated: payments changed in production (code you added is kept) |"
        in body
    )
    assert (
        "| `app/models/user.py` | drift --fix (safe fixes): users.ix_users_last_login |"
        in body
    )
    assert "| `schema.json` | the snapshot, now production's |" in body
    assert "### Migration" in body and "Hazards:" in body
    assert "- `payment_refunds` is a new table in no group: it has no model." in body
    assert '  [groups.critical]\n  "payment_refunds.py" = ["payment_refunds"]\n' in body
    diagram = body.split("```mermaid\n", 1)[1].split("```", 1)[0]
    for table in ("payments", "payment_refunds", "invoices", "disputes"):
        assert f"\n  {table}" in diagram, table
    assert (
        'payments ||..o{ payment_refunds : "payment_id (to group critical)"' in diagram
    )
    _mermaid_parses(diagram, project.parent / "body.mmd")

    # the migration takes a development database (the old schema) to production
    # exactly, and changes nothing on production
    development = make_db()
    run_sql_file(development, PRODUCTION_SQL)
    upgrade(project, development)
    assert compare_schemas(reflect_url(production), reflect_url(development)) == []
    before_upgrade = dump_schema(reflect_url(production))
    upgrade(project, production)
    assert dump_schema(reflect_url(production)) == before_upgrade

    # a second sync finds nothing to do and writes nothing
    settled = tree(project)
    again = modelgen(project, production, "sync")
    assert again.returncode == 0, again.stderr
    assert tree(project) == settled


def test_an_unreachable_database_is_one_line_and_exit_2(
    committed: tuple[Path, str],
) -> None:
    project, _ = committed
    before = tree(project)
    url = "postgresql://postgres:S3cret-pw@127.0.0.1:1/nowhere"
    result = modelgen(project, url, "sync")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "S3cret-pw" not in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
    assert tree(project) == before
