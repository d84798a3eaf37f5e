"""`drift --fix` writes in the file's own style: a type without arguments called
when the file calls them (`db.Text()`), the file's quote (strings that must be
double-quoted show no habit), and Black's line wrapping only in a file Black
formats (a Black-formatted file stays Black-clean)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import black
import pytest
from helpers.fix_cases import CASES, make_project

from modelgen.catalog.snapshot import load_snapshot, write_snapshot
from modelgen.config import load_config
from modelgen.drift.engine import compute_drift
from modelgen.drift.models import load_models
from modelgen.source.fix import plan_fixes, write_fixes

# single quotes; every string a habit can show in is single-quoted, and the
# SQL snippets that must be double-quoted outnumber them; types called
OWNER = """\
from app.extensions import db

# legacy filters the app still sends (each holds a quote: double-quoted)
LEGACY_SQL = ("'a'::text", "'b'::text", "'c'::text", "'d'::text", "'e'::text")


class Owner(db.Model):
    __tablename__ = 'owners'

    id = db.Column(db.Integer(), primary_key=True)
    email = db.Column(db.String(200), nullable=False)

    def __repr__(self):
        return '<Owner %s %s>' % (self.id, self.email)  # the admin's list of owners, and logs
"""
COMMENT = "what the owner writes about themselves, shown on the public shop page"
BLACK = black.Mode(string_normalization=False)


def owner_project(tmp_path: Path, source: str) -> Path:
    """The classic case's app with one model, Owner; production's owners table has
    three columns more (one with a comment that makes its line long)."""
    project = make_project("classic", tmp_path)
    models = project / "app" / "models"
    (models / "__init__.py").write_text("from app.models.shop import Owner  # noqa\n")
    (models / "shop.py").write_text(source)
    schema = load_snapshot(CASES / "classic" / "schema.json")
    shops, owners = schema.find_table("shops"), schema.find_table("owners")
    assert shops is not None and owners is not None
    more = {c.name: c for c in shops.columns}
    columns = (
        *owners.columns,
        more["slug"],
        replace(more["description"], comment=COMMENT),
        more["tags"],
    )
    tables = (replace(owners, columns=columns),)
    write_snapshot(replace(schema, tables=tables), project / "schema.json")
    return project


def fixed(project: Path) -> str:
    config = load_config(project / "modelgen.toml")
    schema = load_snapshot(project / "schema.json")
    report = compute_drift(schema, config, load_models(config))
    result = plan_fixes(report, schema)
    assert [f.key for f in result.fixed] == [
        "owners.slug",
        "owners.description",
        "owners.tags",
    ]
    write_fixes(result)
    return (project / "app" / "models" / "shop.py").read_text()


def test_a_file_black_does_not_format_gets_its_calls_quotes_and_long_lines(
    tmp_path: Path,
) -> None:
    text = fixed(owner_project(tmp_path, OWNER))
    assert (
        "    email = db.Column(db.String(200), nullable=False)\n"
        "    slug = db.Column(db.String(80), nullable=False)\n"
        f"    description = db.Column(db.Text(), comment='{COMMENT}')\n"
        "    tags = db.Column(ARRAY(db.Text()))\n\n"
        "    def __repr__(self):\n"
    ) in text
    assert black.format_str(text, mode=BLACK) != text  # the long line stays long


@pytest.mark.parametrize("magic_comma", [True, False])
def test_a_black_formatted_file_stays_black_clean(
    tmp_path: Path, magic_comma: bool
) -> None:
    """Black's layout for what --fix wrote, with the project's own Black settings."""
    mode = replace(BLACK, line_length=79, magic_trailing_comma=magic_comma)
    source = black.format_str(OWNER, mode=mode)
    project = owner_project(tmp_path, source)
    (project / "pyproject.toml").write_text(
        "[tool.black]\nline-length = 79\n"
        f"skip-magic-trailing-comma = {str(not magic_comma).lower()}\n"
    )
    text = fixed(project)
    assert black.format_str(text, mode=mode) == text
    assert "db.Column(ARRAY(db.Text()))" in text
    assert f"comment='{COMMENT}'" in text
    assert max(len(line) for line in text.splitlines() if "comment=" not in line) < 80
