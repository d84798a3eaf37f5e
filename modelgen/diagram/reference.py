"""The document-first schema reference: one Markdown page per group, and an index.

A page holds the group's ER diagram (Mermaid, with its neighbours) and, for each
table, its columns (type, nullability, default, comment), keys, indexes,
triggers and row-level security policies, and the model class and file that map
it, or "no model".  Nothing depends on the clock or the order the catalog was read
in, so a production change is a small diff in these pages too.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from modelgen.catalog.schema import Policy, Schema, Table
from modelgen.config import Config
from modelgen.diagram.graph import Key, Models, display_name, scan_app
from modelgen.diagram.markdown import mermaid_block
from modelgen.errors import ModelgenError
from modelgen.files import replace_all

NO_GROUP = "no-group"  # the page of the tables in no group (hand-written or unmodelled)


def page_name(group: str | None) -> str:
    return f"group-{group}.md" if group else f"{NO_GROUP}.md"


def write_reference(
    schema: Schema, config: Config, out: Path, groups: Iterable[str], every: bool
) -> list[Path]:
    """Write the pages of ``groups`` (``every``: all groups, the tables in none, the
    index) into ``out``, all or nothing; returns the paths written."""
    pages = build_reference(schema, config, list(groups), every)
    out.mkdir(parents=True, exist_ok=True)
    contents = {out / name: text for name, text in pages.items()}
    replace_all(contents)
    return list(contents)


def build_reference(
    schema: Schema, config: Config, groups: list[str], every: bool
) -> dict[str, str]:
    """{file name: Markdown} of the reference."""
    models = scan_app(schema, config)
    for group in groups:
        if group not in config.groups:
            raise ModelgenError(
                f"no group {group!r} in {config.label} "
                f"(groups: {', '.join(config.groups) or 'none'})"
            )
    members: dict[str | None, list[Key]] = {g: [] for g in config.groups}
    members[None] = []
    for table in sorted(schema.tables, key=lambda t: t.key):
        members[models.groups.get(table.key)].append(table.key)
    chosen: list[str | None] = list(config.groups) + [None] if every else list(groups)
    pages = {
        page_name(group): group_page(schema, config, models, group, members[group])
        for group in chosen
        if group is not None or members[None]
    }
    if every:
        pages["index.md"] = index_page(schema, config, models, members)
    return pages


def index_page(
    schema: Schema, config: Config, models: Models, members: dict[str | None, list[Key]]
) -> str:
    lines = [
        "# Schema reference",
        "",
        f"{len(schema.tables)} tables, written by `modelgen docs` from production's "
        "catalog; regenerate it rather than edit it.",
        "",
        "| group | tables | page |",
        "|---|---:|---|",
    ]
    for group, keys in members.items():
        if group is None and not keys:
            continue
        name = group or "_in no group_"
        lines.append(
            f"| {name} | {len(keys)} | [{page_name(group)}]({page_name(group)}) |"
        )
    lines += ["", "| table | group | model |", "|---|---|---|"]
    for table in sorted(schema.tables, key=lambda t: t.key):
        group = models.groups.get(table.key)
        link = f"{page_name(group)}#{_anchor(display_name(schema, table.key))}"
        lines.append(
            f"| [{_cell(display_name(schema, table.key))}]({link}) "
            f"| {group or ''} | {_model(config, models, table.key)} |"
        )
    return "\n".join(lines) + "\n"


def group_page(
    schema: Schema, config: Config, models: Models, group: str | None, keys: list[Key]
) -> str:
    title = f"Group {group}" if group else "Tables in no group"
    lines = [f"# {title}", "", f"{len(keys)} table(s). [Index](index.md)", ""]
    names = [display_name(schema, key) for key in keys]
    # with its neighbours; too large, without them; still too large, a line saying so
    lines += mermaid_block(schema, config, names, title, models)
    for key in keys:
        lines += [""] + table_section(schema, config, models, schema.table(*key))
    return "\n".join(lines) + "\n"


def table_section(
    schema: Schema, config: Config, models: Models, table: Table
) -> list[str]:
    lines = [
        f"## {_cell(display_name(schema, table.key))}",
        "",
        f"Model: {_model(config, models, table.key)}",
    ]
    if table.comment:
        lines += ["", _cell(table.comment)]
    lines += [
        "",
        "| column | type | nullable | default | comment |",
        "|---|---|---|---|---|",
    ]
    for column in table.columns:
        default = column.default
        if column.identity is not None:
            default = (
                f"identity ({'always' if column.identity.always else 'by default'})"
            )
        if column.generated is not None:
            default = f"generated: {column.generated}"
        lines.append(
            f"| {_code(column.name)} | {_code(column.type.display)} "
            f"| {'yes' if column.nullable else 'no'} "
            f"| {_code(default) if default else ''} | {_cell(column.comment or '')} |"
        )
    lines += _facts(table)
    return lines


def _facts(table: Table) -> list[str]:
    """Keys, indexes, triggers and policies: one bullet each, as PostgreSQL prints them."""
    keys = [table.primary_key] if table.primary_key else []
    keys += [*table.uniques, *table.checks, *table.excludes]
    sections = [
        ("Keys and constraints", [(c.name, c.definition) for c in keys]),
        ("Foreign keys", [(fk.name, fk.definition) for fk in table.foreign_keys]),
        ("Indexes", [(i.name, i.definition) for i in table.indexes]),
        ("Triggers", [(t.name, t.definition) for t in table.triggers]),
        ("Policies", [(p.name, _policy(p)) for p in table.policies]),
    ]
    lines: list[str] = []
    for title, items in sections:
        if items:
            lines += ["", f"{title}:", ""]
            lines += [f"- {_code(name)}: {_code(text)}" for name, text in items]
    if table.row_security:
        forced = " (forced for the owner too)" if table.force_row_security else ""
        lines += ["", f"Row-level security is enabled{forced}."]
    return lines


def _policy(policy: Policy) -> str:
    parts = [
        "PERMISSIVE" if policy.permissive else "RESTRICTIVE",
        f"FOR {policy.command}",
        f"TO {', '.join(policy.roles)}",
    ]
    if policy.using:
        parts.append(f"USING ({policy.using})")
    if policy.with_check:
        parts.append(f"WITH CHECK ({policy.with_check})")
    return " ".join(parts)


def _model(config: Config, models: Models, key: Key) -> str:
    found = models.by_table.get(key)
    if found is None:
        planned = models.files.get(key)
        if planned is None:
            return "no model"
        return f"no model (its group writes {_code(_relative(config, planned))})"
    kind = "generated" if found.generated else "hand-written"
    what = f"class {_code(found.class_name)}" if found.class_name else "a `db.Table`"
    return f"{what} in {_code(_relative(config, found.path))} ({kind})"


def _relative(config: Config, path: Path) -> str:
    try:
        return path.resolve().relative_to(config.root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _cell(text: str) -> str:
    """Plain text safe in a Markdown table cell or heading."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    """An inline code span that holds any text (backticks included), safe in a table."""
    text = text.replace("\n", " ").replace("|", "\\|")
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, spaces to hyphens, punctuation dropped."""
    kept = [c for c in heading.lower() if c.isalnum() or c in " -_"]
    return "".join(kept).replace(" ", "-")
