"""All-or-nothing writes: a run that cannot replace one file changes none, and says so."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

import modelgen.files
from modelgen.errors import ModelgenError
from modelgen.files import new_file_mode, replace_all
from modelgen.generate.output import (
    HASH_PREFIX,
    GeneratedFile,
    content_hash,
    write_files,
)


def generated(body: str) -> str:
    return f"# header\n{HASH_PREFIX}{content_hash(body)}\n{body}"


def snapshot_of(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.name: (p.read_bytes(), stat.S_IMODE(p.stat().st_mode))
        for p in sorted(folder.iterdir())
    }


def fail_on_rename_number(monkeypatch: pytest.MonkeyPatch, failing: int) -> list[str]:
    calls: list[str] = []
    real = os.replace

    def replace(src: str | Path, dst: str | Path) -> None:
        calls.append(str(dst))
        if len(calls) == failing:
            raise PermissionError(13, "Permission denied")
        real(src, dst)

    monkeypatch.setattr(modelgen.files.os, "replace", replace)
    return calls


@pytest.mark.parametrize("failing", [1, 2, 3, 4])
def test_a_rename_failing_part_way_leaves_every_file_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: int
) -> None:
    old = [tmp_path / "a.py", tmp_path / "b.py"]
    for index, path in enumerate(old):
        path.write_text(generated(f"x = {index}\n"))
    os.chmod(old[1], 0o600)  # a replaced file keeps its mode, a restored one too
    before = snapshot_of(tmp_path)
    files = [GeneratedFile(p, generated(f"x = {i + 10}\n")) for i, p in enumerate(old)]
    files += [
        GeneratedFile(tmp_path / "c.py", generated("new = 1\n")),
        GeneratedFile(tmp_path / "d.py", generated("new = 2\n")),
    ]
    calls = fail_on_rename_number(monkeypatch, failing)
    with pytest.raises(ModelgenError) as info:
        write_files(files)
    message = str(info.value)
    assert "nothing was changed" in message
    assert Path(calls[failing - 1]).name in message  # names the file that failed
    assert "\n" not in message
    assert snapshot_of(tmp_path) == before  # no new file, no temp, same bytes and modes


def test_a_file_that_cannot_be_staged_stops_the_run_before_any_replace(
    tmp_path: Path,
) -> None:
    kept = tmp_path / "kept.py"
    kept.write_text("old\n")
    blocker = tmp_path / "sub"
    blocker.write_text("a file where a folder is needed\n")
    before = snapshot_of(tmp_path)
    with pytest.raises(ModelgenError) as info:
        replace_all({kept: "new\n", blocker / "x.py": "x\n"})
    assert "nothing was changed" in str(info.value) and "sub" in str(info.value)
    assert snapshot_of(tmp_path) == before


def test_new_files_follow_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        assert new_file_mode() == 0o640
        replace_all({tmp_path / "a.py": "a\n"})
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "a.py").stat().st_mode) == 0o640


def test_a_snapshot_meant_to_be_committed_follows_the_umask(tmp_path: Path) -> None:
    from conftest import FIXTURES

    from modelgen.catalog.snapshot import load_snapshot, write_snapshot

    schema = load_snapshot(FIXTURES / "production" / "schema.json")
    previous = os.umask(0o022)
    try:
        write_snapshot(schema, tmp_path / "schema.json")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "schema.json").stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["schema.json"]  # no temp left
