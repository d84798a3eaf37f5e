"""The import part of the merge: modelgen adds the imports its own statements need,
as new lines in the file's import block, and never edits, moves or removes a line
that is there (a team's imports and the ones modelgen wrote before look alike)."""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import libcst as cst

from modelgen.generate.format import black_format
from modelgen.source.reading import import_like

if TYPE_CHECKING:
    from modelgen.source.decide import HandUses
    from modelgen.source.reading import Source

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def import_block(old: Source, new: Source, remove: set[str]) -> str:
    """The file's import block with the imports production's statements need
    added, and the names in ``remove`` (unused_imports) taken out."""
    old_text = old.text(0, old.tops[old.imports - 1].end) if old.imports else ""
    present = {ast.dump(t.node) for t in old.tops if import_like(t.node)}
    wanted = new.tops[: new.imports]
    if not remove and all(ast.dump(t.node) in present for t in wanted):
        return old_text  # every import modelgen needs is there as it writes it
    old_mod = cst.parse_module(old_text)
    new_mod = cst.parse_module(
        new.text(0, new.tops[new.imports - 1].end) if new.imports else ""
    )
    # imports further down count only above the first statement modelgen writes:
    # a team's `import datetime` at the bottom runs after the classes need it
    first = next((t.start for t in old.tops if t.item is not None), len(old.lines))
    later = [
        cst.parse_statement(old.text(t.start, t.end))
        for t in old.tops[old.imports :]
        if import_like(t.node) and t.end <= first
    ]
    body = _without(old_mod, list(old_mod.body), remove)
    body = merge_imports(old_mod, new_mod, body, later)
    if len(body) == len(old_mod.body) and all(
        a is b for a, b in zip(body, old_mod.body, strict=True)
    ):
        return old_text
    return old_mod.with_changes(body=body).code


