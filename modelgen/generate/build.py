"""Schema + Config + selection -> FilePlan[]: every name, type, import and literal decided here.

Templates receive only precomputed strings.  Every piece of schema text that
reaches generated code goes through ``lit()`` (a Python string literal) or is
a validated identifier from ``naming``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

from modelgen.catalog.carried import carried_prerequisites
from modelgen.catalog.owned import foreign_key_statement
from modelgen.catalog.schema import Schema, Table
from modelgen.config import Config, FileSpec
from modelgen.errors import ConfigError, did_you_mean
from modelgen.generate import naming
from modelgen.generate.base import MODEL, base_shim
from modelgen.generate.closure import describe_left_out, unmodelled_keys
from modelgen.generate.columns import ColumnRenderer
from modelgen.generate.literals import lit
from modelgen.generate.owned import IMPORT as OWNED_IMPORT
from modelgen.generate.owned import owned_listeners
from modelgen.generate.plan import (
    ClassPlan,
    FilePlan,
    PackagePlan,
    TableVarPlan,
    Unit,
    ViewPlan,
)
from modelgen.generate.relationships import association_pair, plan_relationships
from modelgen.generate.setup_detect import is_dataclass_base
from modelgen.generate.typemap import (
    custom_type_class,
    domain_variable,
    enum_variable,
    render_type,
)
from modelgen.source.existing import ExistingModel


def select_specs(
    config: Config, schema: Schema, groups: list[str], all_groups: bool
) -> list[FileSpec]:
    """The files to generate: the config's groups, or a module per schema with no config."""
    if groups and all_groups:
        raise ConfigError(
            f"--group {groups[0]} and --all contradict each other: pass one of them"
        )
    if config.bootstrap:
        return bootstrap_specs(config, schema)
    if not config.files:
        raise ConfigError(
            f"{config.label}: no [groups] in the config, so nothing to generate "
            "(`modelgen init` proposes groups for the tables your models lack)"
        )
    if all_groups:
        return list(config.files)
    unknown = [g for g in groups if g not in config.groups]
    if unknown:
        raise ConfigError(
            f"{config.label}: no group named {unknown[0]!r}"
            f"{did_you_mean(unknown[0], config.groups)} (groups: {', '.join(config.groups)})"
        )
    if not groups:
        raise ConfigError(
            f"{config.label}: choose --group NAME or --all (groups: {', '.join(config.groups)})"
        )
    return list(config.files_for(groups))


def relationship_names(
    config: Config, schema: Schema
) -> dict[str, tuple[str, str | None]]:
    """The config's relationship_names, each checked to name a foreign key in the schema."""
    for key in config.relationship_names:
        table_name, _, part = key.rpartition(".")
        table = schema.find_table(table_name)
        where = f"{config.label}: key 'relationship_names.{key}'"
        if table is None:
            raise ConfigError(
                f"{where}: table {table_name!r} is not in the database"
                f"{table_suggestion(schema, table_name)}"
            )
        keys = {fk.name for fk in table.foreign_keys} | {
            fk.columns[0] for fk in table.foreign_keys if len(fk.columns) == 1
        }
        if part not in keys:
            raise ConfigError(
                f"{where}: {part!r} is not a foreign-key column (or constraint) of "
                f"{table_name}{did_you_mean(part, keys)}"
            )
        for name in config.relationship_names[key]:
            if name is not None and naming.attribute_name(name) != name:
                raise ConfigError(
                    f"{where}: {name!r} cannot be an attribute of a model (reserved "
                    "by Flask-SQLAlchemy or SQLAlchemy, or a name the module uses)"
                )
    return config.relationship_names


def table_suggestion(schema: Schema, name: str) -> str:
    """`` (did you mean 'payments'?)`` for a table or view name that is not there."""
    known = [*schema.tables, *schema.views.values()]
    if "." in name:
        return did_you_mean(name, (f"{t.schema}.{t.name}" for t in known))
    return did_you_mean(name, (t.name for t in known))


