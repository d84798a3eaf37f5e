"""`modelgen migration` revisions run by Alembic against real PostgreSQL.

Each test loads the fixture production into a fresh database, shapes it (a
development copy lacks the four critical tables), runs the generated revision
with Alembic, and compares catalogs fact by fact (modelgen.catalog.compare).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from conftest import CRITICAL, FIXTURES, PRODUCTION_SQL
from typer.testing import CliRunner

from modelgen.catalog.compare import compare_schemas
from modelgen.catalog.connect import connect
from modelgen.catalog.reflect import reflect_url
from modelgen.catalog.schema import Schema
from modelgen.catalog.scratch import execute, run_sql_file
from modelgen.catalog.snapshot import write_snapshot
from modelgen.cli.app import app
from modelgen.config import Config, load_config
from modelgen.generate.render import make_environment
from modelgen.migration import LOG_TABLE, generate_migration, select_tables

CRITICAL_KEYS = [("public", t) for t in CRITICAL]

ENV_PY = '''\
"""A minimal Alembic environment: the URL comes from config.attributes."""

import sqlalchemy as sa
from alembic import context

url = context.config.attributes["url"]
engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
'''


def alembic_project(root: Path) -> Path:
    (root / "versions").mkdir(parents=True)
    (root / "env.py").write_text(ENV_PY)
    return root / "versions"


def alembic_config(root: Path, url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(root))
    config.attributes["url"] = url
    return config


def write_revision(
    versions: Path, schema: Schema, config: Config, groups: list[str], all_groups=False
) -> Path:
    tables = select_tables(schema, config, groups, all_groups)
    item = generate_migration(
        make_environment(), schema, tables, versions, "create tables"
    )
    item.path.write_text(item.content)
    return item.path


def upgrade_exactly(
    tmp_path: Path, schema: Schema, target: str
) -> tuple[AlembicConfig, Schema]:
    """A revision of every table of ``schema`` run up on ``target``, which must
    then hold them exactly; the Alembic config and what the target holds."""
    root = tmp_path / "alembic"
    write_revision(alembic_project(root), schema, Config(None, tmp_path), [], True)
    config = alembic_config(root, target)
    command.upgrade(config, "head")
    actual = reflect_url(target)
    assert compare_schemas(schema, actual, [t.key for t in schema.tables]) == []
    return config, actual


@pytest.fixture
def critical_revision(tmp_path: Path, production_schema) -> Path:  # type: ignore[no-untyped-def]
    """An Alembic project whose one revision creates the critical group."""
    root = tmp_path / "alembic"
    versions = alembic_project(root)
    config = load_config(FIXTURES / "modelgen.toml")
    write_revision(versions, production_schema, config, ["critical"])
    return root


def production_copy(make_db: Callable[[], str]) -> str:
    url = make_db()
    run_sql_file(url, PRODUCTION_SQL)
    return url


def dev_copy(make_db: Callable[[], str], *extra: str) -> str:
    """Production without the four critical tables (and without alembic_version)."""
    url = production_copy(make_db)
    drops = [f"DROP TABLE {t} CASCADE" for t in CRITICAL]
    execute(url, *drops, "DROP TABLE alembic_version", *extra)
    return url


def others(schema: Schema) -> list[tuple[str, str]]:
    skip = {*CRITICAL, "alembic_version", LOG_TABLE}
    return [t.key for t in schema.tables if t.name not in skip]


def scalar(url: str, sql: str) -> object:
    with connect(url) as conn:
        cur = conn.cursor()
        cur.execute(sql)
        return cur.fetchone()[0]


def test_upgrade_creates_the_four_tables_on_a_dev_copy_exactly_as_production(
    critical_revision: Path, make_db: Callable[[], str], production_schema
) -> None:
    dev = dev_copy(make_db)
    command.upgrade(alembic_config(critical_revision, dev), "head")
    actual = reflect_url(dev)
    assert compare_schemas(production_schema, actual, CRITICAL_KEYS) == []


def test_upgrade_on_production_changes_nothing(
    critical_revision: Path, make_db: Callable[[], str]
) -> None:
    prod = production_copy(make_db)
    before = reflect_url(prod)
    command.upgrade(alembic_config(critical_revision, prod), "head")
    after = reflect_url(prod)
    keys = [t.key for t in before.tables if t.name != "alembic_version"]
    assert compare_schemas(before, after, keys) == []
    assert before.enums == after.enums and before.domains == after.domains
    assert LOG_TABLE not in {t.name for t in after.tables}


def test_downgrade_base_removes_the_four_tables_and_nothing_else(
    critical_revision: Path, make_db: Callable[[], str], production_schema
) -> None:
    dev = dev_copy(make_db)
    config = alembic_config(critical_revision, dev)
    before = reflect_url(dev)
    command.upgrade(config, "head")
    assert LOG_TABLE in {t.name for t in reflect_url(dev).tables}
    command.downgrade(config, "base")
    after = reflect_url(dev)
    names = {t.name for t in after.tables}
    assert not names & set(CRITICAL) and LOG_TABLE not in names
    assert compare_schemas(before, after, others(before)) == []
    assert before.enums == after.enums  # types it found present stay
    command.upgrade(config, "head")  # and again
    assert compare_schemas(production_schema, reflect_url(dev), CRITICAL_KEYS) == []


def test_missing_enum_label_is_added_in_place_and_absent_enum_created(
    critical_revision: Path, make_db: Callable[[], str], production_schema
) -> None:
    # payment_status lacks 'refunded' (only the critical tables use it);
    # application_status is absent altogether
    dev = dev_copy(
        make_db,
        "DROP TYPE payment_status",
        "CREATE TYPE payment_status AS ENUM "
        "('pending', 'processing', 'succeeded', 'failed', 'cancelled')",
        "DROP TYPE application_status",
    )
    oid = scalar(dev, "SELECT 'payment_status'::regtype::oid")
    config = alembic_config(critical_revision, dev)
    command.upgrade(config, "head")
    assert compare_schemas(production_schema, reflect_url(dev), CRITICAL_KEYS) == []
    assert scalar(dev, "SELECT 'payment_status'::regtype::oid") == oid  # not recreated
    command.downgrade(config, "base")
    after = reflect_url(dev)
    assert after.enum("public", "application_status") is None  # it created that one
    kept = after.enum("public", "payment_status")
    assert (
        kept is not None and "refunded" in kept.labels
    )  # PostgreSQL cannot drop a label


def test_upgrade_on_an_empty_database_names_the_missing_table(
    critical_revision: Path, make_db: Callable[[], str]
) -> None:
    empty = make_db()
    with pytest.raises(SystemExit, match=r"table public\.jobs does not exist"):
        command.upgrade(alembic_config(critical_revision, empty), "head")
    assert (
        scalar(empty, "SELECT count(*) FROM pg_class WHERE relname = 'applications'")
        == 0
    )


def test_sql_prints_create_table_only_for_absent_tables(
    project: Path, make_db: Callable[[], str], production_schema, tmp_path: Path
) -> None:
    dev = dev_copy(make_db, "CREATE TABLE invoices (id integer)")  # one present
    snapshot = tmp_path / "production.json"
    write_snapshot(production_schema, snapshot)
    versions = project / "migrations" / "versions"
    versions.mkdir(parents=True)
    result = CliRunner().invoke(
        app,
        [
            "migration",
            "--config",
            str(project / "modelgen.toml"),
            "--snapshot",
            str(snapshot),
            "--url",
            dev,
            "--group",
            "critical",
            "--sql",
        ],
    )
    assert result.exit_code == 0, result.output
    sql = result.stdout
    for table in ("applications", "payments", "user_sessions"):
        assert f"CREATE TABLE IF NOT EXISTS {table} (" in sql
    assert "CREATE TABLE IF NOT EXISTS invoices" not in sql
    assert "CREATE TYPE" not in sql  # both enums exist there
    assert list(versions.iterdir()) == []  # nothing written


def test_all_tables_on_an_empty_database_with_a_cycle_and_a_second_schema(
    tmp_path: Path, make_db: Callable[[], str]
) -> None:
    """Bootstrap (no config, --all): every kind of object the revision creates."""
    source = make_db()
    execute(
        source,
        "CREATE SCHEMA billing",
        "CREATE TYPE billing.tier AS ENUM ('free', 'pro')",
        "CREATE DOMAIN positive_int AS integer CONSTRAINT positive_int_check CHECK (VALUE > 0)",
        "CREATE SEQUENCE shared_seq",
        "CREATE TABLE teams (id integer PRIMARY KEY, owner_id integer, "
        "tiers billing.tier[], size positive_int, "
        "code bigint DEFAULT nextval('shared_seq') NOT NULL)",
        "CREATE TABLE members (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
        "team_id integer NOT NULL REFERENCES teams (id) DEFERRABLE INITIALLY DEFERRED, "
        "mentor_id bigint REFERENCES members (id), during tstzrange, "
        "name text, upper_name text GENERATED ALWAYS AS (upper(name)) STORED, "
        "EXCLUDE USING gist (during WITH &&))",
        "ALTER TABLE teams ADD CONSTRAINT teams_owner_id_fkey "
        "FOREIGN KEY (owner_id) REFERENCES members (id)",
        "CREATE TABLE billing.accounts (team_id integer PRIMARY KEY REFERENCES teams, "
        "tier billing.tier NOT NULL DEFAULT 'free')",
        "COMMENT ON COLUMN billing.accounts.tier IS 'it''s \"quoted\" \\\\ db.Column'",
    )
    schema = reflect_url(source)
    target = make_db()
    config, actual = upgrade_exactly(tmp_path, schema, target)
    assert actual.enums == schema.enums and actual.domains == schema.domains
    command.downgrade(config, "base")
    left = reflect_url(target)
    assert [t.name for t in left.tables] == ["alembic_version"]
    assert left.enums == () and left.domains == ()
    assert (
        scalar(target, "SELECT count(*) FROM pg_class WHERE relname = 'shared_seq'")
        == 0
    )
    assert (
        scalar(target, "SELECT count(*) FROM pg_namespace WHERE nspname = 'billing'")
        == 0
    )


def test_a_sequence_a_column_owns_stays_owned_when_it_is_not_a_serial(
    tmp_path: Path, make_db: Callable[[], str]
) -> None:
    """A serial that is not the table's key (or one of several) is a plain sequence
    in the revision: it must still be OWNED BY its column, as in production."""
    source = make_db()
    execute(
        source,
        'CREATE SCHEMA "Sales"',
        'CREATE TABLE "Sales".orders (id uuid PRIMARY KEY, number bigserial, '
        '"100%" serial)',
        "CREATE TABLE pairs (a serial, b serial, PRIMARY KEY (a, b))",
    )
    schema = reflect_url(source)
    target = make_db()
    config, actual = upgrade_exactly(tmp_path, schema, target)
    for table in schema.tables:
        assert [c.serial_sequence for c in table.columns] == [
            c.serial_sequence for c in actual.table(table.schema, table.name).columns
        ]
    command.downgrade(config, "base")
    assert scalar(target, "SELECT count(*) FROM pg_class WHERE relkind = 'S'") == 0


def test_a_schema_that_holds_only_types_is_created_first(
    tmp_path: Path, make_db: Callable[[], str]
) -> None:
    source = make_db()
    execute(
        source,
        "CREATE SCHEMA types",
        "CREATE TYPE types.mood AS ENUM ('x', 'y')",
        "CREATE DOMAIN types.code AS varchar(5) NOT NULL CHECK (VALUE ~ '^[a-z]+$')",
        "CREATE TABLE t (id int PRIMARY KEY, moods types.mood[], c types.code)",
    )
    schema = reflect_url(source)
    target = make_db()
    config, actual = upgrade_exactly(tmp_path, schema, target)
    assert actual.enums == schema.enums and actual.domains == schema.domains
    command.downgrade(config, "base")
    assert (
        scalar(target, "SELECT count(*) FROM pg_namespace WHERE nspname = 'types'") == 0
    )


def test_unique_constraints_create_table_would_merge_are_added_after_it(
    tmp_path: Path, make_db: Callable[[], str]
) -> None:
    """Issue 20: PostgreSQL merges a UNIQUE on the key's columns (or another
    UNIQUE's) inside CREATE TABLE; the revision adds those after the table, so all
    four constraints of production come back, and downgrade removes them."""
    source = make_db()
    execute(
        source,
        "CREATE TABLE t (id int PRIMARY KEY, code text)",
        "ALTER TABLE t ADD CONSTRAINT t_id_key UNIQUE (id)",
        "ALTER TABLE t ADD CONSTRAINT t_code_a UNIQUE (code)",
        "ALTER TABLE t ADD CONSTRAINT t_code_b UNIQUE (code)",
    )
    schema = reflect_url(source)
    target = make_db()
    config, actual = upgrade_exactly(tmp_path, schema, target)
    (table,) = [t for t in actual.tables if t.name == "t"]
    assert table.primary_key is not None and table.primary_key.name == "t_pkey"
    assert sorted(u.name for u in table.uniques) == ["t_code_a", "t_code_b", "t_id_key"]
    command.downgrade(config, "base")
    assert scalar(target, "SELECT count(*) FROM pg_class WHERE relname = 't'") == 0


def test_a_domain_over_a_composite_type_upgrades_exactly(
    tmp_path: Path, make_db: Callable[[], str]
) -> None:
    """The composite (a prerequisite) is created before the domain, and the
    revision defines its UserDefinedType class before the domain names it."""
    source = make_db()
    execute(
        source,
        "CREATE TYPE pair AS (a int, b int)",
        "CREATE DOMAIN positive_pair AS pair CHECK ((VALUE).a > 0)",
        "CREATE DOMAIN small_pair AS positive_pair CHECK ((VALUE).b < 9)",
        "CREATE TABLE nodes (id int PRIMARY KEY, p small_pair)",
    )
    schema = reflect_url(source)
    upgrade_exactly(tmp_path, schema, make_db())


def test_a_large_revision_commits_in_batches_and_an_interrupted_upgrade_carries_on(
    tmp_path: Path, make_db: Callable[[], str]
) -> None:
    """Thousands of tables cannot be created in one transaction (PostgreSQL's
    lock table runs out), so the revision commits every _TABLES_PER_COMMIT
    tables, with the log so far.  Here the batch is 2 tables, in the order
    a3 a4 | a5 a1 | a2 (the cycle a1 <-> a2 last): an upgrade that fails at a2
    keeps the two batches, logged; run again, it creates a2 and the cycle's
    foreign key on a1, a table of the interrupted run; the downgrade removes
    everything."""
    source = make_db()
    execute(
        source,
        "CREATE TABLE a1 (id integer PRIMARY KEY, a2_id integer)",
        "CREATE TABLE a2 (id integer PRIMARY KEY, a1_id integer REFERENCES a1)",
        "ALTER TABLE a1 ADD CONSTRAINT a1_a2_id_fkey FOREIGN KEY (a2_id) REFERENCES a2",
        "CREATE TABLE a3 (id integer PRIMARY KEY)",
        "CREATE TABLE a4 (id integer PRIMARY KEY, a3_id integer REFERENCES a3)",
        "CREATE TABLE a5 (id integer PRIMARY KEY)",
    )
    schema = reflect_url(source)
    root = tmp_path / "alembic"
    path = write_revision(
        alembic_project(root), schema, Config(None, tmp_path), [], True
    )
    content = path.read_text()
    assert "_TABLES_PER_COMMIT = 500" in content
    path.write_text(
        content.replace("_TABLES_PER_COMMIT = 500", "_TABLES_PER_COMMIT = 2")
    )
    target = make_db()
    execute(target, "CREATE VIEW a2 AS SELECT 1 AS id")  # stops the third batch
    config = alembic_config(root, target)

    with pytest.raises(SystemExit, match="a2 exists and is not a table"):
        command.upgrade(config, "head")
    first = sorted(t.name for t in reflect_url(target).tables)
    # alembic_version was committed with the first batch, without a row: Alembic
    # records the revision only when upgrade() returns
    assert first == ["a1", "a3", "a4", "a5", "alembic_version", LOG_TABLE]
    assert scalar(target, "SELECT count(*) FROM alembic_version") == 0
    logged = scalar(
        target,
        f"SELECT string_agg(kind || ' ' || name, ', ' ORDER BY id) FROM {LOG_TABLE}",
    )
    assert logged == "table a3, table a4, table a5, table a1"  # not complete

    execute(target, "DROP VIEW a2")
    command.upgrade(config, "head")
    actual = reflect_url(target)
    keys = [t.key for t in schema.tables]
    assert compare_schemas(schema, actual, keys) == []  # a1 -> a2 included
    # a finished run is marked complete: run again (stamped back), it finds
    # everything present and adds nothing, the cycle's key included
    command.stamp(config, "base")
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    assert [t.name for t in reflect_url(target).tables] == ["alembic_version"]


def test_a_partitions_own_foreign_key_orders_the_tables_so_downgrade_can_drop_them(
    tmp_path: Path, make_db: Callable[[], str]
) -> None:
    """pagila's shape: payment's partitions each have a key to rental that the
    parent lacks.  rental must be created before payment, so that downgrade,
    dropping newest first, drops payment (and its partitions) before rental."""
    source = make_db()
    execute(
        source,
        "CREATE TABLE payments (id integer, rental_id integer, paid date NOT NULL,"
        " PRIMARY KEY (id, paid)) PARTITION BY RANGE (paid)",
        "CREATE TABLE rentals (id integer PRIMARY KEY)",
        "CREATE TABLE payments_2024 PARTITION OF payments"
        " FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
        "ALTER TABLE payments_2024 ADD CONSTRAINT payments_2024_rental_id_fkey"
        " FOREIGN KEY (rental_id) REFERENCES rentals (id)",
    )
    schema = reflect_url(source)
    target = make_db()
    config, actual = upgrade_exactly(tmp_path, schema, target)
    command.downgrade(config, "base")
    assert [t.name for t in reflect_url(target).tables] == ["alembic_version"]
