"""Production Schema vs the app's models: findings (drift or info), the ignore file, and reports.

A finding is ``drift`` (fails the run: exit 1) when production and the models
disagree on something the model states: a table, a column, its type, length,
nullability, a server default or comment the model declares, the primary key,
an index or constraint the model declares, enum labels.  It is ``info`` (shown,
never failing) when production has an index or constraint the model simply
does not mention: hand-written models rarely declare them all.  See
docs/drift.md for the reasoning behind every rule.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .config import Config
from .errors import ConfigError
from .models_import import (
    ModelColumn,
    ModelConstraint,
    ModelIndex,
    ModelSet,
    ModelTable,
)
from .schema import Column, Index, Schema, Table

SCHEMA_VERSION = 1
DRIFT = "drift"
INFO = "info"
IGNORE_FILE = ".modelgen-ignore"


@dataclass(frozen=True)
class Finding:
    level: str  # drift | info
    kind: str  # table-without-model, column-missing, type, index, ...
    table: str  # as displayed: "payments", or "audit.events" outside the default schema
    subject: str | None  # column, constraint or index name
    message: str
    path: Path | None = None  # where to look: the model file (or the config)
    line: int | None = None
    group: str | None = None  # table-without-model: its group in the config
    file: Path | None = None  # table-without-model: the file it would be written to
    schema: str = ""

    @property
    def key(self) -> str:
        return f"{self.table}.{self.subject}" if self.subject else self.table

    def keys(self) -> tuple[str, ...]:
        """The key, and the key with the table schema-qualified (both match ignore rules)."""
        qualified = (
            self.key
            if "." in self.table or not self.schema
            else f"{self.schema}.{self.key}"
        )
        return (self.key, qualified)


@dataclass(frozen=True)
class IgnoreRule:
    pattern: str
    reason: str
    source: str  # ".modelgen-ignore:3" or "modelgen.toml [ignore_findings]"

    def matches(self, finding: Finding) -> bool:
        for key in finding.keys():
            if fnmatch.fnmatchcase(key, self.pattern):
                return True
            if key.startswith(self.pattern + "."):
                return True
            # a table pattern (or glob) covers every finding on that table
            table = key[: -len(finding.subject) - 1] if finding.subject else key
            if fnmatch.fnmatchcase(table, self.pattern):
                return True
        return False


@dataclass(frozen=True)
class DriftReport:
    findings: tuple[Finding, ...]
    ignored: tuple[tuple[Finding, IgnoreRule], ...]
    unused_rules: tuple[IgnoreRule, ...]
    ignored_by_config: tuple[str, ...]
    models: ModelSet
    production: str
    production_tables: int

    @property
    def drift(self) -> list[Finding]:
        return [f for f in self.findings if f.level == DRIFT]

    @property
    def info(self) -> list[Finding]:
        return [f for f in self.findings if f.level == INFO]

    @property
    def without_model(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == "table-without-model"]

    @property
    def without_table(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == "model-without-table"]

    @property
    def exit_code(self) -> int:
        return 1 if self.drift else 0


# -- the ignore file --------------------------------------------------------------


def load_ignore_rules(config: Config) -> tuple[IgnoreRule, ...]:
    """``.modelgen-ignore`` beside the config, then the config's ``[ignore_findings]``."""
    rules: list[IgnoreRule] = []
    path = config.root / IGNORE_FILE
    if path.is_file():
        rules += parse_ignore_file(path)
    label = config.path.name if config.path else "config"
    for pattern, reason in config.ignore_findings.items():
        rules.append(IgnoreRule(pattern, reason, f"{label} [ignore_findings]"))
    return tuple(rules)


