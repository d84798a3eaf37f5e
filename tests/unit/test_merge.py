"""The merge stage on small, focused changes (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES

from modelgen.catalog.schema import Schema
from modelgen.catalog.snapshot import load_snapshot
from modelgen.config import load_config
from modelgen.errors import ModelgenError
from modelgen.generate.pipeline import generate_files
from modelgen.source.merge import merge_file

CASE = FIXTURES / "living" / "hand_code"
BEFORE = load_snapshot(CASE / "before.json")


def shop(schema: Schema, config_file: Path = CASE / "modelgen.toml") -> str:
    config = load_config(config_file)
    files = generate_files(schema, config, [], True, out=Path("/nonexistent")).files
    return next(f.content for f in files if f.path.name == "shop.py")


METHOD = "\n    def label(self) -> str:\n        return self.key\n"


def production_module(tmp_path: Path) -> str:
    """The fixture production's bootstrap module, as generate writes it."""
    schema = load_snapshot(FIXTURES / "production" / "schema.json")
    result = generate_files(schema, load_config(None, tmp_path), out=tmp_path / "m")
    return next(f.content for f in result.files if f.path.name == "public.py")


def with_method(source: str, cls: str) -> str:
    """``source`` with the team's method added at the top of class ``cls``."""
    line = f"class {cls}(Model):"
    assert line in source
    return source.replace(line + "\n", line + METHOD + "\n", 1)


def test_a_class_whose_table_left_the_file_goes_unless_the_team_added_code(
    tmp_path: Path,
) -> None:
    config = tmp_path / "modelgen.toml"
    config.write_text(
        (CASE / "modelgen.toml").read_text().replace(', "settings"]', "]")
    )
    pristine, fresh = shop(BEFORE), shop(BEFORE, config)
    merged = merge_file(Path("shop.py"), pristine, fresh)
    assert merged.conflicts == () and "class Setting" not in merged.content
    # imports are never removed (a team's and modelgen's look alike): JSONB's stays
    stale = "from sqlalchemy.dialects import postgresql\n\n"
    assert merged.content.replace(stale, "", 1) == fresh

    edited = pristine + METHOD
    kept = merge_file(Path("shop.py"), edited, fresh)
    assert kept.conflicts == ()
    assert "class Setting(Model):" in kept.content and METHOD in kept.content


def test_an_edited_owned_statement_is_a_conflict_with_its_line() -> None:
    pristine = shop(BEFORE)
    edited = pristine.replace("db.String(100)", "db.String(120)")
    line = edited.splitlines().index("    note = db.Column(db.String(120))") + 1
    merged = merge_file(Path("shop.py"), edited, pristine)
    assert [(c.line, c.production, c.file) for c in merged.conflicts] == [
        (
            line,
            "note = db.Column(db.String(100))",
            "note = db.Column(db.String(120))",
        )
    ]
    assert merged.content == pristine  # what --force writes


def test_a_file_that_does_not_parse_is_one_error_naming_it() -> None:
    broken = shop(BEFORE) + "\n    def half(self:\n"
    with pytest.raises(ModelgenError) as info:
        merge_file(Path("models/shop.py"), broken, shop(BEFORE))
    assert str(info.value).startswith("models/shop.py:")
    assert "\n" not in str(info.value)


def test_both_sides_of_a_self_reference_survive_a_regeneration_with_hand_code(
    tmp_path: Path,
) -> None:
    """Category.parent (many-to-one, remote_side) and Category.children join the
    same key, so they shared one identity and the merge kept only one of them:
    adding a method to any class of the file and regenerating dropped `parent`,
    and `children`'s back_populates then named nothing."""
    fresh = production_module(tmp_path)
    assert fresh.count('back_populates="children"') == 1
    edited = with_method(fresh, "Achievement")
    merged = merge_file(Path("public.py"), edited, fresh)
    assert merged.conflicts == ()
    assert merged.content == edited  # nothing to change but what the team added


