"""Issue 9 §3, second half: `drift --fix` repairs a hand-written model of the fixture app.

Production grows ``users.nickname`` and widens ``users.phone``; ``drift --fix``
changes only those lines of ``user.py``, keeps every method and comment, the
module still imports, ``drift`` exits 0, and the fixed ``users`` table, created
from the model in an empty database, has production's columns.
"""

from __future__ import annotations

import difflib
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from conftest import PRODUCTION_SQL, ROOT
from test_drift_flow import modelgen

from modelgen.catalog.reflect import reflect_url
from modelgen.catalog.scratch import execute, run_sql_file


def test_drift_fix_repairs_the_hand_written_user_model(
    project: Path, make_db: Callable[[], str]
) -> None:
    production = make_db()
    run_sql_file(production, PRODUCTION_SQL)
    result = modelgen(project, "generate", "--url", production, "--all")
    assert result.returncode == 0, result.stderr
    execute(
        production,
        "ALTER TABLE users ADD COLUMN nickname varchar(40)",
        "ALTER TABLE users ALTER COLUMN phone TYPE varchar(32)",
    )
    user = project / "app" / "models" / "user.py"
    before = user.read_text()

    result = modelgen(project, "drift", "--url", production, "--diff")
    assert result.returncode == 1, result.stderr
    assert user.read_text() == before  # --diff writes nothing
    assert "+    nickname = db.Column(db.String(40))" in result.stdout

    result = modelgen(project, "drift", "--url", production, "--fix")
    assert result.returncode == 0, result.stdout + result.stderr
    after = user.read_text()
    changed = [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert len(changed) <= 4, changed
    assert "+    nickname = db.Column(db.String(40))" in changed
    assert "+    phone = db.Column(db.String(32))" in changed
    removed = [line for line in changed if line.startswith("-")]
    assert removed == [
        "-    phone = db.Column(db.String(20))"
    ]  # every method and comment kept

    imported = subprocess.run(
        [sys.executable, "-c", "import app.models.user as m; print(m.User.nickname)"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr
    result = modelgen(project, "drift", "--url", production)
    assert result.returncode == 0, result.stdout + result.stderr
    result = modelgen(project, "drift", "--url", production, "--diff")
    assert (result.returncode, result.stdout) == (0, "")

    # the fixed model creates production's users columns
    empty = make_db()
    created = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests" / "helpers" / "create_models.py"),
            str(project),
            empty,
            "user",
            "users",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    want = reflect_url(production).table("public", "users")
    got = reflect_url(empty).table("public", "users")
    assert want is not None and got is not None
    assert [(c.name, c.type.display, c.nullable) for c in got.columns] == [
        (c.name, c.type.display, c.nullable) for c in want.columns
    ]
