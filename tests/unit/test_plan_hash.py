"""A file's header hash is computed from its plan's statements (planhash.py), not
by parsing the rendered module; it must be exactly the hash the parse-based
definition gives for the same body (tests/unit/test_owned_hash.py keeps that
reference), since files on disk carry these hashes and later runs compare them.
Checked on every golden case, the production fixture in every layout, random
schemas (seeded and drawn by hypothesis); and a first bootstrap, at any size,
parses no generated module."""

from __future__ import annotations

import ast
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import FIXTURES
from helpers.randschema import random_schema
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_owned_hash import reference_hash

from modelgen.catalog.schema import Schema
from modelgen.catalog.snapshot import load_snapshot
from modelgen.config import Config, load_config
from modelgen.generate.output import HASH_PREFIX, split_header
from modelgen.generate.pipeline import Generation, generate_files
from modelgen.generate.plan import AttrPlan, FilePlan
from modelgen.source.planhash import plan_hash

CASES = FIXTURES / "cases"
NAMES = sorted(
    p.name
    for p in CASES.iterdir()
    if (p / "case.toml").is_file() and not (p / "expected_error.txt").exists()
)
PRODUCTION = FIXTURES / "production" / "schema.json"


def assert_same_hashes(result: Generation) -> int:
    """Each modelled file: plan_hash == the parse-based hash of its body == the
    header's. Returns how many files were compared."""
    compared = 0
    for file_plan, item in zip(result.plan.files, result.files, strict=False):
        assert item.path == file_plan.path
        recorded, body = split_header(item.content)
        expected = reference_hash(body)
        # None would mean a statement that is not valid Python: never generated
        assert plan_hash(file_plan) == expected, item.path
        assert recorded == expected, item.path
        compared += 1
    assert compared == len(result.plan.files)
    return compared


def _case(name: str, out: Path) -> Generation:
    case = CASES / name
    spec = tomllib.loads((case / "case.toml").read_text())
    schema = load_snapshot((case / spec["snapshot"]).resolve())
    config = (
        load_config((case / spec["config"]).resolve())
        if "config" in spec
        else Config(path=None, root=case, views=spec.get("views", False))
    )
    return generate_files(
        schema, config, spec.get("groups", []), spec.get("all", False), out=out
    )


@pytest.mark.parametrize("name", NAMES)
def test_equal_on_golden_cases(name: str, tmp_path: Path) -> None:
    assert assert_same_hashes(_case(name, tmp_path / "models")) > 0


@pytest.mark.parametrize("style", ["classic", "typed"])
@pytest.mark.parametrize("split", [0, 7])
def test_equal_on_the_production_fixture_bootstrapped(
    style: str, split: int, tmp_path: Path
) -> None:
    config = Config(path=None, root=tmp_path, style=style, split=split, views=True)
    result = generate_files(load_snapshot(PRODUCTION), config, out=tmp_path / "m")
    assert assert_same_hashes(result) >= 1


@pytest.mark.parametrize("style", ["classic", "typed"])
def test_equal_on_the_production_fixture_in_groups(style: str, tmp_path: Path) -> None:
    config = replace(load_config(FIXTURES / "modelgen.toml"), style=style)
    result = generate_files(
        load_snapshot(PRODUCTION), config, all_groups=True, out=tmp_path / "m"
    )
    assert assert_same_hashes(result) > 1


@pytest.mark.parametrize("seed", range(40))
def test_equal_on_random_schemas(seed: int, tmp_path: Path) -> None:
    config = Config(
        path=None,
        root=tmp_path,
        style="typed" if seed % 2 else "classic",
        split=seed % 4,
        views=bool(seed % 3),
        bind="other" if seed % 5 == 0 else None,
    )
    result = generate_files(random_schema(seed, tables=12), config, out=tmp_path / "m")
    assert_same_hashes(result)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@example(seed=196499, tables=1, style="classic", split=0)  # column "__6tbn..."
@given(
    seed=st.integers(0, 2**32),
    tables=st.integers(1, 20),
    style=st.sampled_from(["classic", "typed"]),
    split=st.integers(0, 5),
)
def test_equal_on_drawn_schemas(
    seed: int, tables: int, style: str, split: int, tmp_path: Path
) -> None:
    config = Config(path=None, root=tmp_path, style=style, split=split)
    schema: Schema = random_schema(seed, tables=tables)
    assert_same_hashes(generate_files(schema, config, out=tmp_path / "m"))


