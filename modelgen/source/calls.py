"""Argument-level libcst edits of a call or statement: a keyword set or removed, the type
argument of a ``Column(...)``, a ``Mapped[X | None]`` annotation, enum labels in
the file's quote style, an entry of ``__table_args__``.  Each keeps every
argument, comment and comma it does not change."""

from __future__ import annotations

import libcst as cst

from modelgen.generate.literals import lit
from modelgen.source.cst import call_name, string_value

_NOT_TYPES = ("ForeignKey", "Sequence", "Identity", "Computed")
_SPACE = cst.SimpleWhitespace(" ")
_NONE = cst.SimpleWhitespace("")


def type_arg(call: cst.Call) -> int | None:
    """Index of a Column/mapped_column call's type argument (after an optional name)."""
    for i, arg in enumerate(call.args):
        if arg.keyword is not None or arg.star:
            continue
        if i == 0 and string_value(arg.value) is not None:
            continue
        if call_name(arg.value) in _NOT_TYPES:
            return None
        return i
    return None


def call_bare_types(node: cst.BaseExpression) -> cst.BaseExpression:
    """A rendered Column/mapped_column call with its argument-less type called, as a
    file that writes ``db.Text()`` does: ``db.Column(db.Text)`` -> ``db.Column(db.Text())``,
    ``ARRAY(db.Text)`` -> ``ARRAY(db.Text())``.  Only a type class the generator
    names through a module (``db.``, ``sa.``, ``postgresql.``) is called, never a
    variable holding a type (``status_enum``)."""
    if not isinstance(node, cst.Call):
        return node
    at = type_arg(node)
    if at is None:
        return node
    args = list(node.args)
    args[at] = args[at].with_changes(value=_called(args[at].value))
    return node.with_changes(args=args)


def _called(node: cst.BaseExpression) -> cst.BaseExpression:
    if (
        isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value in ("db", "sa", "postgresql")
        and node.attr.value[:1].isupper()
    ):
        return cst.Call(func=node)
    if isinstance(node, cst.Call) and call_name(node) == "ARRAY" and node.args:
        first = node.args[0]
        return node.with_changes(
            args=[first.with_changes(value=_called(first.value)), *node.args[1:]]
        )
    return node


def insert_type_arg(call: cst.Call, value: cst.BaseExpression) -> cst.Call:
    """A type argument for a call that has none: first, or after the column's name."""
    args = list(call.args)
    at = 1 if args and string_value(args[0].value) is not None else 0
    if at < len(args):  # an argument follows: the new one is separated from it
        new = cst.Arg(value=value, comma=cst.Comma(whitespace_after=_SPACE))
        return call.with_changes(args=[*args[:at], new, *args[at:]])
    new = cst.Arg(value=value)
    if args:  # after the name, the last argument: it takes the name's comma
        name = args[-1]
        new = new.with_changes(comma=name.comma)
        separator = cst.Comma(whitespace_after=_SPACE)
        if isinstance(name.comma, cst.Comma):  # one argument a line: one more line
            separator = name.comma.with_changes(
                whitespace_after=call.whitespace_before_args
            )
        args[-1] = name.with_changes(comma=separator)
    return call.with_changes(args=[*args, new])


def kwarg(call: cst.Call, key: str) -> cst.BaseExpression | None:
    return next(
        (a.value for a in call.args if a.keyword and a.keyword.value == key), None
    )


def set_kwarg(call: cst.Call, key: str, value: cst.BaseExpression | None) -> cst.Call:
    """Change ``key=``'s value in place, append it, or remove it (``value`` None)."""
    args = list(call.args)
    for i, arg in enumerate(args):
        if arg.keyword is not None and arg.keyword.value == key:
            if value is None:
                return remove_arg(call, arg)
            args[i] = arg.with_changes(value=value)
            return call.with_changes(args=args)
    if value is None:
        return call
    new = cst.Arg(
        keyword=cst.Name(key),
        value=value,
        equal=cst.AssignEqual(whitespace_before=_NONE, whitespace_after=_NONE),
    )
    if args:
        last = args[-1]
        if isinstance(last.comma, cst.Comma):
            # one argument a line with a trailing comma: the new one becomes the last
            # line, the old last takes the separator the others have
            new = new.with_changes(comma=last.comma)
            if len(args) > 1:
                args[-1] = last.with_changes(comma=args[-2].comma)
        else:
            args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=_SPACE))
    return call.with_changes(args=[*args, new])


def remove_arg(call: cst.Call, arg: cst.Arg) -> cst.Call:
    args = list(call.args)
    at = args.index(arg)
    del args[at]
    if at == len(args) and args:  # it was the last: the new last takes its comma
        args[-1] = args[-1].with_changes(comma=arg.comma)
    return call.with_changes(args=args)


def replace_call(stmt: cst.BaseStatement, call: cst.Call) -> cst.BaseStatement:
    assert isinstance(stmt, cst.SimpleStatementLine)
    return stmt.with_changes(body=[stmt.body[0].with_changes(value=call)])


def replace_value(
    stmt: cst.BaseStatement, value: cst.BaseExpression
) -> cst.BaseStatement:
    assert isinstance(stmt, cst.SimpleStatementLine)
    return stmt.with_changes(body=[stmt.body[0].with_changes(value=value)])


def replace_node(root: cst.Call, old: cst.CSTNode, new: cst.CSTNode) -> cst.Call:
    result = root.deep_replace(old, new)
    assert isinstance(result, cst.Call)
    return result


