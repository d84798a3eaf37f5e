"""Property: whatever names and texts a database holds, the generated code is only
imports, classes and assignments; every name and text is a literal equal to the
database's; and importing the package maps it without running anything from it."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelgen.catalog.schema import (
    Column,
    Constraint,
    Enum,
    ForeignKey,
    Index,
    IndexElement,
    Schema,
    Table,
    TypeRef,
)
from modelgen.config import STYLES, Config
from modelgen.generate.pipeline import generate_files

# What would do harm if a text ever became code instead of a literal.
PAYLOADS = [
    '"); __import__("pathlib").Path("PWNED").touch(); ("',
    "'); __import__('pathlib').Path('PWNED').touch(); ('",
    '"""\n__import__("pathlib").Path("PWNED").touch()\n"""',
    "'''\n__import__('pathlib').Path('PWNED').touch()\n'''",
    "\\\n__import__('pathlib').Path('PWNED').touch()  #",
    "{__import__('pathlib').Path('PWNED').touch()}",
    "%s %(x)s {0} {{}}",
]
# Python keywords, builtins, module names, Flask-SQLAlchemy and declarative names,
# names differing only in case, with spaces, dots, dashes.
NAMES = [
    "class", "def", "import", "None", "True", "match", "type", "_", "print", "id",
    "self", "cls", "object", "super", "query", "query_class", "metadata",
    "registry", "db", "sa", "uuid", "datetime", "decimal", "postgresql", "typing",
    "Mapped", "Any", "__init__", "__tablename__", "__table_args__", "__table__",
    "__mapper__", "__class__", "__dict__", "Name", "name", "NAME", "with space",
    "dot.ted", "dash-ed", "1digit", "ünï", "漢字", "extensions", "public",
    "relationship", "Model",
]  # fmt: skip
SPECIALS = list("'\"\\\n\r\t#. -{}%$`;()[]:,=@!*\x01\x7f\x85\u2028\ufeffüß漢😀")
CHARS = st.one_of(
    st.sampled_from(SPECIALS),
    st.sampled_from("abcXYZ_019"),
    st.characters(codec="utf-8", exclude_characters="\x00"),
)


def _cut(text: str, limit: int = 63) -> str:
    """PostgreSQL keeps 63 bytes of an identifier or enum label."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


identifiers = st.one_of(
    st.sampled_from(NAMES),
    st.text(CHARS, min_size=1, max_size=63).map(_cut).filter(bool),
)
column_names = identifiers
texts = st.one_of(st.sampled_from(PAYLOADS), st.text(CHARS, min_size=1, max_size=120))


def qi(name: str) -> str:
    """A quoted identifier as PostgreSQL prints it."""
    return '"' + name.replace('"', '""') + '"'


def sql_lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


INT = TypeRef("integer", "int4", "pg_catalog", "b", 0, (), "integer")
TEXT = TypeRef("text", "text", "pg_catalog", "b", 0, (), "text")


@st.composite
def schemas(draw: Any) -> Schema:
    schema_name = draw(st.one_of(st.just("public"), identifiers))
    # relation names (tables, indexes) share one namespace per schema
    relnames = draw(st.lists(identifiers, min_size=2, max_size=6, unique=True))
    n_tables = draw(st.integers(1, max(1, len(relnames) - 1)))
    table_names, index_names = relnames[:n_tables], relnames[n_tables:]
    enum_name = draw(identifiers)
    labels = draw(st.lists(texts.map(_cut), min_size=1, max_size=5, unique=True))
    enum = Enum(schema_name, enum_name, tuple(labels))
    enum_type = TypeRef(
        qi(enum_name), enum_name, schema_name, "e", 0, (), qi(enum_name)
    )
    tables: list[Table] = []
    for table_name in table_names:
        names = draw(st.lists(column_names, min_size=1, max_size=5, unique=True))
        pk_name, *others = names
        columns = [Column(pk_name, INT, False)]
        for name in others:
            kind = draw(st.sampled_from(["text", "int", "enum"]))
            comment = draw(st.none() | texts)
            if kind == "text":
                default = draw(st.none() | texts.map(lambda s: f"{sql_lit(s)}::text"))
                columns.append(Column(name, TEXT, True, default, comment=comment))
            elif kind == "enum":
                label = draw(st.sampled_from(labels))
                default = draw(
                    st.sampled_from([None, f"{sql_lit(label)}::{qi(enum_name)}"])
                )
                columns.append(Column(name, enum_type, True, default, comment=comment))
            else:
                columns.append(Column(name, INT, True, comment=comment))
        fks: tuple[ForeignKey, ...] = ()
        target = tables[0] if tables else None
        if target is not None and draw(st.booleans()):
            fk_col = draw(
                column_names.filter(lambda n, taken=frozenset(names): n not in taken)
            )
            columns.append(Column(fk_col, INT, True))
            fks = (
                ForeignKey(
                    draw(identifiers),
                    (fk_col,),
                    schema_name,
                    target.name,
                    (target.columns[0].name,),
                    on_delete=draw(st.sampled_from([None, "CASCADE"])),
                ),
            )
        checks: tuple[Constraint, ...] = ()
        text_cols = [c.name for c in columns if c.type is TEXT]
        if text_cols and draw(st.booleans()):
            expression = f"{qi(text_cols[0])} <> {sql_lit(draw(texts))}::text"
            checks = (
                Constraint(
                    draw(identifiers),
                    "c",
                    (text_cols[0],),
                    f"CHECK ({expression})",
                    expression,
                ),
            )
        indexes: tuple[Index, ...] = ()
        if text_cols and index_names and draw(st.booleans()):
            predicate = f"{qi(text_cols[-1])} <> {sql_lit(draw(texts))}::text"
            indexes = (
                Index(
                    index_names.pop(),
                    False,
                    "btree",
                    (IndexElement(text_cols[-1], None),),
                    predicate=predicate,
                ),
            )
        tables.append(
            Table(
                schema_name,
                table_name,
                tuple(columns),
                comment=draw(st.none() | texts),
                primary_key=Constraint(
                    _cut(f"{table_name}_pkey"),
                    "p",
                    (pk_name,),
                    f"PRIMARY KEY ({qi(pk_name)})",
                ),
                foreign_keys=fks,
                checks=checks,
                indexes=indexes,
            )
        )
    return Schema(tables=tuple(tables), enums=(enum,), default_schema="public")


