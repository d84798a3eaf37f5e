"""Schema text -> safe Python source: string literals and call expressions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

# text that needs no escape in a double-quoted literal (the common case, fast)
_PLAIN = re.compile(r'[^"\\\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]*\Z')


@lru_cache(maxsize=1 << 16)  # pure; names and defaults repeat across tables
def lit(value: str) -> str:
    """A Python string literal for any text: quotes, backslashes, newlines and all.

    Quoted the way Black normalises strings: the quote needing fewer backslashes,
    double quotes on a tie, so formatting never has to rewrite it.
    """
    if _PLAIN.match(value):
        return f'"{value}"'
    double = _quote_body(value, '"')
    single = _quote_body(value, "'")
    if single.count("\\") < double.count("\\"):
        return f"'{single}'"
    return f'"{double}"'


def _quote_body(value: str, quote: str) -> str:
    out = []
    for ch in value:
        code = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == quote:
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif code < 0x20 or code == 0x7F or 0x80 <= code < 0xA0:
            out.append(f"\\x{code:02x}")
        elif code in (0x2028, 0x2029, 0xFEFF) or 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def call(
    func: str, args: Sequence[str] = (), kwargs: Sequence[tuple[str, str]] = ()
) -> str:
    parts = list(args) + [f"{k}={v}" for k, v in kwargs]
    return f"{func}({', '.join(parts)})"
