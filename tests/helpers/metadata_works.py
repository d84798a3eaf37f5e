"""Run in a fresh interpreter: what a user's app does with its metadata after
`generate`: import every model module (warnings as errors), configure the
mappers, sort the tables, `create_all` on an empty database, and run Alembic's
autogenerate comparison against that database.

usage: metadata_works.py PROJECT_DIR EMPTY_DATABASE_URL

Prints the number of tables and the autogenerate operations' count.
"""

import importlib
import pkgutil
import sys
import warnings

import sqlalchemy as sa
from alembic.autogenerate import produce_migrations
from alembic.migration import MigrationContext
from sqlalchemy.orm import configure_mappers

warnings.simplefilter("error")
project, url = sys.argv[1:3]
sys.path.insert(0, project)

import app.models  # noqa: E402
from app.extensions import db  # noqa: E402

for info in pkgutil.iter_modules(app.models.__path__):
    importlib.import_module(f"app.models.{info.name}")
configure_mappers()
ordered = db.metadata.sorted_tables
engine = sa.create_engine(url)
with engine.begin() as conn:
    db.metadata.create_all(conn)
with engine.connect() as conn:
    script = produce_migrations(MigrationContext.configure(conn), db.metadata)
engine.dispose()
print(len(ordered), len(script.upgrade_ops.ops))
