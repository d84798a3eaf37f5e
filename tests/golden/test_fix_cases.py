"""Golden cases for `drift --fix`: fixtures/fix_cases/<case>/ holds production
(schema.sql, and its snapshot schema.json), hand-written models (before/app),
a config, and the reviewed patch `--fix` applies (expected.diff).  No database.

To refresh after an intended change: MODELGEN_UPDATE_GOLDEN=1 pytest tests/golden,
then review every changed expected.diff with `git diff` before committing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.fix_cases import CASES, NAMES, UPDATE, drift_of, fixes, make_project

from modelgen.catalog.snapshot import load_snapshot
from modelgen.errors import ModelgenError
from modelgen.source.fix import plan_fixes, write_fixes


@pytest.mark.parametrize("name", NAMES)
def test_fix_patch_is_the_reviewed_one(name: str, tmp_path: Path) -> None:
    project = make_project(name, tmp_path)
    result = fixes(project)
    patch = result.diff(project)
    expected = CASES / name / "expected.diff"
    if UPDATE:
        expected.write_text(patch)
    assert patch == expected.read_text()
    assert not result.unfixable


@pytest.mark.parametrize("name", NAMES)
def test_after_fix_only_the_held_back_drift_is_left(name: str, tmp_path: Path) -> None:
    project = make_project(name, tmp_path)
    result = fixes(project)
    held = {f.key for f in result.held}
    write_fixes(result)
    left = {f.key for f in drift_of(project).drift}
    assert left == held
    assert fixes(project).diff(project) == ""  # a second run has nothing to do

    write_fixes(fixes(project, unsafe=True))
    report = drift_of(project)
    assert report.models.method == "import"  # every fixed module still imports
    assert report.drift == []


def test_held_back_removal_names_the_lines_that_use_it(tmp_path: Path) -> None:
    project = make_project("classic", tmp_path)
    result = fixes(project)
    assert [f.key for f in result.held] == ["shops.fax"]
    assert result.files[0].warnings == [
        "shops.fax: removed from production; fax is still used at shop.py:45"
    ]
    assert "-    fax = db.Column(db.String(30))" not in result.diff(project)
    unsafe = fixes(project, unsafe=True)
    assert "-    fax = db.Column(db.String(30))" in unsafe.diff(project)


def test_a_model_file_that_does_not_parse_is_named_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    project = make_project("classic", tmp_path)
    report = drift_of(project)
    shop = project / "app" / "models" / "shop.py"
    broken = shop.read_text().replace("    def contact(self):", "    def contact(self:")
    shop.write_text(broken)
    with pytest.raises(ModelgenError) as info:
        plan_fixes(report, load_snapshot(project / "schema.json"))
    assert str(info.value).startswith(f"{shop}:")
    assert "does not parse" in str(info.value)
    assert shop.read_text() == broken


def changed_lines(patch: str) -> list[str]:
    """The removed and added lines of a unified diff, without its file headers."""
    return [
        line
        for line in patch.splitlines()
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]


BARE_TICKET = """from datetime import datetime
from decimal import Decimal
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {str: sa.String(120)}


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str]  # the type from the annotation map
    body: Mapped[str | None] = mapped_column(sa.Text)
    priority: Mapped[int] = mapped_column(sa.SmallInteger)
    state: Mapped[str] = mapped_column(
        sa.Enum("new", "open", "done", name="ticket_state")
    )
    amount: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    score: Mapped[Optional[Decimal]] = mapped_column(sa.Numeric(5, 1))
    meta: Mapped[Optional[Any]] = mapped_column(JSONB)
    due_at: Mapped[datetime]