def parse_ignore_file(path: Path) -> list[IgnoreRule]:
    """``PATTERN: reason`` per line; ``#`` comments; a missing reason is an error naming the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ignore file: {exc}") from None
    rules: list[IgnoreRule] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pattern, sep, reason = line.partition(":")
        pattern, reason = pattern.strip(), reason.strip()
        if not pattern or any(ch.isspace() for ch in pattern):
            raise ConfigError(
                f"{path}:{number}: expected 'PATTERN: reason', got {line!r}"
            )
        if not sep or not reason:
            raise ConfigError(
                f"{path}:{number}: '{pattern}' has no reason; write '{pattern}: why it is ignored'"
            )
        rules.append(IgnoreRule(pattern, reason, f"{path.name}:{number}"))
    return rules


# -- normalising SQL text ------------------------------------------------------------

_LITERAL = re.compile(r"'(?:[^']|'')*'")
_CAST = re.compile(
    r"::\s*(?:\"[^\"]*\"|\w+)(?:\.(?:\"[^\"]*\"|\w+))?"
    r"(?:\s+(?:varying|precision|without\s+time\s+zone|with\s+time\s+zone))?"
    r"(?:\s*\(\s*\d+(?:\s*,\s*\d+)?\s*\))?(?:\s*\[\s*\])*",
    re.IGNORECASE,
)
_SYNONYMS = {"current_timestamp": "now", "localtimestamp": "now"}


def normalize_expr(text: str | None) -> str:
    """SQL text compared loosely: casts, parentheses, spaces and keyword case do not count.

    ``(status)::text = ANY (ARRAY['a'::text, 'b'::text])`` and ``status IN ('a', 'b')``
    both become ``statusin'a','b'``; string literals keep their case.
    """
    if text is None:
        return ""
    out: list[str] = []
    pos = 0
    for match in _LITERAL.finditer(text):
        out.append(_normalize_code(text[pos : match.start()]))
        out.append(match.group(0))
        pos = match.end()
    out.append(_normalize_code(text[pos:]))
    joined = "".join(out)
    joined = re.sub(r"=anyarray\[(.*?)\]", r"in\1", joined)
    joined = re.sub(r"<>allarray\[(.*?)\]", r"notin\1", joined)
    return joined


def _normalize_code(code: str) -> str:
    code = _CAST.sub("", code).lower()
    for word, canonical in _SYNONYMS.items():
        code = re.sub(rf"\b{word}\b", canonical, code)
    return re.sub(r"[\s()]", "", code)


_TYPE_ALIASES = {
    "varchar": "character varying",
    "char": "character",
    "bpchar": "character",
    "int": "integer",
    "int4": "integer",
    "int2": "smallint",
    "int8": "bigint",
    "float4": "real",
    "float8": "double precision",
    "double": "double precision",
    "decimal": "numeric",
    "bool": "boolean",
    "timestamptz": "timestamp with time zone",
    "timetz": "time with time zone",
    "varbit": "bit varying",
}


def normalize_type(text: str | None) -> str:
    """``VARCHAR(255)`` and ``character varying(255)``, ``FLOAT`` and ``double precision``
    (a FLOAT without precision is double precision), ``TIMESTAMP`` and ``timestamp
    without time zone`` come out the same; arrays keep one ``[]`` (PostgreSQL does
    not record dimensions)."""
    if not text:
        return ""
    value = text.strip()
    if '"' not in value:
        value = value.lower()
    value = re.sub(r"\s+", " ", value)
    value = re.sub(r"\s*\(\s*", "(", value)
    value = re.sub(r"\s*,\s*", ",", value)
    value = re.sub(r"\s*\)", ")", value)
    array = "[]" in value or value.endswith(" array")
    value = value.replace("[]", "").removesuffix(" array").strip()
    match = re.fullmatch(
        r"([a-z_][a-z0-9_ ]*[a-z0-9_]|[a-z_])(\([0-9,]+\))?(.*)", value
    )
    if match:
        base, mods, rest = match.group(1), match.group(2) or "", match.group(3) or ""
        base = _TYPE_ALIASES.get(base, base)
        if base == "float":
            precision = int(mods[1:-1]) if mods[1:-1].isdigit() else 53
            base, mods = ("real" if precision <= 24 else "double precision"), ""
        if base == "character" and not mods:
            mods = "(1)"
        if base in ("timestamp", "time") and not rest:
            rest = " without time zone"
        value = f"{base}{mods}{rest}"
    return value + ("[]" if array else "")


# -- comparing ---------------------------------------------------------------------


def display_name(schema: str, name: str, default_schema: str) -> str:
    return name if schema == default_schema else f"{schema}.{name}"


def compute_drift(
    schema: Schema,
    config: Config,
    models: ModelSet,
    rules: Iterable[IgnoreRule] = (),
    production: str = "production",
) -> DriftReport:
    """Every finding between production and the models, with the ignore rules applied."""
    default = schema.default_schema
    ignored_tables = set(config.ignore)
    by_key: dict[tuple[str, str], list[ModelTable]] = {}
    for model in models.tables:
        by_key.setdefault((model.schema or default, model.name), []).append(model)
    findings: list[Finding] = []
    without_model: list[Finding] = []
    by_config: list[str] = []
    specs = {}
    for spec in config.files:
        for name in spec.tables:
            specs[name] = spec
    compared_columns = any(m.columns is not None for m in models.tables)
    for table in sorted(schema.tables, key=lambda t: t.key):
        label = display_name(table.schema, table.name, default)
        if (
            table.name in ignored_tables
            or f"{table.schema}.{table.name}" in ignored_tables
        ):
            by_config.append(label)
            continue
        found = by_key.get(table.key, [])
        if not found:
            without_model.append(_without_model(table, label, specs, config))
            continue
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
    # in the config's order: group, then file, then table; unassigned last
    position: dict[tuple[str | None, str], int] = {
        (s.group, s.filename): i for i, s in enumerate(config.files)
    }
    without_model.sort(
        key=lambda f: (
            position.get((f.group, f.file.name if f.file else ""), len(position)),
            f.table,
        )
    )
    findings = without_model + findings
    production_keys = {t.key for t in schema.tables}
    others = {(r.schema, r.name): r.kind for r in schema.others}
    read = set(config.schemas)
    for key, found in sorted(by_key.items()):
        if key in production_keys:
            continue
        label = display_name(key[0], key[1], default)
        if key[1] in ignored_tables or f"{key[0]}.{key[1]}" in ignored_tables:
            continue
        model = found[0]
        if key in others:
            findings.append(
                Finding(
                    INFO,
                    "not-compared",
                    label,
                    None,
                    f"{_where(model)} maps {label}, a {others[key]} in production; not compared",
                    model.path,
                    model.line,
                    schema=key[0],
                )
            )
        elif read and key[0] not in read:
            findings.append(
                Finding(
                    INFO,
                    "not-compared",
                    label,
                    None,
                    f"{_where(model)} maps {label}, in schema {key[0]} which the config does not read",
                    model.path,
                    model.line,
                    schema=key[0],
                )
            )
        else:
            findings.append(
                Finding(
                    DRIFT,
                    "model-without-table",
                    label,
                    None,
                    f"{_where(model)} maps table {label}, which production does not have",
                    model.path,
                    model.line,
                    schema=key[0],
                )
            )
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
    return apply_rules(
        findings, tuple(rules), tuple(by_config), models, production, len(schema.tables)
    )


def apply_rules(
    findings: list[Finding],
    rules: tuple[IgnoreRule, ...],
    by_config: tuple[str, ...],
    models: ModelSet,
    production: str,
    production_tables: int,
) -> DriftReport:
    kept: list[Finding] = []
    ignored: list[tuple[Finding, IgnoreRule]] = []
    used: set[int] = set()
    for finding in findings:
        rule = next((r for r in rules if finding.table and r.matches(finding)), None)
        if rule is None:
            kept.append(finding)
        else:
            used.add(id(rule))
            ignored.append((finding, rule))
    unused = tuple(r for r in rules if id(r) not in used)
    return DriftReport(
        tuple(kept),
        tuple(ignored),
        unused,
        by_config,
        models,
        production,
        production_tables,
    )


def _where(model: ModelTable) -> str:
    place = str(model.path) if model.path else "?"
    if model.line:
        place += f":{model.line}"
    return f"{model.class_name or 'table'} ({place})"


def _without_model(table: Table, label: str, specs: dict, config: Config) -> Finding:  # type: ignore[type-arg]
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
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    needle = re.compile(rf"""["']{re.escape(table)}["']""")
    for number, line in enumerate(lines, start=1):
        if "=" in line and needle.search(line.split("=", 1)[1]):
            return number
    return None


def compare_table(
    prod: Table, model: ModelTable, schema: Schema, label: str
) -> list[Finding]:
    """Findings for one table that has a model (whose columns are known)."""
    out: list[Finding] = []

    def add(
        level: str,
        kind: str,
        subject: str | None,
        message: str,
        line: int | None = None,
    ) -> None:
        out.append(
            Finding(
                level,
                kind,
                label,
                subject,
                message,
                model.path,
                line or model.line,
                schema=prod.schema,
            )
        )

    written = "generated" if model.generated else "hand-written"
    model_columns = {c.name: c for c in model.columns or ()}
    prod_columns = {c.name: c for c in prod.columns}
    for column in prod.columns:
        if column.name not in model_columns:
            add(
                DRIFT,
                "column-missing",
                column.name,
                f"column {column.name} ({_describe(column)}) is in production but missing from the {written} model",
            )
    for mc in model.columns or ():
        pc = prod_columns.get(mc.name)
        if pc is None:
            add(
                DRIFT,
                "column-extra",
                mc.name,
                f"column {mc.name} ({mc.type_sql or '?'}) is in the {written} model but not in production",
                mc.line,
            )
            continue
        for kind, message in compare_column(mc, pc, schema):
            add(DRIFT, kind, mc.name, f"column {mc.name}: {message}", mc.line)
    if model.comment is not None and model.comment != prod.comment:
        add(
            DRIFT,
            "comment",
            None,
            f"table comment: model {model.comment!r}, production {prod.comment!r}",
        )
    for level, kind, subject, message in compare_keys(
        prod, model, schema.default_schema
    ):
        line = model_columns[subject].line if subject in model_columns else None
        add(level, kind, subject, message, line)
    return out


def _describe(column: Column) -> str:
    text = column.type.display + ("" if column.nullable else " NOT NULL")
    if column.default is not None:
        text += f" DEFAULT {column.default}"
    return text


def compare_column(
    mc: ModelColumn, pc: Column, schema: Schema
) -> list[tuple[str, str]]:
    diffs: list[tuple[str, str]] = []
    if mc.type_sql is not None and not _types_match(mc, pc, schema):
        model_base = normalize_type(mc.type_sql).split("(")[0]
        prod_base = normalize_type(pc.type.display).split("(")[0]
        kind = "length" if model_base == prod_base else "type"
        diffs.append(
            (
                kind,
                f"{kind} {mc.type_sql} in the model, {pc.type.display} in production",
            )
        )
    if mc.enum_name and pc.type.kind == "e":
        enum = schema.enum(pc.type.schema, pc.type.name)
        if enum is not None and tuple(mc.enum_labels) != enum.labels:
            missing = [v for v in enum.labels if v not in mc.enum_labels]
            extra = [v for v in mc.enum_labels if v not in enum.labels]
            detail = []
            if missing:
                detail.append(f"missing from the model: {', '.join(missing)}")
            if extra:
                detail.append(f"not in production: {', '.join(extra)}")
            if not detail:
                detail.append("same labels in a different order")
            diffs.append(
                ("enum", f"enum {pc.type.name} values differ ({'; '.join(detail)})")
            )
    if mc.nullable != pc.nullable:
        diffs.append(
            (
                "nullable",
                f"{'nullable' if mc.nullable else 'NOT NULL'} in the model, "
                f"{'nullable' if pc.nullable else 'NOT NULL'} in production",
            )
        )
    if mc.server_default is not None and pc.identity is None and pc.generated is None:
        if pc.default is None:
            diffs.append(
                (
                    "default",
                    f"the model declares server default {mc.server_default}; production has none",
                )
            )
        elif normalize_expr(mc.server_default) != normalize_expr(pc.default):
            diffs.append(
                (
                    "default",
                    f"server default {mc.server_default} in the model, {pc.default} in production",
                )
            )
    if mc.comment is not None and mc.comment != pc.comment:
        diffs.append(
            (
                "comment",
                f"comment {mc.comment!r} in the model, {pc.comment!r} in production",
            )
        )
    return diffs


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


_KIND_NAMES = {
    "u": "unique constraint",
    "c": "check constraint",
    "f": "foreign key",
    "x": "exclusion constraint",
}


def compare_keys(
    prod: Table, model: ModelTable, default_schema: str
) -> list[tuple[str, str, str | None, str]]:
    """(level, kind, subject, message) for primary key, constraints and indexes."""
    out: list[tuple[str, str, str | None, str]] = []
    out += _compare_primary_key(prod, model)
    matched: set[str] = set()  # production constraint/index names accounted for
    constraints = [c for c in model.constraints if c.kind != "p"]
    prod_indexes = _all_indexes(prod)
    for mc in constraints:
        if mc.kind == "u":
            out += _match_unique(mc, prod, prod_indexes, matched)
        elif mc.kind == "c":
            out += _match_check(mc, prod, matched)
        elif mc.kind == "f":
            out += _match_fk(mc, prod, matched, model.schema or default_schema)
        elif mc.kind == "x":
            if mc.name and any(x.name == mc.name for x in prod.excludes):
                matched.add(mc.name)
            elif mc.name:
                out.append(
                    (
                        DRIFT,
                        "exclusion",
                        mc.name,
                        f"exclusion constraint {mc.name} is declared by the model but missing in production",
                    )
                )
    for mi in model.indexes:
        out += _match_index(mi, prod_indexes, matched)
    for kind, attr in (
        ("unique", "uniques"),
        ("check", "checks"),
        ("foreign-key", "foreign_keys"),
        ("exclusion", "excludes"),
    ):
        for item in getattr(prod, attr):
            if item.name not in matched:
                what = {
                    "unique": "unique constraint",
                    "check": "check constraint",
                    "foreign-key": "foreign key",
                    "exclusion": "exclusion constraint",
                }[kind]
                out.append(
                    (
                        INFO,
                        kind,
                        item.name,
                        f"production {what} {item.name} ({item.definition}) is not declared in the model",
                    )
                )
    for index in prod.indexes:
        if index.name not in matched:
            out.append(
                (
                    INFO,
                    "index",
                    index.name,
                    f"production index {index.name} ({_index_text(index)}) is not declared in the model",
                )
            )
    return out


def _compare_primary_key(
    prod: Table, model: ModelTable
) -> list[tuple[str, str, str | None, str]]:
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


def _match_unique(
    mc: ModelConstraint, prod: Table, indexes: list[Index], matched: set[str]
) -> list[tuple[str, str, str | None, str]]:
    cols = ", ".join(mc.columns)
    if mc.name:
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
    for unique in prod.uniques:
        if unique.name not in matched and set(unique.columns) == set(mc.columns):
            matched.add(unique.name)
            return []
    for index in indexes:
        plain = _plain_columns(index)
        if (
            index.unique
            and index.name not in matched
            and plain
            and set(plain) == set(mc.columns)
        ):
            matched.add(index.name)
            return []
    return [
        (
            DRIFT,
            "unique",
            mc.columns[0] if len(mc.columns) == 1 else None,
            f"a unique constraint on ({cols}) is declared by the model but missing in production",
        )
    ]


def _match_check(
    mc: ModelConstraint, prod: Table, matched: set[str]
) -> list[tuple[str, str, str | None, str]]:
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


def _fk_text(
    columns: Iterable[str], table: str | None, ref_columns: Iterable[str]
) -> str:
    return f"({', '.join(columns)}) -> {table}({', '.join(ref_columns)})"


def _action(value: str | None) -> str | None:
    value = (value or "").upper().strip()
    return None if value in ("", "NO ACTION") else value


def _match_fk(
    mc: ModelConstraint, prod: Table, matched: set[str], model_schema: str
) -> list[tuple[str, str, str | None, str]]:
    text = _fk_text(mc.columns, mc.ref_table, mc.ref_columns)
    subject = mc.name or (mc.columns[0] if len(mc.columns) == 1 else None)
    if mc.name:
        fk = next((f for f in prod.foreign_keys if f.name == mc.name), None)
    else:
        fk = next(
            (
                f
                for f in prod.foreign_keys
                if f.name not in matched and tuple(f.columns) == tuple(mc.columns)
            ),
            None,
        )
    if fk is None:
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
    problems = []
    if tuple(fk.columns) != tuple(mc.columns):
        problems.append(
            f"columns ({', '.join(mc.columns)}) vs ({', '.join(fk.columns)})"
        )
    ref_schema = mc.ref_schema or model_schema
    if (ref_schema, mc.ref_table) != (fk.ref_schema, fk.ref_table) or tuple(
        mc.ref_columns
    ) != tuple(fk.ref_columns):
        problems.append(
            f"references {mc.ref_table}({', '.join(mc.ref_columns)}) vs "
            f"{fk.ref_table}({', '.join(fk.ref_columns)})"
        )
    if _action(mc.on_delete) != _action(fk.on_delete):
        problems.append(
            f"ON DELETE {_action(mc.on_delete) or 'NO ACTION'} vs {_action(fk.on_delete) or 'NO ACTION'}"
        )
    if _action(mc.on_update) != _action(fk.on_update):
        problems.append(
            f"ON UPDATE {_action(mc.on_update) or 'NO ACTION'} vs {_action(fk.on_update) or 'NO ACTION'}"
        )
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
) -> list[tuple[str, str, str | None, str]]:
    elements = tuple(e if e.isidentifier() else normalize_expr(e) for e in mi.elements)
    shown = ", ".join(mi.elements)
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
                f"{what} on ({shown}) is declared by the model but missing in production",
            )
        ]
    matched.add(index.name)
    problems = []
    if _index_elements(index) != elements:
        problems.append(
            f"on ({shown}) vs ({', '.join(e.column or e.expression or '' for e in index.elements)})"
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


# -- snapshot diff ------------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotDiff:
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: dict[str, tuple[str, ...]] = field(
        default_factory=dict
    )  # table -> changes
    enums: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.enums)


