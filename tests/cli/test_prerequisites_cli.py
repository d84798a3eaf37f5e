"""prerequisites.py from a user's seat: written with the models, left out on request,
checked like every generated file; and the one-line error for a bad switch."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from conftest import FIXTURES
from typer.testing import CliRunner

from modelgen.cli.app import app

CASE = FIXTURES / "cases" / "hand_trigger"
runner = CliRunner()


def run(project: Path, *args: str) -> tuple[int, str, str]:
    old = Path.cwd()
    os.chdir(project)
    try:
        result = runner.invoke(app, list(args))
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


def _project(tmp_path: Path, extra: str = "") -> Path:
    shutil.copytree(CASE / "handapp", tmp_path / "handapp")
    config = (CASE / "modelgen.toml").read_text()
    (tmp_path / "modelgen.toml").write_text(extra + config)
    (tmp_path / "handapp" / "generated").mkdir()
    (tmp_path / "handapp" / "generated" / "__init__.py").write_text("")
    return tmp_path


def test_generate_writes_the_module_and_says_to_import_it_first(
    tmp_path: Path,
) -> None:
    project = _project(tmp_path)
    code, out, err = run(
        project, "generate", "--snapshot", str(CASE / "schema.json"), "--all"
    )
    assert code == 0, err
    module = project / "handapp" / "generated" / "prerequisites.py"
    assert module.read_text() == (CASE / "expected" / "prerequisites.py").read_text()
    imports = out[out.index("add to") :].splitlines()
    assert "prerequisites" in imports[1]  # the first line to add: before the models
    assert "prerequisites to create first" not in out + err  # the module has them
    # check: in sync, then a hand edit to a function is reported
    code, out, err = run(project, "check", "--snapshot", str(CASE / "schema.json"))
    assert code == 0, err
    module.write_text(module.read_text().replace("btrim(t)", "trim(t)"))
    code, out, err = run(project, "check", "--snapshot", str(CASE / "schema.json"))
    assert code == 1 and "prerequisites.py" in err


def test_prerequisites_false_leaves_the_module_out_and_lists_them(
    tmp_path: Path,
) -> None:
    project = _project(tmp_path, "prerequisites = false\n")
    # the notes table (its trigger calls touch(), which calls clean()) generated too
    config = project / "modelgen.toml"
    config.write_text(config.read_text() + '"notes.py" = ["notes"]\n')
    (project / "handapp" / "models" / "notes.py").unlink()
    code, out, err = run(
        project, "generate", "--snapshot", str(CASE / "schema.json"), "--all"
    )
    assert code == 0, err
    assert not (project / "handapp" / "generated" / "prerequisites.py").exists()
    listed = (out + err)[(out + err).index("prerequisites to create first") :]
    assert "function public.touch" in listed and "function public.clean" in listed
    assert "unused" not in listed
    assert "prerequisites" not in out[out.index("add to") :]


def test_a_bad_switch_is_one_line_naming_the_key(tmp_path: Path) -> None:
    project = _project(tmp_path, 'prerequisites = "no"\n')
    code, out, err = run(project, "generate", "--snapshot", str(CASE / "schema.json"))
    assert code == 2
    assert "key 'prerequisites': must be true or false" in err
    assert len(err.strip().splitlines()) == 1


def test_verify_names_its_modes(tmp_path: Path) -> None:
    project = _project(tmp_path)
    code, out, err = run(
        project, "verify", "--snapshot", str(CASE / "schema.json"), "--mode", "fast"
    )
    assert code == 2
    assert err.strip() == (
        "modelgen: error: --mode 'fast': one of create-all, prerequisites-first"
    )


def test_drift_finds_a_function_changed_in_production_and_fix_regenerates_it(
    tmp_path: Path,
) -> None:
    project = _project(tmp_path)
    snapshot = str(CASE / "schema.json")
    code, out, err = run(project, "generate", "--snapshot", snapshot, "--all")
    assert code == 0, err
    code, out, err = run(project, "drift", "--snapshot", snapshot)
    assert code == 0, out + err
    # production's touch() now stamps with clock_timestamp()
    changed = tmp_path / "changed.json"
    text = (CASE / "schema.json").read_text()
    assert text.count("NEW.updated_at := now()") == 1
    changed.write_text(text.replace("now()", "clock_timestamp()"))
    code, out, err = run(project, "drift", "--snapshot", str(changed))
    assert code == 1
    assert (
        "function public.touch: prerequisites.py creates it differently from production"
        in out
    )
    module = project / "handapp" / "generated" / "prerequisites.py"
    code, out, err = run(project, "drift", "--snapshot", str(changed), "--fix")
    assert code == 0, out + err
    assert "fixed handapp/generated/prerequisites.py" in out
    assert "clock_timestamp()" in module.read_text()
    code, out, err = run(project, "drift", "--snapshot", str(changed))
    assert code == 0, out + err
    code, out, err = run(project, "check", "--snapshot", str(changed))
    assert code == 0, out + err  # the fixed module is what generate writes


def test_drift_fix_never_replaces_a_hand_edited_module(tmp_path: Path) -> None:
    project = _project(tmp_path)
    snapshot = str(CASE / "schema.json")
    assert run(project, "generate", "--snapshot", snapshot, "--all")[0] == 0
    module = project / "handapp" / "generated" / "prerequisites.py"
    edited = module.read_text().replace("btrim(t)", "trim(t)")
    module.write_text(edited)
    code, out, err = run(project, "drift", "--snapshot", snapshot, "--fix")
    assert code == 1
    assert "prerequisites.py was edited by hand" in out + err
    assert module.read_text() == edited


def test_regenerating_replaces_the_module_whole(tmp_path: Path) -> None:
    """No hand code is kept in it: after a production change it is exactly what a
    first generate writes (the old function's comment is not kept as if hand-written),
    and a hand edit is refused."""
    first, fresh = _project(tmp_path / "a"), _project(tmp_path / "b")
    changed = tmp_path / "changed.json"
    changed.write_text((CASE / "schema.json").read_text().replace("now()", "clock()"))
    assert (
        run(first, "generate", "--snapshot", str(CASE / "schema.json"), "--all")[0] == 0
    )
    assert run(first, "generate", "--snapshot", str(changed), "--all")[0] == 0
    assert run(fresh, "generate", "--snapshot", str(changed), "--all")[0] == 0
    module = Path("handapp") / "generated" / "prerequisites.py"
    assert (first / module).read_text() == (fresh / module).read_text()
    (first / module).write_text((first / module).read_text().replace("clock", "now"))
    code, out, err = run(first, "generate", "--snapshot", str(changed), "--all")
    assert code == 1 and "edited by hand" in err


def test_a_bootstrap_package_from_before_is_told_to_import_the_module(
    tmp_path: Path,
) -> None:
    """Its __init__.py is written once and never again: one written before
    prerequisites.py existed lacks the import, and generate says so."""
    snapshot = str(FIXTURES / "cases" / "triggers" / "schema.json")
    out = tmp_path / "models"
    assert run(tmp_path, "generate", "--snapshot", snapshot, "--out", str(out))[0] == 0
    init = out / "__init__.py"
    assert "from . import prerequisites" in init.read_text()
    code, stdout, err = run(
        tmp_path, "generate", "--snapshot", snapshot, "--out", str(out)
    )
    assert code == 0 and "add to" not in stdout
    init.write_text(
        init.read_text().replace("from . import prerequisites  # noqa: F401\n", "")
    )
    code, stdout, err = run(
        tmp_path, "generate", "--snapshot", snapshot, "--out", str(out)
    )
    assert code == 0
    assert "prerequisites before any model" in stdout
    assert stdout.rstrip().endswith("from . import prerequisites  # noqa: F401")
