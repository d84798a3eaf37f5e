"""Reading the app's models (import, static fallback), the new config keys, and `init`."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

from modelgen.catalog.schema import Column, Domain, Schema, Table, TypeRef
from modelgen.config import load_config
from modelgen.drift.models import column_lines, derive_module, load_models
from modelgen.errors import ConfigError, ModelgenError
from modelgen.init import build_init_config, detect_db_import, write_init_config

pytest.importorskip("flask_sqlalchemy")

HAND_WRITTEN = 23


def test_models_are_imported_and_the_interpreter_is_left_as_it_was(
    project: Path,
) -> None:
    config = load_config(project / "modelgen.toml")
    path_before = list(sys.path)
    models = load_models(config)
    assert models.method == "import", models.detail
    assert models.detail == "imported app.models"
    assert len(models.tables) == HAND_WRITTEN
    assert sys.path == path_before
    assert not [m for m in sys.modules if m == "app" or m.startswith("app.")]

    users = next(t for t in models.tables if t.name == "users")
    assert users.class_name == "User" and users.path is not None
    assert users.path.name == "user.py" and users.line == 11
    assert users.columns is not None
    columns = {c.name: c for c in users.columns}
    assert columns["email"].type_sql == "VARCHAR(255)"
    assert columns["email"].nullable is False and columns["email"].line == 15
    assert columns["role"].enum_name == "user_role"
    assert columns["role"].enum_labels == ("customer", "worker", "admin", "support")
    assert columns["created_at"].server_default is None  # a Python-side default only
    assert ("u", None, ("email",)) in [
        (c.kind, c.name, c.columns) for c in users.constraints
    ]
    jobs = next(t for t in models.tables if t.name == "jobs")
    assert {i.name for i in jobs.indexes} == {"ix_jobs_customer_id", "ix_jobs_status"}

    # a second run (fresh copies of the app's modules) gives the same facts
    assert load_models(config).tables == models.tables


def test_a_package_that_cannot_be_imported_falls_back_to_the_static_scan(
    project: Path,
) -> None:
    init = project / "app" / "models" / "__init__.py"
    init.write_text("import not_installed_anywhere\n" + init.read_text())
    models = load_models(load_config(project / "modelgen.toml"))
    assert models.method == "static"
    assert "not_installed_anywhere" in models.detail
    assert len(models.tables) == HAND_WRITTEN
    assert all(t.columns is None for t in models.tables)
    assert not [m for m in sys.modules if m == "app" or m.startswith("app.")]


def test_a_module_that_fails_is_scanned_and_the_rest_compared(project: Path) -> None:
    broken = project / "app" / "models" / "extra.py"
    broken.write_text(
        "from app.extensions import db\n"
        "raise RuntimeError('boom')\n"
        "class Extra(db.Model):\n"
        "    __tablename__ = 'extras'\n"
        "    id = db.Column(db.Integer, primary_key=True)\n"
    )
    models = load_models(load_config(project / "modelgen.toml"))
    assert models.method == "partial"
    assert any("app.models.extra" in p and "boom" in p for p in models.problems)
    extra = next(t for t in models.tables if t.name == "extras")
    assert extra.columns is None and extra.line == 3
    assert next(t for t in models.tables if t.name == "users").columns is not None


def test_models_import_can_be_configured(project: Path) -> None:
    config_path = project / "modelgen.toml"
    config_path.write_text(
        config_path.read_text().replace(
            'style = "classic"',
            'style = "classic"\nmodels_import = "nope.models"\napp_path = "."',
        )
    )
    config = load_config(config_path)
    assert config.models_import == "nope.models" and config.app_path == project
    models = load_models(config)
    assert models.method == "static" and "nope" in models.detail


def test_derive_module() -> None:
    root = Path("/srv/app")
    assert derive_module(root, root / "app" / "models") == "app.models"
    assert derive_module(root, Path("/elsewhere/models")) is None
    assert derive_module(root, root / "my-app" / "models") is None


def test_column_lines_come_from_the_class_body(project: Path) -> None:
    lines = column_lines(
        project / "app" / "models" / "booking.py", "Booking", "bookings"
    )
    assert lines["id"] == 12 and lines["updated_at"] == 24


def test_a_module_that_fails_keeps_its_models_on_their_bind(
    project: Path,
) -> None:
    # a model of another database (__bind_key__, or db.Table(bind_key=...)) in a
    # module that fails to import is not a model of this one: it was reported
    # "without a table" in every database but its own
    broken = project / "app" / "models" / "analytics.py"
    broken.write_text(
        "from app.extensions import db\n"
        "raise RuntimeError('boom')\n"
        "class PageView(db.Model):\n"
        "    __bind_key__ = 'analytics'\n"
        "    __tablename__ = 'page_views'\n"
        "    id = db.Column(db.Integer, primary_key=True)\n"
        "hits = db.Table('hits', db.Column('n', db.Integer), bind_key='analytics')\n"
    )
    config = load_config(project / "modelgen.toml")
    models = load_models(config)
    assert models.method == "partial"
    assert not {"page_views", "hits"} & {t.name for t in models.tables}
    analytics = load_models(replace(config, bind="analytics"))
    assert {"page_views", "hits"} <= {t.name for t in analytics.tables}
    assert "users" not in {t.name for t in analytics.tables}


def test_a_bare_mapped_annotation_has_its_line(tmp_path: Path) -> None:
    model = tmp_path / "post.py"
    model.write_text(
        "class Post(Base):\n"
        "    __tablename__ = 'posts'\n"
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
        "    title: Mapped[str]\n"
        "    subtitle: so.Mapped[Optional[str]]\n"
        "    note: ClassVar[str]\n"
    )
    assert column_lines(model, "Post", "posts") == {"id": 3, "title": 4, "subtitle": 5}


@pytest.mark.parametrize(
    "text, key",
    [
        ('models_import = "app..models"\n', "models_import"),
        ('models_import = ".models"\n', "models_import"),
        (
            '[ignore_findings]\n"users.nickname" = ""\n',
            "ignore_findings.users.nickname",
        ),
        ('[ignore_findings]\n"users" = 3\n', "ignore_findings.users"),
        ('ignore_findings = "x"\n', "ignore_findings"),
    ],
)
def test_new_config_keys_are_validated_naming_file_and_key(
    tmp_path: Path, text: str, key: str
) -> None:
    path = tmp_path / "modelgen.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert str(exc.value).startswith(f"{path}: key '{key}'")


def test_ignore_findings_in_the_config(tmp_path: Path) -> None:
    path = tmp_path / "modelgen.toml"
    path.write_text('[ignore_findings]\n"users.nickname" = " analytics "\n')
    assert load_config(path).ignore_findings == {"users.nickname": "analytics"}


# -- init -----------------------------------------------------------------------------------


def _table(name: str, schema: str = "public") -> Table:
    return Table(
        schema,
        name,
        (Column("id", TypeRef("integer", "int4", "pg_catalog", "b"), False),),
    )


def small_schema() -> Schema:
    return Schema(
        tables=(
            _table("users"),
            _table("jobs"),
            _table("payments"),
            _table("class"),
            _table("alembic_version"),
            _table("events", "audit"),
        )
    )


def test_init_writes_a_config_that_loads(project: Path) -> None:
    (project / "modelgen.toml").unlink()
    target = project / "modelgen.toml"
    result = write_init_config(small_schema(), target, None)
    assert result.missing == ("audit.events", "class", "payments")
    assert result.ignored == ("alembic_version",)
    config = load_config(target)
    assert config.models == project / "app" / "models"
    assert config.output == project / "app" / "models"
    assert config.db_import == "app.extensions"
    assert config.models_import == "app.models"
    assert config.ignore == ("alembic_version",)
    assert config.schemas == ("audit", "public")
    assert [(f.group, f.filename, f.tables) for f in config.files] == [
        ("unassigned", "audit_events.py", ("audit.events",)),
        ("unassigned", "class_.py", ("class",)),
        ("unassigned", "payments.py", ("payments",)),
    ]
    text = target.read_text()
    for key in (
        "url_env",
        "output",
        "db_import",
        "models",
        "schemas",
        "ignore",
        "style",
    ):
        # every key has a comment line right above it
        lines = text.splitlines()
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{key} ="))
        assert lines[index - 1].startswith("#"), key

    with pytest.raises(ModelgenError, match="never overwrites"):
        write_init_config(small_schema(), target, None)
    assert target.read_text() == text


def test_init_reads_the_schemas_of_the_types_the_tables_use(project: Path) -> None:
    """A schema holding only types must be read: without it the models get a bare
    UserDefinedType for the enum (no labels) and a migration cannot create it."""
    mood = TypeRef("types.mood", "mood", "types", "e")
    code = TypeRef("shared.code", "code", "shared", "d")
    deep = TypeRef("deep.base", "base", "deep", "e")
    users = _table("users")
    users = replace(
        users, columns=(*users.columns, Column("m", mood), Column("c", code))
    )
    schema = Schema(
        tables=(users,),
        domains=(Domain("shared", "code", deep),),
    )
    result = build_init_config(schema, project / "x.toml", project / "app" / "models")
    assert 'schemas = ["deep", "public", "shared", "types"]' in result.text


def test_init_avoids_file_names_the_models_folder_already_uses(project: Path) -> None:
    schema = Schema(tables=(_table("user"),))  # user.py holds the users model
    result = build_init_config(schema, project / "x.toml", project / "app" / "models")
    assert '"user_2.py" = ["user"]' in result.text


def test_init_without_a_models_folder_says_what_to_pass(tmp_path: Path) -> None:
    with pytest.raises(ModelgenError, match="--models PATH"):
        write_init_config(small_schema(), tmp_path / "modelgen.toml", None)
    assert not (tmp_path / "modelgen.toml").exists()


def test_db_import_is_detected_from_relative_imports(tmp_path: Path) -> None:
    models = tmp_path / "shop" / "models"
    models.mkdir(parents=True)
    (models / "a.py").write_text("from ..database import db\n")
    (models / "b.py").write_text("from ..database import db\n")
    (models / "c.py").write_text("from shop.other import db\n")
    assert detect_db_import(models, "shop.models") == "shop.database"


def test_an_app_printing_while_imported_does_not_touch_stdout(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    init = project / "app" / "models" / "__init__.py"
    init.write_text("print('loading models')\n" + init.read_text())
    models = load_models(load_config(project / "modelgen.toml"))
    assert models.method == "import"
    captured = capsys.readouterr()
    assert captured.out == "" and "loading models" in captured.err


def test_each_model_file_is_read_and_parsed_once_per_run(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file holding N tables is parsed once, not once per table (drift was quadratic)."""
    import ast
    from collections import Counter

    parses: Counter[str] = Counter()
    real_parse = ast.parse

    def counting_parse(source, filename="<unknown>", *args, **kwargs):  # type: ignore[no-untyped-def]
        parses[str(filename)] += 1
        return real_parse(source, filename, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", counting_parse)
    models = load_models(load_config(project / "modelgen.toml"))
    assert models.method == "import"
    files = {t.path for t in models.tables if t.path is not None}
    shared = [p for p in files if sum(1 for t in models.tables if t.path == p) > 1]
    assert shared, "the fixture app has files holding several tables"
    assert parses and max(parses.values()) == 1, parses.most_common(3)
    assert {str(p) for p in files} <= set(parses)


def _record_imports(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """The ``mapped`` flag of every import attempt load_models makes."""
    from modelgen.drift import models

    attempts: list[bool] = []
    real = models._import_once

    def recording(*args, mapped):  # type: ignore[no-untyped-def]
        attempts.append(mapped)
        return real(*args, mapped=mapped)

    monkeypatch.setattr(models, "_import_once", recording)
    return attempts


def test_the_fast_load_reads_the_same_tables_and_lines(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `modelgen drift` runs: classes left unmapped and no file parsed, lines
    added afterwards for the files a report names. The tables, columns, keys,
    indexes and lines are those of a normal import."""
    from modelgen.catalog.snapshot import load_snapshot
    from modelgen.drift.models import with_lines
    from modelgen.generate.output import write_files
    from modelgen.generate.pipeline import generate_files

    config = load_config(project / "modelgen.toml")
    # generated models beside the hand-written ones (relationships, enums, listeners)
    schema = load_snapshot(project / "production" / "schema.json")
    write_files(list(generate_files(schema, config, all_groups=True).files))
    normal = load_models(config)
    assert normal.method == "import", normal.detail
    assert any(t.generated for t in normal.tables)
    assert any(not t.generated for t in normal.tables)

    attempts = _record_imports(monkeypatch)
    fast = load_models(config, lines=False, mapped=False)
    assert fast.method == "import"
    assert attempts == [False]  # no fallback: the unmapped import itself worked
    assert all(t.line is None for t in fast.tables)
    stripped = [
        replace(
            t,
            line=None,
            columns=tuple(replace(c, line=None) for c in t.columns or ()),
        )
        for t in normal.tables
    ]
    assert list(fast.tables) == stripped
    paths = {t.path for t in fast.tables if t.path is not None}
    assert with_lines(fast, paths).tables == normal.tables


def test_the_fast_load_falls_back_to_mapping_when_the_app_needs_mappers(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Module-level code that needs a mapped class (here ``inspect(User).mapper``)
    fails on an unmapped class: the import is done again the usual way."""
    init = project / "app" / "models" / "__init__.py"
    init.write_text(
        init.read_text()
        + "\nimport sqlalchemy as _sa\n_USER_MAPPER = _sa.inspect(User).mapper\n"
    )
    attempts = _record_imports(monkeypatch)
    fast = load_models(load_config(project / "modelgen.toml"), mapped=False)
    assert fast.method == "import", fast.detail
    assert attempts == [False, True]
    assert fast.tables == load_models(load_config(project / "modelgen.toml")).tables


def test_an_unqualified_foreign_key_target_is_in_the_metadata_schema_or_the_default() -> (
    None
):
    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql

    from modelgen.drift.models import _constraint_facts

    def fk_of(metadata: sa.MetaData, schema: str | None) -> tuple[str | None, ...]:
        sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True))
        posts = sa.Table(
            "posts",
            metadata,
            sa.Column("author_id", sa.ForeignKey("users.id")),
            schema=schema,
        )
        (fk,) = posts.foreign_key_constraints
        fact = _constraint_facts(fk, postgresql.dialect(), sa)
        assert fact is not None
        return fact.ref_schema, fact.ref_table

    # a table in another schema: ForeignKey("users.id") is the default schema's users
    assert fk_of(sa.MetaData(), "content") == (None, "users")
    assert fk_of(sa.MetaData(schema="app"), None) == ("app", "users")


def test_a_collation_is_a_fact_of_its_own_not_part_of_the_type() -> None:
    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql

    from modelgen.drift.models import _column_facts

    column = sa.Column("code", sa.String(20, collation="C"))
    fact = _column_facts(column, postgresql.dialect(), sa, None)
    assert (fact.type_sql, fact.collation) == ("VARCHAR(20)", ("C", None))


def test_a_check_constraint_given_to_a_column_is_a_model_constraint() -> None:
    # Column("size", Integer, CheckConstraint(...)) keeps the constraint on the
    # column (column.constraints), not in table.constraints
    import sqlalchemy as sa

    from modelgen.drift.models import _table_facts
    from modelgen.source.existing import ParsedSources

    table = sa.Table(
        "team",
        sa.MetaData(naming_convention={"ck": "ck_%(table_name)s_%(constraint_name)s"}),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("size", sa.Integer, sa.CheckConstraint("size > 0", name="positive")),
    )
    facts = _table_facts(table, None, None, sa, None, ParsedSources())
    checks = [(c.name, c.expression) for c in facts.constraints if c.kind == "c"]
    assert checks == [("ck_team_positive", "size > 0")]


def test_lines_of_a_class_named_without_tablename_and_of_its_subclasses(
    tmp_path: Path,
) -> None:
    # Flask-SQLAlchemy names Employee's table; Manager (single-table
    # inheritance) declares a column of it: both have lines
    from modelgen.drift.models import ModelSet, ModelTable, with_lines

    model = tmp_path / "staff.py"
    model.write_text(
        "class Employee(db.Model):\n"
        "    id = db.Column(db.Integer, primary_key=True)\n"
        "\n"
        "\n"
        "class Manager(Employee):\n"
        "    budget = db.Column(db.Integer)\n"
    )
    assert column_lines(model, "Employee", "employee") == {"id": 2, "budget": 6}
    table = ModelTable(None, "employee", "Employee", model, None, columns=())
    located = with_lines(ModelSet((table,), "import", ""), {model})
    assert located.tables[0].line == 1


def test_a_table_re_exported_by_the_package_is_in_the_file_that_defines_it(
    project: Path,
) -> None:
    # `from app.models.tagging import job_tags` in models/__init__.py: the table
    # is in tagging.py, where --fix and the annotations must point
    models_dir = project / "app" / "models"
    (models_dir / "tagging.py").write_text(
        "from app.extensions import db\n"
        "\n"
        "job_tags = db.Table(\n"
        "    'job_tags',\n"
        "    db.Column('job_id', db.Integer, primary_key=True),\n"
        ")\n"
    )
    init = models_dir / "__init__.py"
    init.write_text("from app.models.tagging import job_tags\n" + init.read_text())
    for lines in (True, False):
        models = load_models(load_config(project / "modelgen.toml"), lines=lines)
        table = next(t for t in models.tables if t.name == "job_tags")
        assert table.path is not None and table.path.name == "tagging.py"


def test_a_primary_key_is_read_in_the_order_create_table_writes_it() -> None:
    """SQLAlchemy writes a key of ``primary_key=True`` columns with its
    ``autoincrement=True`` column first; an explicit PrimaryKeyConstraint as listed."""
    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateTable

    from modelgen.drift.models import _constraint_facts

    def key_of(*extra: object, implicit: bool) -> tuple[str, ...]:
        table = sa.Table(
            "events",
            sa.MetaData(),
            sa.Column("shard_id", sa.Integer, primary_key=implicit),
            sa.Column("id", sa.BigInteger, primary_key=implicit, autoincrement=True),
            *extra,
        )
        fact = _constraint_facts(table.primary_key, postgresql.dialect(), sa)
        assert fact is not None
        ddl = str(CreateTable(table).compile(dialect=postgresql.dialect()))
        assert f"PRIMARY KEY ({', '.join(fact.columns)})" in ddl
        return fact.columns

    assert key_of(implicit=True) == ("id", "shard_id")
    explicit = sa.PrimaryKeyConstraint("shard_id", "id")
    assert key_of(explicit, implicit=False) == ("shard_id", "id")
