"""Start-up cost, counted as work rather than timed: which heavy packages a run
imports, and that option values coerced without pydantic (cli/coercion.py) are
exactly what Typer's own coercion gives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from conftest import FIXTURES, ROOT

from modelgen.cli import coercion
from modelgen.cli.main import app

HEAVY = ("pydantic", "black", "libcst", "sqlalchemy", "psycopg", "alembic")


def _imported_after(
    args: list[str], cwd: Path, also: tuple[str, ...] = ()
) -> tuple[int, list[str]]:
    """Run ``modelgen ARGS`` in a fresh interpreter; its exit code and the heavy
    packages (``HEAVY`` and ``also``) it imported."""
    watched = HEAVY + also
    code = (
        "import json, sys\n"
        "from modelgen.cli.main import run\n"
        f"code = run({args!r})\n"
        f"print(json.dumps([code, [m for m in {watched!r} if m in sys.modules]]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    exit_code, heavy = json.loads(done.stdout.strip().splitlines()[-1])
    return exit_code, heavy


def test_check_from_a_snapshot_imports_no_heavy_package(tmp_path: Path) -> None:
    snapshot = str(FIXTURES / "production" / "schema.json")
    out = str(tmp_path / "models")
    code, _ = _imported_after(
        ["generate", "--snapshot", snapshot, "--out", out], tmp_path
    )
    assert code == 0
    code, heavy = _imported_after(
        ["check", "--snapshot", snapshot, "--out", out, "-q"], tmp_path
    )
    assert code == 0
    # pydantic came with Typer's option coercion, Black with the package's
    # __init__.py and extensions.py; neither is needed for an up-to-date check
    assert heavy == []


def test_generate_from_a_database_imports_no_sqlalchemy(
    tmp_path: Path, production_url: str
) -> None:
    """Reflection is plain catalog queries through the driver: SQLAlchemy (a
    tenth of a 1,000-table generate to import) is not needed to write models."""
    plain = "postgresql://" + production_url.split("://", 1)[1]
    code, heavy = _imported_after(
        ["generate", "--url", plain, "--out", str(tmp_path / "models"), "-q"],
        tmp_path,
    )
    assert code == 0
    assert "sqlalchemy" not in heavy and "psycopg" in heavy


def test_help_and_version_import_no_heavy_package(tmp_path: Path) -> None:
    for args in (["--version"], ["check", "-h"], ["-h"]):
        code, heavy = _imported_after(args, tmp_path, ("jinja2",))
        assert code == 0 and heavy == [], args


def _params() -> list[Any]:
    found: list[Any] = []

    def walk(command: Any) -> None:
        found.extend(command.params)
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    walk(typer.main.get_command(app))
    return found


VALUES: list[Any] = [
    "x",
    "",
    " x ",
    "0",
    "007",
    "12",
    "-1",
    "+5",
    "5_0",
    " 5",
    "1.5",
    "abc",
    "１２",
    "99999999999999999999",
    ".",
    "a//b/",
    "~",
    "schema.json",
    0,
    3,
    -2,
    Path("schema.json"),
    Path("."),
    ("a",),
    ("a", "b"),
    (),
    ["a"],
]


def _typers(param: Any, value: Any) -> Any:
    from typer._coercion import build_runtime_param

    try:
        value = build_runtime_param(param.type_descriptor).coerce(
            value, param=param, ctx=None
        )
    except Exception as exc:  # the message is part of the behaviour
        return ("error", type(exc).__name__, str(exc))
    return ("ok", type(value).__name__, value)


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_plain_values_are_typers_own(value: Any, tmp_path: Path) -> None:
    (tmp_path / "schema.json").write_text("{}", encoding="utf-8")
    compared = 0
    cwd = Path.cwd()
    os.chdir(tmp_path)  # existing and missing paths both occur
    try:
        for param in _params():
            desc = param.type_descriptor
            if desc.file_annotation is not None:
                continue
            ours = coercion.plain_value(desc.annotation, desc.parameter_info, value)
            if ours is coercion._MISS:
                continue
            compared += 1
            theirs = _typers(param, value)
            assert ("ok", type(ours).__name__, ours) == theirs, (param.name, value)
    finally:
        os.chdir(cwd)
    if isinstance(value, str) and value in ("x", "12", "schema.json"):
        assert compared  # the fast path is really taken for ordinary values


def test_values_left_to_typer_keep_typers_messages(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["check", "--split", "-1"])
    assert result.exit_code == 2
    assert "--split" in result.output
    result = CliRunner().invoke(app, ["check", "--split", "abc"])
    assert result.exit_code == 2
    assert "--split" in result.output
