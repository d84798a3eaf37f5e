"""drift reads every bootstrap golden case's reviewed output back as its snapshot: no
drift.  What the models add after the table (a NOT VALID CHECK, a unique constraint
CREATE TABLE would merge) is read back as the constraint it is. No database needed."""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import FIXTURES

from modelgen.catalog.schema import Schema
from modelgen.catalog.snapshot import load_snapshot
from modelgen.config import Config
from modelgen.drift.engine import compute_drift
from modelgen.drift.findings import DriftReport
from modelgen.drift.models import load_models

pytest.importorskip("flask_sqlalchemy")

CASES = FIXTURES / "cases"
# bootstrap cases (no config: every table in the package, no hand-written models)
BOOTSTRAP = sorted(
    p.name
    for p in CASES.iterdir()
    if (p / "expected").is_dir()
    and "config" not in tomllib.loads((p / "case.toml").read_text())
)
# keys added after the table, or in another order than the columns': every one
# is read back as declared, so not even an info finding
READ_BACK = {
    "check_not_valid",
    "composite_key_serial_last",
    "duplicate_unique_constraints",
}
KNOWN = {  # open defects, each a finding drift should not make
    "types": "a domain's COLLATE is read as the column's collation",
}


@pytest.mark.parametrize(
    "name",
    [
        (
            pytest.param(n, marks=pytest.mark.xfail(reason=KNOWN[n], strict=True))
            if n in KNOWN
            else n
        )
        for n in BOOTSTRAP
    ],
)
def test_generated_models_have_no_drift_from_their_snapshot(
    name: str, tmp_path: Path
) -> None:
    report = _drift_of_case(name, tmp_path)
    assert [f.message for f in report.drift] == []
    if name in READ_BACK:  # what the listeners add is declared, not merely created
        assert [f.message for f in report.findings] == []


def test_a_constraint_added_after_the_table_is_compared_with_production(
    tmp_path: Path,
) -> None:
    """Production changed one added constraint and dropped another: both are drift."""

    def change(schema: Schema) -> Schema:
        (t,) = [t for t in schema.tables if t.name == "t"]
        code_b = next(u for u in t.uniques if u.name == "t_code_b")
        code_b = replace(code_b, columns=("id", "code"))
        t2 = replace(t, uniques=tuple(u for u in t.uniques if u.name == "t_code_a"))
        t2 = replace(t2, uniques=(*t2.uniques, code_b))
        return replace(schema, tables=tuple(t2 if x is t else x for x in schema.tables))

    report = _drift_of_case("duplicate_unique_constraints", tmp_path, change)
    assert sorted(f.message for f in report.drift) == [
        "unique constraint t_code_b is on (code) in the model, (id, code) in production",
        "unique constraint t_id_key on (id) is declared by the model but missing in production",
    ]


def _drift_of_case(
    name: str, tmp_path: Path, change: Callable[[Schema], Schema] = lambda s: s
) -> DriftReport:
    """drift of the case's expected package against its (changed) snapshot."""
    case = CASES / name
    spec = tomllib.loads((case / "case.toml").read_text())
    schema = change(load_snapshot(case / spec["snapshot"]))
    package = tmp_path / "golden_models"
    shutil.copytree(case / "expected", package)
    config = Config(
        path=None,
        root=tmp_path,
        output=package,
        models=package,
        models_import=package.name,
        app_path=tmp_path,
    )
    models = load_models(config)
    assert models.method == "import", models.detail
    return compute_drift(schema, config, models)
