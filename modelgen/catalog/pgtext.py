"""PostgreSQL expression text as it must be written to print back unchanged.

PostgreSQL's deparser is not idempotent for every construct: an
``x IN ('a', 'b')`` on a varchar column prints as
``x::text = ANY (ARRAY['a'::character varying, 'b'::character varying]::text[])``,
and that text, executed again, prints differently
(``ARRAY['a'::character varying::text, ...]``).  ``source_form`` rewrites the
printed forms known to drift back into a source that prints the same;
``modelgen verify`` proves the round trip on a real server.
"""

from __future__ import annotations

import re

_IDENT = r'"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*'
_VARCHAR_LITERAL = r"'(?:[^']|'')*'::character varying"
_ITEMS = rf"(?P<items>{_VARCHAR_LITERAL}(?:, {_VARCHAR_LITERAL})*)"
# the pretty print (older snapshots) and the exact print PostgreSQL gives today
_VARCHAR_IN = re.compile(
    rf"(?P<lhs>{_IDENT})::text (?P<op>= ANY|<> ALL) \(ARRAY\[{_ITEMS}\]::text\[\]\)"
    rf"|\((?P<lhs2>{_IDENT})\)::text (?P<op2>= ANY|<> ALL) "
    rf"\(\(ARRAY\[{_ITEMS.replace('items', 'items2')}\]\)::text\[\]\)"
)
# the same in the exact (non-pretty) deparse: `(x)::text = ANY ((ARRAY[...])::text[])`
_VARCHAR_IN_EXACT = re.compile(
    rf"\((?P<lhs>{_IDENT})\)::text (?P<op>= ANY|<> ALL) "
    rf"\(\(ARRAY\[(?P<items>{_VARCHAR_LITERAL}(?:, {_VARCHAR_LITERAL})*)\]\)::text\[\]\)"
)
_LITERAL = re.compile(r"'(?:[^']|'')*'")


def _rewrite_in(match: re.Match[str]) -> str:
    suffix = "" if match.group("lhs") else "2"
    items = ", ".join(_LITERAL.findall(match.group("items" + suffix)))
    keyword = "IN" if match.group("op" + suffix) == "= ANY" else "NOT IN"
    return f"{match.group('lhs' + suffix)} {keyword} ({items})"


def source_form(expression: str) -> str:
    """An expression text that PostgreSQL prints back exactly as ``expression``."""
    if "::character varying" not in expression:
        return expression
    expression = _VARCHAR_IN_EXACT.sub(_rewrite_in, expression)
    return _VARCHAR_IN.sub(_rewrite_in, expression)


def unwrap(expression: str) -> str:
    """``expression`` without parentheses that enclose all of it (they never change
    what PostgreSQL stores): the exact print ``((a > 0) AND (b > 0))`` reads as
    ``(a > 0) AND (b > 0)``. Only where the caller adds its own, e.g. ``CHECK (...)``.
    """
    text = expression.strip()
    while text.startswith("(") and closing_paren(text) == len(text) - 1:
        text = text[1:-1].strip()
    return text


def closing_paren(text: str, start: int = 0) -> int:
    """Index of the parenthesis closing the one at ``start`` (-1 if unbalanced);
    parentheses inside quoted literals or identifiers do not count."""
    depth = 0
    quote: str | None = None
    for i in range(start, len(text)):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = None  # a doubled quote reopens at once: same effect
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


_NEXTVAL = re.compile(r"^nextval\('(?P<name>(?:[^']|'')+)'::regclass\)$")


def sequence_name(default: str) -> tuple[str | None, str] | None:
    """(schema, name) of the sequence in a ``nextval('...'::regclass)`` default."""
    match = _NEXTVAL.match(default)
    if not match:
        return None
    text = match.group("name").replace("''", "'")
    parts = _split_qualified(text)
    if len(parts) == 2:
        return parts[0], parts[1]
    return None, parts[-1]


_REFERENCES = re.compile(rf"\bREFERENCES (?P<name>(?:{_IDENT})(?:\.(?:{_IDENT}))?)\(")


def referenced_table(definition: str) -> tuple[str | None, str] | None:
    """(schema, name) of the table a ``FOREIGN KEY ... REFERENCES t(...)``
    definition (pg_get_constraintdef's) names; schema None when unqualified."""
    if not definition.startswith("FOREIGN KEY"):
        return None
    match = _REFERENCES.search(definition)
    if not match:
        return None
    parts = _split_qualified(match.group("name"))
    return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[-1])


def _split_qualified(text: str) -> list[str]:
    parts: list[str] = []
    current = ""
    quoted = False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == '"':
            if quoted and i + 1 < len(text) and text[i + 1] == '"':
                current += '"'
                i += 1
            else:
                quoted = not quoted
        elif ch == "." and not quoted:
            parts.append(current)
            current = ""
        else:
            current += ch if quoted else ch.lower()
        i += 1
    parts.append(current)
    return parts
