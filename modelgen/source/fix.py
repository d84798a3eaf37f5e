"""``modelgen drift --fix`` / ``--diff``: repair the app's model files in place.

From a DriftReport (after the ignore rules) to new file contents: each drift
finding on a table with a model class becomes a minimal edit of that class
(``edits.TableEditor``), each file is parsed once, and nothing is written
until every file has been edited; then all are written atomically, and a
failed write restores the files already written.  Like ruff, a fix is *safe*
or *unsafe*: removing a column the file still uses is unsafe and is held back
unless ``unsafe`` is set.
"""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from modelgen.catalog.schema import Schema, Table
from modelgen.drift.findings import DRIFT, DriftReport, Finding
from modelgen.drift.models import ModelTable
from modelgen.errors import ModelgenError
from modelgen.files import replace_all
from modelgen.generate.columns import ColumnRenderer
from modelgen.generate.naming import attribute_name, unique
from modelgen.generate.output import HASH_PREFIX, file_state, split_header
from modelgen.source.blackstyle import follow_layout
from modelgen.source.cst import (
    SingleTableSubclasses,
    assignment,
    bare_mapped,
    class_statements,
    column_call,
    column_statements,
    model_classes,
    module_assignments,
    module_indexes,
)
from modelgen.source.edits import COLUMN_KINDS, KEY_KINDS, TableEditor, fix_key
from modelgen.source.ownership import owned_hash
from modelgen.source.primary_key import declare_key, fix_primary_key
from modelgen.source.spelling import Spelling, add_imports

PREREQUISITE = "prerequisite"  # modelgen.drift.prerequisites.KIND
# "index-new" / "constraint-new": a key production added that the model does not
# declare (drift's info); only `sync` asks for these, for the keys its change added
UNDECLARED = ("index-new", "constraint-new")
FIXABLE = (
    "column-missing",
    "column-extra",
    "primary-key",
    *COLUMN_KINDS,
    *KEY_KINDS,
    *UNDECLARED,
)


@dataclass
class FileFix:
    path: Path
    before: str
    after: str
    fixed: list[Finding] = field(default_factory=list)
    held: list[Finding] = field(default_factory=list)  # unsafe, not applied
    warnings: list[str] = field(default_factory=list)


@dataclass
class FixResult:
    files: list[FileFix]
    unfixable: list[tuple[Finding, str]]  # and why
    without_model: list[Finding]

    @property
    def changed(self) -> list[FileFix]:
        return [f for f in self.files if f.after != f.before]

    @property
    def fixed(self) -> list[Finding]:
        return [x for f in self.files for x in f.fixed]

    @property
    def held(self) -> list[Finding]:
        return [x for f in self.files for x in f.held]

    @property
    def remaining(self) -> int:
        """Drift findings a --fix run leaves behind."""
        return len(self.held) + len(self.unfixable) + len(self.without_model)

    def diff(self, cwd: Path) -> str:
        return "".join(_unified(f, cwd) for f in self.changed)


def _unified(fix: FileFix, cwd: Path) -> str:
    label = fix.path.relative_to(cwd) if fix.path.is_relative_to(cwd) else fix.path
    return "".join(
        difflib.unified_diff(
            fix.before.splitlines(keepends=True),
            fix.after.splitlines(keepends=True),
            fromfile=f"a/{label}",
            tofile=f"b/{label}",
        )
    )


