"""One table's keys, model vs production: primary key, unique, check, foreign key, exclusion, indexes.

What the model declares must exist in production (``drift``); what production
has and the model does not mention is ``info``: hand-written models rarely
declare every constraint and index.
"""

from __future__ import annotations

from collections.abc import Iterable

from modelgen.catalog.schema import ForeignKey, Index, Table
from modelgen.drift.findings import DRIFT, INFO, display_name
from modelgen.drift.models import ModelConstraint, ModelIndex, ModelTable
from modelgen.drift.normalize import normalize_expr

KeyDiff = tuple[str, str, str | None, str]  # level, kind, subject, message

# production's constraints the model may leave out: finding kind, Table attribute, wording
_PRODUCTION_CONSTRAINTS = (
    ("unique", "uniques", "unique constraint"),
    ("check", "checks", "check constraint"),
    ("foreign-key", "foreign_keys", "foreign key"),
    ("exclusion", "excludes", "exclusion constraint"),
)


def compare_keys(prod: Table, model: ModelTable, default_schema: str) -> list[KeyDiff]:
    """(level, kind, subject, message) for primary key, constraints and indexes."""
    out = _compare_primary_key(prod, model)
    matched: set[str] = set()  # production constraint/index names accounted for
    indexes = _all_indexes(prod)
    for mc in model.constraints:
        out += _match_constraint(mc, prod, indexes, matched, default_schema)
    for mi in model.indexes:
        out += _match_index(mi, indexes, matched)
    return out + _undeclared(prod, matched)


def _match_constraint(
    mc: ModelConstraint,
    prod: Table,
    indexes: list[Index],
    matched: set[str],
    default_schema: str,
) -> list[KeyDiff]:
    if mc.kind == "u":
        return _match_unique(mc, prod, indexes, matched)
    if mc.kind == "c":
        return _match_check(mc, prod, matched)
    if mc.kind == "f":
        return _match_fk(mc, prod, matched, default_schema)
    if mc.kind == "x":
        return _match_exclusion(mc, prod, matched)
    return []  # the primary key: compared on its own


def _undeclared(prod: Table, matched: set[str]) -> list[KeyDiff]:
    out: list[KeyDiff] = []
    for kind, attr, what in _PRODUCTION_CONSTRAINTS:
        out += [
            (
                INFO,
                kind,
                item.name,
                f"production {what} {item.name} ({item.definition}) is not declared in the model",
            )
            for item in getattr(prod, attr)
            if item.name not in matched
        ]
    out += [
        (
            INFO,
            "index",
            index.name,
            f"production index {index.name} ({_index_text(index)}) is not declared in the model",
        )
        for index in prod.indexes
        if index.name not in matched
    ]
    return out


def _compare_primary_key(prod: Table, model: ModelTable) -> list[KeyDiff]:
    mine = next((c for c in model.constraints if c.kind == "p"), None)
    theirs = prod.primary_key
    model_cols = tuple(mine.columns) if mine else ()
    prod_cols = tuple(theirs.columns) if theirs else ()
    if set(model_cols) != set(prod_cols):
        return [
            (
                DRIFT,
                "primary-key",
                None,
                f"primary key ({', '.join(model_cols) or 'none'}) in the model, "
                f"({', '.join(prod_cols) or 'none'}) in production",
            )
        ]
    if model_cols != prod_cols:  # the same columns: the order is the index's order
        return [
            (
                DRIFT,
                "primary-key",
                None,
                f"primary key columns in the order ({', '.join(model_cols)}) in the "
                f"model, ({', '.join(prod_cols)}) in production",
            )
        ]
    if mine and mine.name and theirs and mine.name != theirs.name:
        return [
            (
                DRIFT,
                "primary-key",
                None,
                f"primary key named {mine.name} in the model, {theirs.name} in production",
            )
        ]
    return []


def _all_indexes(prod: Table) -> list[Index]:
    found = list(prod.indexes)
    for constraint in (prod.primary_key, *prod.uniques, *prod.excludes):
        if constraint is not None and constraint.index is not None:
            found.append(constraint.index)
    return found


def _plain_columns(index: Index) -> tuple[str, ...] | None:
    if index.predicate or any(e.column is None for e in index.elements):
        return None
    return tuple(e.column for e in index.elements if e.column is not None)


# -- unique, check, exclusion --------------------------------------------------------