def bootstrap_specs(config: Config, schema: Schema) -> list[FileSpec]:
    ignored = set(config.ignore)
    by_schema: dict[str, list[tuple[str, str]]] = defaultdict(list)
    views = list(schema.views.values()) if config.views else []
    for table in [*schema.tables, *views]:
        if table.name in ignored or f"{table.schema}.{table.name}" in ignored:
            continue
        by_schema[table.schema].append(table.key)
    specs = []
    taken: set[str] = set()
    for name in sorted(by_schema):
        keys = sorted(by_schema[name])
        size = config.split if config.split > 0 else len(keys)
        chunks = [tuple(keys[i : i + size]) for i in range(0, len(keys), size)]
        width = len(str(len(chunks)))
        for number, chunk in enumerate(chunks, start=1):
            base = naming.module_name(name)
            if len(chunks) > 1:  # public_01.py, public_02.py, ... in table-name order
                base = f"{base}_{number:0{width}d}"
            module = naming.unique(base, taken)
            tables = tuple(f"{s}.{t}" for s, t in chunk)
            specs.append(FileSpec("all", f"{module}.py", tables, chunk))
    return specs


def build_plan(
    schema: Schema,
    config: Config,
    selected: list[FileSpec],
    out_dir: Path,
    existing: tuple[ExistingModel, ...] = (),
) -> PackagePlan:
    bootstrap = config.bootstrap
    universe = list(bootstrap_specs(config, schema) if bootstrap else config.files)
    group_order = {g: i for i, g in enumerate(dict.fromkeys(s.group for s in universe))}
    hand = _hand_written(existing, schema)
    units = _units(schema, config, universe, hand)
    type_names = {u.table.key: _type_variables(schema, u.table) for u in units}
    # a model class named like a UserDefinedType class of the package (table
    # xml_types, class XmlType) would replace it for every class after it
    custom = {n for names in type_names.values() for n in names if n[:1].isupper()}
    _name_classes(units, config, set(hand.values()) | custom, schema.default_schema)
    left_out = _leave_out_dangling_keys(
        schema, units, existing, selected, _unseen_models(config, schema)
    )
    lookup = {u.table.key: u for u in units}
    dataclass = config.style == "typed" and is_dataclass_base(config.root, config.base)
    renderer = ColumnRenderer(schema, config.style, dataclass=dataclass)
    for unit in units:
        unit.columns = {}
        # a class attribute named like a module-level type variable its columns use
        # would rebind it for every column after it in the class body
        unit.taken |= type_names[unit.table.key]
        for column in unit.table.columns:
            unit.columns[column.name] = naming.unique(
                naming.attribute_name(column.name), unit.taken
            )
    # relationships only between classes that will exist: those written now and
    # those already on disk (a group may be written only in part, for a foreign key)
    present = _present(schema, units, existing, selected)
    plan_relationships(
        [u for u in units if u.table.key in present],
        {k: u for k, u in lookup.items() if k in present},
        hand,
        group_order,
        bootstrap,
        config.style,
        schema.default_schema,
        schema.tables,
        names=relationship_names(config, schema),
    )
    if dataclass:  # set after construction, never an argument of __init__
        for unit in units:
            unit.relationships = [
                replace(r, expr=r.expr[:-1] + ", init=False)")
                for r in unit.relationships
            ]

    db_import = ".extensions" if bootstrap else config.db_import
    files = []
    wanted = {spec.filename for spec in selected}
    # once for all files: per file, these walked every table (quadratic in a
    # config of hundreds of files)
    by_file: dict[str, list[Unit]] = {}
    for unit in units:
        by_file.setdefault(unit.spec.filename, []).append(unit)
    modules = _class_modules(units, existing, (out_dir, config.output), config.root)
    for spec in universe:
        if spec.filename not in wanted:
            continue
        files.append(
            _file_plan(
                spec,
                by_file.get(spec.filename, []),
                renderer,
                out_dir,
                db_import,
                config.style,
                modules,
                lit(config.bind) if config.bind else "",
                None if bootstrap else config.base,
            )
        )
    extras: list[tuple[Path, str]] = []
    imports: list[str] = []
    for plan in files:
        names = ", ".join(plan.class_names) if plan.class_names else None
        if names:
            imports.append(f"from .{plan.module} import {names}  # noqa: F401")
        else:
            imports.append(f"from . import {plan.module}  # noqa: F401")
    # the module is written by bootstrap and (unless the config says no) by every
    # run with groups: one bind's tables only (Flask-SQLAlchemy makes a bind's
    # MetaData with its first model: nothing to listen on before it)
    carried = (
        tuple(carried_prerequisites(schema))
        if config.prerequisites and not config.bind
        else ()
    )
    if bootstrap:
        extras = _bootstrap_extras(out_dir, files, bool(carried))
    mapped = {u.table.key for u in units if u.view}
    unmodelled = tuple(
        f"{r.schema}.{r.name} ({r.kind})"
        for r in schema.others
        if (r.schema, r.name) not in mapped
    )
    written = {t for plan in files for t in plan.tables}
    without_key = tuple(
        f"{u.table.schema}.{u.table.name}"
        for u in units
        if u.table.primary_key is None
        and not u.view
        and f"{u.table.schema}.{u.table.name}" in written
    )
    return PackagePlan(
        tuple(files),
        tuple(extras),
        tuple(imports),
        unmodelled,
        without_key,
        left_out,
        prerequisites=carried,
    )


