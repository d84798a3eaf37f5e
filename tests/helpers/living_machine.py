"""A stateful model of living models (issue 19, section 3): a team edits a generated
file the ways teams do, production changes, and `generate` (or `--force`) runs.

No database: production is a small in-memory Schema, the files are written to a
temporary folder, imported as a package and configured. The invariants checked
after every run are the issue's:

- every hand statement and comment is kept verbatim (a class production dropped
  stays, named in a "kept" line; a column production dropped that hand code uses
  stays, named in a "held back" line);
- no conflict without an owned edit, and every owned edit is a conflict that
  names its line;
- the files import and configure, with no duplicate names;
- a second run changes nothing (what `check` compares);
- the models equal production (but for what was kept or held back);
- `--force` keeps all hand code and leaves configurable models.

tests/unit/test_living_machine.py runs it for a bounded number of examples;
bench/living_machine.py for as many as asked.
"""

from __future__ import annotations

import ast
import importlib
import itertools
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from modelgen.catalog.schema import (
    Column,
    Constraint,
    ForeignKey,
    Schema,
    Table,
    TypeRef,
)
from modelgen.config import load_config
from modelgen.generate.output import write_files
from modelgen.generate.pipeline import generate_files
from modelgen.source.merge import Conflict, Held, Kept, merge_with_disk
from modelgen.source.ownership import member_item, table_of

TYPES = {
    "int": TypeRef("integer", "int4", "pg_catalog", "b", 0, (), "integer"),
    "text": TypeRef("text", "text", "pg_catalog", "b", 0, (), "text"),
    "ts": TypeRef(
        "timestamp with time zone",
        "timestamptz",
        "pg_catalog",
        "b",
        0,
        (),
        "timestamp with time zone",
    ),
    "json": TypeRef("jsonb", "jsonb", "pg_catalog", "b", 0, (), "jsonb"),
    "num": TypeRef(
        "numeric(10,2)", "numeric", "pg_catalog", "b", 0, ("10", "2"), "numeric(10,2)"
    ),
}


@dataclass
class Spec:
    """A production table: columns (name -> type key), foreign keys (column -> table)."""

    columns: dict[str, str]
    fks: dict[str, str] = field(default_factory=dict)
    key: tuple[str, ...] = ("id",)


def start() -> dict[str, Spec]:
    return {
        "users": Spec({"id": "int", "email": "text", "name": "text", "created": "ts"}),
        "orders": Spec(
            {"id": "int", "user_id": "int", "total": "num", "note": "text"},
            {"user_id": "users"},
        ),
        "tags": Spec({"id": "int", "label": "text"}),
        "payments": Spec(
            {"id": "int", "order_id": "int", "settled_at": "ts", "data": "json"},
            {"order_id": "orders"},
        ),
        "order_tags": Spec(
            {"order_id": "int", "tag_id": "int"},
            {"order_id": "orders", "tag_id": "tags"},
            ("order_id", "tag_id"),
        ),
    }


def to_schema(prod: dict[str, Spec]) -> Schema:
    tables = []
    for name in sorted(prod):
        spec = prod[name]
        columns = tuple(
            Column(c, TYPES[t], nullable=c not in spec.key)
            for c, t in spec.columns.items()
        )
        fks = tuple(
            ForeignKey(f"{name}_{c}_fkey", (c,), "public", target, ("id",))
            for c, target in spec.fks.items()
        )
        key = ", ".join(spec.key)
        tables.append(
            Table(
                "public",
                name,
                columns,
                primary_key=Constraint(
                    f"{name}_pkey", "p", spec.key, f"PRIMARY KEY ({key})"
                ),
                foreign_keys=fks,
            )
        )
    return Schema(tables=tuple(tables))


@dataclass
class Run:
    """What one `generate` said and wrote."""

    contents: dict[str, str]
    conflicts: list[Conflict]
    kept: list[Kept]
    held: list[Held]


MARK = re.compile(r"hand\d+")


