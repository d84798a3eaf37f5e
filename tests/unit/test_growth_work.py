"""init and migration at scale, counted rather than timed (issue 10).

The bench measured both growing faster than the schema from 1,000 to 10,000
tables.  These tests count what made them so: files parsed twice and every tree
kept alive at once (init), work per table that grows with the number of tables
(migration).  The timings are in bench/ (bench/README.md).
"""

from __future__ import annotations

import ast
import contextlib
import gc
import random
import sys
import tracemalloc
import weakref
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers.randschema import random_schema

import modelgen
from modelgen import init
from modelgen.catalog.schema import (
    Column,
    Constraint,
    ForeignKey,
    Schema,
    Table,
    TypeRef,
)
from modelgen.gcpause import collector_paused
from modelgen.generate.columns import ColumnRenderer
from modelgen.generate.render import make_environment
from modelgen.init import _db_imports, build_init_config, detect_db_import
from modelgen.migration import (
    _Collected,
    _table_step,
    _to_sa_tokens,
    build_migration,
    order_tables,
    to_sa,
    with_revision,
)
from modelgen.source.existing import scan_models


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
            self.alive_at_parse.append(self.alive())
            self.parses[str(filename)] += 1
            tree = real_parse(source, filename, *args, **kwargs)
            self._trees.append(weakref.ref(tree))
            return tree

        def walk(node: ast.AST) -> Iterator[ast.AST]:
            self.walks += 1
            return real_walk(node)

        monkeypatch.setattr(ast, "parse", parse)
        monkeypatch.setattr(ast, "walk", walk)

    def alive(self) -> int:
        return sum(1 for tree in self._trees if tree() is not None)


def test_init_parses_each_model_file_once_and_keeps_no_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """init read every file twice (the scan, then the db import, walking every
    expression node) and kept all trees at once: 25 s and 0.8 GB at 10,000 tables."""
    models = _models_dir(tmp_path, files=40)
    watch = ParseWatch(monkeypatch)
    alive_at_resume: list[int] = []

    @contextlib.contextmanager
    def paused() -> Iterator[None]:
        with collector_paused():
            yield
            alive_at_resume.append(watch.alive())

    monkeypatch.setattr(init, "collector_paused", paused)
    result = build_init_config(Schema(tables=()), tmp_path / "modelgen.toml", models)
    # no tree left for the collector's first pass when it is back
    assert alive_at_resume == [0]
    assert 'db_import = "app.ext"' in result.text
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


# -- migration ---------------------------------------------------------------

INT = TypeRef("integer", "int4", "pg_catalog", "b")


def _table(name: str, refs: list[str]) -> Table:
    """A table with an id and one foreign key per name in ``refs``."""
    columns = [Column("id", INT, False)] + [Column(f"{r}_id", INT) for r in refs]
    keys = tuple(
        ForeignKey(f"{name}_{r}_fkey", (f"{r}_id",), "public", r, ("id",)) for r in refs
    )
    primary = Constraint(f"{name}_pkey", "p", ("id",), "PRIMARY KEY (id)")
    return Table("public", name, tuple(columns), primary_key=primary, foreign_keys=keys)


def reference_order(
    tables: list[Table],
) -> tuple[list[Table], set[tuple[str, str, str]]]:
    """order_tables as first written (the definition of the order): the first
    table of what remains whose targets are all placed, else the cycle rule."""
    by_key = {t.key: t for t in tables}
    remaining = list(tables)
    placed: set[tuple[str, str]] = set()
    ordered: list[Table] = []
    deferred: set[tuple[str, str, str]] = set()

    def waits_for(table: Table) -> set[tuple[str, str]]:
        return {
            (fk.ref_schema, fk.ref_table)
            for fk in table.foreign_keys
            if (fk.ref_schema, fk.ref_table) in by_key
            and (fk.ref_schema, fk.ref_table) != table.key
        } - placed

    def reaches(start: tuple[str, str]) -> set[tuple[str, str]]:
        seen: set[tuple[str, str]] = set()
        todo = [start]
        while todo:
            for target in waits_for(by_key[todo.pop()]):
                if target not in seen:
                    seen.add(target)
                    todo.append(target)
        return seen

    while remaining:
        ready = next((t for t in remaining if not waits_for(t)), None)
        if ready is None:
            ready = next(
                t for t in remaining if all(t.key in reaches(w) for w in waits_for(t))
            )
            waits = waits_for(ready)
            for fk in ready.foreign_keys:
                if (fk.ref_schema, fk.ref_table) in waits:
                    deferred.add((ready.schema, ready.name, fk.name))
        remaining.remove(ready)
        placed.add(ready.key)
        ordered.append(ready)
    return ordered, deferred


