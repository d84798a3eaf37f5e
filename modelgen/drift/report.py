"""A DriftReport as text, json, markdown (a PR comment) or GitHub Actions annotations."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from modelgen.drift.findings import DRIFT, INFO, DriftReport, Finding

SCHEMA_VERSION = 1  # of the json outputs (drift and snapshot diff)

_Style = Callable[[str, str], str]  # (text, ANSI code) -> text, coloured or not


def render_report(
    report: DriftReport,
    fmt: str,
    cwd: Path,
    color: bool = False,
    diagram: list[str] | None = None,
) -> str:
    """``diagram``: markdown only, the lines of the drifted tables' diagram."""
    if fmt == "json":
        return render_json(report, cwd)
    if fmt == "markdown":
        return render_markdown(report, cwd, diagram)
    if fmt == "github":
        return render_github(report, cwd)
    return render_text(report, cwd, color)


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


def other_drift(report: DriftReport) -> list[Finding]:
    """The drift findings that are not a table or a model on one side only: with
    those two lists, a partition of ``report.drift`` (every count adds up)."""
    return [
        f
        for f in report.drift
        if f.kind not in ("table-without-model", "model-without-table")
    ]


def summary_line(report: DriftReport) -> str:
    parts = [
        f"{len(report.without_model)} table(s) without a model",
        f"{len(report.without_table)} model(s) without a table",
        f"{len(other_drift(report))} other drift finding(s)",
        f"{len(report.info)} info",
        f"{len(report.ignored)} ignored",
    ]
    if report.ignored_by_config:
        parts.append(f"not modelled by config: {', '.join(report.ignored_by_config)}")
    verdict = "drift" if report.drift else "no drift"
    return f"{verdict}: " + "; ".join(parts)


# -- text -----------------------------------------------------------------------------


def render_text(report: DriftReport, cwd: Path, color: bool = False) -> str:
    def style(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color else text

    lines = [
        f"production: {report.production} ({report.production_tables} tables)",
        f"models: {report.models.detail} ({len(report.models.tables)} tables)",
    ]
    lines += _text_without_model(report, cwd, style)
    lines += _text_sections(report, cwd, style)
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


def _text_without_model(report: DriftReport, cwd: Path, style: _Style) -> list[str]:
    missing = report.without_model
    if not missing:
        return []
    lines = ["", style(f"Tables without a model ({len(missing)}):", "1")]
    for group, items in _by_group(missing):
        lines.append(
            f"  {'group ' + group if group else 'unassigned (in no group of the config)'}:"
        )
        for item in items:
            target = f" -> {_rel(item.file, cwd)}" if item.file else ""
            lines.append(f"    {item.table}{target}")
    return lines


def _text_sections(report: DriftReport, cwd: Path, style: _Style) -> list[str]:
    """Models without a table, the other drift, then info: one line per finding."""
    sections = (
        ("Models without a table", report.without_table, "31"),
        ("Drift", other_drift(report), "31"),
        ("Info (not failing)", report.info, "2"),
    )
    lines: list[str] = []
    for title, items, code in sections:
        if not items:
            continue
        lines += ["", style(f"{title} ({len(items)}):", "1")]
        for item in items:
            place = _place(item, cwd)
            prefix = f"{place}: " if place else ""
            text = f"{prefix}{item.key + ': ' if item.table else ''}{item.message}"
            lines.append("  " + style(text, code))
    return lines


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


# -- json -----------------------------------------------------------------------------


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


# -- markdown -------------------------------------------------------------------------


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(
    report: DriftReport, cwd: Path, diagram: list[str] | None = None
) -> str:
    icon = "❌" if report.drift else "✅"
    verdict = (
        f"drift found ({len(report.drift)} finding(s))"
        if report.drift
        else "models match production"
    )
    # one row per section below, each the number of lines that section lists
    lines = [
        f"### {icon} modelgen drift: {verdict}",
        "",
        "| | count |",
        "|---|---:|",
        f"| tables without a model | {len(report.without_model)} |",
        f"| models without a table | {len(report.without_table)} |",
        f"| other drift findings | {len(other_drift(report))} |",
        f"| info (not failing) | {len(report.info)} |",
        f"| ignored (with reasons) | {len(report.ignored)} |",
    ]
    lines += _markdown_tables(report, cwd)
    if diagram:  # folded: a PR comment's reader opens it when the table is not enough
        lines += _details(
            "Diagram: the tables with drift, and their neighbours", diagram
        )
    if report.info:
        lines += _details(
            f"Info: {len(report.info)} (not failing)",
            [f"- {_md(f.message)}" for f in report.info],
        )
    if report.ignored:
        lines += _details(
            f"Ignored: {len(report.ignored)}",
            [
                f"- `{f.key}`: {_md(f.message)} (reason: {_md(r.reason)}, {r.source})"
                for f, r in report.ignored
            ],
        )
    lines += [
        "",
        f"<sub>production: {_md(report.production)}; models: {_md(report.models.detail)}</sub>",
    ]
    return "\n".join(lines) + "\n"


def _markdown_tables(report: DriftReport, cwd: Path) -> list[str]:
    """The tables without a model (with group and file), the models without a
    table, then the other drift findings: the summary's first three rows."""
    lines: list[str] = []
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
    for title, items in (
        ("Models without a table", report.without_table),
        ("Drift", other_drift(report)),
    ):
        if not items:
            continue
        lines += ["", f"#### {title}", "", "| key | where | finding |", "|---|---|---|"]
        for f in items:  # the key (table.column) as in the text and json reports
            key = f"`{_md(f.key)}`" if f.key else ""
            lines.append(f"| {key} | `{_md(_place(f, cwd))}` | {_md(f.message)} |")
    return lines


def _details(summary: str, items: list[str]) -> list[str]:
    return ["", f"<details><summary>{summary}</summary>", "", *items, "", "</details>"]


# -- github ---------------------------------------------------------------------------


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
