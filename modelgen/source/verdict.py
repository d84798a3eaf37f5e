"""Which of a file's model-like statements modelgen wrote, and which of those the
team edited: the one notion of ownership the merge (and `--force`) acts on.

A statement that looks like one modelgen writes (ownership.py) is not therefore
modelgen's: a team writes relationships, columns and ``db.func`` helpers too.
The header's hash records exactly the statements the last run wrote (their
identities and canonical texts). The verdict is the smallest explanation of that
hash: every statement equal to one production gives now is modelgen's; of the
rest (the suspects), each is either as modelgen wrote it, the team's own, or
modelgen's edited by hand from the statement production still gives (the
hash, recomputed with production's text in its place, says so). Fewest
departures from "as written" are tried first, within a budget of hashes.

When nothing explains the hash, an owned statement was edited and production
changed it too (or removed it): every suspect of a shape modelgen writes is
then taken as modelgen's, and named in a conflict.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import combinations, product

from modelgen.source.ownership import Owned, item_line, lines_hash

# Hashes tried to explain a header (each hashes every owned statement of the file),
# and the most owned statements hashed in all: a large file tries fewer.
MAX_HASH_TRIES = 8192
MAX_HASHED_LINES = 2_000_000
# keywords modelgen writes in a relationship(); any other makes it the team's
GENERATED_RELATIONSHIP_KEYWORDS = frozenset(
    {
        "foreign_keys",
        "secondary",
        "back_populates",
        "remote_side",
        "uselist",
        "overlaps",
    }
)
# module-level calls modelgen writes: enums, domains, tables, listeners
GENERATED_DEFINITION_CALLS = frozenset({"Enum", "ENUM", "DOMAIN", "Table", "listen"})


@dataclass(frozen=True)
class Verdict:
    generated: frozenset[int]  # keys of the statements modelgen wrote
    edited: frozenset[int]  # of those, the ones edited by hand since (conflicts)
    explained: bool  # False: the hash has no explanation; edited is a guess
    # an edited statement -> the identity it had (a column's database name edited)
    was: dict[int, str] = field(default_factory=dict)


def could_be_generated(node: ast.stmt, item: Owned) -> bool:
    """Whether modelgen ever writes a statement of this shape."""
    value = getattr(node, "value", None)
    if item.kind == "relationship" and isinstance(value, ast.Call):
        return (
            all(k.arg in GENERATED_RELATIONSHIP_KEYWORDS for k in value.keywords)
            and len(value.args) <= 1
        )
    if item.kind == "definition" and not isinstance(node, ast.ClassDef):
        call = (
            value if isinstance(node, ast.Assign | ast.AnnAssign | ast.Expr) else None
        )
        if isinstance(call, ast.Call):
            func = call.func
            name = func.attr if isinstance(func, ast.Attribute) else ""
            name = func.id if isinstance(func, ast.Name) else name
            return name in GENERATED_DEFINITION_CALLS
    return True


def judge(
    recorded: str | None,
    legacy: bool,
    old: list[tuple[int, Owned, bool]],
    fresh: list[Owned],
) -> Verdict:
    """``old``: (key, the statement as the hash counts it, could modelgen write it);
    ``fresh``: production's statements, as the hash counts them."""
    keys = frozenset(key for key, _, _ in old)
    if legacy:  # a format-1 header hashed the whole body: every look-alike is ours
        return Verdict(keys, frozenset(), True)
    lines = [item_line(item) for _, item, _ in old]
    if lines_hash(lines) == recorded:
        return Verdict(keys, frozenset(), True)
    left = Counter(item_line(item) for item in fresh)
    sure: list[tuple[int, str]] = []
    suspects: list[tuple[int, Owned]] = []
    for (key, item, shaped), line in zip(old, lines, strict=True):
        if left[line] > 0:
            left[line] -= 1
            sure.append((key, line))
        elif shaped:
            suspects.append((key, item))
    unused = [item for item in fresh if left[item_line(item)] > 0]
    found = _explain(recorded, [line for _, line in sure], suspects, unused)
    ours = frozenset(key for key, _ in sure)
    if found is None:
        everyone = frozenset(key for key, _ in suspects)
        edited = frozenset(k for k, item in suspects if item.kind != "class")
        return Verdict(ours | everyone, edited, False)
    hand, was = found
    rest = frozenset(k for k, _ in suspects if k not in hand)
    return Verdict(ours | rest, frozenset(was), True, was)


def _originals(item: Owned, unused: list[Owned]) -> list[Owned]:
    """Production statements the suspect may have been before a hand edit: the one
    of its identity, else (its database name edited) those of its class and kind."""
    same = [f for f in unused if f.identity == item.identity]
    if same or item.kind not in ("column", "relationship"):
        return same[:1]
    table = item.identity.split(f":{item.kind}:", 1)[0]
    return [
        f for f in unused if f.kind == item.kind and f.identity.startswith(table + ":")
    ][:8]


def _explain(
    recorded: str | None,
    sure: list[str],
    suspects: list[tuple[int, Owned]],
    unused: list[Owned],
) -> tuple[frozenset[int], dict[int, str]] | None:
    """(the team's, the edited with the identity each had) among the suspects,
    fewest departures first, or None."""
    base = sorted(sure)  # each later sort then ~linear
    lines = [item_line(item) for _, item in suspects]
    options = [
        [None, *_originals(item, unused)] for _, item in suspects
    ]  # None: the team's; an Owned: modelgen's, edited from it
    budget = MAX_HASHED_LINES // max(1, len(base) + len(lines))
    budget = max(1, min(MAX_HASH_TRIES, budget))
    for tries, choice in enumerate(_choices(options)):
        if tries == budget:
            return None
        out = [lines[i] for i in range(len(lines)) if i not in choice]
        out += [item_line(f) for f in choice.values() if f is not None]
        if lines_hash(base + out) == recorded:
            hand = frozenset(suspects[i][0] for i, f in choice.items() if f is None)
            was = {suspects[i][0]: f.identity for i, f in choice.items() if f}
            return hand, was
    return None


def _choices(options: list[list[Owned | None]]) -> Iterator[dict[int, Owned | None]]:
    """Assignments of departures to suspects, the fewest departures first."""
    every = range(len(options))
    for size in range(len(options) + 1):
        for chosen in combinations(every, size):
            for picks in product(*(options[i] for i in chosen)):
                yield dict(zip(chosen, picks, strict=True))
