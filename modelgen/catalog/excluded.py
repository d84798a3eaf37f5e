"""Relations modelgen never models (partitions, views, extension-owned), read in one query.

Used by the Alembic hooks (``modelgen.alembic``) through the connection Alembic
already holds: one catalog query per run, linear in the number of relations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EXCLUDED_SQL = """
SELECT n.nspname, c.relname,
       CASE WHEN EXISTS (SELECT 1 FROM pg_depend d
                          WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                            AND d.deptype = 'e') THEN 'extension'
            WHEN c.relispartition THEN 'partition'
            ELSE 'view' END AS why
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_%'
  AND (c.relispartition OR c.relkind IN ('v', 'm')
       OR EXISTS (SELECT 1 FROM pg_depend d
                   WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                     AND d.deptype = 'e'))
"""


@dataclass(frozen=True)
class Excluded:
    """(schema, name) -> why: "partition", "view" or "extension"; and the default schema."""

    relations: dict[tuple[str, str], str]
    default_schema: str

    def why(self, schema: str | None, name: str) -> str | None:
        return self.relations.get((schema or self.default_schema, name))


def read_excluded(connection: Any) -> Excluded:
    """Through a SQLAlchemy connection (Alembic's): reads only, never writes."""
    from sqlalchemy import text

    default = connection.execute(text("SELECT current_schema()")).scalar() or "public"
    rows = connection.execute(text(EXCLUDED_SQL)).all()
    return Excluded({(str(s), str(n)): str(why) for s, n, why in rows}, str(default))
