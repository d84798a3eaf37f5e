"""Evolution benchmark: real schema histories through `modelgen migration --from`,
migra and Alembic autogenerate (issue 21).

    .venv/bin/python bench/evolution.py                      # every pair, every tool
    .venv/bin/python bench/evolution.py --steps 1 --limit 5  # the first five pairs
    .venv/bin/python bench/evolution.py --modelgen /other/venv/bin/modelgen --tools modelgen

The versions are bench/evolution/osm/ (50 consecutive states of
openstreetmap-website's db/structure.sql).  Each pair (k, k+step) goes through
bench/evolution_check.check_pair for each tool: upgrade exact, no-op on k+step,
downgrade exact, rows kept, seconds.  The table is printed at the end and the
details (every differing fact) are written to bench/out/evolution.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import produce_migrations, render_python_code
from alembic.runtime.migration import MigrationContext
from evolution_check import (
    DATA,
    Databases,
    Failed,
    Modelgen,
    Plan,
    Result,
    alembic,
    alembic_project,
    check_pair,
    has_from_option,
    pg_env,
    read_versions,
)

from modelgen.catalog.scratch import find_server

HERE = Path(__file__).resolve().parent
MIGRA = HERE / ".venvs" / "migra" / "bin" / "migra"
COLUMNS = ("pair", "tool", "exact", "no-op", "downgrade exact", "rows kept", "seconds")


class Migra:
    """migra's script from k to k+1 (upgrade) and from k+1 to k (downgrade),
    each applied with psql in one transaction."""

    name = "migra"

    def __init__(self, dbs: Databases, executable: str, workdir: Path):
        self.dbs, self.executable, self.workdir = dbs, executable, workdir

    def _diff(self, source: str, target: str) -> str:
        args = [self.executable, "--unsafe", source, target]
        proc = subprocess.run(args, capture_output=True, text=True, check=False)
        if proc.returncode not in (0, 2):  # 2: there are differences
            lines = (proc.stderr.strip() or "failed").splitlines()
            raise Failed(f"migra: {lines[-1]}")
        return proc.stdout

    def plan(self, old: str, new: str) -> Plan:
        start = time.perf_counter()
        old_url, new_url = (plain_url(self.dbs.template(name)) for name in (old, new))
        up, down = self._diff(old_url, new_url), self._diff(new_url, old_url)
        seconds = time.perf_counter() - start
        if not up.strip():
            return Plan(None, None, seconds)
        scripts = {}
        for label, text in (("up", up), ("down", down)):
            scripts[label] = self.workdir / f"migra-{old}-{new}-{label}.sql"
            scripts[label].write_text(text)
        return Plan(
            lambda url: psql_apply(url, scripts["up"]),
            lambda url: psql_apply(url, scripts["down"]),
            seconds,
        )


def plain_url(url: str) -> str:
    """``url`` without a driver: migra's SQLAlchemy 1.4 then uses psycopg2."""
    return "postgresql://" + url.split("://", 1)[1]


def psql_apply(url: str, path: Path) -> None:
    args = ["psql", "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-f", str(path)]
    proc = subprocess.run(args, env=pg_env(url), capture_output=True, text=True)
    if proc.returncode != 0:
        raise Failed(f"psql {path.name}: {proc.stderr.strip().splitlines()[-1]}")


REVISION = '''\
"""{message}"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "autogen"
down_revision = None


def upgrade():
{upgrade}


def downgrade():
{downgrade}
'''


class Autogenerate:
    """Alembic's autogenerate with compare_type and compare_server_default:
    MetaData reflected from the k+1 database, compared with the k database;
    the rendered revision run with `alembic upgrade/downgrade`."""

    name = "autogenerate"

    def __init__(self, dbs: Databases, workdir: Path):
        self.dbs, self.workdir = dbs, workdir

    def plan(self, old: str, new: str) -> Plan:
        start = time.perf_counter()
        metadata = sa.MetaData()
        new_engine = sa.create_engine(
            self.dbs.template(new), poolclass=sa.pool.NullPool
        )
        old_engine = sa.create_engine(
            self.dbs.template(old), poolclass=sa.pool.NullPool
        )
        try:
            metadata.reflect(new_engine)
            with old_engine.connect() as conn:
                options = {"compare_type": True, "compare_server_default": True}
                context = MigrationContext.configure(conn, opts=options)
                script = produce_migrations(context, metadata)
                up = render_python_code(script.upgrade_ops, migration_context=context)
                down = render_python_code(
                    script.downgrade_ops, migration_context=context
                )
        finally:
            new_engine.dispose()
            old_engine.dispose()
        seconds = time.perf_counter() - start
        if script.upgrade_ops is None or script.upgrade_ops.is_empty():
            return Plan(None, None, seconds)
        root = self.workdir / f"autogen-{old}-{new}"
        shutil.rmtree(root, ignore_errors=True)
        versions = alembic_project(root)
        text = REVISION.format(
            message=f"osm {old} to {new}", upgrade=up, downgrade=down
        )
        (versions / "autogen.py").write_text(text)
        return Plan(
            lambda url: alembic(sys.executable, root, url, "upgrade", "head"),
            lambda url: alembic(sys.executable, root, url, "downgrade", "base"),
            seconds,
        )


