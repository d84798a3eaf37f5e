"""The merge stage: (the file on disk, the freshly generated file) -> the file to write.

The statements modelgen owns (ownership.py) come from the fresh file; everything
else in the file on disk belongs to the team and is kept byte for byte, in place.
Both files are read once with ``ast`` (fast) to find who owns what; only the
classes and statements production changed go through libcst (merge_cst.py),
which keeps every byte it does not touch; the rest is copied as it is.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass, field, replace
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING

from modelgen.errors import ModelgenError
from modelgen.generate.output import GeneratedFile, content_hash, split_header
from modelgen.source.ownership import (
    Owned,
    item_line,
    lines_hash,
    match,
    member_item,
    module_item,
    numbered,
)

if TYPE_CHECKING:
    import libcst as cst

    from modelgen.source.merge_cst import Unit

# libcst (0.3 s to import) and the CST modules are imported only when a file
# actually needs an edit: a run where production did not change never pays it.

# The hash test tries subsets of the look-alike statements, fewest of them the
# team's first, up to this many hashes (every subset of 10), then "none"; in a
# large file fewer, so that it hashes at most MAX_HASHED_LINES owned statements
# (about 0.3 s, when an owned statement was edited and no subset matches).
MAX_HASH_TRIES = 1024
MAX_HASHED_LINES = 2_000_000


@dataclass(frozen=True)
class Conflict:
    """A statement modelgen owns that differs from production in a hand-edited file."""

    path: Path
    line: int
    production: str
    file: str


@dataclass(frozen=True)
class Kept:
    """A class whose table left the file, kept because the team added code to it."""

    path: Path
    line: int
    name: str  # the class
    table: str  # schema.table or table, as its __tablename__ / __table_args__ say


@dataclass(frozen=True)
class Merged:
    content: str  # with conflicts, production's statements replace the file's
    conflicts: tuple[Conflict, ...]
    kept: tuple[Kept, ...] = ()


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
        self.tops = _tops(tree)
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


def _tops(tree: ast.Module) -> list[Top]:
    tops: list[Top] = []
    for stmt in tree.body:
        decorators = getattr(stmt, "decorator_list", [])
        start = min([d.lineno for d in decorators] + [stmt.lineno]) - 1
        end = stmt.end_lineno or stmt.lineno
        if tops and start < tops[-1].end:  # `a = 1; b = 2`: one line, the team's
            tops[-1] = Top(tops[-1].start, max(end, tops[-1].end), tops[-1].node, None)
            continue
        item = module_item(stmt)
        top = Top(start, end, stmt, item)
        if item is not None and item.kind == "class":
            table = item.identity.removeprefix("class:")
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


def _import_like(node: ast.stmt) -> bool:
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
        if _import_like(node):
            count = index + 1
        elif not (
            index == 0
            and isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
        ):
            break
    return count


def _generated_subset(
    recorded: str | None,
    legacy: bool,
    matched: list[Owned],
    candidates: list[tuple[Owned, Owned]],
) -> set[str] | None:
    """Which look-alike statements the last run wrote (the rest are the team's), or
    None when no choice reproduces the recorded hash: an owned statement was edited.

    ``matched`` and the second of each candidate pair are the statements as the
    hash counts them; the first is the merge's (identity unique within its class)."""
    if legacy:
        return {c.identity for c, _ in candidates}
    base = sorted(item_line(item) for item in matched)  # each sort then ~linear
    lines = [item_line(h) for _, h in candidates]
    every = range(len(candidates))
    budget = MAX_HASHED_LINES // max(1, len(base) + len(lines))
    budget = max(1, min(MAX_HASH_TRIES, budget))

    def wrote(team: set[int]) -> bool:  # the hash of all but the team's
        return lines_hash(base + [lines[i] for i in every if i not in team]) == recorded

    tries = 0
    # a dropped table brings many statements, the team's look-alikes are few:
    # try one team statement, then two, ... (not only "all" past a few)
    for size in range(len(candidates) + 1):
        for team in combinations(every, size):
            if tries == budget:
                break
            tries += 1
            if wrote(set(team)):
                return {candidates[i][0].identity for i in every if i not in team}
    if tries == budget and wrote(set(every)):
        return set()
    return None


def merge_file(path: Path, current: str, fresh: str) -> Merged:
    """The fresh file's owned statements placed in the file on disk."""
    recorded, old_body = split_header(current)
    _, fresh_body = split_header(fresh)
    old, new = Source(old_body, path), Source(fresh_body, path)
    fresh_items = {item.identity: item for _, item in new.owned()}
    old_owned = [(id(node), item) for node, item in old.owned()]
    chosen = match(old_owned, fresh_items)  # type: ignore[arg-type]
    # the hash knows each statement by its plain identity, not the merge's
    matched = [old.hashed(key, item) for key, item in old_owned if key in chosen]
    candidates = [
        (item, old.hashed(key, item)) for key, item in old_owned if key not in chosen
    ]
    legacy = recorded == content_hash(old_body)
    generated = _generated_subset(recorded, legacy, matched, candidates)
    assembly = _Assembly(old, new, chosen, generated or set())
    body = assembly.body()
    head = fresh[: len(fresh) - len(fresh_body)]
    offset = current[: len(current) - len(old_body)].count("\n")
    conflicts: tuple[Conflict, ...] = ()
    if generated is None:
        conflicts = _conflicts(path, offset, old, new, chosen)
    kept = tuple(
        Kept(path, offset + top.node.lineno, top.item.name, _table(top.item))
        for top in assembly.kept
        if top.item is not None
    )
    return Merged(head + body, conflicts, kept)


def _table(item: Owned) -> str:
    return item.identity.removeprefix("class:")


class _Assembly:
    """The merged body: the file's text, with production's statements put in."""

    def __init__(self, old: Source, new: Source, chosen: set[int], drop: set[str]):
        self.old, self.new, self.chosen, self.drop = old, new, chosen, drop
        self.fresh_tops = {t.item.identity: t for t in new.tops if t.item}
        self.fresh_items = {item.identity: item for _, item in new.owned()}
        self.kept: list[Top] = []  # classes production left, kept for the team's code

    def body(self) -> str:
        old = self.old
        inserts = self._inserts()
        out = [self._imports(), *inserts.get(None, [])]
        pos = old.tops[old.imports - 1].end if old.imports else 0
        for top in old.tops[old.imports :]:
            gap = old.text(pos, top.start)
            pos = top.end
            if self._dropped(top.node, top.item) and self._all_owned(top):
                out.append(gap if gap.strip() else "")  # keep comments above it
                continue
            if (
                top.item is not None
                and top.item.kind == "class"
                and id(top.node) not in self.chosen
            ):  # every run: once kept, the recorded hash counts it as the team's
                self.kept.append(top)
            out += [gap, self._top(top)]
            if top.item is not None and id(top.node) in self.chosen:
                out += inserts.get(top.item.identity, [])
        out.append(old.text(pos, len(old.lines)))
        return "".join(out)

    def _dropped(self, node: ast.stmt, item: Owned | None) -> bool:
        return (
            item is not None
            and id(node) not in self.chosen
            and item.identity in self.drop
        )

    def _all_owned(self, top: Top) -> bool:
        """A class production dropped goes only if the team added nothing to it."""
        if top.item is None or top.item.kind != "class":
            return True
        lines = set(range(top.node.lineno, top.node.lineno + 1))
        for node, _ in top.members:
            lines |= set(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        return all(
            number + 1 in lines or not self.old.lines[number].strip()
            for number in range(top.start, top.end)
        )

    def _inserts(self) -> dict[str | None, list[str]]:
        """Fresh statements the file lacks, keyed by the one they follow."""
        present = {
            t.item.identity
            for t in self.old.tops
            if t.item is not None and id(t.node) in self.chosen
        }
        inserts: dict[str | None, list[str]] = {}
        anchor: str | None = None
        new = self.new
        pos = new.tops[new.imports - 1].end if new.imports else 0
        for top in new.tops[new.imports :]:
            text, pos = new.text(pos, top.end), top.end
            if top.item is None:
                continue
            if top.item.identity in present:
                anchor = top.item.identity
            else:
                inserts.setdefault(anchor, []).append(text)
        return inserts

    def _imports(self) -> str:
        old, new = self.old, self.new
        old_text = old.text(0, old.tops[old.imports - 1].end) if old.imports else ""
        if not new.imports:
            return old_text
        present = {ast.dump(t.node) for t in old.tops if _import_like(t.node)}
        if all(ast.dump(t.node) in present for t in new.tops[: new.imports]):
            return old_text  # every import modelgen needs is there as it writes it
        import libcst as cst

        from modelgen.source.merge_imports import merge_imports

        old_mod = cst.parse_module(old_text)
        new_mod = cst.parse_module(new.text(0, new.tops[new.imports - 1].end))
        later = [
            cst.parse_statement(old.text(t.start, t.end))
            for t in old.tops[old.imports :]
            if _import_like(t.node)
        ]
        body = merge_imports(old_mod, new_mod, list(old_mod.body), later)
        if len(body) == len(old_mod.body) and all(
            a is b for a, b in zip(body, old_mod.body, strict=True)
        ):
            return old_text
        return old_mod.with_changes(body=body).code

    def _rebased(self, top: Top, text: str) -> str:
        """A class modelgen wrote before the ``Model`` block (generate/base.py)
        subclasses ``db.Model``, which mypy rejects: it becomes ``Model``, as in the
        fresh file (the same class at run time)."""
        if top.item is None or top.item.kind != "class":
            return text
        fresh = self.fresh_tops.get(top.item.identity)
        old, new = top.node, fresh.node if fresh is not None else None
        if not (isinstance(old, ast.ClassDef) and isinstance(new, ast.ClassDef)):
            return text
        if old.keywords or [ast.unparse(b) for b in old.bases] != ["db.Model"]:
            return text
        if [ast.unparse(b) for b in new.bases] != ["Model"]:
            return text
        header = f"class {old.name}(db.Model):"
        return text.replace(header, f"class {old.name}(Model):", 1)

    def _top(self, top: Top) -> str:
        text = self._rebased(top, self.old.text(top.start, top.end))
        if top.item is None or id(top.node) not in self.chosen:
            return text
        fresh = self.fresh_tops[top.item.identity]
        if top.item.kind == "class":
            if not self._class_touched(top, fresh):
                return text
        elif top.item.canonical == fresh.item.canonical:  # type: ignore[union-attr]
            return text
        import libcst as cst

        from modelgen.source.merge_cst import StatementMerger, pairs

        old_mod = cst.parse_module(text)
        new_mod = cst.parse_module(self.new.text(fresh.start, fresh.end))
        old_unit = _unit(old_mod, top.item)
        new_unit = _unit(new_mod, fresh.item)  # type: ignore[arg-type]
        local = match(pairs(old_unit.members or []), self.fresh_items)
        merger = StatementMerger(new_mod, self.drop, local)
        return old_mod.with_changes(body=[merger.replace(old_unit, new_unit)]).code

    def _class_touched(self, top: Top, fresh: Top) -> bool:
        present: set[str] = set()
        for node, item in top.members:
            if self._dropped(node, item):
                return True
            if id(node) in self.chosen:
                present.add(item.identity)
                if item.canonical != self.fresh_items[item.identity].canonical:
                    return True
        return any(item.identity not in present for _, item in fresh.members)


def _unit(module: cst.Module, item: Owned) -> Unit:
    import libcst as cst

    from modelgen.source.merge_cst import Unit, class_unit

    node = module.body[0]
    if item.kind == "class" and isinstance(node, cst.ClassDef):
        unit = class_unit(module, node)
        if unit is not None:
            return unit
    return Unit(node, item)


def _conflicts(
    path: Path, offset: int, old: Source, new: Source, chosen: set[int]
) -> tuple[Conflict, ...]:
    """Every owned statement of a hand-edited file that differs from production."""
    fresh = {item.identity: (node, item) for node, item in new.owned()}
    found: list[Conflict] = []
    for node, item in old.owned():
        if id(node) not in chosen or item.kind == "class":
            continue
        fresh_node, fresh_item = fresh[item.identity]
        if fresh_item.canonical != item.canonical:
            found.append(
                Conflict(
                    path,
                    offset + node.lineno,
                    new.statement(fresh_node),
                    old.statement(node),
                )
            )
    return tuple(sorted(found, key=lambda c: c.line))


def merge_with_disk(
    files: list[GeneratedFile], kept: list[Kept] | None = None
) -> tuple[list[GeneratedFile], list[Conflict]]:
    """Each generated file merged with the version on disk, and every conflict found;
    each class kept only for the team's code is added to ``kept``.

    Files absent, unchanged, or not written by modelgen pass through as they are:
    the write step decides about those."""
    result: list[GeneratedFile] = []
    conflicts: list[Conflict] = []
    for item in files:
        current = _read(item)
        if (
            current is None
            or current == item.content
            or not item.mergeable
            or split_header(current)[0] is None
        ):
            result.append(item)
            continue
        merged = merge_file(item.path, current, item.content)
        conflicts += merged.conflicts
        if kept is not None:
            kept += merged.kept
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
