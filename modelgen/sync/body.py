"""The pull-request body ``modelgen sync`` writes: for a reviewer who has a minute.

What changed in production (the snapshot diff in words), which files changed and
why, the migration's steps and hazards, what is left for a human, and an ER
diagram of the changed tables with their neighbours.
"""

from __future__ import annotations

from modelgen.catalog.schema import Schema
from modelgen.config import Config
from modelgen.diagram.markdown import mermaid_block
from modelgen.sync.plan import SyncPlan, relative


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_body(
    plan: SyncPlan, schema: Schema, config: Config, production: str, snapshot: str
) -> str:
    lines = [
        "## modelgen sync: production's schema changed",
        "",
        f"Production ({_md(production)}) differs from the committed snapshot "
        f"`{snapshot}`. This pull request brings the repository up to it; "
        "`modelgen sync` writes every file below in one go.",
        "",
        "### What changed in production",
        "",
        *changes_in_words(plan),
        "",
        "### Files changed",
        "",
        "| file | why |",
        "|---|---|",
    ]
    for change in plan.changes:
        lines.append(f"| `{relative(change.path, config.root)}` | {_md(change.why)} |")
    lines += ["", "### Migration", ""]
    if plan.migration_steps:
        lines += [f"1. {_md(step)}" for step in plan.migration_steps]
        lines += ["", "Hazards:", ""]
        lines += [f"- {_md(h)}" for h in plan.hazards] or ["- none found"]
        if plan.renames:
            lines += ["", "Read as renames (check them):", ""]
            lines += [f"- {_md(r)}" for r in plan.renames]
    else:
        lines.append("No migration: nothing a revision would change.")
    lines += ["", "### Left for a human", ""]
    lines += left_for_a_human(plan, config) or ["Nothing."]
    # a table whose only change is an index is drawn without its neighbours:
    # a hub like users would bring half the schema for one index
    indexes_only = [
        t
        for t, changes in plan.diff.changed.items()
        if all(c.startswith("index ") for c in changes)
    ]
    changed = [*plan.diff.added, *plan.diff.changed]
    diagram = mermaid_block(
        schema,
        config,
        [t for t in changed if t not in indexes_only],
        "changed tables",
        alone=indexes_only,
    )
    if diagram:
        lines += ["", "### The changed tables and their neighbours", "", *diagram]
    return "\n".join(lines) + "\n"


def changes_in_words(plan: SyncPlan) -> list[str]:
    diff = plan.diff
    lines = [f"- `{_md(t)}`: table added" for t in diff.added]
    lines += [f"- `{_md(t)}`: table removed" for t in diff.removed]
    for table, changes in diff.changed.items():
        lines.append(f"- `{_md(table)}`: {_md('; '.join(changes))}")
    lines += [f"- {_md(e)}" for e in diff.enums]
    return lines or [
        "- no table, column, key, index or enum changed; other catalog facts "
        "did (server version, functions, sequences, ...): see the snapshot's diff"
    ]


def left_for_a_human(plan: SyncPlan, config: Config) -> list[str]:
    lines = []
    config_name = config.path.name if config.path else "modelgen.toml"
    for table in plan.unplaced:
        lines += [
            f"- `{_md(table.table)}` is a new table in no group: it has no model. "
            f"To place it, add to `{config_name}` (then `modelgen generate "
            f"--group {table.group}`):",
            "",
            "  ```toml",
            f"  [groups.{table.group}]",
            f"  {table.line}",
            "  ```",
        ]
    for finding in plan.held:
        lines.append(
            f"- held back (unsafe fix, `drift --fix --unsafe-fixes` applies it): "
            f"`{_md(finding.key)}`: {_md(finding.message)}"
        )
    for finding, why in plan.unfixed:
        lines.append(
            f"- not fixed ({_md(why)}): `{_md(finding.key)}`: {_md(finding.message)}"
        )
    lines += [f"- {_md(k)}" for k in plan.kept]
    lines += [f"- {_md(d)}" for d in plan.dropped]
    return lines
