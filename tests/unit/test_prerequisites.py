"""Prerequisites from a snapshot: what the tables rely on, in creation order, guarded."""

from __future__ import annotations

import pytest
from conftest import FIXTURES

from modelgen.catalog.prerequisites import find_prerequisites, needed_by
from modelgen.catalog.snapshot import load_snapshot


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("collation_other_schema", ["schema s", "collation s.c"]),
        ("range_type", ["range public.uuidrange"]),
        ("domain_checks", ["domain public.percent"]),  # two named checks
        ("features", ["schema billing"]),  # its types are enums and simple domains
        ("nested_and_check", []),
    ],
)
def test_tables_list_what_they_rely_on(case: str, expected: list[str]) -> None:
    schema = load_snapshot(FIXTURES / "cases" / case / "schema.json")
    assert [p.label for p in needed_by(schema, schema.tables)] == expected


def test_domain_ddl_keeps_every_named_check_and_never_replaces() -> None:
    schema = load_snapshot(FIXTURES / "cases" / "domain_checks" / "schema.json")
    (domain,) = find_prerequisites(schema)
    assert domain.ddl == (
        'CREATE DOMAIN "public"."percent" AS numeric(5,2) '
        'CONSTRAINT "percent_max" CHECK (VALUE <= (100)::numeric) '
        'CONSTRAINT "percent_min" CHECK (VALUE >= (0)::numeric)'
    )
    guarded = domain.guarded()
    assert guarded.startswith(
        "DO $modelgen$ BEGIN IF NOT (EXISTS (SELECT 1 FROM pg_type"
    )
    assert "'CREATE DOMAIN" in guarded and "OR REPLACE" not in guarded


def test_no_tables_need_nothing() -> None:
    schema = load_snapshot(FIXTURES / "production" / "schema.json")
    assert needed_by(schema, []) == []
