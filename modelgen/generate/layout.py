"""Black's layout for the statements modelgen generates, without Black's cost.

Black is the contract for generated code, but it takes ~12 s to format the
35,000 lines of a 1,000-table schema (it re-parses and re-lays out every
line).  Generated statements come in a handful of shapes (assignments whose
right-hand side is a call, tuples of calls, calls nested in calls), so this
module reproduces Black's decisions for exactly those shapes, following
black/linegen.py (26.10, stable style): ``rhs`` splits at the last bracket pair,
optional parentheses around an assignment's value omitted when the head fits,
``delimiter_split`` at commas with a trailing comma added, magic trailing
commas exploded.  Any statement outside those shapes is handed to Black
itself, one statement at a time, so the result is always Black's output; the
tests compare this module with Black on every golden case and on random schemas.
"""

from __future__ import annotations

import itertools
import keyword
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

LINE_LENGTH = 88
# A token with the spaces before it (one match per token, not two).
_TOKEN = re.compile(
    r"""
    [ ]*
    (?:
    (?P<str>[rRbBuU]?"(?:[^"\\\n]|\\.)*"|[rRbBuU]?'(?:[^'\\\n]|\\.)*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<num>[0-9]+(?:\.[0-9]+)?)
  | (?P<open>[(\[{])
  | (?P<close>[)\]}])
  | (?P<comma>,)
  | (?P<op>==|!=|->|[=:|\-*.])
    )
    """,
    re.VERBOSE,
)


_MAYBE_MAGIC = re.compile(r",\s*[)\]}]")


class Unsupported(Exception):
    """A statement this module does not lay out; Black formats it instead."""


@dataclass(slots=True)
class Tok:
    kind: str
    text: str
    space: bool  # a space before this token (when it does not start a line)
    match: int = -1  # index of the matching bracket


def _width(text: str) -> int:
    if text.isascii():
        return len(text)
    from black.strings import str_width

    return int(str_width(text))


def tokenize(content: str) -> list[Tok]:
    toks: list[Tok] = []
    pos = 0
    stack: list[int] = []
    content = content.rstrip(" ")  # trailing spaces come before no token
    # finditer finds the next token from pos; one starting later means the text
    # at pos is no token (every match holds a token, never only spaces)
    for m in _TOKEN.finditer(content):
        if m.start() != pos:
            break
        pos = m.end()
        kind = m.lastgroup or ""
        text = m.group()
        if text[0] == " ":
            tok = Tok(kind, text.lstrip(" "), True)
        else:
            tok = Tok(kind, text, False)
        if kind == "open":
            stack.append(len(toks))
        elif kind == "close":
            if not stack:
                raise Unsupported("unbalanced brackets")
            opening = stack.pop()
            toks[opening].match = len(toks)
            tok.match = opening
        toks.append(tok)
    if pos < len(content):
        raise Unsupported(f"cannot tokenize at {content[pos:pos + 10]!r}")
    if stack:
        raise Unsupported("unbalanced brackets")
    return toks


def render(toks: list[Tok], depth: int) -> str:
    if not toks:
        return "    " * depth
    rest = "".join([" " + t.text if t.space else t.text for t in toks[1:]])
    return "    " * depth + toks[0].text + rest


def _fitting(toks: list[Tok], depth: int, matched: bool = True) -> str | None:
    """``render(toks, depth)`` when Black keeps it on one line as it is (it fits
    and has no magic trailing comma), else None.  The bracket matches of ``toks``
    are only read when the text could hold a magic comma; ``matched=False``
    (tokens sliced from a longer line, their matches not recomputed): None then."""
    text = render(toks, depth)
    if _width(text) > LINE_LENGTH:
        return None
    if _MAYBE_MAGIC.search(text) and (not matched or _magic_comma(toks)):
        return None
    return text


def _fits(toks: list[Tok], depth: int) -> bool:
    return _width(render(toks, depth)) <= LINE_LENGTH