def diff_schemas(old: Schema, new: Schema) -> SnapshotDiff:
    """What changed in production between two snapshots (compare.compare_tables per table)."""
    from .compare import compare_tables

    default = new.default_schema
    old_tables = {t.key: t for t in old.tables}
    new_tables = {t.key: t for t in new.tables}
    added = tuple(
        display_name(*k, default) for k in sorted(set(new_tables) - set(old_tables))
    )
    removed = tuple(
        display_name(*k, default) for k in sorted(set(old_tables) - set(new_tables))
    )
    changed: dict[str, tuple[str, ...]] = {}
    for key in sorted(set(old_tables) & set(new_tables)):
        before, after = old_tables[key], new_tables[key]
        lines: list[str] = []
        old_names = [c.name for c in before.columns]
        new_names = [c.name for c in after.columns]
        lines += [
            f"column added: {c.name} ({_describe(c)})"
            for c in after.columns
            if c.name not in old_names
        ]
        lines += [
            f"column removed: {c.name} ({_describe(c)})"
            for c in before.columns
            if c.name not in new_names
        ]
        for line in compare_tables(before, after):
            if line.startswith("columns "):
                if set(old_names) == set(new_names):
                    lines.append("column order changed")
                continue
            line = re.sub(r": missing \(", ": removed (", line)
            line = re.sub(r": extra \(", ": added (", line)
            lines.append(line.replace(" != ", " -> "))
        if lines:
            changed[display_name(*key, default)] = tuple(lines)
    enums: list[str] = []
    old_enums = {(e.schema, e.name): e for e in old.enums}
    new_enums = {(e.schema, e.name): e for e in new.enums}
    for key in sorted(set(old_enums) | set(new_enums)):
        name = display_name(*key, default)
        if key not in old_enums:
            enums.append(f"enum added: {name} {list(new_enums[key].labels)}")
        elif key not in new_enums:
            enums.append(f"enum removed: {name}")
        elif old_enums[key].labels != new_enums[key].labels:
            enums.append(
                f"enum {name}: {list(old_enums[key].labels)} -> {list(new_enums[key].labels)}"
            )
    return SnapshotDiff(added, removed, changed, tuple(enums))