def set_optional(node: cst.BaseExpression, nullable: bool) -> cst.BaseExpression | None:
    """``Mapped[X]`` <-> ``Mapped[X | None]`` (also reads ``Optional[X]``)."""
    if not isinstance(node, cst.Subscript) or len(node.slice) != 1:
        return None
    element = node.slice[0].slice
    if not isinstance(element, cst.Index):
        return None
    inner = element.value
    optional = (
        isinstance(inner, cst.BinaryOperation)
        and isinstance(inner.operator, cst.BitOr)
        and isinstance(inner.right, cst.Name)
        and inner.right.value == "None"
    )
    wrapped = (
        isinstance(inner, cst.Subscript)
        and call_name(cst.Call(func=inner.value)) == "Optional"
    )
    if nullable == (optional or wrapped):
        return node
    if nullable:
        new: cst.BaseExpression = cst.BinaryOperation(
            left=inner,
            operator=cst.BitOr(whitespace_before=_SPACE, whitespace_after=_SPACE),
            right=cst.Name("None"),
        )
    elif optional:
        assert isinstance(inner, cst.BinaryOperation)
        new = inner.left
    else:
        assert isinstance(inner, cst.Subscript)
        first = inner.slice[0].slice
        if not isinstance(first, cst.Index):
            return None
        new = first.value
    return node.with_changes(
        slice=[node.slice[0].with_changes(slice=element.with_changes(value=new))]
    )


def enum_labels(
    node: cst.BaseExpression, definitions: dict[str, cst.BaseExpression]
) -> list[str] | None:
    if isinstance(node, cst.Name) and node.value in definitions:
        node = definitions[node.value]
    if call_name(node) == "ARRAY" and isinstance(node, cst.Call) and node.args:
        return enum_labels(node.args[0].value, definitions)
    if call_name(node) != "Enum" or not isinstance(node, cst.Call):
        return None
    return [
        v
        for a in node.args
        if a.keyword is None and (v := string_value(a.value)) is not None
    ]


def _quote(nodes: list[cst.BaseExpression]) -> str:
    for node in nodes:
        if isinstance(node, cst.SimpleString):
            return node.quote
    return '"'


def _string(label: str, quote: str) -> cst.SimpleString:
    text = lit(label)
    if quote == "'" and "'" not in label and "\\" not in text:
        text = "'" + text[1:-1].replace('\\"', '"') + "'"
    return cst.SimpleString(text)


def _commas(old: list[cst.Comma | cst.MaybeSentinel], count: int) -> list:
    """Commas for ``count`` new items laid out like the old ones: the old separator
    between them (one line, or one item a line), the old last comma after the last."""
    middle = old[0] if len(old) > 1 else cst.Comma(whitespace_after=_SPACE)
    last = old[-1] if old else cst.MaybeSentinel.DEFAULT
    return [middle] * (count - 1) + [last] if count else []


def replace_strings(value: cst.BaseExpression, labels: list[str]) -> cst.BaseExpression:
    """A module-level tuple/list of labels with production's labels, in its own quotes
    and layout."""
    if not isinstance(value, cst.Tuple | cst.List):
        return value
    quote = _quote([e.value for e in value.elements])
    commas = _commas([e.comma for e in value.elements], len(labels))
    elements = [
        cst.Element(value=_string(label, quote), comma=comma)
        for label, comma in zip(labels, commas, strict=True)
    ]
    return value.with_changes(elements=elements)


def replace_string_args(call: cst.Call, labels: list[str]) -> cst.Call:
    """``Enum("a", "b", name=...)`` with production's labels, in its quotes and layout."""
    quote = _quote([a.value for a in call.args])
    strings = [
        a for a in call.args if a.keyword is None and string_value(a.value) is not None
    ]
    others = [a for a in call.args if a not in strings]
    commas = _commas([a.comma for a in strings], len(labels))
    new = [
        cst.Arg(value=_string(label, quote), comma=comma)
        for label, comma in zip(labels, commas, strict=True)
    ]
    if others and new and not isinstance(new[-1].comma, cst.Comma):
        new[-1] = new[-1].with_changes(comma=cst.Comma(whitespace_after=_SPACE))
    return call.with_changes(args=[*new, *others])


def rendered_by_name(table_args: tuple[str, ...]) -> dict[str, cst.BaseExpression]:
    """Production's constraints and indexes as the generator renders them, by name."""
    found: dict[str, cst.BaseExpression] = {}
    for text in table_args:
        node = cst.parse_expression(text)
        if isinstance(node, cst.Call):
            for arg in node.args:
                if arg.keyword is not None and arg.keyword.value == "name":
                    name = string_value(arg.value)
                    if name:
                        found[name] = node
            if call_name(node) == "Index" and node.args:
                name = string_value(node.args[0].value)
                if name:
                    found[name] = node
    return found


def edit_sequence(
    value: cst.Tuple | cst.List, entry: cst.Call, new: cst.BaseExpression | None
) -> cst.BaseExpression:
    elements = list(value.elements)
    at = next(i for i, e in enumerate(elements) if e.value is entry)
    if new is not None:
        elements[at] = elements[at].with_changes(value=new)
        return value.with_changes(elements=elements)
    removed = elements.pop(at)
    if at == len(elements) and elements:
        elements[-1] = elements[-1].with_changes(comma=removed.comma)
    if (
        isinstance(value, cst.Tuple)
        and len(elements) == 1
        and not isinstance(elements[0].comma, cst.Comma)
    ):
        elements[0] = elements[0].with_changes(comma=cst.Comma())  # still a tuple
    return value.with_changes(elements=elements)
