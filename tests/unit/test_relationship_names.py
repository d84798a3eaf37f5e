"""Relationship names keep the foreign key's role (issue 11 item 7), and the
config can choose them per relationship."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelgen.catalog.schema import (
    Column,
    Constraint,
    ForeignKey,
    Schema,
    Table,
    TypeRef,
)
from modelgen.config import Config, load_config
from modelgen.errors import ConfigError
from modelgen.generate.pipeline import generate_files

INTEGER = TypeRef("integer", "int4", "pg_catalog", "b", 0, (), "integer")


def table(name: str, *keys: tuple[str, str]) -> Table:
    """``name`` with an id and one integer column per (column, target table) key."""
    return Table(
        "public",
        name,
        (
            Column("id", INTEGER, False),
            *(Column(column, INTEGER, True) for column, _ in keys),
        ),
        primary_key=Constraint(f"{name}_pkey", "p", ("id",), ""),
        foreign_keys=tuple(
            ForeignKey(f"{name}_{column}_fkey", (column,), "public", target, ("id",))
            for column, target in keys
        ),
    )


SCHEMA = Schema(
    tables=(
        table("users"),
        table("workers"),
        table("applications", ("reviewed_by", "users"), ("worker_id", "workers")),
        table("invoices", ("issued_to", "users"), ("owner_uuid", "users")),
        table("disputes", ("raised_by", "users"), ("users", "users")),
    )
)


def generated(tmp_path: Path, config_text: str = "") -> str:
    path = tmp_path / "modelgen.toml"
    path.write_text(
        'output = "m"\n' + config_text + '[groups.all]\n"all.py" = '
        '["users", "workers", "applications", "invoices", "disputes"]\n'
    )
    result = generate_files(SCHEMA, load_config(path), [], True)
    return next(f.content for f in result.files if f.path.name == "all.py")


def test_a_key_column_without_the_id_suffix_keeps_its_role(tmp_path: Path) -> None:
    text = generated(tmp_path)
    # <role>_id -> role; other key suffixes too
    assert (
        '    worker = db.relationship("Worker", back_populates="applications")' in text
    )
    assert "    owner = db.relationship(" in text
    # no key suffix: the column names the role; the attribute adds the target
    assert "    reviewed_by_user = db.relationship(" in text
    assert "    issued_to_user = db.relationship(" in text
    assert "    raised_by_user = db.relationship(" in text
    # the reverse side says which role it came through (two keys to users)
    assert "    issued_to_user_invoices = db.relationship(" in text
    # a column named after the target table: role + target all the same
    assert "    users_user = db.relationship(" in text
    assert "    user = db.relationship(" not in text


def test_the_config_chooses_a_relationship_and_its_reverse(tmp_path: Path) -> None:
    text = generated(
        tmp_path,
        '[relationship_names]\n"applications.reviewed_by" = "reviewer"\n'
        '"invoices.issued_to" = { name = "recipient", back = "received_invoices" }\n',
    )
    assert "    reviewer = db.relationship(" in text
    assert 'back_populates="reviewer"' in text
    assert "    recipient = db.relationship(" in text
    assert '    received_invoices = db.relationship(\n        "Invoice"' in text or (
        '    received_invoices = db.relationship("Invoice"' in text
    )
    assert "issued_to_user" not in text


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('"applications.reviewd_by" = "x"', "did you mean 'reviewed_by'?"),
        ('"aplications.reviewed_by" = "x"', "did you mean 'applications'?"),
        ('"applications.reviewed_by" = "worker_id"', "is already an attribute"),
        ('"applications.reviewed_by" = "class"', "is not a valid attribute name"),
        # names a model class must not have: Flask-SQLAlchemy's, declarative's, the
        # module's imports and the annotations' builtins
        (
            '"applications.reviewed_by" = { name = "r", back = "query" }',
            "'query' cannot be an attribute of a model",
        ),
        ('"applications.reviewed_by" = "metadata"', "'metadata' cannot be"),
        ('"applications.reviewed_by" = "_sa_registry"', "'_sa_registry' cannot"),
        ('"applications.reviewed_by" = "db"', "'db' cannot be"),
        ('"applications.reviewed_by" = "list"', "'list' cannot be"),
        ('"reviewed_by" = "x"', "must be table.column"),
    ],
)
def test_bad_relationship_names_name_the_key(
    tmp_path: Path, entry: str, message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        generated(tmp_path, f"[relationship_names]\n{entry}\n")
    assert "relationship_names" in str(info.value) and message in str(info.value)


def test_no_config_still_names_by_role(tmp_path: Path) -> None:
    result = generate_files(SCHEMA, Config(path=None, root=tmp_path), out=tmp_path)
    text = next(f.content for f in result.files if f.path.name == "public.py")
    assert "    issued_to_user = db.relationship(" in text


@pytest.mark.parametrize("name", ["db", "Any", "Mapped", "str", "datetime"])
def test_a_class_name_that_would_shadow_the_modules_names_is_refused(
    tmp_path: Path, name: str
) -> None:
    with pytest.raises(ConfigError) as info:
        generated(tmp_path, f'[class_names]\nworkers = "{name}"\n')
    assert "class_names.workers" in str(info.value)
    assert f"{name!r} cannot be a model class name" in str(info.value)
