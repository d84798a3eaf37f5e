"""Alembic revisions from schema facts (docs/migration.md).

Two jobs share the versions-folder and runtime code of ``revisions``:

- ``tables``: without ``--from``, a revision creating the chosen groups' tables;
- ``changes`` -> ``steps`` -> ``render``: with ``--from OLD``, a revision that brings
  any database from OLD's schema to production's, every step guarded by the live
  catalog, with a downgrade that undoes what that upgrade did.
"""

from modelgen.migration.render import DiffMigration, diff_migration
from modelgen.migration.revisions import (
    LOG_TABLE,
    MigrationError,
    catalog_rows,
    find_head,
    load_revision,
    read_revisions,
    slug,
    upgrade_sql,
)
from modelgen.migration.tables import (
    MigrationFile,
    MigrationPlan,
    _Collected,
    _table_step,
    _to_sa_tokens,
    build_migration,
    generate_migration,
    migration_sql,
    order_tables,
    render_migration,
    select_tables,
    to_sa,
    with_revision,
)

__all__ = [
    "DiffMigration",
    "diff_migration",
    "LOG_TABLE",
    "MigrationError",
    "MigrationFile",
    "MigrationPlan",
    "_Collected",
    "_table_step",
    "_to_sa_tokens",
    "build_migration",
    "catalog_rows",
    "find_head",
    "generate_migration",
    "load_revision",
    "migration_sql",
    "order_tables",
    "read_revisions",
    "render_migration",
    "select_tables",
    "slug",
    "to_sa",
    "upgrade_sql",
    "with_revision",
]
