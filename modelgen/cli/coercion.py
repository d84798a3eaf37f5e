"""Option values of the plain kinds modelgen uses, coerced without pydantic.

Typer (0.2x, with its vendored click) coerces every option value through a
pydantic ``TypeAdapter``: the first command-line option a run parses imports
pydantic and builds adapters, about 0.2 s of a ``check`` that otherwise takes
0.3 s.  Our options are ``str``, ``Path``, ``list[str]`` and ``int`` without
anything exotic; for the ordinary values of those (what a shell passes, and
the defaults) the result is known, so it is produced here.  Every other case,
and every value these rules do not cover (a bad ``--split``, bytes, an enum
option), goes to Typer's own coercion unchanged, so its messages stay Typer's.
tests/cli/test_coercion.py compares both on many values.

Typer versions without this machinery (``typer.core._TyperParameter``) are left
alone.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_DIGITS = re.compile(r"[0-9]+")
_MISS = object()


def plain_value(
    annotation: Any, parameter_info: Any, value: Any, param: Any = None, ctx: Any = None
) -> Any:
    """Typer's coercion result for ``value`` (not None), or ``_MISS`` when Typer
    must decide."""
    info = parameter_info
    if info.parser is not None or getattr(info, "path_type", None) is not None:
        return _MISS
    if annotation is str:
        return value if type(value) is str else _MISS
    if annotation is int:
        if info.clamp:
            return _MISS
        if type(value) is int:
            number = value
        elif type(value) is str and _DIGITS.fullmatch(value) and len(value) < 19:
            number = int(value)
        else:
            return _MISS
        if (info.min is not None and number < info.min) or (
            info.max is not None and number > info.max
        ):
            return _MISS
        return number
    if annotation is Path:
        if type(value) is str and value and "\0" not in value:
            value = Path(value)  # what pydantic's TypeAdapter(Path) makes of it
        if type(value) is not type(Path()):
            return _MISS
        from typer._param_types import coerce_cli_path

        # the checks Typer's path adapter runs (exists, file_okay, ...), as it runs them
        return coerce_cli_path(value, info, path_type=Path, param=param, ctx=ctx)
    if annotation == list[str]:
        if isinstance(value, (list, tuple)) and all(type(v) is str for v in value):
            return list(value)
        return _MISS
    return _MISS


class _Runtime:
    """Stands in for Typer's runtime parameter: plain values here, the rest to Typer."""

    def __init__(self, param: Any, build: Any) -> None:
        self._param = param
        self._build = build
        self._typer: Any = None

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        desc = self._param.type_descriptor
        if desc.file_annotation is None:
            if value is None:  # as Typer's RuntimeParam.coerce
                return () if param.multiple or param.nargs == -1 else None
            result = plain_value(
                desc.annotation, desc.parameter_info, value, param, ctx
            )
            if result is not _MISS:
                return result
        if self._typer is None:
            self._typer = self._build(desc)
        return self._typer.coerce(value, param=param, ctx=ctx)


def install() -> bool:
    """Route Typer's option coercion through ``plain_value`` first (once)."""
    try:
        from typer import core
    except ImportError:  # pragma: no cover - Typer is a dependency
        return False
    cls = getattr(core, "_TyperParameter", None)
    build = getattr(core, "build_runtime_param", None)
    if cls is None or build is None or not hasattr(cls, "get_runtime_param"):
        return False
    if getattr(cls.get_runtime_param, "_modelgen", False):
        return True

    def get_runtime_param(self: Any) -> Any:
        if self._runtime_param is None:
            self._runtime_param = _Runtime(self, build)
        return self._runtime_param

    get_runtime_param._modelgen = True  # type: ignore[attr-defined]
    cls.get_runtime_param = get_runtime_param
    return True
