"""`drift --fix` / `--diff` from a user's seat: the real process, exit codes, what is
printed, what is (not) written.  Snapshots only, no database."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES
from helpers.fix_cases import make_project
from test_bad_input import modelgen, tree

SNAP = ("--snapshot", "schema.json")


def test_diff_prints_the_patch_and_writes_nothing(tmp_path: Path) -> None:
    project = make_project("classic", tmp_path)
    before = tree(project)
    result = modelgen(project, "drift", *SNAP, "--diff")
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith(
        "--- a/app/models/shop.py\n+++ b/app/models/shop.py\n"
    )
    assert "+    slug = db.Column(db.String(80), nullable=False)" in result.stdout
    assert (
        "1 unsafe fix(es) held back (apply them with --unsafe-fixes)" in result.stderr
    )
    assert "fax is still used at shop.py:45" in result.stderr
    assert tree(project) == before


def test_diff_in_markdown_and_json(tmp_path: Path) -> None:
    project = make_project("classic", tmp_path)
    result = modelgen(project, "drift", *SNAP, "--diff", "--format", "markdown")
    assert result.returncode == 1
    folded = result.stdout.split("<details><summary>drift --fix would apply this patch")
    assert len(folded) == 2
    assert "```diff\n--- a/app/models/shop.py" in folded[1]
    assert folded[1].rstrip().endswith("</details>")
    result = modelgen(project, "drift", *SNAP, "--diff", "--format", "json")
    data = json.loads(result.stdout)
    assert data["drift"] is True
    assert data["fix"]["diff"].startswith("--- a/app/models/shop.py")


def test_fix_then_nothing_left(tmp_path: Path) -> None:
    project = make_project("classic", tmp_path)
    result = modelgen(project, "drift", *SNAP, "--fix")
    assert result.returncode == 1  # the unsafe fix is still to do
    assert result.stdout.startswith("fixed app/models/shop.py: shops.slug, ")
    result = modelgen(project, "drift", *SNAP, "--fix", "--unsafe-fixes")
    assert result.returncode == 0, result.stdout + result.stderr
    result = modelgen(project, "drift", *SNAP, "--diff")
    assert (result.returncode, result.stdout) == (0, "")
    assert modelgen(project, "drift", *SNAP).returncode == 0


def test_a_model_that_does_not_parse_is_exit_2_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    project = make_project("classic", tmp_path)
    # drift falls back to a static scan; --fix must name the file and write nothing
    shop = project / "app" / "models" / "shop.py"
    shop.write_text(shop.read_text() + "\ndef oops(:\n    pass\n")
    before = tree(project)
    result = modelgen(project, "drift", *SNAP, "--fix")
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert (
        lines[-1].startswith("modelgen: error: ") and "app/models/shop.py" in lines[-1]
    )
    assert "does not parse" in lines[-1] and "nothing was written" in lines[-1]
    assert "Traceback" not in result.stderr
    assert tree(project) == before


def test_tables_without_a_model_get_the_generate_command(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(
        FIXTURES,
        project,
        ignore=shutil.ignore_patterns("cases", "fix_cases", "__pycache__"),
    )
    before = tree(project)
    result = modelgen(project, "drift", "--snapshot", "production/schema.json", "--fix")
    assert result.returncode == 1  # tables without a model are left to generate
    assert (
        "4 table(s) without a model: modelgen generate --group critical"
        in result.stdout
    )
    assert "modelgen generate --group infrastructure" in result.stdout
    assert tree(project) == before


def test_ignored_findings_are_not_fixed(tmp_path: Path) -> None:
    project = make_project("classic", tmp_path)
    (project / ".modelgen-ignore").write_text(
        "shops.slug: lands with the slugs release\n"
    )
    result = modelgen(project, "drift", *SNAP, "--diff")
    assert result.returncode == 1
    assert "slug = db.Column" not in result.stdout
    assert "+    tags = db.Column(ARRAY(db.Text))" in result.stdout


def with_columns(source: Path, target: Path, table: str, *names: str) -> None:
    """``source`` with ``table`` given new text columns (copies of a text column)."""
    from dataclasses import replace

    from modelgen.catalog.snapshot import load_snapshot, write_snapshot

    schema = load_snapshot(source)
    found = schema.find_table(table)
    assert found is not None
    text = next(c for c in found.columns if c.type.display == "text")
    columns = found.columns + tuple(replace(text, name=n) for n in names)
    tables = tuple(
        replace(t, columns=columns) if t is found else t for t in schema.tables
    )
    write_snapshot(replace(schema, tables=tables), target)


def test_after_fixing_a_generated_file_check_tells_the_truth(tmp_path: Path) -> None:
    """drift --fix on an untouched generated file writes what generate would: the
    header records the fixed statements, so check passes, the file is not taken
    for a hand edit (no refusal, no .bak), and the next production change is
    merged as usual."""
    from modelgen.generate.output import file_state

    project = tmp_path / "project"
    shutil.copytree(
        FIXTURES, project, ignore=shutil.ignore_patterns("cases", "__pycache__")
    )
    shutil.copy(FIXTURES / "production" / "schema.json", project / "schema.json")
    critical = ("-g", "critical")
    assert modelgen(project, "generate", *SNAP, *critical, "-q").returncode == 0
    payments = project / "app" / "models" / "payments.py"
    with_columns(project / "schema.json", project / "new.json", "payments", "note")
    new = ("--snapshot", "new.json")
    fixed = modelgen(project, "drift", *new, "--fix")
    assert "fixed app/models/payments.py: payments.note" in fixed.stdout
    assert "    note = db.Column(db.Text)\n" in payments.read_text()
    assert file_state(payments.read_text()) == "generated"  # not a hand edit
    check = modelgen(project, "check", *new, *critical)
    assert check.returncode == 0, check.stdout + check.stderr
    dry = modelgen(project, "generate", *new, *critical, "--dry-run")
    assert (dry.returncode, dry.stdout) == (0, ""), dry.stdout
    with_columns(project / "new.json", project / "newer.json", "payments", "memo")
    again = modelgen(project, "generate", "--snapshot", "newer.json", *critical)
    assert again.returncode == 0, again.stderr
    assert "kept the hand-edited version" not in again.stdout
    assert not list(payments.parent.glob("*.bak"))
    text = payments.read_text()
    assert "    note = db.Column(db.Text)\n    memo = db.Column(db.Text)\n" in text
    assert file_state(text) == "generated"


# what modelgen before issue 20 generated: create_all writes the key (id, shard_id, run_id)
ON_COLUMNS = """from app.extensions import db


