from pathlib import Path

import pytest

from modelgen.config import find_config, load_config
from modelgen.errors import ConfigError


def write(tmp_path: Path, text: str, name: str = "modelgen.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_fixture_config_loads_with_the_reports_groups() -> None:
    config = load_config(Path(__file__).parents[2] / "fixtures" / "modelgen.toml")
    assert config.groups == ("critical", "enterprise", "infrastructure")
    critical = {s.filename: s.tables for s in config.files_for(["critical"])}
    assert critical == {
        "applications.py": ("applications",),
        "payments.py": ("payments",),
        "invoices.py": ("invoices",),
        "user_sessions.py": ("user_sessions",),
    }
    assert sum(len(s.tables) for s in config.files) == 23
    assert config.output == Path(__file__).parents[2] / "fixtures" / "app" / "models"


def test_pyproject_tool_table_works_the_same(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[tool.modelgen]\noutput = "pkg/models"\n[tool.modelgen.groups.core]\n"a.py" = ["a"]\n',
        "pyproject.toml",
    )
    assert find_config(None, tmp_path) == path
    config = load_config(path)
    assert config.output == tmp_path / "pkg" / "models"
    assert config.files[0].tables == ("a",)


def test_the_config_is_found_from_a_subfolder_upward_as_git_and_ruff_do(
    tmp_path: Path,
) -> None:
    deep = tmp_path / "app" / "models" / "sub"
    deep.mkdir(parents=True)
    assert find_config(None, deep) is None
    pyproject = write(
        tmp_path, '[tool.modelgen]\noutput = "app/models"\n', "pyproject.toml"
    )
    write(tmp_path / "app", "[tool.ruff]\nline-length = 90\n", "pyproject.toml")
    assert find_config(None, deep) == pyproject  # a pyproject without ours is skipped
    config = load_config(find_config(None, deep))
    assert config.output == tmp_path / "app" / "models"  # relative to the config
    nearer = write(tmp_path / "app" / "models", 'output = "."\n')
    assert find_config(None, deep) == nearer  # the nearest wins
    assert find_config(None, tmp_path) == pyproject


def test_a_relative_config_is_looked_for_upward_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--config pyproject.toml`, as a generated file's Regenerate line prints it,
    from a subfolder with a pyproject.toml of its own (not modelgen's)."""
    deep = tmp_path / "app" / "models"
    deep.mkdir(parents=True)
    ours = write(tmp_path, '[tool.modelgen]\noutput = "app/models"\n', "pyproject.toml")
    write(tmp_path / "app", "[tool.ruff]\nline-length = 90\n", "pyproject.toml")
    monkeypatch.chdir(deep)
    assert find_config(Path("pyproject.toml"), deep) == ours
    assert load_config(ours).output == deep
    with pytest.raises(ConfigError, match="other.toml: config file not found"):
        find_config(Path("other.toml"), deep)
    absolute = tmp_path / "app" / "models" / "missing.toml"
    with pytest.raises(ConfigError, match="config file not found"):
        find_config(absolute, deep)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('output = "x"\nbogus = 1\n', "key 'bogus': unknown key"),
        ('style = "fancy"\n', "key 'style': must be one of classic, typed"),
        ('[groups.g]\n"a.py" = ["t"]\n"b.py" = ["t"]\n', "table 't' is already mapped"),
        ('[groups.g]\n"bad-name.py" = ["t"]\n', "key 'groups.g.bad-name.py'"),
        ('[groups.g]\n"a.py" = []\n', "non-empty list"),
        ('db_import = "app extensions"\n', "key 'db_import'"),
        ('[class_names]\nusers = "not valid"\n', "key 'class_names.users'"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'output = "x"\n[groups.critical\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value) and "line 2" in str(info.value)


def test_a_config_without_groups_generates_nothing_rather_than_everything(
    tmp_path: Path,
) -> None:
    from modelgen.catalog.snapshot import load_snapshot
    from modelgen.generate.build import select_specs

    schema = load_snapshot(
        Path(__file__).parents[2] / "fixtures" / "production" / "schema.json"
    )
    config = load_config(write(tmp_path, 'output = "models"\n'))
    with pytest.raises(ConfigError) as info:
        select_specs(config, schema, [], True)
    assert "no [groups]" in str(info.value)
