"""drift without a database: normalising, comparing, the ignore file, reports, snapshot diff."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from modelgen.catalog.schema import (
    Column,
    Constraint,
    Enum,
    ForeignKey,
    Index,
    IndexElement,
    Schema,
    Table,
    TypeRef,
)
from modelgen.config import Config, FileSpec
from modelgen.drift.engine import compute_drift
from modelgen.drift.findings import DRIFT, INFO
from modelgen.drift.ignore import IgnoreRule, parse_ignore_file
from modelgen.drift.models import (
    ModelColumn,
    ModelConstraint,
    ModelIndex,
    ModelSet,
    ModelTable,
)
from modelgen.drift.normalize import normalize_expr, normalize_type
from modelgen.drift.report import (
    SCHEMA_VERSION,
    render_github,
    render_json,
    render_markdown,
    render_text,
)
from modelgen.drift.snapshot_diff import diff_schemas, render_snapshot_diff
from modelgen.errors import ConfigError

# -- builders ---------------------------------------------------------------------


def t(
    display: str, name: str = "", kind: str = "b", schema: str = "pg_catalog"
) -> TypeRef:
    return TypeRef(display=display, name=name or display, schema=schema, kind=kind)


def pcol(name: str, display: str, nullable: bool = True, default: str | None = None, **kw) -> Column:  # type: ignore[no-untyped-def]
    return Column(name, kw.pop("type", None) or t(display), nullable, default, **kw)


def mcol(name: str, sql: str, nullable: bool = True, **kw) -> ModelColumn:  # type: ignore[no-untyped-def]
    return ModelColumn(name, sql, nullable, kw.pop("primary_key", False), **kw)


PK = Constraint("users_pkey", "p", ("id",), "PRIMARY KEY (id)")
USER_ROLE = t("user_role", "user_role", "e", "public")


def users_table(**changes) -> Table:  # type: ignore[no-untyped-def]
    table = Table(
        schema="public",
        name="users",
        columns=(
            pcol("id", "integer", False, "nextval('users_id_seq'::regclass)"),
            pcol("email", "character varying(255)", False),
            pcol("role", "user_role", False, "'customer'::user_role", type=USER_ROLE),
            pcol("created_at", "timestamp without time zone", True, "now()"),
            pcol("latitude", "double precision"),
        ),
        primary_key=PK,
        uniques=(
            Constraint(
                "users_email_key",
                "u",
                ("email",),
                "UNIQUE (email)",
                index=Index(
                    "users_email_key",
                    True,
                    "btree",
                    (IndexElement("email", None),),
                ),
            ),
        ),
        indexes=(
            Index("ix_users_role", False, "btree", (IndexElement("role", None),)),
        ),
    )
    return replace(table, **changes)


def users_model(**changes) -> ModelTable:  # type: ignore[no-untyped-def]
    model = ModelTable(
        schema=None,
        name="users",
        class_name="User",
        path=Path("app/models/user.py"),
        line=11,
        columns=(
            mcol("id", "INTEGER", False, primary_key=True, line=14),
            mcol("email", "VARCHAR(255)", False, line=15),
            mcol(
                "role",
                "user_role",
                False,
                enum_name="user_role",
                enum_labels=("customer", "worker"),
                line=16,
            ),
            mcol("created_at", "TIMESTAMP WITHOUT TIME ZONE", line=17),
            mcol("latitude", "FLOAT", line=18),
        ),
        constraints=(
            ModelConstraint("p", None, ("id",)),
            ModelConstraint("u", None, ("email",)),
        ),
    )
    return replace(model, **changes)


def schema_of(*tables: Table) -> Schema:
    return Schema(
        tables=tables,
        enums=(Enum("public", "user_role", ("customer", "worker")),),
    )


CONFIG = Config(
    path=Path("/app/modelgen.toml"),
    root=Path("/app"),
    output=Path("/app/app/models"),
    ignore=("alembic_version",),
    files=(
        FileSpec("critical", "payments.py", ("payments",)),
        FileSpec("infra", "logs.py", ("system_logs",)),
    ),
)


def drift_of(table: Table, model: ModelTable, *rules: IgnoreRule):  # type: ignore[no-untyped-def]
    return compute_drift(
        schema_of(table), CONFIG, ModelSet((model,), "import", "imported"), rules
    )


def kinds(report) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return [(f.level, f.kind, f.key) for f in report.findings]


# -- normalising ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "model, production",
    [
        ("VARCHAR(255)", "character varying(255)"),
        ("FLOAT", "double precision"),
        ("FLOAT(53)", "double precision"),
        ("FLOAT(10)", "real"),
        ("TIMESTAMP WITHOUT TIME ZONE", "timestamp without time zone"),
        ("TIMESTAMP", "timestamp without time zone"),
        ("TIMESTAMP(3) WITH TIME ZONE", "timestamp(3) with time zone"),
        ("NUMERIC(10, 2)", "numeric(10,2)"),
        ("CHAR(3)", "character(3)"),
        ("CHAR", "character(1)"),
        ("TEXT[]", "text[]"),
        ("INTEGER[][]", "integer[]"),
        ("DOUBLE PRECISION", "double precision"),
        ("TIME", "time without time zone"),
    ],
)
def test_types_that_are_the_same_normalise_the_same(
    model: str, production: str
) -> None:
    assert normalize_type(model) == normalize_type(production)


@pytest.mark.parametrize(
    "model, production",
    [
        ("VARCHAR(100)", "character varying(255)"),
        ("INTEGER", "bigint"),
        ("TIMESTAMP WITHOUT TIME ZONE", "timestamp with time zone"),
        ("TEXT", "text[]"),
        ("FLOAT(10)", "double precision"),
    ],
)
def test_different_types_stay_different(model: str, production: str) -> None:
    assert normalize_type(model) != normalize_type(production)


def test_expressions_compare_without_casts_parentheses_or_case() -> None:
    assert normalize_expr("status IN ('a', 'b')") == normalize_expr(
        "(status)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])"
    )
    assert normalize_expr("CURRENT_TIMESTAMP") == normalize_expr("now()")
    assert normalize_expr("score >= 1 AND score <= 5") == normalize_expr(
        "((score >= 1) AND (score <= 5))"
    )
    assert normalize_expr("'AUD'") == normalize_expr("'AUD'::bpchar")
    assert normalize_expr("'AUD'") != normalize_expr("'aud'")  # literals keep case
    assert normalize_expr("0") != normalize_expr("1")


# -- comparing -----------------------------------------------------------------------


def test_models_that_match_production_have_no_drift() -> None:
    report = drift_of(users_table(), users_model())
    assert report.drift == []
    assert report.exit_code == 0
    # production's index the model does not declare: info, not drift
    assert kinds(report) == [(INFO, "index", "users.ix_users_role")]


def test_a_production_default_the_model_does_not_declare_is_not_drift() -> None:
    report = drift_of(users_table(), users_model())
    assert not [f for f in report.findings if f.kind == "default"]


def test_a_declared_default_must_match() -> None:
    model = users_model()
    columns = list(model.columns or ())
    columns[3] = replace(
        columns[3], server_default="CURRENT_TIMESTAMP"
    )  # same as now()
    columns[1] = replace(columns[1], server_default="'x'")  # production has none
    columns[2] = replace(columns[2], server_default="'worker'")  # differs
    report = drift_of(users_table(), replace(model, columns=tuple(columns)))
    assert kinds(report)[:2] == [
        (DRIFT, "default", "users.email"),
        (DRIFT, "default", "users.role"),
    ]


@pytest.mark.parametrize(
    ("model", "production", "same"),
    [
        # server_default="0" on a number or boolean: PostgreSQL stores the constant
        ("'0'", "0", True),
        ("'1.5'", "1.5", True),
        ("'-1'", "'-1'::integer", True),
        ("'true'", "true", True),
        ("'f'", "false", True),
        ("'0'", "1", False),
        ("'true'", "false", False),
        ("'abc'", "abc", False),  # a string stays a string
        ("'1'", "'1'::text", True),
    ],
)
def test_a_quoted_constant_default_is_the_constant_production_stores(
    model: str, production: str, same: bool
) -> None:
    table = users_table()
    prod_columns = list(table.columns)
    prod_columns[4] = replace(prod_columns[4], default=production)
    model_columns = list(users_model().columns or ())
    model_columns[4] = replace(model_columns[4], server_default=model)
    report = drift_of(
        replace(table, columns=tuple(prod_columns)),
        users_model(columns=tuple(model_columns)),
    )
    found = [f for f in report.drift if f.kind == "default"]
    assert (found == []) is same


def test_column_differences_are_drift_with_the_column_line() -> None:
    production = users_table(
        columns=users_table().columns + (pcol("nickname", "character varying(40)"),)
    )
    model = users_model()
    columns = list(model.columns or ())
    columns[1] = replace(columns[1], type_sql="VARCHAR(100)", nullable=True)
    columns[4] = replace(columns[4], type_sql="INTEGER")
    columns.append(mcol("legacy", "TEXT", line=30))
    report = drift_of(production, replace(model, columns=tuple(columns)))
    found = {(f.kind, f.key): f for f in report.drift}
    assert set(found) == {
        ("column-missing", "users.nickname"),
        ("length", "users.email"),
        ("nullable", "users.email"),
        ("type", "users.latitude"),
        ("column-extra", "users.legacy"),
    }
    assert found[("column-missing", "users.nickname")].line == 11  # the class
    assert "hand-written model" in found[("column-missing", "users.nickname")].message
    assert found[("length", "users.email")].line == 15  # the Column(...) line
    assert found[("column-extra", "users.legacy")].line == 30
    assert report.exit_code == 1


def test_a_collation_the_model_declares_is_compared_apart_from_the_type() -> None:
    production = users_table(
        columns=users_table().columns + (pcol("code", "text", collation="C"),)
    )
    model = users_model()

    def with_code(collation):  # type: ignore[no-untyped-def]
        code = mcol("code", "TEXT", collation=collation)
        return replace(model, columns=(*(model.columns or ()), code))

    assert drift_of(production, with_code(("C", None))).drift == []
    assert drift_of(production, with_code(("C", "pg_catalog"))).drift == []
    assert drift_of(production, with_code(None)).drift == []  # not declared
    (finding,) = drift_of(production, with_code(("POSIX", None))).drift
    assert (finding.kind, finding.key) == ("type", "users.code")
    assert 'COLLATE "POSIX" in the model, COLLATE "C" in production' in finding.message
    (finding,) = drift_of(
        users_table(columns=users_table().columns + (pcol("code", "text"),)),
        with_code(("C", None)),
    ).drift
    assert "the default collation in production" in finding.message


def test_enum_labels_are_compared() -> None:
    report = drift_of(
        users_table(),
        users_model(),
    )
    assert not [f for f in report.findings if f.kind == "enum"]
    schema = Schema(
        tables=(users_table(),),
        enums=(Enum("public", "user_role", ("customer", "worker", "admin")),),
    )
    report = compute_drift(
        schema, CONFIG, ModelSet((users_model(),), "import", "imported")
    )
    (enum,) = [f for f in report.drift if f.kind == "enum"]
    assert "missing from the model: admin" in enum.message
    assert enum.line == 16


def test_primary_key_column_order_is_a_difference() -> None:
    """The same columns in another order: another index order, so drift."""
    table = users_table(
        primary_key=Constraint("users_pkey", "p", ("id", "email"), "PRIMARY KEY")
    )
    model = users_model(constraints=(ModelConstraint("p", None, ("email", "id")),))
    (finding,) = [f for f in drift_of(table, model).drift if f.kind == "primary-key"]
    assert finding.message == (
        "primary key columns in the order (email, id) in the model, "
        "(id, email) in production"
    )
    same = users_model(constraints=(ModelConstraint("p", None, ("id", "email")),))
    assert "primary-key" not in [f.kind for f in drift_of(table, same).drift]


def test_primary_key_differences() -> None:
    model = users_model(
        constraints=(ModelConstraint("p", None, ("email",)),),
    )
    report = drift_of(users_table(), model)
    assert (DRIFT, "primary-key", "users") in kinds(report)
    named = users_model(
        constraints=(
            ModelConstraint("p", "pk_users", ("id",)),
            ModelConstraint("u", None, ("email",)),
        )
    )
    (finding,) = drift_of(users_table(), named).drift
    assert "pk_users" in finding.message and "users_pkey" in finding.message


def test_model_declared_constraints_and_indexes_must_exist_in_production() -> None:
    production = users_table(
        checks=(
            Constraint(
                "users_lat_check",
                "c",
                ("latitude",),
                "CHECK (latitude >= (-90)::double precision)",
                expression="latitude >= (-90)::double precision",
            ),
        ),
        foreign_keys=(
            ForeignKey(
                "users_manager_fkey",
                ("id",),
                "public",
                "users",
                ("id",),
                on_delete="CASCADE",
                definition="FOREIGN KEY (id) REFERENCES users(id) ON DELETE CASCADE",
            ),
        ),
    )
    model = users_model(
        constraints=users_model().constraints
        + (
            ModelConstraint("c", "users_lat_check", (), expression="latitude >= -90"),
            ModelConstraint("c", "ck_missing", (), expression="id > 0"),
            ModelConstraint("u", "uq_users_role", ("role",)),
            ModelConstraint(
                "f",
                None,
                ("id",),
                ref_table="users",
                ref_columns=("id",),
                on_delete="SET NULL",
            ),
        ),
        indexes=(
            ModelIndex("ix_users_role", False, ("role",), method="gin"),
            ModelIndex("ix_users_created", False, ("created_at",)),
        ),
    )
    report = drift_of(production, model)
    assert sorted(kinds(report)) == sorted(
        [
            (DRIFT, "check", "users.ck_missing"),
            (DRIFT, "unique", "users.uq_users_role"),
            (DRIFT, "foreign-key", "users.id"),
            (DRIFT, "index", "users.ix_users_role"),
            (DRIFT, "index", "users.ix_users_created"),
        ]
    )
    fk = next(f for f in report.drift if f.kind == "foreign-key")
    assert "ON DELETE SET NULL vs CASCADE" in fk.message
    gin = next(f for f in report.drift if f.key == "users.ix_users_role")
    assert "USING gin vs btree" in gin.message


def test_production_constraints_the_model_lacks_are_info() -> None:
    model = users_model(constraints=(ModelConstraint("p", None, ("id",)),))
    report = drift_of(users_table(), model)
    assert report.drift == []
    assert (INFO, "unique", "users.users_email_key") in kinds(report)


def test_tables_without_a_model_are_grouped_and_ignored_tables_listed() -> None:
    schema = schema_of(
        users_table(),
        Table("public", "payments", (pcol("id", "integer", False),)),
        Table("public", "system_logs", (pcol("id", "integer", False),)),
        Table("public", "orphans", (pcol("id", "integer", False),)),
        Table("public", "alembic_version", (pcol("v", "text", False),)),
        Table("audit", "events", (pcol("id", "integer", False),)),
    )
    stale = ModelTable(None, "old_things", "OldThing", Path("app/models/old.py"), 3)
    report = compute_drift(
        schema,
        CONFIG,
        ModelSet((users_model(), stale), "import", "imported"),
    )
    missing = [(f.table, f.group) for f in report.without_model]
    assert missing == [
        ("payments", "critical"),
        ("system_logs", "infra"),
        ("audit.events", None),
        ("orphans", None),
    ]
    assert report.without_model[0].file == Path("/app/app/models/payments.py")
    assert [f.table for f in report.without_table] == ["old_things"]
    assert report.ignored_by_config == ("alembic_version",)
    assert report.exit_code == 1


def test_a_static_scan_compares_tables_only_and_says_so() -> None:
    model = ModelTable(None, "users", "User", Path("app/models/user.py"), 11)
    report = compute_drift(
        schema_of(users_table()),
        CONFIG,
        ModelSet((model,), "static", "static scan of __tablename__ (import failed: x)"),
    )
    assert report.drift == []
    (note,) = report.info
    assert note.kind == "not-compared" and "import failed" in note.message


# -- the ignore file -------------------------------------------------------------------


def test_ignore_file_needs_a_reason_on_every_line(tmp_path: Path) -> None:
    path = tmp_path / ".modelgen-ignore"
    path.write_text("# comment\n\nusers.nickname: analytics only\nlegacy_reports\n")
    with pytest.raises(ConfigError) as exc:
        parse_ignore_file(path)
    assert f"{path}:4" in str(exc.value) and "legacy_reports" in str(exc.value)
    path.write_text("users.nickname:   \n")
    with pytest.raises(ConfigError, match=":1: 'users.nickname' has no reason"):
        parse_ignore_file(path)


def test_ignored_findings_are_counted_and_shown_never_dropped(tmp_path: Path) -> None:
    path = tmp_path / ".modelgen-ignore"
    path.write_text(
        "users.nickname: analytics only\nusers.ix_*: DBA's indexes\nnothing_here: stale\n"
    )
    rules = parse_ignore_file(path)
    production = users_table(
        columns=users_table().columns + (pcol("nickname", "character varying(40)"),)
    )
    report = drift_of(production, users_model(), *rules)
    assert report.drift == [] and report.info == []
    assert [(f.key, r.reason) for f, r in report.ignored] == [
        ("users.nickname", "analytics only"),
        ("users.ix_users_role", "DBA's indexes"),
    ]
    assert [r.pattern for r in report.unused_rules] == ["nothing_here"]
    text = render_text(report, tmp_path)
    assert "Ignored (2)" in text and "analytics only" in text and "2 ignored" in text
    assert "nothing_here" in text


def test_a_table_pattern_ignores_everything_on_that_table() -> None:
    production = users_table(
        columns=users_table().columns + (pcol("nickname", "character varying(40)"),)
    )
    rule = IgnoreRule("users", "rewrite pending", "x:1")
    report = drift_of(production, users_model(), rule)
    assert report.findings == () and len(report.ignored) == 2


# -- reports ---------------------------------------------------------------------------


def drifted_report():  # type: ignore[no-untyped-def]
    production = users_table(
        columns=users_table().columns + (pcol("nickname", "character varying(40)"),)
    )
    schema = schema_of(
        production, Table("public", "payments", (pcol("id", "integer", False),))
    )
    return compute_drift(
        schema, CONFIG, ModelSet((users_model(),), "import", "imported app.models")
    )


def test_json_report_has_a_schema_version_and_every_finding(tmp_path: Path) -> None:
    payload = json.loads(render_json(drifted_report(), tmp_path))
    assert payload["schema_version"] == SCHEMA_VERSION
    assert payload["drift"] is True
    assert payload["tables_without_model"] == [
        {
            "table": "payments",
            "group": "critical",
            "file": "/app/app/models/payments.py",
        }
    ]
    assert {f["key"] for f in payload["findings"]} >= {"users.nickname", "payments"}
    assert payload["models"]["method"] == "import"


def test_github_annotations_point_at_the_model_file_and_line() -> None:
    out = render_github(drifted_report(), Path("/"))
    lines = out.splitlines()
    assert any(
        line.startswith("::error file=app/models/user.py,line=11,")
        and "users.nickname" in line
        for line in lines
    )
    assert any(
        line.startswith("::notice ") and "ix_users_role" in line for line in lines
    )
    assert lines[-1].startswith("drift: ")


def test_markdown_fits_a_pull_request_comment() -> None:
    out = render_markdown(drifted_report(), Path("/"))
    assert out.startswith("### ❌ modelgen drift")
    assert "| `payments` | critical |" in out
    assert "<details><summary>Info: 1" in out


# -- snapshot diff -------------------------------------------------------------------------


def test_snapshot_diff_reports_tables_columns_indexes_and_enums() -> None:
    old = schema_of(
        users_table(), Table("public", "gone", (pcol("id", "integer", False),))
    )
    new = Schema(
        tables=(
            users_table(
                columns=users_table().columns + (pcol("nickname", "text"),),
                indexes=(),
            ),
            Table("public", "fresh", (pcol("id", "integer", False),)),
        ),
        enums=(Enum("public", "user_role", ("customer", "worker", "guest")),),
    )
    diff = diff_schemas(old, new)
    assert diff.added == ("fresh",) and diff.removed == ("gone",)
    assert diff.changed["users"] == (
        "column added: nickname (text)",
        "index ix_users_role: removed ()",  # definition is empty in this test
    )
    assert diff.enums == (
        "enum user_role: ['customer', 'worker'] -> ['customer', 'worker', 'guest']",
    )
    assert diff_schemas(old, old).empty
    text = render_snapshot_diff(diff, "text", "a.json", "b.json")
    assert "column added: nickname" in text
    payload = json.loads(render_snapshot_diff(diff, "json", "a.json", "b.json"))
    assert payload["tables_added"] == ["fresh"] and payload["changed"] is True


def test_an_unqualified_foreign_key_from_another_schema_targets_the_default_schema() -> (
    None
):
    # ForeignKey("users.id") on a table in schema "content" references
    # public.users (SQLAlchemy and PostgreSQL both), not content.users
    posts = Table(
        schema="content",
        name="posts",
        columns=(
            pcol("id", "integer", False),
            pcol("author_id", "integer", False),
        ),
        primary_key=Constraint("posts_pkey", "p", ("id",), "PRIMARY KEY (id)"),
        foreign_keys=(
            ForeignKey(
                "posts_author_id_fkey",
                ("author_id",),
                "public",
                "users",
                ("id",),
                definition="FOREIGN KEY (author_id) REFERENCES users(id)",
            ),
        ),
    )
    post_model = ModelTable(
        schema="content",
        name="posts",
        class_name="Post",
        path=Path("app/models/post.py"),
        line=5,
        columns=(
            mcol("id", "INTEGER", False, primary_key=True),
            mcol("author_id", "INTEGER", False),
        ),
        constraints=(
            ModelConstraint("p", None, ("id",)),
            ModelConstraint(
                "f", None, ("author_id",), ref_table="users", ref_columns=("id",)
            ),
        ),
    )
    report = compute_drift(
        schema_of(users_table(), posts),
        CONFIG,
        ModelSet((users_model(), post_model), "import", "imported"),
        (),
    )
    assert report.drift == []
    # a real difference names both schemas
    elsewhere = replace(
        post_model,
        constraints=(
            ModelConstraint("p", None, ("id",)),
            ModelConstraint(
                "f",
                None,
                ("author_id",),
                ref_schema="content",
                ref_table="users",
                ref_columns=("id",),
            ),
        ),
    )
    report = compute_drift(
        schema_of(users_table(), posts),
        CONFIG,
        ModelSet((users_model(), elsewhere), "import", "imported"),
        (),
    )
    fk = next(f for f in report.drift if f.kind == "foreign-key")
    assert "references content.users(id) vs users(id)" in fk.message


def test_a_collation_is_compared_apart_from_the_type() -> None:
    # String(20, collation="C") compiles to VARCHAR(20) COLLATE "C"; production
    # keeps the collation apart from the type
    table = users_table()
    prod_columns = list(table.columns)
    prod_columns[1] = replace(prod_columns[1], collation="C")
    production = replace(table, columns=tuple(prod_columns))
    model_columns = list(users_model().columns or ())
    model_columns[1] = replace(model_columns[1], collation=("C", None))
    collated = users_model(columns=tuple(model_columns))
    assert drift_of(production, collated).drift == []
    (finding,) = drift_of(table, collated).drift  # production: the default
    assert finding.key == "users.email"
    assert 'COLLATE "C" in the model, the default collation in production' in (
        finding.message
    )
    assert drift_of(production, users_model()).drift == []  # the model does not say


def test_markdown_counts_add_up_to_the_rows_of_their_sections() -> None:
    """Each summary row is the number of lines its section lists, and the drift
    rows add up to the total in the heading (a reviewer adds them up)."""
    gone = replace(users_model(), name="gone", class_name="Gone", line=40)
    production = users_table(
        columns=users_table().columns + (pcol("nickname", "character varying(40)"),)
    )
    schema = schema_of(
        production, Table("public", "payments", (pcol("id", "integer", False),))
    )
    models = ModelSet((users_model(), gone), "import", "imported app.models")
    report = compute_drift(schema, CONFIG, models)
    out = render_markdown(report, Path("/"))
    counts = dict(re.findall(r"^\| ([a-z ()]+) \| (\d+) \|$", out, re.M))
    sections: dict[str, int] = {}
    for block in out.split("\n#### ")[1:]:
        title, _, body = block.partition("\n")
        rows = [line for line in body.splitlines() if line.startswith("| ")]
        sections[title] = len(rows) - 1  # less the header row
    assert sections == {
        "Tables without a model": int(counts["tables without a model"]),
        "Models without a table": int(counts["models without a table"]),
        "Drift": int(counts["other drift findings"]),
    }
    assert min(sections.values()) >= 1  # every kind is there to be counted
    assert f"drift found ({sum(sections.values())} finding(s))" in out
    assert len(report.drift) == sum(sections.values())
    info = re.search(r"<summary>Info: (\d+)", out)
    assert info and int(info.group(1)) == int(counts["info (not failing)"])
