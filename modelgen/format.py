"""Black with a pinned, explicit Mode: Black's output is the contract for generated code."""

from __future__ import annotations

from functools import lru_cache

from .errors import RenderError


@lru_cache(maxsize=1)
def _mode() -> object:
    import black

    return black.Mode(
        target_versions={black.TargetVersion.PY311},
        line_length=88,
        string_normalization=True,
        magic_trailing_comma=True,
    )


def format_source(source: str, label: str) -> str:
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
