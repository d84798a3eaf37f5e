"""Every Mermaid diagram modelgen writes is read by Mermaid's own parser, not judged by eye.

The parser is the npm package ``mermaid`` run under Node with jsdom
(tests/mermaid/: package.json, its lock file, parse.mjs).  Install it once with
``npm ci --prefix tests/mermaid``; without Node or that folder the tests skip and
say which is missing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT
from helpers.randschema import random_schema

from modelgen.config import Config
from modelgen.diagram.graph import build_diagram, scan_app, select
from modelgen.diagram.mermaid import render_mermaid

HARNESS = ROOT / "tests" / "mermaid"
EXPECTED = FIXTURES / "diagrams" / "expected"


def _parser() -> list[str]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: Mermaid's parser runs under Node.js")
    if not (HARNESS / "node_modules" / "mermaid").is_dir():
        pytest.skip(
            "Mermaid's parser is not installed: run `npm ci --prefix tests/mermaid`"
        )
    return [node, str(HARNESS / "parse.mjs")]


def _parse(files: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_parser(), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=HARNESS,
    )


def _blocks(page: Path) -> list[str]:
    return re.findall(r"```mermaid\n(.*?)```", page.read_text(encoding="utf-8"), re.S)


def test_golden_diagrams_and_pages_parse(tmp_path: Path) -> None:
    files = sorted(EXPECTED.glob("*.mmd"))
    for page in sorted(EXPECTED.rglob("*.md")):
        for number, block in enumerate(_blocks(page)):
            files.append(tmp_path / f"{page.parent.name}-{page.stem}-{number}.mmd")
            files[-1].write_text(block, encoding="utf-8")
    assert len(files) >= 10
    result = _parse(files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(" er\n") == len(files)


def test_random_hostile_names_parse(tmp_path: Path) -> None:
    """Names with quotes, newlines, tabs, %, braces, keywords and non-ASCII letters."""
    files = []
    for seed in range(25):
        schema = random_schema(seed)
        config = Config(path=None, root=tmp_path)
        chosen = select(schema, config, every=True)
        drawn = build_diagram(
            schema, scan_app(schema, config), chosen, 0, schema.tables[0].name
        )
        files.append(tmp_path / f"seed{seed}.mmd")
        files[-1].write_text(render_mermaid(drawn), encoding="utf-8")
    result = _parse(files)
    assert result.returncode == 0, result.stdout


def test_the_parser_rejects_what_mermaid_cannot_read(tmp_path: Path) -> None:
    """The check can fail: a raw name with a space is an error, not a pass."""
    broken = tmp_path / "broken.mmd"
    broken.write_text('erDiagram\n  order items {\n    integer "id" PK\n  }\n')
    result = _parse([broken])
    assert result.returncode == 1
    assert result.stdout.startswith(f"error {broken}:")
