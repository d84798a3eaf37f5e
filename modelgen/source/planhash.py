"""The owned-statement hash of a file the built-in templates render, from its plan.

``ownership.owned_hash(body)`` parses the whole formatted module: at 5,000
tables in one module that is a million AST nodes, seconds and most of a first
bootstrap's memory.  The plan already holds every statement the templates
emit (``model_file.py.j2``, ``model_class.py.j2``) as its text, and formatting
(Black's layout) never changes a statement's tree, so the same owned items come
from each statement alone, through the same ``ownership`` functions.  A class
member is parsed once per *skeleton*: its text with the attribute name and the
string literals stood in for (``entity_0042.id`` and ``entity_0043.id`` keys
share one), the real names and strings then written into the owned item.

The value must be exactly ``owned_hash`` of the rendered and formatted body
(it is recorded in the header, and later runs compare it):
tests/unit/test_plan_hash.py checks both against the parse-based reference on
every golden case, the production fixture, random schemas and statements no
schema produces.  A user's templates may emit anything, so with a ``templates``
folder the body itself is hashed (pipeline.header_hash).
"""

from __future__ import annotations

import ast
import hashlib
import keyword
import re
from collections.abc import Iterator

from modelgen.gcpause import collector_paused
from modelgen.generate.plan import AttrPlan, ClassPlan, FilePlan
from modelgen.source.ownership import TABLE_ATTRS, member_item, module_item

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


def _class_members(cls: ClassPlan) -> Iterator[tuple[str, str, bool]]:
    """(attribute name, statement text, whether the text starts with that name
    and a column's or relationship's line) of each member, in the template's order."""
    yield "__tablename__", f"__tablename__ = {cls.tablename}", False
    if cls.bind_key:
        yield "__bind_key__", f"__bind_key__ = {cls.bind_key}", False
    if cls.table_args_tuple:
        yield "__table_args__", f"__table_args__ = {cls.table_args_tuple}", False
    for attr in (*cls.columns, *cls.relationships):
        yield attr.name, _attr(attr), True


# A string literal with nothing to unescape, quoted either way (no prefix, not
# triple-quoted: _skeleton refuses the text around such a literal).
_LITERAL = re.compile(r"(\"[^\"\\\n]*\"|'[^'\\\n]*')")
# Characters a string literal's text cannot hold as they are (NUL and CR stop
# the parse, a lone surrogate its encoding), and other control characters (lit()
# escapes them all; \x01 separates the code between literals below): such a
# text is parsed as it is.
_UNPARSABLE = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff]")
# In the code between literals (joined with \x01): a quote no literal took (an
# escape, a newline), a prefix (r"", b"", f"") or an implicit join ("a" "b", and
# a triple quote, which splits into literals with nothing between them).  A
# literal inside a comment may be replaced: the comment stays one, and its
# placeholder never reaches the tree.
_NOT_PLAIN = re.compile(r"[\"']|\w\x01|\x01\s*\x01")
# Values ownership.py compares a string constant with (_schema_of's dict key):
# kept in the skeleton as they are.
_STEERING = frozenset({"schema"})
# What stands for a member's attribute name in its skeleton (member_item uses
# the name only as a column's identity when no column name is given).
_NAME = "_modelgen_attribute_"


def _plain_name(name: str) -> bool:
    """A name the parser takes as it is (non-ASCII ones it normalises) and that
    member_item treats like any other."""
    return (
        name.isascii()
        and name.isidentifier()
        and not keyword.iskeyword(name)
        and name not in TABLE_ATTRS
    )


def _skeleton(text: str) -> tuple[str, list[str]] | None:
    """``text`` with its string literals (but those of _STEERING) replaced, the
    i-th by one whose value is ``"\\x00i\\x00"``, and the values they had; None
    when one of its literals is not plainly one token with its value between the
    quotes (escapes, prefixes, triple quotes, implicit joins), or the text has a
    character no literal holds as it is.

    Statements that differ only in their strings (the table, column and key
    names) share a skeleton, and the owned item of a skeleton, with each
    placeholder's value and its ``ast.unparse`` text then replaced by the real
    value and its text, is the owned item of the statement: the tokens are the
    same but for the strings' values, ownership.py looks at a string constant's
    value only to copy it (identities) or to compare it with one of _STEERING
    (kept), and ``ast.unparse`` writes a string constant the same way wherever
    it is (f-strings aside, which have a prefix).
    """
    if _UNPARSABLE.search(text):
        return None
    parts = _LITERAL.split(text)
    if _NOT_PLAIN.search("\x01".join(parts[0::2])):
        return None
    values: list[str] = []
    for i in range(1, len(parts), 2):
        value = parts[i][1:-1]
        if value not in _STEERING:
            parts[i] = f'"\\x00{len(values)}\\x00"'
            values.append(value)
    return "".join(parts), values