# --- what the generated code may contain ------------------------------------------

ALLOWED_IMPORTS = {
    "__future__",
    "datetime",
    "decimal",
    "uuid",
    "typing",
    "sqlalchemy",
    "sqlalchemy.dialects",
    "sqlalchemy.dialects.postgresql",
    "sqlalchemy.orm",
    "flask_sqlalchemy",
    "flask_sqlalchemy.model",
}
# extensions.py's `db = SQLAlchemy()`, then only the db object, SQLAlchemy's modules
# and the classes of the same file.
CALLABLE_ROOTS = {
    "SQLAlchemy",
    "db",
    "sa",
    "postgresql",
    "event",
    "DDL",
    "mapped_column",  # the typed style: sqlalchemy.orm's own functions
    "relationship",
}
FORBIDDEN = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Lambda,
    ast.JoinedStr,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.NamedExpr,
    ast.Await,
    ast.Yield,
    ast.YieldFrom,
    ast.Global,
    ast.Nonlocal,
    ast.Delete,
)


def _root(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def check_import(stmt: ast.Import | ast.ImportFrom, siblings: set[str]) -> None:
    if isinstance(stmt, ast.Import):
        assert all(a.name in ALLOWED_IMPORTS for a in stmt.names), ast.unparse(stmt)
    elif stmt.level:
        assert stmt.level == 1, ast.unparse(stmt)
        modules = [stmt.module] if stmt.module else [a.name for a in stmt.names]
        assert all(m in siblings for m in modules), ast.unparse(stmt)
    else:
        assert stmt.module in ALLOWED_IMPORTS, ast.unparse(stmt)


TYPE_NODES = (
    ast.Expression,
    ast.Name,
    ast.Load,
    ast.Subscript,
    ast.Attribute,
    ast.BinOp,
    ast.BitOr,
    ast.Tuple,
)


def check_annotation(annotation: ast.expr, classes: set[str]) -> None:
    """SQLAlchemy evaluates annotation strings (Mapped["Cls | None"]): each must be a
    plain type expression, never text from the schema."""
    literals = {  # Literal["label", ...]: enum labels, values a type checker reads
        id(arg)
        for node in ast.walk(annotation)
        if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "Literal"
        for arg in ast.walk(node.slice)
    }
    for node in ast.walk(annotation):
        if id(node) in literals:
            assert isinstance(node, ast.Tuple | ast.Constant | ast.Load), ast.dump(node)
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            inner = ast.parse(node.value, mode="eval")
            for part in ast.walk(inner):
                assert isinstance(part, TYPE_NODES) or (
                    isinstance(part, ast.Constant) and part.value is None
                ), node.value


def check_ddl_event(call: ast.Call) -> None:
    """The prerequisites module's one statement form: ``event.listen(db.metadata,
    "<DDL event>", db.DDL("<literal>"))``, the SQL a string constant (data)."""
    assert ast.unparse(call.func) == "event.listen", ast.unparse(call)
    target, name, ddl = call.args
    assert ast.unparse(target) == "db.metadata" and not call.keywords
    assert isinstance(name, ast.Constant) and name.value in (
        "before_create",
        "after_drop",
    )
    assert isinstance(ddl, ast.Call) and ast.unparse(ddl.func) == "db.DDL"
    assert len(ddl.args) == 1 and isinstance(ddl.args[0], ast.Constant)
    assert isinstance(ddl.args[0].value, str) and not ddl.keywords


def check_tree(tree: ast.Module, siblings: set[str]) -> set[str]:
    """Only imports, classes and assignments; every call is db./sa./postgresql. or a
    class of this file. Returns the class names."""
    classes = {s.name for s in tree.body if isinstance(s, ast.ClassDef)}
    for i, stmt in enumerate(tree.body):
        if i == 0 and _is_docstring(stmt):
            continue
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            check_import(stmt, siblings)
        elif isinstance(stmt, ast.If):
            assert isinstance(stmt.test, ast.Name) and stmt.test.id == "TYPE_CHECKING"
            # the base class block (modelgen/generate/base.py)
            assert [ast.unparse(s) for s in stmt.orelse] in ([], ["Model = db.Model"])
            for inner in stmt.body:
                if isinstance(inner, ast.ClassDef):
                    assert ast.unparse(inner).startswith(
                        'class Model(FlaskModel, ModelBase):\n    """'
                    ), ast.unparse(inner)
                    assert len(inner.body) == 1 and _is_docstring(inner.body[0])
                    continue
                assert isinstance(inner, ast.Import | ast.ImportFrom), ast.unparse(
                    inner
                )
                check_import(inner, siblings)
        elif isinstance(stmt, ast.ClassDef):
            assert not stmt.decorator_list and not stmt.keywords
            assert all(_root(b) in ("db", "Model") for b in stmt.bases), ast.unparse(
                stmt
            )
            for j, member in enumerate(stmt.body):
                assert isinstance(member, ast.Assign | ast.AnnAssign) or (
                    j == 0 and _is_docstring(member)
                ), ast.unparse(member)
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            check_ddl_event(stmt.value)
        else:
            assert isinstance(stmt, ast.Assign | ast.AnnAssign), ast.unparse(stmt)
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign):
            check_annotation(node.annotation, classes)
        assert not isinstance(node, FORBIDDEN), ast.unparse(node)
        if isinstance(node, ast.Call):
            root = _root(node.func)
            assert root in CALLABLE_ROOTS | classes, ast.unparse(node)
    return classes


