"""The `drift --fix` golden cases in fixtures/fix_cases/, shared by the golden and the
round-trip tests: a case's project copied to a folder, its drift, its fixes.

A case's schema.json is `modelgen snapshot` of its schema.sql loaded into an
empty database; remake it when schema.sql changes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from conftest import FIXTURES

from modelgen.catalog.snapshot import load_snapshot
from modelgen.config import load_config
from modelgen.drift.engine import compute_drift
from modelgen.drift.findings import DriftReport
from modelgen.drift.models import load_models
from modelgen.source.fix import FixResult, plan_fixes

CASES = FIXTURES / "fix_cases"
NAMES = sorted(p.name for p in CASES.iterdir() if (p / "expected.diff").exists())
UPDATE = os.environ.get("MODELGEN_UPDATE_GOLDEN") == "1"


def make_project(name: str, target: Path) -> Path:
    case = CASES / name
    shutil.copytree(case / "before" / "app", target / "app")
    for item in ("modelgen.toml", "schema.json"):
        shutil.copy(case / item, target / item)
    return target


def drift_of(project: Path) -> DriftReport:
    config = load_config(project / "modelgen.toml")
    schema = load_snapshot(project / "schema.json")
    return compute_drift(schema, config, load_models(config))


def fixes(project: Path, unsafe: bool = False) -> FixResult:
    return plan_fixes(drift_of(project), load_snapshot(project / "schema.json"), unsafe)