def _match_unique(
    mc: ModelConstraint, prod: Table, indexes: list[Index], matched: set[str]
) -> list[KeyDiff]:
    if mc.name:
        return _match_named_unique(mc, prod, indexes, matched)
    if _claim_unique(mc, prod, indexes, matched):
        return []
    return [
        (
            DRIFT,
            "unique",
            mc.columns[0] if len(mc.columns) == 1 else None,
            f"a unique constraint on ({', '.join(mc.columns)}) is declared by the model but missing in production",
        )
    ]


def _match_named_unique(
    mc: ModelConstraint, prod: Table, indexes: list[Index], matched: set[str]
) -> list[KeyDiff]:
    cols = ", ".join(mc.columns)
    unique = next((u for u in prod.uniques if u.name == mc.name), None)
    if unique is not None:
        matched.add(unique.name)
        if set(unique.columns) != set(mc.columns):
            return [
                (
                    DRIFT,
                    "unique",
                    mc.name,
                    f"unique constraint {mc.name} is on ({cols}) in the model, "
                    f"({', '.join(unique.columns)}) in production",
                )
            ]
        return []
    index = next((i for i in indexes if i.name == mc.name and i.unique), None)
    if index is not None and set(_plain_columns(index) or ()) == set(mc.columns):
        matched.add(index.name)
        return []
    return [
        (
            DRIFT,
            "unique",
            mc.name,
            f"unique constraint {mc.name} on ({cols}) is declared by the model but missing in production",
        )
    ]


def _claim_unique(
    mc: ModelConstraint, prod: Table, indexes: list[Index], matched: set[str]
) -> bool:
    """An unnamed unique: the first unclaimed constraint, or plain unique index, on its columns."""
    for unique in prod.uniques:
        if unique.name not in matched and set(unique.columns) == set(mc.columns):
            matched.add(unique.name)
            return True
    for index in indexes:
        plain = _plain_columns(index)
        if (
            index.unique
            and index.name not in matched
            and plain
            and set(plain) == set(mc.columns)
        ):
            matched.add(index.name)
            return True
    return False


def _match_check(mc: ModelConstraint, prod: Table, matched: set[str]) -> list[KeyDiff]:
    text = normalize_expr(mc.expression)
    if mc.name:
        check = next((c for c in prod.checks if c.name == mc.name), None)
        if check is None:
            return [
                (
                    DRIFT,
                    "check",
                    mc.name,
                    f"check constraint {mc.name} ({mc.expression}) is declared by the model but missing in production",
                )
            ]
        matched.add(check.name)
        if mc.expression is not None and normalize_expr(check.expression) != text:
            return [
                (
                    DRIFT,
                    "check",
                    mc.name,
                    f"check constraint {mc.name} is ({mc.expression}) in the model, "
                    f"({check.expression}) in production",
                )
            ]
        return []
    for check in prod.checks:
        if check.name not in matched and normalize_expr(check.expression) == text:
            matched.add(check.name)
            return []
    return [
        (
            DRIFT,
            "check",
            None,
            f"a check constraint ({mc.expression}) is declared by the model but missing in production",
        )
    ]


def _match_exclusion(
    mc: ModelConstraint, prod: Table, matched: set[str]
) -> list[KeyDiff]:
    if not mc.name:
        return []
    if any(x.name == mc.name for x in prod.excludes):
        matched.add(mc.name)
        return []
    return [
        (
            DRIFT,
            "exclusion",
            mc.name,
            f"exclusion constraint {mc.name} is declared by the model but missing in production",
        )
    ]


# -- foreign keys -----------------------------------------------------------------------


def _fk_text(
    columns: Iterable[str], table: str | None, ref_columns: Iterable[str]
) -> str:
    return f"({', '.join(columns)}) -> {table}({', '.join(ref_columns)})"


def _action(value: str | None) -> str | None:
    value = (value or "").upper().strip()
    return None if value in ("", "NO ACTION") else value


def _match_fk(
    mc: ModelConstraint, prod: Table, matched: set[str], default_schema: str
) -> list[KeyDiff]:
    subject = mc.name or (mc.columns[0] if len(mc.columns) == 1 else None)
    fk = _find_fk(mc, prod, matched)
    if fk is None:
        text = _fk_text(mc.columns, mc.ref_table, mc.ref_columns)
        what = f"foreign key {mc.name} {text}" if mc.name else f"a foreign key {text}"
        return [
            (
                DRIFT,
                "foreign-key",
                subject,
                f"{what} is declared by the model but missing in production",
            )
        ]
    matched.add(fk.name)
    problems = _fk_problems(mc, fk, default_schema)
    if problems:
        return [
            (
                DRIFT,
                "foreign-key",
                subject,
                f"foreign key {fk.name} differs (model vs production): {'; '.join(problems)}",
            )
        ]
    return []


