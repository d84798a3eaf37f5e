"""What `modelgen drift` reports: the two levels, Finding, DriftReport, and how tables and columns are named."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

from modelgen.catalog.schema import Column
from modelgen.drift.models import ModelSet

DRIFT = "drift"
INFO = "info"


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


def display_name(schema: str, name: str, default_schema: str) -> str:
    """``payments`` in the default schema, ``audit.events`` anywhere else."""
    return name if schema == default_schema else f"{schema}.{name}"


def describe_column(column: Column) -> str:
    """``character varying(255) NOT NULL DEFAULT 'x'``: a production column in one line."""
    text = column.type.display + ("" if column.nullable else " NOT NULL")
    if column.default is not None:
        text += f" DEFAULT {column.default}"
    return text