def plan_fixes(
    report: DriftReport,
    schema: Schema,
    unsafe: bool = False,
    module: tuple[Path, str] | None = None,
) -> FixResult:
    """Every drift finding repaired in memory: the new content of each model file.

    ``module``: the package's prerequisites.py as generate writes it now (path,
    content), which a prerequisite finding is fixed by: it is a generated file,
    rewritten whole unless it was edited by hand."""
    tables = {t.key: t for t in schema.tables}
    models = {
        (m.schema or schema.default_schema, m.name): m for m in report.models.tables
    }
    by_file: dict[Path, list[tuple[Table, ModelTable, list[Finding]]]] = {}
    unfixable: list[tuple[Finding, str]] = []
    without_model: list[Finding] = []
    grouped: dict[tuple[str, str], list[Finding]] = {}
    prerequisites: list[Finding] = []
    for finding in report.findings:
        if finding.level != DRIFT:
            continue
        if finding.kind == "table-without-model":
            without_model.append(finding)
        elif finding.kind == PREREQUISITE:
            prerequisites.append(finding)
        elif finding.kind not in FIXABLE:
            unfixable.append((finding, "not a fact --fix repairs"))
        else:
            grouped.setdefault(_table_key(finding, schema), []).append(finding)
    for key, found in sorted(grouped.items()):
        model = models.get(key)
        if model is None or model.path is None or key not in tables:
            unfixable += [(f, "its model file is unknown") for f in found]
            continue
        by_file.setdefault(model.path, []).append((tables[key], model, found))
    files = []
    # one renderer per style for the whole run: each indexes the schema's
    # sequences once (a renderer per class did it once per fixed class)
    renderers = {style: ColumnRenderer(schema, style) for style in ("classic", "typed")}
    for path, items in sorted(by_file.items()):
        fix, skipped = _fix_file(path, items, renderers, unsafe)
        files.append(fix)
        unfixable += skipped
    if prerequisites:
        module_fix, why = _fix_module(module, prerequisites)
        files += [module_fix] if module_fix is not None else []
        unfixable += [(f, why) for f in prerequisites if module_fix is None]
    return FixResult(files, unfixable, without_model)


def _fix_module(
    module: tuple[Path, str] | None, found: list[Finding]
) -> tuple[FileFix | None, str]:
    """prerequisites.py regenerated, or why not."""
    if module is None:
        return None, "no prerequisites.py is generated (prerequisites = false or bind)"
    path, content = module
    try:
        before = path.read_text(encoding="utf-8") if path.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelgenError(
            f"{path}: cannot read: {exc}; nothing was written"
        ) from None
    if before and file_state(before) != "generated":
        return None, f"{path.name} was edited by hand (or not written by modelgen)"
    return FileFix(path, before, content, fixed=list(found)), ""


def _table_key(finding: Finding, schema: Schema) -> tuple[str, str]:
    table_schema = finding.schema or schema.default_schema
    name = finding.table
    if table_schema != schema.default_schema and name.startswith(table_schema + "."):
        name = name[len(table_schema) + 1 :]
    return table_schema, name


def _fix_file(
    path: Path,
    items: list[tuple[Table, ModelTable, list[Finding]]],
    renderers: dict[str, ColumnRenderer],
    unsafe: bool,
) -> tuple[FileFix, list[tuple[Finding, str]]]:
    """One parse of the file, every table in it edited, one new text."""
    try:
        before = path.read_text(encoding="utf-8")
        module = cst.parse_module(before)
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelgenError(
            f"{path}: cannot read: {exc}; nothing was written"
        ) from None
    except cst.ParserSyntaxError as exc:
        raise ModelgenError(
            f"{path}:{exc.raw_line}: does not parse ({exc.message}); nothing was written"
        ) from None
    fix = FileFix(path, before, before)
    skipped: list[tuple[Finding, str]] = []
    spelling = Spelling.of(module, before)
    # the attribute uses a removed column leaves behind: read only when one is removed
    removing = any(f.kind == "column-extra" for _, _, fs in items for f in fs)
    uses = name_uses(before) if removing else {}
    classes: dict[cst.ClassDef, cst.ClassDef] = {}
    values: dict[str, cst.BaseExpression] = {}
    by_table = model_classes(module)
    assigned = module_assignments(module)
    indexes = module_indexes(module)
    subclasses_of = SingleTableSubclasses(module)
    removed: list[cst.BaseStatement] = []
    by_class = {
        stmt.name.value: stmt for stmt in module.body if isinstance(stmt, cst.ClassDef)
    }
    for prod, model, found in items:
        # a class whose table name comes from its name (Flask-SQLAlchemy's
        # automatic names, a base's declared_attr) is found by the class name
        cls = by_table.get(model.name) or by_class.get(model.class_name or "")
        if cls is None:
            reason = f"{path}: no class with __tablename__ = {model.name!r}"
            skipped += [(f, reason) for f in found]
            continue
        if "__table__" in {_target(s) for s in class_statements(cls)}:
            reason = f"{path}: {cls.name.value} maps a Table(...) (__table__)"
            skipped += [(f, reason) for f in found]
            continue
        editor = _editor(cls, prod, renderers, spelling, assigned, indexes)
        # single-table subclasses in this file declare columns of the same table
        subclasses = [
            _editor(sub, prod, renderers, spelling, assigned)
            for sub in subclasses_of.of(cls)
        ]
        keys = _key_columns(model)
        for finding in found:
            owner = _owner(editor, subclasses, finding)
            why = _apply(owner, finding, fix, uses, unsafe, keys)
            if why is not None:
                skipped.append((finding, why))
        for each in (editor, *subclasses):
            edit = each.finish()
            body = each.cls.body.with_changes(body=edit.body)
            classes[each.cls] = each.cls.with_changes(body=body)
            values |= edit.module_values
            removed += edit.module_removed
    if not fix.fixed:
        return fix, skipped
    new_body = _without(
        [_replace_module_stmt(s, classes, values) for s in module.body], removed
    )
    edited = add_imports(module.with_changes(body=new_body), spelling.added)
    fix.after = _rehashed(before, follow_layout(path, module, edited).code)
    try:  # a fix must never leave a file Python cannot read
        compile(fix.after, str(path), "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise ModelgenError(
            f"{path}: the fixed file would not parse ({exc.msg}, line {exc.lineno}); "
            "nothing was written (please report this)"
        ) from None
    return fix, skipped


