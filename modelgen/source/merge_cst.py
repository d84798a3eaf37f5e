"""The statement-level part of the merge, on libcst: inside one class (or one
statement), production's owned statements replace the file's, new ones go in
after the statement they follow in the fresh file, and every other byte stays."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, replace

import libcst as cst

from modelgen.generate.format import black_format
from modelgen.source.ownership import Owned, member_item, numbered, table_of


@dataclass
class Unit:
    """A statement of a body (module or class) and the owned statement it is, if any."""

    node: cst.BaseStatement
    item: Owned | None
    members: list[Unit] | None = None  # a mapped class's body


def ast_of(module: cst.Module, node: cst.CSTNode) -> list[ast.stmt]:
    try:
        return ast.parse(module.code_for_node(node)).body
    except (SyntaxError, ValueError):
        return []


def class_unit(
    module: cst.Module,
    node: cst.ClassDef,
    table: str | None = None,
    hand: dict[str, str | None] | None = None,
) -> Unit | None:
    """A mapped class as units; ``table`` overrides its ``__tablename__`` (a class
    production renamed the table of); a member whose text (``ast.unparse``) maps
    to None in ``hand`` is the team's, however much it looks like modelgen's, and
    one that maps to an identity had that one before a hand edit changed it."""
    hand = hand or {}
    assert isinstance(node.body, cst.IndentedBlock)
    parsed = [ast_of(module, member) for member in node.body.body]
    table = table or table_of([p[0] for p in parsed if len(p) == 1])
    if table is None:
        return None
    seen: dict[str, int] = {}  # repeated identities numbered, as merge.py does
    members: list[Unit] = []
    for member, p in zip(node.body.body, parsed, strict=True):
        item = member_item(p[0], table) if len(p) == 1 else None
        if item is not None and ast.unparse(p[0]) in hand:
            was = hand[ast.unparse(p[0])]
            # edited: never equal to production's, whatever the canonical text says
            item = None if was is None else replace(item, identity=was, canonical="")
        members.append(Unit(member, None if item is None else numbered(item, seen)))
    return Unit(node, Owned(f"class:{table}", "", "class", node.name.value), members)


class StatementMerger:
    """Places the fresh owned statements among the file's statements."""

    def __init__(
        self,
        fresh: cst.Module,
        drop: set[str],
        matched: set[int],
        names: dict[tuple[str, str], str] | None = None,
        unkey: set[str] | None = None,
    ) -> None:
        self.fresh = fresh
        self.drop = drop
        self.matched = matched  # id() of the file's units that production's replace
        self.footer: list[cst.EmptyLine] = []  # comments left by removed last ones
        # (class, attribute as production names it) -> the team's name for it
        self.names = names or {}
        self.klass = ""  # the class being merged, as production names it
        self.unkey = unkey or set()  # columns held back: kept without their keys

    def sequence(
        self, old: list[Unit], fresh: list[Unit], start: int
    ) -> list[cst.BaseStatement]:
        """Old statements in place (owned ones replaced, dropped ones removed), then each
        new fresh statement right after the one it follows in the fresh file."""
        fresh_by_id = {u.item.identity: u for u in fresh if u.item}
        kept: list[cst.BaseStatement] = []
        position: dict[str, int] = {}
        carry: Sequence[cst.EmptyLine] = ()
        for unit in old:
            ident = unit.item.identity if unit.item else None
            if id(unit) not in self.matched and ident in self.drop:
                # its comments (above it, and the team's at its end) stay
                carry = [*carry, *_leading(unit.node), *_trailing(unit.node)]
                continue
            node = unit.node
            if id(unit) not in self.matched and ident in self.unkey:
                node = self.laid_out(_without_foreign_keys(node))
            if id(unit) in self.matched and ident in fresh_by_id:
                node = self.replace(unit, fresh_by_id[ident])
                position[ident] = len(kept)
            if carry:
                node = with_leading(node, carry)
                carry = ()
            kept.append(node)
        inserts: dict[int, list[cst.BaseStatement]] = {}
        anchor = min(start, len(kept) - 1)
        for unit in fresh:
            ident = unit.item.identity if unit.item else None
            if ident is None:
                continue
            if ident in position:
                anchor = position[ident]
            else:
                inserts.setdefault(anchor, []).append(unit.node)
        result = list(inserts.get(-1, []))
        for index, node in enumerate(kept):
            result.append(node)
            result += inserts.get(index, [])
        self.footer = [line for line in carry if line.comment is not None]
        return result

    def replace(self, old: Unit, fresh: Unit) -> cst.BaseStatement:
        assert old.item is not None and fresh.item is not None
        if old.members is not None and fresh.members is not None:
            self.klass = fresh.item.name
            node = cst.ensure_type(old.node, cst.ClassDef)
            block = cst.ensure_type(node.body, cst.IndentedBlock)
            members = self.sequence(old.members, fresh.members, 0)
            # comments above the class's last statements, when production removed
            # them all, stay at the end of the class
            footer = [*self.footer, *block.footer]
            return node.with_changes(
                body=block.with_changes(body=members, footer=footer)
            )
        final = self.names.get((self.klass, fresh.item.name), fresh.item.name)
        partner = _partner(fresh.node, self.names)
        if old.item.canonical == fresh.item.canonical:  # the team's layout stays
            kept = old.node
            if old.item.name != final:
                kept = _with_target(kept, final)
            if partner is not None:
                kept = _with_back_populates(kept, partner)
            return kept
        new = fresh.node
        if final != fresh.item.name:
            new = self.renamed(fresh, final)
        if partner is not None:
            new = _with_back_populates(new, partner)
        if isinstance(old.node, cst.SimpleStatementLine) and isinstance(
            new, cst.SimpleStatementLine
        ):
            return old.node.with_changes(body=new.body)
        return with_leading(new, _leading(old.node))

    def prune(self, old: Unit) -> cst.BaseStatement:
        """A class production dropped, kept for the team's code, without the
        statements of ``drop``."""
        node = cst.ensure_type(old.node, cst.ClassDef)
        block = cst.ensure_type(node.body, cst.IndentedBlock)
        members = self.sequence(old.members or [], [], 0)
        footer = [*self.footer, *block.footer]
        return node.with_changes(body=block.with_changes(body=members, footer=footer))

    def laid_out(self, node: cst.BaseStatement) -> cst.BaseStatement:
        """``node`` laid out as Black (its comments above it kept)."""
        line = cst.ensure_type(node, cst.SimpleStatementLine)
        code = self.fresh.code_for_node(line.with_changes(leading_lines=()))
        laid = black_format("class _:\n    " + code.strip() + "\n", "merge")
        klass = cst.ensure_type(cst.parse_module(laid).body[0], cst.ClassDef)
        new = cst.ensure_type(klass.body, cst.IndentedBlock).body[0]
        return new.with_changes(leading_lines=line.leading_lines)

    def renamed(self, fresh: Unit, name: str) -> cst.BaseStatement:
        """Production's statement under the team's attribute name, laid out as Black."""
        line = cst.ensure_type(fresh.node, cst.SimpleStatementLine)
        small = line.body[0]
        if isinstance(small, cst.Assign):
            small = small.with_changes(
                targets=[cst.AssignTarget(target=cst.Name(name))]
            )
        elif isinstance(small, cst.AnnAssign):
            small = small.with_changes(target=cst.Name(name))
        value = getattr(small, "value", None)
        if (
            fresh.item is not None
            and fresh.item.kind == "column"
            and isinstance(value, cst.Call)
        ):
            column = fresh.item.identity.rsplit(":column:", 1)[1]
            if not _has_name_arg(value):
                arg = cst.Arg(cst.SimpleString(_quote(column)))
                small = small.with_changes(
                    value=value.with_changes(args=[arg, *value.args])
                )
        code = self.fresh.code_for_node(
            line.with_changes(body=[small], leading_lines=())
        )
        laid = black_format("class _:\n    " + code.strip() + "\n", "merge")
        klass = cst.ensure_type(cst.parse_module(laid).body[0], cst.ClassDef)
        return cst.ensure_type(klass.body, cst.IndentedBlock).body[0]


