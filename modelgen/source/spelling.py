"""How a model file spells SQLAlchemy names, and generated code respelled its way.

Generated code writes ``db.String``, ``postgresql.JSONB``, ``Mapped``,
``datetime.datetime``; a file may write ``sa.String``, ``String`` (imported by
name), ``JSONB``, ``datetime``.  ``Spelling`` reads the file's top-level
imports once, ``respell`` rewrites a generated expression (and its string
quotes) the file's way, and ``add_imports`` adds only the imports that were
missing, into the existing import block.
"""

from __future__ import annotations

import importlib
import io
import re
import sys
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass, field

import libcst as cst

from modelgen.source.cst import dotted

# how generated code names modules -> the modules that name can come from
RENDERED_MODULES = {
    "db": ("sqlalchemy", "sqlalchemy.orm"),
    "sa": ("sqlalchemy", "sqlalchemy.orm"),
    "postgresql": ("sqlalchemy.dialects.postgresql",),
    "datetime": ("datetime",),
    "decimal": ("decimal",),
    "uuid": ("uuid",),
}
# bare names generated code uses, and where they come from
RENDERED_NAMES = {"Mapped": "sqlalchemy.orm", "Any": "typing"}


@dataclass
class Spelling:
    """How a file refers to modules and names, from its top-level imports."""

    names: dict[tuple[str, str], str] = field(
        default_factory=dict
    )  # (module, name) -> local
    modules: dict[str, str] = field(default_factory=dict)  # module -> local alias
    has_db: bool = False
    prefer_db: bool = False  # its columns are written db.Column / db.mapped_column
    quote: str = '"'  # the quote most of its strings use
    type_calls: bool = False  # a type without arguments is called: db.Text()
    added: dict[str, list[str]] = field(
        default_factory=dict
    )  # module -> names to import

    @classmethod
    def of(cls, module: cst.Module, source: str | None = None) -> Spelling:
        """How ``module`` (parsed from ``source``) spells imports, names and strings."""
        source = module.code if source is None else source
        spelling = cls()
        for stmt in module.body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                spelling._record(small)
        spelling.prefer_db = "db.Column" in source or "db.mapped_column" in source
        spelling.quote = _dominant_quote(source)
        spelling.type_calls = _calls_types(source)
        return spelling

    def _record(self, small: cst.BaseSmallStatement) -> None:
        if isinstance(small, cst.Import):
            for alias in small.names:
                full = dotted(alias.name) or ""
                local = _alias(alias) or full
                self.modules[full] = local
        elif isinstance(small, cst.ImportFrom) and not isinstance(
            small.names, cst.ImportStar
        ):
            source = dotted(small.module) if small.module else None
            for alias in small.names:
                name = dotted(alias.name) or ""
                local = _alias(alias) or name
                if source:
                    self.names[(source, name)] = local
                    self.modules[f"{source}.{name}"] = local
                if local == "db":
                    self.has_db = True
        elif isinstance(small, cst.Assign):
            for target in small.targets:
                if isinstance(target.target, cst.Name) and target.target.value == "db":
                    self.has_db = True

    def spell(self, rendered_module: str | None, name: str) -> str:
        """How this file writes ``name`` that generated code writes ``rendered_module.name``."""
        if rendered_module is None:
            candidates: tuple[str, ...] = (RENDERED_NAMES.get(name, ""),)
        else:
            candidates = RENDERED_MODULES.get(rendered_module, (rendered_module,))
        for source in candidates:
            if (source, name) in self.names:
                return self.names[(source, name)]
        is_sa = candidates[0] == "sqlalchemy"
        if is_sa and self.has_db and self.prefer_db:
            return f"db.{name}"
        for source in candidates:
            if source in self.modules and _exports(source, name):
                return f"{self.modules[source]}.{name}"
        if is_sa and self.has_db:
            return f"db.{name}"
        source = next((s for s in candidates if _exports(s, name)), candidates[0])
        self.added.setdefault(source, [])
        if name not in self.added[source]:
            self.added[source].append(name)
        self.names[(source, name)] = name
        return name


# the file's habit shows in its first strings: a 2,000-class module's syntax
# tree walked whole for this took longer than everything else --fix does
QUOTE_SAMPLE = 2000


# a column's type when it takes no arguments: `Column(db.Text)` or `Column(db.Text()`
# (after an optional quoted name); group 2 is "()" when the file calls it
_BARE_TYPE = re.compile(
    r"""\b(?:Column|mapped_column)\(\s*(?:[rRuU]?(?:'[^'\n]*'|"[^"\n]*")\s*,\s*)?"""
    r"(?:[A-Za-z_]\w*\.)*([A-Z]\w*)(\(\)|(?=\s*[,)]))"
)


def _calls_types(source: str) -> bool:
    """Whether the file mostly writes a type that takes no arguments as a call
    (``db.Text()``, ``Integer()``) rather than bare (``db.Text``): read from the
    first QUOTE_SAMPLE columns' text, no syntax tree walked."""
    called = bare = 0
    for number, match in enumerate(_BARE_TYPE.finditer(source)):
        if number == QUOTE_SAMPLE:
            break
        if match.group(2):
            called += 1
        else:
            bare += 1
    return called > bare


