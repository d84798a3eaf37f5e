"""`modelgen demo`: the README's first command, on the bundled fixture, in an embedded PostgreSQL."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from modelgen.catalog.connect import parse_url
from modelgen.catalog.reflect import reflect_url
from modelgen.catalog.scratch import embedded_url, execute, run_sql_file
from modelgen.catalog.snapshot import write_snapshot
from modelgen.config import load_config
from modelgen.errors import ModelgenError
from modelgen.generate.output import write_files
from modelgen.generate.pipeline import generate_files

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
MARKER = ".modelgen-demo"  # a folder holding it was made by the demo: safe to redo
SNAPSHOT = "schema.json"  # the demo database, saved so the next commands need no server


@dataclass(frozen=True)
class DemoResult:
    target: Path
    written: list[Path]
    url: str
    started_over: bool  # an earlier demo folder was replaced


def _prepare(target: Path) -> bool:
    """Empty ``target`` for the copy; True when it held an earlier demo (replaced)."""
    if not target.exists() or not any(target.iterdir()):
        return False
    if not (target / MARKER).is_file():
        raise ModelgenError(
            f"{target}: exists, is not empty and is not a demo folder; pass another --dir"
        )
    shutil.rmtree(target)
    return True


def run_demo(target: Path, admin_url: str | None = None) -> DemoResult:
    """Load the fixture production into a server (embedded by default), copy the
    fixture app to ``target``, save its snapshot there and generate the critical
    group.  Run again on the same folder, it starts the demo over.
    """
    if not (FIXTURES / "production" / "schema.sql").is_file():
        raise ModelgenError(
            f"{FIXTURES}: fixtures not found (run from a source checkout)"
        )
    admin = admin_url or embedded_url("--server-url URL")
    started_over = _prepare(target)
    name = "modelgen_demo_production"
    execute(
        admin,
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'CREATE DATABASE "{name}"',
    )
    url = parse_url(admin).with_database(name).render()
    run_sql_file(url, FIXTURES / "production" / "schema.sql")
    shutil.copytree(
        FIXTURES,
        target,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("cases", "__pycache__"),
    )
    (target / MARKER).write_text(
        "made by `modelgen demo`; running it again replaces this folder\n",
        encoding="utf-8",
    )
    schema = reflect_url(url)
    write_snapshot(schema, target / SNAPSHOT)
    config = load_config(target / "modelgen.toml")
    outcome = write_files(list(generate_files(schema, config, ["critical"]).files))
    return DemoResult(target, list(outcome.written), url, started_over)


def program() -> str:
    """This modelgen as a command that works as printed, from any folder: ``modelgen``
    when that is the one on PATH; else this environment's console script by its
    absolute path (a virtual environment nobody activated, as the README's first
    command makes); else this Python with ``-m modelgen``."""
    script = Path(sys.executable).parent / (
        "modelgen.exe" if os.name == "nt" else "modelgen"
    )
    if script.is_file():
        on_path = shutil.which("modelgen")
        if on_path and Path(on_path).resolve() == script.resolve():
            return "modelgen"
        return shlex.quote(str(script))
    return f"{shlex.quote(sys.executable)} -m modelgen"


def next_steps(folder: str, admin_url: str | None) -> list[str]:
    """What to try next with the files the demo left, as commands that work there."""
    scratch = f" --scratch-url {shlex.quote(admin_url)}" if admin_url else ""
    run = program()
    return [
        f"cd {shlex.quote(folder)}",
        f"{run} check --snapshot {SNAPSHOT} --group critical"
        "    # the files on disk match the schema",
        f"{run} drift --snapshot {SNAPSHOT}"
        "    # every model vs production: the groups still missing",
        f"{run} verify --snapshot {SNAPSHOT} --group critical{scratch}"
        "    # create them in a scratch database and compare",
        f"{run} generate --snapshot {SNAPSHOT} --group enterprise"
        "    # the next group",
    ]
