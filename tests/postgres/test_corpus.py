"""Schemas nobody here wrote: generated with no config, created from scratch, compared.

Each schema in ../shared/corpus is loaded into an empty database; `modelgen verify`'s
engine bootstraps models for every table, creates them in another empty database
and compares both catalogs fact by fact.  Skips where the corpus folder is absent.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CORPUS

from modelgen.catalog.reflect import reflect_url
from modelgen.config import Config
from modelgen.generate.format import black_format
from modelgen.generate.output import split_header
from modelgen.generate.pipeline import generate_files
from modelgen.source.ownership import items_hash, owned_items
from modelgen.verify import verify_schema

ABSENT = (
    f"corpus folder {CORPUS} is absent (real schemas from other projects, not "
    "shipped: README, 'The corpus'; or set MODELGEN_CORPUS)"
)

NAMES = (
    sorted(p.name for p in CORPUS.iterdir() if (p / "schema.sql").is_file())
    if CORPUS.is_dir()
    else []
)


@pytest.mark.skipif(not NAMES, reason=ABSENT)
@pytest.mark.parametrize("style", ["classic", "typed"])
@pytest.mark.parametrize("name", NAMES)
def test_corpus_schema_round_trips(
    name: str, style: str, corpus_db: Callable[[str], str], pg_admin: str
) -> None:
    """verify's default mode does what a test suite does: a fresh database holding
    production's extensions, the generated package imported, db.create_all(); every
    fact compared (triggers and policies too), then db.drop_all() must leave the
    database empty.  Nothing else creates anything."""
    url = corpus_db(name)
    schema = reflect_url(url)
    assert schema.tables, "the corpus schema loaded no tables"
    result = verify_schema(schema, pg_admin, style=style)
    assert result.tables == len(schema.tables)
    assert list(result.differences) == []


@pytest.mark.skipif(not NAMES, reason=ABSENT)
@pytest.mark.parametrize("name", NAMES)
def test_corpus_output_is_blacks_and_hashed_as_parsed(
    name: str, corpus_db: Callable[[str], str]
) -> None:
    """The fast layout gives Black's bytes on schemas nobody here wrote, and the
    header hash computed from the plan is the parse-based one."""
    schema = reflect_url(corpus_db(name))
    for style in ("classic", "typed"):
        config = Config(path=None, root=Path("."), style=style, views=True)
        for item in generate_files(schema, config, out=Path("/nonexistent/m")).files:
            assert black_format(item.content, item.path.name) == item.content, item.path
            recorded, body = split_header(item.content)
            if recorded is not None:
                assert recorded == items_hash(owned_items(ast.parse(body))), item.path


def test_fixture_production_round_trips_with_no_config(
    production_schema, pg_admin: str
) -> None:
    result = verify_schema(production_schema, pg_admin)
    assert result.tables == 47
    assert list(result.differences) == []


def test_fixture_typed_style_round_trips(production_schema, pg_admin: str) -> None:
    result = verify_schema(production_schema, pg_admin, style="typed")
    assert list(result.differences) == []


@pytest.mark.skipif("pagila" not in NAMES, reason="pagila not in the corpus")
def test_views_mapped_on_request_are_never_created(
    corpus_db: Callable[[str], str], pg_admin: str
) -> None:
    url = corpus_db("pagila")
    schema = reflect_url(url)
    assert any(r.kind == "view" and r.columns for r in schema.others)
    result = verify_schema(schema, pg_admin, views=True)
    # verify reports any table the models created that production lacks
    assert list(result.differences) == []
    assert result.tables == len(schema.tables)