def pairs(
    names: list[str], steps: list[int], limit: int | None, every: int = 1
) -> list[tuple[str, str]]:
    """(k, k+step) for each step: every ``every``-th k, at most ``limit`` of them."""
    found = []
    for step in steps:
        chosen = [
            (names[i], names[i + step]) for i in range(0, len(names) - step, every)
        ]
        found += chosen[:limit] if limit else chosen
    return found


def table(results: list[Result]) -> str:
    rows = [COLUMNS] + [
        (r.pair, r.tool, r.exact, r.noop, r.down_exact, r.rows_kept, f"{r.seconds:.2f}")
        for r in results
    ]
    return "\n".join(
        "| "
        + " | ".join(row)
        + " |"
        + ("\n|" + "---|" * len(COLUMNS) if i == 0 else "")
        for i, row in enumerate(rows)
    )


def summary(results: list[Result], steps: list[int]) -> str:
    lines = [
        "| pairs | tool | exact | no-op | downgrade exact | rows kept | median seconds |"
    ]
    lines.append("|---|---|---:|---:|---:|---:|---:|")
    for step in steps:
        chosen = [r for r in results if _step(r.pair) == step]
        for tool in dict.fromkeys(r.tool for r in chosen):
            mine = [r for r in chosen if r.tool == tool]
            counts = [
                f"{sum(getattr(r, a).startswith('yes') for r in mine)}/{len(mine)}"
                for a in ("exact", "noop", "down_exact", "rows_kept")
            ]
            median = statistics.median(r.seconds for r in mine)
            label = "k, k+1" if step == 1 else f"k, k+{step}"
            lines.append(
                f"| {label} | {tool} | " + " | ".join(counts) + f" | {median:.2f} |"
            )
    return "\n".join(lines)


def _step(pair: str) -> int:
    old, new = pair.split("->")
    return int(new) - int(old)


def run_pairs(
    dbs: Databases,
    todo: list[tuple[str, str]],
    makers: dict[str, Callable[[str, str], Plan]],
) -> list[Result]:
    """Every pair through every tool, each result printed as it comes; a
    version's template is dropped after the last pair that uses it."""
    last_use = {name: i for i, pair in enumerate(todo) for name in pair}
    results: list[Result] = []
    for i, (old, new) in enumerate(todo):
        for tool, make in makers.items():
            result = check_pair(
                dbs, old, new, tool, lambda m=make, o=old, n=new: m(o, n)
            )
            results.append(result)
            notes = [n if len(n) < 240 else n[:240] + " ..." for n in result.notes[:4]]
            print(table([result]).splitlines()[-1], *notes, sep="\n    ", flush=True)
        for name in (old, new):
            if last_use[name] == i:
                dbs.release(name)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_modelgen = str(Path(sys.executable).with_name("modelgen"))
    parser.add_argument(
        "--modelgen", default=default_modelgen, help="modelgen executable"
    )
    parser.add_argument("--migra", default=str(MIGRA), help="migra executable")
    parser.add_argument("--tools", default="modelgen,migra,autogenerate")
    parser.add_argument("--steps", default="1,10", help="pair distances, e.g. 1,10")
    parser.add_argument("--limit", type=int, help="at most this many pairs per step")
    parser.add_argument("--every", type=int, default=1, help="every N-th k only")
    parser.add_argument(
        "--only", action="append", help="a pair, e.g. 040-041 (repeatable)"
    )
    parser.add_argument(
        "--server-url", help="admin URL (default: as the tests find one)"
    )
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--json", type=Path, default=HERE / "out" / "evolution.json")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # drop the databases
    tools = args.tools.split(",")
    if "modelgen" in tools and not has_from_option(args.modelgen):
        print(
            f"{args.modelgen}: `migration --help` has no --from option", file=sys.stderr
        )
        return 2
    versions = dict(read_versions(args.data))
    steps = [int(s) for s in args.steps.split(",")]
    todo = pairs(sorted(versions), steps, args.limit, args.every)
    if args.only:
        # 040-041 or '040->041' (quoted: > is a shell redirection)
        todo = [tuple(p.replace(">", "").split("-")) for p in args.only]  # type: ignore[misc]
    with tempfile.TemporaryDirectory(prefix="evolution-") as tmp:
        workdir = Path(tmp)
        dbs = Databases(find_server(args.server_url), versions, workdir)
        makers: dict[str, Callable[[str, str], Plan]] = {
            "modelgen": Modelgen(dbs, args.modelgen, workdir).plan,
            "migra": Migra(dbs, args.migra, workdir).plan,
            "autogenerate": Autogenerate(dbs, workdir).plan,
        }
        try:
            results = run_pairs(dbs, todo, {t: makers[t] for t in tools})
        finally:
            dbs.close()
    print("\n" + table(results) + "\n\n" + summary(results, steps))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps([r.as_dict() for r in results], indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
