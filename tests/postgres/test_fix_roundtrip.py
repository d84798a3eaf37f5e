"""After `drift --fix`, the fixed models create production's tables: every fact drift
compares (columns, types, nullability, the server defaults, comments,
constraints and indexes the models declare) reads back as production has it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.fix_cases import CASES, NAMES, fixes, make_project

from modelgen.catalog.reflect import reflect_url
from modelgen.catalog.schema import Table
from modelgen.catalog.scratch import run_sql_file
from modelgen.source.fix import write_fixes

CREATE = """
import sys
import sqlalchemy as sa
sys.path.insert(0, ".")
import app.models as models
try:
    from app.extensions import db
    metadata = db.metadata
except ImportError:
    metadata = models.Base.metadata
engine = sa.create_engine(sys.argv[1])
metadata.create_all(engine)
engine.dispose()
"""


def declared_facts(created: Table, production: Table) -> tuple[list[str], list[str]]:
    """What the fixed models created and what production has, for the same facts."""
    prod_columns = {c.name: c for c in production.columns}
    got: list[str] = []
    want: list[str] = []
    for column in created.columns:
        wanted = prod_columns.get(column.name)
        got.append(f"{column.name} {column.type.display} {column.nullable}")
        want.append(
            f"{column.name} {wanted.type.display} {wanted.nullable}" if wanted else "-"
        )
        for fact in ("default", "comment"):
            value = getattr(column, fact)
            # declared by the model (SQLAlchemy's SERIAL for an integer key is not)
            if value is not None and not str(value).startswith("nextval("):
                got.append(f"{column.name} {fact} {getattr(column, fact)}")
                want.append(f"{column.name} {fact} {getattr(wanted, fact, None)}")
    for kind in ("uniques", "checks", "foreign_keys", "indexes"):
        theirs = {c.name: c.definition for c in getattr(production, kind)}
        for item in getattr(created, kind):
            got.append(f"{item.name} {item.definition}")
            want.append(f"{item.name} {theirs.get(item.name)}")
    return got, want


@pytest.mark.parametrize("name", NAMES)
def test_fixed_models_round_trip_to_production(
    name: str, tmp_path: Path, make_db: Callable[[], str]
) -> None:
    project = make_project(name, tmp_path)
    write_fixes(fixes(project, unsafe=True))
    empty = make_db()
    created = subprocess.run(
        [sys.executable, "-c", CREATE, empty],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    # production as this server prints it (a stored snapshot may come from another
    # version of the reflection): the case's schema.sql in a database of its own
    prod_url = make_db()
    run_sql_file(prod_url, CASES / name / "schema.sql")
    production = reflect_url(prod_url)
    made = reflect_url(empty)
    assert {t.key for t in made.tables} == {t.key for t in production.tables}
    for table in made.tables:
        prod = production.table(*table.key)
        assert prod is not None
        got, want = declared_facts(table, prod)
        assert got == want
        assert [c.name for c in table.columns] == [c.name for c in prod.columns]