def _rehashed(before: str, after: str) -> str:
    """``after`` with its header recording its own owned statements, when ``before``
    was a generated file nobody had edited: --fix wrote those statements for
    modelgen, so ``check`` and ``generate`` take the file as modelgen's (in sync
    when the fix reads as generate writes it, else out of date and rewritten
    without --force).  A hand-edited file keeps its record: a fix does not make
    the team's edit modelgen's."""
    if file_state(before) != "generated":
        return after
    recorded, body = split_header(after)
    if recorded is None:
        return after
    return after.replace(HASH_PREFIX + recorded, HASH_PREFIX + owned_hash(body), 1)


def _editor(
    cls: cst.ClassDef,
    prod: Table,
    renderers: dict[str, ColumnRenderer],
    spelling: Spelling,
    values: dict[str, cst.BaseExpression],
    indexes: dict[str, cst.SimpleStatementLine] | None = None,
) -> TableEditor:
    """The production table rendered with the class's own attribute names and style."""
    index = column_statements(cls)
    body = class_statements(cls)
    taken = {_target(s) for s in body} - {None}
    attrs: dict[str, str] = {}
    for column in prod.columns:
        if column.name in index:
            attrs[column.name] = _target(body[index[column.name]]) or column.name
        else:
            attrs[column.name] = unique(attribute_name(column.name), taken)  # type: ignore[arg-type]
    typed = any(
        isinstance(s, cst.SimpleStatementLine)
        and isinstance(s.body[0], cst.AnnAssign)
        and (column_call(s) or bare_mapped(s))
        for s in body
    )
    rendered = renderers["typed" if typed else "classic"].table(
        prod, attrs, as_table=False
    )
    return TableEditor(cls, prod, rendered, spelling, values, indexes)


def _owner(
    editor: TableEditor, subclasses: list[TableEditor], finding: Finding
) -> TableEditor:
    """The class that declares the finding's column: the table's own class, or a
    single-table subclass of it; a new column goes into the table's class."""
    column = finding.subject or ""
    if finding.kind == "column-missing" or column in editor.index:
        return editor
    return next((s for s in subclasses if column in s.index), editor)


def _without(
    body: list[cst.CSTNode], removed: list[cst.BaseStatement]
) -> list[cst.CSTNode]:
    """``body`` without the ``removed`` statements; a comment above one stays, above
    the next statement."""
    gone = {id(stmt) for stmt in removed}
    kept: list[cst.CSTNode] = []
    carry: list[cst.EmptyLine] = []
    for stmt in body:
        leading = list(getattr(stmt, "leading_lines", ()))
        if id(stmt) in gone:
            carry += [line for line in leading if line.comment]
            continue
        if carry:
            stmt = stmt.with_changes(leading_lines=[*carry, *leading])
            carry = []
        kept.append(stmt)
    return kept


