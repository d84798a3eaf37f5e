"""A Diagram as a Mermaid ``erDiagram`` (what GitHub and GitLab render in Markdown).

Mermaid spells an entity or attribute raw only when it is a plain word, so any
other table gets an alias with its real name as the label (``t_order_items["order
items"]``), and any other column a plain attribute name with its real name in the
comment.  A quote, ``%`` or backslash cannot appear inside a Mermaid string at
all: each is written as Mermaid's entity code (``#quot;``, ``#37;``, ``#92;``;
``#`` itself as ``#35;``).

Cardinality comes from the keys: the parent end is ``||`` (exactly one) or
``|o`` (zero or one, a nullable key); the child end ``o{`` (zero or more) or
``o|`` (zero or one, a unique key).  A key inside the child's primary key is an
identifying relationship (solid line), any other a dashed one.

The ``erDiagram`` GitHub renders has no clusters, so a group is not a box here:
every entity outside the diagram's own groups, or mapped by a hand-written model,
says so in its label (``users (hand-written)``), and so does every key to it.
"""

from __future__ import annotations

import re

from modelgen.diagram.graph import HAND_WRITTEN, NO_MODEL, Diagram, Edge, Key, Node

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# words the erDiagram grammar reads as its own wherever an entity name may stand
_RESERVED = {
    "class",
    "classdef",
    "direction",
    "end",
    "erdiagram",
    "many",
    "one",
    "only",
    "optionally",
    "style",
    "subgraph",
    "to",
    "u",
    "zero",
    "accdescr",
    "acctitle",
    "pk",  # inside an entity: the key marks
    "fk",
    "uk",
}


def render_mermaid(diagram: Diagram) -> str:
    ids = _entity_ids(diagram.nodes)
    own = {n.group for n in diagram.nodes if not n.neighbour}
    lines = ["erDiagram"]
    if diagram.title:
        lines.insert(0, f"---\ntitle: {_yaml(diagram.title)}\n---")
    for node in diagram.nodes:
        lines += _entity(node, ids[node.key], _label(node, own))
    for edge in diagram.edges:
        lines.append(_relationship(edge, ids))
    return "\n".join(lines) + "\n"


def _label(node: Node, own: set[str | None]) -> str:
    if node.model == HAND_WRITTEN:
        return f"{node.label} (hand-written)"
    if node.group is not None and node.group not in own:
        return f"{node.label} (group {node.group})"
    if node.model == NO_MODEL and node.group is None:
        return f"{node.label} (no model)"
    return node.label


def _plain(name: str) -> bool:
    return bool(_PLAIN.fullmatch(name)) and name.lower() not in _RESERVED


def _entity_ids(nodes: tuple[Node, ...]) -> dict[Key, str]:
    """A plain word per table: the name itself, else ``t_`` and its letters, made unique."""
    taken = {n.label for n in nodes if _plain(n.label)}
    ids: dict[Key, str] = {}
    for node in nodes:
        if _plain(node.label):
            ids[node.key] = node.label
            continue
        base = "t_" + re.sub(r"[^A-Za-z0-9_]", "_", node.label)
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}_{n}"
        taken.add(candidate)
        ids[node.key] = candidate
    return ids


def _string(text: str) -> str:
    """Text safe inside a Mermaid double-quoted string: a quote, ``%`` and a
    backslash end such a string early, so they are entity codes like ``#`` itself
    (and ``<``, ``>``); control characters (newlines, tabs) become spaces."""
    codes = (("#", "#35;"), ('"', "#quot;"), ("%", "#37;"), ("\\", "#92;"))
    # < and > too: Mermaid reads a label's <tag ...> as HTML (and sanitizes it away)
    for raw, code in (*codes, ("<", "#lt;"), (">", "#gt;")):
        text = text.replace(raw, code)
    return "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in text)


def _yaml(text: str) -> str:
    """A YAML double-quoted string: the front matter's title is YAML, where a bare
    `` #`` starts a comment and Mermaid's entity codes are not read."""
    text = "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in text)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _type(display: str) -> str:
    """One attribute word: ``character varying(40)`` -> ``character_varying(40)``,
    ``numeric(12,2)`` -> ``numeric(12_2)``: Mermaid 11.12 (the parser the tests run)
    reads no space, comma, dot or quote in a type (later versions read more)."""
    word = re.sub(r"[^A-Za-z0-9_\[\]()-]", "_", display)
    return word if re.match(r"[A-Za-z_]", word) else f"_{word}"


def _entity(node: Node, entity_id: str, label: str) -> list[str]:
    head = f"  {entity_id}"
    if label != entity_id:
        head += f'["{_string(label)}"]'
    if not node.columns:
        return [head]
    lines = [head + " {"]
    used: set[str] = set()
    for row in node.columns:
        name, note = row.name, ""
        if not _plain(name):
            name = "c_" + re.sub(r"[^A-Za-z0-9_]", "_", name)
            while name in used:
                name += "_"
            note = f' "{_string(row.name)}"'
        used.add(name)
        marks = f" {', '.join(row.marks)}" if row.marks else ""
        lines.append(f"    {_type(row.type)} {name}{marks}{note}")
    lines.append("  }")
    return lines


def _relationship(edge: Edge, ids: dict[Key, str]) -> str:
    parent_end = "|o" if edge.optional else "||"
    child_end = "o|" if edge.one_to_one else "o{"
    line = "--" if edge.identifying else ".."
    return (
        f"  {ids[edge.parent]} {parent_end}{line}{child_end} {ids[edge.child]}"
        f' : "{_string(edge.label)}"'
    )
