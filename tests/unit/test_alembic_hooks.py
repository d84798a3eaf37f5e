"""modelgen.alembic's hooks decide from the config, .modelgen-ignore and the catalog's
partitions/views/extension tables, without a database (the catalog part is handed in).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from modelgen import alembic as hooks
from modelgen.catalog.excluded import Excluded

EXCLUDED = Excluded(
    {
        ("public", "payment_p2024_01"): "partition",
        ("public", "actor_info"): "view",
        ("public", "spatial_ref_sys"): "extension",
    },
    "public",
)


class Connection:
    """Stands for Alembic's connection (weak-referenceable, like SQLAlchemy's)."""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "modelgen.toml").write_text(
        'ignore = ["legacy_imports", "audit.trail"]\n', encoding="utf-8"
    )
    (tmp_path / ".modelgen-ignore").write_text(
        "scratch_*: developers' scratch tables\n"
        "users.old_hash: dropped after the 2026 migration\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(hooks.CONFIG_ENV, raising=False)
    monkeypatch.setattr(hooks, "read_excluded", lambda connection: EXCLUDED)
    connection = Connection()  # one per test: a run's cache goes with its connection
    monkeypatch.setattr(hooks, "_alembic_connection", lambda: connection)
    return tmp_path


def table(name: str, schema: str | None = None) -> sa.Table:
    return sa.Table(name, sa.MetaData(), sa.Column("id", sa.Integer), schema=schema)


def only_in_database(name: str, schema: str | None = None) -> bool:
    return hooks.include_object(table(name, schema), name, "table", True, None)


@pytest.mark.parametrize(
    "name, schema",
    [
        ("payment_p2024_01", None),  # a partition: its parent is the model
        ("spatial_ref_sys", None),  # owned by an extension
        ("legacy_imports", None),  # the config's ignore list
        ("trail", "audit"),  # ... schema-qualified there
        ("scratch_anna", None),  # a .modelgen-ignore glob
        ("alembic_version", None),
        ("modelgen_migration_log", None),
    ],
)
def test_what_modelgen_leaves_out_is_never_dropped(
    project: Path, name: str, schema: str | None
) -> None:
    assert not only_in_database(name, schema)


def test_other_tables_without_a_model_are_still_reported(project: Path) -> None:
    assert only_in_database("payments")
    assert only_in_database("trail")  # public.trail is not audit.trail
    # a bare name in `ignore` means every schema, as for generate and drift
    assert not only_in_database("legacy_imports", "archive")


def test_a_view_mapped_in_the_models_is_never_created(project: Path) -> None:
    assert not hooks.include_object(
        table("actor_info"), "actor_info", "table", False, None
    )
    assert hooks.include_object(table("new_table"), "new_table", "table", False, None)


def test_an_accepted_column_and_a_partitions_index_are_skipped(project: Path) -> None:
    users = table("users")
    old = sa.Column("old_hash", sa.Text)
    users.append_column(old)
    assert not hooks.include_object(old, "old_hash", "column", True, None)
    assert hooks.include_object(users.c.id, "id", "column", True, None)
    part = table("payment_p2024_01")
    index = sa.Index("payment_p2024_01_id_idx", part.c.id)
    assert not hooks.include_object(index, index.name, "index", True, None)


def test_the_config_named_by_the_environment_wins(
    project: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch
) -> None:
    other = tmp_path_factory.mktemp("other") / "modelgen.toml"
    other.write_text('ignore = ["payments"]\n', encoding="utf-8")
    monkeypatch.setenv(hooks.CONFIG_ENV, str(other))
    assert not only_in_database("payments")
    assert only_in_database("legacy_imports")


def test_a_bad_config_is_one_alembic_error_line(project: Path) -> None:
    from alembic.util import CommandError

    (project / "modelgen.toml").write_text("ignore = 3\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"modelgen\.toml: key 'ignore'"):
        only_in_database("payments")


@pytest.mark.parametrize(
    "database, model, differs",
    [
        ("nextval('actor_actor_id_seq'::regclass)", "nextval('actor_actor_id_seq'::regclass)", False),
        ("nextval('actor_actor_id_seq'::regclass)", "nextval('public.actor_actor_id_seq'::regclass)", False),
        ("nextval('actor_actor_id_seq'::regclass)", "nextval('actor_actor_id_seq')", False),
        ("nextval('actor_actor_id_seq'::regclass)", "nextval('other_seq'::regclass)", True),
        ("nextval('actor_actor_id_seq'::regclass)", None, True),
        ("nextval('actor_actor_id_seq'::regclass)", "now()", True),
        ("now()", "now()", None),  # anything else: Alembic decides
        (None, None, None),
    ],
)  # fmt: skip
def test_sequence_defaults_compare_as_text(
    database: str | None, model: str | None, differs: bool | None
) -> None:
    assert hooks.nextval_defaults_differ(database, model, "public") is differs


def test_the_comparator_is_registered_with_alembic() -> None:
    from alembic.autogenerate.compare import comparators

    registered = [fn for fns in comparators._registry.values() for fn, _ in fns]
    assert hooks._compare_nextval_default in registered


def test_expression_indexes_compare_without_the_exact_forms_parentheses() -> None:
    """The models' exact `lower((email)::text)` is Alembic's reflected
    `lower(email::text)`; a different expression still differs."""
    from types import SimpleNamespace

    from alembic.ddl.impl import _impls

    import modelgen.alembic  # noqa: F401  (registers the implementation)

    impl = object.__new__(_impls["postgresql"])
    index = SimpleNamespace(table=None)

    def clean(expr: str) -> str:
        return impl._cleanup_index_expr(index, expr)  # type: ignore[arg-type]

    assert clean("lower((email)::text)") == clean("lower(email::text)")
    assert clean("lower((email)::text)") != clean("upper(email::text)")
    assert clean("(a + b)") != clean("a + (b * c)")


@pytest.mark.parametrize(
    "type_", ["index", "unique_constraint", "foreign_key_constraint"]
)
def test_an_undeclared_production_key_is_never_dropped_a_model_one_is_created(
    project: Path, type_: str
) -> None:
    """drift calls the first info (exit 0): autogenerate must not drop it."""
    users = table("users")
    index = sa.Index("ix_users_id", users.c.id)
    assert not hooks.include_object(index, "ix_users_id", type_, True, None)
    assert hooks.include_object(index, "ix_users_id", type_, False, None)
    assert hooks.include_object(index, "ix_users_id", type_, True, index)
    # a column production has and the model lacks is drift: it still shows
    column = users.c.id
    assert hooks.include_object(column, "id", "column", True, None)
