"""Alembic hooks for an ``env.py``: autogenerate skips what modelgen leaves out on purpose.

In a Flask-Migrate ``migrations/env.py``, before ``context.configure(...)``::

    from modelgen.alembic import include_object
    conf_args.update(include_object=include_object, compare_server_default=True)

``include_object`` skips partitions (their parent is the model), views and
materialized views (mapped read-only or not at all), extension-owned tables,
unique constraints a model adds after its table (``after_create`` DDL),
the config's ``ignore`` tables, what ``.modelgen-ignore`` / ``[ignore_findings]``
accept, ``alembic_version`` / ``modelgen_migration_log``, and a production
index, unique constraint or foreign key that no model declares.  Importing the
module also makes Alembic compare ``nextval()`` defaults as text (see
``_compare_nextval_default``) and leave alone a server default or comment the
model does not declare, and connects to nothing: the config and one catalog
query are read on the first call and cached for the run.  The config is
``$MODELGEN_CONFIG``, else the one found from the current directory.

One rule with ``modelgen drift``: what drift reports as info (production has
it, the model does not say; docs/drift.md, "Drift or info") is not drift, so
autogenerate proposes no operation for it either, and ``drift`` exits 0 where
autogenerate with these hooks is empty (tests/postgres/test_drift_alembic.py).

This module is ``modelgen.alembic``; ``import alembic`` (absolute, as every
import in this package is) still reaches the real Alembic.
"""

from __future__ import annotations

import os
import re
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelgen.catalog.excluded import Excluded, read_excluded
from modelgen.drift.findings import Finding, IgnoreRule
from modelgen.errors import ModelgenError

CONFIG_ENV = "MODELGEN_CONFIG"
ALWAYS_SKIPPED = ("alembic_version", "modelgen_migration_log")
# objects of a table that drift reports as info when production has them and no
# model declares them: autogenerate would drop them
UNDECLARED_KEYS = ("index", "unique_constraint", "foreign_key_constraint")
_NEXTVAL = re.compile(r"^nextval\('(?P<seq>(?:[^']|'')+)'(?:::regclass)?\)$")


@dataclass(frozen=True)
class _Skips:
    ignore: frozenset[str]  # the config's `ignore`: "name" or "schema.name"
    rules: tuple[IgnoreRule, ...]
    excluded: Excluded | None  # None: no connection to ask (offline mode)

    def table_reason(
        self, schema: str | None, name: str, reflected: bool
    ) -> str | None:
        default = self.excluded.default_schema if self.excluded else "public"
        if name in ALWAYS_SKIPPED:
            return "modelgen/alembic bookkeeping"
        if name in self.ignore or f"{schema or default}.{name}" in self.ignore:
            return "in the config's ignore list"
        why = self.excluded.why(schema, name) if self.excluded else None
        # a view is skipped from both sides: never dropped, never created from a model
        if why is not None and (reflected or why == "view"):
            return why
        return self._rule(schema, name, None)

    def _rule(self, schema: str | None, table: str, subject: str | None) -> str | None:
        default = self.excluded.default_schema if self.excluded else "public"
        schema = schema or default
        display = table if schema == default else f"{schema}.{table}"
        finding = Finding("drift", "alembic", display, subject, "", schema=schema)
        rule = next((r for r in self.rules if r.matches(finding)), None)
        return f"accepted by {rule.source}" if rule else None

    def object_reason(self, obj: Any, name: str | None, type_: str) -> str | None:
        table = getattr(obj, "table", None)
        if table is None or not hasattr(table, "name"):
            return None
        reason = self.table_reason(table.schema, table.name, True)
        if reason is None and name:
            reason = self._rule(table.schema, table.name, name)
        return reason


# One entry per Alembic connection, i.e. per run (it goes with the connection);
# offline runs, which have none, by config location.
_CACHE: weakref.WeakKeyDictionary[Any, _Skips] = weakref.WeakKeyDictionary()
_OFFLINE: dict[str, _Skips] = {}


def _load_skips(connection: Any) -> _Skips:
    from modelgen.config import find_config, load_config
    from modelgen.drift.ignore import load_ignore_rules

    named = os.environ.get(CONFIG_ENV)
    path = find_config(Path(named) if named else None, Path.cwd())
    config = load_config(path, Path.cwd())
    rules = load_ignore_rules(config) if path is not None else ()
    excluded = read_excluded(connection) if connection is not None else None
    return _Skips(frozenset(config.ignore), rules, excluded)


