"""`alembic upgrade head` of a `modelgen migration` revision on an empty database.

    python bench/alembic_upgrade.py VERSIONS_DIR ADMIN_URL

Creates a fresh database on the server of ADMIN_URL, runs the revisions in
VERSIONS_DIR with Alembic (a minimal env.py, one transaction as Alembic's and
Flask-Migrate's templates use), and drops the database again.  What a team
feels when the revision brings a new database along; bench/commands.py runs it
next to psql loading pg_dump's output of the same tables.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ENV_PY = """\
import sqlalchemy as sa
from alembic import context

engine = sa.create_engine(context.config.attributes["url"], poolclass=sa.pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
"""


def main() -> None:
    versions, admin = Path(sys.argv[1]).resolve(), sys.argv[2]
    from alembic import command
    from alembic.config import Config

    from modelgen.catalog.connect import parse_url
    from modelgen.catalog.scratch import execute

    name = "modelgen_bench_upgrade"
    execute(
        admin,
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'CREATE DATABASE "{name}" TEMPLATE template0',
    )
    try:
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "env.py").write_text(ENV_PY)
            config = Config()
            config.set_main_option("script_location", tmp)
            config.set_main_option("version_locations", str(versions))
            config.attributes["url"] = parse_url(admin).with_database(name).render()
            command.upgrade(config, "head")
    finally:
        execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
