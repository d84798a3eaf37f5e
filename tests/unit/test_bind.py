"""A config with `bind = "key"` targets a Flask-SQLAlchemy bind: the generated models
land in that bind's metadata, and drift compares only that bind's models."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from conftest import CRITICAL, FIXTURES

from modelgen.catalog.snapshot import load_snapshot
from modelgen.config import find_config, load_config
from modelgen.drift.models import load_models
from modelgen.generate.pipeline import generate_files

SNAPSHOT = FIXTURES / "production" / "schema.json"

# which metadata each generated table is in, once the app has imported them
PROBE = """
import json
from flask import Flask
from app.extensions import db
app = Flask("probe")
app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
app.config["SQLALCHEMY_BINDS"] = {"reporting": "sqlite://"}
db.init_app(app)
from app.models import payments, applications  # noqa
print(json.dumps({k or "": sorted(m.tables) for k, m in db.metadatas.items()}))
"""


def test_generated_models_carry_the_bind_key(project: Path) -> None:
    config_path = project / "modelgen.toml"
    config_path.write_text(
        'bind = "reporting"\n' + config_path.read_text(encoding="utf-8"), "utf-8"
    )
    config = load_config(find_config(None, project), project)
    assert config.bind == "reporting"
    result = generate_files(load_snapshot(SNAPSHOT), config, ["critical"])
    for item in result.files:
        assert item.content.count('__bind_key__ = "reporting"') == item.content.count(
            "(Model):"
        ), item.path
        item.path.write_text(item.content, encoding="utf-8")
    probe = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    metadatas = json.loads(probe.stdout)
    assert {"payments", "applications"} <= set(metadatas["reporting"])
    assert not {"payments", "applications"} & set(metadatas[""])

    # drift with the bind sees only that bind's models; without it, only the default's
    models = load_models(config)
    # the critical group, and user_devices, written along because a key points there
    assert {t.name for t in models.tables} == {*CRITICAL, "user_devices"}
    default = {t.name for t in load_models(replace(config, bind=None)).tables}
    assert "users" in default and "payments" not in default


def test_a_bind_revision_acts_only_for_its_database() -> None:
    from modelgen.config import load_config
    from modelgen.generate.format import black_format
    from modelgen.generate.render import make_environment
    from modelgen.migration import (
        generate_migration,
        load_revision,
        select_tables,
        upgrade_sql,
    )

    schema = load_snapshot(SNAPSHOT)
    config = load_config(FIXTURES / "modelgen.toml")
    tables = select_tables(schema, config, ["critical"], False)
    env = make_environment()
    plain = generate_migration(env, schema, tables, None, "critical")
    bound = generate_migration(env, schema, tables, None, "critical", "reporting")
    assert "bind_key" not in plain.content and "def upgrade() -> None:" in plain.content
    assert 'bind_key = "reporting"' in bound.content
    assert black_format(bound.content, "r.py") == bound.content
    # `--sql` runs it for its bind: the same statements as the plain revision's
    sql = upgrade_sql(bound.content, "r.py", None)
    assert "CREATE TABLE IF NOT EXISTS payments (" in sql
    assert sql.count("CREATE TABLE") == upgrade_sql(plain.content, "p.py", None).count(
        "CREATE TABLE"
    )
    module = load_revision(bound.content, "r.py")
    assert module.upgrade("") is None  # the default database: returns before any op


def test_regeneration_follows_the_configs_bind_and_keeps_hand_code(
    project: Path,
) -> None:
    """__bind_key__ is the config's: changing or removing `bind` changes it in files
    the team has added methods to, and the methods stay."""
    config_path = project / "modelgen.toml"
    base = config_path.read_text(encoding="utf-8")

    def generate(bind: str | None) -> str:
        config_path.write_text((f'bind = "{bind}"\n' if bind else "") + base, "utf-8")
        proc = subprocess.run(
            [sys.executable, "-m", "modelgen", "generate", "-g", "critical"]
            + ["--snapshot", str(SNAPSHOT)],
            cwd=project,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        return (project / "app" / "models" / "payments.py").read_text("utf-8")

    first = generate("billing")
    method = "\n    def is_refundable(self) -> bool:\n        return True\n"
    anchor = '    __bind_key__ = "billing"\n'
    assert anchor in first
    (project / "app" / "models" / "payments.py").write_text(
        first.replace(anchor, anchor + method, 1), "utf-8"
    )
    moved = generate("reporting")
    assert '__bind_key__ = "reporting"' in moved and "billing" not in moved
    assert method in moved
    default = generate(None)
    assert "__bind_key__" not in default
    assert method in default
