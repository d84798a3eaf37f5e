"""The merge stage: (the file on disk, the freshly generated file) -> the file to write.

The statements modelgen owns (ownership.py) come from the fresh file; everything
else in the file on disk belongs to the team and is kept byte for byte, in place.
Both files are read once with ``ast`` (fast) to find who owns what; only the
classes and statements production changed go through libcst (merge_cst.py),
which keeps every byte it does not touch; the rest is copied as it is.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from modelgen.generate.output import GeneratedFile, content_hash, split_header
from modelgen.source.decide import Decision, HandUses, decide
from modelgen.source.ownership import Owned, item_line, lines_hash, match
from modelgen.source.reading import Source, Top
from modelgen.source.verdict import Verdict, could_be_generated, judge

__all__ = ["Conflict", "Held", "Kept", "Merged", "Source", "merge_file"]

if TYPE_CHECKING:
    import libcst as cst

    from modelgen.source.merge_cst import Unit

# libcst (0.3 s to import) and the CST modules are imported only when a file
# actually needs an edit: a run where production did not change never pays it.


@dataclass(frozen=True)
class Conflict:
    """A statement modelgen owns that differs from production in a hand-edited file."""

    path: Path
    line: int
    production: str  # "" when production no longer has it
    file: str
    # False: the header's hash shows an owned statement was edited, and production
    # changed this one too, so which of the changed ones is the edit is a guess
    certain: bool = True


@dataclass(frozen=True)
class Kept:
    """A class whose table left the file, kept because the team added code to it."""

    path: Path
    line: int
    name: str  # the class
    table: str  # schema.table or table, as its __tablename__ / __table_args__ say


@dataclass(frozen=True)
class Held:
    """A column production dropped, kept in its class because hand code uses it."""

    path: Path
    line: int
    name: str  # the attribute
    table: str
    column: str  # its database name
    user: int  # the line of the hand code that uses it


@dataclass(frozen=True)
class Merged:
    content: str  # with conflicts, production's statements replace the file's
    conflicts: tuple[Conflict, ...]
    kept: tuple[Kept, ...] = ()
    held: tuple[Held, ...] = ()


def merge_file(path: Path, current: str, fresh: str) -> Merged:
    """The fresh file's owned statements placed in the file on disk."""
    old, new, verdict = read_both(path, current, fresh)
    old.rename_classes(new)
    fresh_items = {item.identity: item for _, item in new.owned()}
    chosen = match([(id(n), i) for n, i in old.owned()], fresh_items)
    decision = decide(old, new, chosen)
    names = _team_names(old, new, chosen)
    body = _Assembly(old, new, chosen, decision, names).body()
    _, old_body = split_header(current)
    _, fresh_body = split_header(fresh)
    head = fresh[: len(fresh) - len(fresh_body)]
    if decision.staying:  # the hash counts what modelgen keeps, as it counts its own
        lines = [item_line(new.hashed(id(n), i)) for n, i in new.owned()]
        lines += [item_line(item) for item in decision.staying]
        head = _with_hash(head, lines_hash(lines))
    offset = current[: len(current) - len(old_body)].count("\n")
    conflicts = _conflicts(path, offset, old, new, chosen, verdict)
    kept = tuple(
        Kept(path, offset + top.node.lineno, top.item.name, top.table or "")
        for top in decision.kept
        if top.item is not None
    )
    held = tuple(
        Held(
            path,
            offset + node.lineno,
            item.name,
            item.identity.split(":column:", 1)[0],
            item.identity.split(":column:", 1)[1].split("#", 1)[0],
            offset + user,
        )
        for node, item, user in decision.held
    )
    return Merged(head + body, conflicts, kept, held)


