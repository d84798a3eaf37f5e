"""Production Schema vs the app's models: ``compute_drift`` and the table and column comparisons.

A finding is ``drift`` (fails the run: exit 1) when production and the models
disagree on something the model states: a table, a column, its type, length,
nullability, a server default or comment the model declares, the primary key,
an index or constraint the model declares, enum labels.  It is ``info`` (shown,
never failing) when production has an index or constraint the model simply
does not mention: hand-written models rarely declare them all.  See
docs/drift.md for the reasoning behind every rule.  Keys are compared in
drift_keys, the ignore rules applied in drift_ignore, reports rendered in
drift_report.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from pathlib import Path

from modelgen.catalog.reflect import quote_ident
from modelgen.catalog.schema import Column, Schema, Table
from modelgen.config import Config, FileSpec
from modelgen.drift.findings import (
    DRIFT,
    INFO,
    DriftReport,
    Finding,
    describe_column,
    display_name,
)
from modelgen.drift.ignore import IgnoreRule, apply_rules
from modelgen.drift.keys import compare_keys
from modelgen.drift.models import ModelColumn, ModelSet, ModelTable, with_lines
from modelgen.drift.normalize import normalize_type, same_default
from modelgen.drift.owned import compare_owned
from modelgen.drift.prerequisites import prerequisite_findings

# kind, subject (the column), message, line
ColumnDiff = tuple[str, str, str, int | None]


def compute_drift(
    schema: Schema,
    config: Config,
    models: ModelSet,
    rules: Iterable[IgnoreRule] = (),
    production: str = "production",
) -> DriftReport:
    """Every finding between production and the models, with the ignore rules applied."""
    default = schema.default_schema
    ignored = set(config.ignore)
    by_key = _models_by_key(models, default)
    tables = sorted(schema.tables, key=lambda t: t.key)
    by_config = tuple(
        display_name(*t.key, default) for t in tables if _ignored(t.key, ignored)
    )
    tables = [t for t in tables if not _ignored(t.key, ignored)]
    findings = _without_model_findings(
        [t for t in tables if t.key not in by_key], config, default
    )
    for table in tables:
        if table.key in by_key:
            findings += _table_findings(table, by_key[table.key], schema)
    findings += _without_table_findings(by_key, schema, config)
    findings += _dangling_key_findings(models, by_key, default)
    findings += _not_compared_findings(models)
    findings += prerequisite_findings(schema, config, models)
    return apply_rules(
        findings, tuple(rules), by_config, models, production, len(schema.tables)
    )


def with_file_lines(
    report: DriftReport,
    schema: Schema,
    config: Config,
    rules: Iterable[IgnoreRule] = (),
    production: str = "production",
) -> DriftReport:
    """``report`` (of models loaded with ``lines=False``) with file lines: the model
    files its findings point at are parsed, once each, and compared again.

    An in-sync run parses nothing; a run with findings parses only the files
    they name, however many other model files the app has.
    """
    shown = [*report.findings, *(f for f, _ in report.ignored)]
    homes = {t.path.resolve() for t in report.models.tables if t.path is not None}
    paths = {
        f.path.resolve()
        for f in shown
        if f.path is not None and f.line is None and f.path.resolve() in homes
    }
    if not paths:
        return report
    models = with_lines(report.models, paths)
    return compute_drift(schema, config, models, rules, production)


def _models_by_key(
    models: ModelSet, default: str
) -> dict[tuple[str, str], list[ModelTable]]:
    by_key: dict[tuple[str, str], list[ModelTable]] = {}
    for model in models.tables:
        by_key.setdefault((model.schema or default, model.name), []).append(model)
    return by_key


def _dangling_key_findings(
    models: ModelSet, by_key: dict[tuple[str, str], list[ModelTable]], default: str
) -> list[Finding]:
    """A model's foreign key to a table no model defines: the app's metadata cannot
    be sorted or created (NoReferencedTableError), whatever production holds."""
    findings = []
    for model in models.tables:
        for key in model.constraints:
            if key.kind != "f" or key.ref_table is None:
                continue
            # no schema: the default one, not the schema of the table holding the key
            target = (key.ref_schema or default, key.ref_table)
            if target in by_key:
                continue
            label = display_name(model.schema or default, model.name, default)
            columns = ", ".join(key.columns)
            message = (
                f"{label}.{columns} references {display_name(*target, default)}, which "
                "has no model: create_all, sorted_tables and Alembic autogenerate fail"
            )
            subject = key.name or columns
            findings.append(
                Finding(
                    DRIFT,
                    "dangling-key",
                    label,
                    subject,
                    message,
                    model.path,
                    model.line,
                    schema=model.schema or default,
                )
            )
    return findings


def _ignored(key: tuple[str, str], ignored: set[str]) -> bool:
    """In the config's ``ignore`` list, by name or ``schema.name``."""
    return key[1] in ignored or f"{key[0]}.{key[1]}" in ignored