# -- reports -------------------------------------------------------------------------------

FORMATS = ("text", "json", "markdown", "github")


def _rel(path: Path | None, cwd: Path) -> str:
    if path is None:
        return ""
    if not path.is_absolute():
        return path.as_posix()
    try:
        return path.resolve().relative_to(cwd.resolve()).as_posix()
    except ValueError:
        return str(path)


def _place(finding: Finding, cwd: Path) -> str:
    place = _rel(finding.path, cwd)
    if place and finding.line:
        place += f":{finding.line}"
    return place


def summary_line(report: DriftReport) -> str:
    parts = [
        f"{len(report.without_model)} table(s) without a model",
        f"{len(report.without_table)} model(s) without a table",
        f"{len(report.drift) - len(report.without_model) - len(report.without_table)} other drift finding(s)",
        f"{len(report.info)} info",
        f"{len(report.ignored)} ignored",
    ]
    if report.ignored_by_config:
        parts.append(f"not modelled by config: {', '.join(report.ignored_by_config)}")
    verdict = "drift" if report.drift else "no drift"
    return f"{verdict}: " + "; ".join(parts)


def render_text(report: DriftReport, cwd: Path, color: bool = False) -> str:
    def style(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color else text

    lines = [
        f"production: {report.production} ({report.production_tables} tables)",
        f"models: {report.models.detail} ({len(report.models.tables)} tables)",
    ]
    missing = report.without_model
    if missing:
        lines += ["", style(f"Tables without a model ({len(missing)}):", "1")]
        for group, items in _by_group(missing):
            lines.append(
                f"  {'group ' + group if group else 'unassigned (in no group of the config)'}:"
            )
            for item in items:
                target = f" -> {_rel(item.file, cwd)}" if item.file else ""
                lines.append(f"    {item.table}{target}")
    sections = (
        ("Models without a table", report.without_table, "31"),
        (
            "Drift",
            [
                f
                for f in report.drift
                if f.kind not in ("table-without-model", "model-without-table")
            ],
            "31",
        ),
        ("Info (not failing)", report.info, "2"),
    )
    for title, items, code in sections:
        if not items:
            continue
        lines += ["", style(f"{title} ({len(items)}):", "1")]
        for item in items:
            place = _place(item, cwd)
            prefix = f"{place}: " if place else ""
            lines.append(
                "  "
                + style(
                    f"{prefix}{item.key + ': ' if item.table else ''}{item.message}",
                    code,
                )
            )
    if report.ignored:
        lines += ["", style(f"Ignored ({len(report.ignored)}):", "1")]
        for item, rule in report.ignored:
            lines.append(
                f"  {item.key}: {item.message} [ignored by {rule.source}: {rule.reason}]"
            )
    if report.unused_rules:
        lines += [
            "",
            f"Ignore entries that matched nothing ({len(report.unused_rules)}):",
        ]
        lines += [f"  {r.source}: {r.pattern}" for r in report.unused_rules]
    verdict = summary_line(report)
    lines += ["", style(verdict, "31;1" if report.drift else "32;1")]
    return "\n".join(lines) + "\n"


def _by_group(items: list[Finding]) -> list[tuple[str | None, list[Finding]]]:
    groups: dict[str | None, list[Finding]] = {}
    for item in items:
        groups.setdefault(item.group, []).append(item)
    ordered: list[tuple[str | None, list[Finding]]] = [
        (g, v) for g, v in groups.items() if g is not None
    ]
    if None in groups:
        ordered.append((None, groups[None]))
    return ordered


def _finding_json(finding: Finding, cwd: Path) -> dict[str, object]:
    return {
        "level": finding.level,
        "kind": finding.kind,
        "key": finding.key,
        "table": finding.table,
        "subject": finding.subject,
        "message": finding.message,
        "file": _rel(finding.path, cwd) or None,
        "line": finding.line,
    }


def render_json(report: DriftReport, cwd: Path) -> str:
    import json

    payload = {
        "schema_version": SCHEMA_VERSION,
        "drift": bool(report.drift),
        "production": {"source": report.production, "tables": report.production_tables},
        "models": {
            "method": report.models.method,
            "detail": report.models.detail,
            "tables": len(report.models.tables),
        },
        "summary": {
            "tables_without_model": len(report.without_model),
            "models_without_table": len(report.without_table),
            "drift": len(report.drift),
            "info": len(report.info),
            "ignored": len(report.ignored),
            "not_modelled_by_config": list(report.ignored_by_config),
        },
        "tables_without_model": [
            {"table": f.table, "group": f.group, "file": _rel(f.file, cwd) or None}
            for f in report.without_model
        ],
        "models_without_table": [_finding_json(f, cwd) for f in report.without_table],
        "findings": [_finding_json(f, cwd) for f in report.findings],
        "ignored": [
            {
                **_finding_json(f, cwd),
                "reason": r.reason,
                "rule": r.pattern,
                "source": r.source,
            }
            for f, r in report.ignored
        ],
        "unused_ignores": [
            {"rule": r.pattern, "source": r.source} for r in report.unused_rules
        ],
    }
    return json.dumps(payload, indent=2, sort_keys=False) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: DriftReport, cwd: Path) -> str:
    icon = "❌" if report.drift else "✅"
    lines = [
        f"### {icon} modelgen drift: {'drift found' if report.drift else 'models match production'}",
        "",
        "| | count |",
        "|---|---:|",
        f"| tables without a model | {len(report.without_model)} |",
        f"| models without a table | {len(report.without_table)} |",
        f"| drift findings (all) | {len(report.drift)} |",
        f"| info (not failing) | {len(report.info)} |",
        f"| ignored (with reasons) | {len(report.ignored)} |",
    ]
    if report.without_model:
        lines += [
            "",
            "#### Tables without a model",
            "",
            "| table | group | file |",
            "|---|---|---|",
        ]
        for f in report.without_model:
            lines.append(
                f"| `{f.table}` | {f.group or '_unassigned_'} | {('`' + _rel(f.file, cwd) + '`') if f.file else ''} |"
            )
    others = [f for f in report.drift if f.kind != "table-without-model"]
    if others:
        lines += ["", "#### Drift", "", "| where | finding |", "|---|---|"]
        for f in others:
            lines.append(f"| `{_md(_place(f, cwd))}` | {_md(f.message)} |")
    if report.info:
        lines += [
            "",
            f"<details><summary>Info: {len(report.info)} (not failing)</summary>",
            "",
        ]
        lines += [f"- {_md(f.message)}" for f in report.info]
        lines += ["", "</details>"]
    if report.ignored:
        lines += ["", f"<details><summary>Ignored: {len(report.ignored)}</summary>", ""]
        lines += [
            f"- `{f.key}`: {_md(f.message)} (reason: {_md(r.reason)}, {r.source})"
            for f, r in report.ignored
        ]
        lines += ["", "</details>"]
    lines += [
        "",
        f"<sub>production: {_md(report.production)}; models: {_md(report.models.detail)}</sub>",
    ]
    return "\n".join(lines) + "\n"


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: DriftReport, cwd: Path) -> str:
    """GitHub Actions workflow commands: one annotation per finding, at the model file and line."""
    lines = []
    for finding in report.findings:
        if finding.level == INFO and not finding.table:
            command = "warning"
        else:
            command = "error" if finding.level == DRIFT else "notice"
        props = []
        if finding.path is not None:
            props.append(f"file={_gh_prop(_rel(finding.path, cwd))}")
            if finding.line:
                props.append(f"line={finding.line}")
        props.append(f"title={_gh_prop('modelgen drift: ' + finding.kind)}")
        text = f"{finding.key}: {finding.message}" if finding.table else finding.message
        lines.append(f"::{command} {','.join(props)}::{_gh_data(text)}")
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def render_report(report: DriftReport, fmt: str, cwd: Path, color: bool = False) -> str:
    if fmt == "json":
        return render_json(report, cwd)
    if fmt == "markdown":
        return render_markdown(report, cwd)
    if fmt == "github":
        return render_github(report, cwd)
    return render_text(report, cwd, color)


