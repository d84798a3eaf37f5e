"""Golden ER diagrams (Mermaid and DOT) and reference pages, from snapshots: no database.

fixtures/diagrams/shapes/ holds a schema of the shapes a diagram must get right
(schema.sql, its snapshot schema.json and a config); the fixture's own production
snapshot gives the critical group.  To refresh after an intended change:
MODELGEN_UPDATE_GOLDEN=1 pytest tests/golden/test_diagrams.py, then read every
changed file under fixtures/diagrams/expected/ before committing.  (schema.json is
`modelgen snapshot` of schema.sql loaded into an empty database.)
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from conftest import FIXTURES

from modelgen.catalog.snapshot import load_snapshot
from modelgen.config import load_config
from modelgen.diagram.dot import render_dot
from modelgen.diagram.graph import build_diagram, scan_app, select
from modelgen.diagram.mermaid import render_mermaid
from modelgen.diagram.reference import build_reference
from modelgen.errors import ModelgenError

DIAGRAMS = FIXTURES / "diagrams"
EXPECTED = DIAGRAMS / "expected"
SHAPES = DIAGRAMS / "shapes"
UPDATE = os.environ.get("MODELGEN_UPDATE_GOLDEN") == "1"

# name -> (folder of schema.json + config, --group, --tables)
CASES: dict[str, tuple[Path, list[str], list[str]]] = {
    "critical": (FIXTURES, ["critical"], []),
    "self_reference": (SHAPES, [], ["categories"]),
    "composite_key": (SHAPES, [], ["order_lines"]),
    "two_keys_same_table": (SHAPES, [], ["transfers"]),
    "one_to_one": (SHAPES, [], ["accounts"]),
    "odd_names": (SHAPES, [], ['say "hi" | now']),
}


def _inputs(folder: Path):  # type: ignore[no-untyped-def]
    snapshot = (
        folder / "production" / "schema.json"
        if folder == FIXTURES
        else folder / "schema.json"
    )
    return load_snapshot(snapshot), load_config(folder / "modelgen.toml")


def _diagram(name: str):  # type: ignore[no-untyped-def]
    folder, groups, tables = CASES[name]
    schema, config = _inputs(folder)
    chosen = select(schema, config, groups, tables)
    title = ", ".join([f"group {g}" for g in groups] + tables)
    return build_diagram(schema, scan_app(schema, config), chosen, 1, title)


def _compare(path: Path, produced: str) -> None:
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(produced, encoding="utf-8")
    assert path.is_file(), f"{path} is missing (MODELGEN_UPDATE_GOLDEN=1 writes it)"
    assert produced == path.read_text(encoding="utf-8"), f"{path.name} changed"


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_mermaid(name: str) -> None:
    _compare(EXPECTED / f"{name}.mmd", render_mermaid(_diagram(name)))


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_dot(name: str) -> None:
    _compare(EXPECTED / f"{name}.dot", render_dot(_diagram(name)))


def test_golden_reference_pages() -> None:
    schema, config = _inputs(SHAPES)
    pages = build_reference(schema, config, [], every=True)
    assert sorted(pages) == [
        "group-accounts.md",
        "group-orders.md",
        "index.md",
        "no-group.md",
    ]
    for name, text in pages.items():
        _compare(EXPECTED / "docs-shapes" / name, text)
    schema, config = _inputs(FIXTURES)
    pages = build_reference(schema, config, ["critical"], every=False)
    assert sorted(pages) == ["group-critical.md"]
    _compare(
        EXPECTED / "docs-fixture" / "group-critical.md", pages["group-critical.md"]
    )


def _relationships(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if " : " in line]


def test_cardinality_is_read_from_the_keys() -> None:
    lines = _relationships(render_mermaid(_diagram("one_to_one")))
    # account_settings.account_id is its primary key: one-to-one, identifying (solid)
    # (accounts has a hand-written model, the others are in group accounts)
    assert 'accounts ||--o| account_settings : "account_id (to hand-written)"' in lines
    # account_cards.account_id is unique and nullable: zero-or-one on both ends, dashed
    assert 'accounts |o..o| account_cards : "account_id (to hand-written)"' in lines
    # transfers: two NOT NULL keys to accounts, each its own edge, many per account
    two = _relationships(render_mermaid(_diagram("two_keys_same_table")))
    assert 'accounts ||..o{ transfers : "from_account (to hand-written)"' in two
    assert 'accounts ||..o{ transfers : "to_account (to hand-written)"' in two


def test_composite_and_self_reference() -> None:
    lines = _relationships(render_mermaid(_diagram("composite_key")))
    assert 'order_lines ||..o{ shipments : "order_id, line_no"' in lines
    assert 'orders ||--o{ order_lines : "order_id"' in lines  # part of the PK
    self_ref = _relationships(render_mermaid(_diagram("self_reference")))
    assert self_ref == ['categories |o..o{ categories : "parent_id"']


def test_names_mermaid_cannot_spell_are_aliased_with_their_real_name() -> None:
    text = render_mermaid(_diagram("odd_names"))
    # in no group of the shapes config, and no model file: the label says so too
    assert 't_say__hi____now["say #quot;hi#quot; | now (no model)"] {' in text
    assert 't_order_items["order items (no model)"] {' in text
    assert 't_end["end (no model)"] {' in text  # a word of the grammar
    assert 'integer c_pk FK "pk"' in text  # a key mark's word, as a column name
    assert 'c_it_s__quoted_ "it\'s #quot;quoted#quot;"' in text
    entity_ids = re.findall(r"^  (\S+?)[\[ {]", text, re.M)
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", e) for e in entity_ids)


def test_keys_to_other_groups_and_hand_written_models_say_so() -> None:
    text = render_mermaid(_diagram("critical"))
    assert 'users["users (hand-written)"]' in text
    assert 'users ||..o{ payments : "payer_id (to hand-written)"' in text
    assert 'payments |o..o{ disputes : "payment_id (to group critical)"' in text
    dot = render_dot(_diagram("critical"))
    assert 'subgraph cluster_1 {\n    label="group critical";' in dot
    assert 'label="hand-written models"' in dot


def test_neighbours_limit_and_too_large() -> None:
    schema, config = _inputs(FIXTURES)
    models = scan_app(schema, config)
    chosen = select(schema, config, ["critical"], [])
    alone = build_diagram(schema, models, chosen, 0)
    assert sorted(n.label for n in alone.nodes) == [
        "applications",
        "invoices",
        "payments",
        "user_sessions",
    ]
    with pytest.raises(ModelgenError) as info:
        build_diagram(schema, models, select(schema, config, [], [], True), 1)
    message = str(info.value)
    assert message.startswith("a diagram of 47 tables is too large to read")
    assert "\n" not in message and "draw one group (--group " in message
    wide = select(schema, config, ["critical", "enterprise"], [])
    with pytest.raises(ModelgenError, match=r"draw one group \(--group "):
        build_diagram(schema, models, wide, 2)


def test_the_same_schema_in_another_order_gives_the_same_text() -> None:
    from dataclasses import replace

    schema, config = _inputs(FIXTURES)
    shuffled = replace(schema, tables=tuple(reversed(schema.tables)))
    for s in (schema, shuffled):
        chosen = select(s, config, ["critical"], [])
        drawn = build_diagram(s, scan_app(s, config), chosen, 1)
        assert render_mermaid(drawn) == render_mermaid(
            build_diagram(schema, scan_app(schema, config), chosen, 1)
        )


def test_graphviz_reads_every_dot_diagram(tmp_path: Path) -> None:
    """The golden DOT files and random hostile names render with Graphviz's dot."""
    import shutil
    import subprocess

    from helpers.randschema import random_schema

    from modelgen.config import Config

    dot = shutil.which("dot")
    if dot is None:
        pytest.skip("Graphviz is not installed (apt-get install graphviz)")
    files = sorted(EXPECTED.glob("*.dot"))
    for seed in range(10):
        schema = random_schema(seed)
        config = Config(path=None, root=tmp_path)
        drawn = build_diagram(
            schema, scan_app(schema, config), select(schema, config, every=True)
        )
        files.append(tmp_path / f"seed{seed}.dot")
        files[-1].write_text(render_dot(drawn), encoding="utf-8")
    for path in files:
        result = subprocess.run(
            [dot, "-Tsvg", str(path)], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0 and not result.stderr, (path, result.stderr)
        assert "<svg" in result.stdout


def test_the_readme_picture_is_the_critical_group() -> None:
    """README shows docs/images/critical-group.svg: `dot -Tsvg` of the golden DOT."""
    readme = (FIXTURES.parent / "README.md").read_text(encoding="utf-8")
    assert "](docs/images/critical-group.svg)" in readme
    svg = (FIXTURES.parent / "docs" / "images" / "critical-group.svg").read_text()
    titles = re.findall(r"<title>([^<&]*)</title>", svg)
    nodes = sorted(t for t in titles if t.startswith("public."))
    golden = (EXPECTED / "critical.dot").read_text()
    assert nodes == sorted(re.findall(r'^  +"(public\.[^"]+)" \[label=', golden, re.M))
    assert "<title>group critical</title>" in svg


def test_the_mermaid_picture_shows_the_golden_diagrams_tables() -> None:
    """docs/images/critical-group-mermaid.svg: mermaid-cli's drawing of critical.mmd."""
    svg = (
        FIXTURES.parent / "docs" / "images" / "critical-group-mermaid.svg"
    ).read_text()
    golden = (EXPECTED / "critical.mmd").read_text()
    labels = re.findall(r'^  (\w+)(?:\["([^"]+)"\])? \{', golden, re.M)
    assert len(labels) == 9
    for entity, label in labels:
        assert f">{label or entity}<" in svg, label or entity


def test_a_markdown_diagram_drops_neighbours_then_says_it_is_too_large() -> None:
    from modelgen.diagram.markdown import mermaid_block

    schema, config = _inputs(FIXTURES)
    # with their neighbours these four are 41 tables, past 40: drawn without them
    four = ["users", "categories", "rate_limits", "notification_templates"]
    lines = mermaid_block(schema, config, four, "t")
    assert lines[0] == "```mermaid" and lines[-1] == "```"
    assert lines[1].count(" {\n") == 4
    assert "\n  jobs" not in lines[1]  # a neighbour of users: left out
    every = [t.name for t in schema.tables]
    (line,) = mermaid_block(schema, config, every, "t")
    assert line.startswith("_No diagram: a diagram of 47 tables is too large to read")
    assert line.endswith("; `modelgen diagram --tables` draws a part._")
    assert "--max-tables" not in line  # not an option outside `diagram`