def _where(model: ModelTable) -> str:
    place = str(model.path) if model.path else "?"
    if model.line:
        place += f":{model.line}"
    return f"{model.class_name or 'table'} ({place})"


# -- tables on one side only ----------------------------------------------------------


def _without_model_findings(
    tables: list[Table], config: Config, default: str
) -> list[Finding]:
    """In the config's order: group, then file, then table; unassigned last."""
    specs: dict[str, FileSpec] = {}
    for spec in config.files:
        for name in spec.tables:
            specs[name] = spec
    found = [
        _without_model(t, display_name(*t.key, default), specs, config) for t in tables
    ]
    position: dict[tuple[str | None, str], int] = {
        (s.group, s.filename): i for i, s in enumerate(config.files)
    }
    return sorted(
        found,
        key=lambda f: (
            position.get((f.group, f.file.name if f.file else ""), len(position)),
            f.table,
        ),
    )


def _without_model(
    table: Table, label: str, specs: dict[str, FileSpec], config: Config
) -> Finding:
    spec = specs.get(table.name) or specs.get(f"{table.schema}.{table.name}")
    if spec is None:
        return Finding(
            DRIFT,
            "table-without-model",
            label,
            None,
            f"table {label} has no model and is in no group of the config",
            config.path,
            None,
            group=None,
            schema=table.schema,
        )
    target = (config.output / spec.filename) if config.output else Path(spec.filename)
    line = _config_line(config.path, table.name)
    return Finding(
        DRIFT,
        "table-without-model",
        label,
        None,
        f"table {label} has no model (group {spec.group}: {spec.filename})",
        config.path,
        line,
        group=spec.group,
        file=target,
        schema=table.schema,
    )


def _config_line(path: Path | None, table: str) -> int | None:
    if path is None:
        return None
    try:
        stat = path.stat()
    except OSError:
        return None
    return _config_index(path, stat.st_mtime_ns, stat.st_size).get(table)


