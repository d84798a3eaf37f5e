"""The checks of the evolution benchmark, shared by bench/evolution.py and
tests/postgres/test_evolution.py.

A pair (k, k+1) of real schema versions is loaded into scratch databases; a
tool writes an upgrade (and a downgrade); the upgrade runs on a copy of k that
holds a row in every table it can take one, and the result is compared with
k+1; the same upgrade runs on a copy of k+1, which must not change; the
downgrade runs on the upgraded copy, which must then be exactly k with its
rows.  "Compared" is two independent opinions: modelgen.catalog.compare on
fresh reflections (both directions, and every schema-level object), and the
statements of `pg_dump --schema-only`, normalised, as a multiset.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import lzma
import os
import shutil
import subprocess
import sys
import tarfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from modelgen.catalog.compare import compare_schemas
from modelgen.catalog.connect import connect, parse_url
from modelgen.catalog.reflect import quote_ident, reflect_url
from modelgen.catalog.schema import Schema, Table
from modelgen.catalog.scratch import create_database, drop_database, run_sql_file

DATA = Path(__file__).resolve().parent / "evolution" / "osm"
# what a migration tool keeps for itself, never part of the compared schema:
# Alembic's version table, modelgen's log table, and modelgen's schema for the
# data of dropped tables and columns (kept until a team clears it, by design)
BOOKKEEPING_TABLES = ("alembic_version", "modelgen_migration_log")
BOOKKEEPING_SCHEMAS = ("modelgen_backup",)
# psql meta-commands of newer pg_dump (\restrict KEY) that older psql rejects
_META = ("\\restrict", "\\unrestrict")


def read_versions(data: Path = DATA) -> list[tuple[str, str]]:
    """(name, structure.sql text) of every version, oldest first."""
    with lzma.open(data / "structure.tar.xz") as raw:
        blob = raw.read()
    found = []
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        for member in tar.getmembers():
            handle = tar.extractfile(member)
            if handle is not None:
                found.append((Path(member.name).stem, handle.read().decode()))
    return sorted(found)


def loadable(text: str) -> str:
    """structure.sql as psql can load it: without the \\restrict lines."""
    return "".join(
        line for line in text.splitlines(keepends=True) if not line.startswith(_META)
    )


@dataclass
class Facts:
    """What one database holds: its reflection and its pg_dump statements."""

    schema: Schema
    dump: Counter[str]


def facts(url: str) -> Facts:
    return Facts(_without_bookkeeping(reflect_url(url)), dump_statements(url))


def _kept(schema_name: str, name: str) -> bool:
    return schema_name not in BOOKKEEPING_SCHEMAS and not name.startswith(
        BOOKKEEPING_TABLES
    )


def _without_bookkeeping(schema: Schema) -> Schema:
    """``schema`` without the bookkeeping tables (and their sequences) and
    without anything in a bookkeeping schema."""
    kept: dict[str, tuple[object, ...]] = {}
    for kind in ("tables", "enums", "domains", "sequences", "others"):
        kept[kind] = tuple(o for o in getattr(schema, kind) if _kept(o.schema, o.name))
    for kind in ("functions", "composites", "collations", "ranges"):
        kept[kind] = tuple(o for o in getattr(schema, kind) if _kept(o[0], o[1]))
    return dataclasses.replace(schema, **kept)  # type: ignore[arg-type]


def dump_statements(url: str) -> Counter[str]:
    """pg_dump --schema-only as a multiset of statements, without comments,
    SET lines and bookkeeping: the same schema gives the same multiset."""
    args = [shutil.which("pg_dump") or "pg_dump", "--schema-only", "--no-owner"]
    # a bookkeeping table and its sequences (name_id_seq)
    args += [f"--exclude-table={name}*" for name in BOOKKEEPING_TABLES]
    args += [f"--exclude-schema={name}" for name in BOOKKEEPING_SCHEMAS]
    out = subprocess.run(
        args, env=pg_env(url), capture_output=True, text=True, check=True
    )
    lines = [
        line
        for line in out.stdout.splitlines()
        if line.strip()
        and not line.startswith(("--", "SET ", "SELECT pg_catalog.set_config", *_META))
    ]
    return Counter(s.strip() for s in "\n".join(lines).split(";\n") if s.strip())


def pg_env(url: str) -> dict[str, str]:
    """The environment that points libpq's tools (psql, pg_dump) at ``url``."""
    parsed = parse_url(url)
    env = dict(os.environ, PGHOST=parsed.host or "", PGPORT=str(parsed.port or 5432))
    env.update(PGUSER=parsed.user or "", PGDATABASE=parsed.database or "")
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    return env


