"""The anchor for `modelgen drift`: what `alembic check` does, on the same models and database.

    python bench/alembic_check.py APP_DIR URL PACKAGE DB_MODULE

Imports PACKAGE and every module under it (as `modelgen drift` does), takes
``db.metadata`` from DB_MODULE and runs Alembic's autogenerate comparison with
``compare_type`` and ``compare_server_default`` against URL: the work of
`alembic check` without writing an env.py for each layout.  Prints the number
of differences Alembic found.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys


def main() -> None:
    app_dir, url, package, db_module = sys.argv[1:5]
    sys.path.insert(0, app_dir)
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine

    root = importlib.import_module(package)
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        importlib.import_module(info.name)
    metadata = importlib.import_module(db_module).db.metadata
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg2://", 1))
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        diffs = compare_metadata(context, metadata)
    print(len(diffs))


if __name__ == "__main__":
    main()
