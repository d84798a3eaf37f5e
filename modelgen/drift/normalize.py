"""SQL text and type names compared loosely, as production and the models spell them differently."""

from __future__ import annotations

import functools
import re
from decimal import Decimal, InvalidOperation

_LITERAL = re.compile(r"'(?:[^']|'')*'")
_CAST = re.compile(
    r"::\s*(?:\"[^\"]*\"|\w+)(?:\.(?:\"[^\"]*\"|\w+))?"
    r"(?:\s+(?:varying|precision|without\s+time\s+zone|with\s+time\s+zone))?"
    r"(?:\s*\(\s*\d+(?:\s*,\s*\d+)?\s*\))?(?:\s*\[\s*\])*",
    re.IGNORECASE,
)
_SYNONYMS = {"current_timestamp": "now", "localtimestamp": "now"}


def normalize_expr(text: str | None) -> str:
    """SQL text compared loosely: casts, parentheses, spaces and keyword case do not count.

    ``(status)::text = ANY (ARRAY['a'::text, 'b'::text])`` and ``status IN ('a', 'b')``
    both become ``statusin'a','b'``; string literals keep their case.
    """
    if text is None:
        return ""
    out: list[str] = []
    pos = 0
    for match in _LITERAL.finditer(text):
        out.append(_normalize_code(text[pos : match.start()]))
        out.append(match.group(0))
        pos = match.end()
    out.append(_normalize_code(text[pos:]))
    joined = "".join(out)
    joined = re.sub(r"=anyarray\[(.*?)\]", r"in\1", joined)
    joined = re.sub(r"<>allarray\[(.*?)\]", r"notin\1", joined)
    return joined


_BOOLEANS = {
    **dict.fromkeys(("t", "true", "y", "yes", "on", "1"), "true"),
    **dict.fromkeys(("f", "false", "n", "no", "off", "0"), "false"),
}


def same_default(model: str | None, production: str | None) -> bool:
    """Two default expressions compared loosely (``normalize_expr``), and a quoted
    constant (``server_default="0"``, ``"true"``) equal to the number or boolean
    PostgreSQL stores for it on a numeric or boolean column (``0``, ``true``)."""
    ours, theirs = normalize_expr(model), normalize_expr(production)
    if ours == theirs:
        return True
    if len(ours) < 2 or ours[0] != "'" or ours[-1] != "'" or "'" in theirs:
        return False
    inner = ours[1:-1].strip().lower()
    if theirs in ("true", "false"):
        return _BOOLEANS.get(inner) == theirs
    try:
        return Decimal(inner) == Decimal(theirs)
    except InvalidOperation:
        return False


def _normalize_code(code: str) -> str:
    code = _CAST.sub("", code).lower()
    for word, canonical in _SYNONYMS.items():
        code = re.sub(rf"\b{word}\b", canonical, code)
    return re.sub(r"[\s()]", "", code)


_TYPE_ALIASES = {
    "varchar": "character varying",
    "char": "character",
    "bpchar": "character",
    "int": "integer",
    "int4": "integer",
    "int2": "smallint",
    "int8": "bigint",
    "float4": "real",
    "float8": "double precision",
    "double": "double precision",
    "decimal": "numeric",
    "bool": "boolean",
    "timestamptz": "timestamp with time zone",
    "timetz": "time with time zone",
    "varbit": "bit varying",
}


@functools.lru_cache(maxsize=4096)  # a schema repeats a few dozen types
def normalize_type(text: str | None) -> str:
    """``VARCHAR(255)`` and ``character varying(255)``, ``FLOAT`` and ``double precision``
    (a FLOAT without precision is double precision), ``TIMESTAMP`` and ``timestamp
    without time zone`` come out the same; arrays keep one ``[]`` (PostgreSQL does
    not record dimensions)."""
    if not text:
        return ""
    value = text.strip()
    if '"' not in value:
        value = value.lower()
    value = re.sub(r"\s+", " ", value)
    value = re.sub(r"\s*\(\s*", "(", value)
    value = re.sub(r"\s*,\s*", ",", value)
    value = re.sub(r"\s*\)", ")", value)
    array = "[]" in value or value.endswith(" array")
    value = value.replace("[]", "").removesuffix(" array").strip()
    match = re.fullmatch(
        r"([a-z_][a-z0-9_ ]*[a-z0-9_]|[a-z_])(\([0-9,]+\))?(.*)", value
    )
    if match:
        base, mods, rest = match.group(1), match.group(2) or "", match.group(3) or ""
        base = _TYPE_ALIASES.get(base, base)
        if base == "float":
            precision = int(mods[1:-1]) if mods[1:-1].isdigit() else 53
            base, mods = ("real" if precision <= 24 else "double precision"), ""
        if base == "character" and not mods:
            mods = "(1)"
        if base in ("timestamp", "time") and not rest:
            rest = " without time zone"
        value = f"{base}{mods}{rest}"
    return value + ("[]" if array else "")