@pytest.mark.parametrize("seed", range(60))
def test_foreign_key_order_is_the_reference_order(seed: int) -> None:
    """Random graphs: chains either way, cycles, self references, keys to tables
    outside the selection, several keys to one table."""
    rng = random.Random(seed)
    names = [f"t{i}" for i in range(rng.randint(1, 40))]
    outside = ["gone"]
    density = rng.choice([0.02, 0.05, 0.1, 0.3])
    tables = [
        _table(
            name,
            sorted(
                {r for r in names + outside if rng.random() < density}
                | ({names[(i + 1) % len(names)]} if rng.random() < 0.3 else set())
            ),
        )
        for i, name in enumerate(names)
    ]
    rng.shuffle(tables)
    ordered, deferred = order_tables(tables)
    expected_order, expected_deferred = reference_order(tables)
    assert [t.key for t in ordered] == [t.key for t in expected_order]
    assert deferred == expected_deferred


def _python_calls(function: Callable[[], object]) -> int:
    """Calls of modelgen's Python functions while ``function`` runs (deterministic
    work; the collector is off, so no finaliser of other tests' garbage counts)."""
    package = str(Path(modelgen.__file__).parent)
    calls = 0

    def profile(frame, event, arg):  # type: ignore[no-untyped-def]
        nonlocal calls
        if event == "call" and frame.f_code.co_filename.startswith(package):
            calls += 1

    gc.collect()
    with collector_paused():
        sys.setprofile(profile)
        try:
            function()
        finally:
            sys.setprofile(None)
    return calls


def _reversed_chain(size: int, prefix: str) -> list[Table]:
    """Each table references the next one: the order is the reverse of the list."""
    names = [f"{prefix}{i:04d}" for i in range(size)]
    return [
        _table(name, [names[i + 1]] if i + 1 < size else [])
        for i, name in enumerate(names)
    ]


def test_ordering_tables_is_linear_when_they_are_listed_before_their_targets() -> None:
    """The first ready table was looked for from the start of what remained, at
    every step: quadratic when tables come before what they reference."""
    small = _python_calls(lambda: order_tables(_reversed_chain(100, "a")))
    large = _python_calls(lambda: order_tables(_reversed_chain(400, "b")))
    assert large <= 4.5 * small, (small, large)
    ordered, deferred = order_tables(_reversed_chain(5, "c"))
    assert [t.name for t in ordered] == ["c0004", "c0003", "c0002", "c0001", "c0000"]
    assert not deferred


def test_building_a_revision_does_python_work_linear_in_its_tables() -> None:
    def build(size: int, prefix: str) -> Callable[[], object]:
        tables = _reversed_chain(size, prefix)
        schema = Schema(tables=tuple(tables))
        return lambda: build_migration(schema, tables, "0" * 12, None, "m")

    small = _python_calls(build(50, "d"))
    large = _python_calls(build(200, "e"))
    assert large <= 4.5 * small, (small, large)