"""


def test_bare_mapped_annotations_are_fixed_in_place(tmp_path: Path) -> None:
    # `title: Mapped[str]` with no mapped_column(...) is a column (its type from
    # the annotation): a changed type gets `= mapped_column(type)`, a changed
    # nullability the annotation, like any other typed column
    project = make_project("typed", tmp_path)
    model = project / "app" / "models" / "ticket.py"
    model.write_text(BARE_TICKET)
    result = fixes(project)
    assert not result.unfixable, result.unfixable
    patch = result.diff(project)
    changed = changed_lines(patch)
    # a Black-formatted file: the line that grew past 88 columns is Black's
    assert changed == [
        "-    title: Mapped[str]  # the type from the annotation map",
        "+    title: Mapped[str] = mapped_column(",
        "+        sa.String(200)",
        "+    )  # the type from the annotation map",
        "-    due_at: Mapped[datetime]",
        "+    due_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))",
    ]
    write_fixes(result)
    report = drift_of(project)
    assert report.models.method == "import" and report.drift == []


STI_TICKET = '''import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Ticket(Base):
    __tablename__ = "tickets"
    __mapper_args__ = {"polymorphic_on": "state", "polymorphic_identity": "new"}

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str | None] = mapped_column(sa.Text)
    priority: Mapped[int] = mapped_column(sa.SmallInteger)
    state: Mapped[str] = mapped_column(
        sa.Enum("new", "open", "done", name="ticket_state")
    )
    amount: Mapped[float] = mapped_column(sa.Numeric(12, 2))
    meta = sa.Column(sa.JSON)


class OpenTicket(Ticket):
    """Single-table inheritance: its columns are the tickets table's."""

    __mapper_args__ = {"polymorphic_identity": "open"}

    score: Mapped[float | None] = mapped_column(sa.Numeric(4, 1))
    due_at: Mapped[sa.DateTime] = mapped_column(sa.DateTime(timezone=True))
