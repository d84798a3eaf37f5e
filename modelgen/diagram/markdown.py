"""A Mermaid diagram of some tables as a Markdown block: for reports and PR bodies.

Used by ``drift --format markdown`` (the tables with findings) and ``sync`` (the
tables that changed).  The chosen tables are drawn with their neighbours; when
that is too large, without them; when even that is too large, one line says so
and names the command that draws a part.
"""

from __future__ import annotations

from collections.abc import Iterable

from modelgen.catalog.schema import Schema
from modelgen.config import Config
from modelgen.diagram.graph import Key, Models, TooLarge, build_diagram, scan_app
from modelgen.diagram.mermaid import render_mermaid


def _keys(schema: Schema, names: Iterable[str]) -> list[Key]:
    keys: dict[Key, None] = {}
    for name in names:
        table = schema.find_table(name)
        if table is not None:
            keys.setdefault(table.key)
    return sorted(keys)


def mermaid_block(
    schema: Schema,
    config: Config,
    names: Iterable[str],
    title: str,
    models: Models | None = None,
    alone: Iterable[str] = (),
) -> list[str]:
    """Markdown lines: a fenced ``mermaid`` block of the tables ``names`` (as findings
    and snapshot diffs display them) and their neighbours, and of the tables
    ``alone`` without theirs; [] when none exists."""
    chosen, also = _keys(schema, names), _keys(schema, alone)
    if not chosen and not also:
        return []
    models = models or scan_app(schema, config)
    reason = ""
    for hops in (1, 0):
        try:
            drawn = build_diagram(schema, models, chosen, hops, title, also=also)
        except TooLarge as exc:
            reason = str(exc)
            continue
        return ["```mermaid", render_mermaid(drawn).rstrip("\n"), "```"]
    return [f"_No diagram: {reason}; `modelgen diagram --tables` draws a part._"]
