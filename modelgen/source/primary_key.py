"""``drift --fix`` of a primary key: production's ``PrimaryKeyConstraint(...)`` (its
name, columns and their order) in the class, the model's own declaration replaced.

Production's key is written in ``__table_args__`` whenever ``primary_key=True`` on
the columns would not give it (``modelgen.generate.columns``), so that is the one
form a fix writes: an entry there is replaced; a key declared on the columns loses
their ``primary_key=True`` and the entry goes first in ``__table_args__``.

``declare_key`` writes any other production key or index the same way (``sync``:
the keys a production change added, which the model does not declare).
"""

from __future__ import annotations

import libcst as cst

from modelgen.source.calls import (
    edit_sequence,
    kwarg,
    rendered_by_name,
    replace_call,
    replace_value,
    set_kwarg,
)
from modelgen.source.cst import assignment, call_name, column_call, table_args_entries
from modelgen.source.edits import TableEditor


def fix_primary_key(editor: TableEditor) -> str | None:
    """Production's key in place of the model's; returns why it could not be, or None."""
    pk = editor.prod.primary_key
    production = rendered_by_name(editor.table_args).get(pk.name) if pk else None
    if production is None or call_name(production) != "PrimaryKeyConstraint":
        return "production's key is written on its columns (primary_key=True)"
    new = editor._respell(production)
    for _, entry in table_args_entries(editor.cls):
        if call_name(entry) == "PrimaryKeyConstraint":
            return _table_args(editor, new, replacing=entry)
    keyed = []
    for position in editor.index.values():
        call = column_call(editor.body[position])
        if call is not None and kwarg(call, "primary_key") is not None:
            keyed.append((position, call))
    if not keyed:
        return "modelgen cannot tell how this file declares its key"
    why = _table_args(editor, new)
    if why is None:
        for position, call in keyed:
            without = set_kwarg(call, "primary_key", None)
            editor.body[position] = replace_call(editor.body[position], without)
    return why


def declare_key(editor: TableEditor, subject: str | None) -> str | None:
    """Production's constraint or index ``subject``, which the model does not
    declare, added to ``__table_args__`` the way a key is (created after
    ``__tablename__`` when the class has none).  ``sync`` asks it for the keys and
    indexes a production change added."""
    production = rendered_by_name(editor.table_args).get(subject or "")
    if production is None:
        return "modelgen cannot write it in __table_args__"
    return _table_args(editor, editor._respell(production))


def _table_args(
    editor: TableEditor, new: cst.BaseExpression, replacing: cst.Call | None = None
) -> str | None:
    """``new`` in ``__table_args__`` in place of ``replacing``, else first: a dict
    becomes ``(new, {...})``, a class without ``__table_args__`` gets ``(new,)``."""
    for position, stmt in enumerate(editor.body):
        name, value = assignment(stmt)
        if name != "__table_args__":
            continue
        if isinstance(value, cst.Tuple | cst.List):
            if replacing is not None:
                editor.body[position] = replace_value(
                    stmt, edit_sequence(value, replacing, new)
                )
            elif "\n" in _code(value):  # one entry a line: one more line
                editor.body[position] = replace_value(stmt, _first(value, new))
            else:  # on one line: one line more; follow_layout lays it out as the file
                _relay(editor, position, f"{_code(_first(value, new))}")
            return None
        if isinstance(value, cst.Dict):
            _relay(editor, position, f"({_code(new)}, {_code(value)})")
            return None
        return "its __table_args__ is not a tuple, list or dict"
    # one line: blackstyle.follow_layout lays it out as the file is laid out
    editor.new_table_args = cst.parse_statement(f"__table_args__ = ({_code(new)},)")
    return None


def _relay(editor: TableEditor, position: int, value: str) -> None:
    stmt = editor.body[position]
    line = f"__table_args__ = {value}"
    editor.body[position] = cst.parse_statement(line).with_changes(
        leading_lines=getattr(stmt, "leading_lines", ())
    )


def _first(value: cst.Tuple | cst.List, new: cst.BaseExpression) -> cst.BaseExpression:
    """``value`` with ``new`` as its first element, on a line of its own where the
    elements are (what follows the opening parenthesis follows ``new`` too)."""
    if isinstance(value, cst.List):
        after_open = value.lbracket.whitespace_after
    elif value.lpar:
        after_open = value.lpar[0].whitespace_after
    else:
        after_open = cst.SimpleWhitespace(" ")
    if "\n" not in _code(value):
        after_open = cst.SimpleWhitespace(" ")
    comma = cst.Comma(whitespace_after=after_open)
    return value.with_changes(elements=[cst.Element(new, comma=comma), *value.elements])


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)