class BufferedEvent(db.Model):
    __tablename__ = "buffered_events"
    __table_args__ = (db.UniqueConstraint("id", name="buffered_events_id_key"),)

    shard_id = db.Column(db.Integer, primary_key=True)
    run_id = db.Column(db.LargeBinary, primary_key=True)
    id = db.Column(db.BigInteger, primary_key=True, autoincrement=True)  # the serial
    data = db.Column(db.LargeBinary, nullable=False)
"""
IN_TABLE_ARGS = """from app.extensions import db


class BufferedEvent(db.Model):
    __tablename__ = "buffered_events"
    __table_args__ = (
        db.PrimaryKeyConstraint("id", "shard_id", "run_id"),  # the id first, by hand
        db.UniqueConstraint("id", name="buffered_events_id_key"),
    )

    shard_id = db.Column(db.Integer, nullable=False)
    run_id = db.Column(db.LargeBinary, nullable=False)
    id = db.Column(db.BigInteger, autoincrement=True, nullable=False)
    data = db.Column(db.LargeBinary, nullable=False)
"""
# production writes this key on its columns: --fix leaves the hand-made form alone
HISTORY = """

class EventHistory(db.Model):
    __tablename__ = "event_history"
    __table_args__ = (db.PrimaryKeyConstraint("shard_id", "id"),)

    id = db.Column(db.BigInteger, autoincrement=True)
    shard_id = db.Column(db.Integer)
    at = db.Column(db.DateTime(timezone=True))
"""
FIXED = {
    # the one-line tuple laid out again as Black would; primary_key=True gone
    "on columns": """from app.extensions import db