def strings_and_attributes(tree: ast.Module) -> tuple[set[str], set[str]]:
    strings = {
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }
    attributes: set[str] = set()
    for cls in (s for s in tree.body if isinstance(s, ast.ClassDef)):
        for member in cls.body:
            targets = (
                member.targets
                if isinstance(member, ast.Assign)
                else [getattr(member, "target", None)]
            )
            attributes.update(t.id for t in targets if isinstance(t, ast.Name))
    return strings, attributes


def expected_facts(schema: Schema) -> list[dict[str, Any]]:
    """What the imported metadata must say, table by table."""
    return sorted(
        (
            {
                "schema": t.schema,
                "name": t.name,
                "comment": t.comment,
                "columns": [[c.name, c.comment, c.default] for c in t.columns],
                "enums": sorted(
                    {
                        json.dumps([e.name, *e.labels])
                        for c in t.columns
                        if c.type.kind == "e"
                        for e in schema.enums
                    }
                ),
                "checks": sorted([c.name, c.expression] for c in t.checks),
                "indexes": sorted([i.name, i.predicate] for i in t.indexes),
                "fks": sorted([f.name, f.ref_table] for f in t.foreign_keys),
            }
            for t in schema.tables
        ),
        key=lambda d: (d["schema"], d["name"]),
    )


# Run in a fresh interpreter: import each generated package, configure the mappers,
# and report the facts its metadata holds.
PROBE = r"""
import importlib, json, sys, traceback
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable

result = {}
for package in sys.argv[1:]:
    try:
        module = importlib.import_module(package)
        module.db.Model.registry.configure()  # this package's mappers only
        tables = []
        for t in module.db.metadata.tables.values():
            str(CreateTable(t).compile(dialect=postgresql.dialect()))
            for i in t.indexes:
                str(CreateIndex(i).compile(dialect=postgresql.dialect()))
            tables.append({
                "schema": t.schema or "public",
                "name": t.name,
                "comment": t.comment,
                "columns": [
                    [c.name, c.comment,
                     str(c.server_default.arg) if c.server_default is not None else None]
                    for c in t.columns
                ],
                "enums": sorted({
                    json.dumps([c.type.name, *c.type.enums]) for c in t.columns
                    if getattr(c.type, "enums", None) is not None
                }),
                "checks": sorted(
                    [c.name, str(c.sqltext)] for c in t.constraints
                    if type(c).__name__ == "CheckConstraint"
                ),
                "indexes": sorted(
                    [i.name, str(i.dialect_options["postgresql"]["where"])]
                    for i in t.indexes
                ),
                "fks": sorted(
                    [f.name, f.referred_table.name] for f in t.foreign_key_constraints
                ),
            })
        result[package] = sorted(tables, key=lambda d: (d["schema"], d["name"]))
    except Exception:
        result[package] = traceback.format_exc(limit=-3)
print(json.dumps(result))
"""