def unused_imports(old: Source, before: str, after: str, uses: HandUses) -> set[str]:
    """Names the import block binds that only modelgen's statements used, and that
    none uses any more: used before (``before``, the body after the imports),
    named nowhere now (``after``, the same part merged), and never by hand code."""
    bound: set[str] = set()
    for top in old.tops[: old.imports]:
        node = top.node
        if (
            isinstance(node, ast.Import | ast.ImportFrom)
            and getattr(node, "module", "") != "__future__"
        ):
            bound |= {
                (a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"
            }
    if not bound:
        return set()
    was = set(WORD.findall(before)) & bound
    now = set(WORD.findall(after))
    return {name for name in was - now if uses.first(name) is None}


def _without(
    module: cst.Module, body: list[cst.BaseStatement], remove: set[str]
) -> list[cst.BaseStatement]:
    """``body`` without the import names in ``remove`` (a line left empty goes)."""
    if not remove:
        return body
    from modelgen.source.merge_cst import with_leading

    out: list[cst.BaseStatement] = []
    carry: list[cst.EmptyLine] = []  # the spacing and comments of removed lines
    removed = False
    for node in body:
        keep = node
        small = node.body[0] if isinstance(node, cst.SimpleStatementLine) else None
        if (
            small is not None
            and len(node.body) == 1  # type: ignore[attr-defined]
            and isinstance(small, cst.Import | cst.ImportFrom)
            and not isinstance(small.names, cst.ImportStar)
        ):
            names = list(small.names)
            left = [a for a in names if _bound(module, a) not in remove]
            if not left:
                carry += list(node.leading_lines)  # type: ignore[attr-defined]
                removed = True
                continue
            if len(left) < len(names):
                left[-1] = left[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                keep = node.with_changes(body=[small.with_changes(names=left)])
        if removed:
            if not out:  # the block's first lines went: no blank line above it
                own = [x for x in getattr(keep, "leading_lines", ()) if x.comment]
                keep = keep.with_changes(
                    leading_lines=[x for x in carry if x.comment] + own
                )
            else:
                keep = with_leading(keep, carry)
            carry, removed = [], False
        out.append(keep)
    return out


def _bound(module: cst.Module, alias: cst.ImportAlias) -> str:
    if alias.asname is not None:
        return module.code_for_node(alias.asname.name)
    return module.code_for_node(alias.name).split(".")[0]


def _alias(module: cst.Module, alias: cst.ImportAlias) -> str:
    return module.code_for_node(alias.with_changes(comma=cst.MaybeSentinel.DEFAULT))


def _source(module: cst.Module, node: cst.ImportFrom) -> str:
    dots = "".join("." for _ in node.relative)
    name = "" if node.module is None else module.code_for_node(node.module)
    return dots + name


def _imported(module: cst.Module, small: cst.BaseSmallStatement) -> set[str]:
    """``source:name`` for each name an import binds (``*`` included)."""
    if isinstance(small, cst.Import):
        return {f":{_alias(module, a)}" for a in small.names}
    if isinstance(small, cst.ImportFrom):
        source = _source(module, small)
        if isinstance(small.names, cst.ImportStar):
            return {f"{source}:*"}
        return {f"{source}:{_alias(module, a)}" for a in small.names}
    return set()


def _lines(node: cst.BaseStatement) -> list[cst.SimpleStatementLine]:
    """The import lines of a top-level import line or ``if TYPE_CHECKING:`` block."""
    if isinstance(node, cst.SimpleStatementLine):
        if all(isinstance(s, cst.Import | cst.ImportFrom) for s in node.body):
            return [node]
    if _is_type_checking(node):
        block = cst.ensure_type(node, cst.If).body
        if isinstance(block, cst.IndentedBlock):
            return [s for s in block.body if isinstance(s, cst.SimpleStatementLine)]
    return []


def _is_type_checking(node: cst.BaseStatement) -> bool:
    return (
        isinstance(node, cst.If)
        and isinstance(node.test, cst.Name)
        and node.test.value == "TYPE_CHECKING"
    )


def merge_imports(
    old: cst.Module,
    new: cst.Module,
    body: list[cst.BaseStatement],
    elsewhere: Sequence[cst.BaseStatement] = (),
) -> list[cst.BaseStatement]:
    """``body`` (the file's import block) plus the fresh file's imports that neither
    it nor the file's other top-level imports (``elsewhere``) have."""
    body = list(body)
    present: set[str] = set()
    for node in [*body, *elsewhere]:
        for line in _lines(node):
            for small in line.body:
                present |= _imported(old, small)
    for node in new.body:
        if _is_type_checking(node):
            body = _add_type_checking(old, new, body, node, present)
            continue
        for line in _lines(node):
            for small in line.body:
                missing = _missing(new, small, present)
                if missing:
                    body = _insert(body, _after(old, new, body, small), missing)
    return body


def _missing(
    module: cst.Module, small: cst.BaseSmallStatement, present: set[str]
) -> cst.SimpleStatementLine | None:
    """An import line binding only the names of ``small`` the file lacks."""
    wanted = _imported(module, small)
    lacking = sorted(wanted - present)
    if not lacking:
        return None
    present |= wanted
    names = ", ".join(name.split(":", 1)[1] for name in lacking)
    if isinstance(small, cst.ImportFrom):
        text = f"from {_source(module, small)} import {names}\n"
    else:
        text = f"import {names}\n"
    if len(text) > 88:
        text = black_format(text, "import")
    return cst.ensure_type(cst.parse_statement(text), cst.SimpleStatementLine)


def _after(
    old: cst.Module,
    new: cst.Module,
    body: list[cst.BaseStatement],
    small: cst.BaseSmallStatement,
) -> int:
    """Where a new import goes: after an import from the same module, else after the
    file's leading run of imports."""
    source = _source(new, small) if isinstance(small, cst.ImportFrom) else None
    last = -1
    for index, node in enumerate(body):
        lines = _lines(node) if not _is_type_checking(node) else []
        if not lines:
            if last >= 0 or not _is_docstring(node):
                break
            continue
        last = index
        for line in lines:
            for item in line.body:
                if isinstance(item, cst.ImportFrom) and _source(old, item) == source:
                    return index
    return last


def _is_docstring(node: cst.BaseStatement) -> bool:
    return (
        isinstance(node, cst.SimpleStatementLine)
        and len(node.body) == 1
        and isinstance(node.body[0], cst.Expr)
        and isinstance(node.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def _insert(
    body: list[cst.BaseStatement], after: int, line: cst.BaseStatement | None
) -> list[cst.BaseStatement]:
    if line is None:
        return body
    return body[: after + 1] + [line] + body[after + 1 :]


def _add_type_checking(
    old: cst.Module,
    new: cst.Module,
    body: list[cst.BaseStatement],
    fresh: cst.BaseStatement,
    present: set[str],
) -> list[cst.BaseStatement]:
    lacking = [
        line
        for line in _lines(fresh)
        if any(_imported(new, s) - present for s in line.body)
    ]
    fresh_if = cst.ensure_type(fresh, cst.If)
    for index, node in enumerate(body):
        if _is_type_checking(node):
            block = cst.ensure_type(
                cst.ensure_type(node, cst.If).body, cst.IndentedBlock
            )
            grown = block.with_changes(body=[*block.body, *lacking])
            changes: dict[str, object] = {"body": grown}
            if (
                fresh_if.orelse is not None
                and cst.ensure_type(node, cst.If).orelse is None
            ):
                # a file written before the base class block (generate/base.py):
                # the block's class and its `else: Model = db.Model` come too
                extra = _not_imports(cst.ensure_type(fresh_if.body, cst.IndentedBlock))
                changes["body"] = grown.with_changes(body=[*grown.body, *extra])
                changes["orelse"] = fresh_if.orelse
            elif not lacking:
                return body
            for line in lacking:
                for small in line.body:
                    present |= _imported(new, small)
            return [
                *body[:index],
                cst.ensure_type(node, cst.If).with_changes(**changes),
                *body[index + 1 :],
            ]
    if not lacking:
        return body
    last = max(
        (i for i, node in enumerate(body) if _lines(node)),
        default=-1,
    )
    return _insert(body, last, fresh)


def _not_imports(block: cst.IndentedBlock) -> list[cst.BaseStatement]:
    """A block's statements other than import lines (the base class type checkers see)."""
    return [
        s
        for s in block.body
        if not (
            isinstance(s, cst.SimpleStatementLine)
            and all(isinstance(i, cst.Import | cst.ImportFrom) for i in s.body)
        )
    ]
