"""Findings the user chose to accept: the ``.modelgen-ignore`` file, the config's ``[ignore_findings]``, and applying them."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from modelgen.config import Config
from modelgen.drift.findings import DriftReport, Finding, IgnoreRule
from modelgen.drift.models import ModelSet
from modelgen.errors import ConfigError

IGNORE_FILE = ".modelgen-ignore"


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
        if line and not line.startswith("#"):
            rules.append(_parse_rule(line, path, number))
    return rules


def _parse_rule(line: str, path: Path, number: int) -> IgnoreRule:
    pattern, sep, reason = line.partition(":")
    pattern, reason = pattern.strip(), reason.strip()
    if not pattern or any(ch.isspace() for ch in pattern):
        raise ConfigError(f"{path}:{number}: expected 'PATTERN: reason', got {line!r}")
    if not sep or not reason:
        raise ConfigError(
            f"{path}:{number}: '{pattern}' has no reason; write '{pattern}: why it is ignored'"
        )
    return IgnoreRule(pattern, reason, f"{path.name}:{number}")


def apply_rules(
    findings: Iterable[Finding],
    rules: tuple[IgnoreRule, ...],
    by_config: tuple[str, ...],
    models: ModelSet,
    production: str,
    production_tables: int,
) -> DriftReport:
    """The report: each finding kept, or ignored by the first rule matching it."""
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