def read_both(path: Path, current: str, fresh: str) -> tuple[Source, Source, Verdict]:
    """The file on disk (owning only what modelgen wrote), the fresh file, and the
    verdict on who wrote what (verdict.py)."""
    recorded, old_body = split_header(current)
    _, fresh_body = split_header(fresh)
    old, new = Source(old_body, path), Source(fresh_body, path)
    verdict = judge(
        recorded,
        recorded == content_hash(old_body),
        [
            (id(node), old.hashed(id(node), item), could_be_generated(node, item))
            for node, item in old.owned()
        ],
        [new.hashed(id(node), item) for node, item in new.owned()],
    )
    old.restrict(verdict.generated, verdict.was)  # look-alikes are hand code
    return old, new, verdict


def _with_hash(head: str, digest: str) -> str:
    recorded, _ = split_header(head)
    assert recorded is not None
    return head.replace(recorded, f"sha256:{digest}" if ":" in recorded else digest)


class _Assembly:
    """The merged body: the file's text, with production's statements put in."""

    def __init__(
        self,
        old: Source,
        new: Source,
        chosen: set[int],
        decision: Decision,
        names: dict[tuple[str, str], str],
    ) -> None:
        self.old, self.new, self.chosen, self.decision = old, new, chosen, decision
        self.names = names
        self.fresh_nodes = {item.identity: node for node, item in new.owned()}
        self.fresh_tops = {t.item.identity: t for t in new.tops if t.item}
        self.fresh_items = {item.identity: item for _, item in new.owned()}
        self.drop = {
            item.identity for node, item in old.owned() if id(node) in decision.drop
        }
        self.unkey = {
            item.identity for node, item in old.owned() if id(node) in decision.unkeyed
        }

    def body(self) -> str:
        old = self.old
        inserts = self._inserts()
        out = [*inserts.get(None, [])]
        pos = old.tops[old.imports - 1].end if old.imports else 0
        first = pos
        for top in old.tops[old.imports :]:
            gap_start = pos
            pos = top.end
            if id(top.node) in self.decision.drop:
                # the team's comments above it stay; modelgen's own go with it
                gap = old.text(gap_start, old.own_comments(top, gap_start))
                out.append(gap if gap.strip() else "")
                continue
            gap = old.text(gap_start, top.start)
            if top.item is not None and id(top.node) in self.chosen:
                fresh = self.fresh_tops[top.item.identity]
                own = old.own_comments(top, gap_start)
                mine = self.new.own_comments(fresh, 0)
                gap = old.text(gap_start, own) + self.new.text(mine, fresh.start)
            out += [gap, self._top(top)]
            if top.item is not None and id(top.node) in self.chosen:
                out += inserts.get(top.item.identity, [])
        out.append(old.text(pos, len(old.lines)))
        rest = "".join(out)
        from modelgen.source.merge_imports import import_block, unused_imports

        remove: set[str] = set()
        if rest != old.text(first, len(old.lines)):
            uses = self.decision.uses or HandUses(old)
            remove = unused_imports(old, old.text(first, len(old.lines)), rest, uses)
        return import_block(old, self.new, remove) + rest

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
        if top.item is None:
            return text
        kept = id(top.node) not in self.chosen
        if kept:
            if not any(id(n) in self.decision.drop for n, _ in top.members):
                return text
            fresh = None
        else:
            fresh = self.fresh_tops[top.item.identity]
            if top.item.kind == "class":
                if not self._class_touched(top, fresh):
                    return text
            elif top.item.canonical == fresh.item.canonical:  # type: ignore[union-attr]
                return text
        import libcst as cst

        from modelgen.source.merge_cst import StatementMerger, pairs

        old_mod = cst.parse_module(text)
        old_unit = _unit(old_mod, top)
        local = match(pairs(old_unit.members or []), self.fresh_items)
        if fresh is None:  # a class kept for the team's code: only removals
            merger = StatementMerger(old_mod, self.drop, set(), unkey=self.unkey)
            replaced = merger.prune(old_unit)
        else:
            new_mod = cst.parse_module(self.new.text(fresh.start, fresh.end))
            merger = StatementMerger(new_mod, self.drop, local, self.names, self.unkey)
            replaced = merger.replace(old_unit, _unit(new_mod, fresh))
        return old_mod.with_changes(body=[replaced]).code

    def _class_touched(self, top: Top, fresh: Top) -> bool:
        present: set[str] = set()
        for node, item in top.members:
            if id(node) in self.decision.drop or id(node) in self.decision.unkeyed:
                return True
            if id(node) in self.chosen:
                present.add(item.identity)
                fresh_item = self.fresh_items[item.identity]
                if item.canonical != fresh_item.canonical:
                    return True
                theirs = self.fresh_nodes[item.identity]
                if _final(fresh, fresh_item.name, self.names) != item.name or (
                    _partner(theirs, self.names) != _back_populates(node)
                ):
                    return True
        if top.table != _own_table(top):  # its table renamed: __tablename__ changes
            return True
        return any(item.identity not in present for _, item in fresh.members)


