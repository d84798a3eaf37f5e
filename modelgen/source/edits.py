"""Minimal edits to one model class (libcst): the drifted facts of a table, nothing else.

``TableEditor`` takes production's table rendered by the generator's own
``ColumnRenderer`` (so a repaired column is what ``generate`` would write) and
changes, in the file's class, only the arguments of the drifted facts: a
changed length changes that type argument, a nullability change that keyword
(or the ``Mapped[... | None]`` annotation), and every other argument, comment
and the quote style stay.  Names are spelled the file's way (``cst.Spelling``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import libcst as cst

from modelgen.catalog.schema import Table
from modelgen.generate.columns import RenderedTable
from modelgen.source.calls import (
    call_bare_types,
    edit_sequence,
    enum_labels,
    insert_type_arg,
    kwarg,
    remove_arg,
    rendered_by_name,
    replace_call,
    replace_node,
    replace_string_args,
    replace_strings,
    replace_value,
    set_kwarg,
    set_optional,
    type_arg,
)
from modelgen.source.cst import (
    assignment,
    call_name,
    class_statements,
    column_call,
    column_statements,
    string_value,
    table_args_entries,
)
from modelgen.source.spelling import Spelling, respell

# column findings fixed by changing one statement's arguments
COLUMN_KINDS = ("type", "length", "nullable", "default", "comment", "enum")
KEY_KINDS = ("unique", "check", "foreign-key", "exclusion", "index")
_SPACE = cst.SimpleWhitespace(" ")
_NONE = cst.SimpleWhitespace("")


@dataclass
class ClassEdit:
    """What happened to one class: its statements replaced, inserted, removed."""

    body: list[cst.BaseStatement]
    module_values: dict[str, cst.BaseExpression] = field(default_factory=dict)
    # top-level statements to remove (an Index(...) production lacks)
    module_removed: list[cst.BaseStatement] = field(default_factory=list)
    skipped: dict[str, str] = field(
        default_factory=dict
    )  # finding key -> why not fixed


class TableEditor:
    def __init__(
        self,
        cls: cst.ClassDef,
        prod: Table,
        rendered: RenderedTable,
        spelling: Spelling,
        values: dict[str, cst.BaseExpression],  # the module's top-level assignments
        module_indexes: dict[str, cst.SimpleStatementLine] | None = None,
    ) -> None:
        self.cls = cls
        self.prod = prod
        self.spelling = spelling
        self.values = values
        self.module_indexes = module_indexes or {}
        self.body = list(class_statements(cls))
        self.index = column_statements(cls)
        # a type without arguments written as the file writes it (db.Text or db.Text())
        shape = call_bare_types if spelling.type_calls else (lambda node: node)
        self.rendered = {
            c.name: shape(cst.parse_expression(a.expr))
            for c, a in zip(prod.columns, rendered.attributes, strict=True)
        }
        self.annotations = {
            c.name: a.annotation
            for c, a in zip(prod.columns, rendered.attributes, strict=True)
        }
        self.attrs = {
            c.name: a.name
            for c, a in zip(prod.columns, rendered.attributes, strict=True)
        }
        # production's keys by name, as a model declaring them would: the unique
        # constraints the generator adds after the table too
        self.table_args = rendered.table_args + rendered.merged_args
        self.custom = set(rendered.custom_types)
        self.definitions = {
            name: cst.parse_expression(expr)
            for name, expr in rendered.definitions.items()
        }
        self.inline = {  # enum/domain variables this file does not define
            k: v for k, v in self.definitions.items() if k not in values
        }
        self.edit = ClassEdit(body=[])
        self.removed: set[int] = set()
        self.inserted: dict[str, cst.BaseStatement] = {}
        self.new_table_args: cst.BaseStatement | None = None  # after __tablename__

    def _respell(self, node: cst.BaseExpression) -> cst.BaseExpression:
        return respell(cst.Module([]).code_for_node(node), self.spelling, self.inline)

    # -- columns ---------------------------------------------------------------

    def _undefined(self, node: cst.CSTNode) -> str | None:
        """Why a rendered expression cannot go into this file: it needs a custom type
        class (a ``UserDefinedType`` modelgen generates) the file does not define."""
        text = _code(node)
        missing = [n for n in sorted(self.custom) if n not in self.values and n in text]
        if missing:
            return (
                f"needs the type class {missing[0]}, which `modelgen generate` writes"
            )
        return None

    def add_column(self, name: str) -> str | None:
        why = self._undefined(self.rendered[name])
        if why is not None:
            return why
        expr = self._respell(self.rendered[name])
        attr = self.attrs[name]
        code = cst.Module([]).code_for_node(expr)
        annotation = self.annotations[name]
        if annotation is not None:
            text = _code(self._respell(cst.parse_expression(annotation)))
            line = f"{attr}: {text} = {code}"
        else:
            line = f"{attr} = {code}"
        # one line: laid out by Black afterwards only in a Black file (blackstyle.py)
        self.inserted[name] = cst.parse_statement(line + "\n")
        return None

    def remove_column(self, name: str) -> None:
        position = self.index.get(name)
        if position is not None:
            self.removed.add(position)

    def change_column(self, name: str, kind: str) -> str | None:
        """Apply one column finding; returns why it could not be, or None."""
        position = self.index.get(name)
        if position is None:
            return "no Column(...) statement found for it in the class"
        stmt = self.body[position]
        call = column_call(stmt)
        target = self.rendered[name]
        assert isinstance(target, cst.Call)
        if call is None:  # a bare `name: Mapped[T]`: its facts are the annotation's
            if kind == "enum":
                return "its enum is the type of its Mapped[...] annotation"
            call = cst.Call(func=self._respell(target.func))
            if kind == "nullable":
                return self._set_nullable(position, call, target, name)
            stmt = replace_call(stmt, call)  # `= mapped_column()`, its arguments below
        if kind in ("type", "length"):
            why = self._undefined(target)
            if why is not None:
                return why
            call = self._set_type(call, target)
        elif kind == "enum":
            call, problem = self._set_enum(call, target)
            if problem:
                return problem
        elif kind == "nullable":
            return self._set_nullable(position, call, target, name)
        elif kind in ("default", "comment"):
            key = "server_default" if kind == "default" else "comment"
            value = kwarg(target, key)
            call = set_kwarg(call, key, None if value is None else self._respell(value))
        stmt = replace_call(stmt, call)
        if kind == "type":
            stmt = self._set_python_type(stmt, name)
        self.body[position] = stmt
        return None

    def _set_python_type(self, stmt: cst.BaseStatement, name: str) -> cst.BaseStatement:
        """A typed column whose type changed: ``Mapped[old]`` -> ``Mapped[new]``, keeping
        how the file writes optional (``| None`` or ``Optional[...]``)."""
        small = stmt.body[0] if isinstance(stmt, cst.SimpleStatementLine) else None
        rendered = self.annotations[name]
        if not isinstance(small, cst.AnnAssign) or rendered is None:
            return stmt
        old = small.annotation.annotation
        new = set_optional(self._respell(cst.parse_expression(rendered)), False)
        old_plain = set_optional(old, False)
        if new is None or old_plain is None:
            return stmt
        if _code(new) == _code(old_plain):
            return stmt
        if _code(old_plain) != _code(old):  # the file wrote it optional
            new = set_optional(new, True) or new
        annotation = small.annotation.with_changes(annotation=new)
        assert isinstance(stmt, cst.SimpleStatementLine)
        return stmt.with_changes(body=[small.with_changes(annotation=annotation)])

    def _set_type(self, call: cst.Call, target: cst.Call) -> cst.Call:
        return set_type(call, target, self._respell)

    def _set_enum(
        self, call: cst.Call, target: cst.Call
    ) -> tuple[cst.Call, str | None]:
        """Production's labels where the file lists them: in the Enum(...) call, in the
        module-level tuple it unpacks (``*ROLES``), or in a module-level enum variable.
        """
        new = type_arg(target)
        labels = (
            None
            if new is None
            else enum_labels(target.args[new].value, self.definitions)
        )
        old = type_arg(call)
        if labels is None or old is None:
            return call, "its enum is not declared in this statement"
        node = call.args[old].value
        if call_name(node) == "ARRAY" and isinstance(node, cst.Call) and node.args:
            node = node.args[0].value
        if isinstance(node, cst.Name):
            value = self.values.get(node.value)
            if call_name(value) != "Enum" if value is not None else True:
                return (
                    call,
                    f"enum {node.value} is not an Enum(...) defined in this file",
                )
            assert isinstance(value, cst.Call)
            self.edit.module_values[node.value] = replace_string_args(value, labels)
            return call, None
        if call_name(node) != "Enum" or not isinstance(node, cst.Call):
            return call, "its enum is not a literal Enum(...) call"
        star = next((a for a in node.args if a.star == "*"), None)
        if star is not None and isinstance(star.value, cst.Name):
            value = self.values.get(star.value.value)
            if not isinstance(value, cst.Tuple | cst.List):
                return (
                    call,
                    f"the labels {star.value.value} are not a tuple in this file",
                )
            self.edit.module_values[star.value.value] = replace_strings(value, labels)
            return call, None
        if any(a.keyword is None and string_value(a.value) is None for a in node.args):
            return call, "its Enum is built from a Python enum or an expression"
        return replace_node(call, node, replace_string_args(node, labels)), None

    def _set_nullable(
        self, position: int, call: cst.Call, target: cst.Call, name: str
    ) -> str | None:
        stmt = self.body[position]
        nullable = name not in {c.name for c in self.prod.columns if not c.nullable}
        has_kwarg = kwarg(call, "nullable") is not None
        small = stmt.body[0] if isinstance(stmt, cst.SimpleStatementLine) else None
        if isinstance(small, cst.AnnAssign) and not has_kwarg:
            annotation = set_optional(small.annotation.annotation, nullable)
            if annotation is None:
                return "its Mapped[...] annotation is not one modelgen can edit"
            new_small = small.with_changes(
                annotation=small.annotation.with_changes(annotation=annotation)
            )
            assert isinstance(stmt, cst.SimpleStatementLine)
            self.body[position] = stmt.with_changes(body=[new_small])
            return None
        value = None if nullable else cst.Name("False")
        self.body[position] = replace_call(stmt, set_kwarg(call, "nullable", value))
        return None

    # -- the new class body ------------------------------------------------------

    def finish(self) -> ClassEdit:
        names = [c.name for c in self.prod.columns]
        after: dict[int, list[cst.BaseStatement]] = {}
        before: dict[int, list[cst.BaseStatement]] = {}
        for i, name in enumerate(names):
            if name not in self.inserted:
                continue
            anchor = _anchor(names[:i][::-1], self.index)
            if anchor is not None:
                after.setdefault(anchor, []).append(self.inserted[name])
                continue
            anchor = _anchor(names[i + 1 :], self.index)
            if anchor is not None:
                before.setdefault(anchor, []).append(self.inserted[name])
            else:
                after.setdefault(_tablename_index(self.body), []).append(
                    self.inserted[name]
                )
        if self.new_table_args is not None:
            after.setdefault(_tablename_index(self.body), []).insert(
                0, self.new_table_args
            )
        body: list[cst.BaseStatement] = []
        carry: list[cst.EmptyLine] = []
        for i, stmt in enumerate(self.body):
            body += before.get(i, [])
            if i in self.removed:
                # a comment above a removed column stays, above the next statement
                carry += [line for line in _leading(stmt) if line.comment]
                continue
            if carry:
                stmt = stmt.with_changes(leading_lines=[*carry, *_leading(stmt)])
                carry = []
            body.append(stmt)
            body += after.get(i, [])
        self.edit.body = body
        return self.edit


def set_type(
    call: cst.Call,
    target: cst.Call,
    respell_node: Callable[[cst.BaseExpression], cst.BaseExpression],
) -> cst.Call:
    """``call``'s type argument made production's (``target``'s), in the file's spelling."""
    new = type_arg(target)
    if new is None:
        return call
    rendered = target.args[new].value
    old = type_arg(call)
    args = list(call.args)
    if old is None:
        return insert_type_arg(call, respell_node(rendered))
    old_node = args[old].value
    if (
        isinstance(old_node, cst.Call)
        and isinstance(rendered, cst.Call)
        and call_name(old_node) == call_name(rendered)
    ):
        # the same type: only its arguments change, the file's spelling of it
        # stays (respelling the whole call would import a spelling left unused)
        new_args = [a.with_changes(value=respell_node(a.value)) for a in rendered.args]
        new_node: cst.BaseExpression = old_node.with_changes(args=new_args)
    else:
        new_node = respell_node(rendered)
    args[old] = args[old].with_changes(value=new_node)
    return call.with_changes(args=args)


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def _leading(stmt: cst.BaseStatement) -> list[cst.EmptyLine]:
    return list(getattr(stmt, "leading_lines", ()))


def _anchor(names: list[str], index: dict[str, int]) -> int | None:
    return next((index[n] for n in names if n in index), None)


def _tablename_index(body: list[cst.BaseStatement]) -> int:
    return next(
        (i for i, s in enumerate(body) if assignment(s)[0] == "__tablename__"), 0
    )


# -- constraints and indexes in __table_args__ or on a column ----------------


_KEY_CALLS = {
    "unique": "UniqueConstraint",
    "check": "CheckConstraint",
    "foreign-key": "ForeignKeyConstraint",
    "exclusion": "ExcludeConstraint",
    "index": "Index",
}


def fix_key(
    editor: TableEditor, kind: str, subject: str | None, columns: tuple[str, ...] = ()
) -> str | None:
    """Production's definition of a constraint or index the model declares (or its
    removal when production lacks it), in ``__table_args__`` or on a column.

    ``columns``: the key's columns in the model.  A key the file leaves unnamed has
    a name all the same under a naming convention (``uq_tickets_code``): an
    unnamed entry with those columns is that key.
    """
    if subject is None:
        return "the model does not name it"
    production = rendered_by_name(editor.table_args).get(subject)
    for position, stmt in enumerate(editor.body):
        name, value = assignment(stmt)
        if name != "__table_args__" or not isinstance(value, cst.Tuple | cst.List):
            continue
        for entry_name, entry in table_args_entries(editor.cls):
            if entry_name != subject and not (
                entry_name is None
                and columns
                and call_name(entry) == _KEY_CALLS.get(kind)
                and _entry_columns(entry) == columns
            ):
                continue
            new_value = edit_sequence(
                value,
                entry,
                None if production is None else editor._respell(production),
            )
            editor.body[position] = replace_value(stmt, new_value)
            return None
    return _fix_column_key(editor, kind, subject, production, columns)


def _entry_columns(entry: cst.Call) -> tuple[str, ...]:
    """The column names a ``__table_args__`` call lists first: ``UniqueConstraint("a",
    "b")``, ``ForeignKeyConstraint(["a"], [...])``."""
    positional = [a.value for a in entry.args if a.keyword is None and not a.star]
    if positional and isinstance(positional[0], cst.List | cst.Tuple):
        positional = [e.value for e in positional[0].elements]
    names = [string_value(v) for v in positional]
    return tuple(n for n in names if n is not None) if all(names) else ()


def _fix_column_key(
    editor: TableEditor,
    kind: str,
    subject: str,
    production: cst.BaseExpression | None,
    columns: tuple[str, ...] = (),
) -> str | None:
    column = subject
    if len(columns) == 1 and columns[0] in editor.index:
        column = columns[0]  # the key of one column, whatever its name
    elif kind == "index" and subject.startswith(f"ix_{editor.prod.name}_"):
        column = subject[len(f"ix_{editor.prod.name}_") :]
    position = editor.index.get(column)
    stmt = editor.body[position] if position is not None else None
    call = column_call(stmt) if stmt is not None else None
    if kind in ("unique", "index") and call is not None and kwarg(call, kind):
        if production is None:  # `unique=True` / `index=True` production lacks
            assert stmt is not None and position is not None
            editor.body[position] = replace_call(stmt, set_kwarg(call, kind, None))
            return None
    elif kind == "index":  # not declared on the column: perhaps after the class
        return _fix_module_index(editor, subject, production)
    if stmt is None or position is None:
        return "it is not in __table_args__ nor on a column"
    if call is None:  # a bare `name: Mapped[T]` declares no key
        return "modelgen cannot tell how this file declares it"
    if kind == "foreign-key":
        target = editor.rendered[column]
        assert isinstance(target, cst.Call)
        new = [
            editor._respell(a.value)
            for a in target.args
            if call_name(a.value) == "ForeignKey"
        ]
        old = [a for a in call.args if call_name(a.value) == "ForeignKey"]
        if len(old) == 1 and len(new) == 1:
            editor.body[position] = replace_call(
                stmt, replace_node(call, old[0].value, new[0])
            )
            return None
        if len(old) == 1 and not new:
            editor.body[position] = replace_call(stmt, remove_arg(call, old[0]))
            return None
    return "modelgen cannot tell how this file declares it"


def _fix_module_index(
    editor: TableEditor, subject: str, production: cst.BaseExpression | None
) -> str | None:
    """A top-level ``Index("name", Model.column)``: removed when production lacks it.
    Production's definition is not written there (its columns are names, which a
    top-level Index cannot resolve), nor is an Index bound to a name removed."""
    stmt = editor.module_indexes.get(subject)
    if stmt is None:
        return "it is not in __table_args__ nor on a column"
    if production is not None:
        return "it is declared after the class: change it there"
    if not isinstance(stmt.body[0], cst.Expr):
        return "it is bound to a name after the class, which code may use"
    editor.edit.module_removed.append(stmt)
    return None
