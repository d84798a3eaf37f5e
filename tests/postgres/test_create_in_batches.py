"""modelgen.runtime.create_all_in_batches: a package too large for one transaction of
PostgreSQL's lock table (issue 20: 1,400 tables, "out of shared memory") is created
with the same statements, no transaction holding the locks of more than ``batch``
tables.  The 1,400-table run itself is timed in bench/create_all_locks.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from modelgen.runtime import create_all_in_batches

TABLES = 60


def _metadata() -> sa.MetaData:
    """Tables shaped like generated ones: SERIAL key, a unique, a text column (TOAST),
    a foreign key, a key added by ALTER TABLE after every table, an after_create DDL."""
    metadata = sa.MetaData()
    for n in range(TABLES):
        table = sa.Table(
            f"t{n:02d}",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("code", sa.Text, unique=True),
            sa.Column("parent_id", sa.ForeignKey(f"t{max(n - 1, 0):02d}.id")),
            sa.Column(
                "next_id", sa.ForeignKey(f"t{(n + 1) % TABLES:02d}.id", use_alter=True)
            ),
        )
        sa.event.listen(
            table,
            "after_create",
            sa.DDL(f"CREATE INDEX t{n:02d}_parent ON t{n:02d} (parent_id)"),
        )
    return metadata


@pytest.fixture
def locks_held() -> Iterator[list[int]]:
    """After each table is created: the locks its transaction holds in the shared
    lock table (pg_locks, not fast-path), the table PostgreSQL runs out of."""
    held: list[int] = []

    def count(target: object, connection: sa.Connection, **_: object) -> None:
        query = "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND NOT fastpath"
        held.append(connection.exec_driver_sql(query).scalar_one())

    sa.event.listen(sa.Table, "after_create", count)
    try:
        yield held
    finally:
        sa.event.remove(sa.Table, "after_create", count)


def test_no_transaction_holds_the_locks_of_more_than_a_batch(
    make_db: Callable[[], str], locks_held: list[int]
) -> None:
    whole_url, batched_url = make_db(), make_db()
    engine = sa.create_engine(whole_url)
    with engine.begin() as connection:  # create_all as a test suite calls it
        _metadata().create_all(connection)
    engine.dispose()
    whole = max(locks_held)
    locks_held.clear()

    engine = sa.create_engine(batched_url)
    create_all_in_batches(_metadata(), engine, batch=20)
    batched = max(locks_held)
    names = sorted(sa.inspect(engine).get_table_names())
    keys = sum(len(sa.inspect(engine).get_foreign_keys(t)) for t in names)
    indexes = sum(len(sa.inspect(engine).get_indexes(t)) for t in names)
    engine.dispose()

    assert names == [f"t{n:02d}" for n in range(TABLES)]
    # two keys a table (t00's parent is itself), the unique's index and the DDL's
    assert (keys, indexes) == (2 * TABLES, 2 * TABLES)
    print(f"locks held: {whole} in one transaction, at most {batched} in batches")
    per_table = whole / TABLES
    assert per_table >= 5  # one transaction keeps every table's locks to the end
    assert batched <= 20 * per_table + per_table  # a batch's, and the next table's
    assert batched * 2 < whole


def test_a_batch_must_hold_a_table() -> None:
    with pytest.raises(ValueError, match="batch must be at least 1, not 0"):
        create_all_in_batches(sa.MetaData(), None, batch=0)
