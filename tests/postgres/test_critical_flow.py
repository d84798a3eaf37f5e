"""The core issue's acceptance, as a new user would run it, against real PostgreSQL."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from conftest import CRITICAL, PRODUCTION_SQL, ROOT

from modelgen.catalog.compare import compare_schemas
from modelgen.catalog.reflect import reflect_url
from modelgen.catalog.scratch import execute, run_sql_file


def modelgen(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "modelgen", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )


def tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_generate_critical_writes_exactly_four_files_that_recreate_production(
    project: Path, production_url: str, production_schema, make_db: Callable[[], str]
) -> None:
    generate_critical = (
        "generate",
        "--config",
        "modelgen.toml",
        "--url",
        production_url,
    )
    generate_critical += ("--group", "critical")
    before = tree(project)
    result = modelgen(project, *generate_critical)
    assert result.returncode == 0, result.stderr
    after = tree(project)
    changed = {k for k in after if before.get(k) != after[k]}
    # user_sessions.device_id references user_devices, which has no model yet: its
    # file (group infrastructure) is written too, and the run says so
    files = {f"app/models/{t}.py" for t in CRITICAL} | {"app/models/device_tracking.py"}
    assert changed == files
    assert (
        "also wrote device_tracking.py (group infrastructure): "
        "user_sessions.device_id references user_devices"
    ) in result.stdout
    assert set(before) <= set(after)  # nothing removed
    assert "from .payments import Payment" in result.stdout

    # Black-clean as written
    black = subprocess.run(
        [
            sys.executable,
            "-m",
            "black",
            "--check",
            "-q",
            *[f"app/models/{t}.py" for t in CRITICAL],
        ],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert black.returncode == 0, black.stderr

    # a second run changes no byte
    again = modelgen(project, *generate_critical)
    assert again.returncode == 0, again.stderr
    assert tree(project) == after

    # the models import beside the hand-written ones, configure, and recreate
    # production's catalog for the four tables fact by fact
    scratch = make_db()
    run_sql_file(scratch, PRODUCTION_SQL)
    execute(scratch, *[f"DROP TABLE {t} CASCADE" for t in CRITICAL])
    created = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests" / "helpers" / "create_models.py"),
            str(project),
            scratch,
            ",".join(CRITICAL),
            ",".join(CRITICAL),
        ],
        capture_output=True,
        text=True,
    )
    assert created.returncode == 0, created.stderr
    actual = reflect_url(scratch)
    assert (
        compare_schemas(production_schema, actual, [("public", t) for t in CRITICAL])
        == []
    )

    # a hand edit to a statement modelgen owns is never overwritten: the run stops
    # with exit 1 and names the file, the line and both versions
    payments = project / "app" / "models" / "payments.py"
    edited = payments.read_text().replace(
        "payment_method = db.Column(db.String(50))",
        "payment_method = db.Column(db.String(80))",
    )
    payments.write_text(edited + "# reviewed by Sam\n")
    third = modelgen(project, *generate_critical)
    assert third.returncode == 1
    assert "payments.py:" in third.stderr and "Traceback" not in third.stderr
    assert "db.String(50)" in third.stderr and "db.String(80)" in third.stderr
    assert payments.read_text() == edited + "# reviewed by Sam\n"

    # --force takes production's statement, keeps the team's code, and a .bak
    forced = modelgen(
        project, "generate", "--url", production_url, "--group", "critical", "--force"
    )
    assert forced.returncode == 0, forced.stderr
    assert "db.String(80)" not in payments.read_text()
    assert payments.read_text().endswith("# reviewed by Sam\n")
    assert "db.String(80)" in (payments.parent / "payments.py.bak").read_text()


def test_after_generate_critical_the_apps_metadata_works_on_an_empty_database(
    project: Path, production_url: str, production_schema, make_db: Callable[[], str]
) -> None:
    """create_all on an empty database, Alembic autogenerate, sorted_tables: none
    raises (no foreign key dangles), and the four critical tables come out exactly."""
    result = modelgen(
        project, "generate", "--url", production_url, "--group", "critical"
    )
    assert result.returncode == 0, result.stderr
    empty = make_db()
    # the hand-written models declare their enums create_type=False (the app's own
    # migrations create them): the one prerequisite the empty database is given
    execute(
        empty,
        *[
            f"CREATE TYPE {e.name} AS ENUM ({', '.join(repr(v) for v in e.labels)})"
            for e in production_schema.enums
        ],
    )
    works = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests" / "helpers" / "metadata_works.py"),
            str(project),
            empty,
        ],
        capture_output=True,
        text=True,
    )
    assert works.returncode == 0, works.stderr
    tables, _ = works.stdout.split()
    assert int(tables) == 23 + len(CRITICAL) + 1  # hand-written, critical, devices
    keys = [("public", t) for t in CRITICAL]
    assert compare_schemas(production_schema, reflect_url(empty), keys) == []
