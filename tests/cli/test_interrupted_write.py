"""Nothing lost: a run killed (SIGKILL) at any instant leaves every file either old
or new, a refused run leaves every file untouched, --force keeps a .bak, and the
temp files a killed run may orphan are cleaned up by the next run."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

from modelgen.catalog.snapshot import load_snapshot
from modelgen.config import load_config
from modelgen.generate.output import hand_edited, split_header
from modelgen.generate.pipeline import generate_files
from modelgen.source.ownership import owned_hash

SNAPSHOT = "production/schema.json"
ARGS = ["generate", "--snapshot", SNAPSHOT, "--all", "--force"]
TEMP = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp$")
HAND_EDIT = ("primary_key=True", "primary_key=True, comment='a hand edit'")


def start(project: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "modelgen", *args],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def expected_files(project: Path) -> dict[Path, str]:
    config = load_config(project / "modelgen.toml")
    schema = load_snapshot(project / SNAPSHOT)
    return {f.path: f.content for f in generate_files(schema, config, [], True).files}


def older_version(content: str) -> str:
    """What an earlier modelgen run could have written: a type production has since
    dropped (regenerating removes it), valid hash."""
    recorded, body = split_header(content)
    assert recorded is not None
    head = content[: len(content) - len(body)]
    body += '\nold_enum = db.Enum("gone", name="old_kind")\n'
    return head.replace(recorded, owned_hash(body)) + body


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def scene(project: Path):  # type: ignore[no-untyped-def]
    """Targets: every third absent, every third an older generated version, every third
    absent too except one hand-edited file (replaced under --force, keeping a .bak)."""
    new = expected_files(project)
    targets = sorted(new)
    assert len(targets) >= 10
    folder = targets[0].parent
    fixed = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    old: dict[Path, bytes | None] = {}
    for i, path in enumerate(targets):
        old[path] = older_version(new[path]).encode() if i % 3 == 1 else None
    edited = targets[-1]
    old[edited] = new[edited].replace(*HAND_EDIT, 1).encode()
    assert hand_edited(old[edited].decode())
    assert not any(hand_edited(d.decode()) for p, d in old.items() if d and p != edited)

    def reset() -> None:
        for entry in folder.iterdir():
            if entry.is_file() and entry.name not in fixed:
                entry.unlink()
        for path, data in old.items():
            if data is not None:
                path.write_bytes(data)

    return folder, targets, new, old, edited, fixed, reset


def assert_old_or_new(scene, allow_orphans: bool) -> list[str]:  # type: ignore[no-untyped-def]
    folder, targets, new, old, edited, fixed, _ = scene
    names = {p.name for p in targets}
    orphans: list[str] = []
    for path in targets:
        now = path.read_bytes() if path.exists() else None
        assert now in (old[path], new[path].encode()), f"{path.name} is half-written"
    backup = edited.with_name(edited.name + ".bak")
    if edited.exists() and edited.read_bytes() == new[edited].encode():
        assert backup.read_bytes() == old[edited], "the hand edit was lost"
    if backup.exists():
        assert backup.read_bytes() == old[edited], ".bak is half-written"
    for entry in folder.iterdir():
        if entry.name in fixed:
            assert entry.read_bytes() == fixed[entry.name], entry.name
        elif entry.name in names or entry.name == backup.name:
            continue
        else:
            match = TEMP.match(entry.name)
            assert match and match["name"] in names | {backup.name}, entry.name
            assert allow_orphans, f"temp file left by a run that finished: {entry}"
            orphans.append(entry.name)
    return orphans


def test_a_run_killed_at_any_point_leaves_each_file_old_or_new(
    project: Path, scene  # type: ignore[no-untyped-def]
) -> None:
    folder, targets, new, old, edited, fixed, reset = scene
    watched = {p.name for p in targets}
    states: set[tuple[bool, ...]] = set()
    orphans_seen = 0
    # Kill after the first temp file or write appears, plus a delay spread over the
    # 15-20 ms the 16 writes take here (slower machines still land inside).
    delays = [0.0, 0.0005, 0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.008, 0.01]
    # the last delays outlast the writes even on a loaded machine: a finished run
    for delay in delays + [0.012, 0.015, 0.02, 0.05, 0.2, 1.0, 3.0]:
        reset()
        before = {p: (p.stat().st_mtime_ns if p.exists() else None) for p in targets}
        proc = start(project, *ARGS)
        while proc.poll() is None:
            names = set(os.listdir(folder))
            changed = any(TEMP.match(n) for n in names if n.startswith(".")) or any(
                (p.stat().st_mtime_ns if p.exists() else None) != before[p]
                for p in targets
                if p.name in names
            )
            if changed:
                break
            time.sleep(0.0005)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        orphans_seen += len(assert_old_or_new(scene, allow_orphans=True))
        states.add(
            tuple(
                p.exists() and p.read_bytes() == new[p].encode()
                for p in targets
                if p.name in watched
            )
        )
    print(f"{len(states)} distinct states, {orphans_seen} orphaned temp files")
    # The kills landed at different points (not all before or all after the writes).
    assert len(states) >= 2, states

    # The next, uninterrupted run finishes the job and leaves no temp file behind.
    proc = start(project, *ARGS)
    assert proc.wait(timeout=60) == 0
    assert assert_old_or_new(scene, allow_orphans=False) == []
    for path in targets:
        assert path.read_bytes() == new[path].encode()


def test_the_next_run_removes_only_its_own_orphaned_temp_files(
    project: Path, scene  # type: ignore[no-untyped-def]
) -> None:
    folder, targets, new, old, edited, fixed, reset = scene
    reset()
    orphan = folder / f".{targets[0].name}.k1ll3d_x.tmp"
    orphan.write_text("class Half")
    bak_orphan = folder / f".{edited.name}.bak.abc_1234.tmp"
    bak_orphan.write_text("half a backup")
    theirs = [
        folder / ".notes.tmp",
        folder / f".{targets[0].name}.mine.tmp",  # not mkstemp's 8 characters
        folder / f".{targets[0].name}.ABCDEFGH.tmp",  # mkstemp never uses capitals
        folder / ".elsewhere.py.abcdefgh.tmp",  # not a file this run writes
    ]
    for path in theirs:
        path.write_text("the user's")
    proc = start(project, *ARGS)
    assert proc.wait(timeout=60) == 0
    assert not orphan.exists() and not bak_orphan.exists()
    for path in theirs:
        assert path.read_text() == "the user's"
        path.unlink()
    assert_old_or_new(scene, allow_orphans=False)


def test_a_refused_run_leaves_every_file_untouched_and_force_keeps_a_bak(
    project: Path, scene  # type: ignore[no-untyped-def]
) -> None:
    folder, targets, new, old, edited, fixed, reset = scene
    reset()
    before = {p: digest(p) for p in folder.iterdir()}
    proc = subprocess.run(
        [sys.executable, "-m", "modelgen", "generate", "--snapshot", SNAPSHOT, "--all"],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 1, proc.stderr
    assert edited.name in proc.stderr and "nothing was written" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert {p: digest(p) for p in folder.iterdir()} == before

    proc = start(project, *ARGS)
    assert proc.wait(timeout=60) == 0
    backup = edited.with_name(edited.name + ".bak")
    assert backup.read_bytes() == old[edited]
    assert edited.read_bytes() == new[edited].encode()
