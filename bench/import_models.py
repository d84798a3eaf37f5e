"""The floor for `modelgen drift --snapshot`: Python importing the app's models.

    python bench/import_models.py APP_DIR PACKAGE [--unmapped]

Imports PACKAGE and every module under it, as `modelgen drift` and
`bench/alembic_check.py` do, and nothing else: no database, no comparison.
Any tool that reads models by importing them pays at least this; drift
--snapshot adds reading the snapshot and comparing (and saves mapping the
classes, which it does not need).

``--unmapped`` is the floor of drift's own way of importing: Flask-SQLAlchemy's
classes built up to their tables and never mapped, the cyclic collector paused
and the objects frozen at exit, as `modelgen drift` does (drift/models.py,
gcpause.py, console.py). What drift --snapshot takes beyond it is its own work.
"""

from __future__ import annotations

import gc
import importlib
import pkgutil
import sys


def main() -> None:
    app_dir, package = sys.argv[1:3]
    if "--unmapped" in sys.argv[3:]:
        from flask_sqlalchemy.model import Model

        Model._sa_decl_prepare = True  # type: ignore[attr-defined]
        gc.disable()
    sys.path.insert(0, app_dir)
    root = importlib.import_module(package)
    count = 0
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        importlib.import_module(info.name)
        count += 1
    print(count)
    if "--unmapped" in sys.argv[3:]:
        gc.freeze()


if __name__ == "__main__":
    main()
