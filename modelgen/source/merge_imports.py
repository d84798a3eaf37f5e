"""The import part of the merge: modelgen adds the imports its own statements need,
as new lines in the file's import block, and never edits, moves or removes a line
that is there (a team's imports and the ones modelgen wrote before look alike)."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from modelgen.generate.format import black_format


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
