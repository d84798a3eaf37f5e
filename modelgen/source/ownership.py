"""Which statements of a generated file modelgen owns, and the hash over them.

modelgen owns what comes from the schema: module-level definitions (enums,
domains, tables, custom types), and in each mapped class ``__tablename__``,
``__table_args__``, the column attributes and the relationships. Each owned
statement has an identity that survives the renames a team makes (a class is
its table, a column its database name, a relationship what it joins) and a
canonical text that ignores layout, quotes and the attribute's own name. The
header's hash covers those pairs only, so hand-written code never counts and
a hand edit to an owned statement does. Imports are not hashed: a team adds
its own, and modelgen only ever adds the ones its statements need.
"""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass, replace

from modelgen.gcpause import collector_paused

# __bind_key__ is the config's `bind`: set, changed or removed with it
TABLE_ATTRS = ("__tablename__", "__table_args__", "__bind_key__")
COLUMN_CALLS = ("Column", "mapped_column")
# Module-level calls modelgen writes (db.Enum, postgresql.DOMAIN, db.Table, event.listen).
MODULE_ROOTS = ("db", "sa", "postgresql", "event")


@dataclass(frozen=True)
class Owned:
    """One owned statement: who it is, and what it says (layout-free)."""

    identity: str
    canonical: str
    kind: str  # "class", "attr", "column", "relationship", "definition"
    name: str = ""  # the attribute or variable it binds, as written


def _call_name(node: ast.expr) -> str:
    func = node.func if isinstance(node, ast.Call) else node
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _call_root(node: ast.expr) -> str:
    while isinstance(node, ast.Call | ast.Attribute):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else ""


def _target(stmt: ast.stmt) -> tuple[str, ast.expr | None, ast.expr | None] | None:
    """(name, annotation, value) of ``name = value`` / ``name: T = value``."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
        if isinstance(target, ast.Name):
            return target.id, None, stmt.value
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return stmt.target.id, stmt.annotation, stmt.value
    return None


def _text(node: ast.AST | None) -> str:
    return "" if node is None else ast.unparse(node)


def _str_arg(call: ast.Call) -> str | None:
    if call.args and isinstance(call.args[0], ast.Constant):
        value = call.args[0].value
        return value if isinstance(value, str) else None
    return None


def _keyword(call: ast.Call, name: str) -> str:
    return next((_text(k.value) for k in call.keywords if k.arg == name), "")


def table_of(body: list[ast.stmt]) -> str | None:
    """``schema.table`` (or ``table``) of a mapped class, from its own statements."""
    table = schema = None
    for stmt in body:
        found = _target(stmt)
        if found is None or found[2] is None:
            continue
        name, _, value = found
        assert value is not None
        if name == "__tablename__" and isinstance(value, ast.Constant):
            table = value.value if isinstance(value.value, str) else None
        elif name == "__table_args__":
            schema = _schema_of(value)
    if table is None:
        return None
    return f"{schema}.{table}" if schema else table


def _schema_of(value: ast.expr) -> str | None:
    items = value.elts if isinstance(value, ast.Tuple) else [value]
    for item in items:
        if isinstance(item, ast.Dict):
            for key, val in zip(item.keys, item.values, strict=True):
                if (
                    isinstance(key, ast.Constant)
                    and key.value == "schema"
                    and isinstance(val, ast.Constant)
                    and isinstance(val.value, str)
                ):
                    return val.value
    return None


def member_item(stmt: ast.stmt, table: str) -> Owned | None:
    """The owned statement a mapped class's member is, or None for hand code."""
    found = _target(stmt)
    if found is None or found[2] is None:
        return None
    name, annotation, value = found
    if name in TABLE_ATTRS:
        return Owned(f"{table}:{name}", _text(value), "attr", name)
    if not isinstance(value, ast.Call):
        return None
    call = _call_name(value)
    prefix = f"{_text(annotation)} = " if annotation is not None else ""
    if call in COLUMN_CALLS:
        column = _str_arg(value) or name
        args = value.args[1:] if _str_arg(value) is not None else value.args
        bare = ast.Call(func=value.func, args=args, keywords=value.keywords)
        return Owned(f"{table}:column:{column}", prefix + _text(bare), "column", name)
    if call == "relationship":
        joins = [_text(value.args[0]) if value.args else ""]
        joins += [_keyword(value, k) for k in ("foreign_keys", "secondary")]
        key = ",".join(joins)
        # back_populates names the other side's attribute, which the team may rename
        kept = [k for k in value.keywords if k.arg != "back_populates"]
        bare = ast.Call(func=value.func, args=value.args, keywords=kept)
        return Owned(
            f"{table}:relationship:{key}", prefix + _text(bare), "relationship", name
        )
    return None