class BufferedEvent(db.Model):
    __tablename__ = "buffered_events"
    __table_args__ = (
        db.PrimaryKeyConstraint(
            "shard_id", "run_id", "id", name="buffered_events_pkey"
        ),
        db.UniqueConstraint("id", name="buffered_events_id_key"),
    )

    shard_id = db.Column(db.Integer)
    run_id = db.Column(db.LargeBinary)
    id = db.Column(db.BigInteger, autoincrement=True)  # the serial
    data = db.Column(db.LargeBinary, nullable=False)
""",
    # only the entry replaced, the comment after it kept; the file is Black-formatted,
    # so the edited entry is laid out as Black would (issue 19, 10.1)
    "in __table_args__": IN_TABLE_ARGS.replace(
        'db.PrimaryKeyConstraint("id", "shard_id", "run_id"),',
        "db.PrimaryKeyConstraint(\n"
        '            "shard_id", "run_id", "id", name="buffered_events_pkey"\n'
        "        ),",
    ),
}


@pytest.mark.parametrize("form", sorted(FIXED))
def test_a_primary_key_in_another_column_order_is_fixed(
    tmp_path: Path, form: str
) -> None:
    """Issue 20: the key's column order is its index's order.  --fix writes
    production's key in __table_args__ whether the model declared it there or on
    its columns; a key production writes on its columns is left for the team, named."""
    project = make_project("classic", tmp_path)
    case = FIXTURES / "cases" / "composite_key_serial_last"
    shutil.copy(case / "schema.json", project)
    models = project / "app" / "models"
    for path in models.glob("*.py"):
        path.unlink()
    (models / "__init__.py").write_text("from .events import *  # noqa: F403\n")
    before = (ON_COLUMNS if form == "on columns" else IN_TABLE_ARGS) + HISTORY
    (models / "events.py").write_text(before)

    result = modelgen(project, "drift", *SNAP)
    assert result.returncode == 1
    assert (
        "buffered_events: primary key columns in the order (id, shard_id, run_id) "
        "in the model, (shard_id, run_id, id) in production" in result.stdout
    )
    assert "event_history: primary key columns in the order (shard_id, id)" in (
        result.stdout
    )
    result = modelgen(project, "drift", *SNAP, "--fix")
    assert result.returncode == 1, result.stderr  # event_history: by hand
    assert (models / "events.py").read_text() == FIXED[form] + HISTORY
    assert "production's key is written on its columns (primary_key=True)" in (
        result.stdout + result.stderr
    )
    left = modelgen(project, "drift", *SNAP)
    assert "buffered_events:" not in left.stdout
    assert "event_history: primary key" in left.stdout


DUPLICATES = """from app.extensions import db


class T(db.Model):
    __tablename__ = "t"
    __table_args__ = (
        db.UniqueConstraint("code", name="t_code_a"),
        db.UniqueConstraint("id", name="t_code_b"),
    )

    id = db.Column(db.Integer, primary_key=True, autoincrement=False)
    code = db.Column(db.Text)
"""


def test_a_key_the_generator_adds_after_the_table_is_fixed_not_removed(
    tmp_path: Path,
) -> None:
    """t_code_b duplicates t_code_a in production (the models add it by ALTER TABLE);
    a hand model declaring it on other columns gets production's, not a removal."""
    project = make_project("classic", tmp_path)
    case = FIXTURES / "cases" / "duplicate_unique_constraints"
    shutil.copy(case / "schema.json", project)
    models = project / "app" / "models"
    for path in models.glob("*.py"):
        path.unlink()
    (models / "__init__.py").write_text("from .t import *  # noqa: F403\n")
    (models / "t.py").write_text(DUPLICATES)
    result = modelgen(project, "drift", *SNAP, "--fix")
    assert result.stdout.startswith("fixed app/models/t.py: t.t_code_b\n")
    assert "0 left to fix by hand" in result.stdout  # exit 1: pairs% has no model
    assert (models / "t.py").read_text() == DUPLICATES.replace(
        'UniqueConstraint("id", name="t_code_b")',
        'UniqueConstraint("code", name="t_code_b")',
    )
