"""verify compares the exact deparse: a hand-flattened CHECK is a difference, and every
prerequisite (collation, range type, domain with several checks) is created first."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from conftest import FIXTURES

from modelgen.catalog.compare import compare_schemas
from modelgen.catalog.prerequisites import find_prerequisites
from modelgen.catalog.reflect import reflect_url
from modelgen.catalog.scratch import run_sql_file
from modelgen.config import Config
from modelgen.generate.pipeline import generate_files
from modelgen.verify import create_prerequisites, verify_schema

NESTED = "(kind = 'x'::text) AND ((a IS NOT NULL) AND (b IS NOT NULL))"
FLAT = "kind = 'x'::text AND a IS NOT NULL AND b IS NOT NULL"


def _create_package(package: Path, url: str, schema: object) -> None:
    sys.path.insert(0, str(package.parent))
    try:
        module = importlib.import_module(package.name)
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            create_prerequisites(conn, find_prerequisites(schema))  # type: ignore[arg-type]
            module.db.metadata.create_all(conn)
        engine.dispose()
    finally:
        sys.path.remove(str(package.parent))
        for name in [m for m in sys.modules if m.split(".")[0] == package.name]:
            del sys.modules[name]


def test_a_hand_flattened_check_is_a_difference(
    make_db: Callable[[], str], tmp_path: Path
) -> None:
    production = make_db()
    run_sql_file(production, FIXTURES / "cases" / "nested_and_check" / "schema.sql")
    schema = reflect_url(production)
    package = tmp_path / "flattened_models"
    config = Config(path=None, root=tmp_path)
    for item in generate_files(schema, config, out=package).files:
        item.path.parent.mkdir(parents=True, exist_ok=True)
        text = item.content
        if NESTED in text:
            text = text.replace(NESTED, FLAT)  # what a hand "tidy-up" does
        item.path.write_text(text, encoding="utf-8")
    assert FLAT in (package / "public.py").read_text()

    scratch = make_db()
    _create_package(package, scratch, schema)
    diffs = compare_schemas(schema, reflect_url(scratch))
    assert len(diffs) == 1, diffs
    assert diffs[0].startswith("public.t: check constraint t_check:")
    # the pretty forms of both are the same text: only the exact form tells them apart
    assert "((a IS NOT NULL) AND (b IS NOT NULL))" in diffs[0]


def test_prerequisites_come_first_and_are_guarded(make_db: Callable[[], str]) -> None:
    production = make_db()
    for case in ("collation_other_schema", "range_type", "domain_checks"):
        run_sql_file(production, FIXTURES / "cases" / case / "schema.sql")
    schema = reflect_url(production)
    labels = [p.label for p in find_prerequisites(schema)]
    assert labels == [
        "schema s",
        "collation s.c",
        "range public.uuidrange",
        "domain public.percent",
    ]
    assert verify_schema(schema).differences == ()
    # run twice on the same database: the guards skip what exists, nothing fails
    target = make_db()
    engine = sa.create_engine(target)
    with engine.begin() as conn:
        assert create_prerequisites(conn, find_prerequisites(schema)) == []
        assert create_prerequisites(conn, find_prerequisites(schema)) == []
    engine.dispose()