def _present(
    schema: Schema,
    units: list[Unit],
    existing: tuple[ExistingModel, ...],
    selected: list[FileSpec],
) -> set[tuple[str, str]]:
    wanted = {spec.filename for spec in selected}
    present = {(m.schema or schema.default_schema, m.table) for m in existing}
    return present | {u.table.key for u in units if u.spec.filename in wanted}


def _unseen_models(config: Config, schema: Schema) -> set[tuple[str, str]]:
    """With no 'models' folder configured, any table may have a hand-written model
    modelgen cannot see: keys to tables are kept (drift reports dangling ones)."""
    if config.bootstrap or config.models is not None:
        return set()
    ignored = set(config.ignore)
    return {
        t.key
        for t in schema.tables
        if t.name not in ignored and f"{t.schema}.{t.name}" not in ignored
    }


def _leave_out_dangling_keys(
    schema: Schema,
    units: list[Unit],
    existing: tuple[ExistingModel, ...],
    selected: list[FileSpec],
    unseen: set[tuple[str, str]],
) -> tuple[str, ...]:
    """Drop the foreign keys no model can resolve (modelgen.generate.closure); the
    lines naming those of the selected files."""
    modelled = {u.table.key for u in units if not u.view} | unseen
    modelled |= {(m.schema or schema.default_schema, m.table) for m in existing}
    # partitions are created by their table's DDL: a key to one is added the same way
    partitions = {(p.schema, p.name) for u in units for p in u.table.partition_facts}
    dangling = unmodelled_keys((u.table for u in units), modelled)
    wanted = {spec.filename for spec in selected}
    lines: list[str] = []
    for unit in units:
        dropped = dangling.get(unit.table.key)
        if not dropped:
            continue
        for fk in dropped:
            if (fk.ref_schema, fk.ref_table) in partitions:
                unit.extra_ddl.append(foreign_key_statement(unit.table, fk))
            elif unit.spec.filename in wanted:
                lines.append(describe_left_out(schema, unit.table, fk))
        kept = tuple(fk for fk in unit.table.foreign_keys if fk not in dropped)
        unit.table = replace(unit.table, foreign_keys=kept)
    return tuple(sorted(lines))


