"""Issue 9 §3, first half: a generated file the team has added code to survives a
production change; the file's diff is the schema change and nothing else."""

from __future__ import annotations

import difflib
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from conftest import CRITICAL, PRODUCTION_SQL, ROOT
from test_critical_flow import modelgen, tree

from modelgen.catalog.compare import compare_schemas
from modelgen.catalog.reflect import reflect_url
from modelgen.catalog.scratch import execute, run_sql_file

HELPER = '''

def cents(value: decimal.Decimal) -> int:
    """Amounts are stored in dollars; Stripe wants cents."""
    return int(value * 100)
'''
MEMBERS = """
    # behaviour the team added
    def is_refundable(self) -> bool:
        return self.status == "succeeded" and self.refunded_amount < self.amount_value

    @property
    def amount_cents(self) -> int:
        return cents(self.amount_value)
"""


def add_hand_code(path: Path) -> str:
    text = path.read_text()
    text = text.replace(
        "from sqlalchemy.dialects import postgresql\n",
        "import decimal\n\nfrom sqlalchemy.dialects import postgresql\n",
        1,
    )
    text = text.replace(
        "    amount = db.Column(db.Numeric(12, 2), nullable=False)\n",
        '    amount_value = db.Column("amount", db.Numeric(12, 2), nullable=False)\n',
    )
    text = text.replace("\n\nclass Payment(", HELPER + "\n\nclass Payment(")
    text = text.rstrip("\n") + "\n" + MEMBERS
    path.write_text(text)
    return text


def test_hand_code_survives_a_new_column_and_partial_index(
    project: Path, make_db: Callable[[], str]
) -> None:
    production = make_db()
    run_sql_file(production, PRODUCTION_SQL)
    generate = ("generate", "--config", "modelgen.toml", "--url", production, "--all")
    first = modelgen(project, *generate)
    assert first.returncode == 0, first.stderr
    payments = project / "app" / "models" / "payments.py"
    edited = add_hand_code(payments)
    assert modelgen(project, "check", "--url", production, "--all").returncode == 0

    execute(
        production,
        "ALTER TABLE payments ADD COLUMN refund_reason varchar(200)",
        "CREATE INDEX ix_payments_refund_reason ON payments (refund_reason)"
        " WHERE refund_reason IS NOT NULL",
    )
    second = modelgen(project, *generate)
    assert second.returncode == 0, second.stderr
    merged = payments.read_text()
    diff = list(difflib.ndiff(edited.splitlines(), merged.splitlines()))
    removed = [line for line in diff if line.startswith("- ")]
    added = [line[2:] for line in diff if line.startswith("+ ")]
    assert len(removed) == 1 and removed[0].startswith("- # modelgen-hash:")
    assert "    refund_reason = db.Column(db.String(200))" in added
    assert '            "ix_payments_refund_reason",' in added
    assert sum(1 for line in added if line.startswith("# modelgen-hash:")) == 1

    after = tree(project)
    third = modelgen(project, *generate)
    assert third.returncode == 0, third.stderr
    assert tree(project) == after  # a second run changes no byte
    check = modelgen(project, "check", "--url", production, "--all")
    assert check.returncode == 0, check.stdout + check.stderr

    # the file (hand code and all) recreates payments exactly
    scratch = make_db()
    run_sql_file(scratch, PRODUCTION_SQL)
    execute(scratch, "DROP TABLE payments CASCADE")
    created = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests" / "helpers" / "create_models.py"),
            str(project),
            scratch,
            ",".join(CRITICAL),
            "payments",
        ],
        capture_output=True,
        text=True,
    )
    assert created.returncode == 0, created.stderr
    assert (
        compare_schemas(
            reflect_url(production), reflect_url(scratch), [("public", "payments")]
        )
        == []
    )

    # drift imports the models, hand code and all, and finds them in agreement
    drift = modelgen(project, "drift", "--url", production)
    assert drift.returncode == 0, drift.stdout + drift.stderr
    assert "payments" not in drift.stdout, drift.stdout
