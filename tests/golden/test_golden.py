"""Golden cases: fixtures/cases/<case>/ holds a snapshot, a config and the reviewed
expected output (or expected_error.txt). No database needed.

To refresh after an intended change: MODELGEN_UPDATE_GOLDEN=1 pytest tests/golden,
then review every changed expected file with `git diff` before committing.
"""

from __future__ import annotations

import ast
import difflib
import os
import random
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import FIXTURES

from modelgen.catalog.snapshot import load_snapshot
from modelgen.config import Config, load_config
from modelgen.errors import ModelgenError
from modelgen.generate.format import black_format
from modelgen.generate.pipeline import generate_files

CASES = FIXTURES / "cases"
NAMES = sorted(p.name for p in CASES.iterdir() if (p / "case.toml").is_file())
UPDATE = os.environ.get("MODELGEN_UPDATE_GOLDEN") == "1"


def run_case(case: Path, out: Path, shuffle_seed: int | None = None) -> dict[str, str]:
    spec = tomllib.loads((case / "case.toml").read_text())
    schema = load_snapshot((case / spec["snapshot"]).resolve())
    if shuffle_seed is not None:
        tables = list(schema.tables)
        random.Random(shuffle_seed).shuffle(tables)
        schema = replace(schema, tables=tuple(tables))
    config = (
        load_config((case / spec["config"]).resolve())
        if "config" in spec
        else Config(path=None, root=case, views=spec.get("views", False))
    )
    result = generate_files(
        schema, config, spec.get("groups", []), spec.get("all", False), out=out
    )
    return {str(f.path.relative_to(out)): f.content for f in result.files}


@pytest.mark.parametrize("name", NAMES)
def test_golden_case(name: str, tmp_path: Path) -> None:
    case = CASES / name
    error_file = case / "expected_error.txt"
    if error_file.exists():
        with pytest.raises(ModelgenError) as info:
            run_case(case, tmp_path / "models")
        assert error_file.read_text().strip() in str(info.value)
        assert "\n" not in str(info.value)
        return
    produced = run_case(case, tmp_path / "models")
    expected_dir = case / "expected"
    if UPDATE:
        for rel, content in produced.items():
            (expected_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            (expected_dir / rel).write_text(content)
    expected = {
        str(p.relative_to(expected_dir)): p.read_text()
        for p in sorted(expected_dir.rglob("*"))
        if p.is_file()
    }
    assert sorted(produced) == sorted(expected)
    for rel, content in produced.items():
        assert black_format(content, rel) == content, f"{name}/{rel} is not Black-clean"
    for rel in expected:
        if produced[rel] != expected[rel]:
            diff = "".join(
                difflib.unified_diff(
                    expected[rel].splitlines(True),
                    produced[rel].splitlines(True),
                    rel,
                    rel,
                )
            )
            pytest.fail(f"{name}/{rel} differs from the reviewed output:\n{diff}")


@pytest.mark.parametrize(
    "name", [n for n in NAMES if not (CASES / n / "expected_error.txt").exists()]
)
def test_output_does_not_depend_on_table_order(name: str, tmp_path: Path) -> None:
    baseline = run_case(CASES / name, tmp_path / "a")
    for seed in (1, 2, 3):
        assert (
            run_case(CASES / name, tmp_path / f"s{seed}", shuffle_seed=seed) == baseline
        )


DDL_EVENTS = ("after_create", "before_drop", "before_create", "after_drop")
ALLOWED_CALLS = {
    "db",
    "postgresql",
    "SQLAlchemy",
    "event",
    "DDL",
    "bind",
    "mapped_column",  # the typed style: sqlalchemy.orm's own, typed functions
    "relationship",
}


def _assert_ddl_listener(node: ast.Call, path: Path) -> None:
    """The one top-level call allowed: ``event.listen(T, "after_create", DDL("..."))``
    (or another DDL event: prerequisites before create and after drop, what reads
    other tables undone before drop), whose statement is a string literal (data,
    never code)."""
    where = f"{path}:{node.lineno}"
    assert ast.unparse(node.func) == "event.listen", f"{where}: top-level call"
    target, event_name, ddl = node.args
    assert isinstance(target, ast.Name | ast.Attribute), where
    assert isinstance(event_name, ast.Constant) and event_name.value in DDL_EVENTS
    if isinstance(ddl, ast.Lambda):
        # a policy reading other tables: on the MetaData, once its table was created
        assert ast.unparse(target).endswith(".metadata"), where
        table = ast.unparse(target)[: -len(".metadata")]
        assert isinstance(ddl.body, ast.BoolOp), where
        check, run = ddl.body.values
        # a class's metadata (Cls.metadata) is its table's (Cls.__table__)
        assert ast.unparse(check) in (
            f"{table} in tables",
            f"{table}.__table__ in tables",
        ), where
        assert isinstance(run, ast.Call) and ast.unparse(run.func) == "bind.execute"
        (ddl,) = run.args
    assert isinstance(ddl, ast.Call) and ast.unparse(ddl.func) == "db.DDL", where
    assert len(ddl.args) == 1 and isinstance(ddl.args[0], ast.Constant), where
    assert isinstance(ddl.args[0].value, str) and not node.keywords, where


def _assert_base_block(stmt: ast.If, path: Path) -> None:
    """``if TYPE_CHECKING:`` holds imports and the empty ``class Model(FlaskModel,
    ModelBase)`` type checkers see; its ``else:`` only ``Model = db.Model``."""
    for node in stmt.body:
        if isinstance(node, ast.ClassDef):
            assert node.name == "Model", path
            assert [ast.unparse(b) for b in node.bases] == ["FlaskModel", "ModelBase"]
            (doc,) = node.body
            assert isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant)
        else:
            assert isinstance(node, ast.ImportFrom), f"{path}: {ast.unparse(node)}"
    assert [ast.unparse(s) for s in stmt.orelse] in ([], ["Model = db.Model"]), path


def _call_root(node: ast.expr) -> str:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else type(node).__name__


@pytest.mark.parametrize(
    "name", [n for n in NAMES if (CASES / n / "expected").is_dir()]
)
def test_generated_code_only_declares(name: str) -> None:
    """Schema text stays data: modules hold imports, assignments and class bodies, and
    every call is a db./postgresql. constructor (nothing from the schema runs on import).
    """
    for path in sorted((CASES / name / "expected").rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for stmt in tree.body:
            if isinstance(stmt, ast.If):  # only `if TYPE_CHECKING:` imports
                assert (
                    ast.unparse(stmt.test) == "TYPE_CHECKING"
                ), f"{path}: if statement"
                _assert_base_block(stmt, path)
                continue
            assert isinstance(
                stmt, ast.Import | ast.ImportFrom | ast.Assign | ast.ClassDef | ast.Expr
            ), f"{path}: unexpected top-level {type(stmt).__name__}"
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                _assert_ddl_listener(stmt.value, path)
            elif isinstance(stmt, ast.Expr):
                assert isinstance(
                    stmt.value, ast.Constant
                ), f"{path}: top-level expression"
        own_classes = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                assert (
                    _call_root(node.func) in ALLOWED_CALLS | own_classes
                ), f"{path}:{node.lineno}: call to {ast.unparse(node.func)}"
