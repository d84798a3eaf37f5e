"""`modelgen demo`: the README's first command, on the bundled fixture, in an embedded PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

from modelgen.catalog.connect import parse_url
from modelgen.catalog.reflect import reflect_url
from modelgen.catalog.scratch import embedded_url, execute, run_sql_file
from modelgen.config import load_config
from modelgen.errors import ModelgenError
from modelgen.generate.output import write_files
from modelgen.generate.pipeline import generate_files

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def run_demo(
    target: Path, admin_url: str | None = None
) -> tuple[Path, list[Path], str]:
    """Load the fixture production into a server (embedded by default), copy the
    fixture app to ``target`` and generate the critical group there.

    Returns the project folder, the files written and the production URL.
    """
    if not (FIXTURES / "production" / "schema.sql").is_file():
        raise ModelgenError(
            f"{FIXTURES}: fixtures not found (run from a source checkout)"
        )
    if target.exists() and any(target.iterdir()):
        raise ModelgenError(f"{target}: exists and is not empty; pass another --dir")
    admin = admin_url or embedded_url()
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
    config = load_config(target / "modelgen.toml")
    generation = generate_files(reflect_url(url), config, ["critical"])
    outcome = write_files(list(generation.files))
    return target, list(outcome.written), url
