from pathlib import Path

import pytest

from modelgen.errors import RefusedError
from modelgen.generate.output import (
    HASH_PREFIX,
    GeneratedFile,
    compare_files,
    content_hash,
    hand_edited,
    write_files,
)
from modelgen.generate.plan import FilePlan


def generated(body: str) -> str:
    return f"# header\n{HASH_PREFIX}{content_hash(body)}\n{body}"


def test_hash_detects_a_hand_edit() -> None:
    text = generated("x = 1\n")
    assert not hand_edited(text)
    assert hand_edited(text + "y = 2\n")


def test_write_refuses_hand_edits_and_hand_written_files_and_writes_nothing(
    tmp_path: Path,
) -> None:
    edited = tmp_path / "a.py"
    edited.write_text(generated("x = 1\n") + "# mine\n")
    fresh = tmp_path / "b.py"
    files = [
        GeneratedFile(edited, generated("x = 2\n")),
        GeneratedFile(fresh, generated("y = 1\n")),
    ]
    with pytest.raises(RefusedError) as info:
        write_files(files)
    assert "a.py" in str(info.value) and info.value.exit_code == 1
    assert edited.read_text().endswith("# mine\n")
    assert not fresh.exists()  # nothing at all was written

    handwritten = tmp_path / "c.py"
    handwritten.write_text("class User: ...\n")
    with pytest.raises(RefusedError):
        write_files([GeneratedFile(handwritten, generated("z = 1\n"))])
    assert handwritten.read_text() == "class User: ...\n"


def test_force_keeps_a_backup(tmp_path: Path) -> None:
    edited = tmp_path / "a.py"
    edited.write_text(generated("x = 1\n") + "# mine\n")
    result = write_files([GeneratedFile(edited, generated("x = 2\n"))], force=True)
    assert edited.read_text() == generated("x = 2\n")
    assert result.backups == (tmp_path / "a.py.bak",)
    assert (tmp_path / "a.py.bak").read_text().endswith("# mine\n")


def test_unchanged_files_are_not_rewritten_and_leave_no_temp_files(
    tmp_path: Path,
) -> None:
    path = tmp_path / "a.py"
    content = generated("x = 1\n")
    write_files([GeneratedFile(path, content)])
    mtime = path.stat().st_mtime_ns
    result = write_files([GeneratedFile(path, content)])
    assert result.unchanged == (path,) and path.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py"]


def test_compare_reports_missing_and_changed(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(generated("x = 1\n"))
    diffs = compare_files(
        [
            GeneratedFile(tmp_path / "a.py", generated("x = 2\n")),
            GeneratedFile(tmp_path / "b.py", generated("y = 1\n")),
        ],
        tmp_path,
    )
    assert [d.status for d in diffs] == ["changed", "missing"]
    assert "+x = 2" in diffs[0].diff and "-x = 1" in diffs[0].diff


def test_check_labels_a_file_generate_merges_without_force_out_of_date(
    tmp_path: Path,
) -> None:
    """`drift --fix` on a generated file makes its owned statements production's
    again but leaves the header's hash behind. `generate` merges such a file with
    no conflict and writes it without --force (only the hash line changes), yet
    `check` called it "edited by hand" and asked for --force: the label now
    follows the merge, as `generate`'s refusal does."""
    path = tmp_path / "a.py"
    path.write_text(generated("x = 1\n").replace("x = 1", "x = 2"))  # stale hash
    fresh = generated("x = 2\n")
    [plain] = compare_files([GeneratedFile(path, fresh)], tmp_path)
    assert plain.state == "hand-edited"
    [merged] = compare_files([GeneratedFile(path, fresh, merged=True)], tmp_path)
    assert merged.state == "generated"  # "out of date": generate writes it as is
    write_files([GeneratedFile(path, fresh, merged=True)])  # no --force needed
    assert path.read_text() == fresh


def test_regenerating_an_up_to_date_package_does_not_rehash_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`check` and reruns on an unchanged package reuse the recorded hash (no
    re-parse of a 2,000-table module); a changed body is hashed anew (from its
    plan, never by parsing it), and a tampered hash line still makes the file
    count as hand-edited."""
    from dataclasses import replace

    from modelgen.catalog.snapshot import load_snapshot
    from modelgen.config import load_config
    from modelgen.generate import pipeline
    from modelgen.source.ownership import owned_hash
    from modelgen.source.planhash import plan_hash

    schema = load_snapshot(
        Path(__file__).parents[2] / "fixtures" / "production" / "schema.json"
    )
    config = replace(load_config(None, tmp_path), split=10)
    first = pipeline.generate_files(schema, config, out=tmp_path / "models")
    write_files(list(first.files))
    hashed: list[int] = []
    parsed: list[int] = []

    def counting(plan: FilePlan) -> str:
        hashed.append(len(plan.tables))
        return plan_hash(plan)

    def parsing(body: str) -> str:
        parsed.append(len(body))
        return owned_hash(body)

    monkeypatch.setattr(pipeline, "plan_hash", counting)
    monkeypatch.setattr(pipeline, "owned_hash", parsing)
    again = pipeline.generate_files(schema, config, out=tmp_path / "models")
    assert [f.content for f in again.files] == [f.content for f in first.files]
    assert hashed == []
    assert all(c.status == "unchanged" for c in compare_files(list(again.files)))

    # one module edited below its header: only that module is hashed again,
    # and the hash written for it is the real one
    module = next(f.path for f in first.files if f.tables)
    module.write_text(module.read_text() + "\n\ndef helper():\n    return 1\n")
    third = pipeline.generate_files(schema, config, out=tmp_path / "models")
    assert len(hashed) == 1 and parsed == []
    fresh = next(f for f in third.files if f.path == module)
    assert not hand_edited(fresh.content)

    # a hash line changed by hand is trusted while the body is current (the
    # file says nothing production does not); it is only a conflict once the
    # body must change, and then nothing is overwritten without --force
    original = next(f for f in first.files if f.path == module).content
    tampered = original.replace(HASH_PREFIX, HASH_PREFIX + "0", 1)
    module.write_text(tampered)
    assert hand_edited(tampered)
    fourth = pipeline.generate_files(schema, config, out=tmp_path / "models")
    assert next(f for f in fourth.files if f.path == module).content == tampered
    module.write_text(tampered + "\nx = db.Column(db.Integer)\n")
    with pytest.raises(RefusedError):
        write_files(list(first.files))