def _dominant_quote(source: str) -> str:
    """The quote most of the file's first QUOTE_SAMPLE plain strings use; a string
    holding a quote character shows no habit (``"'now'::text"`` must be double)."""
    counts = {"'": 0, '"': 0}
    seen = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type != tokenize.STRING:
                continue
            body = token.string.lstrip("rRbBuUfF")
            prefix = token.string[: len(token.string) - len(body)]
            quote = body[:1]
            # one-line strings only, as the expressions --fix writes: not
            # triple-quoted ones (docstrings) and not f-strings
            inner = body[1:-1]
            if (
                quote in counts
                and body[:3] != quote * 3
                and "f" not in prefix.lower()
                and "'" not in inner
                and '"' not in inner
            ):
                counts[quote] += 1
                seen += 1
                if seen == QUOTE_SAMPLE:
                    break
    except (tokenize.TokenError, SyntaxError):  # libcst read it: count what came
        pass
    return "'" if counts["'"] > counts['"'] else '"'


def _alias(alias: cst.ImportAlias) -> str | None:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return None


def _exports(module: str, name: str) -> bool:
    try:
        return hasattr(importlib.import_module(module), name)
    except ImportError:
        return False


def add_imports(module: cst.Module, added: dict[str, list[str]]) -> cst.Module:
    """Each ``from M import N`` the spelling needed: into an existing ``from M import``
    statement when there is one, else a new line in the import block (after the
    last import from the same package, or the last import)."""
    body = list(module.body)
    for source, names in sorted(added.items()):
        found = _import_from_index(body, source)
        if found is None:
            line = cst.parse_statement(f"from {source} import {', '.join(names)}\n")
            body.insert(_import_position(body, source), line)
            continue
        stmt = body[found]
        assert isinstance(stmt, cst.SimpleStatementLine)
        small = stmt.body[0]
        assert isinstance(small, cst.ImportFrom) and isinstance(small.names, Sequence)
        aliases = [*small.names, *(cst.ImportAlias(name=cst.Name(n)) for n in names)]
        comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        aliases = [
            a.with_changes(comma=comma) if i < len(aliases) - 1 else a
            for i, a in enumerate(aliases)
        ]
        body[found] = stmt.with_changes(body=[small.with_changes(names=aliases)])
    return module.with_changes(body=body)


def _import_position(body: Sequence[cst.BaseStatement], source: str) -> int:
    """After the last import from the same package, else from the same kind
    (standard library or not), else after the last import or the docstring."""
    package = source.split(".")[0]
    last = same = kind = -1
    for index, stmt in enumerate(body):
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        small = stmt.body[0]
        if isinstance(small, cst.ImportFrom) and small.module is not None:
            modules = [dotted(small.module) or ""]
        elif isinstance(small, cst.Import):
            modules = [dotted(a.name) or "" for a in small.names]
        else:
            continue
        last = index
        tops = {m.split(".")[0] for m in modules}
        if package in tops:
            same = index
        if any(_stdlib(t) == _stdlib(package) for t in tops - {"__future__"}):
            kind = index
    for found in (same, kind, last):
        if found >= 0:
            return found + 1
    first = body[0] if body else None
    docstring = (
        isinstance(first, cst.SimpleStatementLine)
        and isinstance(first.body[0], cst.Expr)
        and isinstance(first.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )
    return 1 if docstring else 0


def _stdlib(package: str) -> bool:
    return package in sys.stdlib_module_names


def _import_from_index(body: Sequence[cst.CSTNode], source: str) -> int | None:
    for index, stmt in enumerate(body):
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        small = stmt.body[0]
        if (
            isinstance(small, cst.ImportFrom)
            and small.module is not None
            and dotted(small.module) == source
            and isinstance(small.names, tuple | list)
            and small.lpar is None
        ):
            return index
    return None


class Respell(cst.CSTTransformer):
    """Rewrite generated code's ``db.X`` / ``postgresql.X`` / ``Mapped`` into the file's spelling."""

    def __init__(
        self, spelling: Spelling, inline: dict[str, cst.BaseExpression]
    ) -> None:
        self.spelling = spelling
        self.inline = inline  # enum/domain variables the file does not define

    def leave_Attribute(
        self, original: cst.Attribute, updated: cst.Attribute
    ) -> cst.BaseExpression:
        if (
            isinstance(original.value, cst.Name)
            and original.value.value in RENDERED_MODULES
        ):
            text = self.spelling.spell(original.value.value, original.attr.value)
            return cst.parse_expression(text)
        return updated

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        if original.value in self.inline:
            return self.inline[original.value]
        if original.value in RENDERED_NAMES:
            return cst.parse_expression(self.spelling.spell(None, original.value))
        return updated

    def leave_SimpleString(
        self, original: cst.SimpleString, updated: cst.SimpleString
    ) -> cst.SimpleString:
        """Generated code's "x" in a file that writes 'x' (when nothing needs escaping)."""
        body = original.value[len(original.prefix) + 1 : -1]
        if (
            self.spelling.quote == "'"
            and original.quote == '"'
            and "'" not in body
            and "\\" not in body
        ):
            return updated.with_changes(value=f"{original.prefix}'{body}'")
        return updated

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        # db.X: only the whole attribute is respelled, never the bare module name
        return not (
            isinstance(node.value, cst.Name) and node.value.value in RENDERED_MODULES
        )


def respell(
    text: str, spelling: Spelling, inline: dict[str, cst.BaseExpression] | None = None
) -> cst.BaseExpression:
    """Generated expression text -> a CST node in the file's spelling."""
    node = cst.parse_expression(text)
    result = node.visit(Respell(spelling, inline or {}))
    assert isinstance(result, cst.BaseExpression)
    return result
