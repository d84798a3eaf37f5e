"""Foreign keys -> relationship attributes, named and paired deterministically.

Both ways (back_populates) between classes of one group; from a later group to
an earlier one with a backref; to a hand-written class one way; none towards a
later group, so every group imports and configures on its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from modelgen.catalog.schema import ForeignKey, Table
from modelgen.errors import ConfigError
from modelgen.generate import naming
from modelgen.generate.literals import call, lit
from modelgen.generate.plan import AttrPlan, Unit


def _fk_target(fk: ForeignKey) -> tuple[str, str]:
    return (fk.ref_schema, fk.ref_table)


def plan_relationships(
    units: list[Unit],
    lookup: dict[tuple[str, str], Unit],
    hand: dict[tuple[str, str], str],
    group_order: dict[str, int],
    bootstrap: bool,
    style: str,
    default_schema: str = "public",
    all_tables: tuple[Table, ...] = (),
    names: Mapping[str, tuple[str, str | None]] | None = None,
) -> None:
    """Forward relationships first (every class), then reverse ones, both in sorted order.

    ``names``: the config's ``relationship_names`` (``"table.column"`` -> name, back).
    """
    names = names or {}
    paths = _join_paths(all_tables or tuple(u.table for u in units))
    reverse_jobs: list[tuple[Unit, Unit, ForeignKey, str, str]] = []
    made: _Made = defaultdict(list)
    for unit in sorted(units, key=lambda u: u.table.key):
        if unit.class_name is None:
            continue
        for fk in unit.table.foreign_keys:
            if _repeats_earlier_key(unit.table, fk):
                continue  # the same join again: one relationship says it
            target_key = _fk_target(fk)
            target = lookup.get(target_key)
            if target is not None and target.class_name is None:
                continue
            if target is None and target_key not in hand:
                continue
            same = target is not None and (
                bootstrap or target.spec.group == unit.spec.group
            )
            earlier = (
                target is not None
                and not same
                and group_order[target.spec.group] < group_order[unit.spec.group]
            )
            if target is not None and not (same or earlier):
                continue  # a later group's class may not exist yet: no relationship to it
            target_class = target.class_name if target else hand[target_key]
            assert target_class is not None
            ambiguous = _ambiguous(paths, unit.table.key, target_key)
            # names only need the key's own prefix when this table has several keys
            # to the target (raised_by_disputes, resolved_by_disputes)
            siblings = sum(
                1
                for f in unit.table.foreign_keys
                if _fk_target(f) == target_key
                and not _repeats_earlier_key(unit.table, f)
            )
            chosen = _overridden(names, unit.table, fk)
            forward = _chosen(chosen and chosen[0], unit, fk) or _forward_name(
                fk, target_class, unit.taken
            )
            reverse = None
            if target is not None:
                reverse = _chosen(chosen and chosen[1], target, fk) or _reverse_name(
                    unit, fk, forward, siblings > 1, target
                )
            _add_forward(
                unit, fk, forward, target_class, ambiguous, reverse, same, style
            )
            made[(unit.table.key, fk.name)].append((unit, len(unit.relationships) - 1))
            if target is not None and same and reverse is not None:
                reverse_jobs.append((target, unit, fk, reverse, forward))
    for target, source, fk, reverse, forward in reverse_jobs:
        ambiguous = _ambiguous(paths, source.table.key, target.table.key)
        _add_reverse(target, source, fk, reverse, forward, style, ambiguous)
        made[(source.table.key, fk.name)].append(
            (target, len(target.relationships) - 1)
        )
    _mark_overlaps(units, made)
    for unit in sorted(units, key=lambda u: u.table.key):
        if unit.association is not None:
            _add_many_to_many(unit, lookup, style, default_schema)


# (table key, foreign key name) -> the relationships made from that key
_Made = dict[tuple[tuple[str, str], str], list[tuple[Unit, int]]]


def _repeats_earlier_key(table: Table, fk: ForeignKey) -> bool:
    """A second foreign key with the same columns to the same target columns."""
    same = (fk.columns, _fk_target(fk), fk.ref_columns)
    return any(
        (other.columns, _fk_target(other), other.ref_columns) == same
        and other.name < fk.name
        for other in table.foreign_keys
    )


def _mark_overlaps(units: list[Unit], made: _Made) -> None:
    """Relationships of two keys that share a column (``(pipeline_id, partition_id)``
    and ``(stage_id, partition_id)``) both write it: each names the others in
    ``overlaps=``, as SQLAlchemy asks, so the mappers configure without a warning."""
    for unit in units:
        keys = [
            fk for fk in unit.table.foreign_keys if (unit.table.key, fk.name) in made
        ]
        for fk in keys:
            others = sorted(
                {
                    owner.relationships[index].name
                    for other in keys
                    if other.name != fk.name and set(other.columns) & set(fk.columns)
                    for owner, index in made[(unit.table.key, other.name)]
                }
            )
            if not others:
                continue
            for owner, index in made[(unit.table.key, fk.name)]:
                plan = owner.relationships[index]
                expr = f"{plan.expr[:-1]}, overlaps={lit(','.join(others))})"
                owner.relationships[index] = AttrPlan(plan.name, expr, plan.annotation)


def association_pair(table: Table) -> tuple[ForeignKey, ForeignKey] | None:
    """The two foreign keys of a pure link table: every column in exactly one of two
    foreign keys to two different tables, the key (if any) made of all of them."""
    if len(table.foreign_keys) != 2:
        return None
    first, second = sorted(table.foreign_keys, key=lambda fk: fk.name)
    if _fk_target(first) == _fk_target(second) or table.key in (
        _fk_target(first),
        _fk_target(second),
    ):
        return None
    covered = list(first.columns) + list(second.columns)
    names = [c.name for c in table.columns]
    if sorted(covered) != sorted(names) or len(set(covered)) != len(covered):
        return None
    if table.primary_key is not None and set(table.primary_key.columns) != set(names):
        return None
    return first, second


def _add_many_to_many(
    link: Unit, lookup: dict[tuple[str, str], Unit], style: str, default_schema: str
) -> None:
    assert link.association is not None
    first, second = (lookup[_fk_target(fk)] for fk in link.association)
    assert first.class_name is not None and second.class_name is not None
    table = link.table
    secondary = (
        table.name if table.schema == default_schema else f"{table.schema}.{table.name}"
    )
    on_first = naming.unique(
        naming.attribute_name(naming.plural(naming.snake(second.class_name))),
        first.taken,
    )
    on_second = naming.unique(
        naming.attribute_name(naming.plural(naming.snake(first.class_name))),
        second.taken,
    )
    link.note = (
        f"Link table: {first.class_name}.{on_first} and "
        f"{second.class_name}.{on_second} go through it."
    )
    for owner, other, name, back in (
        (first, second, on_first, on_second),
        (second, first, on_second, on_first),
    ):
        assert other.class_name is not None
        expr = call(
            relationship_function(style),
            [lit(other.class_name)],
            [("secondary", lit(secondary)), ("back_populates", lit(back))],
        )
        annotation = (
            f"Mapped[list[{lit(other.class_name)}]]" if style == "typed" else None
        )
        owner.relationships.append(AttrPlan(name, expr, annotation))


def relationship_function(style: str) -> str:
    """``relationship`` (SQLAlchemy's own, typed) in the typed style: Flask-SQLAlchemy's
    ``db.relationship`` returns a ``RelationshipProperty`` that mypy will not assign to
    ``Mapped[list[X]]``."""
    return "relationship" if style == "typed" else "db.relationship"


# A key column named <role><suffix> says its role: author_id -> author.
KEY_SUFFIXES = ("_id", "_uuid", "_fk", "_key", "_ref")


def role_name(fk: ForeignKey, target_class: str) -> str:
    """The relationship's name before collisions, keeping the key's role (the rule in
    docs/configuration.md): ``author_id`` -> ``author``; a column with no key suffix
    names the role and the target, ``issued_to`` -> ``issued_to_user``
    (``issued_to`` itself is the column's attribute); a key of several columns,
    or a column named like its target, -> the target (``user``)."""
    target = naming.snake(target_class)
    if len(fk.columns) != 1:
        return target
    column = fk.columns[0]
    for suffix in KEY_SUFFIXES:
        if column.lower().endswith(suffix) and len(column) > len(suffix):
            return naming.snake(column[: -len(suffix)])
    role = naming.snake(column)
    return target if role == target else f"{role}_{target}"


def _overridden(
    names: Mapping[str, tuple[str, str | None]], table: Table, fk: ForeignKey
) -> tuple[str, str | None] | None:
    """The config's ``relationship_names`` entry for this key, if any."""
    keys = {fk.name, *fk.columns[:1]} if len(fk.columns) == 1 else {fk.name}
    for prefix in (table.name, f"{table.schema}.{table.name}"):
        for key in keys:
            if f"{prefix}.{key}" in names:
                return names[f"{prefix}.{key}"]
    return None


def _chosen(name: str | None, owner: Unit, fk: ForeignKey) -> str | None:
    """A name the config chose, claimed on ``owner``; never silently renamed."""
    if not name:
        return None
    if name in owner.taken:
        raise ConfigError(
            f"key 'relationship_names': {name!r} (for foreign key {fk.name}) is already "
            f"an attribute of {owner.class_name}"
        )
    owner.taken.add(name)
    return name


def _forward_name(fk: ForeignKey, target_class: str, taken: set[str]) -> str:
    base = naming.attribute_name(role_name(fk, target_class))
    if base in taken:
        # a column already has the name (author and author_id): say what it points at
        base = naming.attribute_name(f"{base}_{naming.snake(target_class)}")
    return naming.unique(base, taken)


def _reverse_name(
    source: Unit, fk: ForeignKey, forward: str, ambiguous: bool, target: Unit
) -> str:
    assert source.class_name is not None
    many = naming.plural(naming.snake(source.class_name))
    one = _is_one_to_one(source.table, fk)
    base = naming.snake(source.class_name) if one else many
    if source.table.key == target.table.key:
        if forward == "parent":
            base = "children"
        elif forward.startswith("parent_"):
            base = "child_" + naming.plural(forward[len("parent_") :])
        else:
            base = f"{forward}_{base}"
    elif ambiguous:
        base = f"{forward}_{base}"
    return naming.unique(naming.attribute_name(base), target.taken)


def _is_one_to_one(table: Table, fk: ForeignKey) -> bool:
    cols = set(fk.columns)
    if table.primary_key is not None and set(table.primary_key.columns) == cols:
        return True
    return any(set(u.columns) == cols for u in table.uniques)


def _attr_list(cls: str, unit: Unit, columns: tuple[str, ...]) -> str:
    attrs = [f"{cls}.{unit.columns[c]}" for c in columns]
    return attrs[0] if len(attrs) == 1 else "[" + ", ".join(attrs) + "]"


def _add_forward(
    unit: Unit,
    fk: ForeignKey,
    name: str,
    target_class: str,
    ambiguous: bool,
    reverse: str | None,
    same_group: bool,
    style: str,
) -> None:
    assert unit.class_name is not None
    kwargs: list[tuple[str, str]] = []
    if ambiguous:
        kwargs.append(
            ("foreign_keys", lit(_attr_list(unit.class_name, unit, fk.columns)))
        )
    if unit.table.key == (fk.ref_schema, fk.ref_table):
        remote = [f"{unit.class_name}.{unit.columns[c]}" for c in fk.ref_columns]
        kwargs.append(
            (
                "remote_side",
                lit(remote[0] if len(remote) == 1 else "[" + ", ".join(remote) + "]"),
            )
        )
    if reverse is not None:
        if same_group:
            kwargs.append(("back_populates", lit(reverse)))
        else:
            kwargs.append(("backref", lit(reverse)))
    expr = call(relationship_function(style), [lit(target_class)], kwargs)
    annotation = None
    if style == "typed":
        nullable = any(unit.table.column(c).nullable for c in fk.columns)
        inner = f"{target_class} | None" if nullable else target_class
        annotation = f"Mapped[{lit(inner)}]"
    unit.relationships.append(AttrPlan(name, expr, annotation))


def _join_paths(tables: tuple[Table, ...]) -> dict[frozenset[tuple[str, str]], int]:
    """How many foreign keys join each pair of tables, in either direction."""
    paths: dict[frozenset[tuple[str, str]], int] = defaultdict(int)
    for table in tables:
        for fk in table.foreign_keys:
            paths[frozenset({table.key, _fk_target(fk)})] += 1
    return paths


def _ambiguous(
    paths: dict[frozenset[tuple[str, str]], int],
    source: tuple[str, str],
    target: tuple[str, str],
) -> bool:
    """SQLAlchemy needs foreign_keys= when more than one key joins the two tables
    (either way round) or the relationship is self-referential."""
    return source == target or paths[frozenset({source, target})] > 1


def _add_reverse(
    target: Unit,
    source: Unit,
    fk: ForeignKey,
    name: str,
    forward: str,
    style: str,
    ambiguous: bool,
) -> None:
    assert source.class_name is not None and target.class_name is not None
    kwargs: list[tuple[str, str]] = []
    if ambiguous:
        kwargs.append(
            ("foreign_keys", lit(_attr_list(source.class_name, source, fk.columns)))
        )
    one = _is_one_to_one(source.table, fk)
    if one:
        kwargs.append(("uselist", "False"))
    kwargs.append(("back_populates", lit(forward)))
    expr = call(relationship_function(style), [lit(source.class_name)], kwargs)
    annotation = None
    if style == "typed":
        inner = f"{source.class_name} | None" if one else source.class_name
        annotation = f"Mapped[{lit(inner)}]" if one else f"Mapped[list[{lit(inner)}]]"
    target.relationships.append(AttrPlan(name, expr, annotation))
