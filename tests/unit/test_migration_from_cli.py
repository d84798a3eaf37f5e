"""`modelgen migration --from` on the command line, with snapshots only (no database)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from typer.testing import CliRunner

from modelgen.catalog.snapshot import load_snapshot, write_snapshot
from modelgen.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "fixtures" / "production" / "schema.json"


def _dropped_column(tmp_path: Path) -> Path:
    schema = load_snapshot(SNAPSHOT)
    tables = tuple(
        (
            replace(
                t, columns=tuple(c for c in t.columns if c.name != "failure_reason")
            )
            if t.name == "payments"
            else t
        )
        for t in schema.tables
    )
    path = tmp_path / "production.json"
    write_snapshot(replace(schema, tables=tables), path)
    return path


def test_writes_one_revision_and_says_its_steps_and_hazards(tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    production = _dropped_column(tmp_path)
    args = [
        "--from",
        str(SNAPSHOT),
        "--snapshot",
        str(production),
        "--out",
        str(versions),
    ]
    result = CliRunner().invoke(app, ["migration", *args])
    assert result.exit_code == 0, result.output
    (written,) = versions.glob("*.py")
    assert f"wrote {written}" in result.stdout
    assert "drop column public.payments.failure_reason (values kept in" in result.stdout
    assert "hazards (2):" in result.stdout
    assert "downgrade rewrites public.payments" in result.stdout
    assert "its values are kept in modelgen_backup." in result.stdout
    again = CliRunner().invoke(app, ["migration", *args])
    assert again.exit_code == 0 and len(list(versions.glob("*.py"))) == 2  # on the head


def test_no_changes_writes_nothing(tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    args = [
        "--from",
        str(SNAPSHOT),
        "--snapshot",
        str(SNAPSHOT),
        "--out",
        str(versions),
    ]
    result = CliRunner().invoke(app, ["migration", *args])
    assert result.exit_code == 0, result.output
    assert result.stdout == "no changes: the old schema is production's\n"
    assert list(versions.iterdir()) == []


def test_a_missing_old_snapshot_is_one_line_and_exit_2(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    args = ["--from", str(missing), "--snapshot", str(SNAPSHOT), "--out", str(tmp_path)]
    result = CliRunner().invoke(app, ["migration", *args])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert f"--from {missing}: no such snapshot file" in result.stderr


def test_check_needs_production_from_elsewhere(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["migration", "--check", "--url", "postgresql://u:secret@db/x"],
        env={"DATABASE_URL": ""},
    )
    assert result.exit_code == 2
    assert "production's schema" in result.stderr and "secret" not in result.stderr


def test_a_bind_revision_acts_only_for_its_database(tmp_path: Path) -> None:
    from modelgen.migration import diff_migration
    from modelgen.migration.render import offline_upgrade

    production = load_snapshot(_dropped_column(tmp_path))
    item = diff_migration(
        load_snapshot(SNAPSHOT),
        production,
        versions_dir=tmp_path,
        message="m",
        bind="reporting",
    )
    assert item is not None
    assert 'bind_key = "reporting"' in item.content
    assert 'def upgrade(engine_name: str = "") -> None:' in item.content
    assert "DROP COLUMN" in offline_upgrade(item.content, "m.py", None)
    module: dict[str, object] = {}
    exec(compile(item.content, "m.py", "exec"), module)
    upgrade = module["upgrade"]
    assert callable(upgrade)
    upgrade("other")  # another database of a multi-database app: nothing, no Alembic
