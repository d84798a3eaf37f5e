"""Frozen, JSON-friendly facts about a database schema: no SQLAlchemy objects here."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property


@dataclass(frozen=True)
class TypeRef:
    """A column's type as PostgreSQL knows it.

    ``display`` is ``format_type()`` of the column (what ``\\d`` prints, e.g.
    ``character varying(40)[]``); ``name``/``schema``/``kind`` describe the
    element type (for arrays, the type of one element); ``modifiers`` are the
    parenthesised modifiers of that element type (``("40",)``).
    """

    display: str
    name: str
    schema: str
    kind: str  # b base, e enum, d domain, r range, m multirange, c composite, p pseudo
    array_dims: int = 0
    modifiers: tuple[str, ...] = ()
    element_display: str = ""


@dataclass(frozen=True)
class Identity:
    always: bool
    start: int
    increment: int
    minvalue: int
    maxvalue: int
    cycle: bool
    cache: int


@dataclass(frozen=True)
class Column:
    name: str
    type: TypeRef
    nullable: bool = True  # PostgreSQL's default: NOT NULL only when declared
    default: str | None = None
    identity: Identity | None = None
    generated: str | None = None  # expression of a STORED generated column
    comment: str | None = None
    collation: str | None = None  # only when it differs from the type's default
    serial_sequence: str | None = None  # owned sequence behind a nextval() default
    collation_schema: str | None = None  # the collation's schema, unless pg_catalog


@dataclass(frozen=True)
class ForeignKey:
    name: str
    columns: tuple[str, ...]
    ref_schema: str
    ref_table: str
    ref_columns: tuple[str, ...]
    on_update: str | None = None  # None means NO ACTION
    on_delete: str | None = None
    match: str | None = None  # FULL / PARTIAL; None means SIMPLE
    deferrable: bool = False
    initially_deferred: bool = False
    definition: str = ""
    not_valid: bool = False  # added NOT VALID: existing rows never checked


@dataclass(frozen=True)
class Constraint:
    """Primary key, unique, check or exclusion constraint."""

    name: str
    kind: str  # p, u, c, x
    columns: tuple[str, ...]
    definition: str  # pg_get_constraintdef()
    expression: str | None = None  # CHECK body, without the CHECK ( ) wrapper
    deferrable: bool = False
    initially_deferred: bool = False
    nulls_not_distinct: bool = False
    no_inherit: bool = False
    not_valid: bool = False  # a CHECK added NOT VALID
    index: Index | None = None  # the index behind a unique/exclusion constraint


@dataclass(frozen=True)
class IndexElement:
    """One key of an index: a plain column, or anything else as PostgreSQL prints it.

    ``expression`` holds the whole element text (``lower(email::text) DESC``,
    ``payload jsonb_path_ops``), so opclasses, collations and ordering survive.
    """

    column: str | None = None
    expression: str | None = None


@dataclass(frozen=True)
class Index:
    name: str
    unique: bool
    method: str
    elements: tuple[IndexElement, ...]
    include: tuple[str, ...] = ()
    predicate: str | None = None
    nulls_not_distinct: bool = False
    options: tuple[str, ...] = ()  # reloptions, e.g. ("fillfactor=70",)
    definition: str = ""  # pg_get_indexdef()
    exclude_operators: tuple[str, ...] = ()


@dataclass(frozen=True)
class Trigger:
    """A trigger the table owns (ordinary or constraint trigger), as PostgreSQL prints it."""

    name: str
    definition: (
        str  # pg_get_triggerdef(oid, false): a complete CREATE [CONSTRAINT] TRIGGER
    )
    enabled: str = (
        "O"  # pg_trigger.tgenabled: O origin, D disabled, R replica, A always
    )


@dataclass(frozen=True)
class Policy:
    """A row-level security policy; expressions are the exact (non-pretty) deparse."""

    name: str
    command: str  # ALL, SELECT, INSERT, UPDATE, DELETE
    permissive: bool = True
    roles: tuple[str, ...] = ("public",)
    using: str | None = None
    with_check: str | None = None
    # other relations its expressions read ("schema.name"): it can only be created
    # once they exist
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class Partition:
    """A partition (at any depth) of a modelled table, created with it."""

    schema: str
    name: str
    parent: str  # quoted "schema"."name" of the table (or partition) it belongs to
    bound: str  # pg_get_expr(relpartbound): FOR VALUES ... or DEFAULT
    partition_key: str | None = None  # itself partitioned
    # (name, definition) of the constraints and (name, CREATE INDEX) of the indexes
    # it has of its own, not from its parent
    constraints: tuple[tuple[str, str], ...] = ()
    indexes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    columns: tuple[Column, ...]
    comment: str | None = None
    primary_key: Constraint | None = None
    foreign_keys: tuple[ForeignKey, ...] = ()
    uniques: tuple[Constraint, ...] = ()
    checks: tuple[Constraint, ...] = ()
    excludes: tuple[Constraint, ...] = ()
    indexes: tuple[Index, ...] = ()
    partition_key: str | None = None
    partitions: tuple[str, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    row_security: bool = False  # ENABLE ROW LEVEL SECURITY
    force_row_security: bool = False  # FORCE ROW LEVEL SECURITY
    policies: tuple[Policy, ...] = ()
    partition_facts: tuple[Partition, ...] = ()  # parents before children, by name

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.name)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)


@dataclass(frozen=True)
class Enum:
    schema: str
    name: str
    labels: tuple[str, ...]


@dataclass(frozen=True)
class Domain:
    schema: str
    name: str
    base: TypeRef
    not_null: bool = False
    default: str | None = None
    checks: tuple[tuple[str, str], ...] = ()  # (constraint name, CHECK expression)
    collation: str | None = None
    collation_schema: str | None = None  # the collation's schema, unless pg_catalog


@dataclass(frozen=True)
class SequenceFact:
    """A sequence (not an identity column's): its options, for nextval() defaults."""

    schema: str
    name: str
    data_type: str  # smallint, integer or bigint
    start: int
    increment: int
    minvalue: int
    maxvalue: int
    cache: int
    cycle: bool


@dataclass(frozen=True)
class Relation:
    """Something in the database that is not modelled: a view, a partition, ..."""

    schema: str
    name: str
    kind: str  # view, materialized view, partition, foreign table
    columns: tuple[Column, ...] = ()  # views and materialized views: to map on request
    comment: str | None = None


@dataclass(frozen=True)
class Schema:
    tables: tuple[Table, ...]
    enums: tuple[Enum, ...] = ()
    domains: tuple[Domain, ...] = ()
    others: tuple[Relation, ...] = ()
    extensions: tuple[tuple[str, str], ...] = ()  # (extension, schema it lives in)
    # (schema, name, CREATE FUNCTION text): not modelled, but defaults may call them
    functions: tuple[tuple[str, str, str], ...] = ()
    sequences: tuple[SequenceFact, ...] = ()
    # (schema, name, CREATE TYPE text) of composite types: columns of such a type need
    # it to exist (models cannot create it; verify and migrations create it first)
    composites: tuple[tuple[str, str, str], ...] = ()
    # (schema, name, CREATE text) of collations and range types: prerequisites too
    collations: tuple[tuple[str, str, str], ...] = ()
    ranges: tuple[tuple[str, str, str], ...] = ()
    server_version: str = ""
    default_schema: str = "public"
    source: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @cached_property
    def _by_key(self) -> dict[tuple[str, str], Table]:
        return {t.key: t for t in self.tables}

    def table(self, schema: str, name: str) -> Table:
        try:
            return self._by_key[(schema, name)]
        except KeyError:
            raise KeyError(f"{schema}.{name}") from None

    @cached_property
    def _by_name(self) -> dict[str, list[Table]]:
        found: dict[str, list[Table]] = {}
        for table in self.tables:
            found.setdefault(table.name, []).append(table)
        return found

    def find_table(self, name: str) -> Table | None:
        """A table by ``name`` or ``schema.name``; a bare name prefers the default schema.

        Looked up in indexes built once: callers ask once per table, which a scan
        of every table made quadratic (a second at 2,000 tables, 25 at 10,000)."""
        if "." in name:
            schema, _, bare = name.partition(".")
            return self._by_key.get((schema, bare))
        matches = self._by_name.get(name, [])
        for table in matches:
            if table.schema == self.default_schema:
                return table
        return matches[0] if len(matches) == 1 else None

    @cached_property
    def views(self) -> dict[tuple[str, str], Table]:
        """Views and materialized views as column-only Tables, to map read-only on request."""
        return {
            (r.schema, r.name): Table(r.schema, r.name, r.columns, comment=r.comment)
            for r in self.others
            if r.kind in ("view", "materialized view") and r.columns
        }

    def find_view(self, name: str) -> Table | None:
        schema, _, bare = name.rpartition(".")
        matches = [
            v for (s, n), v in self.views.items() if n == bare and schema in ("", s)
        ]
        preferred = [v for v in matches if v.schema == self.default_schema]
        found = preferred or matches
        return found[0] if found else None

    @cached_property
    def _types(self) -> dict[tuple[str, str], Enum | Domain]:
        found: dict[tuple[str, str], Enum | Domain] = {}
        found.update({(d.schema, d.name): d for d in self.domains})
        found.update({(e.schema, e.name): e for e in self.enums})
        return found

    @cached_property
    def _sequences(self) -> dict[tuple[str, str], SequenceFact]:
        found: dict[tuple[str, str], SequenceFact] = {}
        for seq in self.sequences:
            found.setdefault((seq.schema, seq.name), seq)
        return found

    def sequence(self, schema: str | None, name: str) -> SequenceFact | None:
        """A sequence by name, in ``schema`` or (unqualified) the default schema."""
        return self._sequences.get((schema or self.default_schema, name))

    def enum(self, schema: str, name: str) -> Enum | None:
        found = self._types.get((schema, name))
        return found if isinstance(found, Enum) else None

    def domain(self, schema: str, name: str) -> Domain | None:
        found = self._types.get((schema, name))
        return found if isinstance(found, Domain) else None