def test_a_file_with_a_self_reference_takes_a_production_change_without_conflict(
    tmp_path: Path,
) -> None:
    """The merge tells the two sides of a self-reference apart (`…#2`), but the
    header's hash has no such suffix: testing the file's owned statements against
    the recorded hash with the merge's identities never matched, so any
    production change to a file holding a self-referencing table (chinook's
    employee.reports_to, the fixture's categories.parent_id) was refused as a
    hand edit (exit 1) although nobody edited an owned line.
    """
    fresh = production_module(tmp_path)
    edited = with_method(fresh, "Achievement")
    old_icon = (
        "    icon = db.Column(db.String(50))\n"
        '    points = db.Column(db.Integer, nullable=False, server_default=db.text("0"))\n'
    )
    assert old_icon in fresh
    new_icon = old_icon.replace("String(50)", "String(80)")
    changed = fresh.replace(old_icon, new_icon, 1)  # production widened the column
    merged = merge_file(Path("public.py"), edited, changed)
    assert merged.conflicts == ()
    assert merged.content == edited.replace(old_icon, new_icon, 1)


def test_a_production_change_in_a_self_referencing_class_keeps_both_sides(
    tmp_path: Path,
) -> None:
    """Inside a class production changed, the statement merge (libcst) keyed the
    class's members by their plain identity: `parent` (remote_side) was replaced
    by `children`'s statement under parent's name, so the file lost remote_side,
    SQLAlchemy then sees two one-to-many sides, and the next run calls the file
    hand-edited (chinook: employee.reports_to, after any change to employee)."""
    fresh = production_module(tmp_path)
    edited = with_method(fresh, "Category")
    start = fresh.index("class Category(Model):")
    old_icon = "    icon = db.Column(db.String(50))\n"
    at = fresh.index(old_icon, start)
    new_icon = old_icon.replace("String(50)", "String(80)")
    changed = fresh[:at] + new_icon + fresh[at + len(old_icon) :]
    merged = merge_file(Path("public.py"), edited, changed)
    assert merged.conflicts == ()
    at = edited.index(old_icon, edited.index("class Category(Model):"))
    assert merged.content == edited[:at] + new_icon + edited[at + len(old_icon) :]


TEAM_RELATIONSHIP = (
    '    own_jobs = db.relationship("Job", viewonly=True)  # the team\'s own\n'
)


def test_a_team_relationship_survives_a_dropped_table_with_many_statements(
    tmp_path: Path,
) -> None:
    """A relationship the team wrote looks like one modelgen owns, so the merge
    finds it among the statements production no longer has and asks the hash
    which of those the last run wrote.  Past 8 such statements it tried only
    "all" and "none": a dropped table of a dozen columns next to one team
    relationship made any later run a conflict (northwind: customer_demographics
    dropped after the team added a relationship to products)."""
    fresh = production_module(tmp_path)
    anchor = '    jobs = db.relationship("Job", back_populates="category")\n'
    assert anchor in fresh
    edited = fresh.replace(anchor, anchor + TEAM_RELATIONSHIP, 1)
    start = fresh.index("class Achievement(Model):")
    end = fresh.index("class AlembicVersion(Model):")
    changed = fresh[:start] + fresh[end:]  # production dropped achievements
    merged = merge_file(Path("public.py"), edited, changed)
    assert merged.conflicts == ()
    assert merged.content == changed.replace(anchor, anchor + TEAM_RELATIONSHIP, 1)


def test_a_class_kept_for_the_teams_code_is_reported_with_its_line(
    tmp_path: Path,
) -> None:
    """A class whose table left the file (production dropped or renamed it, or the
    config moved it to another file) stays when the team added code to it, with
    its columns (its generated relationships go: their other sides are gone).
    That was silent: generate and check said nothing, and the
    package no longer configured (pagila: `language` renamed, Language's
    relationships join keys production no longer has) or no longer imported
    (tpcc: `item` moved to items.py, `Table 'item' is already defined')."""
    config = tmp_path / "modelgen.toml"
    config.write_text(
        (CASE / "modelgen.toml").read_text().replace(', "settings"]', "]")
    )
    pristine, fresh = shop(BEFORE), shop(BEFORE, config)
    assert merge_file(Path("shop.py"), pristine, fresh).kept == ()
    edited = pristine.replace(
        "class Setting(Model):\n", "class Setting(Model):" + METHOD + "\n", 1
    )
    line = edited.splitlines().index("class Setting(Model):") + 1
    merged = merge_file(Path("shop.py"), edited, fresh)
    assert "class Setting(Model):" in merged.content
    assert [(k.line, k.name, k.table) for k in merged.kept] == [
        (line, "Setting", "settings")
    ]
    # and on every later run: the recorded hash counts what modelgen kept
    again = merge_file(Path("shop.py"), merged.content, fresh)
    assert again.content == merged.content
    assert [(k.line, k.name) for k in again.kept] == [(line, "Setting")]
