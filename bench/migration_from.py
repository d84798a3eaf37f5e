"""`modelgen migration --from` at several schema sizes: the cost must grow linearly.

    .venv/bin/python bench/migration_from.py --sizes 1000,2000,4000

For each size: the synthetic schema of bench/make_schema.py is loaded and saved
as OLD's snapshot; then production changes one table in ten (a column added
NOT NULL with a default, a column dropped, an index, a CHECK, a type widened)
and is saved as production's snapshot.  Timed, each in a fresh process: the
revision from the two snapshots (no database), and `alembic upgrade head` of
it on a copy of OLD.  Written to bench/out/migration_from.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from run import BIN, load, measure  # noqa: E402

from modelgen.catalog.connect import parse_url  # noqa: E402
from modelgen.catalog.scratch import execute, find_server  # noqa: E402

ENV_PY = """\
import sqlalchemy as sa
from alembic import context

engine = sa.create_engine(context.config.get_main_option("sqlalchemy.url"))
with engine.connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
"""


def production_change(size: int) -> list[str]:
    out = []
    for i in range(1, size, 10):
        table = f"entity_{i:05d}"
        out += [
            f"ALTER TABLE {table} ADD COLUMN region char(2) DEFAULT 'AU' NOT NULL",
            f"CREATE INDEX ix_{table}_region ON {table} (region)",
            f"ALTER TABLE {table} ADD CONSTRAINT ck_{table}_region CHECK (region <> '')",
        ]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,2000")
    args = parser.parse_args()
    admin = find_server()
    work = Path(tempfile.mkdtemp(prefix="modelgen_bench_from_"))
    results = []
    for size in [int(s) for s in args.sizes.split(",")]:
        url = load(admin, size, work)
        old, new = work / f"old_{size}.json", work / f"new_{size}.json"
        measure([str(BIN / "modelgen"), "snapshot", "--url", url, "-o", str(old)], work)
        dev = f"modelgen_bench_{size}_dev"
        name = parse_url(url).database
        execute(
            admin,
            f'DROP DATABASE IF EXISTS "{dev}" WITH (FORCE)',
            f'CREATE DATABASE "{dev}" TEMPLATE "{name}"',
        )
        execute(url, *production_change(size))
        measure([str(BIN / "modelgen"), "snapshot", "--url", url, "-o", str(new)], work)
        root = work / f"alembic_{size}"
        (root / "versions").mkdir(parents=True)
        (root / "env.py").write_text(ENV_PY)
        dev_url = parse_url(admin).with_database(dev).render()
        (root / "alembic.ini").write_text(
            f"[alembic]\nscript_location = {root}\nsqlalchemy.url = {dev_url}\n"
        )
        write = measure(
            [
                str(BIN / "modelgen"),
                "migration",
                "--from",
                str(old),
                "--snapshot",
                str(new),
                "--out",
                str(root / "versions"),
                "-q",
            ],
            work,
        )
        upgrade = measure(
            [str(BIN / "alembic"), "-c", str(root / "alembic.ini"), "upgrade", "head"],
            work,
        )
        row = {
            "tables": size,
            "write_s": round(write[0], 2),
            "write_mib": round(write[1]),
            "upgrade_s": round(upgrade[0], 2),
        }
        print(row, flush=True)
        results.append(row)
        execute(admin, f'DROP DATABASE IF EXISTS "{dev}" WITH (FORCE)')
    out = BENCH / "out"
    out.mkdir(exist_ok=True)
    (out / "migration_from.json").write_text(json.dumps(results, indent=2) + "\n")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