def _partner(node: cst.BaseStatement, names: dict[tuple[str, str], str]) -> str | None:
    """The other side's attribute a fresh relationship names, under the team's name."""
    arg = _call_arg(node, "back_populates")
    if arg is None or not isinstance(arg.value, cst.SimpleString):
        return None
    value = getattr(getattr(node, "body", [None])[0], "value", None)
    target = value.args[0].value if isinstance(value, cst.Call) and value.args else None
    if not isinstance(target, cst.SimpleString):
        return None
    other = str(target.evaluated_value)
    side = str(arg.value.evaluated_value)
    return names.get((other, side), side)


def _with_back_populates(node: cst.BaseStatement, value: str) -> cst.BaseStatement:
    mine = _call_arg(node, "back_populates")
    if mine is None or (
        isinstance(mine.value, cst.SimpleString) and mine.value.evaluated_value == value
    ):
        return node
    line = cst.ensure_type(node, cst.SimpleStatementLine)
    small = line.body[0]
    call = cst.ensure_type(getattr(small, "value", None), cst.Call)
    args = [
        a.with_changes(value=cst.SimpleString(_quote(value))) if a is mine else a
        for a in call.args
    ]
    return line.with_changes(
        body=[small.with_changes(value=call.with_changes(args=args))]
    )