'''


def test_a_single_table_subclass_column_is_fixed_where_it_is_declared(
    tmp_path: Path,
) -> None:
    project = make_project("typed", tmp_path)
    model = project / "app" / "models" / "ticket.py"
    model.write_text(STI_TICKET)
    result = fixes(project)
    fixed = {f.key for f in result.files[0].fixed}
    assert {"tickets.score", "tickets.due_at"} <= fixed, result.unfixable
    patch = result.diff(project)
    changed = changed_lines(patch)
    assert (
        "-    score: Mapped[float | None] = mapped_column(sa.Numeric(4, 1))" in changed
    )
    assert (
        "+    score: Mapped[float | None] = mapped_column(sa.Numeric(5, 1))" in changed
    )
    assert (
        "+    due_at: Mapped[sa.DateTime | None] = mapped_column(sa.DateTime(timezone=True))"
        in changed
    )


# a hand-written typed model of the fix case's tickets table, as production has it
TICKET_MODULE = """import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    state: Mapped[str] = mapped_column(
        sa.Enum("new", "open", "done", name="ticket_state")
    )
    priority: Mapped[int] = mapped_column(sa.SmallInteger)
    body = mapped_column(sa.Text)
    amount = mapped_column(sa.Numeric(12, 2), nullable=False)
    score = mapped_column(sa.Numeric(5, 1))
    meta = mapped_column(JSONB)
    due_at = mapped_column(sa.DateTime(timezone=True))
"""

INDEXED_TICKET = TICKET_MODULE + """

sa.Index("ix_tickets_state_priority", Ticket.state, Ticket.priority)
# the code lookup
sa.Index("ix_tickets_code", Ticket.code)
by_title = sa.Index("ix_tickets_title", Ticket.title)
"""


def test_a_module_level_index_production_lacks_is_removed(tmp_path: Path) -> None:
    # `Index(...)` after the class, with the class's columns: removed as a
    # statement when production has no such index (comments above it stay);
    # one bound to a name may be used elsewhere, so it is left to fix by hand
    project = make_project("typed", tmp_path)
    (project / "app" / "models" / "ticket.py").write_text(INDEXED_TICKET)
    result = fixes(project)
    assert {f.key for f in result.files[0].fixed} == {"tickets.ix_tickets_code"}
    assert [f.key for f, _ in result.unfixable] == ["tickets.ix_tickets_title"]
    changed = changed_lines(result.diff(project))
    assert changed == ['-sa.Index("ix_tickets_code", Ticket.code)']


ARRAY_TICKET = TICKET_MODULE.replace(
    "meta = mapped_column(JSONB)", "meta = mapped_column(sa.ARRAY(sa.String(30)))"
)


def test_a_changed_type_argument_keeps_the_files_spelling_and_imports(
    tmp_path: Path,
) -> None:
    # only the length changes in `sa.ARRAY(sa.String(30))`: no import for
    # another spelling of ARRAY the line does not use
    project = make_project("typed", tmp_path)
    (project / "app" / "models" / "ticket.py").write_text(ARRAY_TICKET)
    snapshot = project / "schema.json"
    data = json.loads(snapshot.read_text())
    (table,) = data["schema"]["tables"]
    meta = next(c for c in table["columns"] if c["name"] == "meta")
    meta["type"] = {
        "array_dims": 1,
        "display": "character varying(50)[]",
        "element_display": "character varying(50)",
        "kind": "b",
        "modifiers": ["50"],
        "name": "varchar",
        "schema": "pg_catalog",
    }
    snapshot.write_text(json.dumps(data))
    result = fixes(project)
    changed = changed_lines(result.diff(project))
    assert changed == [
        "-    meta = mapped_column(sa.ARRAY(sa.String(30)))",
        "+    meta = mapped_column(sa.ARRAY(sa.String(50)))",
    ]


NAMED_BY_BASE = (
    TICKET_MODULE.replace(
        ", Mapped, mapped_column", ", Mapped, declared_attr, mapped_column"
    )
    .replace(
        "class Base(DeclarativeBase):\n    pass\n",
        "class Base(DeclarativeBase):\n"
        "    @declared_attr.directive\n"
        "    def __tablename__(cls) -> str:\n"
        '        return cls.__name__.lower() + "s"\n',
    )
    .replace('    __tablename__ = "tickets"\n\n', "")
    .replace("sa.String(200)", "sa.String(120)")
)


def test_a_class_without_tablename_is_found_by_its_class_name(tmp_path: Path) -> None:
    # the table name comes from the class (Flask-SQLAlchemy's automatic names,
    # a base's declared_attr __tablename__): the imported model names the class
    project = make_project("typed", tmp_path)
    (project / "app" / "models" / "ticket.py").write_text(NAMED_BY_BASE)
    result = fixes(project)
    assert not result.unfixable, result.unfixable
    changed = changed_lines(result.diff(project))
    assert changed == [
        "-    title: Mapped[str] = mapped_column(sa.String(120))",
        "+    title: Mapped[str] = mapped_column(sa.String(200))",
    ]


CONVENTION_TICKET = (
    TICKET_MODULE.replace(
        "class Base(DeclarativeBase):\n    pass\n",
        """class Base(DeclarativeBase):
    metadata = sa.MetaData(
        naming_convention={
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ix": "ix_%(column_0_label)s",
        }
    )
""",
    )
    .replace(
        '    __tablename__ = "tickets"\n',
        """    __tablename__ = "tickets"
    __table_args__ = (
        sa.UniqueConstraint("title", "priority"),
        sa.Index("ix_tickets_state_priority", "state", "priority"),
    )
""",
    )
    .replace("sa.String(20))", "sa.String(20), unique=True)")
)


def test_keys_named_by_a_naming_convention_are_found_by_their_columns(
    tmp_path: Path,
) -> None:
    # with MetaData(naming_convention=...) an unnamed key has a name in the model
    # (uq_tickets_code) that the file does not spell: found by its columns
    project = make_project("typed", tmp_path)
    (project / "app" / "models" / "ticket.py").write_text(CONVENTION_TICKET)
    result = fixes(project)
    assert not result.unfixable, result.unfixable
    changed = changed_lines(result.diff(project))
    # the file is Black-formatted: a one-entry tuple is one line in Black's layout
    assert changed == [
        "-    __table_args__ = (",
        '-        sa.UniqueConstraint("title", "priority"),',
        '-        sa.Index("ix_tickets_state_priority", "state", "priority"),',
        "-    )",
        '+    __table_args__ = (sa.Index("ix_tickets_state_priority", "state", "priority"),)',
        "-    code: Mapped[str] = mapped_column(sa.String(20), unique=True)",
        "+    code: Mapped[str] = mapped_column(sa.String(20))",
    ]
    write_fixes(result)
    assert drift_of(project).drift == []
