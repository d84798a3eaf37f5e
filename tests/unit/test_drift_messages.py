"""Drift messages a user reads (issue 11 item 11): one type spelling, and the
markdown table keeps the table.column key the other formats show."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from test_drift import drift_of, mcol, users_model, users_table

from modelgen.drift.report import render_report


def report_with_type_drift():  # type: ignore[no-untyped-def]
    model = users_model()
    columns = list(model.columns or ())
    columns[1] = replace(columns[1], type_sql="VARCHAR(100)")
    columns.append(mcol("legacy", "TIMESTAMP WITHOUT TIME ZONE", line=30))
    return drift_of(users_table(), replace(model, columns=tuple(columns)))


def test_type_messages_use_postgresqls_spelling_on_both_sides() -> None:
    report = report_with_type_drift()
    found = {f.key: f.message for f in report.drift}
    assert found["users.email"] == (
        "column email: length character varying(100) in the model, "
        "character varying(255) in production"
    )
    assert "(timestamp without time zone)" in found["users.legacy"]
    assert not any("VARCHAR" in m or "TIMESTAMP" in m for m in found.values())


def test_the_markdown_table_keeps_the_key() -> None:
    report = report_with_type_drift()
    markdown = render_report(report, "markdown", Path.cwd(), False)
    text = render_report(report, "text", Path.cwd(), False)
    assert "| key | where | finding |" in markdown
    for finding in report.drift:
        assert f"| `{finding.key}` |" in markdown
        assert finding.key in text
