"""Triggers, row-level security and policies: the snapshot, the generated models'
after_create DDL (what it runs, how it configures), and drift reading them back."""

from __future__ import annotations

import json
import warnings
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import FIXTURES

from modelgen.catalog.owned import owned_statements
from modelgen.catalog.snapshot import dump_schema, load_snapshot
from modelgen.config import Config
from modelgen.drift.engine import compute_drift
from modelgen.drift.models import load_models
from modelgen.generate.pipeline import generate_files

pytest.importorskip("flask_sqlalchemy")

CASES = FIXTURES / "cases"


def _schema(case: str):  # type: ignore[no-untyped-def]
    return load_snapshot(CASES / case / "schema.json")


def _write_models(schema, root: Path, style: str = "classic") -> Config:  # type: ignore[no-untyped-def]
    out = root / "models"
    generation = generate_files(
        schema, Config(path=None, root=root, style=style), out=out
    )
    for item in generation.files:
        item.path.parent.mkdir(parents=True, exist_ok=True)
        item.path.write_text(item.content, encoding="utf-8")
    return Config(path=None, root=root, models=out, app_path=root)


def test_snapshot_omits_empty_owned_facts_and_keeps_the_others() -> None:
    schema = _schema("row_security")
    data = json.loads(dump_schema(schema))
    tables = {t["name"]: t for t in data["schema"]["tables"]}
    assert "triggers" not in tables["documents"]
    assert "force_row_security" not in tables["notes"]
    assert set(tables["memberships"]) & {"policies", "row_security"} == set()
    assert tables["documents"]["force_row_security"] is True
    round_tripped = load_snapshot_text(dump_schema(schema))
    assert round_tripped == schema


def load_snapshot_text(text: str):  # type: ignore[no-untyped-def]
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.json"
        path.write_text(text)
        return load_snapshot(path)


@pytest.mark.parametrize("style", ["classic", "typed"])
@pytest.mark.parametrize("case", ["triggers", "row_security"])
def test_models_configure_without_warnings_and_show_no_drift(
    case: str, style: str, tmp_path: Path
) -> None:
    """Read back from the imported models, every trigger, flag and policy matches."""
    schema = _schema(case)
    config = _write_models(schema, tmp_path, style)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        models = load_models(config)
    assert models.method == "import", models.detail
    owned = {t.name: t.owned for t in models.tables}
    for table in schema.tables:
        want = [(s.kind, s.name, s.sql) for s in owned_statements(table)]
        assert sorted(owned[table.name]) == sorted(want), table.name
    report = compute_drift(schema, config, models)
    assert report.findings == (), [f.message for f in report.findings]
    _configure_strictly(tmp_path, "models")


def _configure_strictly(root: Path, package: str) -> None:
    """Import the generated package and configure its mappers, warnings as errors."""
    import importlib
    import sys

    sys.path.insert(0, str(root))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            module = importlib.import_module(package)
            module.db.Model.registry.configure()
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m.split(".")[0] == package]:
            del sys.modules[name]


def test_drift_reports_a_changed_trigger_and_a_dropped_policy(tmp_path: Path) -> None:
    schema = _schema("row_security")
    config = _write_models(schema, tmp_path)
    models = load_models(config)
    documents = next(t for t in schema.tables if t.name == "documents")
    changed = replace(
        documents,
        force_row_security=False,
        policies=tuple(p for p in documents.policies if p.name != "documents_member"),
    )
    production = replace(
        schema,
        tables=tuple(changed if t is documents else t for t in schema.tables),
    )
    report = compute_drift(production, config, models)
    found = {(f.level, f.kind, f.subject) for f in report.findings}
    assert found == {
        ("drift", "row-level-security", "force_row_security"),
        ("drift", "policy", "documents_member"),
    }
    message = next(
        f.message for f in report.findings if f.subject == "documents_member"
    )
    assert "created by the generated model but not in production" in message
    # and an ignore rule names them like any other finding
    from modelgen.drift.findings import IgnoreRule

    rules = [IgnoreRule("documents.documents_member", "moved to a migration", "test")]
    report = compute_drift(production, config, models, rules)
    assert [f.subject for f in report.findings] == ["force_row_security"]
    assert len(report.ignored) == 1


def test_hand_written_models_without_triggers_get_info_not_drift(
    tmp_path: Path,
) -> None:
    schema = _schema("triggers")
    bare = replace(
        schema,
        tables=tuple(replace(t, triggers=()) for t in schema.tables),
    )
    config = _write_models(bare, tmp_path)
    for path in (tmp_path / "models").glob("*.py"):  # as if written by hand
        text = path.read_text()
        path.write_text(
            "\n".join(line for line in text.splitlines() if "modelgen-hash" not in line)
        )
    report = compute_drift(schema, config, load_models(config))
    assert {f.level for f in report.findings} == {"info"}
    assert {f.subject for f in report.findings} >= {"accounts_set_updated_at", "k_noop"}


def test_verify_comparison_sees_a_changed_trigger_policy_and_flag() -> None:
    from modelgen.catalog.compare import compare_tables

    schema = _schema("triggers")
    accounts = schema.table("public", "accounts")
    trigger = accounts.triggers[0]
    changed = replace(
        accounts,
        triggers=(replace(trigger, definition=trigger.definition.replace("(", "", 1)),),
        row_security=True,
    )
    diffs = compare_tables(accounts, changed)
    assert any(d.startswith(f"trigger {trigger.name}: ") for d in diffs), diffs
    assert "trigger audit_update: missing" in " ".join(diffs)
    assert any(d.startswith("row level security enable: extra") for d in diffs)
