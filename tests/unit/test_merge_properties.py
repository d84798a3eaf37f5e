"""Property: hand code of any kind, placed at any statement boundary of a generated
file, survives regeneration byte for byte, whether production changed or not."""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from pathlib import Path

from conftest import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelgen.catalog.schema import Schema
from modelgen.catalog.snapshot import load_snapshot
from modelgen.config import load_config
from modelgen.generate.pipeline import generate_files
from modelgen.source.merge import merge_file

OUT = Path("/nonexistent/models")  # nothing is written: contents only


def payments(schema: Schema) -> str:
    config = load_config(FIXTURES / "modelgen.toml")
    files = generate_files(schema, config, ["critical"], out=OUT).files
    return next(f.content for f in files if f.path.name == "payments.py")


BASE = load_snapshot(FIXTURES / "production" / "schema.json")


def changed(schema: Schema) -> Schema:
    """Production drops ``failure_reason`` and adds ``refund_reason`` at the end."""
    tables = []
    for table in schema.tables:
        if table.name == "payments":
            columns = [c for c in table.columns if c.name != "failure_reason"]
            extra = next(c for c in table.columns if c.name == "payment_method")
            table = replace(
                table, columns=(*columns, replace(extra, name="refund_reason"))
            )
        tables.append(table)
    return replace(schema, tables=tuple(tables))


PRISTINE = payments(BASE)
FRESH_CHANGED = payments(changed(BASE))


def boundaries(text: str) -> list[tuple[int, str]]:
    """(line after which code may go, indentation) for module and class statements."""
    tree = ast.parse(text)
    points: list[tuple[int, str]] = []
    for stmt in tree.body:
        points.append((stmt.end_lineno or stmt.lineno, ""))
        if isinstance(stmt, ast.ClassDef):
            points += [(m.end_lineno or m.lineno, "    ") for m in stmt.body]
    return points


POINTS = boundaries(PRISTINE)

names = st.text(alphabet="abcdefxyz", min_size=1, max_size=8)
words = st.text(alphabet="abc xyz!é'\"#", min_size=0, max_size=20)


@st.composite
def snippet(draw: st.DrawFn, indent: str) -> str:
    name = draw(names)
    number = draw(st.integers(0, 999))
    kinds = [
        f"# {draw(words)}",
        f"hand_{name} = {number}",
        f"\ndef hand_{name}(self) -> int:\n    return {number}\n",
        f"\n@property\ndef prop_{name}(self) -> str:\n    return {draw(words)!r}\n",
        "import json",
        f'other_{name} = db.relationship("User", viewonly=True)',
        "",
    ]
    text = draw(st.sampled_from(kinds))
    return "".join(f"{indent}{line}\n" if line else "\n" for line in text.split("\n"))


@st.composite
def hand_code(draw: st.DrawFn) -> tuple[str, list[str]]:
    """The pristine file with snippets inserted at random boundaries, and the snippets."""
    lines = PRISTINE.splitlines(keepends=True)
    chosen = draw(
        st.lists(st.integers(0, len(POINTS) - 1), min_size=1, max_size=6, unique=True)
    )
    blocks: dict[int, str] = {}
    for index in sorted(chosen):
        after, indent = POINTS[index]
        blocks[after] = draw(snippet(indent))
    text = "".join(
        line + blocks.get(number, "") for number, line in enumerate(lines, start=1)
    )
    return text, [blocks[k] for k in sorted(blocks)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hand_code())
def test_hand_code_survives_regeneration_unchanged(case: tuple[str, list[str]]) -> None:
    edited, blocks = case
    ast.parse(edited)  # the generated file with hand code is valid Python
    path = Path("payments.py")

    same = merge_file(path, edited, PRISTINE)
    assert same.conflicts == () and same.content == edited

    merged = merge_file(path, edited, FRESH_CHANGED)
    assert merged.conflicts == ()
    assert "refund_reason = db.Column(db.String(50))" in merged.content
    assert "failure_reason" not in merged.content
    # Every block kept whole and in order. Two blocks that met around the dropped
    # column share the blank line between them (Black allows one in a class), so
    # blocks are matched without their outer blank lines, and blank lines are
    # checked apart: a merge never makes a longer run of them than the files had.
    rest = merged.content
    for block in filter(str.strip, blocks):
        assert block.strip("\n") in rest
        before, _, rest = rest.partition(block.strip("\n"))
    assert merge_file(path, merged.content, FRESH_CHANGED).content == merged.content
    assert longest_blank_run(merged.content) <= max(
        longest_blank_run(edited), longest_blank_run(FRESH_CHANGED)
    )
    if all(block.strip() for block in blocks):  # and nothing else changed
        lines = code_lines(merged.content)
        for block in blocks:
            for line in code_lines(block):
                lines.remove(line)
        assert lines == code_lines(FRESH_CHANGED)


def code_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def longest_blank_run(text: str) -> int:
    """The most blank lines in a row."""
    return max(len(run) - 1 for run in re.findall(r"\n+", "\n" + text))