def _skips() -> _Skips:
    connection = _alembic_connection()
    cache: Any = _CACHE if connection is not None else _OFFLINE
    key = (
        connection
        if connection is not None
        else f"{os.environ.get(CONFIG_ENV)}|{Path.cwd()}"
    )
    found = cache.get(key)
    if found is None:
        try:
            found = cache[key] = _load_skips(connection)
        except ModelgenError as exc:
            from alembic.util import CommandError

            raise CommandError(f"modelgen: {exc}") from None
    return found


def _alembic_connection() -> Any:
    """The connection of the running migration context, or None (offline, or no context)."""
    try:
        from alembic import context

        return context.get_context().bind
    except Exception:  # no env.py run in progress: config rules only
        return None


def include_object(
    object: Any,  # noqa: A002  Alembic's own parameter name
    name: str | None,
    type_: str,
    reflected: bool,
    compare_to: Any,
) -> bool:
    """Alembic's ``include_object`` hook: False for what modelgen deliberately leaves out."""
    skips = _skips()
    if type_ == "unique_constraint" and reflected and compare_to is None:
        if _added_after_create(object, name):
            return False
    if type_ == "table":
        only_in_database = reflected and compare_to is None
        only_in_models = not reflected and compare_to is None
        if not (only_in_database or only_in_models):
            return True
        return skips.table_reason(object.schema, object.name, reflected) is None
    if type_ in UNDECLARED_KEYS and reflected and compare_to is None:
        return False  # production's, undeclared: info for drift, not a drop
    return skips.object_reason(object, name, type_) is None


def _added_after_create(constraint: Any, name: str | None) -> bool:
    """A database unique constraint the model's Table adds by ``after_create`` DDL
    (one CREATE TABLE would merge it into another key): the MetaData holds no
    UniqueConstraint for it, and Alembic would propose dropping it.  Read from the
    listeners as drift reads them (``drift.owned.added_constraints``)."""
    from modelgen.drift.owned import added_constraints, table_owned

    table = getattr(constraint, "table", None)
    if table is None or not name:
        return False
    key = f"{table.schema}.{table.name}" if table.schema else table.name
    for metadata in _target_metadatas():
        model = metadata.tables.get(key)
        if model is not None:
            added, _ = added_constraints(model, tuple(table_owned(model)))
            return any(
                kind == "u" and added_name == name for kind, added_name, *_ in added
            )
    return False


def _target_metadatas() -> list[Any]:
    """The running migration's ``target_metadata`` (one MetaData or a list of them)."""
    try:
        from alembic import context

        target = context.get_context().opts.get("target_metadata")
    except Exception:  # no env.py run in progress
        return []
    if target is None:
        return []
    return list(target) if isinstance(target, list | tuple) else [target]


def nextval_defaults_differ(
    database: str | None, model: str | None, default_schema: str | None
) -> bool | None:
    """Whether two defaults differ when one is ``nextval(...)``; None: not ours to say.

    Compared as text: ``'seq'::regclass`` and ``'seq'``, ``public.seq`` and
    ``seq`` (public being the default schema) name the same sequence.
    """
    matches = [_NEXTVAL.match(t.strip()) if t else None for t in (database, model)]
    if not any(matches):
        return None
    if not all(matches):
        return True
    prefix = f"{default_schema or 'public'}."
    seqs = [m.group("seq") for m in matches if m]
    seqs = [q[len(prefix) :] if q.startswith(prefix) else q for q in seqs]
    return seqs[0] != seqs[1]


def _default_text(default: Any) -> str | None:
    arg = getattr(
        default, "arg", None
    )  # DefaultClause; an Identity or Computed has none
    return arg if isinstance(arg, str) else getattr(arg, "text", None)


