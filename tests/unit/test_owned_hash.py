"""owned_hash is recorded in every generated file's header: its faster
implementation (garbage collector off while parsing, each distinct statement's
canonical text computed once) must give exactly the value of the plain
definition kept here as the reference, on every file the tests know of, on
random schemas, and on hand-edited bodies of every odd shape."""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

import pytest
from conftest import FIXTURES
from helpers.randschema import random_schema

from modelgen.config import Config
from modelgen.generate.output import split_header
from modelgen.generate.pipeline import generate_files
from modelgen.source.ownership import items_hash, owned_hash, owned_items


def reference_hash(body: str) -> str:
    """owned_hash as first written (the definition of the recorded value)."""
    try:
        tree = ast.parse(body)
    except (SyntaxError, ValueError):
        return hashlib.sha256(body.encode("utf-8")).hexdigest()
    return items_hash(owned_items(tree))


def _bodies_on_disk() -> list[Path]:
    return sorted(p for p in FIXTURES.rglob("*.py") if p.is_file())


@pytest.mark.parametrize(
    "path", _bodies_on_disk(), ids=lambda p: str(p.relative_to(FIXTURES))
)
def test_equal_on_every_fixture_file(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    recorded, body = split_header(text)
    assert owned_hash(body) == reference_hash(body)
    assert owned_hash(text) == reference_hash(text)


def _generated(seed: int, tmp_path: Path) -> list[str]:
    style = "typed" if seed % 2 else "classic"
    result = generate_files(
        random_schema(seed, tables=12),
        Config(path=None, root=tmp_path, style=style),
        out=tmp_path / "m",
    )
    return [split_header(f.content)[1] for f in result.files]


@pytest.mark.parametrize("seed", range(30))
def test_equal_on_random_schemas(seed: int, tmp_path: Path) -> None:
    for body in _generated(seed, tmp_path):
        assert owned_hash(body) == reference_hash(body)


def _edits(body: str) -> list[str]:
    """Hand edits of the shapes a team makes, and some no team should."""
    lines = body.split("\n")
    classes = [i for i, line in enumerate(lines) if line.startswith("class ")]
    members = [
        i for i, line in enumerate(lines) if line.startswith("    ") and " = " in line
    ]
    out = [body, body.replace("\n", "\r\n"), body + "\nx = 1\n", body[: len(body) // 2]]
    if members:
        i = members[len(members) // 2]
        edited = list(lines)
        edited[i] = edited[i].replace(" = ", " = ", 1) + "  # a note"
        out.append("\n".join(edited))
        edited = list(lines)
        # two statements on one line, the second one owned
        edited[i] = edited[i] + "; extra = db.Column(db.Integer)"
        out.append("\n".join(edited))
        edited = list(lines)
        edited.insert(i, edited[i])  # the same statement twice in a class
        out.append("\n".join(edited))
        edited = list(lines)
        edited[i] = edited[i].replace("db.", "db .", 1)
        out.append("\n".join(edited))
        edited = list(lines)
        edited[i] = "    ñame = db.Column(db.Text)  # é"
        out.append("\n".join(edited))
    if classes:
        i = classes[-1]
        edited = list(lines)
        edited[i + 1 : i + 1] = [
            '    """Doc',
            "id = db.Column(db.Integer, primary_key=True)",
            '"""',
            "    if True: x = db.Column(db.Integer)",
            "    \f",
            "    y = db.Column(db.Integer) ; z = db.Column(db.Text)",
        ]
        out.append("\n".join(edited))
        out.append("\n".join(lines[: i + 1] + ["    pass"] + lines[i + 1 :]))
        # classes swapped: the same members under other tables
        out.append("\n".join(lines[i:] + lines[:i]))
    out.append(body.replace("\n", "\r"))
    out.append("\ufeff" + body)
    return out


@pytest.mark.parametrize("seed", range(12))
def test_equal_on_hand_edited_bodies(seed: int, tmp_path: Path) -> None:
    for body in _generated(seed, tmp_path):
        for edited in _edits(body):
            assert owned_hash(edited) == reference_hash(edited)


def test_equal_on_golden_cases_edited() -> None:
    for path in _bodies_on_disk():
        body = split_header(path.read_text(encoding="utf-8"))[1]
        for edited in _edits(body):
            assert owned_hash(edited) == reference_hash(edited), path


def test_a_repeated_statement_is_canonicalised_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The reuse is real: the same column in many classes costs one member_item."""
    from modelgen.source import ownership

    classes = "\n\n".join(
        f'class T{i}(db.Model):\n    __tablename__ = "t{i}"\n\n'
        "    id = db.Column(db.Integer, primary_key=True)\n"
        "    name = db.Column(db.Text, nullable=False)\n"
        for i in range(50)
    )
    body = "from .extensions import db\n\n\n" + classes
    calls = 0
    real = ownership.member_item

    def counting(*args: object) -> object:
        nonlocal calls
        calls += 1
        return real(*args)  # type: ignore[arg-type]

    expected = reference_hash(body)
    monkeypatch.setattr(ownership, "member_item", counting)
    assert owned_hash(body) == expected
    assert calls == 52  # 50 distinct __tablename__, one id, one name
