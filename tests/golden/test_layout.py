"""modelgen's own layout step gives Black's bytes: on every golden case and on random
schemas full of long and hostile names, compared with Black run over whole files."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest
from helpers.randschema import random_schema

from modelgen.config import Config
from modelgen.generate.pipeline import generate_files


def generate(schema, style: str, tmp: Path, formatter: str | None) -> dict[str, str]:  # type: ignore[no-untyped-def]
    if formatter:
        os.environ["MODELGEN_FORMATTER"] = formatter
    try:
        result = generate_files(
            schema, Config(path=None, root=tmp, style=style), out=tmp / "m"
        )
    finally:
        os.environ.pop("MODELGEN_FORMATTER", None)
    return {str(f.path.name): f.content for f in result.files}


@pytest.mark.parametrize("seed", range(40))
def test_layout_equals_black_on_random_schemas(seed: int, tmp_path: Path) -> None:
    schema = random_schema(seed)
    style = "typed" if seed % 2 else "classic"
    fast = generate(schema, style, tmp_path, None)
    slow = generate(schema, style, tmp_path, "black")
    assert fast == slow
    for name, content in fast.items():
        tree = ast.parse(content, name)  # compiles, and holds what the schema said
        constants = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
        if name == "public.py":
            for table in schema.tables:
                assert table.name in constants
                for column in table.columns:
                    assert column.name in constants or column.name.isidentifier()
                    if column.comment is not None:
                        assert column.comment in constants


def test_a_module_of_only_keyless_tables_is_black_clean(tmp_path: Path) -> None:
    """Straight after the imports Black keeps one blank line, not two."""
    from modelgen.catalog.schema import Column, Schema, Table, TypeRef
    from modelgen.generate.format import black_format

    text = TypeRef("text", "text", "pg_catalog", "b", 0, (), "text")
    schema = Schema(tables=(Table("audit", "events", (Column("what", text, True),)),))
    files = generate(schema, "classic", tmp_path, None)
    assert files["audit.py"].count("db.Table(") == 1
    for name, content in files.items():
        assert black_format(content, name) == content
