"""Black's output, the contract for generated code, reached fast.

``modelgen.generate.layout`` lays out the statement shapes modelgen generates exactly as
Black 26.10 (pinned) does; any other statement is formatted by Black itself.
Set MODELGEN_FORMATTER=black to run Black over whole files instead (slow; the
tests use it to prove both give the same bytes).
"""

from __future__ import annotations

import io
import os
import re
import tokenize
from functools import lru_cache

from modelgen.errors import RenderError
from modelgen.generate.layout import Unsupported, layout_source, layout_statement


@lru_cache(maxsize=1)
def _mode() -> object:
    import black

    return black.Mode(
        target_versions={black.TargetVersion.PY311},
        line_length=88,
        string_normalization=True,
        magic_trailing_comma=True,
    )


def black_format(source: str, label: str) -> str:
    import black

    try:
        return black.format_str(source, mode=_mode())  # type: ignore[arg-type]
    except (
        Exception
    ) as exc:  # black.InvalidInput and friends: our bug, never user input
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RenderError(
            f"{label}: generated code is not valid Python ({first})"
        ) from None


def _black_statement(line: str, depth: int) -> list[str]:
    """Black on one statement, nested in ``depth`` dummy blocks for its indentation."""
    wrapper = "".join("    " * level + "class _Modelgen:\n" for level in range(depth))
    try:
        formatted = black_format(wrapper + line.rstrip() + "\n", "statement")
    except RenderError:
        raise Unsupported("not a whole statement") from None
    return formatted.rstrip("\n").split("\n")[depth:]


_OPEN_AT_END = re.compile(r"[(\[{][ \t]*$", re.MULTILINE)


def format_source(source: str, label: str) -> str:
    """Black's output for ``source``: fast when it holds one statement per line
    (what the model templates emit), else Black over the whole file."""
    if os.environ.get("MODELGEN_FORMATTER") == "black":
        return black_format(source, label)
    try:
        if _OPEN_AT_END.search(source):  # not one statement per line: no use trying
            raise Unsupported("statements over several lines")
        text = layout_source(source, fallback=_black_statement)
    except Unsupported:
        try:  # statements over several lines (a migration's op calls): one at a time
            text = _statement_by_statement(source)
        except (Unsupported, SyntaxError, tokenize.TokenError):
            return black_format(source, label)
    return text.rstrip("\n") + "\n"


def _statement_by_statement(source: str) -> str:
    """Each logical statement laid out alone, at its own depth.

    Black over a whole file grows faster than the file (a 1,000-table migration
    took minutes); a statement's layout depends only on the statement and its
    depth, and the blank lines between statements are kept as written.
    """
    lines = source.split("\n")
    spans: dict[int, int] = {}  # first line -> last line of each logical statement
    start: int | None = None
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in _NOT_CODE:
            continue
        if start is None:
            start = tok.start[0] - 1
        if tok.type == tokenize.NEWLINE:
            spans[start] = tok.end[0] - 1
            start = None
    out: list[str] = []
    number = 0
    while number < len(lines):
        end = spans.get(number, number)
        line = lines[number]
        if end == number:
            out.extend(_one(line) if line.strip() else [""])
        else:
            depth = (len(line) - len(line.lstrip(" "))) // 4
            text = "\n".join(lines[number : end + 1])
            if text.rstrip().endswith(":"):  # a def/class/if header: give it a body
                body = "    " * (depth + 1) + "pass"
                out.extend(_black_statement(f"{text}\n{body}", depth)[:-1])
            else:
                out.extend(_several(lines[number : end + 1], depth))
        number = end + 1
    return "\n".join(_cap_blank_lines(out))


def _cap_blank_lines(lines: list[str]) -> list[str]:
    """Black's limit on blank lines in a row: two before a top-level line, one
    before an indented one (a template's empty loop can leave three)."""
    out: list[str] = []
    blank = 0
    for line in lines:
        if not line.strip():
            blank += 1
            continue
        allowed = 2 if not line.startswith(" ") else 1
        out += [""] * min(blank, allowed) + [line]
        blank = 0
    return out + [""] * blank


def _several(lines: list[str], depth: int) -> list[str]:
    """A statement the template wrote over several lines (``op.create_table(`` then
    one argument per line): joined into one logical line and laid out by
    ``layout`` when it can, else by Black.  Black at 2,000 tables took two
    minutes for a migration's ~10,000 such statements."""
    parts = [line.strip() for line in lines]
    if any(
        part.startswith("#") or part.endswith("\\") or '"""' in part or "'''" in part
        for part in parts
    ):
        return _black_statement("\n".join(lines), depth)
    joined = parts[0]
    for part in parts[1:]:
        glue = "" if joined[-1] in "([{" or part[0] in ")]}" else " "
        joined += glue + part
    try:
        return layout_statement("    " * depth + joined)
    except Unsupported:
        return _black_statement("\n".join(lines), depth)


def _one(line: str) -> list[str]:
    if line.lstrip().startswith("#"):
        return [line.rstrip()]
    try:
        return layout_statement(line)
    except Unsupported:
        return _black_statement(line, (len(line) - len(line.lstrip(" "))) // 4)


_NOT_CODE = {
    tokenize.NL,
    tokenize.COMMENT,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENDMARKER,
}
