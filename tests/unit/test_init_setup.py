"""`modelgen init` reads which Flask-SQLAlchemy set-up the app uses and writes the
matching `base` and `style`; `generate` then gives type checkers that base."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES

from modelgen.catalog.snapshot import load_snapshot
from modelgen.config import load_config
from modelgen.errors import ConfigError
from modelgen.generate.pipeline import generate_files
from modelgen.init import write_init_config

HEAD = (
    "from flask_sqlalchemy import SQLAlchemy\n"
    "from sqlalchemy import orm\n"
    "from sqlalchemy.orm import DeclarativeBase, DeclarativeBaseNoMeta, "
    "MappedAsDataclass\n\n\n"
)


def _init(project: Path, extensions: str) -> Path:
    (project / "app" / "extensions.py").write_text(HEAD + extensions)
    (project / "modelgen.toml").unlink()
    write_init_config(load_snapshot(FIXTURES / "production" / "schema.json"),
                      project / "modelgen.toml", None)  # fmt: skip
    return project / "modelgen.toml"


@pytest.mark.parametrize(
    "bases",
    [
        "DeclarativeBase",
        "DeclarativeBaseNoMeta",
        "MappedAsDataclass, DeclarativeBase",
        "orm.DeclarativeBase",
    ],
)
def test_init_names_the_model_class_the_app_passes(project: Path, bases: str) -> None:
    path = _init(
        project,
        f"class Base({bases}):\n    pass\n\n\ndb = SQLAlchemy(model_class=Base)\n",
    )
    config = load_config(path)
    assert config.base == "app.extensions:Base"
    assert config.style == "typed"
    text = path.read_text()
    assert ("MappedAsDataclass" in bases) == (
        "docs/typing.md, 'MappedAsDataclass'" in text
    )
    assert f"({bases.replace(', ', ' + ').replace('orm.', '')})" in text
    # and the generated files give type checkers that class under db.Model
    specs = [s for s in config.files if s.tables == ("payments",)]
    assert specs, "payments has no model in the fixture app: init proposes it"
    files = generate_files(
        load_snapshot(FIXTURES / "production" / "schema.json"),
        config,
        [specs[0].group],
        False,
    ).files
    (payments,) = [f for f in files if f.path.name == specs[0].filename]
    assert "from app.extensions import Base as ModelBase" in payments.content
    assert "    Model = db.Model\n" in payments.content
    assert "class Payment(Model):" in payments.content


def test_init_keeps_the_default_set_up_classic(project: Path) -> None:
    path = _init(project, "db = SQLAlchemy()\n")
    config = load_config(path)
    assert config.base is None and config.style == "classic"
    assert "The app uses `db = SQLAlchemy()` (no model_class)" in path.read_text()


def test_a_base_that_is_no_class_path_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "modelgen.toml"
    path.write_text('base = "app.extensions.Base"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "key 'base'" in message and "app.extensions:Base" in message
    assert "\n" not in message