class LivingModels(RuleBasedStateMachine):
    """Production, the file on disk and the team's edits, checked after each run."""

    packages = itertools.count()  # imported package names are unique per process

    def __init__(self) -> None:
        super().__init__()
        self.counter = itertools.count()  # names of a run: the same for a seed
        self.tmp = Path(tempfile.mkdtemp(prefix="living-"))
        self.out = self.tmp / "models"
        self.prod = start()
        self.snippets: dict[str, str] = {}  # marker -> hand code as inserted
        self.edits: dict[str, str] = {}  # marker -> an owned statement edited by hand
        self.used: set[tuple[str, str]] = set()  # (class, attr) hand code names
        self.runs = 0
        self.style = "classic"

    # -- setup ---------------------------------------------------------------

    @initialize(style=st.sampled_from(["classic", "typed"]))
    def first_generation(self, style: str) -> None:
        self.style = style
        run = self.generate(force=False)
        assert not run.conflicts
        self.check_run(run)

    def teardown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- production ------------------------------------------------------------

    def fresh_name(self, stem: str) -> str:
        return f"{stem}{next(self.counter)}"

    def plain_tables(self) -> list[str]:
        return sorted(t for t, s in self.prod.items() if s.key == ("id",))

    @rule(data=st.data(), kind=st.sampled_from(sorted(TYPES)))
    def add_column(self, data: st.DataObject, kind: str) -> None:
        tables = self.plain_tables()
        if tables:
            table = data.draw(st.sampled_from(tables))
            self.prod[table].columns[self.fresh_name("col")] = kind

    def droppable(self, table: str) -> list[str]:
        spec = self.prod[table]
        return [c for c in spec.columns if c not in spec.key]

    @rule(data=st.data(), rename=st.booleans())
    def drop_or_rename_column(self, data: st.DataObject, rename: bool) -> None:
        tables = [t for t in self.plain_tables() if self.droppable(t)]
        if not tables:
            return
        table = data.draw(st.sampled_from(tables))
        column = data.draw(st.sampled_from(self.droppable(table)))
        spec = self.prod[table]
        kind = spec.columns.pop(column)
        target = spec.fks.pop(column, None)
        if rename:  # a rename is a drop and an add at the end
            new = self.fresh_name(column.rstrip("0123456789_") + "_")
            spec.columns[new] = kind
            if target is not None:
                spec.fks[new] = target

    @rule(data=st.data(), same_class=st.booleans(), drop=st.booleans())
    def drop_or_rename_table(
        self, data: st.DataObject, same_class: bool, drop: bool
    ) -> None:
        if len(self.prod) < 3:
            return
        table = data.draw(st.sampled_from(sorted(self.prod)))
        spec = self.prod.pop(table)
        if drop:  # CASCADE: the keys that point at it go, their columns stay
            for other in self.prod.values():
                other.fks = {c: t for c, t in other.fks.items() if t != table}
            return
        # tags -> tag keeps the class name Tag; else a new name
        new = table[:-1] if same_class and table.endswith("s") else None
        if new is None or new in self.prod:
            new = self.fresh_name(table + "_v")
        self.prod[new] = spec
        for other in self.prod.values():
            other.fks = {c: (new if t == table else t) for c, t in other.fks.items()}

    @rule(data=st.data())
    def add_foreign_key(self, data: st.DataObject) -> None:
        tables = self.plain_tables()
        if len(tables) < 2:
            return
        table = data.draw(st.sampled_from(tables))
        target = data.draw(st.sampled_from(tables))
        column = self.fresh_name(f"{target}_ref")
        self.prod[table].columns[column] = "int"
        self.prod[table].fks[column] = target

    @rule(data=st.data())
    def drop_foreign_key(self, data: st.DataObject) -> None:
        tables = sorted(t for t, s in self.prod.items() if s.fks and s.key == ("id",))
        if tables:
            spec = self.prod[data.draw(st.sampled_from(tables))]
            spec.fks.pop(data.draw(st.sampled_from(sorted(spec.fks))))

    @rule(data=st.data())
    def add_link_table(self, data: st.DataObject) -> None:
        tables = self.plain_tables()
        if len(tables) < 2 or len(self.prod) > 7:
            return
        a, b = data.draw(
            st.lists(st.sampled_from(tables), min_size=2, max_size=2, unique=True)
        )
        self.prod[self.fresh_name(f"{a}_{b}_")] = Spec(
            {f"{a}_id": "int", f"{b}_id": "int"},
            {f"{a}_id": a, f"{b}_id": b},
            (f"{a}_id", f"{b}_id"),
        )

    # -- the team's edits ----------------------------------------------------------

    @property
    def path(self) -> Path:
        return self.out / "public.py"

    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")

    def classes(self) -> list[ast.ClassDef]:
        return [
            node
            for node in ast.parse(self.text()).body
            if isinstance(node, ast.ClassDef) and table_of(node.body) is not None
        ]

    def columns(self, node: ast.ClassDef) -> list[tuple[ast.stmt, str, str]]:
        """(statement, attribute, database name) of each generated column."""
        table = table_of(node.body) or ""
        found = []
        for stmt in node.body:
            item = member_item(stmt, table)
            if item is not None and item.kind == "column" and self.unedited(stmt):
                found.append((stmt, item.name, item.identity.rsplit(":", 1)[1]))
        return found

    def unedited(self, stmt: ast.stmt) -> bool:
        lines = self.text().splitlines()[stmt.lineno - 1 : stmt.end_lineno]
        return not any(MARK.search(line) for line in lines)

    def insert(self, line: int, code: str, marker: str, hand: bool = True) -> None:
        """``code`` (lines ending in newlines) inserted before 1-based ``line``."""
        lines = self.text().splitlines(keepends=True)
        lines[line - 1 : line - 1] = [code]
        self.path.write_text("".join(lines), encoding="utf-8")
        if hand:
            self.snippets[marker] = code

    def start_of(self, stmt: ast.stmt) -> int:
        decorators = getattr(stmt, "decorator_list", [])
        return min([d.lineno for d in decorators] + [stmt.lineno])

    @rule(data=st.data(), uses=st.booleans(), prop=st.booleans())
    def hand_method(self, data: st.DataObject, uses: bool, prop: bool) -> None:
        classes = self.classes()
        if not classes:
            return
        node = data.draw(st.sampled_from(classes))
        columns = self.columns(node)
        marker = self.fresh_name("hand")
        value = "1"
        if uses and columns:
            _, attr, _ = data.draw(st.sampled_from(columns))
            value = f"self.{attr}"
            self.used.add((node.name, attr))
        deco = "    @property\n" if prop else ""
        code = f"\n{deco}    def {marker}(self) -> object:\n        return {value}\n"
        after = data.draw(st.sampled_from(node.body))
        self.insert((after.end_lineno or after.lineno) + 1, code, marker)

    @rule(data=st.data(), tail=st.booleans())
    def hand_comment(self, data: st.DataObject, tail: bool) -> None:
        tree = ast.parse(self.text())
        marker = self.fresh_name("hand")
        classes = self.classes()
        if tail and classes:  # after a class's last member
            node = data.draw(st.sampled_from(classes))
            line = (node.end_lineno or node.lineno) + 1
            self.insert(line, f"    # {marker} about the class\n", marker)
            return
        columns = [c for n in classes for c in self.columns(n)]
        if columns and data.draw(st.booleans()):  # at the end of a column's line
            stmt, _, _ = data.draw(st.sampled_from(columns))
            lines = self.text().splitlines(keepends=True)
            end = (stmt.end_lineno or stmt.lineno) - 1
            if "#" in lines[end]:
                return
            code = f"  # {marker} trailing"
            lines[end] = lines[end].rstrip("\n") + code + "\n"
            self.path.write_text("".join(lines), encoding="utf-8")
            self.snippets[marker] = code
            return
        targets: list[tuple[ast.stmt, str]] = [(s, "") for s in tree.body[1:]]
        for node in classes:
            targets += [(s, "    ") for s in node.body]
        stmt, indent = data.draw(st.sampled_from(targets))
        self.insert(self.start_of(stmt), f"{indent}# {marker} a note\n", marker)

    @rule(data=st.data(), kind=st.sampled_from(["now", "def", "const"]))
    def module_helper(self, data: st.DataObject, kind: str) -> None:
        tree = ast.parse(self.text())
        marker = self.fresh_name("hand")
        code = {
            "now": f"{marker.upper()} = db.func.now()\n",
            "def": f"\n\ndef {marker}() -> int:\n    return 1\n\n",
            "const": f"{marker.upper()} = 3\n",
        }[kind]
        places = [
            s for s in tree.body if not isinstance(s, ast.Import | ast.ImportFrom)
        ]
        places = [
            s for s in places if s is not tree.body[0] or not isinstance(s, ast.Expr)
        ]
        if not places:
            return
        stmt = data.draw(st.sampled_from(places))
        end = data.draw(st.booleans())
        line = (stmt.end_lineno or stmt.lineno) + 1 if end else self.start_of(stmt)
        self.insert(line, code, marker)

    @rule(where=st.sampled_from(["top", "bottom", "middle"]), data=st.data())
    def hand_import(self, where: str, data: st.DataObject) -> None:
        marker = self.fresh_name("hand")
        lines = self.text().splitlines()
        if where == "top":
            line = next(
                i for i, s in enumerate(lines, 1) if s.startswith("# modelgen-hash")
            )
            self.insert(line + 1, f"import json as {marker}\n", marker)
        elif where == "bottom":
            code = "\nimport datetime  # hand{}\n"
            if any("import datetime  # hand" in s for s in lines):
                return
            self.insert(len(lines) + 1, code.format(marker[4:]), marker)
        else:
            classes = self.classes()
            if classes:
                node = data.draw(st.sampled_from(classes))
                self.insert(
                    self.start_of(node), f"import json as {marker}\n\n\n", marker
                )

    @rule(data=st.data(), look_alike=st.booleans())
    def hand_relationship(self, data: st.DataObject, look_alike: bool) -> None:
        """A viewonly relationship along a key column of the class."""
        choices = []
        names = {table_of(n.body): n.name for n in self.classes()}
        for node in self.classes():
            for stmt, attr, column in self.columns(node):
                table = table_of(node.body)
                target = self.prod.get(table or "", Spec({})).fks.get(column)
                if target in names and attr == column:
                    choices.append((node, stmt, attr, names[target]))
        if not choices:
            return
        node, _, attr, other = data.draw(st.sampled_from(choices))
        marker = self.fresh_name("hand")
        join = f"{node.name}.{attr} == {other}.id"
        if look_alike:  # what modelgen writes, plus the team's keywords
            call = f'"{other}", foreign_keys="{node.name}.{attr}", primaryjoin="{join}", viewonly=True'
        else:
            call = f'"{other}", primaryjoin="foreign({node.name}.{attr}) == {other}.id", viewonly=True'
        self.used |= {(node.name, attr), (other, "id")}
        stmt = data.draw(st.sampled_from(node.body[1:] or node.body))
        line = self.start_of(stmt)
        self.insert(line, f"    {marker} = db.relationship({call})\n", marker)

    @rule(data=st.data())
    def rename_attribute(self, data: st.DataObject) -> None:
        choices = []
        for node in self.classes():
            table = table_of(node.body) or ""
            fks = self.prod.get(table, Spec({})).fks
            for stmt, attr, column in self.columns(node):
                if column in fks or column == "id" or (node.name, attr) in self.used:
                    continue
                if attr == column and column in self.prod.get(table, Spec({})).columns:
                    choices.append(stmt)
        if not choices:
            return
        stmt = data.draw(st.sampled_from(choices))
        lines = self.text().splitlines(keepends=True)
        first = lines[stmt.lineno - 1]
        attr = first.split("=")[0].split(":")[0].strip()
        renamed = re.sub(
            rf"^(\s+){attr}\b(.*?(?:db\.Column|mapped_column)\()",
            rf'\g<1>{attr}_x\g<2>"{attr}", ',
            first,
            count=1,
        )
        lines[stmt.lineno - 1] = renamed
        self.path.write_text("".join(lines), encoding="utf-8")

    @rule(data=st.data(), rename=st.booleans())
    def edit_owned(self, data: st.DataObject, rename: bool) -> None:
        """A hand edit to a generated column: its database name, or a keyword."""
        choices = [
            (n, stmt, attr, col)
            for n in self.classes()
            for stmt, attr, col in self.columns(n)
        ]
        if not choices:
            return
        node, stmt, attr, column = data.draw(st.sampled_from(choices))
        marker = self.fresh_name("hand")
        lines = self.text().splitlines(keepends=True)
        code = "".join(lines[stmt.lineno - 1 : stmt.end_lineno])
        call = re.search(r"(db\.Column|mapped_column)\(", code)
        assert call is not None
        if rename:
            body = code[call.end() :]
            if body.lstrip().startswith('"'):  # the database name is there: replace it
                body = re.sub(r'^\s*"[^"]*"', f'"{marker}"', body, count=1)
            else:
                body = f'"{marker}", ' + body
            code = code[: call.end()] + body
        else:
            stripped = code.rstrip()
            assert stripped.endswith(")")
            inner = stripped[:-1].rstrip().rstrip(",")
            code = f'{inner}, doc="{marker}")\n'
        lines[stmt.lineno - 1 : stmt.end_lineno] = [code]
        self.path.write_text("".join(lines), encoding="utf-8")
        self.edits[marker] = code

    # -- regeneration ------------------------------------------------------------

    def generate(self, force: bool) -> Run:
        config = replace(load_config(None), style=self.style)
        files = list(
            generate_files(to_schema(self.prod), config, [], True, self.out).files
        )
        kept: list[Kept] = []
        held: list[Held] = []
        merged, conflicts = merge_with_disk(files, kept, held)
        if conflicts and not force:
            return Run({}, conflicts, kept, held)
        write_files(merged, force=force)
        self.runs += 1
        contents = {f.path.name: f.content for f in merged}
        return Run(contents, conflicts, kept, held)

    @rule(force=st.booleans())
    def regenerate(self, force: bool) -> None:
        before = self.text()
        run = self.generate(force)
        self.check_conflicts(run, before)
        if run.conflicts and not force:
            assert self.text() == before, "a refused run wrote"
            run = self.generate(force=True)
            self.check_conflicts(run, before)
        self.edits.clear()  # --force took production's statements
        self.check_run(run)

    def check_conflicts(self, run: Run, before: str) -> None:
        lines = before.splitlines()
        edited = {
            number
            for number, text in enumerate(lines, 1)
            for marker in self.edits
            if re.search(rf"\b{marker}\b", text) and not text.lstrip().startswith("#")
        }
        named = {c.line for c in run.conflicts}
        if not self.edits:
            assert not run.conflicts, f"a conflict with no owned edit: {run.conflicts}"
            return
        for marker, code in self.edits.items():
            # markers are words: hand1 is not in hand12
            first = next(n for n in edited if re.search(rf"\b{marker}\b", lines[n - 1]))
            start = first - code.count("\n", 0, code.index(marker))
            if (
                start not in named
                and first not in named
                and os.environ.get("LIVING_DUMP")
            ):
                dump = Path(os.environ["LIVING_DUMP"])  # the file the run started from
                dump.write_text(before + f"\n# named: {sorted(named)}\n")
            assert start in named or first in named, (
                f"the edited statement at line {start} is not named: {sorted(named)}\n"
                + code
            )

    def check_run(self, run: Run) -> None:
        text = run.contents["public.py"]
        for code in self.snippets.values():
            assert code.strip("\n") in text, f"hand code lost:\n{code}"
        tree = ast.parse(text)
        self.no_duplicates(tree)
        module = self.import_models()
        self.equal_production(module, run)
        kept, held = [], []
        again, conflicts = merge_with_disk(
            list(
                generate_files(
                    to_schema(self.prod),
                    replace(load_config(None), style=self.style),
                    [],
                    True,
                    self.out,
                ).files
            ),
            kept,
            held,
        )
        assert conflicts == [], f"the second run finds conflicts: {conflicts}"
        for item in again:
            if item.path.exists():
                assert (
                    item.content == item.path.read_text()
                ), f"a second run changes {item.path.name}"

    def no_duplicates(self, tree: ast.Module) -> None:
        classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
        assert len(classes) == len(set(classes)), f"a class twice: {classes}"
        for node in tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            names = []
            for stmt in node.body:
                if isinstance(stmt, ast.Assign):
                    names += [t.id for t in stmt.targets if isinstance(t, ast.Name)]
                elif isinstance(stmt, ast.AnnAssign) and isinstance(
                    stmt.target, ast.Name
                ):
                    names.append(stmt.target.id)
            assert len(names) == len(
                set(names)
            ), f"{node.name}: an attribute twice: {names}"

    def import_models(self) -> object:
        number = next(self.packages)
        package = f"living_models_{number}"
        target = self.tmp / "import" / package
        shutil.copytree(self.out, target)
        sys.path.insert(0, str(self.tmp / "import"))
        try:
            module = importlib.import_module(package)
            module.db.Model.registry.configure()
            return module
        finally:
            sys.path.remove(str(self.tmp / "import"))

    def equal_production(self, module: object, run: Run) -> None:
        metadata = module.db.metadata  # type: ignore[attr-defined]
        kept = {k.table for k in run.kept}
        held = {(h.table, h.column) for h in run.held}
        assert set(metadata.tables) == set(self.prod) | kept, (
            f"tables {sorted(metadata.tables)} != production {sorted(self.prod)} "
            f"+ kept {sorted(kept)}"
        )
        for name, spec in self.prod.items():
            table = metadata.tables[name]
            extra = {c for t, c in held if t == name}
            assert set(table.columns.keys()) == set(spec.columns) | extra, (
                f"{name}: columns {sorted(table.columns.keys())} != production "
                f"{sorted(spec.columns)} + held back {sorted(extra)}"
            )
            for column, target in spec.fks.items():
                keys = {fk.target_fullname for fk in table.columns[column].foreign_keys}
                assert f"{target}.id" in keys, f"{name}.{column}: no key to {target}"
            for column in table.columns:
                if column.name in spec.columns:
                    kind = type(column.type).__name__
                    assert (
                        TYPE_NAMES[spec.columns[column.name]] == kind
                    ), f"{name}.{column.name}: {kind}"


TYPE_NAMES = {
    "int": "Integer",
    "text": "Text",
    "ts": "DateTime",
    "json": "JSONB",
    "num": "Numeric",
}
