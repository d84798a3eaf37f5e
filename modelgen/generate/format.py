"""Black's output, the contract for generated code, reached fast.

``modelgen.generate.layout`` lays out the statement shapes modelgen generates exactly as
Black 26.10 (pinned) does; any other statement is formatted by Black itself.
Set MODELGEN_FORMATTER=black to run Black over whole files instead (slow; the
tests use it to prove both give the same bytes).
"""

from __future__ import annotations

import os
from functools import lru_cache

from modelgen.errors import RenderError
from modelgen.generate.layout import Unsupported, layout_source


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


def format_source(source: str, label: str) -> str:
    """Black's output for ``source``: fast when it holds one statement per line
    (what the model templates emit), else Black over the whole file."""
    if os.environ.get("MODELGEN_FORMATTER") == "black":
        return black_format(source, label)
    try:
        text = layout_source(source, fallback=_black_statement)
    except Unsupported:
        return black_format(source, label)
    return text.rstrip("\n") + "\n"