def _magic_comma(toks: list[Tok]) -> bool:
    """A comma before a closing bracket, other than a one-tuple's."""
    for i, tok in enumerate(toks):
        if tok.kind == "close" and i and toks[i - 1].kind == "comma":
            if tok.text != ")":
                return True
            opening = tok.match
            if any(
                toks[j].kind == "comma" and _depth_between(toks, opening, j) == 0
                for j in range(opening + 1, i - 1)
            ):
                return True
    return False


def _depth_between(toks: list[Tok], start: int, index: int) -> int:
    depth = 0
    for tok in toks[start + 1 : index]:
        if tok.kind == "open":
            depth += 1
        elif tok.kind == "close":
            depth -= 1
    return depth


def _top_level(toks: list[Tok]) -> list[int]:
    """Indexes of tokens at bracket depth 0."""
    out = []
    depth = 0
    for i, tok in enumerate(toks):
        if tok.kind == "close":
            depth -= 1
        if depth == 0:
            out.append(i)
        if tok.kind == "open":
            depth += 1
    return out


def _no_space_first(toks: list[Tok]) -> list[Tok]:
    if toks and toks[0].space:
        return [Tok(toks[0].kind, toks[0].text, False, toks[0].match), *toks[1:]]
    return toks


def _reindex(toks: list[Tok]) -> list[Tok]:
    """Copy tokens with bracket matches recomputed for this slice."""
    out: list[Tok] = []
    stack: list[int] = []
    for tok in toks:
        new = Tok(tok.kind, tok.text, tok.space)
        if tok.kind == "open":
            stack.append(len(out))
        elif tok.kind == "close":
            if not stack:
                raise Unsupported("bracket closed outside the slice")
            opening = stack.pop()
            out[opening].match = len(out)
            new.match = opening
        out.append(new)
    return _no_space_first(out)


def _inside(toks: list[Tok], depth: int, explode: bool = False) -> list[str]:
    """Black's transform_line for a line inside brackets (delimiter_split, then rhs);
    ``explode``: split at the commas even if the line fits."""
    if not explode:
        text = _fitting(toks, depth)
        if text is not None:
            return [text]
    top = _top_level(toks)
    commas = [i for i in top if toks[i].kind == "comma" and i != len(toks) - 1]
    if any(toks[i].kind == "op" and toks[i].text in "|-*" for i in top):
        raise Unsupported("operator delimiter")
    if commas:
        lines: list[str] = []
        start = 0
        for i in [*commas, len(toks)]:
            element = toks[start : i + 1] if i < len(toks) else toks[start:]
            if element and element[-1].kind != "comma":
                element = [*element, Tok("comma", ",", False)]
            # most elements fit: rendered as they are, without a reindexed copy
            # (render ignores the first token's space, as _reindex drops it)
            text = _fitting(element, depth, matched=False)
            lines += [text] if text is not None else _inside(_reindex(element), depth)
            start = i + 1
        return lines
    return _rhs(toks, depth)


def _rhs(toks: list[Tok], depth: int) -> list[str]:
    """Split at the last bracket pair: head + indented body + tail."""
    close = next(
        (i for i in range(len(toks) - 1, -1, -1) if toks[i].kind == "close"), -1
    )
    if close < 0:
        return [render(toks, depth)]  # nothing to split on: Black leaves it long
    opening = toks[close].match
    head, body, tail = toks[: opening + 1], toks[opening + 1 : close], toks[close:]
    if not body:
        raise Unsupported("empty brackets")
    # a collection literal (not a call's or subscript's brackets) that has to be
    # split is exploded one item per line (Black's should_split_line)
    atom = opening == 0 or toks[opening - 1].kind in ("op", "comma", "open")
    explode = atom and any(
        body[i].kind == "comma" and i != len(body) - 1 for i in _top_level(body)
    )
    first = render(head, depth)
    if _width(first) > LINE_LENGTH:
        raise Unsupported("head too long: Black would try other trailers")
    # the body often fits on its own line: no reindexed copy for that
    inner = None if explode else _fitting(body, depth + 1, matched=False)
    return [
        first,
        *(
            [inner]
            if inner is not None
            else _inside(_reindex(body), depth + 1, explode)
        ),
        render(_no_space_first(tail), depth),
    ]