def test_a_table_step_allocates_nothing_the_size_of_the_selection() -> None:
    """Each foreign key was checked against ``selected | partitions``, a new set
    of every selected table per key: quadratic (7 s of a 10,000-table revision)."""
    table = _table("child", ["parent", "other", "third"])
    schema = Schema(tables=(table,))
    renderer = ColumnRenderer(schema, "classic", keep_not_valid=False)

    def peak(selected_size: int) -> int:
        selected = {("public", f"s{i}") for i in range(selected_size)}
        selected.add(("public", "parent"))
        found = _Collected({}, {}, {}, {}, set(), {})
        tracemalloc.start()
        try:
            start = tracemalloc.get_traced_memory()[0]
            _table_step(schema, renderer, table, set(), selected, found)
            return tracemalloc.get_traced_memory()[1] - start
        finally:
            tracemalloc.stop()

    peak(10)  # warm caches
    assert peak(20_000) - peak(10) < 64 * 1024


@pytest.mark.parametrize("seed", range(12))
def test_the_revision_id_goes_into_the_plan_built_once(seed: int) -> None:
    """generate_migration builds the plan once and puts the id in afterwards: the
    same plan a build for that id makes (a second build doubled every table)."""
    schema = random_schema(seed, tables=8)
    tables = list(schema.tables)
    message = ["all", 'say "hi"', "it's"][seed % 3]
    down = None if seed % 2 else "abc123"
    draft = build_migration(schema, tables, "0" * 12, down, message)
    assert with_revision(draft, "f00dfeedbeef", down, message) == build_migration(
        schema, tables, "f00dfeedbeef", down, message
    )


def test_a_revision_renders_each_table_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from modelgen.migration import tables as migration

    steps: Counter[str] = Counter()
    real = migration._table_step

    def counting(schema, renderer, table, *args):  # type: ignore[no-untyped-def]
        steps[table.name] += 1
        return real(schema, renderer, table, *args)

    monkeypatch.setattr(migration, "_table_step", counting)
    tables = _reversed_chain(6, "f")
    item = migration.generate_migration(
        make_environment(), Schema(tables=tuple(tables)), tables, None, "m"
    )
    assert item.content.count("    if run.create_table(") == 6
    assert steps == {t.name: 1 for t in tables}


EXPRESSIONS = [
    'db.Column("db.x", db.text("db.y"), comment=\'db.z\')',
    "db.Column('it''s', db.Integer)",
    'db.Column("a\\\\", db.Integer, server_default=db.text("\'db.\'"))',
    'db.Column("say \\"db.x\\"", db.String(4))',
    "x.db.y(db.z, db .w, db. v, (db).u, dbx.t, xdb.s, db_.r, db1.q)",
    "db.db.db(db=db.x, y=db)",
    "db.Column(b'db.x', rb\"db.y\", u'db.z', f\"{db}.x\")",
    "db.Enum('a', 'b', name=\"db\")",
    "db.Column(ödb.x, dbö.y, db.ö)",
    'db.Column("#", db.Integer)',
    'db.Column("""db.x""", db.Integer)',
    "db.Column(\n    db.Integer,\n)",
    "db.Column(db.Integer)  # db.x",
    "",
    "db",
    "db.",
]


def test_to_sa_is_the_tokenizer_rewrite_on_edge_cases() -> None:
    for expr in EXPRESSIONS:
        assert to_sa(expr) == _to_sa_tokens(expr), expr


@pytest.mark.parametrize("seed", range(40))
def test_to_sa_is_the_tokenizer_rewrite_on_every_rendered_expression(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every expression a revision of a random schema rewrites (names and
    defaults with quotes, backslashes, newlines, '#', keywords)."""
    from modelgen.migration import tables as migration

    seen: list[str] = []

    def recording(expr: str) -> str:
        seen.append(expr)
        return to_sa(expr)

    monkeypatch.setattr(migration, "to_sa", recording)
    schema = random_schema(seed, tables=10)
    build_migration(schema, list(schema.tables), "0" * 12, None, "m")
    assert seen
    for expr in seen:
        assert to_sa(expr) == _to_sa_tokens(expr), expr
