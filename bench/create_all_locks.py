"""A team's own `create_all` of a 1,400-table package on a server with default settings.

    python bench/create_all_locks.py [TABLES] [ADMIN_URL]

Loads bench/make_schema.py TABLES (default 1,400) into a fresh database,
generates the bootstrap package, then on two empty databases runs
`db.metadata.create_all` in one transaction (what `db.create_all()` does) and
`modelgen.runtime.create_all_in_batches`, and last `verify_schema` (which
commits every 500 tables itself).  Prints each outcome and time; the databases
are dropped at the end.  Issue 20: the one transaction runs out of
PostgreSQL's lock table ("out of shared memory") at max_locks_per_transaction 64.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def _timed(label: str, job) -> None:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    try:
        outcome = job() or "ok"
    except Exception as exc:  # noqa: BLE001 - the outcome is what is measured
        outcome = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
    print(f"{label}: {outcome} ({time.perf_counter() - start:.1f} s)", flush=True)


def main() -> None:
    import sqlalchemy as sa

    from modelgen.catalog.reflect import reflect_url
    from modelgen.catalog.scratch import (
        create_database,
        drop_database,
        find_server,
        run_sql_file,
    )
    from modelgen.config import Config
    from modelgen.generate.pipeline import generate_files
    from modelgen.runtime import create_all_in_batches
    from modelgen.verify import verify_schema

    tables = int(sys.argv[1]) if len(sys.argv) > 1 else 1400
    admin = sys.argv[2] if len(sys.argv) > 2 else find_server()
    made: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        sql = Path(tmp) / "schema.sql"
        script = [sys.executable, str(BENCH / "make_schema.py"), str(tables)]
        sql.write_text(subprocess.run(script, capture_output=True, text=True).stdout)
        try:
            made.append(create_database(admin, "modelgen_bench_locks"))
            run_sql_file(made[0], sql)
            schema = reflect_url(made[0])
            settings = sa.create_engine(made[0])
            with settings.connect() as conn:
                locks = conn.exec_driver_sql("SHOW max_locks_per_transaction")
                print(
                    f"{len(schema.tables)} tables, max_locks_per_transaction "
                    f"{locks.scalar_one()}"
                )
            settings.dispose()
            config = Config(path=None, root=Path(tmp))
            out = Path(tmp) / "bench_models"
            for item in generate_files(schema, config, out=out, hashes=False).files:
                item.path.parent.mkdir(parents=True, exist_ok=True)
                item.path.write_text(item.content, encoding="utf-8")
            sys.path.insert(0, tmp)
            db = importlib.import_module("bench_models").db
            for label, create in (
                ("create_all, one transaction", _one_transaction),
                ("create_all_in_batches", create_all_in_batches),
            ):
                made.append(create_database(admin, "modelgen_bench_locks"))
                engine = sa.create_engine(made[-1])
                _timed(label, lambda: create(db.metadata, engine))  # noqa: B023
                engine.dispose()
            _timed("verify", lambda: verify_schema(schema, admin).differences or None)
        finally:
            for url in made:
                drop_database(admin, url)


def _one_transaction(metadata, engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as connection:
        metadata.create_all(connection)


if __name__ == "__main__":
    main()
