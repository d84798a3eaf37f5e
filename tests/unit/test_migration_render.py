"""Rendering a `modelgen migration` revision from a snapshot, with no database."""

from __future__ import annotations

import ast
from pathlib import Path

import black
import pytest
from typer.testing import CliRunner

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
from modelgen.catalog.snapshot import load_snapshot, write_snapshot
from modelgen.cli.app import app
from modelgen.generate.render import make_environment
from modelgen.migration import (
    MigrationError,
    find_head,
    generate_migration,
    to_sa,
    upgrade_sql,
)

INT = TypeRef("integer", "int4", "pg_catalog", "b")
TEXT = TypeRef("text", "text", "pg_catalog", "b")
MOOD = TypeRef("mood", "mood", "public", "e")
TRICKY = 'it\'s """quoted""" \\ db.Column("x")\n'


def _pk(table: str) -> Constraint:
    return Constraint(f"{table}_pkey", "p", ("id",), "PRIMARY KEY (id)")


def _schema() -> Schema:
    """Two tables referencing each other (a cycle), an enum, a tricky comment."""
    owners = Table(
        "public",
        "owners",
        (
            Column("id", INT, False),
            Column("pet_id", INT, True),
            Column("db", MOOD, True, default="'ok'::mood", comment=TRICKY),
        ),
        comment=TRICKY,
        primary_key=_pk("owners"),
        foreign_keys=(
            ForeignKey("owners_pet_id_fkey", ("pet_id",), "public", "pets", ("id",)),
        ),
        indexes=(
            Index(
                "ix_owners_lower_db",
                False,
                "btree",
                (IndexElement(None, "lower(db::text)"),),
            ),
        ),
    )
    pets = Table(
        "public",
        "pets",
        (Column("id", INT, False), Column("owner_id", INT, False)),
        primary_key=_pk("pets"),
        foreign_keys=(
            ForeignKey(
                "pets_owner_id_fkey",
                ("owner_id",),
                "public",
                "owners",
                ("id",),
                on_delete="CASCADE",
            ),
            ForeignKey("pets_vet_id_fkey", ("owner_id",), "public", "vets", ("id",)),
        ),
    )
    vets = Table(
        "public", "vets", (Column("id", INT, False), Column("name", TEXT, True))
    )
    return Schema(
        tables=(owners, pets, vets),
        enums=(Enum("public", "mood", ("sad", "ok", "happy")),),
    )


@pytest.fixture
def snapshot_schema(tmp_path: Path) -> Schema:
    path = tmp_path / "schema.json"
    write_snapshot(_schema(), path)
    return load_snapshot(path)


def _revision(path: Path, revision: str, down: str | None, annotated: bool) -> None:
    down_text = repr(down)
    if annotated:
        body = (
            f"revision: str = {revision!r}\n"
            f"down_revision: str | None = {down_text}\n"
        )
    else:
        body = f"revision = {revision!r}\ndown_revision = {down_text}\n"
    path.write_text(f'"""A revision."""\n\n{body}')


def _render(schema: Schema, versions: Path | None, tables=("owners", "pets")):  # type: ignore[no-untyped-def]
    chosen = [t for t in schema.tables if t.name in tables]
    return generate_migration(
        make_environment(), schema, chosen, versions, 'add "pets" \\ owners'
    )


def test_revision_is_black_clean_compiles_and_follows_the_head(
    snapshot_schema: Schema, tmp_path: Path
) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    _revision(versions / "aaa_first.py", "aaa", None, annotated=False)
    _revision(versions / "bbb_second.py", "bbb", "aaa", annotated=True)
    (versions / "__init__.py").write_text("")
    item = _render(snapshot_schema, versions)

    assert item.down_revision == "bbb"
    assert item.path.parent == versions
    assert item.path.name == f"{item.revision}_add_pets_owners.py"
    mode = black.Mode(target_versions={black.TargetVersion.PY311}, line_length=88)
    assert black.format_str(item.content, mode=mode) == item.content  # Black-clean
    compile(item.content, str(item.path), "exec")
    namespace: dict[str, object] = {}
    exec(compile(item.content, str(item.path), "exec"), namespace)
    assert namespace["revision"] == item.revision
    assert namespace["down_revision"] == "bbb"
    assert _render(snapshot_schema, versions).content == item.content  # stable
    # every database string arrives as a literal: the comment is intact, and the
    # column named `db` and the "db.Column" inside the comment are left alone
    assert namespace["mood_enum"].enums == ["sad", "ok", "happy"]  # type: ignore[attr-defined]
    assert '"db",' in item.content and 'sa.Column("x")' not in item.content
    assert (
        'db.Column("x")' in item.content
        and 'sa.text("lower(db::text)")' in item.content
    )


