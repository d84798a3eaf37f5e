"""What becomes of the statements modelgen wrote that production no longer gives:
removed, or kept because the team's code needs them.

- A column production dropped (or renamed) that hand code anywhere in the file
  still uses by its attribute name is held back, as ``drift --fix`` holds back
  the same change, and named with the line that uses it.
- A class whose table left the file is kept when the team added code to it or
  the team's code names the class; it keeps its columns (hand code maps them),
  and loses the relationships production no longer gives (their other sides
  are gone: kept, they would stop the models from configuring).
- Everything else production removed goes, with modelgen's own comment above it.

What stays is counted in the header's hash, so the next run judges it the same
way again (and removes it once nothing uses it).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections import defaultdict
from dataclasses import dataclass, field, replace

from modelgen.source.ownership import Owned, member_item
from modelgen.source.reading import Source, Top

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class Decision:
    drop: set[int] = field(default_factory=set)  # id() of statements removed
    kept: list[Top] = field(default_factory=list)  # classes kept for hand code
    held: list[tuple[ast.stmt, Owned, int]] = field(
        default_factory=list
    )  # node, item, user line
    staying: list[Owned] = field(default_factory=list)  # as the hash counts them
    unkeyed: set[int] = field(default_factory=set)  # held back without their keys
    uses: HandUses | None = None


class HandUses:
    """Where the team's code (not modelgen's statements, not imports, not
    comments) names each word: identifiers, and words inside its strings
    (``primaryjoin="Order.user_id == User.id"``, ``association_proxy("user", ...)``)."""

    def __init__(self, source: Source) -> None:
        skip: set[int] = set()
        for node, item in source.owned():
            last = node.lineno if item.kind == "class" else node.end_lineno
            skip.update(range(node.lineno, (last or node.lineno) + 1))
        for top in source.tops[: source.imports]:
            skip.update(range(top.start + 1, top.end + 1))
        self.lines: dict[str, list[int]] = defaultdict(list)
        text = "".join(source.lines)
        try:
            for token in tokenize.generate_tokens(io.StringIO(text).readline):
                line = token.start[0]
                if line in skip:
                    continue
                if token.type == tokenize.NAME:
                    self.lines[token.string].append(line)
                elif token.type == tokenize.STRING:
                    for word in WORD.findall(token.string):
                        self.lines[word].append(line)
        except (tokenize.TokenError, SyntaxError):  # parsed already: not expected
            for number, text_line in enumerate(source.lines, start=1):
                if number not in skip:
                    for word in WORD.findall(text_line.split("#", 1)[0]):
                        self.lines[word].append(number)

    def first(self, word: str, outside: range = range(0)) -> int | None:
        """The first line (of the body) naming ``word``, not counting ``outside``."""
        return next((n for n in self.lines.get(word, ()) if n not in outside), None)


def decide(old: Source, new: Source, chosen: set[int]) -> Decision:
    decision = Decision()
    fresh_names = {
        t.item.identity: {item.name for _, item in t.members}
        for t in new.tops
        if t.item is not None and t.item.kind == "class"
    }
    for top in old.tops:
        item = top.item
        if item is None:
            continue
        gone = [(n, i) for n, i in top.members if id(n) not in chosen]
        if id(top.node) in chosen:
            for node, member in gone:
                names = fresh_names.get(item.identity, set())
                _hold_or_drop(decision, old, node, member, names)
            continue
        if item.kind != "class":
            decision.drop.add(id(top.node))
            continue
        inside = range(top.start + 1, top.end + 1)
        if (
            _all_owned(old, top)
            and _uses(decision, old).first(item.name, inside) is None
        ):
            decision.drop.add(id(top.node))
            continue
        decision.kept.append(top)
        decision.staying.append(old.hashed(id(top.node), item))
        for node, member in top.members:
            if member.kind == "relationship":
                decision.drop.add(id(node))
            else:
                decision.staying.append(old.hashed(id(node), member))
    return decision


def _uses(decision: Decision, old: Source) -> HandUses:
    if decision.uses is None:
        decision.uses = HandUses(old)
    return decision.uses


def _hold_or_drop(
    decision: Decision, old: Source, node: ast.stmt, item: Owned, names: set[str]
) -> None:
    """A member production removed from a class it keeps: held back when hand code
    uses it (and production's statements do not take its name), else removed."""
    user = None
    if item.kind == "column" and item.name not in names:
        user = _uses(decision, old).first(item.name)
    if user is None:
        decision.drop.add(id(node))
        return
    decision.held.append((node, item, user))
    stripped = _without_foreign_keys(node)
    if stripped is None:
        decision.staying.append(old.hashed(id(node), item))
        return
    # production dropped the key with the column: kept, the key would give the
    # generated relationships a second path to join on (AmbiguousForeignKeysError)
    decision.unkeyed.add(id(node))
    table = item.identity.split(":column:", 1)[0]
    plain = member_item(stripped, table)
    assert plain is not None
    decision.staying.append(
        replace(plain, identity=old.hashed(id(node), item).identity)
    )


def _without_foreign_keys(node: ast.stmt) -> ast.stmt | None:
    """A column statement without its ``ForeignKey(...)`` arguments, or None when
    it has none."""
    call = getattr(node, "value", None)
    if not isinstance(call, ast.Call):
        return None
    args = [a for a in call.args if not _is_foreign_key(a)]
    if len(args) == len(call.args):
        return None
    copy = ast.parse(ast.unparse(node)).body[0]
    copied = getattr(copy, "value", None)
    assert isinstance(copied, ast.Call)
    copied.args = [a for a in copied.args if not _is_foreign_key(a)]
    return copy


def _is_foreign_key(arg: ast.expr) -> bool:
    func = arg.func if isinstance(arg, ast.Call) else None
    name = func.attr if isinstance(func, ast.Attribute) else ""
    return name == "ForeignKey" or (
        isinstance(func, ast.Name) and func.id == "ForeignKey"
    )


def _all_owned(old: Source, top: Top) -> bool:
    """Whether every line of a class is a statement modelgen wrote (or blank)."""
    lines = {top.node.lineno}
    for node, _ in top.members:
        end = node.end_lineno or node.lineno
        after = old.lines[end - 1].encode("utf-8")[node.end_col_offset or 0 :]
        if after.strip().startswith(b"#"):  # the team's comment at its end
            return False
        lines.update(range(node.lineno, end + 1))
    return all(
        number + 1 in lines or not old.lines[number].strip()
        for number in range(top.start, top.end)
    )
