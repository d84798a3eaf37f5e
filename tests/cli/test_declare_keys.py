"""`sync` declares in a hand-written model the indexes and keys a production change
added (drift leaves an undeclared index as info): in the class's
``__table_args__`` as drift --fix writes a key there, or a new ``__table_args__``
after ``__tablename__``.  Run in a subprocess: the models are imported."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES, ROOT

SCRIPT = """
from dataclasses import replace
from pathlib import Path
from modelgen.config import load_config
from modelgen.catalog.snapshot import load_snapshot
from modelgen.drift.engine import compute_drift, with_file_lines
from modelgen.drift.models import load_models
from modelgen.source.fix import plan_fixes
from modelgen.sync.plan import _promoted

cfg = load_config(Path("modelgen.toml").resolve())
schema = load_snapshot(Path("production/schema.json"))
report = compute_drift(schema, cfg, load_models(cfg, lines=False, mapped=False))
report = with_file_lines(report, schema, cfg)
added = {("users", "ix_users_email_lower"), ("jobs", "ix_jobs_open_created")}
report = replace(report, findings=tuple(_promoted(report.findings, added)))
result = plan_fixes(report, schema)
print(result.diff(Path.cwd()), end="")
print("unfixable:", [(f.key, why) for f, why in result.unfixable])
"""


def test_new_indexes_are_declared_in_hand_written_models(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "app", tmp_path / "app")
    shutil.copy(FIXTURES / "modelgen.toml", tmp_path / "modelgen.toml")
    shutil.copytree(FIXTURES / "production", tmp_path / "production")
    user = tmp_path / "app" / "models" / "user.py"
    text = user.read_text()
    user.write_text(
        text.replace(
            "    __tablename__ = 'users'\n",
            "    __tablename__ = 'users'\n"
            "    __table_args__ = (db.Index('ix_users_role', 'role'), {'info': {}})\n",
        )
    )
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "unfixable: []" in out
    # written as drift --fix writes a key into __table_args__ (first, in the
    # file's own layout: this file has lines past 88 columns), its quotes kept
    assert (
        "-    __table_args__ = (db.Index('ix_users_role', 'role'), {'info': {}})\n"
        "+    __table_args__ = (db.Index('ix_users_email_lower', "
        "db.text('lower((email)::text)'), unique=True), "
        "db.Index('ix_users_role', 'role'), {'info': {}})\n"
    ) in out, out
    # a class with no __table_args__ gets one, right after __tablename__
    assert (
        "     __tablename__ = 'jobs'\n"
        "+    __table_args__ = (db.Index('ix_jobs_open_created', 'created_at', "
        "postgresql_where=db.text(\"status = 'open'::job_status\")),)\n"
    ) in out, out
