"""What an app's own code may call at run time: ``create_all`` of a very large package.

``metadata.create_all`` runs in one transaction, and every CREATE holds its
locks (the table, its indexes, sequences, TOAST table) until commit.
PostgreSQL's shared lock table has room for about ``max_locks_per_transaction``
(64) x ``max_connections`` (100) locks by default: one transaction creating
1,400 tables with their keys runs out of it ("out of shared memory").
``create_all_in_batches`` is the same ``create_all`` (the same statements in
the same order, the same ``after_create`` listeners, keys added by ``ALTER
TABLE`` and policies last) committed every ``batch`` tables.  It imports only
SQLAlchemy: a test suite can use it without the rest of modelgen.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

# Tables created per transaction.  A CREATE TABLE locks about ten objects until
# commit (the table, its sequence, TOAST table and index, each index, each
# constraint, its row type); 500 tables stay inside a default server's lock
# table (which other sessions share), 1,400 in one transaction did not.
BATCH = 500


@contextlib.contextmanager
def commit_every(count: int) -> Iterator[None]:
    """While active, a transaction creating tables is committed and a new one begun
    after every ``count`` tables (an ``after_create`` listener on every Table)."""
    import sqlalchemy as sa

    created = 0

    def after_create(target: object, connection: Any, **_: object) -> None:
        nonlocal created
        created += 1
        if created % count == 0:
            connection.exec_driver_sql("COMMIT")
            connection.exec_driver_sql("BEGIN")

    sa.event.listen(sa.Table, "after_create", after_create)
    try:
        yield
    finally:
        sa.event.remove(sa.Table, "after_create", after_create)


def create_all_in_batches(metadata: Any, bind: Any, batch: int = BATCH) -> None:
    """``metadata.create_all(bind)`` committed every ``batch`` tables, for a package
    of more tables than PostgreSQL's lock table holds in one transaction.

    ``bind`` is an Engine (Flask-SQLAlchemy: ``db.engine``, in an app context).
    Not atomic: when a statement fails, the batches before it stay created
    (a test database is dropped anyway; else ``metadata.drop_all``).
    """
    if batch < 1:
        raise ValueError(f"batch must be at least 1, not {batch}")
    with bind.begin() as connection, commit_every(batch):
        metadata.create_all(connection)
