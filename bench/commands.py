"""Every modelgen command at several schema sizes and two layouts, each next to its anchor.

    .venv/bin/pip install -e '.[dev,bench]'
    .venv/bin/python bench/commands.py --sizes 47,1000 --repeat 3
    .venv/bin/python bench/commands.py --quick          # 47 and 200 tables, once

Layouts: ``bootstrap`` (no config: one module per schema, or ``--split N``)
and ``config`` (a modelgen.toml with about ten tables per file).  Each command
is a fresh process; per repeat it runs right before its anchor (alternating),
and the medians of wall time and peak memory (RSS of the process) are printed
and written to bench/out/commands.json.  Anchors:

- generate: sqlacodegen 4.0.4 on the same database (target <= 0.25x)
- drift: Alembic's comparison with compare_type + compare_server_default on
  the same models and database (bench/alembic_check.py; target <= 0.5x)
- verify: PostgreSQL creating the same tables from `pg_dump --schema-only`
  output with psql (target <= 2x)

The machine is shared: the script prints the load average before each size.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from run import BIN, load, measure  # noqa: E402

from modelgen.catalog.connect import parse_url  # noqa: E402
from modelgen.catalog.scratch import execute, find_server  # noqa: E402

MG = str(BIN / "modelgen")


def libpq(url: str) -> str:
    """postgresql+driver://... -> postgresql://... (what psql, pg_dump and users type)."""
    return re.sub(r"^postgresql\+\w+://", "postgresql://", url)


TABLES_PER_FILE = 10


def config_layout(root: Path, snapshot: Path) -> None:
    """app/ with extensions.py and a modelgen.toml grouping ~10 tables per file."""
    from modelgen.catalog.snapshot import load_snapshot

    names = sorted(t.name for t in load_snapshot(snapshot).tables)
    (root / "app" / "models").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "models" / "__init__.py").write_text("")
    (root / "app" / "extensions.py").write_text(
        "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n"
    )
    lines = [
        'url_env = "DATABASE_URL"',
        'output = "app/models"',
        'models = "app/models"',
        'db_import = "app.extensions"',
        'ignore = ["alembic_version"]',
    ]
    for n, start in enumerate(range(0, len(names), TABLES_PER_FILE)):
        chunk = ", ".join(f'"{t}"' for t in names[start : start + TABLES_PER_FILE])
        lines += [f"[groups.g{n:04d}]", f'"f{n:04d}.py" = [{chunk}]']
    (root / "modelgen.toml").write_text("\n".join(lines) + "\n")


def bootstrap_layout(root: Path, split: int) -> None:
    """Bootstrap output in app/models; drift.toml only for drift (no groups)."""
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "drift.toml").write_text(
        'url_env = "DATABASE_URL"\noutput = "app/models"\nmodels = "app/models"\n'
        'db_import = "app.models.extensions"\n'
    )
    _ = split


def commands(layout: str, root: Path, url: str, admin: str, split: int) -> dict:
    """name -> (modelgen command, anchor command or None)."""
    snap = str(root / "schema.json")
    boot = layout == "bootstrap"
    sel = ["--out", "app/models"] if boot else ["--all"]
    split_opt = ["--split", str(split)] if boot and split else []
    cfg = ["-c", "drift.toml"] if boot else []
    package, db_module = (
        ("app.models", "app.models.extensions") if boot else ("app", "app.extensions")
    )
    alembic = [sys.executable, str(BENCH / "alembic_check.py"), str(root), url]
    return {
        "generate": (
            [MG, "generate", "--url", url, *sel, *split_opt],
            (
                [
                    str(BIN / "sqlacodegen"),
                    url.replace("postgresql://", "postgresql+psycopg2://", 1),
                    "--outfile",
                    str(root / "sqlacodegen.py"),
                ]
                if boot
                else None
            ),
        ),
        # a first bootstrap (no files yet), next to sqlacodegen writing its file
        "generate (fresh)": (
            (
                [MG, "generate", "--url", url, "--out", "fresh", *split_opt],
                [
                    str(BIN / "sqlacodegen"),
                    url.replace("postgresql://", "postgresql+psycopg2://", 1),
                    "--outfile",
                    str(root / "sqlacodegen.py"),
                ],
            )
            if boot
            else (None, None)
        ),
        "snapshot": ([MG, "snapshot", "--url", url, "-o", snap], None),
        "check --snapshot": ([MG, "check", "--snapshot", snap, *sel, *split_opt], None),
        "drift": ([MG, "drift", *cfg, "--url", url], [*alembic, package, db_module]),
        # its floor: importing the same models, nothing else (bench/import_models.py)
        "drift --snapshot": (
            [MG, "drift", *cfg, "--snapshot", snap],
            [sys.executable, str(BENCH / "import_models.py"), str(root), package],
        ),
        "snapshot diff": ([MG, "snapshot", "diff", snap, snap], None),
        "verify": (
            [
                MG,
                "verify",
                "--url",
                url,
                "--scratch-url",
                admin,
                *([] if boot else ["--all"]),
            ],
            ["PG_DUMP_LOAD"],
        ),
        "migration": (
            (
                [
                    MG,
                    "migration",
                    "--snapshot",
                    snap,
                    "--all",
                    "--out",
                    str(root / "versions"),
                ],
                None,
            )
            if not boot
            else (None, None)
        ),
        # the revision just written, run by Alembic on an empty database
        "migration upgrade": (
            (
                [
                    sys.executable,
                    str(BENCH / "alembic_upgrade.py"),
                    str(root / "upgrade"),
                    admin,
                ],
                ["PG_DUMP_LOAD"],
            )
            if not boot
            else (None, None)
        ),
        "init": (
            [
                MG,
                "init",
                "--snapshot",
                snap,
                "--models",
                "app/models",
                "-o",
                str(root / "init" / "modelgen.toml"),
            ],
            None,
        ),
    }