def test_random_hostile_names_and_texts_stay_data(tmp_path: Path) -> None:
    packages: dict[str, tuple[Schema, list[dict[str, Any]]]] = {}

    @settings(
        max_examples=int(os.environ.get("MODELGEN_PROPERTY_EXAMPLES", "60")),
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.function_scoped_fixture,
        ],
    )
    @given(schema=schemas(), style=st.sampled_from(STYLES))
    def generated_code_is_data(schema: Schema, style: str) -> None:
        package = f"pkg_{len(packages)}"
        out = tmp_path / package
        config = Config(path=None, root=tmp_path, style=style)
        result = generate_files(schema, config, out=out)
        siblings = {f.path.stem for f in result.files}
        strings: set[str] = set()
        attributes: set[str] = set()
        for item in result.files:
            tree = ast.parse(item.content, filename=str(item.path))
            check_tree(tree, siblings)
            found, attrs = strings_and_attributes(tree)
            strings |= found
            attributes |= attrs
        for table in schema.tables:
            assert table.name in strings
            if table.schema != "public":
                assert table.schema in strings
            if table.comment is not None:
                assert table.comment in strings
            for column in table.columns:
                assert column.name in strings or column.name in attributes, column.name
                for text in (column.comment, column.default):
                    assert text is None or text in strings, text
            for check in table.checks:
                assert check.name in strings and check.expression in strings
            for index in table.indexes:
                assert index.name in strings and index.predicate in strings
        for enum in schema.enums:
            if any(c.type.kind == "e" for t in schema.tables for c in t.columns):
                assert enum.name in strings
                assert all(label in strings for label in enum.labels)
        for item in result.files:
            item.path.parent.mkdir(parents=True, exist_ok=True)
            item.path.write_text(item.content, encoding="utf-8")
        packages[package] = (schema, expected_facts(schema))

    generated_code_is_data()

    facts = probe(tmp_path, list(packages))
    for package, (schema, expected) in packages.items():
        assert facts[package] == expected, f"{tmp_path / package}: {schema!r}"
    assert not list(tmp_path.rglob("PWNED")), "importing the models ran schema text"


def probe(folder: Path, packages: list[str]) -> dict[str, Any]:
    """Import the packages in a fresh interpreter; their facts, or a traceback each."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *packages],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": f"{folder}{os.pathsep}{ROOT}", "PATH": os.defpath},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    facts: dict[str, Any] = json.loads(result.stdout)
    return facts


def round_trip(folder: Path, schema: Schema) -> None:
    out = folder / "pkg"
    for item in generate_files(schema, Config(path=None, root=folder), out=out).files:
        item.path.parent.mkdir(parents=True, exist_ok=True)
        item.path.write_text(item.content, encoding="utf-8")
    assert probe(folder, ["pkg"])["pkg"] == expected_facts(schema)


def _table(name: str, *columns: Column, **kw: Any) -> Table:
    pk = Constraint(f"{name}_pkey", "p", (columns[0].name,), "")
    return Table("public", name, columns, primary_key=pk, **kw)


# Bugs the property found once, kept as regression tests.


def test_a_column_named_underscore_is_mapped(tmp_path: Path) -> None:
    round_trip(
        tmp_path,
        Schema(
            tables=(_table("t", Column("id", INT, False), Column("_", TEXT, True)),)
        ),
    )


def test_a_foreign_key_to_a_dotted_name_is_mapped(tmp_path: Path) -> None:
    fk = ForeignKey("x_a_fkey", ("a_id",), "public", "a.b", ("c.d",))
    round_trip(
        tmp_path,
        Schema(
            tables=(
                _table("a.b", Column("c.d", INT, False)),
                _table(
                    "x",
                    Column("id", INT, False),
                    Column("a_id", INT, True),
                    foreign_keys=(fk,),
                ),
            )
        ),
    )


def test_an_enum_named_like_a_builtin_type_creates(tmp_path: Path) -> None:
    enum = TypeRef("public.uuid", "uuid", "public", "e", 0, (), "public.uuid")
    round_trip(
        tmp_path,
        Schema(
            tables=(_table("t", Column("id", INT, False), Column("kind", enum, True)),),
            enums=(Enum("public", "uuid", ("a", "b")),),
        ),
    )
