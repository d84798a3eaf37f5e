"""Living models: fixtures/living/<case>/ holds a file as the team left it (disk/,
generated from ``before`` and then edited), production's next state (``after``),
and the reviewed result of regenerating (expected/, plus expected_conflicts.txt
when the team edited statements modelgen owns, and expected_notes.txt for the
classes kept and the columns held back for the team's code). No database needed.
A case whose tables change names the config of its ``before`` (``config_before``).

To refresh after an intended change: MODELGEN_UPDATE_GOLDEN=1 pytest tests/golden,
then review every changed expected file with `git diff` before committing.
"""

from __future__ import annotations

import os
import shutil
import tomllib
from pathlib import Path

import pytest
from conftest import FIXTURES

from modelgen.catalog.snapshot import load_snapshot
from modelgen.config import load_config
from modelgen.generate.output import GeneratedFile, split_header, write_files
from modelgen.generate.pipeline import generate_files
from modelgen.source.merge import Conflict, Held, Kept, merge_with_disk, read_both

CASES = FIXTURES / "living"
NAMES = sorted(p.name for p in CASES.iterdir() if (p / "case.toml").is_file())
UPDATE = os.environ.get("MODELGEN_UPDATE_GOLDEN") == "1"


def fresh(case: Path, which: str, out: Path) -> list[GeneratedFile]:
    spec = tomllib.loads((case / "case.toml").read_text())
    schema = load_snapshot((case / spec[which]).resolve())
    config = load_config((case / spec.get(f"config_{which}", spec["config"])).resolve())
    return list(generate_files(schema, config, [], True, out=out).files)


def regenerate(
    case: Path, out: Path, notes: list[str] | None = None
) -> tuple[dict[str, str], list[Conflict], list[GeneratedFile]]:
    shutil.copytree(case / "disk", out)
    kept: list[Kept] = []
    held: list[Held] = []
    files, conflicts = merge_with_disk(fresh(case, "after", out), kept, held)
    if notes is not None:
        notes += [
            f"{k.path.relative_to(out)}:{k.line}: kept class {k.name} ({k.table})\n"
            for k in kept
        ]
        notes += [
            f"{h.path.relative_to(out)}:{h.line}: held back {h.table}.{h.column} "
            f"({h.name}), used at line {h.user}\n"
            for h in held
        ]
    return (
        {str(f.path.relative_to(out)): f.content for f in files},
        conflicts,
        files,
    )


def describe(conflicts: list[Conflict], out: Path) -> str:
    return "".join(
        f"{c.path.relative_to(out)}:{c.line}"
        + ("" if c.certain else " (this or another listed one was edited)")
        + "\n"
        f"  production: {c.production or '(no longer in production)'}\n"
        f"  file:       {c.file}\n"
        for c in conflicts
    )


@pytest.mark.parametrize("name", NAMES)
def test_regenerated_file_is_the_reviewed_one(name: str, tmp_path: Path) -> None:
    case = CASES / name
    out = tmp_path / "models"
    notes: list[str] = []
    produced, conflicts, _ = regenerate(case, out, notes)
    conflicts_file = case / "expected_conflicts.txt"
    notes_file = case / "expected_notes.txt"
    if UPDATE:
        if notes:
            notes_file.write_text("".join(notes))
        for rel, content in produced.items():
            (case / "expected" / rel).parent.mkdir(parents=True, exist_ok=True)
            (case / "expected" / rel).write_text(content)
        if conflicts:
            conflicts_file.write_text(describe(conflicts, out))
    expected_conflicts = conflicts_file.read_text() if conflicts_file.exists() else ""
    assert describe(conflicts, out) == expected_conflicts
    assert "".join(notes) == (notes_file.read_text() if notes_file.exists() else "")
    for rel, content in produced.items():
        assert content == (case / "expected" / rel).read_text(), rel


@pytest.mark.parametrize("name", NAMES)
def test_every_hand_written_line_survives_in_order(name: str, tmp_path: Path) -> None:
    case = CASES / name
    before = {
        f.path.name: set(f.content.splitlines())
        for f in fresh(case, "before", tmp_path)
    }
    after = {f.path.name: f.content for f in fresh(case, "after", tmp_path)}
    produced, conflicts, _ = regenerate(case, tmp_path / "models")
    for path in sorted((case / "disk").glob("*.py")):
        text = path.read_text()
        # lines of statements modelgen wrote (renamed or edited ones too)
        old, _, _ = read_both(path, text, after[path.name])
        offset = text.count("\n", 0, len(text) - len(split_header(text)[1]))
        owned = set()
        for node, item in old.owned():
            if item.kind != "class":
                end = node.end_lineno or node.lineno
                owned |= set(range(offset + node.lineno, offset + end + 1))
        hand = [
            line
            for number, line in enumerate(text.splitlines(), start=1)
            if number not in owned and line.strip() and line not in before[path.name]
        ]
        assert hand or conflicts, f"{name}: the case holds no hand code, no edit"
        lines = iter(produced[path.name].splitlines())
        for line in hand:  # a subsequence: same lines, same order
            assert any(line == candidate for candidate in lines), line


@pytest.mark.parametrize("name", NAMES)
def test_a_second_run_changes_no_byte(name: str, tmp_path: Path) -> None:
    case = CASES / name
    out = tmp_path / "models"
    _, conflicts, files = regenerate(case, out)
    write_files(files, force=bool(conflicts))
    written = {p.name: p.read_bytes() for p in out.glob("*.py")}
    files, more = merge_with_disk(fresh(case, "after", out))
    assert more == []
    assert write_files(files).written == ()
    assert {p.name: p.read_bytes() for p in out.glob("*.py")} == written