def reuse(admin: str, size: int) -> str:
    """modelgen_bench_SIZE as a --keep run left it (loading 10,000 tables takes minutes)."""
    url = parse_url(admin).with_database(f"modelgen_bench_{size}").render()
    from modelgen.catalog.connect import connect

    try:
        with connect(url) as conn:
            cur = conn.cursor()
            cur.execute(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n "
                "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"
            )
            found = cur.fetchone()[0]
    except Exception as exc:  # noqa: BLE001 - a bench script: say what is missing
        raise SystemExit(f"--reuse: {parse_url(url).safe()}: {exc}") from None
    if found < min(size, 47):
        raise SystemExit(f"--reuse: modelgen_bench_{size} has {found} tables")
    return url


def pg_dump_load(admin: str, dump: Path) -> tuple[float, float]:
    """The verify anchor: psql creating the dumped tables in a fresh database."""
    name = "modelgen_bench_dumpload"
    execute(
        admin,
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'CREATE DATABASE "{name}"',
    )
    target = libpq(parse_url(admin).with_database(name).render())
    try:
        return measure(
            [
                "psql",
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                target,
                "-f",
                str(dump),
            ],
            dump.parent,
        )
    finally:
        execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_layout(
    layout: str, size: int, url: str, admin: str, args, work: Path
) -> list[dict]:
    root = work / f"{layout}_{size}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    env_url = url
    os.environ["DATABASE_URL"] = env_url
    measure([MG, "snapshot", "--url", url, "-o", str(root / "schema.json")], root)
    if layout == "config":
        config_layout(root, root / "schema.json")
    else:
        bootstrap_layout(root, args.split)
    table = commands(layout, root, url, admin, args.split)
    # the models must exist before drift/check/verify: generate once, untimed,
    # and compile them as a user's first import would (bytecode is on below)
    measure(table["generate"][0], root)
    measure([sys.executable, "-m", "compileall", "-q", str(root / "app")], root)
    if table["migration upgrade"][0] is not None:  # its revision, written untimed
        (root / "upgrade").mkdir()
        measure([*table["migration"][0][:-1], str(root / "upgrade")], root)
    dump = root / "dump.sql"
    with dump.open("w") as handle:
        subprocess.run(
            ["pg_dump", "--schema-only", "--no-owner", "-d", url],
            stdout=handle,
            check=True,
        )
    rows = []
    for name, (ours, anchor) in table.items():
        if ours is None or (args.only and name not in args.only):
            continue
        mine: list[tuple[float, float]] = []
        theirs: list[tuple[float, float]] = []
        for _ in range(args.repeat):
            for folder in ("init", "versions", "fresh"):  # each run starts from empty
                shutil.rmtree(root / folder, ignore_errors=True)
                (root / folder).mkdir()
            mine.append(measure(ours, root))
            if anchor == ["PG_DUMP_LOAD"]:
                theirs.append(pg_dump_load(admin, dump))
            elif anchor:
                theirs.append(measure(anchor, root))
        row = {
            "tables": size,
            "layout": layout,
            "command": name,
            "seconds": statistics.median(m[0] for m in mine),
            "mib": statistics.median(m[1] for m in mine),
        }
        if theirs:
            row["anchor_seconds"] = statistics.median(t[0] for t in theirs)
            row["anchor_mib"] = statistics.median(t[1] for t in theirs)
            row["ratio"] = row["seconds"] / row["anchor_seconds"]
        rows.append(row)
        ratio = (
            f"  anchor {row['anchor_seconds']:7.2f} s  ratio {row['ratio']:.2f}"
            if theirs
            else ""
        )
        print(
            f"{size:>6} {layout:<9} {name:<17} {row['seconds']:7.2f} s {row['mib']:6.0f} MiB{ratio}",
            flush=True,
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", help="admin URL of a PostgreSQL server")
    parser.add_argument("--sizes", default="47,1000")
    parser.add_argument("--layouts", default="bootstrap,config")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--split", type=int, default=0, help="bootstrap --split N")
    parser.add_argument(
        "--only", action="append", help="just this command (repeatable)"
    )
    parser.add_argument("--quick", action="store_true", help="47 and 200 tables, once")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="use modelgen_bench_N as an earlier run left it (--keep) instead of loading it",
    )
    parser.add_argument(
        "--keep", action="store_true", help="leave modelgen_bench_N for --reuse"
    )
    args = parser.parse_args()
    # users' Pythons write bytecode: so do the measured processes (this machine's
    # environment sets PYTHONDONTWRITEBYTECODE, which makes every import compile)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    if args.quick:
        args.sizes, args.repeat = "47,200", 1
    admin = find_server(args.server)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="modelgen-bench-") as tmp:
        work = Path(tmp)
        for size in [int(s) for s in args.sizes.split(",")]:
            print(
                f"-- {size} tables, load average {os.getloadavg()[0]:.1f}", flush=True
            )
            url = libpq(reuse(admin, size) if args.reuse else load(admin, size, work))
            for layout in args.layouts.split(","):
                rows += run_layout(layout, size, url, admin, args, work)
            if not args.keep:
                execute(
                    admin,
                    f'DROP DATABASE IF EXISTS "{parse_url(url).database}" WITH (FORCE)',
                )
    out = BENCH / "out"
    out.mkdir(exist_ok=True)
    (out / "commands.json").write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