def differences(want: Facts, got: Facts) -> list[str]:
    """Every fact that differs, from the catalog comparison, then pg_dump's."""
    found = compare_schemas(want.schema, got.schema)
    have = {t.key for t in want.schema.tables}
    found += [
        f"{t.schema}.{t.name}: table not expected"
        for t in got.schema.tables
        if t.key not in have
    ]
    for kind in (
        "enums",
        "domains",
        "sequences",
        "functions",
        "extensions",
        "composites",
        "collations",
        "ranges",
        "others",
    ):
        want_all, got_all = set(getattr(want.schema, kind)), set(
            getattr(got.schema, kind)
        )
        found += [
            f"{kind}: missing {item}" for item in sorted(want_all - got_all, key=str)
        ]
        found += [
            f"{kind}: extra {item}" for item in sorted(got_all - want_all, key=str)
        ]
    missing, extra = want.dump - got.dump, got.dump - want.dump
    found += [f"pg_dump: missing {s}" for s in sorted(missing.elements())]
    found += [f"pg_dump: extra {s}" for s in sorted(extra.elements())]
    return found


# ---- scratch databases: one template per version, copies per check ----


class Databases:
    """Scratch databases on ``admin_url``: each version loaded once into a
    template, then copied (CREATE DATABASE ... TEMPLATE) for every check."""

    def __init__(self, admin_url: str, versions: dict[str, str], workdir: Path):
        self.admin_url = admin_url
        self.versions = versions
        self.workdir = workdir
        self._templates: dict[str, str] = {}
        self._facts: dict[str, Facts] = {}
        self._made: list[str] = []

    def template(self, name: str) -> str:
        if name not in self._templates:
            url = create_database(self.admin_url, f"evolution_v{name}")
            path = self.workdir / f"{name}.sql"
            path.write_text(loadable(self.versions[name]))
            run_sql_file(url, path)
            self._templates[name] = url
        return self._templates[name]

    def facts(self, name: str) -> Facts:
        if name not in self._facts:
            self._facts[name] = facts(self.template(name))
        return self._facts[name]

    def copy(self, name: str) -> str:
        source = parse_url(self.template(name)).database
        url = create_database(self.admin_url, f"evolution_copy_{name}")
        target = parse_url(url).database
        with connect(self.admin_url) as conn:
            cur = conn.cursor()
            cur.execute(f'DROP DATABASE "{target}"')
            cur.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
        self._made.append(url)
        return url

    def drop(self, url: str) -> None:
        drop_database(self.admin_url, url)
        if url in self._made:
            self._made.remove(url)

    def release(self, name: str) -> None:
        """Drop the template of ``name`` (no pair needs it any more)."""
        url = self._templates.pop(name, None)
        if url:
            drop_database(self.admin_url, url)

    def close(self) -> None:
        for url in [*self._made, *self._templates.values()]:
            drop_database(self.admin_url, url)
        self._made.clear()
        self._templates.clear()


# ---- rows: one per table that takes one, kept across upgrade and downgrade ----

_VALUES = {
    "smallint": "1",
    "integer": "1",
    "bigint": "1",
    "numeric": "1",
    "real": "1",
    "double precision": "1",
    "boolean": "true",
    "text": "evolution",
    "character varying": "evolution",
    "character": "e",
    "inet": "192.0.2.1",
    "cidr": "192.0.2.0/24",
    "json": "{}",
    "jsonb": "{}",
    "uuid": "00000000-0000-4000-8000-000000000001",
    "date": "2024-01-02",
    "timestamp without time zone": "2024-01-02 03:04:05",
    "timestamp with time zone": "2024-01-02 03:04:05+00",
    "time without time zone": "03:04:05",
    "interval": "1 day",
    "bytea": "\\x00",
}


def _value(schema: Schema, table: Table, column_name: str) -> str | None:
    column = next(c for c in table.columns if c.name == column_name)
    ref = column.type
    if ref.array_dims:
        return "{}"
    if ref.kind == "e":
        enum = schema.enum(ref.schema, ref.name)
        return enum.labels[0] if enum and enum.labels else None
    base = ref.display.split("(")[0].split(" [")[0].strip()
    return _VALUES.get(base)


def _row_columns(table: Table) -> list[str]:
    return [
        c.name
        for c in table.columns
        if not c.identity
        and not c.generated
        and not (c.default or "").startswith("nextval(")
    ]