def _indent(lines: list[str]) -> str:
    return "".join(f"    {line}\n" for line in lines)


def _view_source(name: str, table_expr: str, mapper_args: str, base: str) -> str:
    return _class_source(
        name,
        base,
        [f"__table__ = {table_expr}", f"__mapper_args__ = {mapper_args}"],
    )


def _class_source(name: str, base: str, body: list[str]) -> str:
    return f"class {name}({base}):\n" + _indent(body)


def _custom_type_source(name: str, spec: str) -> str:
    return (
        f"class {name}(UserDefinedType[Any]):\n"
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
        # skeleton (or, when it has none, statement text) -> the line of its
        # owned item as a member of a class of table "" (None: not owned)
        self.members: dict[str, str | None] = {}
        # a member's statement text -> its line (the same columns recur)
        self.texts: dict[str, str | None] = {}
        # skeleton of a class's __tablename__/__table_args__/... -> "class:<table>"
        self.classes: dict[str, str | None] = {}
        # a string's ast.unparse text (its repr, today)
        self.written: dict[str, str] = {}
        # the i-th placeholder's value and its ast.unparse text
        self.placeholders: list[tuple[str, str]] = []

    def top_level(self, source: str) -> None:
        """A module-level statement (all of its source)."""
        item = module_item(_statement(source))
        if item is not None:
            self.lines.append(f"{item.identity}\t{item.canonical}")

    def _filled(self, line: str, values: list[str]) -> str:
        """``line`` (computed on a skeleton) with each placeholder's unparse text,
        then its value, replaced by the real literal's."""
        while len(self.placeholders) < len(values):
            raw = f"\x00{len(self.placeholders)}\x00"
            self.placeholders.append((raw, ast.unparse(ast.Constant(raw))))
        written = self.written
        for (raw, text), value in zip(self.placeholders, values, strict=False):
            if value not in written:
                written[value] = ast.unparse(ast.Constant(value))
            line = line.replace(text, written[value]).replace(raw, value)
        return line

    def _member(self, name: str, text: str, is_attr: bool) -> str | None:
        """The line of the member's owned item in a class of table "" (its text
        decides it: an attribute's line starts with its name)."""
        if text not in self.texts:
            self.texts[text] = self._member_line(name, text, is_attr)
        return self.texts[text]

    def _member_line(self, name: str, text: str, is_attr: bool) -> str | None:
        found = _skeleton(text)
        values: list[str] = []
        if found is None:
            key = text
        else:
            key, values = found
            if is_attr and _plain_name(name) and _NAME not in key:
                key = _NAME + key[len(name) :]
            else:
                is_attr = False
        if key not in self.members:
            item = member_item(_statement(key), "")
            self.members[key] = (
                None if item is None else f"{item.identity}\t{item.canonical}"
            )
        line = self.members[key]
        if line is None or found is None:
            return line
        if is_attr:  # only a column's identity can hold the name
            identity, canonical = line.split("\t", 1)
            line = identity.replace(_NAME, name) + "\t" + canonical
        return self._filled(line, values)

    def _class_item(self, keys: list[str]) -> str | None:
        """``class:<table>`` of a mapped class whose table-level statements are
        ``keys``, or None when it is not one (never from build.py)."""
        found = _skeleton("\n".join(keys))
        key, values = ("\n".join(keys), []) if found is None else found
        if key not in self.classes:
            node = ast.ClassDef(
                name="Model",
                bases=[ast.Attribute(ast.Name("db", ast.Load()), "Model", ast.Load())],
                keywords=[],
                body=ast.parse(key).body,
                decorator_list=[],
            )
            item = module_item(node)
            mapped = item is not None and item.kind == "class"
            self.classes[key] = item.identity if item is not None and mapped else None
        identity = self.classes[key]
        return None if identity is None else self._filled(identity, values)

    def mapped_class(self, cls: ClassPlan) -> None:
        members = list(_class_members(cls))
        identity = self._class_item(
            [text for name, text, _ in members if name in _CLASS_KEYS]
        )
        if identity is None:
            # not a mapped class after all (never from build.py): parse it whole
            body = [text for _, text, _ in members]
            self.top_level(_class_source(cls.name, "db.Model", body))
            return
        self.lines.append(f"{identity}\t")  # a class's canonical text is ""
        table = identity.removeprefix("class:")
        for name, text, is_attr in members:
            line = self._member(name, text, is_attr)
            if line is not None:  # identity "<table>:...", computed with ""
                self.lines.append(table + line)

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
            hasher.top_level(
                _view_source(view.name, view.table_expr, view.mapper_args, plan.base)
            )
        for table in plan.table_vars:
            hasher.top_level(f"{table.name} = {table.expr}")
        for line in plan.listeners:
            hasher.top_level(line)
        return hasher.digest()
