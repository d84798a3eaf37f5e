"""The merge stage: (the file on disk, the freshly generated file) -> the file to write.

The statements modelgen owns (ownership.py) come from the fresh file; everything
else in the file on disk belongs to the team and is kept byte for byte, in place.
Edits go through libcst, which keeps every byte it does not touch.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from modelgen.errors import ModelgenError
from modelgen.generate.format import black_format
from modelgen.generate.merge_imports import merge_imports
from modelgen.generate.output import GeneratedFile, content_hash, split_header
from modelgen.generate.ownership import (
    Owned,
    items_hash,
    member_item,
    module_item,
    table_of,
)

# Above this many look-alike statements the hash test tries "all" and "none" only.
MAX_SUBSET_SEARCH = 8


@dataclass(frozen=True)
class Conflict:
    """A statement modelgen owns that was edited by hand and differs from production."""

    path: Path
    line: int
    production: str
    file: str


@dataclass(frozen=True)
class Merged:
    content: str  # with conflicts, production's statements replace the file's
    conflicts: tuple[Conflict, ...]


@dataclass
class Unit:
    """A statement of a body (module or class) and the owned statement it is, if any."""

    node: cst.BaseStatement
    item: Owned | None
    members: list[Unit] | None = None  # a mapped class's body


def _ast_of(module: cst.Module, node: cst.CSTNode) -> list[ast.stmt]:
    try:
        return ast.parse(module.code_for_node(node)).body
    except (SyntaxError, ValueError):
        return []


def _units(module: cst.Module) -> list[Unit]:
    units: list[Unit] = []
    for node in module.body:
        if isinstance(node, cst.ClassDef) and isinstance(node.body, cst.IndentedBlock):
            unit = _class_unit(module, node)
            if unit is not None:
                units.append(unit)
                continue
        parsed = _ast_of(module, node)
        item = module_item(parsed[0]) if len(parsed) == 1 else None
        units.append(Unit(node, item))
    return units


def _class_unit(module: cst.Module, node: cst.ClassDef) -> Unit | None:
    assert isinstance(node.body, cst.IndentedBlock)
    parsed = [_ast_of(module, member) for member in node.body.body]
    table = table_of([p[0] for p in parsed if len(p) == 1])
    if table is None:
        return None
    members = [
        Unit(member, member_item(p[0], table) if len(p) == 1 else None)
        for member, p in zip(node.body.body, parsed, strict=True)
    ]
    return Unit(node, Owned(f"class:{table}", "", "class", node.name.value), members)


def _owned(units: list[Unit]) -> list[Unit]:
    found: list[Unit] = []
    for unit in units:
        if unit.item is not None:
            found.append(unit)
        found += _owned(unit.members or [])
    return found


def _generated_subset(
    recorded: str | None, legacy: bool, matched: list[Owned], candidates: list[Owned]
) -> set[str] | None:
    """Which look-alike statements the last run wrote (the rest are the team's), or
    None when no choice reproduces the recorded hash: an owned statement was edited."""
    if legacy:
        return {c.identity for c in candidates}
    sizes: Sequence[int] = range(len(candidates), -1, -1)
    if len(candidates) > MAX_SUBSET_SEARCH:
        sizes = (len(candidates), 0)
    for size in sizes:
        for chosen in combinations(candidates, size):
            if items_hash(matched + list(chosen)) == recorded:
                return {c.identity for c in chosen}
    return None


def merge_file(path: Path, current: str, fresh: str) -> Merged:
    """The fresh file's owned statements placed in the file on disk."""
    recorded, old_body = split_header(current)
    _, fresh_body = split_header(fresh)
    head = fresh[: len(fresh) - len(fresh_body)]
    old, new = _parse(old_body, path), _parse(fresh_body, path)
    old_units, fresh_units = _units(old), _units(new)
    fresh_by_id = {u.item.identity: u for u in _owned(fresh_units) if u.item}
    matched: dict[str, Unit] = {}
    owned = _owned(old_units)
    for exact in (True, False):  # a statement equal to production's first
        for unit in owned:
            assert unit.item is not None
            fresh_unit = fresh_by_id.get(unit.item.identity)
            if fresh_unit is None or unit.item.identity in matched:
                continue
            if not exact or fresh_unit.item.canonical == unit.item.canonical:  # type: ignore[union-attr]
                matched[unit.item.identity] = unit
    chosen = {id(u) for u in matched.values()}
    candidates = [u.item for u in owned if u.item and id(u) not in chosen]
    legacy = recorded == content_hash(old_body)
    generated = _generated_subset(
        recorded, legacy, [u.item for u in matched.values() if u.item], candidates
    )
    edited = [] if generated is not None else _differing(matched, fresh_by_id)
    plan = _Plan(new, generated or set(), chosen)
    body = merge_imports(old, new, [u.node for u in old_units])
    nodes = plan.sequence(_rebuild(old_units, body), fresh_units, _import_end(body))
    merged = head + old.with_changes(body=nodes).code
    conflicts = _conflicts(path, current, old_body, old, edited, fresh_by_id, new)
    return Merged(merged, conflicts)


def _rebuild(units: list[Unit], body: list[cst.BaseStatement]) -> list[Unit]:
    """``units`` after the import pass (which only replaces or adds import lines)."""
    by_node = {id(u.node): u for u in units}
    return [by_node.get(id(node), Unit(node, None)) for node in body]


def _import_end(body: list[cst.BaseStatement]) -> int:
    """Index of the last import of the leading import run (-1: none)."""
    last = -1
    for index, node in enumerate(body):
        if _is_import(node):
            last = index
        elif not _is_docstring(node):
            break
    return last


def _is_import(node: cst.BaseStatement) -> bool:
    if isinstance(node, cst.SimpleStatementLine):
        return all(isinstance(s, cst.Import | cst.ImportFrom) for s in node.body)
    return (
        isinstance(node, cst.If)
        and isinstance(node.test, cst.Name)
        and node.test.value == "TYPE_CHECKING"
    )


def _is_docstring(node: cst.BaseStatement) -> bool:
    return (
        isinstance(node, cst.SimpleStatementLine)
        and len(node.body) == 1
        and isinstance(node.body[0], cst.Expr)
        and isinstance(node.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def _differing(matched: dict[str, Unit], fresh: dict[str, Unit]) -> list[str]:
    return sorted(
        ident
        for ident, unit in matched.items()
        if unit.item and unit.item.canonical != fresh[ident].item.canonical  # type: ignore[union-attr]
    )


def _parse(body: str, path: Path) -> cst.Module:
    try:
        return cst.parse_module(body)
    except cst.ParserSyntaxError as exc:
        raise ModelgenError(
            f"{path}:{exc.raw_line}: cannot parse the file to keep its hand-written code "
            f"({exc.message}); fix it, or move it away to regenerate"
        ) from None


class _Plan:
    """Places the fresh owned statements among the file's statements."""

    def __init__(self, fresh: cst.Module, drop: set[str], matched: set[int]) -> None:
        self.fresh = fresh
        self.drop = drop
        self.matched = matched  # id() of the file's units that production's replace

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
                carry = list(carry) + list(_leading(unit.node))
                continue
            node = unit.node
            if id(unit) in self.matched and ident in fresh_by_id:
                node = self.replace(unit, fresh_by_id[ident])
                position[ident] = len(kept)
            if carry:
                node = _with_leading(node, carry)
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
        return result

    def replace(self, old: Unit, fresh: Unit) -> cst.BaseStatement:
        assert old.item is not None and fresh.item is not None
        if old.members is not None and fresh.members is not None:
            node = cst.ensure_type(old.node, cst.ClassDef)
            block = cst.ensure_type(node.body, cst.IndentedBlock)
            members = self.sequence(old.members, fresh.members, 0)
            return node.with_changes(body=block.with_changes(body=members))
        if old.item.canonical == fresh.item.canonical:
            return old.node
        new = fresh.node
        if old.item.name and old.item.name != fresh.item.name:
            new = self.renamed(fresh, old.item)
        if old.item.kind == "relationship":
            new = _keep_back_populates(old.node, new)
        if isinstance(old.node, cst.SimpleStatementLine) and isinstance(
            new, cst.SimpleStatementLine
        ):
            return old.node.with_changes(body=new.body)
        return _with_leading(new, _leading(old.node))

    def renamed(self, fresh: Unit, old: Owned) -> cst.BaseStatement:
        """Production's statement under the team's attribute name, laid out as Black."""
        line = cst.ensure_type(fresh.node, cst.SimpleStatementLine)
        small = line.body[0]
        if isinstance(small, cst.Assign):
            small = small.with_changes(
                targets=[cst.AssignTarget(target=cst.Name(old.name))]
            )
        elif isinstance(small, cst.AnnAssign):
            small = small.with_changes(target=cst.Name(old.name))
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


def _keep_back_populates(
    old: cst.BaseStatement, new: cst.BaseStatement
) -> cst.BaseStatement:
    """Production's relationship, still pointing at the other side's attribute under
    the name the team gave it."""
    mine = _call_arg(old, "back_populates")
    if mine is None or _call_arg(new, "back_populates") is None:
        return new
    line = cst.ensure_type(new, cst.SimpleStatementLine)
    small = line.body[0]
    call = cst.ensure_type(getattr(small, "value", None), cst.Call)
    args = list(call.args)
    index = next(
        i
        for i, a in enumerate(args)
        if a.keyword and a.keyword.value == "back_populates"
    )
    args[index] = mine.with_changes(comma=args[index].comma)
    value = call.with_changes(args=args)
    return line.with_changes(body=[small.with_changes(value=value)])


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


def _leading(node: cst.CSTNode) -> Sequence[cst.EmptyLine]:
    return getattr(node, "leading_lines", ())


def _with_leading(
    node: cst.BaseStatement, lines: Sequence[cst.EmptyLine]
) -> cst.BaseStatement:
    if not hasattr(node, "leading_lines"):
        return node
    own = list(_leading(node))
    if any(line.comment for line in lines) or not own:
        return node.with_changes(leading_lines=[*lines, *own])
    return node


def _conflicts(
    path: Path,
    current: str,
    old_body: str,
    old: cst.Module,
    edited: list[str],
    fresh_by_id: dict[str, Unit],
    new: cst.Module,
) -> tuple[Conflict, ...]:
    if not edited:
        return ()
    offset = current[: len(current) - len(old_body)].count("\n")
    wrapper = MetadataWrapper(old, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    found: list[Conflict] = []
    for unit in _owned(_units(old)):
        if unit.item is None or unit.item.identity not in edited:
            continue
        edited.remove(unit.item.identity)
        line = offset + positions[unit.node].start.line
        production = _code(new, fresh_by_id[unit.item.identity].node)
        found.append(Conflict(path, line, production, _code(old, unit.node)))
    return tuple(sorted(found, key=lambda c: c.line))


def _code(module: cst.Module, node: cst.CSTNode) -> str:
    if hasattr(node, "leading_lines"):
        node = node.with_changes(leading_lines=())
    return module.code_for_node(node).strip()


def merge_with_disk(
    files: list[GeneratedFile],
) -> tuple[list[GeneratedFile], list[Conflict]]:
    """Each generated file merged with the version on disk, and every conflict found.

    Files absent, unchanged, or not written by modelgen pass through as they are:
    the write step decides about those."""
    result: list[GeneratedFile] = []
    conflicts: list[Conflict] = []
    for item in files:
        current = _read(item)
        if (
            current is None
            or current == item.content
            or split_header(current)[0] is None
        ):
            result.append(item)
            continue
        merged = merge_file(item.path, current, item.content)
        conflicts += merged.conflicts
        result.append(
            GeneratedFile(
                item.path,
                merged.content,
                item.tables,
                item.overwrite_if_present,
                merged=not merged.conflicts,
            )
        )
    return result, conflicts


def _read(item: GeneratedFile) -> str | None:
    if not item.overwrite_if_present or not item.path.is_file():
        return None
    try:
        return item.path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None  # the write step names the file and the reason
