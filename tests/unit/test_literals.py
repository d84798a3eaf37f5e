"""Every text from the database becomes a Python literal that evaluates back to itself."""

import ast

import pytest

from modelgen.catalog.pgtext import referenced_table, source_form
from modelgen.generate.literals import lit

HOSTILE = [
    "plain",
    "it's",
    'say "hi"',
    "both ' and \"",
    '"""',
    "'''",
    "back\\slash",
    "trailing backslash\\",
    "new\nline",
    "\r\n\t",
    "# not a comment",
    "ünïcødé ✓ 漢字",
    "\x00\x01\x1f\x7f\x85",
    "\u2028\u2029\ufeff",
    "'); import os; os.system('x'); ('",
    "",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_lit_round_trips_and_is_a_single_constant(text: str) -> None:
    source = lit(text)
    tree = ast.parse(source, mode="eval")
    assert isinstance(tree.body, ast.Constant)
    assert tree.body.value == text
    assert "\n" not in source


def test_varchar_in_list_is_written_in_the_form_that_prints_back() -> None:
    printed = "status::text = ANY (ARRAY['new'::character varying, 'it''s'::character varying]::text[])"
    assert source_form(printed) == "status IN ('new', 'it''s')"
    negated = "\"Kind\"::text <> ALL (ARRAY['a'::character varying]::text[])"
    assert source_form(negated) == "\"Kind\" NOT IN ('a')"
    untouched = "kind = ANY (ARRAY['a'::text, 'b'::text])"
    assert source_form(untouched) == untouched


@pytest.mark.parametrize(
    ("definition", "table"),
    [
        ("FOREIGN KEY (a) REFERENCES rental(rental_id)", (None, "rental")),
        ('FOREIGN KEY (a) REFERENCES billing."My ""T("(id)', ("billing", 'My "T(')),
        ('FOREIGN KEY (a, b) REFERENCES "x.y"(a, b) ON DELETE CASCADE', (None, "x.y")),
        ("CHECK ((note <> 'REFERENCES t(x)'::text))", None),
    ],
)
def test_referenced_table_reads_pg_get_constraintdef(definition, table) -> None:  # type: ignore[no-untyped-def]
    assert referenced_table(definition) == table
