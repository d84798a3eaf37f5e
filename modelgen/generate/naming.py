"""Class, attribute, module and relationship names: valid, safe, and independent of table order."""

from __future__ import annotations

import builtins
import keyword
import re
import unicodedata
from functools import lru_cache

# The naming functions are pure and called per column, per key and per table,
# with the same few names again and again (every table has an ``id``, every key
# is named from its columns): each is memoised.  Bounded, for long-lived processes.
_MEMO = 1 << 16

# Names generated code must never shadow, whatever a given file imports, so that
# a name never depends on which imports a file happens to have.
MODULE_NAMES = frozenset(
    {
        "db",
        "sa",
        "datetime",
        "uuid",
        "decimal",
        "postgresql",
        "typing",
        "Any",
        "Mapped",
        "TYPE_CHECKING",
        "UserDefinedType",
        # the typed style's functions and the base class block (generate/base.py)
        "Literal",
        "mapped_column",
        "relationship",
        "Model",
        "FlaskModel",
        "ModelBase",
    }
)
# Builtins the typed style's annotations name (Mapped[bytes | None], Mapped[list["X"]]):
# a class attribute of that name would shadow them for every annotation after it.
ANNOTATION_NAMES = frozenset({"bool", "bytes", "dict", "float", "int", "list", "str"})
# Flask-SQLAlchemy and declarative attributes a column must not overwrite.
RESERVED_ATTRIBUTES = frozenset(
    {
        "query",
        "query_class",
        "metadata",
        "registry",
        "__table__",
        "__tablename__",
        "__mapper__",
    }
)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_IRREGULAR = {
    "people": "person",
    "children": "child",
    "men": "man",
    "women": "woman",
    "data": "data",
    "media": "media",
    "criteria": "criterion",
    "indices": "index",
    "statuses": "status",
    "analyses": "analysis",
    "series": "series",
    "species": "species",
    "news": "news",
}
_UNCHANGED_SUFFIXES = ("ss", "us", "is", "ous", "ics", "sis")


@lru_cache(maxsize=_MEMO)
def singular(word: str) -> str:
    """English singular of the last word of a table name (``user_sessions`` -> ``user_session``)."""
    lower = word.lower()
    if lower in _IRREGULAR:
        return _IRREGULAR[lower]
    if lower.endswith(_UNCHANGED_SUFFIXES) or len(lower) <= 3:
        return word
    if lower.endswith("ies") and len(lower) > 4:
        return word[:-3] + "y"
    if lower.endswith(("sses", "xes", "ches", "shes", "zzes")):
        return word[:-2]
    if lower.endswith("s"):
        return word[:-1]
    return word


@lru_cache(maxsize=_MEMO)
def plural(word: str) -> str:
    lower = word.lower()
    for plural_form, singular_form in _IRREGULAR.items():
        if lower == singular_form:
            return plural_form
    if lower.endswith("y") and len(lower) > 1 and lower[-2] not in "aeiou":
        return word[:-1] + "ies"
    if lower.endswith(("s", "x", "ch", "sh", "z")):
        return word + "es"
    return word + "s"


_WORD = re.compile(r"[A-Z]+[0-9]*(?![a-z])|[A-Z]?[a-z]+[0-9]*|[0-9]+[a-z]*")


@lru_cache(maxsize=_MEMO)
def _ascii_words(name: str) -> tuple[str, ...]:
    if name.isascii():  # NFKD changes nothing, and nothing is combining
        normal = name
    else:
        normal = "".join(
            ch
            for ch in unicodedata.normalize("NFKD", name)
            if not unicodedata.combining(ch)
        )
    cleaned = "".join(ch if (ch.isalnum() and ch.isascii()) else " " for ch in normal)
    words: list[str] = []
    for chunk in cleaned.split():
        # split camelCase / PascalCase chunks into words
        words.extend(_WORD.findall(chunk) or [chunk])
    return tuple(words)


@lru_cache(maxsize=_MEMO)
def class_name(table: str) -> str:
    """``user_sessions`` -> ``UserSession``; ``email_queue`` -> ``EmailQueue``."""
    words = list(_ascii_words(table)) or ["Table"]
    words[-1] = singular(words[-1])
    name = "".join(
        w.capitalize() if (w.isupper() or w.islower()) else w[:1].upper() + w[1:]
        for w in words
    )
    if name[:1].isdigit():
        name = "T" + name
    if shadows_module_name(name):
        name += "Model"
    return name


def shadows_module_name(name: str) -> bool:
    """A module-level class of this name would hide a keyword, builtin or a name
    the generated module imports (``db``, ``Any``, ``datetime``)."""
    return keyword.iskeyword(name) or name in MODULE_NAMES or hasattr(builtins, name)


@lru_cache(maxsize=_MEMO)
def snake(name: str) -> str:
    words = _ascii_words(name)
    return "_".join(w.lower() for w in words) or "x"


@lru_cache(maxsize=_MEMO)
def attribute_name(column: str) -> str:
    """A safe Python attribute for a column; the real name is kept in db.Column("...")."""
    if _IDENT.fullmatch(column) and column.isascii():
        name = column
    else:
        name = snake(column)
        if name[:1].isdigit():
            name = "_" + name
    if name.startswith(("__", "_sa_")) or not name.strip("_"):
        # a class-body name starting with "__" is mangled by Python, and SQLAlchemy's
        # declarative scan skips it and every "_sa_" name (the column would be lost:
        # a suffix does not help); "_" alone would become "__": never emit one
        name = (name.strip("_") or "column") + "_"
        if name[:1].isdigit():  # "__6x" is an identifier, "6x_" is not
            name = "_" + name
    if (
        keyword.iskeyword(name)
        or keyword.issoftkeyword(name)
        or name in MODULE_NAMES
        or name in ANNOTATION_NAMES
        or name in RESERVED_ATTRIBUTES
        or name in ("self", "cls")
    ):
        name = name + "_"
    return name


@lru_cache(maxsize=_MEMO)
def module_name(name: str) -> str:
    mod = snake(name)
    if mod[:1].isdigit():
        mod = "_" + mod
    if keyword.iskeyword(mod) or mod in MODULE_NAMES or mod in ("extensions",):
        mod += "_"
    return mod


def unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3``... whichever is free; records the choice."""
    candidate = name
    counter = 2
    while candidate in taken:
        candidate = f"{name}_{counter}"
        counter += 1
    taken.add(candidate)
    return candidate
