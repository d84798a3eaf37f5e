"""The argument-level edits and the file's spelling behind `drift --fix`: each keeps
the layout, quotes and arguments it does not change."""

from __future__ import annotations

from collections import Counter

import libcst as cst
import pytest

from modelgen.source.calls import (
    insert_type_arg,
    remove_arg,
    replace_string_args,
    set_kwarg,
    set_optional,
)
from modelgen.source.cst import column_statements, model_classes
from modelgen.source.spelling import Spelling, add_imports, respell


def code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def call(text: str) -> cst.Call:
    node = cst.parse_expression(text)
    assert isinstance(node, cst.Call)
    return node


def test_enum_labels_keep_one_label_a_line() -> None:
    before = 'db.Enum(\n    "a",\n    "b",\n    name="kind",\n)'
    after = replace_string_args(call(before), ["a", "b", "c"])
    assert code(after) == 'db.Enum(\n    "a",\n    "b",\n    "c",\n    name="kind",\n)'


def test_enum_labels_on_one_line_in_single_quotes() -> None:
    after = replace_string_args(call("Enum('a', 'b', name='k')"), ["a", "it's", "c"])
    assert code(after) == """Enum('a', "it's", 'c', name='k')"""


@pytest.mark.parametrize(
    ("before", "key", "value", "after"),
    [
        ("Column(String(3), nullable=False)", "nullable", None, "Column(String(3))"),
        ("Column(String(3))", "nullable", "False", "Column(String(3), nullable=False)"),
        (
            "Column(\n    String(3),\n    default='x',\n)",
            "comment",
            "'c'",
            "Column(\n    String(3),\n    default='x',\n    comment='c',\n)",
        ),
        (
            "Column(String(3), comment='old', default=1)  ",
            "comment",
            "'new'",
            "Column(String(3), comment='new', default=1)",
        ),
    ],
)
def test_set_kwarg_changes_only_that_keyword(
    before: str, key: str, value: str | None, after: str
) -> None:
    new = None if value is None else cst.parse_expression(value)
    assert code(set_kwarg(call(before.strip()), key, new)) == after


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # the column's name was the only argument (`bytes_ = mapped_column("bytes")`):
        # the type was written `mapped_column("bytes", BigInteger, )`
        ('mapped_column("bytes")', 'mapped_column("bytes", BigInteger)'),
        ("mapped_column()", "mapped_column(BigInteger)"),
        (
            "mapped_column(primary_key=True)",
            "mapped_column(BigInteger, primary_key=True)",
        ),
        (
            'mapped_column("n", nullable=False)',
            'mapped_column("n", BigInteger, nullable=False)',
        ),
        (
            'mapped_column(\n    "bytes",\n)',
            'mapped_column(\n    "bytes",\n    BigInteger,\n)',
        ),
    ],
)
def test_a_type_argument_goes_in_after_the_name_with_the_calls_commas(
    before: str, after: str
) -> None:
    new = insert_type_arg(call(before), cst.Name("BigInteger"))
    assert code(new) == after


def test_removing_the_last_argument_keeps_the_call_well_formed() -> None:
    node = call("Column(Integer, ForeignKey('a.id'))")
    assert code(remove_arg(node, node.args[1])) == "Column(Integer)"


@pytest.mark.parametrize(
    ("before", "nullable", "after"),
    [
        ("Mapped[str]", True, "Mapped[str | None]"),
        ("Mapped[str | None]", False, "Mapped[str]"),
        ("Mapped[Optional[int]]", False, "Mapped[int]"),
        ("Mapped[Optional[int]]", True, "Mapped[Optional[int]]"),
    ],
)
def test_mapped_annotation_follows_nullability(
    before: str, nullable: bool, after: str
) -> None:
    result = set_optional(cst.parse_expression(before), nullable)
    assert result is not None and code(result) == after


FLASK = "from app.extensions import db\nfrom sqlalchemy.dialects.postgresql import ARRAY\n\nx = db.Column(db.Text)\n"
TYPED = "import sqlalchemy as sa\nfrom sqlalchemy.orm import Mapped, mapped_column\n\nx: Mapped[str] = mapped_column(sa.Text)\n"
BARE = "from sqlalchemy import Column, Integer\n\nx = Column(Integer)\n"


@pytest.mark.parametrize(
    ("source", "rendered", "spelled", "imports"),
    [
        (FLASK, "postgresql.ARRAY(db.String(3))", "ARRAY(db.String(3))", {}),
        (
            FLASK,
            "postgresql.JSONB",
            "JSONB",
            {"sqlalchemy.dialects.postgresql": ["JSONB"]},
        ),
        (TYPED, "db.mapped_column(db.String(3))", "mapped_column(sa.String(3))", {}),
        (
            TYPED,
            "Mapped[datetime.datetime | None]",
            "Mapped[datetime | None]",
            {"datetime": ["datetime"]},
        ),
        (
            BARE,
            "db.Column(db.String(3))",
            "Column(String(3))",
            {"sqlalchemy": ["String"]},
        ),
    ],
)
def test_generated_code_is_spelled_the_files_way(
    source: str, rendered: str, spelled: str, imports: dict[str, list[str]]
) -> None:
    spelling = Spelling.of(cst.parse_module(source))
    assert code(respell(rendered, spelling)) == spelled
    assert spelling.added == imports


def test_a_needed_import_joins_the_existing_line() -> None:
    module = cst.parse_module(BARE)
    spelling = Spelling.of(module)
    respell("db.String(3)", spelling)
    new = add_imports(module, spelling.added)
    assert new.code.startswith("from sqlalchemy import Column, Integer, String\n\nx =")