def _without_foreign_keys(node: cst.BaseStatement) -> cst.BaseStatement:
    line = cst.ensure_type(node, cst.SimpleStatementLine)
    small = line.body[0]
    call = cst.ensure_type(getattr(small, "value", None), cst.Call)
    args = [a for a in call.args if not _is_foreign_key(a.value)]
    if args and args[-1].comma is not cst.MaybeSentinel.DEFAULT:
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return line.with_changes(
        body=[small.with_changes(value=call.with_changes(args=args))]
    )


def _is_foreign_key(value: cst.BaseExpression) -> bool:
    func = value.func if isinstance(value, cst.Call) else None
    if isinstance(func, cst.Attribute):
        return func.attr.value == "ForeignKey"
    return isinstance(func, cst.Name) and func.value == "ForeignKey"


def _with_target(node: cst.BaseStatement, name: str) -> cst.BaseStatement:
    line = cst.ensure_type(node, cst.SimpleStatementLine)
    small = line.body[0]
    if isinstance(small, cst.Assign):
        small = small.with_changes(targets=[cst.AssignTarget(target=cst.Name(name))])
    elif isinstance(small, cst.AnnAssign):
        small = small.with_changes(target=cst.Name(name))
    return line.with_changes(body=[small])


def _call_arg(node: cst.BaseStatement, keyword: str) -> cst.Arg | None:
    if not isinstance(node, cst.SimpleStatementLine) or len(node.body) != 1:
        return None
    value = getattr(node.body[0], "value", None)
    if not isinstance(value, cst.Call):
        return None
    return next(
        (a for a in value.args if a.keyword and a.keyword.value == keyword), None
    )


def _has_name_arg(call: cst.Call) -> bool:
    return bool(call.args) and isinstance(call.args[0].value, cst.SimpleString)


def _quote(name: str) -> str:
    # a database column name as a Python literal (repr, double quotes as Black)
    text = repr(name)
    if text.startswith("'") and '"' not in name:
        text = '"' + text[1:-1] + '"'
    return text


def _trailing(node: cst.CSTNode) -> list[cst.EmptyLine]:
    """The comment at the end of a removed statement's line, as a line of its own."""
    trailing = getattr(node, "trailing_whitespace", None)
    comment = getattr(trailing, "comment", None)
    return [] if comment is None else [cst.EmptyLine(indent=True, comment=comment)]


def _leading(node: cst.CSTNode) -> Sequence[cst.EmptyLine]:
    return getattr(node, "leading_lines", ())


def with_leading(
    node: cst.BaseStatement, lines: Sequence[cst.EmptyLine]
) -> cst.BaseStatement:
    if not hasattr(node, "leading_lines"):
        return node
    own = list(_leading(node))
    # a removed statement's blank lines and comments go to the next statement
    # (they are the team's spacing, not modelgen's); where blank lines meet,
    # the run is as long as the longer of the two, so a removal never adds one
    longest = max(_blank_runs(lines) + _blank_runs(own), default=0)
    merged: list[cst.EmptyLine] = []
    run = 0
    for line in [*lines, *own]:
        run = run + 1 if line.comment is None else 0
        if run <= longest:
            merged.append(line)
    return node.with_changes(leading_lines=merged)


def _blank_runs(lines: Sequence[cst.EmptyLine]) -> list[int]:
    runs = [0]
    for line in lines:
        if line.comment is None:
            runs[-1] += 1
        else:
            runs.append(0)
    return runs


def pairs(units: list[Unit]) -> list[tuple[int, Owned | None]]:
    return [(id(unit), unit.item) for unit in units]
