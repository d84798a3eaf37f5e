"""Run in a fresh interpreter: import an app's models plus generated modules, configure
the mappers, and create the named tables in a database (as a user's app would).

usage: create_models.py PROJECT_DIR DATABASE_URL MODULE[,MODULE...] TABLE[,TABLE...]

Tables the created ones reference but no model defines are reflected from the
target database first (they must exist there).
"""

import importlib
import sys

import sqlalchemy as sa
from sqlalchemy.orm import configure_mappers

project, url, modules, tables = sys.argv[1:5]
sys.path.insert(0, project)

import app.models  # noqa: E402,F401
from app.extensions import db  # noqa: E402

for name in modules.split(","):
    importlib.import_module(f"app.models.{name}")
configure_mappers()

engine = sa.create_engine(url)
wanted = tables.split(",")
with engine.begin() as conn:
    for name in wanted:
        for fk in db.metadata.tables[name].foreign_keys:
            target = fk.target_fullname.rsplit(".", 1)[0]
            if target not in db.metadata.tables:
                sa.Table(target, db.metadata, autoload_with=conn)
    db.metadata.create_all(conn, tables=[db.metadata.tables[t] for t in wanted])
engine.dispose()
print("created", ",".join(wanted))