def _team_names(
    old: Source, new: Source, chosen: set[int]
) -> dict[tuple[str, str], str]:
    """(class, attribute as production names it) -> the name the team gave it.

    An owned statement's attribute name in the file is the team's rename unless
    production's statements of the class now use that name for another one
    (modelgen moved it: ``tags`` became ``tags_2`` when a new ``tags`` came)."""
    fresh: dict[str, tuple[str, Owned, set[str]]] = {}
    for top in new.tops:
        if top.item is not None and top.item.kind == "class":
            taken = {item.name for _, item in top.members}
            for _, item in top.members:
                fresh[item.identity] = (top.item.name, item, taken)
    names: dict[tuple[str, str], str] = {}
    for top in old.tops:
        for node, item in top.members:
            if id(node) not in chosen or item.identity not in fresh:
                continue
            klass, theirs, taken = fresh[item.identity]
            if item.name != theirs.name and item.name not in taken:
                names[(klass, theirs.name)] = item.name
    return names


def _final(fresh: Top, name: str, names: dict[tuple[str, str], str]) -> str:
    klass = fresh.item.name if fresh.item is not None else ""
    return names.get((klass, name), name)


def _back_populates(node: ast.stmt) -> str | None:
    value = getattr(node, "value", None)
    if isinstance(value, ast.Call):
        for keyword in value.keywords:
            if keyword.arg == "back_populates" and isinstance(
                keyword.value, ast.Constant
            ):
                return str(keyword.value.value)
    return None


def _partner(node: ast.stmt, names: dict[tuple[str, str], str]) -> str | None:
    """The other side a fresh relationship names, under the team's name for it."""
    side = _back_populates(node)
    value = getattr(node, "value", None)
    if side is None or not isinstance(value, ast.Call) or not value.args:
        return None
    target = value.args[0]
    if not isinstance(target, ast.Constant):
        return None
    return names.get((str(target.value), side), side)


def _own_table(top: Top) -> str | None:
    from modelgen.source.ownership import table_of

    return table_of(getattr(top.node, "body", []))


def _unit(module: cst.Module, top: Top) -> Unit:
    import libcst as cst

    from modelgen.source.merge_cst import Unit, class_unit

    node = module.body[0]
    item = top.item
    assert item is not None
    if item.kind == "class" and isinstance(node, cst.ClassDef):
        unit = class_unit(module, node, top.table, top.hand)
        if unit is not None:
            return unit
    return Unit(node, item)


def _conflicts(
    path: Path,
    offset: int,
    old: Source,
    new: Source,
    chosen: set[int],
    verdict: Verdict,
) -> tuple[Conflict, ...]:
    """Every owned statement the team edited, with production's version of it."""
    fresh = {item.identity: node for node, item in new.owned()}
    found: list[Conflict] = []
    for node, item in old.owned():
        if id(node) not in verdict.edited:
            continue
        theirs = fresh.get(item.identity) if id(node) in chosen else None
        found.append(
            Conflict(
                path,
                offset + node.lineno,
                "" if theirs is None else new.statement(theirs),
                old.statement(node),
                verdict.explained,
            )
        )
    return tuple(sorted(found, key=lambda c: c.line))


def merge_with_disk(
    files: list[GeneratedFile],
    kept: list[Kept] | None = None,
    held: list[Held] | None = None,
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
        if held is not None:
            held += merged.held
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
