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
            "(db.Model):"
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
    assert {t.name for t in models.tables} == set(CRITICAL)
    default = {t.name for t in load_models(replace(config, bind=None)).tables}
    assert "users" in default and "payments" not in default