def test_a_first_bootstrap_parses_no_generated_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Into an empty folder every file is new: no module is parsed for its hash
    (one statement at a time only), and the parse-based hash is never called."""
    from modelgen.generate import pipeline

    parsed: list[str] = []
    real_parse = ast.parse

    def counting_parse(source: str, *args: object, **kw: object) -> ast.AST:
        parsed.append(source)
        return real_parse(source, *args, **kw)  # type: ignore[arg-type]

    def no_body_hash(body: str) -> str:
        raise AssertionError("a fresh file's body was parsed for its hash")

    monkeypatch.setattr(ast, "parse", counting_parse)
    monkeypatch.setattr(pipeline, "owned_hash", no_body_hash)
    config = Config(path=None, root=tmp_path)
    result = generate_files(load_snapshot(PRODUCTION), config, out=tmp_path / "new")
    bodies = [split_header(f.content)[1] for f in result.files if f.tables]
    assert bodies and all(f.content.count(HASH_PREFIX) == 1 for f in result.files[:1])
    longest = max(len(source) for source in parsed)
    assert longest < min(len(body) for body in bodies) / 4


def test_a_statement_invalid_alone_falls_back_to_the_body(tmp_path: Path) -> None:
    """A plan whose statement does not parse alone (a naming bug, say) gets no
    plan hash; the header then holds owned_hash of the body, as it always did."""
    from modelgen.generate.pipeline import header_hash
    from modelgen.source.ownership import owned_hash

    config = Config(path=None, root=tmp_path)
    result = generate_files(load_snapshot(PRODUCTION), config, out=tmp_path / "m")
    file_plan = result.plan.files[0]
    cls = file_plan.classes[0]
    broken = replace(cls.columns[0], name="6digits")
    bad = replace(
        file_plan, classes=(replace(cls, columns=(broken, *cls.columns[1:])),)
    )
    assert plan_hash(bad) is None
    body = "6digits = db.Column(db.Integer)\n"
    assert header_hash(tmp_path / "absent.py", body, bad) == owned_hash(body)


# Literal texts build.py never writes (lit() escapes every control character and
# never uses a prefix), each next to the statement shapes it does: the skeleton
# shortcut must either give the parse's value or leave the statement to the parse.
ODD_LITERALS = [
    '"plain"',
    "'single'",
    '"schema"',
    '"_modelgen_attribute_"',
    '"with # hash"',
    '"tab\there"',
    '"form\x0cfeed"',
    '"nul\x00"',
    '"cr\rx"',
    '"lone \ud800"',
    '"\\x00"',
    '"esc\\n"',
    'r"raw\\d"',
    'r"raw"',
    'Rb"raw"',
    'b"bytes"',
    "u'u'",
    'f"{1}"',
    '"a" "b"',
    '"a"  "b"',
    '"""triple"""',
    "'''triple'''",
    '"a" + "b"',
    '"\\x000\\x00"',
    "'\\x000\\x00'",
]
ODD_NAMES = ["ok", "class", "match", "_", "ﬁle", "é", "__tablename__", "x_"]


def _odd_plan(file_plan: FilePlan, literal: str, name: str) -> FilePlan:
    cls = file_plan.classes[0]
    columns = (
        AttrPlan(name, f"db.Column({literal}, db.Text)"),
        AttrPlan("b", f"db.Column(db.Text, comment={literal})"),
        AttrPlan(name, "db.Column(db.Text)", "Mapped[str]"),
        *cls.columns,
    )
    relationships = (
        AttrPlan("r", f"db.relationship({literal}, foreign_keys={literal})"),
        AttrPlan("s", f"db.relationship(_modelgen_attribute_, secondary={literal})"),
        *cls.relationships,
    )
    odd = replace(
        cls,
        tablename=literal,
        columns=columns,
        relationships=relationships,
        table_args=(*cls.table_args, f"db.Index({literal}, {literal})"),
        table_kwargs=((literal, literal), ('"schema"', literal)),
    )
    return replace(file_plan, classes=(odd, *file_plan.classes[1:]))


@pytest.mark.parametrize("literal", ODD_LITERALS)
def test_equal_or_left_to_the_parse_on_odd_statements(
    literal: str, tmp_path: Path
) -> None:
    from modelgen.generate.render import make_environment, render_file

    config = Config(path=None, root=tmp_path)
    result = generate_files(load_snapshot(PRODUCTION), config, out=tmp_path / "m")
    env = make_environment()
    for name in ODD_NAMES:
        plan = _odd_plan(result.plan.files[0], literal, name)
        planned = plan_hash(plan)
        if planned is not None:
            body = render_file(env, plan)
            assert planned == reference_hash(body), (literal, name)


def test_members_differing_in_names_only_are_parsed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reuse is real: 50 classes whose statements differ only in names and
    strings cost one parse per statement shape, not one per table."""
    from modelgen.generate.plan import ClassPlan
    from modelgen.generate.render import make_environment, render_file

    config = Config(path=None, root=tmp_path)
    result = generate_files(load_snapshot(PRODUCTION), config, out=tmp_path / "m")
    classes = tuple(
        ClassPlan(
            name=f"T{i}",
            tablename=f'"t{i}"',
            columns=(
                AttrPlan("id", "db.Column(db.Integer, primary_key=True)"),
                AttrPlan(
                    f"t{i - 1}_id",
                    f'db.Column(db.Integer, db.ForeignKey("t{i - 1}.id"))',
                ),
            ),
            relationships=(
                AttrPlan(
                    f"t{i - 1}", f'db.relationship("T{i - 1}", back_populates="t")'
                ),
            ),
            table_args=(f'db.Index("ix_{i}", "t{i - 1}_id")',),
            table_kwargs=(('"schema"', f'"s{i % 3}"'), ('"comment"', f'"{i}"')),
        )
        for i in range(1, 51)
    )
    plan = replace(
        result.plan.files[0],
        classes=classes,
        definitions=(),
        custom_types=(),
        table_vars=(),
        views=(),
        listeners=(),
    )
    expected = reference_hash(render_file(make_environment(), plan))
    parsed: list[str] = []
    real_parse = ast.parse

    def counting_parse(source: str, *args: object, **kw: object) -> ast.AST:
        parsed.append(source)
        return real_parse(source, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(ast, "parse", counting_parse)
    assert plan_hash(plan) == expected
    members = [s for s in parsed if not s.startswith(("from ", "import ", "if "))]
    # the class's table-level statements, then __tablename__, __table_args__,
    # id, the key column and the relationship: one skeleton each
    assert len(members) == 6, members