def layout_statement(line: str) -> list[str]:
    """Lay out one logical line (indentation included) the way Black would."""
    return list(_layout_statement(line))


@lru_cache(maxsize=1 << 14)
def _layout_statement(line: str) -> tuple[str, ...]:
    # a pure function of the line, and generated modules repeat long lines (the
    # same foreign key or column in many tables): each distinct one is laid out once
    return tuple(_layout(line))


def _layout(line: str) -> list[str]:
    stripped = line.lstrip(" ")
    indent = len(line) - len(stripped)
    if indent % 4:
        raise Unsupported("odd indentation")
    depth = indent // 4
    if not _MAYBE_MAGIC.search(stripped) and _width(line) <= LINE_LENGTH:
        return [line]  # fits, and no trailing comma that would force a split
    toks = tokenize(stripped)
    if any(t.kind == "name" and t.text in _KEYWORDS for t in toks) or any(
        b.kind == "str" and a.kind in ("str", "name")
        for a, b in itertools.pairwise(toks)
    ):
        # comprehensions, conditionals, lambdas, implicitly joined strings and
        # f-strings: shapes this module does not know
        raise Unsupported("keyword or string shape")
    text = _fitting(toks, depth)
    if text is not None:
        return [text]
    top = _top_level(toks)
    assign = next((i for i in top if toks[i].kind == "op" and toks[i].text == "="), -1)
    if assign < 0 and _is_call_statement(toks):
        # ``op.create_table(...)``: no invisible parentheses around an expression
        # statement; Black's rhs splits at its one bracket pair
        if not _fits(toks[:2], depth):
            raise Unsupported("head too long")
        return _rhs(toks, depth)
    if assign < 0 or assign == len(toks) - 1:
        raise Unsupported("not an assignment")
    if any(toks[i].kind in ("comma",) for i in top):
        raise Unsupported("tuple target or value")
    value = toks[assign + 1 :]
    if (
        value[0].kind == "open"
        and value[0].match == len(toks) - 1
        and value[0].text == "("
    ):
        # a parenthesised tuple: its parentheses are real, split on them
        return _rhs(toks, depth)
    if value[-1].kind != "close" or any(
        toks[i].kind == "op" for i in top if i > assign
    ):
        raise Unsupported("value is not a call")
    # The value sits in invisible parentheses; Black omits them and splits at the
    # value's last bracket pair when the head still fits (see
    # _prefer_split_rhs_oop_over_rhs): otherwise it would wrap the value in
    # parentheses, which is left to Black.
    close = len(toks) - 1
    opening = toks[close].match
    head = toks[: opening + 1]
    if not _fits(head, depth):
        raise Unsupported("head too long")
    target = toks[:assign]
    if any(t.kind == "open" for t in target):
        # annotated target with brackets: the oop split is preferred only if the
        # head fits (checked above) -- and "target = (" fits in line_length - 1
        if _width(render([*target, toks[assign], Tok("open", "(", True)], depth)) > (
            LINE_LENGTH - 1
        ):
            raise Unsupported("long annotated target")
    return _rhs(toks, depth)


_KEYWORDS = frozenset(keyword.kwlist) - {"True", "False", "None"}


def _is_call_statement(toks: list[Tok]) -> bool:
    """``name(...)`` / ``a.b.c(...)`` and nothing else: one call, one trailer."""
    return (
        len(toks) >= 3
        and toks[0].kind == "name"
        and toks[1].kind == "open"
        and toks[1].text == "("
        and not toks[1].space
        and toks[1].match == len(toks) - 1
    )


def layout_source(
    source: str, fallback: Callable[[str, int], list[str]] | None = None
) -> str:
    """Lay out every line of ``source`` (one logical statement per line)."""
    out: list[str] = []
    for line in source.split("\n"):
        if not line.strip() or line.lstrip().startswith("#"):
            out.append(line.rstrip())
            continue
        try:
            out.extend(layout_statement(line))
        except Unsupported:
            if fallback is None:
                raise
            indent = len(line) - len(line.lstrip(" "))
            out.extend(fallback(line, indent // 4))
    return "\n".join(out)