def _class_modules(
    units: list[Unit],
    existing: tuple[ExistingModel, ...],
    packages: tuple[Path, Path | None],
    root: Path,
) -> dict[str, str]:
    """Where each class can be imported from, for typed files' TYPE_CHECKING imports."""
    modules: dict[str, str] = {}
    for model in existing:
        if model.class_name is None or model.generated:
            continue
        path = model.path.resolve()
        if path.parent in {p.resolve() for p in packages if p is not None}:
            modules[model.class_name] = f".{path.stem}"
        elif path.is_relative_to(root.resolve()):
            parts = path.relative_to(root.resolve()).with_suffix("").parts
            if all(p.isidentifier() for p in parts):
                modules[model.class_name] = ".".join(parts)
    for unit in units:
        if unit.class_name is not None:
            modules[unit.class_name] = f".{unit.spec.filename[:-3]}"
    return modules


def _hand_written(
    existing: tuple[ExistingModel, ...], schema: Schema
) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for model in existing:
        if model.generated or model.class_name is None:
            continue
        found[(model.schema or schema.default_schema, model.table)] = model.class_name
    return found


def _units(
    schema: Schema,
    config: Config,
    universe: list[FileSpec],
    hand: dict[tuple[str, str], str],
) -> list[Unit]:
    units: list[Unit] = []
    order = 0
    for spec in universe:
        for index, name in enumerate(spec.tables):
            table: Table | None
            if spec.keys:
                key = spec.keys[index]
                table = schema.views.get(key) or schema.table(*key)
            else:
                table = schema.find_table(name) or schema.find_view(name)
            if table is None:
                raise ConfigError(
                    f"{config.label}: key 'groups.{spec.group}.{spec.filename}': table "
                    f"{name!r} is not in the database{table_suggestion(schema, name)}"
                )
            if table.key in hand:
                raise ConfigError(
                    f"{config.label}: key 'groups.{spec.group}.{spec.filename}': table "
                    f"{name!r} already has a hand-written model ({hand[table.key]})"
                )
            view = table.key in schema.views  # tables and views share a namespace
            units.append(Unit(table=table, spec=spec, order=order, view=view))
            order += 1
    return units


def _name_classes(
    units: list[Unit], config: Config, hand_names: set[str], default_schema: str
) -> None:
    """Class names from table names; collisions get a schema prefix, then a number.

    Decided over the whole universe in sorted table order, so a name never
    depends on which files are selected or on the order tables arrive in.
    """
    for key, chosen in config.class_names.items():
        if naming.shadows_module_name(chosen):
            raise ConfigError(
                f"{config.label}: key 'class_names.{key}': {chosen!r} cannot be a "
                "model class name (a keyword, builtin or name the module imports)"
            )
    _mark_associations(units, config.bootstrap)
    candidates: dict[str, list[Unit]] = defaultdict(list)
    for unit in sorted(units, key=lambda u: u.table.key):
        if unit.association is not None or (
            unit.table.primary_key is None and not unit.view
        ):
            continue
        override = config.class_names.get(unit.table.name) or config.class_names.get(
            f"{unit.table.schema}.{unit.table.name}"
        )
        candidates[override or naming.class_name(unit.table.name)].append(unit)
    taken = set(hand_names)
    for name in sorted(candidates):
        group = candidates[name]
        # On a clash the first table (sorted) of the default schema keeps the plain
        # name; the others get their schema as a prefix (then a number if need be).
        plain = next((u for u in group if u.table.schema == default_schema), None)
        for unit in group:
            chosen = name
            if name in hand_names or (len(group) > 1 and unit is not plain):
                chosen = naming.class_name(f"{unit.table.schema}_{unit.table.name}")
            unit.class_name = naming.unique(chosen, taken)
    module_taken: dict[str, set[str]] = defaultdict(set)
    for unit in sorted(units, key=lambda u: u.table.key):
        if unit.class_name is None:
            base = naming.attribute_name(naming.snake(unit.table.name)) + "_table"
            unit.var_name = naming.unique(base, module_taken[unit.spec.filename])


def _table_var_comment(unit: Unit) -> str:
    if unit.note:
        return unit.note
    return "No primary key in the database: a Table, not a mapped class."