def test_a_class_is_found_by_tablename_and_a_column_by_its_database_name() -> None:
    module = cst.parse_module(
        "class A(Base):\n"
        "    __tablename__ = 'a'\n"
        "    id = Column(Integer, primary_key=True)\n"
        "    amount_value = Column('amount', Numeric)\n"
        "    total: Mapped[int] = mapped_column(name='sum')\n"
        "    def f(self): pass\n"
    )
    classes = model_classes(module)
    assert list(classes) == ["a"]
    assert column_statements(classes["a"]) == {"id": 1, "amount": 2, "sum": 3}


def test_single_table_subclasses_read_the_module_once_and_keep_its_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """drift --fix asks for each fixed class's subclasses; reading the module's
    classes again for each (as it did) is quadratic in a 2,000-class module."""
    from modelgen.source import cst as drift_cst

    classes = [
        "class Base(db.Model):\n    __tablename__ = 'base'\n    id = db.Column(db.Integer)\n",
        "class A(Base):\n    a = db.Column(db.Text)\n",
        "class Own(Base):\n    __tablename__ = 'own'\n",
        "class B(A):\n    b = db.Column(db.Text)\n",
        "class C(Base):\n    __tablename__ = None\n",
    ]
    classes += [
        f"class T{i}(db.Model):\n    __tablename__ = 't{i}'\n" for i in range(200)
    ]
    module = cst.parse_module("\n\n".join(classes))
    read = Counter[str]()
    real = drift_cst.class_statements

    def counted(cls: cst.ClassDef) -> list[cst.BaseStatement]:
        read[cls.name.value] += 1
        return real(cls)

    monkeypatch.setattr(drift_cst, "class_statements", counted)
    subclasses = drift_cst.SingleTableSubclasses(module)
    top = [s for s in module.body if isinstance(s, cst.ClassDef)]
    found = {cls.name.value: [s.name.value for s in subclasses.of(cls)] for cls in top}
    assert found["Base"] == [
        "A",
        "B",
        "C",
    ]  # any depth, module order, none with a table
    assert found["A"] == ["B"] and found["T7"] == [] and found["Own"] == []
    assert max(read.values()) == 1 and len(read) == len(top)


def test_the_files_quote_is_read_from_its_plain_strings_without_its_syntax_tree() -> (
    None
):
    from modelgen.source import spelling

    docstrings = '"""A module."""\n\n\nclass A:\n    """A class."""\n\n'
    single = "x = db.Column(db.String(5), server_default='a')\ny = 'b'\n"
    assert Spelling.of(cst.parse_module(docstrings + single)).quote == "'"
    assert (
        Spelling.of(cst.parse_module(single + 'z = f"{y}"\nw = f"{x}"\n')).quote == "'"
    )
    assert Spelling.of(cst.parse_module('a = "x"\nb = \'y\'\nc = "z"\n')).quote == '"'
    # the file's first strings decide: a 2,000-class module is not read to its end
    many = "a = 'x'\n" * spelling.QUOTE_SAMPLE + 'b = "y"\n' * (
        spelling.QUOTE_SAMPLE + 1
    )
    assert Spelling.of(cst.parse_module(many)).quote == "'"


KEYED = """class BufferedEvent(Model):
    __tablename__ = "buffered_events"{args}

    shard_id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    data: Mapped[bytes]
"""
PKEY = 'PrimaryKeyConstraint("shard_id", "run_id", "id", name="buffered_events_pkey")'


@pytest.mark.parametrize(
    ("args", "fixed"),
    [
        # a new or rebuilt statement is one line here; the file's layout (Black's
        # in a Black-formatted file) is applied to the whole file by blackstyle
        ("", f"\n    __table_args__ = ({PKEY},)"),
        (
            '\n    __table_args__ = {"comment": "events"}',
            f'\n    __table_args__ = ({PKEY}, {{"comment": "events"}})',
        ),
        (
            '\n    __table_args__ = (\n        Index("ix_data", "data"),  # why\n    )',
            f'\n    __table_args__ = (\n        {PKEY},\n        Index("ix_data", "data"),  # why\n    )',
        ),
    ],
    ids=["no table args", "a dict", "a tuple, one entry a line"],
)
def test_a_key_on_the_columns_moves_to_table_args_in_production_s_order(
    args: str, fixed: str
) -> None:
    from conftest import FIXTURES

    from modelgen.catalog.snapshot import load_snapshot
    from modelgen.generate.columns import ColumnRenderer
    from modelgen.source.cst import module_assignments
    from modelgen.source.fix import _editor
    from modelgen.source.primary_key import fix_primary_key

    schema = load_snapshot(
        FIXTURES / "cases" / "composite_key_serial_last" / "schema.json"
    )
    (prod,) = [t for t in schema.tables if t.name == "buffered_events"]
    source = KEYED.format(args=args)
    module = cst.parse_module(source)
    renderers = {s: ColumnRenderer(schema, s) for s in ("classic", "typed")}
    cls = model_classes(module)["buffered_events"]
    editor = _editor(
        cls, prod, renderers, Spelling.of(module, source), module_assignments(module)
    )
    assert fix_primary_key(editor) is None
    body = cls.body.with_changes(body=editor.finish().body)
    assert code(cls.with_changes(body=body)) == KEYED.format(args=fixed).replace(
        ", primary_key=True", ""
    ).replace("mapped_column(primary_key=True)", "mapped_column()")