def render_snapshot_diff(diff: SnapshotDiff, fmt: str, old: str, new: str) -> str:
    if fmt == "json":
        import json

        payload = {
            "schema_version": SCHEMA_VERSION,
            "old": old,
            "new": new,
            "changed": not diff.empty,
            "tables_added": list(diff.added),
            "tables_removed": list(diff.removed),
            "tables_changed": {k: list(v) for k, v in diff.changed.items()},
            "enums": list(diff.enums),
        }
        return json.dumps(payload, indent=2) + "\n"
    md = fmt == "markdown"
    lines = [f"### production changes: {old} -> {new}" if md else f"{old} -> {new}"]
    if diff.empty:
        lines.append("no changes")
        return "\n".join(lines) + "\n"
    bullet = "- " if md else "  "
    for title, items in (
        ("Tables added", diff.added),
        ("Tables removed", diff.removed),
        ("Enums", diff.enums),
    ):
        if items:
            lines += [
                "",
                f"#### {title} ({len(items)})" if md else f"{title} ({len(items)}):",
            ]
            lines += [
                f"{bullet}{'`' + i + '`' if md and not title.startswith('Enums') else i}"
                for i in items
            ]
    if diff.changed:
        lines += [
            "",
            (
                f"#### Tables changed ({len(diff.changed)})"
                if md
                else f"Tables changed ({len(diff.changed)}):"
            ),
        ]
        for table, changes in diff.changed.items():
            lines.append(f"{bullet}{'`' + table + '`' if md else table}:")
            lines += [f"{'  - ' if md else '    '}{c}" for c in changes]
    return "\n".join(lines) + "\n"