def _mark_associations(units: list[Unit], bootstrap: bool) -> None:
    """Link tables whose two ends are classes of the same group become db.Tables."""
    by_key = {u.table.key: u for u in units}
    for unit in units:
        pair = association_pair(unit.table)
        if pair is None:
            continue
        ends = [by_key.get((fk.ref_schema, fk.ref_table)) for fk in pair]
        if all(
            end is not None
            and end.table.primary_key is not None
            and association_pair(end.table) is None
            and (bootstrap or end.spec.group == unit.spec.group)
            for end in ends
        ):
            unit.association = pair


def _file_plan(
    spec: FileSpec,
    members: list[Unit],
    renderer: ColumnRenderer,
    out_dir: Path,
    db_import: str,
    style: str,
    class_modules: dict[str, str],
    bind_key: str = "",
    base: str | None = None,
) -> FilePlan:
    classes: list[ClassPlan] = []
    table_vars: list[TableVarPlan] = []
    views: list[ViewPlan] = []
    imports: set[str] = set()
    definitions: dict[str, str] = {}
    ranks: dict[str, int] = {}
    custom: dict[str, str] = {}
    listeners: list[str] = []
    for unit in members:
        as_table = unit.class_name is None or unit.view
        rendered = renderer.table(unit.table, unit.columns, as_table)
        if not unit.view:
            target = unit.var_name if unit.class_name is None else unit.class_name
            suffix = "" if unit.class_name is None else ".__table__"
            listeners += owned_listeners(
                f"{target}{suffix}", unit.table, unit.extra_ddl
            )
        imports |= rendered.imports
        definitions.update(rendered.definitions)
        ranks.update(rendered.ranks)
        custom.update(rendered.custom_types)
        if unit.view:
            assert unit.class_name is not None
            views.append(_view_plan(unit, rendered.table_expr("db.MetaData()")))
            continue
        if unit.class_name is None:
            assert unit.var_name is not None
            table_vars.append(
                TableVarPlan(
                    unit.var_name,
                    rendered.table_expr(bind_key=bind_key),
                    _table_var_comment(unit),
                )
            )
            continue
        rels = unit.relationships
        if rels and style == "typed":
            imports.add("from sqlalchemy.orm import relationship")
        classes.append(
            ClassPlan(
                name=unit.class_name,
                tablename=lit(unit.table.name),
                columns=rendered.attributes,
                relationships=tuple(rels),
                table_args=rendered.table_args,
                table_kwargs=rendered.table_kwargs,
                bind_key=bind_key,
            )
        )
    imports.add(f"from {db_import} import db")
    if listeners:
        imports.add(OWNED_IMPORT)
    type_checking: list[str] = []
    if style == "typed":
        here = {c.name for c in classes}
        referenced = {
            _quoted_class(r.expr) for c in classes for r in c.relationships
        } - here
        by_module: dict[str, list[str]] = defaultdict(list)
        for name in sorted(referenced):
            if name in class_modules:
                by_module[class_modules[name]].append(name)
        for module in by_module:
            type_checking.append(f"from {module} import {', '.join(by_module[module])}")
    shim = base_shim(base) if classes or views else None
    if shim is not None:
        type_checking += shim.imports
    if type_checking:
        imports.add("from typing import TYPE_CHECKING")
    type_checking.sort(key=lambda line: (line.startswith("from ."), line))
    return FilePlan(
        path=out_dir / spec.filename,
        module=spec.filename[:-3],
        group=spec.group,
        tables=tuple(f"{u.table.schema}.{u.table.name}" for u in members),
        import_groups=_import_groups(imports),
        definitions=tuple(
            sorted(
                definitions.items(), key=lambda item: (ranks.get(item[0], 0), item[0])
            )
        ),
        custom_types=tuple(sorted(custom.items())),
        classes=tuple(classes),
        table_vars=tuple(table_vars),
        regenerate="modelgen generate",
        style=style,
        class_names=tuple(c.name for c in classes) + tuple(v.name for v in views),
        type_checking_imports=tuple(type_checking),
        type_checking_body=shim.body if shim else (),
        type_checking_else=shim.orelse if shim else (),
        base=MODEL if shim else "db.Model",
        views=tuple(views),
        listeners=tuple(listeners),
    )


