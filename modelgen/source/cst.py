"""Generic libcst helpers over a model file: find a class by ``__tablename__``, a column
statement by its database column name, ``__table_args__`` entries by name, the
module's top-level assignments.

Nothing here knows about drift: these are the pieces a repair (``drift --fix``)
or a regeneration that keeps hand code needs to find its way around a file.
How a file spells names is ``source.spelling``.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

COLUMN_CALLS = ("Column", "mapped_column")


def dotted(node: cst.BaseExpression) -> str | None:
    """``db.Column`` -> "db.Column"; None for anything but names and attributes."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted(node.value)
        return f"{head}.{node.attr.value}" if head else None
    return None


def call_name(node: cst.BaseExpression) -> str | None:
    """The last part of a call's function: ``db.Column(...)`` -> "Column"."""
    if not isinstance(node, cst.Call):
        return None
    name = dotted(node.func)
    return name.rsplit(".", 1)[-1] if name else None


def string_value(node: cst.BaseExpression) -> str | None:
    """The value of a plain string literal (no f-string, no concatenation)."""
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def assignment(stmt: cst.CSTNode) -> tuple[str | None, cst.BaseExpression | None]:
    """``name = value`` / ``name: T = value`` as one small statement line -> (name, value)."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None, None
    small = stmt.body[0]
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target = small.targets[0].target
        return (target.value if isinstance(target, cst.Name) else None), small.value
    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
        return small.target.value, small.value
    return None, None


def model_classes(module: cst.Module) -> dict[str, cst.ClassDef]:
    """Top-level classes by their ``__tablename__`` (the first class wins), in one pass."""
    found: dict[str, cst.ClassDef] = {}
    for stmt in module.body:
        if isinstance(stmt, cst.ClassDef):
            for item in class_statements(stmt):
                name, value = assignment(item)
                table = string_value(value) if value is not None else None
                if name == "__tablename__" and table is not None:
                    found.setdefault(table, stmt)
    return found


class SingleTableSubclasses:
    """Top-level classes deriving from a class (at any depth) that name no table of
    their own (no ``__tablename__`` / ``__table__``): single-table inheritance, their
    columns are the base's table's.  The module is read once; each class's
    subclasses are then found from the class itself, in module order."""

    def __init__(self, module: cst.Module) -> None:
        # base name -> (place in the module, subclass) of the classes without a table
        self._children: dict[str, list[tuple[int, cst.ClassDef]]] = {}
        for place, stmt in enumerate(module.body):
            if not isinstance(stmt, cst.ClassDef):
                continue
            own = {  # `__tablename__ = None` says "no table of my own"
                name
                for name, value in map(assignment, class_statements(stmt))
                if not (isinstance(value, cst.Name) and value.value == "None")
            }
            if own & {"__tablename__", "__table__"}:
                continue
            for base in {dotted(a.value) for a in stmt.bases if a.keyword is None}:
                if base:
                    self._children.setdefault(base, []).append((place, stmt))

    def of(self, cls: cst.ClassDef) -> list[cst.ClassDef]:
        found: dict[int, cst.ClassDef] = {}
        names = [cls.name.value]
        while names:
            for place, sub in self._children.get(names.pop(), []):
                if place not in found and sub is not cls:
                    found[place] = sub
                    names.append(sub.name.value)
        return [found[place] for place in sorted(found)]


def module_indexes(module: cst.Module) -> dict[str, cst.SimpleStatementLine]:
    """Top-level ``Index("name", Model.column, ...)`` statements by index name; one
    bound to a name (``ix = Index(...)``) too, its statement an assignment."""
    found: dict[str, cst.SimpleStatementLine] = {}
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            continue
        small = stmt.body[0]
        value = small.value if isinstance(small, cst.Expr | cst.Assign) else None
        if isinstance(value, cst.Call) and call_name(value) == "Index":
            name = _name_kwarg(value)
            if name is not None:
                found.setdefault(name, stmt)
    return found


def module_assignments(module: cst.Module) -> dict[str, cst.BaseExpression]:
    """Top-level ``NAME = value`` statements (constants, enum variables) by name; a
    top-level class maps to its own name."""
    found: dict[str, cst.BaseExpression] = {}
    for stmt in module.body:
        if isinstance(stmt, cst.ClassDef):
            found.setdefault(stmt.name.value, stmt.name)
            continue
        name, value = assignment(stmt)
        if name is not None and value is not None:
            found.setdefault(name, value)
    return found


def class_statements(cls: cst.ClassDef) -> tuple[cst.BaseStatement, ...]:
    body = cls.body
    return tuple(body.body) if isinstance(body, cst.IndentedBlock) else ()


def column_call(stmt: cst.CSTNode) -> cst.Call | None:
    """The ``Column(...)`` / ``mapped_column(...)`` call a statement assigns, if any."""
    _, value = assignment(stmt)
    if value is not None and call_name(value) in COLUMN_CALLS:
        assert isinstance(value, cst.Call)
        return value
    return None


def bare_mapped(stmt: cst.CSTNode) -> bool:
    """``name: Mapped[T]`` with no value: a typed column, its type from the annotation."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return False
    small = stmt.body[0]
    if not isinstance(small, cst.AnnAssign) or small.value is not None:
        return False
    annotation = small.annotation.annotation
    return (
        isinstance(small.target, cst.Name)
        and isinstance(annotation, cst.Subscript)
        and (dotted(annotation.value) or "").rsplit(".", 1)[-1] == "Mapped"
    )


def column_name(stmt: cst.CSTNode) -> str | None:
    """The database column a class statement declares: an explicit name, else the
    attribute (also for a bare ``name: Mapped[T]``)."""
    attr, _ = assignment(stmt)
    call = column_call(stmt)
    if call is None:
        return attr if bare_mapped(stmt) else None
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "name":
            return string_value(arg.value) or attr
    positional = [a for a in call.args if a.keyword is None and not a.star]
    if positional:
        explicit = string_value(positional[0].value)
        if explicit is not None:
            return explicit
    return attr


def column_statements(cls: cst.ClassDef) -> dict[str, int]:
    """Database column name -> index of its statement in the class body."""
    found: dict[str, int] = {}
    for index, stmt in enumerate(class_statements(cls)):
        name = column_name(stmt)
        if name is not None:
            found.setdefault(name, index)
    return found


def table_args_entries(cls: cst.ClassDef) -> Iterator[tuple[str | None, cst.Call]]:
    """(name=..., call) for each constraint/index call in ``__table_args__``."""
    for stmt in class_statements(cls):
        name, value = assignment(stmt)
        if name != "__table_args__" or value is None:
            continue
        items = value.elements if isinstance(value, cst.Tuple | cst.List) else ()
        for element in items:
            if isinstance(element.value, cst.Call):
                yield _name_kwarg(element.value), element.value


def _name_kwarg(call: cst.Call) -> str | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "name":
            return string_value(arg.value)
    if call_name(call) == "Index" and call.args and call.args[0].keyword is None:
        return string_value(call.args[0].value)
    return None
