"""No generated foreign key dangles: the files a selection needs are written too, a
table in no group stops the run, keys to what can never have a model are left out,
and drift reports a model's key to a table no model defines."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES

from modelgen.catalog.snapshot import load_snapshot
from modelgen.config import Config, load_config
from modelgen.drift.engine import compute_drift
from modelgen.drift.models import ModelConstraint, ModelSet, ModelTable
from modelgen.errors import ConfigError
from modelgen.generate.pipeline import generate_files

PRODUCTION = FIXTURES / "production" / "schema.json"


def _config(tmp_path: Path, groups: str, ignore: str = '["alembic_version"]') -> Config:
    path = tmp_path / "modelgen.toml"
    (tmp_path / "models").mkdir(exist_ok=True)  # the app's models: none yet
    path.write_text(
        f'output = "models"\nmodels = "models"\ndb_import = "app.extensions"\n'
        f"ignore = {ignore}\n{groups}"
    )
    return load_config(path)


def test_a_referenced_table_of_another_group_is_written_too(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        '[groups.a]\n"sessions.py" = ["user_sessions"]\n'
        '[groups.b]\n"devices.py" = ["user_devices"]\n"users.py" = ["users"]\n',
    )
    result = generate_files(load_snapshot(PRODUCTION), config, ["a"])
    assert sorted(f.path.name for f in result.files) == [
        "devices.py",
        "sessions.py",
        "users.py",
    ]
    assert result.plan.also_wrote == (
        "devices.py (group b): user_sessions.device_id references user_devices",
        "users.py (group b): user_sessions.user_id references users",
    )


def test_a_referenced_table_in_no_group_stops_the_run(tmp_path: Path) -> None:
    config = _config(tmp_path, '[groups.a]\n"sessions.py" = ["user_sessions"]\n')
    with pytest.raises(ConfigError) as info:
        generate_files(load_snapshot(PRODUCTION), config, ["a"])
    message = str(info.value)
    assert "which has no model and is in no group" in message
    assert message.startswith(f"{config.path}: user_sessions.")
    assert info.value.exit_code == 2


def test_without_a_models_folder_keys_are_kept(tmp_path: Path) -> None:
    """No 'models' in the config: the app's models are unseen, so nothing is refused
    or left out (drift reports keys that dangle)."""
    path = tmp_path / "modelgen.toml"
    path.write_text(
        'output = "models"\n[groups.a]\n"sessions.py" = ["user_sessions"]\n'
    )
    result = generate_files(load_snapshot(PRODUCTION), load_config(path), ["a"])
    assert [f.path.name for f in result.files] == ["sessions.py"]
    assert result.plan.left_out == ()
    assert '"user_devices.id"' in result.files[0].content


def test_a_key_to_an_ignored_table_is_left_out_and_listed(tmp_path: Path) -> None:
    schema = load_snapshot(PRODUCTION)
    config = Config(path=None, root=tmp_path, ignore=("user_devices",))
    result = generate_files(schema, config, out=tmp_path / "m")
    assert (
        "user_sessions.device_id -> user_devices (table without a model; "
        "key user_sessions_device_id_fkey)"
    ) in result.plan.left_out
    text = "".join(f.content for f in result.files)
    assert "user_devices.id" not in text and "user_sessions_device_id_fkey" not in text


def test_drift_reports_a_models_key_to_a_table_no_model_defines(
    tmp_path: Path,
) -> None:
    schema = load_snapshot(PRODUCTION)
    sessions = schema.find_table("user_sessions")
    assert sessions is not None
    model = ModelTable(
        schema=None,
        name="user_sessions",
        class_name="UserSession",
        path=tmp_path / "sessions.py",
        line=3,
        columns=None,
        constraints=(
            ModelConstraint(
                "f",
                "user_sessions_device_id_fkey",
                ("device_id",),
                None,
                None,
                "user_devices",
                ("id",),
            ),
        ),
    )
    report = compute_drift(
        schema, Config(path=None, root=tmp_path), ModelSet((model,), "import", "")
    )
    dangling = [f for f in report.findings if f.kind == "dangling-key"]
    assert [f.message for f in dangling] == [
        "user_sessions.device_id references user_devices, which has no model: "
        "create_all, sorted_tables and Alembic autogenerate fail"
    ]
    assert dangling[0].level == "drift" and report.exit_code == 1