def _view_plan(unit: Unit, table_expr: str) -> ViewPlan:
    assert unit.class_name is not None
    columns = ", ".join(f"__table__.c[{lit(c.name)}]" for c in unit.table.columns)
    label = lit(f"{unit.table.schema}.{unit.table.name}")[1:-1]
    return ViewPlan(
        name=unit.class_name,
        table_expr=table_expr,
        mapper_args="{" + f'"primary_key": [{columns}]' + "}",
        comment=f"Read-only view {label}: its own MetaData keeps create_all off it.",
    )


def _quoted_class(expr: str) -> str:
    """The class a rendered ``db.relationship("Name", ...)`` points at."""
    return expr.split('"', 2)[1]


_STDLIB = re.compile(r"^(import (datetime|decimal|uuid)|from typing import)")


def _import_groups(imports: set[str]) -> tuple[tuple[str, ...], ...]:
    """isort's order: standard library, third party, then the app's own ``db``."""

    def order(line: str) -> tuple[bool, str]:
        return (
            line.startswith("from "),
            line,
        )  # isort: "import x" before "from x import"

    imports = _merge_from_imports(imports)
    std = sorted((i for i in imports if _STDLIB.match(i)), key=order)
    local = sorted((i for i in imports if i.endswith(" import db")), key=order)
    third = sorted((i for i in imports if i not in std and i not in local), key=order)
    return tuple(group for group in (tuple(std), tuple(third), tuple(local)) if group)


def _merge_from_imports(imports: set[str]) -> set[str]:
    """``from m import a`` + ``from m import b`` -> ``from m import a, b`` (isort's order:
    CONSTANTS, then Classes, then functions)."""
    merged: dict[str, set[str]] = defaultdict(set)
    plain: set[str] = set()
    for line in imports:
        if line.startswith("from ") and " import " in line:
            module, _, names = line[5:].partition(" import ")
            merged[module].update(n.strip() for n in names.split(","))
        else:
            plain.add(line)

    def kind(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[:1].isupper() else 2, name)

    for module, members in merged.items():
        plain.add(f"from {module} import {', '.join(sorted(members, key=kind))}")
    return plain


def _bootstrap_extras(
    out_dir: Path, files: list[FilePlan], prerequisites: bool
) -> list[tuple[Path, str]]:
    db_module = (
        '"""The Flask-SQLAlchemy instance of the generated models."""\n\n'
        "from flask_sqlalchemy import SQLAlchemy\n\n"
        "db = SQLAlchemy()\n"
    )
    modules = sorted(plan.module for plan in files)
    lines = [
        '"""Models generated by modelgen: importing this package defines every table."""',
        "",
    ]
    lines.append("from .extensions import db")
    if prerequisites:  # first: the models' own DDL events come after its own
        lines.append("from . import prerequisites  # noqa: F401")
    if modules:
        lines.append(f"from . import {', '.join(modules)}")
    lines += ["", f"__all__ = {['db', *modules]!r}".replace("'", '"'), ""]
    return [
        (out_dir / "extensions.py", db_module),
        (out_dir / "__init__.py", "\n".join(lines)),
    ]


def _type_variables(schema: Schema, table: Table) -> set[str]:
    """The module-level names (enum and domain variables, UserDefinedType classes:
    the only capitalised ones) the table's column types refer to."""
    names: set[str] = set()
    for column in table.columns:
        rendered = render_type(column.type, schema, schema.default_schema)
        names.update(enum_variable(e, schema) for e in rendered.enums)
        names.update(domain_variable(d, schema) for d in rendered.domains)
        names.update(custom_type_class(spec) for spec in rendered.custom)
    return names