def test_to_sa_rewrites_code_not_strings() -> None:
    expr = 'db.Column("db.x", db.text("db.y"), comment=\'db.z\')'
    assert to_sa(expr) == 'sa.Column("db.x", sa.text("db.y"), comment=\'db.z\')'


def test_several_heads_are_an_error(tmp_path: Path) -> None:
    _revision(tmp_path / "a.py", "a", None, annotated=False)
    _revision(tmp_path / "b.py", "b", "a", annotated=False)
    _revision(tmp_path / "c.py", "c", "a", annotated=False)
    with pytest.raises(MigrationError, match="several heads"):
        find_head(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert find_head(empty) is None


def test_offline_sql_follows_the_catalog(snapshot_schema: Schema) -> None:
    item = _render(snapshot_schema, None)
    # a database with only vets: both tables, the enum, then the key closing the cycle
    vets = ("relation", "public", "vets", "r", 0.0)
    sql = upgrade_sql(item.content, "rev.py", [vets])
    assert "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')" in sql
    assert sql.index("CREATE TABLE IF NOT EXISTS owners") < sql.index(
        "CREATE TABLE IF NOT EXISTS pets"
    )
    assert "ALTER TABLE owners ADD CONSTRAINT owners_pet_id_fkey" in sql
    assert (
        'COMMENT ON TABLE owners IS \'it\'\'s """quoted""" \\ db.Column("x")\n\'' in sql
    )

    # a database that has owners and a mood type lacking 'ok'
    rows = [
        ("default", "public", "", "", 0.0),
        ("relation", "public", "owners", "r", 0.0),
        ("relation", "public", "vets", "r", 0.0),
        ("type", "public", "mood", "e", 0.0),
        ("label", "public", "mood", "sad", 1.0),
        ("label", "public", "mood", "happy", 2.0),
    ]
    sql = upgrade_sql(item.content, "rev.py", rows)
    assert "CREATE TABLE IF NOT EXISTS owners" not in sql
    assert "CREATE TABLE IF NOT EXISTS pets" in sql
    assert "owners_pet_id_fkey" not in sql  # an existing table is never altered
    assert "CREATE TYPE" not in sql
    assert "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'ok' AFTER 'sad'" in sql
    assert sql.index("COMMIT;") < sql.index("ALTER TYPE") < sql.index("CREATE TABLE")

    # a referenced table outside the revision is missing: a clear error naming it
    with pytest.raises(MigrationError, match=r"table public\.vets does not exist"):
        upgrade_sql(item.content, "rev.py", [("default", "public", "", "", 0.0)])


def test_unknown_group_is_one_line_and_exit_2(project: Path, tmp_path: Path) -> None:
    snapshot = tmp_path / "schema.json"
    write_snapshot(_schema(), snapshot)
    result = CliRunner().invoke(
        app,
        [
            "migration",
            "--config",
            str(project / "modelgen.toml"),
            "--snapshot",
            str(snapshot),
            "--group",
            "nope",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "no group named 'nope'" in result.stderr
    assert "Traceback" not in result.output


def test_missing_versions_folder_is_exit_2(tmp_path: Path) -> None:
    snapshot = tmp_path / "schema.json"
    write_snapshot(_schema(), snapshot)
    result = CliRunner().invoke(
        app,
        [
            "migration",
            "--snapshot",
            str(snapshot),
            "--all",
            "--out",
            str(tmp_path / "x"),
        ],
    )
    assert result.exit_code == 2
    assert "no such versions folder" in result.stderr


def test_writes_the_revision_once(tmp_path: Path) -> None:
    snapshot = tmp_path / "schema.json"
    write_snapshot(_schema(), snapshot)
    versions = tmp_path / "versions"
    versions.mkdir()
    args = ["migration", "--snapshot", str(snapshot), "--all", "--out", str(versions)]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    (written,) = versions.glob("*.py")
    assert "create_the_all_tables" in written.name
    second = CliRunner().invoke(app, args)  # now there is a head: a new revision on it
    assert second.exit_code == 0, second.output
    assert len(list(versions.glob("*.py"))) == 2
    first_id = written.name.split("_")[0]
    head = find_head(versions)
    assert head is not None and head != first_id
    assert (
        f"down_revision = {first_id!r}".replace("'", '"')
        in next(versions.glob(f"{head}_*.py")).read_text()
    )


def test_a_large_revision_is_black_clean_without_black_over_the_whole_file() -> None:
    """Black over a whole revision grows faster than the file; statement by
    statement gives the same bytes (every table of the fixture production)."""
    from modelgen.generate.format import black_format

    schema = load_snapshot(
        Path(__file__).parents[2] / "fixtures/production/schema.json"
    )
    item = generate_migration(
        make_environment(), schema, list(schema.tables), None, "everything"
    )
    assert black_format(item.content, "revision") == item.content


def _counting_black(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The statements handed to Black (the rest laid out by modelgen)."""
    from modelgen.generate import format as fmt

    calls: list[str] = []
    real = fmt._black_statement

    def counting(line: str, depth: int) -> list[str]:
        calls.append(line)
        return real(line, depth)

    monkeypatch.setattr(fmt, "_black_statement", counting)
    return calls


@pytest.mark.parametrize("seed", range(0, 40, 3))
def test_revisions_are_laid_out_as_black_does(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """modelgen's layout of op.create_table(...) and friends gives Black's bytes, on
    random schemas full of long and hostile names, against Black over the file."""
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1]))
    from helpers.randschema import random_schema

    schema = random_schema(seed)
    fast = generate_migration(
        make_environment(), schema, list(schema.tables), None, "everything"
    )
    monkeypatch.setenv("MODELGEN_FORMATTER", "black")
    slow = generate_migration(
        make_environment(), schema, list(schema.tables), None, "everything"
    )
    assert fast.content == slow.content


def test_table_statements_of_a_revision_need_no_black(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Black per statement took two minutes for 2,000 tables: every op.create_table
    of the fixture production is laid out without it."""
    schema = load_snapshot(
        Path(__file__).parents[2] / "fixtures/production/schema.json"
    )
    calls = _counting_black(monkeypatch)
    generate_migration(make_environment(), schema, list(schema.tables), None, "all")
    assert not [c for c in calls if "op.create_table(" in c], calls[:1]
    assert len(calls) < 30  # the revision's fixed helper code, not per table


def test_the_head_is_read_from_each_revisions_first_lines(
    snapshot_schema: Schema, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding the head parses what comes before a revision's first function,
    not its body (a 10,000-table revision is 12 s of CPU to parse whole); a
    script that assigns them later is still read whole."""
    import modelgen.migration.revisions as migration

    item = _render(snapshot_schema, tmp_path)
    (tmp_path / "a_first.py").write_text(item.content)
    late = tmp_path / "b_late.py"
    late.write_text(
        f'"""Revision ids after a function."""\n\n\ndef upgrade():\n    pass\n\n\n'
        f"revision = 'late'\ndown_revision = {item.revision!r}\n"
    )
    parsed: list[int] = []
    real_parse = ast.parse

    def counting(source, *args, **kwargs):  # type: ignore[no-untyped-def]
        parsed.append(len(source))
        return real_parse(source, *args, **kwargs)

    monkeypatch.setattr(migration.ast, "parse", counting)
    assert migration.read_revisions(tmp_path) == {
        item.revision: (),
        "late": (item.revision,),
    }
    assert find_head(tmp_path) == "late"
    first_revision = parsed[0]
    assert first_revision < len(item.content) // 4  # the header, not the body
    # the late script: its prefix (no revision in it), then the whole script
    assert parsed[1:3] == [
        len(late.read_text().split("def upgrade")[0]),
        len(late.read_text()),
    ]