def insert_rows(url: str, schema: Schema) -> dict[str, list[str]]:
    """One row in every table without a foreign key whose columns all get a
    value (every column filled, nullable ones too, so that a dropped column has
    data to lose); a table whose checks refuse the row is left empty.  Returns
    each filled table's rows as jsonb text, to compare after the downgrade."""
    filled: list[str] = []
    with connect(url) as conn:
        cur = conn.cursor()
        cur.execute("BEGIN")
        for table in schema.tables:
            if table.foreign_keys or table.partition_key:
                continue
            names = _row_columns(table)
            values = [_value(schema, table, n) for n in names]
            if not names or any(v is None for v in values):
                continue
            target = f"{quote_ident(table.schema)}.{quote_ident(table.name)}"
            cols = ", ".join(quote_ident(n) for n in names)
            marks = ", ".join(["%s"] * len(names))
            cur.execute("SAVEPOINT row")
            try:
                cur.execute(f"INSERT INTO {target} ({cols}) VALUES ({marks})", values)
                filled.append(target)
            except Exception:  # a CHECK or unique index refuses it: skip the table
                cur.execute("ROLLBACK TO SAVEPOINT row")
        cur.execute("COMMIT")
    return read_rows(url, filled)


def read_rows(
    url: str, tables: list[str] | dict[str, list[str]]
) -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    with connect(url) as conn:
        cur = conn.cursor()
        for target in tables:
            try:
                cur.execute(f"SELECT to_jsonb(t)::text FROM {target} t ORDER BY 1")
                rows[target] = [r[0] for r in cur.fetchall()]
            except Exception:
                rows[target] = ["<table missing>"]
    return rows


# ---- Alembic: a throwaway environment, run as a user runs it ----

ENV_PY = '''\
"""A minimal Alembic environment, as Flask-Migrate's: one connection, one transaction."""

import sqlalchemy as sa
from alembic import context

engine = sa.create_engine(
    context.config.get_main_option("sqlalchemy.url"), poolclass=sa.pool.NullPool
)
with engine.connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
'''


def alembic_project(root: Path) -> Path:
    """An Alembic project in ``root``; returns its versions folder."""
    (root / "versions").mkdir(parents=True, exist_ok=True)
    (root / "env.py").write_text(ENV_PY)
    (root / "script.py.mako").write_text("")
    return root / "versions"


def alembic(python: str, root: Path, url: str, *args: str) -> None:
    """``python -m alembic ARGS`` on ``url``; raises Failed with its last line."""
    ini = root / "alembic.ini"
    ini.write_text(f"[alembic]\nscript_location = {root}\nsqlalchemy.url = {url}\n")
    run([python, "-m", "alembic", "-c", str(ini), *args], label=f"alembic {args[0]}")


class Failed(Exception):
    """A step of a tool failed; the message is its last line of output."""


def run(args: list[str], cwd: Path | None = None, label: str = "") -> str:
    """Run a command; on failure raise Failed with its most telling line: the
    last one naming an error (a traceback's exception), else the last one."""
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        lines = (proc.stderr.strip() or proc.stdout.strip() or "failed").splitlines()
        telling = [
            line.strip()
            for line in lines
            if "rror" in line and not line.lstrip().startswith("(Background")
        ]
        name = label or f"{Path(args[0]).name} {args[1]}"
        raise Failed(f"{name}: {(telling or lines)[-1]}")
    return proc.stdout


# ---- one tool on one pair ----


@dataclass
class Plan:
    """What a tool wrote for a pair: how to upgrade and downgrade a database.
    ``None`` upgrade means the tool found nothing to do."""

    upgrade: Callable[[str], None] | None
    downgrade: Callable[[str], None] | None
    seconds: float


@dataclass
class Result:
    pair: str
    tool: str
    exact: str = "-"
    noop: str = "-"
    down_exact: str = "-"
    rows_kept: str = "-"
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    tables_with_rows: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _verdict(diffs: list[str], result: Result, label: str) -> str:
    result.notes += [f"{label}: {d}" for d in diffs[:8]]
    if len(diffs) > 8:
        result.notes.append(f"{label}: ... {len(diffs) - 8} more")
    return "yes" if not diffs else f"no ({len(diffs)})"


def _attempt(step: Callable[[str], None], url: str, result: Result, label: str) -> bool:
    try:
        step(url)
        return True
    except Failed as exc:
        result.notes.append(f"{label}: {exc}")
        return False