def _compare_nextval_default(
    autogen_context: Any,
    alter_column_op: Any,
    schema: str | None,
    tname: str,
    cname: str,
    conn_col: Any,
    metadata_col: Any,
) -> Any:
    """Runs before Alembic's own server-default comparison, on PostgreSQL only.

    A column whose model declares no server default is left alone, as drift
    leaves it (hand-written models set Python-side defaults).  Otherwise:
    Alembic strips ``::regclass`` from the database's ``nextval('s'::regclass)``
    but not from the model's same text, finds them unequal and then evaluates
    ``SELECT nextval(..) = nextval(..)`` on the server: false every time, and it
    advances production's sequence twice.  Here such defaults compare as text.
    (A ``compare_server_default`` callable cannot do this: with one set, Alembic
    fails on identity columns before calling it.)
    """
    from alembic.util import PriorityDispatchResult

    context = autogen_context.migration_context
    if getattr(context, "_user_compare_server_default", False) is False:
        return PriorityDispatchResult.CONTINUE  # defaults are not compared at all
    if metadata_col.server_default is None:
        # the model does not declare one (a Python-side default, say): drift's
        # rule, not a default (or an identity) to drop
        alter_column_op.existing_server_default = conn_col.server_default
        return PriorityDispatchResult.STOP
    dialect = autogen_context.dialect
    differs = nextval_defaults_differ(
        _default_text(conn_col.server_default),
        _default_text(metadata_col.server_default),
        getattr(dialect, "default_schema_name", None),
    )
    if differs is None:
        return PriorityDispatchResult.CONTINUE
    alter_column_op.existing_server_default = conn_col.server_default
    if differs:
        alter_column_op.modify_server_default = metadata_col.server_default
    return PriorityDispatchResult.STOP


def _keep_undeclared_column_comment(
    autogen_context: Any,
    alter_column_op: Any,
    schema: str | None,
    tname: str,
    cname: str,
    conn_col: Any,
    metadata_col: Any,
) -> Any:
    """A column comment production has and the model does not declare is not
    dropped: drift compares comments only where the model declares one."""
    from alembic.util import PriorityDispatchResult

    if metadata_col.comment is None and conn_col.comment:
        alter_column_op.existing_comment = conn_col.comment
        return PriorityDispatchResult.STOP
    return PriorityDispatchResult.CONTINUE


def _keep_undeclared_table_comment(
    autogen_context: Any,
    modify_table_ops: Any,
    schema: str | None,
    tname: str,
    conn_table: Any,
    metadata_table: Any,
) -> Any:
    """The same for a table's comment."""
    from alembic.util import PriorityDispatchResult

    if (
        conn_table is not None
        and metadata_table is not None
        and metadata_table.comment is None
        and conn_table.comment
    ):
        return PriorityDispatchResult.STOP
    return PriorityDispatchResult.CONTINUE


def _register_comparator() -> None:
    """Alembic's registry for third-party comparators (Alembic 1.18 and later)."""
    try:
        from alembic.autogenerate.compare import comparators
        from alembic.util import DispatchPriority
    except ImportError:  # an older Alembic: its own comparison stays in charge
        return
    for target, subgroup, function in (
        ("column", "server_default", _compare_nextval_default),
        ("column", "comments", _keep_undeclared_column_comment),
        ("table", "comments", _keep_undeclared_table_comment),
    ):
        comparators.dispatch_for(
            target,
            subgroup=subgroup,
            priority=DispatchPriority.FIRST,
            qualifier="postgresql",
        )(function)


_PARENTHESISED_NAME = re.compile(r"\((\w+)\)")


def _register_index_cleanup() -> None:
    """Expression indexes compare without the parentheses PostgreSQL's exact
    deparse puts around a cast operand.

    The models carry the exact form (``lower((email)::text)``: it recreates the
    stored expression whatever its grouping); Alembic reflects the pretty form
    (``lower(email::text)``) and, after stripping casts, compares
    ``lower((email))`` with ``lower(email)``: a false remove/add of the index.
    An implementation registered for the dialect (Alembic's ``__dialect__``
    mechanism) drops parentheses around a bare name after Alembic's own cleanup,
    on both sides, so real expression changes still show.
    """
    try:
        from alembic.ddl.postgresql import PostgresqlImpl
    except ImportError:
        return

    class ModelgenPostgresqlImpl(PostgresqlImpl):
        __dialect__ = "postgresql"

        def _cleanup_index_expr(self, index: Any, expr: str) -> str:
            cleaned = super()._cleanup_index_expr(index, expr)
            while True:
                simpler = _PARENTHESISED_NAME.sub(r"\1", cleaned)
                if simpler == cleaned:
                    return cleaned
                cleaned = simpler


_register_comparator()
_register_index_cleanup()
