"""A Diagram as Graphviz DOT: each table an HTML-like table of its columns, each group
a cluster, hand-written models in a cluster of their own.

Every edge runs from the child table to the table its key references (its label
names the key's columns), with crow's-foot ends: the parent end ``teetee`` (exactly one) or ``teeodot``
(zero or one: a nullable key); the child end ``crowodot`` (zero or more) or
``teeodot`` (zero or one: a unique key).  A key inside the child's primary key
(identifying) is solid, any other dashed; a key to another group or to a
hand-written model is grey and says so in its label.  Render with
``dot -Tsvg diagram.dot -o diagram.svg``.
"""

from __future__ import annotations

from html import escape

from modelgen.diagram.graph import HAND_WRITTEN, NO_MODEL, Diagram, Edge, Node


def _quote(text: str) -> str:
    """A DOT double-quoted ID."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _html(text: str) -> str:
    return escape(text, quote=True)


def render_dot(diagram: Diagram) -> str:
    lines = [
        f"digraph {_quote(diagram.title or 'schema')} {{",
        "  graph [rankdir=LR, fontname=Helvetica, nodesep=0.4, ranksep=0.9];",
        "  node [shape=plain, fontname=Helvetica, fontsize=10];",
        "  edge [fontname=Helvetica, fontsize=9, dir=both];",
    ]
    if diagram.title:
        lines.append(f"  label={_quote(diagram.title)}; labelloc=t;")
    clusters: dict[str, list[Node]] = {}
    loose: list[Node] = []
    for node in diagram.nodes:
        cluster = _cluster(node)
        if cluster is None:
            loose.append(node)
        else:
            clusters.setdefault(cluster, []).append(node)
    for number, name in enumerate(sorted(clusters), 1):
        lines.append(f"  subgraph cluster_{number} {{")
        lines.append(f'    label={_quote(name)}; style="rounded,dashed"; color=grey50;')
        lines += [f"    {_table(node)}" for node in clusters[name]]
        lines.append("  }")
    lines += [f"  {_table(node)}" for node in loose]
    lines += [f"  {_edge(edge)}" for edge in diagram.edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _cluster(node: Node) -> str | None:
    if node.model == HAND_WRITTEN:
        return "hand-written models"
    return f"group {node.group}" if node.group is not None else None


def _id(node_key: tuple[str, str]) -> str:
    return _quote(f"{node_key[0]}.{node_key[1]}")


def _table(node: Node) -> str:
    title = _html(node.label)
    if node.model == NO_MODEL:
        title += " <I>(no model)</I>"
    border = ' BGCOLOR="grey92"' if node.neighbour else ' BGCOLOR="lightblue"'
    rows = [
        f'<TR><TD COLSPAN="3"{border}><B>{title}</B></TD></TR>',
    ]
    for row in node.columns:
        name = _html(row.name)
        name = name if row.nullable else f"<B>{name}</B>"
        rows.append(
            f'<TR><TD ALIGN="LEFT">{name}</TD>'
            f'<TD ALIGN="LEFT">{_html(row.type)}</TD>'
            f'<TD ALIGN="LEFT">{" ".join(row.marks)}</TD></TR>'
        )
    table = (
        '<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">'
        + "".join(rows)
        + "</TABLE>"
    )
    return f"{_id(node.key)} [label=<{table}>];"


def _edge(edge: Edge) -> str:
    attrs = [
        f"arrowhead={'teeodot' if edge.optional else 'teetee'}",
        f"arrowtail={'teeodot' if edge.one_to_one else 'crowodot'}",
        f"label={_quote(edge.label)}",
    ]
    if not edge.identifying:
        attrs.append("style=dashed")
    if edge.crossing:
        attrs.append("color=grey50, fontcolor=grey40")
    return f"{_id(edge.child)} -> {_id(edge.parent)} [{', '.join(attrs)}];"