def check_pair(
    dbs: Databases, old: str, new: str, tool: str, plan: Callable[[], Plan]
) -> Result:
    """Run ``tool``'s plan for (old, new) through the whole check."""
    result = Result(f"{old}->{new}", tool)
    try:
        made = plan()
    except Failed as exc:
        result.exact = "error"
        result.notes.append(f"write: {exc}")
        return result
    result.seconds = made.seconds
    if made.upgrade is None:  # nothing written: right only if the schemas agree
        result.noop = "yes"
        if differences(dbs.facts(new), dbs.facts(old)):
            result.exact = _verdict(
                differences(dbs.facts(new), dbs.facts(old)), result, "nothing written"
            )
        else:
            result.exact = result.down_exact = result.rows_kept = "yes (same)"
        return result
    with _copies(dbs, old, new) as (work, target):
        rows = insert_rows(work, dbs.facts(old).schema)
        result.tables_with_rows = sorted(rows)
        start = time.perf_counter()
        upgraded = _attempt(made.upgrade, work, result, "upgrade")
        result.seconds += time.perf_counter() - start
        if upgraded:
            result.exact = _verdict(
                differences(dbs.facts(new), facts(work)), result, "upgrade"
            )
        else:
            result.exact = "error"
        if _attempt(made.upgrade, target, result, "no-op"):
            result.noop = _verdict(
                differences(dbs.facts(new), facts(target)), result, "no-op"
            )
        else:
            result.noop = "error"
        if upgraded and made.downgrade is not None:
            if _attempt(made.downgrade, work, result, "downgrade"):
                got = facts(work)
                result.down_exact = _verdict(
                    differences(dbs.facts(old), got), result, "downgrade"
                )
                kept = read_rows(work, rows) == rows
                result.rows_kept = f"yes ({len(rows)})" if kept else "no"
                if not kept:
                    lost = [t for t, r in read_rows(work, rows).items() if r != rows[t]]
                    result.notes.append(f"rows changed in {', '.join(lost[:6])}")
            else:
                result.down_exact = "error"
    return result


@contextlib.contextmanager
def _copies(dbs: Databases, old: str, new: str) -> Iterator[tuple[str, str]]:
    work, target = dbs.copy(old), dbs.copy(new)
    try:
        yield work, target
    finally:
        dbs.drop(work)
        dbs.drop(target)


# ---- modelgen migration --from ----


def venv_python(executable: str) -> str:
    """The Python beside a console script (the venv it was installed in)."""
    beside = Path(executable).with_name("python")
    return str(beside) if beside.exists() else sys.executable


def has_from_option(modelgen: str) -> bool:
    proc = subprocess.run(
        [modelgen, "migration", "--help"], capture_output=True, text=True, check=False
    )
    return "--from" in proc.stdout


class Modelgen:
    """``modelgen snapshot`` of both versions, ``migration --from OLD --snapshot
    NEW``, and the revision run with Alembic in the modelgen executable's venv."""

    name = "modelgen"

    def __init__(self, dbs: Databases, executable: str, workdir: Path):
        self.dbs = dbs
        self.executable = executable
        self.python = venv_python(executable)
        self.workdir = workdir
        self._snapshots: dict[str, Path] = {}

    def snapshot(self, name: str) -> Path:
        if name not in self._snapshots:
            path = self.workdir / f"snapshot-{name}.json"
            run(
                [
                    self.executable,
                    "snapshot",
                    "-q",
                    "--url",
                    self.dbs.template(name),
                    "-o",
                    str(path),
                ]
            )
            self._snapshots[name] = path
        return self._snapshots[name]

    def plan(self, old: str, new: str) -> Plan:
        old_json, new_json = self.snapshot(old), self.snapshot(new)
        root = self.workdir / f"modelgen-{old}-{new}"
        shutil.rmtree(root, ignore_errors=True)
        versions = alembic_project(root)
        start = time.perf_counter()
        run(
            [
                self.executable,
                "migration",
                "--from",
                str(old_json),
                "--snapshot",
                str(new_json),
            ]
            + ["--out", str(versions), "-m", f"osm {old} to {new}"],
            cwd=root,
        )
        seconds = time.perf_counter() - start
        if not list(versions.glob("*.py")):
            return Plan(None, None, seconds)
        return Plan(
            lambda url: alembic(self.python, root, url, "upgrade", "head"),
            lambda url: alembic(self.python, root, url, "downgrade", "base"),
            seconds,
        )
