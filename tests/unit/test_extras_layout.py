"""The bootstrap package's __init__.py and extensions.py are laid out by the fast
layout (format_source), not Black over the file: the same bytes as Black."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from modelgen.generate.build import _bootstrap_extras
from modelgen.generate.format import black_format, format_source


def _plans(modules: list[str]) -> list[Any]:
    return [SimpleNamespace(module=name) for name in modules]


CASES = [
    [],
    ["public"],
    ["public", "extensions_schema"],
    [f"public_{i:02d}" for i in range(1, 4)],
    [f"public_{i:02d}" for i in range(1, 30)],
    [f"a_rather_long_schema_name_number_{i}" for i in range(6)],
    ["x" * 80],
    ["x" * 120, "y"],
]


@pytest.mark.parametrize("prerequisites", [False, True])
@pytest.mark.parametrize("modules", CASES, ids=lambda m: f"{len(m)} modules")
def test_extras_are_blacks_output(modules: list[str], prerequisites: bool) -> None:
    extras = _bootstrap_extras(Path("models"), _plans(modules), prerequisites)
    for path, content in extras:
        assert format_source(content, str(path)) == black_format(content, str(path))
