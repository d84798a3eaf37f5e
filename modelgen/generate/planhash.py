"""The owned-statement hash of a file the built-in templates render, from its plan.

``ownership.owned_hash(body)`` parses the whole formatted module: at 5,000
tables in one module that is a million AST nodes, seconds and most of a first
bootstrap's memory.  The plan already holds every statement the templates
emit (``model_file.py.j2``, ``model_class.py.j2``) as its text, and formatting
(Black's layout) never changes a statement's tree, so the same owned items come
from parsing each statement alone: once per distinct text (generated modules
repeat the same columns and keys across tables), with the collector paused.

The value must be exactly ``owned_hash`` of the rendered and formatted body
(it is recorded in the header, and later runs compare it):
tests/unit/test_plan_hash.py checks both against the parse-based reference on
every golden case and on random schemas.  A user's templates may emit anything,
so with a ``templates`` folder the body itself is hashed (pipeline.header_hash).
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterator

from modelgen.gcpause import collector_paused
from modelgen.generate.ownership import TABLE_ATTRS, Owned, member_item, module_item
from modelgen.generate.plan import AttrPlan, ClassPlan, FilePlan

# Statements a mapped class's table_of() reads, or whose presence makes a
# class without __tablename__ a definition: the only members its item needs.
_CLASS_KEYS = (*TABLE_ATTRS, "__table__")


def _statement(text: str) -> ast.stmt:
    (stmt,) = ast.parse(text).body
    return stmt


def _attr(attr: AttrPlan) -> str:
    """An attribute's line as model_class.py.j2 writes it (unindented)."""
    annotation = f": {attr.annotation}" if attr.annotation else ""
    return f"{attr.name}{annotation} = {attr.expr}"


def _class_members(cls: ClassPlan) -> Iterator[tuple[str, str]]:
    """(attribute name, statement text) of each member, in the template's order."""
    yield "__tablename__", f"__tablename__ = {cls.tablename}"
    if cls.bind_key:
        yield "__bind_key__", f"__bind_key__ = {cls.bind_key}"
    if cls.table_args_tuple:
        yield "__table_args__", f"__table_args__ = {cls.table_args_tuple}"
    for attr in (*cls.columns, *cls.relationships):
        yield attr.name, _attr(attr)


def _indent(lines: list[str]) -> str:
    return "".join(f"    {line}\n" for line in lines)


def _view_source(name: str, table_expr: str, mapper_args: str) -> str:
    return _class_source(
        name,
        "db.Model",
        [f"__table__ = {table_expr}", f"__mapper_args__ = {mapper_args}"],
    )


def _class_source(name: str, base: str, body: list[str]) -> str:
    return f"class {name}({base}):\n" + _indent(body)


def _custom_type_source(name: str, spec: str) -> str:
    return (
        f"class {name}(UserDefinedType):\n"
        '    """A PostgreSQL type SQLAlchemy has no class for: DDL prints its name."""\n'
        "\n"
        "    cache_ok = True\n"
        "\n"
        "    def get_col_spec(self, **kw: Any) -> str:\n"
        f"        return {spec}\n"
    )


class _Hasher:
    """The sorted ``identity<TAB>canonical`` lines of ``ownership.items_hash``."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        # statement text -> its owned item as a member of a class of table ""
        self.members: dict[str, Owned | None] = {}

    def top_level(self, source: str) -> None:
        """A module-level statement (all of its source)."""
        item = module_item(_statement(source))
        if item is not None:
            self.lines.append(f"{item.identity}\t{item.canonical}")

    def mapped_class(self, cls: ClassPlan) -> None:
        members = list(_class_members(cls))
        keys = [_statement(text) for name, text in members if name in _CLASS_KEYS]
        node = ast.ClassDef(
            name=cls.name,
            bases=[ast.Attribute(ast.Name("db", ast.Load()), "Model", ast.Load())],
            keywords=[],
            body=keys,
            decorator_list=[],
        )
        item = module_item(node)
        if item is None or item.kind != "class":
            # not a mapped class after all (never from build.py): parse it whole
            body = [text for _, text in members]
            self.top_level(_class_source(cls.name, "db.Model", body))
            return
        self.lines.append(f"{item.identity}\t{item.canonical}")
        table = item.identity.removeprefix("class:")
        for _, text in members:
            if text not in self.members:
                self.members[text] = member_item(_statement(text), "")
            relative = self.members[text]
            if relative is not None:  # identity "<table>:...", computed with ""
                self.lines.append(f"{table}{relative.identity}\t{relative.canonical}")

    def digest(self) -> str:
        text = "\n".join(sorted(self.lines))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def plan_hash(plan: FilePlan) -> str | None:
    """``owned_hash`` of the body model_file.py.j2 renders for ``plan`` (formatted),
    without rendering or parsing that body: one small parse per distinct statement.

    None when a statement is not one valid statement alone: the body may then not
    parse either, and only ``owned_hash(body)`` says what its hash is."""
    try:
        return _plan_hash(plan)
    except (SyntaxError, ValueError):
        return None


def _plan_hash(plan: FilePlan) -> str:
    hasher = _Hasher()
    with collector_paused():
        for group in plan.import_groups:
            for line in group:
                hasher.top_level(line)
        if plan.type_checking_imports:
            hasher.top_level(
                "if TYPE_CHECKING:\n" + _indent(list(plan.type_checking_imports))
            )
        for name, expr in plan.definitions:
            hasher.top_level(f"{name} = {expr}")
        for name, spec in plan.custom_types:
            hasher.top_level(_custom_type_source(name, spec))
        for cls in plan.classes:
            hasher.mapped_class(cls)
        for view in plan.views:
            hasher.top_level(_view_source(view.name, view.table_expr, view.mapper_args))
        for table in plan.table_vars:
            hasher.top_level(f"{table.name} = {table.expr}")
        for line in plan.listeners:
            hasher.top_level(line)
        return hasher.digest()
