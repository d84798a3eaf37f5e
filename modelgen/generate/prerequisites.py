"""The package's ``prerequisites.py``: what its tables need before ``create_all``.

One ``event.listen(<metadata>, "before_create", db.DDL(...))`` per object, in
creation order, then one ``"after_drop"`` per object, in reverse: SQLAlchemy's
own DDL events, so ``db.create_all()``, ``db.drop_all()``, Alembic's and
verify's runs see the same statements.  The package's ``__init__`` imports it
before the models (their enums' events come after it).  Every statement is a
string literal (data, never code), split at its own line breaks to be
reviewable; ``DDL()`` %-formats its text, so ``%`` is doubled.
"""

from __future__ import annotations

from pathlib import Path

from modelgen.catalog.carried import Carried, model_type_drops
from modelgen.catalog.schema import Schema
from modelgen.generate.format import black_format
from modelgen.generate.literals import lit

MODULE = "prerequisites"
IMPORT_LINE = f"from . import {MODULE}  # noqa: F401"

_DOC = (
    '"""What the tables need before db.create_all() creates them: schemas, extensions,\n'
    "types and functions, each created only when absent (before_create) and dropped\n"
    "after the tables unless something else still uses it (after_drop).  Import this\n"
    'module before the models (docs/prerequisites.md)."""\n'
)


def prerequisites_body(
    schema: Schema, carried: tuple[Carried, ...], db_import: str
) -> str:
    """The module's text after its header (Black's layout)."""
    lines = [
        _DOC,
        "from sqlalchemy import event",
        "",
        f"from {db_import} import db",
    ]
    for item in carried:
        lines += [
            "",
            f"# {_comment(item.label)}",
            _listen("before_create", item.create),
        ]
    drops = model_type_drops(schema, carried)
    drops += [c.drop for c in reversed(carried) if c.drop is not None]
    drops = list(dict.fromkeys(drops))  # overloads: one drop takes them all
    if drops:
        lines += [
            "",
            "# db.drop_all(): each dropped unless something else still uses it",
        ]
        lines += [_listen("after_drop", sql) for sql in drops]
    return black_format("\n".join(lines) + "\n", f"{MODULE}.py")


def prerequisites_path(out_dir: Path) -> Path:
    return out_dir / f"{MODULE}.py"


def _comment(label: str) -> str:
    return lit(label)[1:-1]  # one line, whatever the names hold


def _listen(event_name: str, sql: str) -> str:
    text = sql.replace("%", "%%")
    parts = text.splitlines(keepends=True) or [text]
    literal = " ".join(lit(part) for part in parts)
    # db.DDL, as the models write it: SQLAlchemy's DDL() has no annotations, so
    # `mypy --strict` rejects a direct call (docs/typing.md)
    return f'event.listen(db.metadata, "{event_name}", db.DDL({literal}))'
