import keyword

import pytest

from modelgen.generate import naming


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("applications", "Application"),
        ("user_sessions", "UserSession"),
        ("audit_logs", "AuditLog"),
        ("stripe_customers", "StripeCustomer"),
        ("email_queue", "EmailQueue"),
        ("categories", "Category"),
        ("addresses", "Address"),
        ("statuses", "Status"),
        ("people", "Person"),
        ("availability", "Availability"),
        ("whs_assessments", "WhsAssessment"),
        ("OrderDetails", "OrderDetail"),
        ("API_KEYS", "ApiKey"),
        ("class", "Class"),
        ("1st-table", "T1stTable"),
    ],
)
def test_class_names_read_like_hand_written_ones(table: str, expected: str) -> None:
    assert naming.class_name(table) == expected


@pytest.mark.parametrize(
    "column",
    [
        "query",
        "query_class",
        "metadata",
        "registry",
        "db",
        "uuid",
        "datetime",
        "decimal",
        "class",
        "def",
        "import",
        "match",
        "self",
        "__init__",
        "__x",
        "__6tbn",  # hypothesis (tests/unit/test_plan_hash.py): "6tbn_" was written
        "__1__",
        "__",
        "_sa_instance_state",  # SQLAlchemy's declarative scan skips every "_sa_" name
        "_sa_",
        "bytes",  # the typed style's annotations name these builtins
        "list",
        "str",
    ],
)
def test_reserved_and_shadowing_names_get_a_safe_attribute(column: str) -> None:
    attr = naming.attribute_name(column)
    assert attr != column
    assert attr.isidentifier() and not keyword.iskeyword(attr)
    assert not attr.startswith("__")
    assert not attr.startswith("_sa_")


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("with space", "with_space"),
        ("dot.ted", "dot_ted"),
        ("dash-ed", "dash_ed"),
        ("1st", "_1st"),
        ("CamelCase", "CamelCase"),
        ("name", "name"),
    ],
)
def test_invalid_identifiers_are_cleaned(column: str, expected: str) -> None:
    assert naming.attribute_name(column) == expected


def test_unique_numbers_clashes() -> None:
    taken: set[str] = {"user"}
    assert naming.unique("user", taken) == "user_2"
    assert naming.unique("user", taken) == "user_3"


def test_a_relationship_never_takes_a_column_name(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from modelgen.catalog.schema import (
        Column,
        Constraint,
        ForeignKey,
        Schema,
        Table,
        TypeRef,
    )
    from modelgen.config import Config
    from modelgen.generate.pipeline import generate_files

    integer = TypeRef("integer", "int4", "pg_catalog", "b", 0, (), "integer")
    text = TypeRef("text", "text", "pg_catalog", "b", 0, (), "text")
    users = Table(
        "public",
        "users",
        (Column("id", integer, False),),
        primary_key=Constraint("users_pkey", "p", ("id",), ""),
    )
    posts = Table(
        "public",
        "posts",
        (
            Column("id", integer, False),
            Column("author", text, True),
            Column("author_id", integer, True),
        ),
        primary_key=Constraint("posts_pkey", "p", ("id",), ""),
        foreign_keys=(
            ForeignKey(
                "posts_author_id_fkey", ("author_id",), "public", "users", ("id",)
            ),
        ),
    )
    result = generate_files(
        Schema(tables=(posts, users)),
        Config(path=None, root=tmp_path),
        out=tmp_path / "m",
    )
    text_out = next(f.content for f in result.files if f.path.name == "public.py")
    assert "    author = db.Column(db.Text)" in text_out
    assert (
        '    author_user = db.relationship("User", back_populates="posts")' in text_out
    )