def _key_columns(model: ModelTable) -> dict[str, tuple[str, ...]]:
    """Name -> columns of the model's named constraints and plain-column indexes."""
    found: dict[str, tuple[str, ...]] = {}
    for key in model.constraints:
        if key.name and key.columns:
            found.setdefault(key.name, key.columns)
    for index in model.indexes:
        names = set(index.elements) <= {c.name for c in model.columns or ()}
        if index.name and names:
            found.setdefault(index.name, index.elements)
    return found


def _target(stmt: cst.CSTNode) -> str | None:
    return assignment(stmt)[0]


def _apply(
    editor: TableEditor,
    finding: Finding,
    fix: FileFix,
    uses: dict[str, set[int]],
    unsafe: bool,
    keys: dict[str, tuple[str, ...]] | None = None,
) -> str | None:
    column = finding.subject or ""
    if finding.kind == "column-missing":
        why = editor.add_column(column)
        if why is not None:
            return why
    elif finding.kind == "column-extra":
        attr = _attr_of(editor, column)
        lines = sorted(uses.get(attr, set()))
        if lines:
            where = ", ".join(f"{fix.path.name}:{n}" for n in lines)
            fix.warnings.append(
                f"{finding.table}.{column}: removed from production; {attr} is still used at {where}"
            )
            if not unsafe:
                fix.held.append(finding)
                return None
        editor.remove_column(column)
    elif finding.kind in UNDECLARED:
        why = declare_key(editor, finding.subject)
        if why is not None:
            return why
    elif finding.kind in COLUMN_KINDS:
        why = editor.change_column(column, finding.kind)
        if why is not None:
            return why
    elif finding.kind == "primary-key":
        why = fix_primary_key(editor)
        if why is not None:
            return why
    else:
        columns = (keys or {}).get(finding.subject or "", ())
        why = fix_key(editor, finding.kind, finding.subject, columns)
        if why is not None:
            return why
    fix.fixed.append(finding)
    return None


def _attr_of(editor: TableEditor, column: str) -> str:
    position = editor.index.get(column)
    return (_target(editor.body[position]) if position is not None else None) or column


def name_uses(source: str) -> dict[str, set[int]]:
    """Lines where each name is used (``x.name``, or ``name`` read), in one walk of the
    file; the column's own declaration (``name = Column(...)``) stores, it does not use.
    """
    uses: dict[str, set[int]] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute):
            uses.setdefault(node.attr, set()).add(node.lineno)
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Store):
            uses.setdefault(node.id, set()).add(node.lineno)
    return uses


def _replace_module_stmt(
    stmt: cst.CSTNode,
    classes: dict[cst.ClassDef, cst.ClassDef],
    values: dict[str, cst.BaseExpression],
) -> cst.CSTNode:
    if isinstance(stmt, cst.ClassDef) and stmt in classes:
        return classes[stmt]
    name, _ = assignment(stmt)
    if name in values and isinstance(stmt, cst.SimpleStatementLine):
        return stmt.with_changes(body=[stmt.body[0].with_changes(value=values[name])])
    return stmt


def check_models_readable(report: DriftReport, folders: list[Path]) -> None:
    """--fix needs every model file parsed and the models imported: otherwise it
    cannot see their columns, and writing around a broken file is not safe."""
    if report.models.method not in ("static", "partial"):
        return  # imported: every module in the folders was parsed by Python
    for folder in folders:
        for path in sorted(folder.rglob("*.py")):
            try:
                ast.parse(path.read_bytes(), filename=str(path))
            except SyntaxError as exc:
                raise ModelgenError(
                    f"{path}:{exc.lineno}: does not parse ({exc.msg}); nothing was written"
                ) from None
    if report.models.method == "static":
        raise ModelgenError(
            f"cannot fix: the models were not imported ({report.models.detail}); "
            "nothing was written"
        )


def write_fixes(result: FixResult) -> list[Path]:
    """Every changed file, all or nothing (the same staged write as generate)."""
    replace_all({fix.path: fix.after for fix in result.changed})
    return [fix.path for fix in result.changed]
