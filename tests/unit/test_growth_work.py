"""init and migration at scale, counted rather than timed (issue 10).

The bench measured both growing faster than the schema from 1,000 to 10,000
tables.  These tests count what made them so: files parsed twice and every tree
kept alive at once (init), work per table that grows with the number of tables
(migration).  The timings are in bench/ (bench/README.md).
"""

from __future__ import annotations

import ast
import weakref
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelgen.catalog.schema import Schema
from modelgen.generate.existing import scan_models
from modelgen.init import _db_imports, build_init_config, detect_db_import


def _models_dir(root: Path, files: int, per_file: int = 3) -> Path:
    """``files`` model files of ``per_file`` tables each, importing ``db`` from app.ext."""
    models = root / "app" / "models"
    models.mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (models / "__init__.py").write_text("")
    for f in range(files):
        classes = [
            f"class T{f}x{t}(db.Model):\n"
            f"    __tablename__ = 't{f}_{t}'\n"
            "    id = db.Column(db.Integer, primary_key=True)\n"
            for t in range(per_file)
        ]
        (models / f"m{f:03d}.py").write_text(
            "from app.ext import db\n\n\n" + "\n\n".join(classes)
        )
    return models


class ParseWatch:
    """ast.parse counted per file, with how many earlier trees were still alive
    (held by the code under test) each time a new one was parsed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.parses: Counter[str] = Counter()
        self.alive_at_parse: list[int] = []
        self._trees: list[weakref.ref[ast.AST]] = []
        self.walks = 0
        real_parse, real_walk = ast.parse, ast.walk

        def parse(source, filename="<unknown>", *args, **kwargs):  # type: ignore[no-untyped-def]
            self.alive_at_parse.append(sum(1 for r in self._trees if r() is not None))
            self.parses[str(filename)] += 1
            tree = real_parse(source, filename, *args, **kwargs)
            self._trees.append(weakref.ref(tree))
            return tree

        def walk(node: ast.AST) -> Iterator[ast.AST]:
            self.walks += 1
            return real_walk(node)

        monkeypatch.setattr(ast, "parse", parse)
        monkeypatch.setattr(ast, "walk", walk)


def test_init_parses_each_model_file_once_and_keeps_no_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """init read every file twice (the scan, then the db import, walking every
    expression node) and kept all trees at once: 25 s and 0.8 GB at 10,000 tables."""
    models = _models_dir(tmp_path, files=40)
    watch = ParseWatch(monkeypatch)
    result = build_init_config(Schema(tables=()), tmp_path / "modelgen.toml", models)
    assert "db_import = \"app.ext\"" in result.text
    # the 40 files and __init__.py, once each
    assert sum(watch.parses.values()) == len(watch.parses) == 41, watch.parses
    # each tree is dropped once the next file is read: memory stays one file's
    assert max(watch.alive_at_parse) <= 1, watch.alive_at_parse
    assert watch.walks == 0  # imports are statements: no walk of every expression


def test_scanning_a_models_folder_keeps_no_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """scan_models without a cache (generate and check in a config layout) held
    every file's tree until the end of the scan."""
    models = _models_dir(tmp_path, files=30)
    watch = ParseWatch(monkeypatch)
    assert len(scan_models(models)) == 90
    assert set(watch.parses.values()) == {1}
    assert max(watch.alive_at_parse) <= 1, watch.alive_at_parse


NESTED_IMPORTS = '''
"""Imports of db at every depth and in every kind of block."""
from top.one import db
try:
    from try_body import db
except ImportError:
    from handler import db
else:
    from try_else import db
finally:
    from try_finally import db
if flag:
    from if_body import db
    if other:
        from deeper import db
else:
    from if_else import db
def factory():
    from in_function import db, other
    class Inner:
        from in_class import db
    return db
match value:
    case 1:
        from in_case import db
    case _:
        try:
            pass
        except* ValueError:
            from in_star_handler import db
for x in y:
    from in_for import db
else:
    from for_else import db
while z:
    from in_while import db
with ctx():
    from in_with import db
from . import db
from ..pkg import db as alias
from .sub import not_db
from top.two import db
'''


def test_db_imports_come_in_ast_walk_order() -> None:
    """The statements walk finds the same imports, in the same order (which breaks
    a tie between modules), as a walk of every node."""
    tree = ast.parse(NESTED_IMPORTS)
    expected = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and any(alias.name == "db" for alias in node.names)
    ]
    assert len(expected) == 19
    assert _db_imports(tree) == expected


def test_a_tie_between_db_modules_goes_to_the_one_found_first(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    (models / "a.py").write_text(
        "def f():\n    from nested.module import db\nfrom top.module import db\n"
    )
    # breadth first: the top-level import is counted first, and wins the tie
    assert detect_db_import(models, None) == "top.module"
