"""Schema <-> deterministic JSON: the CI contract that lets every command run without a database.

Format 2 (written since issue 10) is generic over the dataclasses of
``catalog.schema``: every field is written under its own name unless it holds
its default, so a field added there needs no code here, and a snapshot taken
before the field existed still loads (the default fills it).  The layout keeps
one fact per line: a table's scalar fields and each of its columns, constraints
and indexes on a line of their own, so that a production change is a one-line
diff.  A column's type is written as its display text (``"integer"``); each
distinct type's other facts are written once, in ``types``.  Format 1 (every
field, indented one value per line) still loads.
"""

from __future__ import annotations

import contextvars
import dataclasses
import json
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

from modelgen.catalog import schema as facts
from modelgen.catalog.schema import Schema, TypeRef
from modelgen.errors import SnapshotError
from modelgen.files import atomic_write
from modelgen.gcpause import collector_paused

FORMAT = "modelgen-snapshot"
FORMAT_VERSION = 2
TYPES = "types"  # the key of the type table in the schema object


class _Encoder:
    """Facts as JSON data: dataclass fields in declaration order, defaults left out.

    Fields declared ``compare=False`` (``Schema.source``: where it was read from)
    are not facts about the database and are never written.  A ``TypeRef`` is
    written as its display text and collected in ``types`` (the first one seen
    under a display text wins; another with the same text is written whole).
    """

    def __init__(self) -> None:
        self.types: dict[str, TypeRef] = {}

    def encode(self, value: Any) -> Any:
        if isinstance(value, TypeRef):
            known = self.types.setdefault(value.display, value)
            if known == value:
                return value.display
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return self.fields(value)
        if isinstance(value, tuple | list):
            return [self.encode(v) for v in value]
        return value

    def fields(self, value: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if f.compare and not _is_default(f, item):
                out[f.name] = self.encode(item)
        return out

    def type_table(self) -> dict[str, Any]:
        """display -> the type's other fields, sorted: the ``types`` of the file."""
        table = {}
        for display, ref in sorted(self.types.items()):
            table[display] = self.fields(ref)
            del table[display]["display"]
        return table


def _is_default(f: dataclasses.Field[Any], value: Any) -> bool:
    if f.default is not dataclasses.MISSING:
        return bool(value == f.default)
    if f.default_factory is not dataclasses.MISSING:
        return bool(value == f.default_factory())
    return False


def dump_schema(schema: Schema) -> str:
    """Same schema, same bytes (tables sorted); one fact per line; trailing newline."""
    encoder = _Encoder()
    data = encoder.encode(schema)
    data["tables"] = sorted(data["tables"], key=lambda t: (t["schema"], t["name"]))
    data[TYPES] = encoder.type_table()
    lines = ["{", f' "format":"{FORMAT}",', f' "format_version":{FORMAT_VERSION},']
    lines.append(' "schema":{')
    entries = [_entry(k, v, 2, expand=k == "tables") for k, v in data.items()]
    lines.append(",\n".join(entries))
    lines += [" }", "}"]
    return "\n".join(lines) + "\n"


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _entry(key: str, value: Any, depth: int, expand: bool, top: bool = True) -> str:
    """``"key": value``: a list (and the type table) one item per line, tables
    expanded, anything else compact."""
    pad = " " * depth
    if top and isinstance(value, dict) and value:
        items = [f"{pad} {_compact(k)}:{_compact(v)}" for k, v in value.items()]
        return f"{pad}{_compact(key)}:{{\n" + ",\n".join(items) + f"\n{pad}}}"
    if not isinstance(value, list) or not value:
        return f"{pad}{_compact(key)}:{_compact(value)}"
    items = [_table(v, depth + 1) if expand else pad + " " + _compact(v) for v in value]
    return f"{pad}{_compact(key)}:[\n" + ",\n".join(items) + f"\n{pad}]"


def _table(table: dict[str, Any], depth: int) -> str:
    pad = " " * depth
    fields = [_entry(k, v, depth + 1, False, top=False) for k, v in table.items()]
    return f"{pad}{{\n" + ",\n".join(fields) + f"\n{pad}}}"


def write_snapshot(schema: Schema, path: Path) -> None:
    # meant to be committed: the user's umask decides its mode, as for model files
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, dump_schema(schema))


def load_snapshot(path: Path) -> Schema:
    # the cyclic garbage collector would walk the growing heap again and again
    # while hundreds of thousands of objects are built (none of them cyclic)
    with collector_paused():
        return _load(path)


