"""What the package's prerequisites.py carries, from snapshots: which objects, in
which order, and statements that never replace what exists."""

from __future__ import annotations

import pytest
from conftest import FIXTURES

from modelgen.catalog.carried import carried_prerequisites, used_functions
from modelgen.catalog.snapshot import load_snapshot
from modelgen.drift.prerequisites import identity


def _carried(case: str) -> list[str]:
    schema = load_snapshot(FIXTURES / "cases" / case / "schema.json")
    return [c.label for c in carried_prerequisites(schema)]


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        # partitions' schemas, though no table lives there
        ("partition_schema", ["schema archive", "schema parts"]),
        # a trigger's function, and the one its body calls; not the unused one
        ("hand_trigger", ["function public.clean", "function public.touch"]),
        # each after what its definition names: the model's enum a composite
        # needs, a function before the domain whose CHECK calls it; overloads
        (
            "prerequisite_order",
            [
                "schema kinds",
                "enum kinds.mood",
                "composite kinds.reading",
                "function kinds.below_ten",
                "domain kinds.level",
                "function kinds.is_calm",
                "function kinds.len_of",
                "function kinds.shout",
                "function kinds.shout",
            ],
        ),
        ("collation_other_schema", ["schema s", "collation s.c"]),
        ("nested_and_check", []),
    ],
)
def test_what_the_module_carries_in_order(case: str, expected: list[str]) -> None:
    assert _carried(case) == expected


def test_functions_are_those_the_tables_reach() -> None:
    schema = load_snapshot(FIXTURES / "cases" / "hand_trigger" / "schema.json")
    assert used_functions(schema) == {("public", "touch"), ("public", "clean")}
    assert any(name == "unused" for _, name, _ in schema.functions)


def test_statements_never_replace_and_drops_leave_what_is_used() -> None:
    schema = load_snapshot(FIXTURES / "cases" / "prerequisite_order" / "schema.json")
    for item in carried_prerequisites(schema):
        assert "OR REPLACE" not in item.create
        if item.item.kind == "function":
            assert "EXCEPTION WHEN duplicate_function THEN NULL" in item.create
        elif item.item.kind != "schema":
            assert "EXCEPTION WHEN duplicate_object THEN NULL" in item.create
        assert item.drop is not None
        assert "EXCEPTION WHEN dependent_objects_still_exist THEN NULL" in item.drop


def test_drift_tells_overloads_apart() -> None:
    schema = load_snapshot(FIXTURES / "cases" / "prerequisite_order" / "schema.json")
    keys = [identity(c.create) for c in carried_prerequisites(schema)]
    assert "FUNCTION kinds.shout(t text)" in keys
    assert "FUNCTION kinds.shout(n integer)" in keys
    assert len(set(keys)) == len(keys)
