"""``modelgen drift --fix`` / ``--diff``: print, write, and the exit code.

--diff: the patch (text), or the report with the patch folded in a
``<details>`` block (markdown) or under ``"fix"`` (json); exit 1 when there is
something to fix.  --fix: writes every file or none, then says what it fixed,
what it held back and what is left; exit 0 only when no drift is left.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from modelgen.catalog.schema import Schema
from modelgen.drift.findings import DriftReport
from modelgen.drift.report import render_report
from modelgen.source.fix import (
    FixResult,
    check_models_readable,
    plan_fixes,
    write_fixes,
)


def run_fix(
    report: DriftReport,
    schema: Schema,
    folders: list[Path],
    fmt: str,
    options: tuple[bool, bool, bool],
) -> int:
    """Plan every fix, then show it (--diff) or write it (--fix); the exit code.
    ``options``: (diff only, unsafe fixes too, quiet)."""
    diff_only, unsafe, quiet = options
    check_models_readable(report, folders)
    result = plan_fixes(report, schema, unsafe)
    cwd = Path.cwd()
    patch = result.diff(cwd)
    if diff_only:
        sys.stdout.write(_diff_output(report, result, fmt, patch, cwd))
        _lines(fix_summary(result, applied=False), quiet)
        return 1 if patch else 0
    written = write_fixes(result)
    for path in written:
        label = path.relative_to(cwd) if path.is_relative_to(cwd) else path
        fixed = next(f for f in result.files if f.path == path).fixed
        keys = dict.fromkeys(f.key for f in fixed)  # a column can have two findings
        if not quiet:  # what was done; the summary below says what is left
            typer.echo(f"fixed {label}: {', '.join(keys)}")
    for line in fix_summary(result, applied=True):
        typer.echo(line)
    return 1 if result.remaining else 0


def _lines(lines: list[str], quiet: bool) -> None:
    if not quiet:
        for line in lines:
            typer.echo(line, err=True)


def _diff_output(
    report: DriftReport, result: FixResult, fmt: str, patch: str, cwd: Path
) -> str:
    if fmt == "markdown":
        text = render_report(report, "markdown", cwd)
        if not patch:
            return text
        fence = "~~~~" if "```" in patch else "```"
        return (
            f"{text}\n<details><summary>drift --fix would apply this patch "
            f"({len(result.changed)} file(s))</summary>\n\n{fence}diff\n{patch}{fence}\n\n</details>\n"
        )
    if fmt == "json":
        data = json.loads(render_report(report, "json", cwd))
        data["fix"] = {"diff": patch, "summary": fix_summary(result, applied=False)}
        return json.dumps(data, indent=2) + "\n"
    return patch


def fix_summary(result: FixResult, applied: bool) -> list[str]:
    """What --fix did (or would do), what it held back and why, and what is not its job."""
    verb = "fixed" if applied else "would fix"
    lines = [
        f"{verb} {len(result.fixed)} finding(s) in {len(result.changed)} file(s); "
        f"{len(result.held)} unsafe fix(es) held back"
        + (" (apply them with --unsafe-fixes)" if result.held else "")
        + f"; {len(result.unfixable)} left to fix by hand"
    ]
    for fix in result.files:
        lines += [f"warning: {w}" for w in fix.warnings]
    lines += [f"not fixed: {f.key}: {why}" for f, why in result.unfixable]
    groups = sorted({f.group for f in result.without_model if f.group})
    for group in groups:
        tables = [f.table for f in result.without_model if f.group == group]
        lines.append(
            f"{len(tables)} table(s) without a model: modelgen generate --group {group}"
        )
    loose = [f.table for f in result.without_model if not f.group]
    if loose:
        lines.append(
            f"table(s) without a model and in no group: {', '.join(loose)} "
            "(add them to a group in the config, then modelgen generate --group GROUP)"
        )
    return lines