def _load(path: Path) -> Schema:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SnapshotError(f"{path}: cannot read snapshot: {exc.strerror}") from None
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SnapshotError(
            f"{path}: not a valid snapshot (truncated or corrupt JSON at line {exc.lineno})"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise SnapshotError(
            f"{path}: not a modelgen snapshot (no 'format': '{FORMAT}')"
        )
    version = payload.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise SnapshotError(
            f"{path}: snapshot format version {version!r} is newer than this modelgen "
            f"reads ({FORMAT_VERSION}); upgrade modelgen"
        )
    try:
        data = dict(payload["schema"])
        token = _TYPE_TABLE.set(_TypeTable(data.pop(TYPES, {})))
        try:
            schema = _dataclass_decoder(Schema)(data)
        finally:
            _TYPE_TABLE.reset(token)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SnapshotError(
            f"{path}: snapshot is missing or has a bad field: {exc}"
        ) from None
    assert isinstance(schema, Schema)
    return schema


class _TypeTable:
    """The ``types`` of the snapshot being loaded; each type built once and shared."""

    def __init__(self, raw: Any) -> None:
        if not isinstance(raw, dict):
            raise TypeError("types: expected an object")
        self.raw = raw
        self.built: dict[str, TypeRef] = {}

    def get(self, display: str) -> TypeRef:
        if display not in self.built:
            if display not in self.raw:
                raise KeyError(f"type {display!r} is not in the snapshot's types")
            fields = {**self.raw[display], "display": display}
            self.built[display] = _dataclass_decoder(TypeRef)(fields)
        return self.built[display]


_TYPE_TABLE: contextvars.ContextVar[_TypeTable] = contextvars.ContextVar("types")


# Decoding: one function per field type, built once from the dataclasses' type
# hints, so loading 10,000 tables costs a dict lookup per value, not a hint walk.
# ``None`` stands for "the JSON value as it is" (str, int, bool, dict).

_Decode = Callable[[Any], Any] | None
_DECODERS: dict[Any, _Decode] = {}


def _decoder(hint: Any) -> _Decode:
    if hint not in _DECODERS:
        _DECODERS[hint] = _build_decoder(hint)
    return _DECODERS[hint]


def _build_decoder(hint: Any) -> _Decode:
    if hint is TypeRef:
        whole = _dataclass_decoder(TypeRef)
        return lambda v: _TYPE_TABLE.get().get(v) if isinstance(v, str) else whole(v)
    if dataclasses.is_dataclass(hint):
        return _dataclass_decoder(hint)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        inner = _decoder(next(a for a in args if a is not type(None)))
        if inner is None:
            return None
        return lambda v: None if v is None else inner(v)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item = _decoder(args[0])
            if item is None:
                return lambda v: tuple(_list(v))
            return lambda v: tuple([item(x) for x in _list(v)])
        parts = [_decoder(a) or _same for a in args]
        return lambda v: tuple(p(x) for p, x in zip(parts, _list(v), strict=True))
    return None


def _same(value: Any) -> Any:
    return value


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {_compact(value)[:60]}")
    return value


def _dataclass_decoder(cls: Any) -> Callable[[Any], Any]:
    """JSON object -> ``cls``: missing fields take their defaults, unknown ones are errors.

    The object is filled directly (``__init__`` of a frozen dataclass sets each
    field through ``object.__setattr__``, which is most of the load time).
    """
    fields = [f for f in dataclasses.fields(cls) if f.init]
    defaults = {f.name: f.default for f in fields if f.default is not _MISSING}
    factories: dict[str, Callable[[], Any]] = {
        f.name: f.default_factory  # type: ignore[misc]
        for f in fields
        if f.default_factory is not _MISSING
    }
    required = frozenset(f.name for f in fields) - defaults.keys() - factories.keys()
    count = len(fields)
    converters: list[tuple[str, Callable[[Any], Any]]] = []
    built: list[bool] = []

    def decode(data: Any) -> Any:
        if not built:  # built on first use: the field types may refer back
            hints = typing.get_type_hints(cls, vars(facts))
            for f in fields:
                convert = _decoder(hints[f.name])
                if convert is not None:  # plain JSON values are taken as they are
                    converters.append((f.name, convert))
            built.append(True)
        if not isinstance(data, dict):
            raise TypeError(f"{cls.__name__}: expected an object")
        if not required <= data.keys():
            raise KeyError(f"{cls.__name__}.{min(required - data.keys())}")
        values = {**defaults, **data}
        if len(values) + len(factories) != count:
            unknown = sorted(values.keys() - {f.name for f in fields})
            raise ValueError(f"{cls.__name__}: unknown field {unknown[0]!r}")
        for key, convert in converters:
            if key in data:
                values[key] = convert(data[key])
        for name, factory in factories.items():
            values.setdefault(name, factory())
        obj = object.__new__(cls)
        object.__setattr__(obj, "__dict__", values)
        return obj

    return decode


_MISSING: Any = dataclasses.MISSING