def _find_fk(mc: ModelConstraint, prod: Table, matched: set[str]) -> ForeignKey | None:
    """By name; an unnamed one by its columns, among those not yet claimed."""
    if mc.name:
        return next((f for f in prod.foreign_keys if f.name == mc.name), None)
    return next(
        (
            f
            for f in prod.foreign_keys
            if f.name not in matched and tuple(f.columns) == tuple(mc.columns)
        ),
        None,
    )


def _fk_problems(mc: ModelConstraint, fk: ForeignKey, default_schema: str) -> list[str]:
    problems = []
    if tuple(fk.columns) != tuple(mc.columns):
        problems.append(
            f"columns ({', '.join(mc.columns)}) vs ({', '.join(fk.columns)})"
        )
    # a target without a schema is in the default schema, whatever the schema of
    # the table holding the key (SQLAlchemy resolves ForeignKey("users.id") so)
    ref_schema = mc.ref_schema or default_schema
    if (ref_schema, mc.ref_table) != (fk.ref_schema, fk.ref_table) or tuple(
        mc.ref_columns
    ) != tuple(fk.ref_columns):
        target = display_name(ref_schema, mc.ref_table or "", default_schema)
        prod_target = display_name(fk.ref_schema, fk.ref_table, default_schema)
        problems.append(
            f"references {target}({', '.join(mc.ref_columns)}) vs "
            f"{prod_target}({', '.join(fk.ref_columns)})"
        )
    for clause, mine, theirs in (
        ("ON DELETE", mc.on_delete, fk.on_delete),
        ("ON UPDATE", mc.on_update, fk.on_update),
    ):
        if _action(mine) != _action(theirs):
            problems.append(
                f"{clause} {_action(mine) or 'NO ACTION'} vs {_action(theirs) or 'NO ACTION'}"
            )
    return problems


# -- indexes -----------------------------------------------------------------------------


def _index_elements(index: Index) -> tuple[str, ...]:
    return tuple(
        e.column if e.column is not None else normalize_expr(e.expression)
        for e in index.elements
    )


def _index_text(index: Index) -> str:
    text = f"{'UNIQUE ' if index.unique else ''}{index.method} ("
    text += ", ".join(e.column or e.expression or "" for e in index.elements) + ")"
    if index.predicate:
        text += f" WHERE {index.predicate}"
    return text


def _match_index(
    mi: ModelIndex, indexes: list[Index], matched: set[str]
) -> list[KeyDiff]:
    elements = tuple(e if e.isidentifier() else normalize_expr(e) for e in mi.elements)
    if mi.name:
        index = next((i for i in indexes if i.name == mi.name), None)
    else:
        index = next(
            (
                i
                for i in indexes
                if i.name not in matched and _index_elements(i) == elements
            ),
            None,
        )
    if index is None:
        what = f"index {mi.name}" if mi.name else "an index"
        return [
            (
                DRIFT,
                "index",
                mi.name,
                f"{what} on ({', '.join(mi.elements)}) is declared by the model but missing in production",
            )
        ]
    matched.add(index.name)
    problems = _index_problems(mi, elements, index)
    if problems:
        return [
            (
                DRIFT,
                "index",
                index.name,
                f"index {index.name} differs (model vs production): {'; '.join(problems)}",
            )
        ]
    return []


def _index_problems(
    mi: ModelIndex, elements: tuple[str, ...], index: Index
) -> list[str]:
    problems = []
    if _index_elements(index) != elements:
        problems.append(
            f"on ({', '.join(mi.elements)}) vs ({', '.join(e.column or e.expression or '' for e in index.elements)})"
        )
    if mi.unique != index.unique:
        problems.append(
            f"{'unique' if mi.unique else 'not unique'} vs {'unique' if index.unique else 'not unique'}"
        )
    if normalize_expr(mi.predicate) != normalize_expr(index.predicate):
        problems.append(
            f"WHERE {mi.predicate or '(none)'} vs {index.predicate or '(none)'}"
        )
    if (mi.method or "btree").lower() != index.method.lower():
        problems.append(f"USING {mi.method or 'btree'} vs {index.method}")
    return problems
