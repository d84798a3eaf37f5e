"""The plan: every decision about a generated file, as plain data for the templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from modelgen.catalog.carried import Carried
from modelgen.catalog.owned import OwnedStatement
from modelgen.catalog.schema import ForeignKey, Table
from modelgen.config import FileSpec


@dataclass(frozen=True)
class AttrPlan:
    """One class attribute: a column or a relationship."""

    name: str
    expr: str
    annotation: str | None = None  # typed style only


@dataclass(frozen=True)
class ClassPlan:
    name: str
    tablename: str  # a Python literal
    columns: tuple[AttrPlan, ...]
    relationships: tuple[AttrPlan, ...]
    table_args: tuple[str, ...]
    table_kwargs: tuple[tuple[str, str], ...]  # (literal key, expression)
    bind_key: str = ""  # a literal: the config's Flask-SQLAlchemy bind, or ""

    @property
    def table_args_tuple(self) -> str:
        """``(a, b, {...},)``: the trailing comma keeps several items one per line."""
        items = list(self.table_args)
        if self.table_kwargs:
            items.append(
                "{" + ", ".join(f"{k}: {v}" for k, v in self.table_kwargs) + "}"
            )
        return "(" + ", ".join(items) + ",)" if items else ""


@dataclass(frozen=True)
class TableVarPlan:
    """A ``db.Table``: a table without a primary key, or a pure link table."""

    name: str
    expr: str
    comment: str  # one line saying why it is not a class (identifiers only)


@dataclass(frozen=True)
class ViewPlan:
    """A view mapped read-only: its Table lives in a MetaData of its own."""

    name: str
    table_expr: str  # db.Table(..., db.MetaData(), ...)
    mapper_args: str  # {"primary_key": [...]}: every column, since a view has no key
    comment: str


@dataclass(frozen=True)
class FilePlan:
    path: Path
    module: str
    group: str | None
    tables: tuple[str, ...]
    import_groups: tuple[tuple[str, ...], ...]
    definitions: tuple[tuple[str, str], ...]  # (variable, expression): enums, domains
    custom_types: tuple[tuple[str, str], ...]  # (class name, literal of the SQL type)
    classes: tuple[ClassPlan, ...]
    table_vars: tuple[TableVarPlan, ...]
    regenerate: str
    style: str
    class_names: tuple[str, ...] = ()
    # typed style: import lines for the classes named in annotations
    type_checking_imports: tuple[str, ...] = ()
    # the rest of the `if TYPE_CHECKING:` block and its `else:` (generate/base.py)
    type_checking_body: tuple[str, ...] = ()
    type_checking_else: tuple[str, ...] = ()
    base: str = "db.Model"  # what the classes subclass
    views: tuple[ViewPlan, ...] = ()
    # event.listen(<table>, "after_create", DDL(<literal>)) statements: triggers,
    # row-level security and policies (modelgen.generate.owned)
    listeners: tuple[str, ...] = ()


@dataclass(frozen=True)
class PackagePlan:
    """Everything one generate run produces."""

    files: tuple[FilePlan, ...]
    extras: tuple[tuple[Path, str], ...] = ()  # bootstrap: __init__.py, extensions.py
    import_lines: tuple[str, ...] = ()
    unmodelled: tuple[str, ...] = ()  # views, partitions ...: reported, never modelled
    without_key: tuple[str, ...] = ()  # written as db.Table: no primary key to map
    # foreign keys left out of the models: their target can never have a model
    left_out: tuple[str, ...] = ()
    # files of other groups written too because a chosen table's foreign key needs
    # them: "device_tracking.py (group infrastructure): user_sessions.device_id ..."
    also_wrote: tuple[str, ...] = ()
    # what the package's prerequisites.py creates (empty: no such module)
    prerequisites: tuple[Carried, ...] = ()


@dataclass
class Unit:
    """One table's place in the run: which file, group and class name."""

    table: Table
    spec: FileSpec
    order: int
    class_name: str | None = None  # None: rendered as db.Table
    var_name: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # column -> attribute
    taken: set[str] = field(default_factory=set)
    relationships: list[AttrPlan] = field(default_factory=list)
    # a pure link table (two foreign keys and nothing else): a db.Table that the
    # two classes reach each other through with `secondary`
    association: tuple[ForeignKey, ForeignKey] | None = None
    note: str | None = None  # the comment above a db.Table (identifiers only)
    view: bool = False  # a view mapped read-only (never created by create_all)
    # foreign keys to a partition (no Table to point at): added by after_create DDL
    extra_ddl: list[OwnedStatement] = field(default_factory=list)