def module_item(stmt: ast.stmt) -> Owned | None:
    """The owned statement a module-level statement is (classes: the class only)."""
    if isinstance(stmt, ast.ClassDef):
        table = table_of(stmt.body)
        if table is not None:
            return Owned(f"class:{table}", "", "class", stmt.name)
        # UserDefinedType[Any]: the generic base a type checker wants
        bases = {
            _call_name(b.value if isinstance(b, ast.Subscript) else b)
            for b in stmt.bases
        }
        if "UserDefinedType" in bases or any(
            _target(s) is not None and _target(s)[0] == "__table__"  # type: ignore[index]
            for s in stmt.body
        ):
            return Owned(
                f"definition:{stmt.name}", _text(stmt), "definition", stmt.name
            )
        return None
    found = _target(stmt)
    if found is not None and isinstance(found[2], ast.Call):
        if _call_root(found[2]) in MODULE_ROOTS:
            name = found[0]
            return Owned(f"definition:{name}", _text(found[2]), "definition", name)
        return None
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        if _call_root(stmt.value) in MODULE_ROOTS:
            text = _text(stmt)
            return Owned(f"statement:{text}", text, "definition")
    return None


def owned_items(tree: ast.Module) -> list[Owned]:
    """Every statement of ``tree`` that looks like one modelgen writes."""
    items: list[Owned] = []
    for stmt in tree.body:
        item = module_item(stmt)
        if item is None:
            continue
        items.append(item)
        if item.kind == "class":
            table = item.identity.removeprefix("class:")
            assert isinstance(stmt, ast.ClassDef)
            for member in stmt.body:
                owned = member_item(member, table)
                if owned is not None:
                    items.append(owned)
    return items


def numbered(owned: Owned, seen: dict[str, int]) -> Owned:
    """``owned``, its identity made unique within its class for the merge.

    The two sides of a self-reference (``parent`` with ``remote_side`` and
    ``children``) join the same key, so they share an identity: keyed by it,
    the merge kept one of them.  A repeat is told apart by its place (the
    second ``…:relationship:Category,Category.parent_id`` is ``…#2``), the same
    on both sides, since the file and the fresh text list them in the
    template's order.  Only the merge sees this (merge.py for the file,
    merge_cst.py inside a class: both must number alike); the header's hash
    keeps the identities it has always had (owned_hash).
    """
    count = seen.get(owned.identity, 0) + 1
    seen[owned.identity] = count
    return owned if count == 1 else replace(owned, identity=f"{owned.identity}#{count}")


def item_line(item: Owned) -> str:
    return f"{item.identity}\t{item.canonical}"


def lines_hash(lines: list[str]) -> str:
    """The hash of owned statements given as their ``item_line``s, in any order."""
    return hashlib.sha256("\n".join(sorted(lines)).encode("utf-8")).hexdigest()


def items_hash(items: list[Owned]) -> str:
    return lines_hash([item_line(item) for item in items])


def owned_hash(body: str) -> str:
    """The hash of a file body's owned statements (what the header records).

    Its value is recorded in every generated file's header: it must never change
    for a given body (tests/unit/test_owned_hash.py keeps the plain definition,
    ``items_hash(owned_items(ast.parse(body)))``, and compares).  Two things make
    it fast at thousands of tables: the cyclic garbage collector is off while the
    module's million AST nodes are built (none is cyclic garbage), and a
    statement's canonical text is computed once per distinct statement text
    (generated modules repeat the same columns and keys across tables).
    """
    with collector_paused():
        try:
            tree = ast.parse(body)
        except (SyntaxError, ValueError):
            return hashlib.sha256(body.encode("utf-8")).hexdigest()
        return _hash_lines(tree, body)


def _hash_lines(tree: ast.Module, body: str) -> str:
    """``items_hash(owned_items(tree))``, each distinct class member statement's
    owned item computed once."""
    if "\r" in body:  # lines are not simply split at "\n": no reuse by text
        return items_hash(owned_items(tree))
    lines = body.split("\n")  # the parser's line numbers, when there is no \r
    members: dict[tuple[str, int, int], Owned | None] = {}
    out: list[str] = []
    for stmt in tree.body:
        item = module_item(stmt)
        if item is None:
            continue
        out.append(f"{item.identity}\t{item.canonical}")
        if item.kind != "class":
            continue
        table = item.identity.removeprefix("class:")
        assert isinstance(stmt, ast.ClassDef)
        for member in stmt.body:
            end = member.end_lineno
            if end is None or member.end_col_offset is None:
                owned = member_item(member, table)
                if owned is not None:
                    out.append(f"{owned.identity}\t{owned.canonical}")
                continue
            # the statement's lines and its (byte) offsets in them fix its text,
            # and its text fixes its tree: the same key, the same owned item
            key = (
                "\n".join(lines[member.lineno - 1 : end]),
                member.col_offset,
                member.end_col_offset,
            )
            if key not in members:
                members[key] = member_item(member, "")
            relative = members[key]
            if relative is not None:  # identity "<table>:...", computed with ""
                out.append(f"{table}{relative.identity}\t{relative.canonical}")
    return hashlib.sha256("\n".join(sorted(out)).encode("utf-8")).hexdigest()


def match(old: list[tuple[int, Owned | None]], fresh: dict[str, Owned]) -> set[int]:
    """Keys of the file's owned statements that production's replace: per identity,
    one equal to production's first, else the first with that identity."""
    matched: dict[str, int] = {}
    for exact in (True, False):
        for key, item in old:
            if item is None or item.identity in matched:
                continue
            other = fresh.get(item.identity)
            if other is not None and (not exact or other.canonical == item.canonical):
                matched[item.identity] = key
    return set(matched.values())
