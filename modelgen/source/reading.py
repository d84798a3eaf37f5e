"""A model file's body read once with ``ast``: its lines, its top-level statements,
and which of them (and of their members) modelgen owns."""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass, field, replace
from pathlib import Path

from modelgen.errors import ModelgenError
from modelgen.source.ownership import Owned, member_item, module_item, numbered

# The comments modelgen writes above a statement (generate/build.py,
# generate/relationships.py): they come and go with it.
OWN_COMMENT = re.compile(
    r"# (Link table: .* go through it\."
    r"|No primary key in the database: a Table, not a mapped class\."
    r"|Read-only view .*: its own MetaData keeps create_all off it\.)\s*$"
)


@dataclass
class Top:
    """A top-level statement: its lines [start, end), and what it is."""

    start: int
    end: int
    node: ast.stmt
    item: Owned | None
    members: list[tuple[ast.stmt, Owned]] = field(default_factory=list)
    # id() of a member whose merge identity has a place suffix (numbered) -> the
    # identity the header's hash knows it by
    hashed: dict[int, str] = field(default_factory=dict)
    # members (by ast.unparse text) that look like modelgen's but are the team's
    # (None), or whose identity a hand edit changed (the identity they had)
    hand: dict[str, str | None] = field(default_factory=dict)
    table: str | None = None  # the table a mapped class maps (after a rename)


class Source:
    """A file body read once with ast: its lines and its top-level statements."""

    def __init__(self, text: str, path: Path) -> None:
        self.lines = text.splitlines(keepends=True)
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", None) or "?"
            raise ModelgenError(
                f"{path}:{line}: cannot parse the file to keep its hand-written code "
                f"({getattr(exc, 'msg', exc)}); fix it, or move it away to regenerate"
            ) from None
        self.tops = _tops(tree, self.lines)
        self.imports = _import_region(self.tops)
        self._hashed = {k: v for top in self.tops for k, v in top.hashed.items()}

    def text(self, start: int, end: int) -> str:
        return "".join(self.lines[start:end])

    def owned(self) -> list[tuple[ast.stmt, Owned]]:
        found: list[tuple[ast.stmt, Owned]] = []
        for top in self.tops:
            if top.item is not None:
                found.append((top.node, top.item))
            found += top.members
        return found

    def hashed(self, key: int, item: Owned) -> Owned:
        """The statement ``key`` as the header's hash counts it (no place suffix)."""
        identity = self._hashed.get(key)
        return item if identity is None else replace(item, identity=identity)

    def statement(self, node: ast.stmt) -> str:
        lines = self.text(node.lineno - 1, node.end_lineno or node.lineno)
        return textwrap.dedent(lines).strip()

    def own_comments(self, top: Top, gap_start: int) -> int:
        """Where modelgen's own comment lines right above ``top`` begin (top.start
        when there are none), scanning back no further than ``gap_start``."""
        start = top.start
        while start > gap_start and OWN_COMMENT.match(self.lines[start - 1]):
            start -= 1
        return start

    def restrict(
        self, generated: frozenset[int], was: dict[int, str] | None = None
    ) -> None:
        """Only the statements modelgen wrote stay owned; the rest are hand code.
        A statement whose identity a hand edit changed (``was``) gets its own back."""
        was = was or {}
        for top in self.tops:
            if top.item is not None and id(top.node) not in generated:
                top.item, top.members, top.hashed = None, [], {}
                continue
            seen: dict[str, int] = {}
            members: list[tuple[ast.stmt, Owned]] = []
            hashed: dict[int, str] = {}
            hand: dict[str, str | None] = {}
            for node, item in top.members:
                plain = self.hashed(id(node), item)
                if id(node) in was and was[id(node)] != plain.identity:
                    # edited: never equal to production's, whatever its canonical
                    plain = replace(plain, identity=was[id(node)], canonical="")
                    hand[ast.unparse(node)] = plain.identity
                if id(node) not in generated:
                    hand[ast.unparse(node)] = None
                    continue
                nth = numbered(plain, seen)
                members.append((node, nth))
                if nth is not plain or id(node) in was:
                    hashed[id(node)] = self.hashed(id(node), item).identity
            top.members, top.hashed, top.hand = members, hashed, hand
        self._hashed = {k: v for top in self.tops for k, v in top.hashed.items()}

    def rename_classes(self, fresh: Source) -> None:
        """A class whose table production renamed, keeping the class name (``tags``
        to ``tag``: ``Tag``), is the same class: it takes the new table's identity."""
        mine = {t.item.identity for t in self.tops if t.item and t.item.kind == "class"}
        every = {t.item.identity for t in fresh.tops if t.item}
        theirs = {
            t.item.name: t.item.identity
            for t in fresh.tops
            if t.item and t.item.kind == "class" and t.item.identity not in mine
        }
        for top in self.tops:
            item = top.item
            if item is None or item.kind != "class" or item.name not in theirs:
                continue
            if item.identity in every:
                continue
            old = item.identity.removeprefix("class:")
            new = theirs[item.name].removeprefix("class:")
            top.item = replace(item, identity=f"class:{new}")
            top.table = new
            top.members = [
                (node, replace(m, identity=new + m.identity[len(old) :]))
                for node, m in top.members
            ]
            top.hashed = {k: new + v[len(old) :] for k, v in top.hashed.items()}
        self._hashed = {k: v for top in self.tops for k, v in top.hashed.items()}


def _tops(tree: ast.Module, lines: list[str]) -> list[Top]:
    tops: list[Top] = []
    for stmt in tree.body:
        decorators = getattr(stmt, "decorator_list", [])
        start = min([d.lineno for d in decorators] + [stmt.lineno]) - 1
        end = stmt.end_lineno or stmt.lineno
        if tops and start < tops[-1].end:  # `a = 1; b = 2`: one line, the team's
            tops[-1] = Top(tops[-1].start, max(end, tops[-1].end), tops[-1].node, None)
            continue
        if isinstance(stmt, ast.ClassDef):
            end = _class_end(lines, end)
        item = module_item(stmt)
        top = Top(start, end, stmt, item)
        if item is not None and item.kind == "class":
            table = item.identity.removeprefix("class:")
            top.table = table
            seen: dict[str, int] = {}
            for member in getattr(stmt, "body", []):
                owned = member_item(member, table)
                if owned is not None:
                    nth = numbered(owned, seen)
                    top.members.append((member, nth))
                    if nth is not owned:
                        top.hashed[id(member)] = owned.identity
        tops.append(top)
    return tops


def _class_end(lines: list[str], end: int) -> int:
    """A class's last line, counting the indented comments after its last member
    (they are about the class, and go or stay with it)."""
    number = end
    while number < len(lines):
        line = lines[number]
        if line.strip() and not (line[:1].isspace() and line.lstrip().startswith("#")):
            break
        number += 1
        if line.strip():
            end = number
    return end


def import_like(node: ast.stmt) -> bool:
    """An import, or an ``if TYPE_CHECKING:`` block (imports, and the base class type
    checkers see: modelgen/generate/base.py), wherever it is in the file."""
    return isinstance(node, ast.Import | ast.ImportFrom) or (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Name)
        and node.test.id == "TYPE_CHECKING"
    )


def _import_region(tops: list[Top]) -> int:
    """How many leading statements are imports (a module docstring may come first)."""
    count = 0
    for index, top in enumerate(tops):
        node = top.node
        if import_like(node):
            count = index + 1
        elif not (
            index == 0
            and isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
        ):
            break
    return count
