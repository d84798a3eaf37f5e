"""Whether a model file is laid out by Black, and ``drift --fix``'s statements laid out
the file's way: Black's in a Black-formatted file, left on one line in any other.

A file is taken as Black-formatted when Black (the project's line length and
trailing-comma setting, quotes never touched) leaves unchanged every top-level
statement the fix edits and the file's first others, up to SAMPLE_LINES: a
bounded read that does not run Black over a 2,000-class module (about as long
as parsing it), and a file where Black would change what --fix did not touch
is not one a team runs Black on.  Then every statement the fix changed or
added is formatted by Black, so the file stays Black-clean; otherwise nothing
is wrapped (a long new column stays one line, as the edits in place do).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import libcst as cst

SAMPLE_LINES = 400  # of the statements the fix leaves, read to judge the file


def follow_layout(path: Path, before: cst.Module, after: cst.Module) -> cst.Module:
    """``after`` (``before`` edited) with its new top-level statements laid out as
    the file is: by Black when the file is Black-formatted, else as they are."""
    kept = {id(stmt) for stmt in before.body}
    if all(id(stmt) in kept for stmt in after.body):
        return after
    remaining = {id(stmt) for stmt in after.body}
    edited = [stmt for stmt in before.body if id(stmt) not in remaining]
    mode = _mode(path)
    if mode is None or not _black_formatted(before, edited, mode):
        return after
    body = [
        stmt if id(stmt) in kept else _formatted(before, stmt, mode)
        for stmt in after.body
    ]
    return after.with_changes(body=body)


def _black_formatted(
    module: cst.Module, edited: Sequence[cst.CSTNode], mode: Any
) -> bool:
    """Black leaves the edited statements and the file's first others unchanged."""
    seen = 0
    sample: list[cst.CSTNode] = []
    changed = {id(stmt) for stmt in edited}
    for stmt in module.body:
        if seen >= SAMPLE_LINES:
            break
        if id(stmt) not in changed:
            sample.append(stmt)
            seen += _code(module, stmt).count("\n")
    return all(_stable(module, stmt, mode) for stmt in [*edited, *sample])


def _code(module: cst.Module, stmt: cst.CSTNode) -> str:
    """A statement's text without the blank lines and comments above it (those are
    the file's layout between statements, not Black's business here)."""
    bare = (
        stmt.with_changes(leading_lines=()) if hasattr(stmt, "leading_lines") else stmt
    )
    return module.code_for_node(bare)


def _stable(module: cst.Module, stmt: cst.CSTNode, mode: Any) -> bool:
    import black

    code = _code(module, stmt)
    try:
        return bool(black.format_str(code, mode=mode) == code)
    except Exception:  # Black cannot read it (a syntax it does not know): not Black's
        return False


def _formatted(module: cst.Module, stmt: cst.CSTNode, mode: Any) -> cst.CSTNode:
    import black

    code = _code(module, stmt)
    try:
        text = black.format_str(code, mode=mode)
    except Exception:  # left as it is, as in a file Black does not format
        return stmt
    if text == code:
        return stmt
    new = cst.parse_statement(text, config=module.config_for_parsing)
    return new.with_changes(leading_lines=getattr(stmt, "leading_lines", ()))


def _mode(path: Path) -> Any:
    """Black's mode for ``path``: the project's line length and magic trailing comma
    (its ``[tool.black]``), string normalisation off (the file chose its quotes);
    None when Black is not installed."""
    try:
        import black
    except ImportError:
        return None
    line_length, magic_comma = 88, True
    try:
        found = black.find_pyproject_toml((str(path.parent),))
        config = black.parse_pyproject_toml(found) if found else {}
        line_length = int(config.get("line_length", line_length))
        magic_comma = not config.get("skip_magic_trailing_comma", False)
    except Exception:  # an unreadable project config: Black's defaults
        pass
    return black.Mode(
        line_length=line_length,
        string_normalization=False,
        magic_trailing_comma=magic_comma,
    )