@functools.lru_cache(maxsize=4)
def _config_index(path: Path, mtime_ns: int, size: int) -> dict[str, int]:
    """Quoted name -> first line naming it after an ``=``: the config read once per run,
    not once per table without a model (that was tables x lines)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return {}
    index: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if "=" in line:
            for match in _QUOTED.finditer(line.split("=", 1)[1]):
                index.setdefault(match.group(1), number)
    return index


_QUOTED = re.compile(r"""["']([^"']*)["']""")


def _without_table_findings(
    by_key: dict[tuple[str, str], list[ModelTable]], schema: Schema, config: Config
) -> list[Finding]:
    production = {t.key for t in schema.tables}
    others = {(r.schema, r.name): r.kind for r in schema.others}
    read = set(config.schemas)
    ignored = set(config.ignore)
    findings: list[Finding] = []
    for key, found in sorted(by_key.items()):
        if key in production or _ignored(key, ignored):
            continue
        model = found[0]
        label = display_name(*key, schema.default_schema)
        if key in others:
            level, kind = INFO, "not-compared"
            message = f"{_where(model)} maps {label}, a {others[key]} in production; not compared"
        elif read and key[0] not in read:
            level, kind = INFO, "not-compared"
            message = f"{_where(model)} maps {label}, in schema {key[0]} which the config does not read"
        else:
            level, kind = DRIFT, "model-without-table"
            message = (
                f"{_where(model)} maps table {label}, which production does not have"
            )
        findings.append(
            Finding(
                level, kind, label, None, message, model.path, model.line, schema=key[0]
            )
        )
    return findings


def _not_compared_findings(models: ModelSet) -> list[Finding]:
    """What the models could not tell: a static scan has no columns; modules that failed."""
    findings: list[Finding] = []
    compared_columns = any(m.columns is not None for m in models.tables)
    if models.method in ("static", "partial") or (
        models.tables and not compared_columns
    ):
        findings.append(
            Finding(
                INFO,
                "not-compared",
                "",
                None,
                f"columns, constraints and indexes of scanned models were not compared: {models.detail}",
            )
        )
    for problem in models.problems:
        findings.append(Finding(INFO, "not-compared", "", None, problem))
    return findings


# -- one table ------------------------------------------------------------------------


def _table_findings(
    table: Table, found: list[ModelTable], schema: Schema
) -> list[Finding]:
    """A production table with one model or more: duplicates, then the first model compared."""
    label = display_name(*table.key, schema.default_schema)
    findings: list[Finding] = []
    if len(found) > 1:
        where = ", ".join(_where(m) for m in found)
        findings.append(
            Finding(
                DRIFT,
                "duplicate-model",
                label,
                None,
                f"{label} has {len(found)} models: {where}",
                found[0].path,
                found[0].line,
                schema=table.schema,
            )
        )
    model = found[0]
    if model.columns is not None:
        findings += compare_table(table, model, schema, label)
    return findings


def compare_table(
    prod: Table, model: ModelTable, schema: Schema, label: str
) -> list[Finding]:
    """Findings for one table that has a model (whose columns are known)."""

    def finding(
        level: str, kind: str, subject: str | None, message: str, line: int | None
    ) -> Finding:
        return Finding(
            level,
            kind,
            label,
            subject,
            message,
            model.path,
            line or model.line,
            schema=prod.schema,
        )

    out = [finding(DRIFT, *diff) for diff in _column_diffs(prod, model, schema)]
    if model.comment is not None and model.comment != prod.comment:
        message = f"table comment: model {model.comment!r}, production {prod.comment!r}"
        out.append(finding(DRIFT, "comment", None, message, None))
    lines = {c.name: c.line for c in model.columns or ()}
    for level, kind, subject, message in compare_keys(
        prod, model, schema.default_schema
    ):
        line = lines[subject] if subject in lines else None
        out.append(finding(level, kind, subject, message, line))
    for level, kind, subject, message in compare_owned(
        prod, model.owned, model.generated
    ):
        out.append(finding(level, kind, subject, message, None))
    return out


def _column_diffs(prod: Table, model: ModelTable, schema: Schema) -> list[ColumnDiff]:
    """Columns on one side only, then each shared column compared."""
    written = "generated" if model.generated else "hand-written"
    model_names = {c.name for c in model.columns or ()}
    prod_columns = {c.name: c for c in prod.columns}
    out: list[ColumnDiff] = [
        (
            "column-missing",
            column.name,
            f"column {column.name} ({describe_column(column)}) is in production but missing from the {written} model",
            None,
        )
        for column in prod.columns
        if column.name not in model_names
    ]
    for mc in model.columns or ():
        pc = prod_columns.get(mc.name)
        if pc is None:
            shown = normalize_type(mc.type_sql) if mc.type_sql else "?"
            message = f"column {mc.name} ({shown}) is in the {written} model but not in production"
            out.append(("column-extra", mc.name, message, mc.line))
            continue
        for kind, message in compare_column(mc, pc, schema):
            out.append((kind, mc.name, f"column {mc.name}: {message}", mc.line))
    return out


# -- one column -----------------------------------------------------------------------


def compare_column(
    mc: ModelColumn, pc: Column, schema: Schema
) -> list[tuple[str, str]]:
    """(kind, message) for each fact the model column states that production contradicts."""
    diffs = (
        _type_diff(mc, pc, schema) or _collation_diff(mc, pc),
        _enum_diff(mc, pc, schema),
        _nullable_diff(mc, pc),
        _default_diff(mc, pc),
        _comment_diff(mc, pc),
    )
    return [diff for diff in diffs if diff is not None]


def _type_diff(mc: ModelColumn, pc: Column, schema: Schema) -> tuple[str, str] | None:
    if mc.type_sql is None or _types_match(mc, pc, schema):
        return None
    model_base = normalize_type(mc.type_sql).split("(")[0]
    prod_base = normalize_type(pc.type.display).split("(")[0]
    kind = "length" if model_base == prod_base else "type"
    # one spelling, PostgreSQL's, on both sides (never VARCHAR(20) next to character varying(30))
    shown = normalize_type(mc.type_sql)
    return kind, f"{kind} {shown} in the model, {pc.type.display} in production"


def _collation_diff(mc: ModelColumn, pc: Column) -> tuple[str, str] | None:
    """Only a COLLATE the model declares counts (as a server default does); it is
    part of the type, so --fix rewrites the type."""
    if mc.collation is None:
        return None
    name, where = mc.collation
    model = (name, None if where == "pg_catalog" else where)
    if model == (pc.collation, pc.collation_schema):
        return None

    def shown(name: str | None, where: str | None) -> str:
        if name is None:
            return "the default collation"
        return f"COLLATE {quote_ident(where) + '.' if where else ''}{quote_ident(name)}"

    return (
        "type",
        f"type {pc.type.display} {shown(*model)} in the model, "
        f"{shown(pc.collation, pc.collation_schema)} in production",
    )


def _types_match(mc: ModelColumn, pc: Column, schema: Schema) -> bool:
    model = normalize_type(mc.type_sql)
    ref = pc.type
    suffix = "[]" if ref.array_dims else ""
    candidates = {normalize_type(ref.display)}
    if ref.kind in ("e", "d", "c", "r"):
        candidates |= {ref.name + suffix, f"{ref.schema}.{ref.name}{suffix}"}
    if ref.kind == "d":
        domain = schema.domain(ref.schema, ref.name)
        if domain is not None:  # a model may use the domain's base type
            candidates.add(normalize_type(domain.base.display) + suffix)
    return model in candidates


def _enum_diff(mc: ModelColumn, pc: Column, schema: Schema) -> tuple[str, str] | None:
    if not mc.enum_name or pc.type.kind != "e":
        return None
    enum = schema.enum(pc.type.schema, pc.type.name)
    if enum is None or tuple(mc.enum_labels) == enum.labels:
        return None
    missing = [v for v in enum.labels if v not in mc.enum_labels]
    extra = [v for v in mc.enum_labels if v not in enum.labels]
    detail = []
    if missing:
        detail.append(f"missing from the model: {', '.join(missing)}")
    if extra:
        detail.append(f"not in production: {', '.join(extra)}")
    if not detail:
        detail.append("same labels in a different order")
    return "enum", f"enum {pc.type.name} values differ ({'; '.join(detail)})"


def _nullable_diff(mc: ModelColumn, pc: Column) -> tuple[str, str] | None:
    if mc.nullable == pc.nullable:
        return None
    return (
        "nullable",
        f"{'nullable' if mc.nullable else 'NOT NULL'} in the model, "
        f"{'nullable' if pc.nullable else 'NOT NULL'} in production",
    )


def _default_diff(mc: ModelColumn, pc: Column) -> tuple[str, str] | None:
    """Only a server default the model declares; identity and generated columns have none."""
    if mc.server_default is None or pc.identity is not None or pc.generated is not None:
        return None
    if pc.default is None:
        return (
            "default",
            f"the model declares server default {mc.server_default}; production has none",
        )
    if not same_default(mc.server_default, pc.default):
        return (
            "default",
            f"server default {mc.server_default} in the model, {pc.default} in production",
        )
    return None


def _comment_diff(mc: ModelColumn, pc: Column) -> tuple[str, str] | None:
    if mc.comment is None or mc.comment == pc.comment:
        return None
    return (
        "comment",
        f"comment {mc.comment!r} in the model, {pc.comment!r} in production",
    )
