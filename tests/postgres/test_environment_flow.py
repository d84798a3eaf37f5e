"""Issue 21's fixture scenario: a production change travels to every environment.

Production gains a NOT NULL column with a default on ``payments``, an index
built concurrently, a CHECK, an enum label and a trigger on ``users``.
``drift --fix`` brings the models along; ``migration --from schema.json``
writes one revision; ``flask db upgrade`` brings a development database made
from the old snapshot to production exactly, and changes nothing on
production; ``flask db downgrade`` gives the development database back
exactly, with its rows.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import PRODUCTION_SQL
from test_drift_flow import modelgen
from test_flask_migrate import FLASK, WSGI, flask
from test_migration_from import differences

from modelgen.catalog.connect import connect
from modelgen.catalog.reflect import reflect_url
from modelgen.catalog.scratch import execute, run_sql_file
from modelgen.catalog.snapshot import load_snapshot

pytestmark = pytest.mark.skipif(not FLASK.is_file(), reason="flask is not installed")
pytest.importorskip("flask_migrate", reason="Flask-Migrate is not installed")

PRODUCTION_CHANGE = [
    "ALTER TABLE payments ADD COLUMN settlement_currency character(3) "
    "DEFAULT 'AUD' NOT NULL",
    "CREATE INDEX CONCURRENTLY ix_payments_paid_at ON payments (paid_at) "
    "WHERE paid_at IS NOT NULL",
    "ALTER TABLE payments ADD CONSTRAINT ck_payments_fee_within_amount "
    "CHECK (platform_fee <= amount)",
    "ALTER TYPE payment_status ADD VALUE 'disputed' AFTER 'refunded'",
    "CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$",
    "CREATE TRIGGER users_touch_updated_at BEFORE UPDATE ON users "
    "FOR EACH ROW EXECUTE FUNCTION touch_updated_at()",
]

ROWS = [
    "INSERT INTO users (id, email, password_hash, first_name, last_name) "
    "VALUES (1, 'ann@example.org', 'x', 'Ann', 'Lee'), (2, 'bo@example.org', 'y', 'Bo', 'Li')",
    "INSERT INTO payments (payer_id, payee_id, amount, platform_fee, status) "
    "VALUES (1, 2, 100, 5, 'succeeded'), (2, 1, 7.5, 0, 'pending')",
]


def table_rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    with connect(url) as conn:
        cur = conn.cursor()
        found = {}
        for table in ("users", "payments"):
            cur.execute(f"SELECT * FROM {table} ORDER BY id")
            found[table] = [tuple(r) for r in cur.fetchall()]
        return found


def test_a_production_change_reaches_development_and_comes_back(
    project: Path, make_db: Callable[[], str]
) -> None:
    production = make_db()
    run_sql_file(production, PRODUCTION_SQL)
    assert modelgen(project, "generate", "--url", production, "--all").returncode == 0
    old_snapshot = project / "production" / "schema.json"

    # development: created from the old snapshot's schema, with rows of its own
    dev = make_db()
    run_sql_file(dev, PRODUCTION_SQL)
    execute(dev, "DROP TABLE alembic_version", *ROWS)
    old = load_snapshot(old_snapshot)
    assert differences(old, reflect_url(dev)) == []
    rows = table_rows(dev)

    execute(production, *PRODUCTION_CHANGE)
    new = reflect_url(production)

    fixed = modelgen(project, "drift", "--url", production, "--fix")
    assert fixed.returncode in (0, 1), fixed.stderr
    payment = (project / "app" / "models" / "payments.py").read_text()
    assert "fixed app/models/payments.py" in fixed.stdout, fixed.stdout
    assert "settlement_currency" in payment and '"disputed"' in payment

    (project / "wsgi.py").write_text(WSGI.format(url=dev, binds={}), "utf-8")
    flask(project, "db", "init")
    written = modelgen(
        project, "migration", "--from", str(old_snapshot), "--url", production
    )
    assert written.returncode == 0, written.stderr
    revisions = list((project / "migrations" / "versions").glob("*.py"))
    assert len(revisions) == 1
    for line in (
        "add column public.payments.settlement_currency",
        "create index ix_payments_paid_at on public.payments (concurrently)",
        "add check constraint ck_payments_fee_within_amount on public.payments",
        "enum public.payment_status: labels",
        "add trigger users_touch_updated_at on public.users",
        "create function public.touch_updated_at",
    ):
        assert line in written.stdout, written.stdout

    check = modelgen(
        project,
        "migration",
        "--check",
        "--url",
        dev,
        "--snapshot",
        str(_snapshot(project, production)),
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "run  add column public.payments.settlement_currency" in check.stdout

    flask(project, "db", "upgrade")
    assert differences(new, reflect_url(dev)) == []
    assert table_rows(dev)["users"] == rows["users"]

    # the same revision on production: every step finds production's form
    (project / "wsgi.py").write_text(WSGI.format(url=production, binds={}), "utf-8")
    flask(project, "db", "upgrade")
    assert differences(new, reflect_url(production)) == []
    assert "modelgen_migration_log" not in {
        t.name for t in reflect_url(production).tables
    }

    (project / "wsgi.py").write_text(WSGI.format(url=dev, binds={}), "utf-8")
    flask(project, "db", "downgrade")
    assert differences(old, reflect_url(dev)) == []
    assert table_rows(dev) == rows


def _snapshot(project: Path, url: str) -> Path:
    path = project / "production-now.json"
    result = modelgen(project, "snapshot", "--url", url, "-o", str(path))
    assert result.returncode == 0, result.stderr
    return path
