"""A bootstrap of a large schema split into modules of at most N tables (``--split N``)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from modelgen.catalog.snapshot import load_snapshot
from modelgen.config import load_config
from modelgen.generate.output import write_files
from modelgen.generate.pipeline import generate_files

FIXTURE = Path(__file__).parents[2] / "fixtures" / "production" / "schema.json"


def test_split_bootstrap_keeps_every_table_once_and_modules_small(
    tmp_path: Path,
) -> None:
    schema = load_snapshot(FIXTURE)
    config = replace(load_config(None, tmp_path), split=10)
    result = generate_files(schema, config, out=tmp_path / "models")
    modules = [f for f in result.files if f.tables]
    assert [f.path.name for f in modules] == [f"public_{n}.py" for n in range(1, 6)]
    assert max(len(f.tables) for f in modules) == 10
    listed = [t for f in modules for t in f.tables]
    assert sorted(listed) == sorted(set(listed))
    assert len(listed) == len(schema.tables)
    # the same schema in another table order gives the same bytes
    shuffled = replace(schema, tables=tuple(reversed(schema.tables)))
    again = generate_files(shuffled, config, out=tmp_path / "models")
    assert [f.content for f in again.files] == [f.content for f in result.files]

    # relationships across modules resolve once the package is imported
    write_files(list(result.files))
    check = (
        "import sqlalchemy as sa, models\n"
        "sa.orm.configure_mappers()\n"
        "print(len(models.db.metadata.tables))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", check],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == str(len(schema.tables))


def test_header_lists_tables_on_one_line_when_it_fits_else_one_per_line(
    tmp_path: Path,
) -> None:
    """A generated file is reviewed like any other: its header stays within
    Black's 88 columns, and a table added to a long list is one new line."""
    schema = load_snapshot(FIXTURE)
    config = replace(load_config(None, tmp_path), split=3)
    big = generate_files(schema, load_config(None, tmp_path), out=tmp_path / "one")
    small = generate_files(schema, config, out=tmp_path / "split")
    for result in (big, small):
        for item in result.files:
            if not item.tables:
                continue
            header = item.content.split("# modelgen-hash:")[0].splitlines()
            assert max(len(line) for line in header) <= 88, item.path.name
            start = header.index(next(h for h in header if h.startswith("# Tables:")))
            if header[start] == "# Tables:":  # one per line, in the file's order
                listed = [h.removeprefix("#   ") for h in header[start + 1 : -1]]
            else:
                listed = header[start].removeprefix("# Tables: ").split(", ")
            assert listed == list(item.tables)
    assert any("# Tables:\n#   public." in f.content for f in big.files)
    assert any(f.tables and "# Tables: public." in f.content for f in small.files)
