"""Bad input from a user's seat: the real process, one clear line, exit 2, no
traceback, no password, and not one file of the project touched."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT

from modelgen.catalog.snapshot import FORMAT_VERSION

PASSWORD = "S3cret-pw"
SNAPSHOT = "production/schema.json"  # relative to the project copy
GROUPS = '[groups.a]\n"payments_file.py" = ["payments"]\n'


def modelgen(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "modelgen", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def tree(project: Path) -> dict[str, str]:
    """Every file of the project (and its mode) by content hash."""
    return {
        str(p.relative_to(project)): hashlib.sha256(p.read_bytes()).hexdigest()
        + oct(p.stat().st_mode)
        for p in sorted(project.rglob("*"))
        if p.is_file()
    }


def assert_one_line_exit_2(
    project: Path,
    args: list[str],
    *expected: str,
    before: dict[str, str],
    secret: str = PASSWORD,
) -> str:
    proc = modelgen(project, *args)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for hidden in (secret, PASSWORD, "S3cret"):
        assert hidden not in proc.stdout + proc.stderr
    assert lines[0].startswith("modelgen: error: ")
    for part in expected:
        assert part in lines[0], lines[0]
    after = tree(project)
    # the config files the test wrote before the run are part of `before`
    assert after == before, "a refused run must leave every file untouched"
    return lines[0]


def config(project: Path, name: str, text: str) -> dict[str, str]:
    (project / name).write_text(text, encoding="utf-8")
    return tree(project)


# --- the database -------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            f"postgresql://u:{PASSWORD}@127.0.0.1:1/app",
            ("cannot connect to postgresql://u:***@127.0.0.1:1/app",),
        ),
        (
            f"postgresql://u:{PASSWORD}@no-such-host.invalid:5432/app",
            ("cannot connect to", "no-such-host.invalid"),
        ),
        (
            # a password with characters that need percent-encoding in a URL
            "postgresql://u:S3cret%40%2F%3A@127.0.0.1:1/app",
            ("cannot connect to postgresql://u:***@127.0.0.1:1/app",),
        ),
        (
            f"mysql://root:{PASSWORD}@127.0.0.1/app",
            ("unsupported database URL scheme 'mysql'", "postgresql://"),
        ),
        ("sqlite:///app.db", ("unsupported database URL scheme 'sqlite'",)),
        (f"{PASSWORD}@127.0.0.1/app", ("database URL must look like",)),
    ],
    ids=[
        "refused-port",
        "unknown-host",
        "encoded-password",
        "mysql",
        "sqlite",
        "no-scheme",
    ],
)
def test_unreachable_or_unsupported_database(
    project: Path, url: str, expected: tuple[str, ...]
) -> None:
    before = tree(project)
    assert_one_line_exit_2(
        project, ["generate", "--all", "--url", url], *expected, before=before
    )


def test_password_from_the_environment_is_never_printed(project: Path) -> None:
    before = tree(project)
    proc = subprocess.run(
        [sys.executable, "-m", "modelgen", "generate", "--all"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": f"postgresql://admin:{PASSWORD}@127.0.0.1:1/prod",
        },
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "admin:***@127.0.0.1:1/prod" in proc.stderr
    assert PASSWORD not in proc.stdout + proc.stderr
    assert tree(project) == before


def _on_server(pg_admin: str, database: str, password: str | None) -> str:
    """The test server's admin URL for ``database``; ``password`` None keeps the admin's."""
    from dataclasses import replace

    from modelgen.catalog.connect import parse_url

    admin = parse_url(pg_admin)
    if password is not None:
        admin = replace(admin, password=password)
    return replace(admin, database=database).render()


def test_missing_database_names_it_and_hides_the_password(
    project: Path, pg_admin: str
) -> None:
    from modelgen.catalog.connect import parse_url

    # A server that checks passwords needs the real one to get as far as the
    # database; a trusting one (the local test server) ignores ours.
    real = parse_url(pg_admin).password
    url = _on_server(pg_admin, "no_such_db_xyz", None if real else PASSWORD)
    before = tree(project)
    line = assert_one_line_exit_2(
        project,
        ["generate", "--all", "--url", url],
        "no_such_db_xyz",
        before=before,
        secret=real or PASSWORD,
    )
    assert "does not exist" in line and ":***@" in line


def test_wrong_password_is_one_line_without_the_password(
    project: Path, pg_admin: str
) -> None:
    from modelgen.catalog.connect import parse_url
    from modelgen.catalog.reflect import reflect_url
    from modelgen.errors import DatabaseError

    url = _on_server(pg_admin, parse_url(pg_admin).database or "postgres", PASSWORD)
    try:
        reflect_url(url)
    except DatabaseError:
        pass
    else:
        pytest.skip(
            "the test server trusts this connection (pg_hba trust), so a wrong "
            "password cannot fail here; the password-hiding is covered by the "
            "unreachable-host and missing-database cases"
        )
    before = tree(project)
    assert_one_line_exit_2(
        project, ["generate", "--all", "--url", url], "cannot connect", before=before
    )


# --- the config ---------------------------------------------------------------


BAD_CONFIGS = {
    "syntax error: file and line": (
        "broken.toml",
        'output = "app/models"\n[groups.a\n',
        ["invalid TOML", "line 2"],
    ),
    "unknown key": (
        "unknown.toml",
        'output = "app/models"\noutptu = "x"\n' + GROUPS,
        ["key 'outptu'", "unknown key"],
    ),
    "unknown key in pyproject, with its table": (
        "pyproject.toml",
        '[tool.modelgen]\noutput = "app/models"\ncolour = "blue"\n',
        ["key 'tool.modelgen.colour'"],
    ),
    "a table mapped to two files": (
        "twice.toml",
        'output = "app/models"\n[groups.a]\n"one.py" = ["payments"]\n'
        '[groups.b]\n"two.py" = ["invoices", "payments"]\n',
        ["key 'groups.b.two.py'", "'payments' is already mapped to groups.a.one.py"],
    ),
    "a mapped table production lacks": (
        "lacking.toml",
        'output = "app/models"\n[groups.a]\n"ghost.py" = ["ghost_table"]\n',
        ["groups.a.ghost.py", "ghost_table"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_a_bad_config_names_its_file_and_key(project: Path, case: str) -> None:
    name, text, expected = BAD_CONFIGS[case]
    before = config(project, name, text)
    assert_one_line_exit_2(
        project,
        ["generate", "--config", name, "--all", "--snapshot", SNAPSHOT],
        name,
        *expected,
        before=before,
    )


def test_a_group_that_does_not_exist(project: Path) -> None:
    before = tree(project)
    assert_one_line_exit_2(
        project,
        ["generate", "--group", "critcal", "--snapshot", SNAPSHOT],
        "modelgen.toml",
        "no group named 'critcal'",
        "critical",
        before=before,
    )


@pytest.mark.parametrize(
    "output", ["../outside", "/tmp/modelgen-elsewhere", "app/../../x"]
)
def test_an_output_outside_the_project_is_refused(project: Path, output: str) -> None:
    before = config(project, "escape.toml", f'output = "{output}"\n' + GROUPS)
    assert_one_line_exit_2(
        project,
        ["generate", "--config", "escape.toml", "--all", "--snapshot", SNAPSHOT],
        "escape.toml",
        "key 'output'",
        "outside the config file's folder",
        "--out",
        before=before,
    )
    assert not (project.parent / "outside").exists()


def test_an_output_symlinked_outside_the_project_is_refused(
    project: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (project / "linked").symlink_to(elsewhere)
    before = config(project, "link.toml", 'output = "linked"\n' + GROUPS)
    assert_one_line_exit_2(
        project,
        ["generate", "--config", "link.toml", "--all", "--snapshot", SNAPSHOT],
        "key 'output'",
        before=before,
    )
    assert list(elsewhere.iterdir()) == []


def test_out_on_the_command_line_may_point_outside(
    project: Path, tmp_path: Path
) -> None:
    # payments' keys point at hand-written models (models=) and at invoices, which
    # comes along in the group: no key may dangle
    (project / "escape.toml").write_text(
        'output = "../outside"\nmodels = "app/models"\n'
        + GROUPS
        + '"invoices_file.py" = ["invoices"]\n'
    )
    target = tmp_path / "chosen"
    proc = modelgen(
        project,
        "generate",
        "--config",
        "escape.toml",
        "--all",
        "--snapshot",
        SNAPSHOT,
        "--out",
        str(target),
    )
    assert proc.returncode == 0, proc.stderr
    assert (target / "payments_file.py").is_file()


# --- the output folder --------------------------------------------------------


def test_an_output_folder_under_a_regular_file(project: Path) -> None:
    (project / "somefile.txt").write_text("not a folder\n")
    before = config(project, "under.toml", 'output = "somefile.txt/models"\n' + GROUPS)
    assert_one_line_exit_2(
        project,
        ["generate", "--config", "under.toml", "--all", "--snapshot", SNAPSHOT],
        "somefile.txt",
        "Not a directory",
        before=before,
    )


def test_a_target_that_is_a_folder(project: Path) -> None:
    (project / "app" / "models" / "payments_file.py").mkdir()
    before = config(project, "dir.toml", 'output = "app/models"\n' + GROUPS)
    assert_one_line_exit_2(
        project,
        ["generate", "--config", "dir.toml", "--all", "--snapshot", SNAPSHOT],
        "payments_file.py",
        before=before,
    )


def test_a_read_only_output_folder(project: Path) -> None:
    folder = project / "app" / "models"
    folder.chmod(0o555)
    try:
        probe = folder / ".probe"
        try:
            probe.write_text("x")
        except PermissionError:
            pass
        else:
            probe.unlink()
            pytest.skip(
                "running as root (or a filesystem ignoring modes): chmod 0o555 "
                "does not stop writes; the file-under-a-file case covers the error"
            )
        before = tree(project)
        assert_one_line_exit_2(
            project,
            ["generate", "--all", "--snapshot", SNAPSHOT],
            "app/models",
            "cannot write",
            before=before,
        )
    finally:
        folder.chmod(0o755)


# --- the snapshot -------------------------------------------------------------


def _snapshot(project: Path, name: str, edit: Callable[[str], str]) -> dict[str, str]:
    text = (project / SNAPSHOT).read_text(encoding="utf-8")
    (project / name).write_text(edit(text), encoding="utf-8")
    return tree(project)


def test_a_truncated_snapshot(project: Path) -> None:
    before = _snapshot(project, "cut.json", lambda t: t[: len(t) // 2])
    assert_one_line_exit_2(
        project,
        ["generate", "--all", "--snapshot", "cut.json"],
        "cut.json",
        "truncated",
        before=before,
    )


def test_an_empty_snapshot(project: Path) -> None:
    before = _snapshot(project, "empty.json", lambda t: "")
    assert_one_line_exit_2(
        project,
        ["generate", "--all", "--snapshot", "empty.json"],
        "empty.json",
        before=before,
    )


def test_a_snapshot_of_a_newer_format_version(project: Path) -> None:
    def newer(text: str) -> str:
        data = json.loads(text)
        data["format_version"] += 1
        return json.dumps(data)

    before = _snapshot(project, "newer.json", newer)
    assert_one_line_exit_2(
        project,
        ["generate", "--all", "--snapshot", "newer.json"],
        "newer.json",
        f"format version {FORMAT_VERSION + 1} is newer",
        "upgrade modelgen",
        before=before,
    )


def test_a_snapshot_missing_a_field(project: Path) -> None:
    def gutted(text: str) -> str:
        data = json.loads(text)
        del data["schema"]["tables"][0]["columns"]
        return json.dumps(data)

    before = _snapshot(project, "gutted.json", gutted)
    assert_one_line_exit_2(
        project,
        ["generate", "--all", "--snapshot", "gutted.json"],
        "gutted.json",
        "columns",
        before=before,
    )
