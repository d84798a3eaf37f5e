"""Generated models type-check: the typed style under `mypy --strict` and pyright
(basic), the classic style under plain `mypy`, with no error (docs/typing.md).

One project folder holds every package checked: the golden cases, a bootstrap of the
fixture and of every corpus schema (../shared/corpus, skipped where absent), the
fixture generated for each Flask-SQLAlchemy 3.1 set-up (`db = SQLAlchemy()`, and
`SQLAlchemy(model_class=Base)` with a DeclarativeBase, DeclarativeBaseNoMeta or
MappedAsDataclass subclass named by the config's `base`), a file regenerated with
hand code in it, and a generated file after `drift --fix`.  mypy runs once per
style over all of them, with a cache folder; pyright once.  pyright comes from
npm: $MODELGEN_PYRIGHT, `pyright` on PATH, or ~/.cache/modelgen-pyright (what
.ci/run installs); the pyright test skips, saying why, where it is absent.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import CORPUS, FIXTURES

from modelgen.catalog.reflect import reflect_url
from modelgen.catalog.schema import Schema
from modelgen.catalog.snapshot import load_snapshot
from modelgen.config import Config, load_config
from modelgen.drift.engine import compute_drift
from modelgen.drift.models import load_models
from modelgen.generate.build import bootstrap_specs
from modelgen.generate.output import split_header, write_files
from modelgen.generate.pipeline import generate_files
from modelgen.source.fix import plan_fixes, write_fixes
from modelgen.source.merge import merge_with_disk
from modelgen.source.ownership import owned_hash

CORPUS_NAMES = (
    sorted(p.name for p in CORPUS.iterdir() if (p / "schema.sql").is_file())
    if CORPUS.is_dir()
    else []
)
SNAPSHOT = FIXTURES / "production" / "schema.json"
CACHE = Path.home() / ".cache" / "modelgen-pyright"

# The Flask-SQLAlchemy 3.1 set-ups: package -> (extensions.py, the config's base)
SETUPS = {
    "setup_default": ("db = SQLAlchemy()\n", None),
    "setup_declarative": (
        """
        class Base(DeclarativeBase):
            pass


        db = SQLAlchemy(model_class=Base)
        """,
        "setup_declarative.extensions:Base",
    ),
    "setup_nometa": (
        """
        class Base(DeclarativeBaseNoMeta):
            pass


        db = SQLAlchemy(model_class=Base)
        """,
        "setup_nometa.extensions:Base",
    ),
    "setup_dataclass": (
        """
        class Base(MappedAsDataclass, DeclarativeBase):
            pass


        db = SQLAlchemy(model_class=Base)
        """,
        "setup_dataclass.extensions:Base",
    ),
}
EXTENSIONS_HEAD = (
    "from flask_sqlalchemy import SQLAlchemy\n"
    "from sqlalchemy.orm import DeclarativeBase, DeclarativeBaseNoMeta, "
    "MappedAsDataclass\n\n"
)


def _package(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "__init__.py").touch()
    return folder


def _generate(schema: Schema, config: Config, out: Path) -> list[Path]:
    result = generate_files(schema, config, [], not config.bootstrap, out=out)
    write_files(list(result.files))
    return [f.path for f in result.files if f.path.name != "__init__.py"]


def _bootstrap(schema: Schema, style: str, out: Path) -> list[Path]:
    return _generate(schema, Config(path=None, root=out, style=style), out)


# Code a team writes against the generated models, the same in every set-up: the
# constructor takes the columns the database does not fill (all a MappedAsDataclass
# __init__ requires), and attributes read back with their Python types.
USAGE = """
import decimal
from typing import Any, Literal

from .models.public import Invoice, Payment


def new_payment(invoice: Invoice) -> Payment:
    payment = Payment(
        contract_id=None,
        invoice_id=invoice.id,
        payer_id=1,
        payee_id=None,
        amount=decimal.Decimal("9.50"),
        payment_method=None,
        stripe_payment_intent_id=None,
        stripe_charge_id=None,
        failure_reason=None,
        paid_at=None,
        updated_at=None,
    )
    amount: decimal.Decimal = payment.amount
    status: Literal[
        "pending", "processing", "succeeded", "failed", "refunded", "cancelled"
    ] = payment.status
    metadata: dict[str, Any] = payment.metadata_
    found: Invoice | None = payment.invoice
    print(amount, status, metadata, found)
    return payment
"""


def _setup(schema: Schema, root: Path, package: str) -> list[Path]:
    """The fixture's tables as one module per table, in an app of the given set-up."""
    extensions, base = SETUPS[package]
    folder = _package(root / package)
    (folder / "extensions.py").write_text(
        EXTENSIONS_HEAD + textwrap.dedent(extensions).lstrip("\n")
    )
    scan = Config(path=None, root=root, style="typed")
    config = Config(
        path=root / f"{package}.toml",
        root=root,
        output=folder / "models",
        db_import=f"{package}.extensions",
        style="typed",
        base=base,
        files=tuple(bootstrap_specs(scan, schema)),
    )
    _package(folder / "models")
    (folder / "usage.py").write_text(USAGE.lstrip("\n"))
    return [folder / "usage.py", *_generate(schema, config, folder / "models")]


def _golden_typed(root: Path) -> list[Path]:
    """The enterprise_typed golden case, beside the fixture app's hand-written models
    its TYPE_CHECKING imports name."""
    shutil.copytree(FIXTURES / "app", root / "app")
    config = load_config(FIXTURES / "cases" / "enterprise_typed" / "modelgen.toml")
    out = root / "app" / "models"
    result = generate_files(
        load_snapshot(SNAPSHOT), config, ["enterprise"], False, out=out
    )
    write_files(list(result.files))
    return [f.path for f in result.files]


def _old_format(text: str) -> str:
    """The living typed file as modelgen wrote it before the Model block: classes
    on db.Model, db.mapped_column and db.relationship; its header hash made anew."""
    start = text.index("if TYPE_CHECKING:")
    end = text.index("    Model = db.Model\n") + len("    Model = db.Model\n\n")
    body = (
        (text[:start] + text[end:])
        .replace("(Model):", "(db.Model):")
        .replace("= mapped_column(", "= db.mapped_column(")
        .replace("= relationship(", "= db.relationship(")
        .replace("TYPE_CHECKING, Any", "Any")
        .replace("Mapped, mapped_column, relationship, validates", "Mapped, validates")
    )
    recorded, rest = split_header(body)
    assert recorded is not None
    return body.replace(recorded, owned_hash(rest), 1)


def _regenerated_with_hand_code(root: Path) -> list[Path]:
    """fixtures/living/typed: the file as the team left it, regenerated; and the same
    file as an earlier modelgen wrote it (db.Model, db.mapped_column), regenerated."""
    case = FIXTURES / "living" / "typed"
    out = _package(root / "living")
    disk = (case / "disk" / "shop.py").read_text()
    (out / "shop.py").write_text(disk)
    (out / "old_shop.py").write_text(_old_format(disk))
    config = load_config(case / "modelgen.toml")
    after = load_snapshot(FIXTURES / "living" / "hand_code" / "after.json")
    fresh = generate_files(after, config, [], True, out=out).files
    old = [replace(f, path=out / "old_shop.py") for f in fresh]
    files, conflicts = merge_with_disk([*fresh, *old])
    assert conflicts == []
    write_files(files)
    upgraded = (out / "old_shop.py").read_text()
    assert "(db.Model):" not in upgraded and "    Model = db.Model\n" in upgraded
    assert "lower_email" in upgraded and "db.mapped_column" not in upgraded
    return [out / "shop.py", out / "old_shop.py"]


def _fixed_by_drift(root: Path) -> list[Path]:
    """The same file after `drift --fix` against production's next state (added
    columns, a changed enum and length, a dropped column)."""
    project = root / "fixed"
    models = _package(_package(project / "fixedapp") / "models")
    (project / "fixedapp" / "extensions.py").write_text(
        "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n"
    )
    disk = (FIXTURES / "living" / "typed" / "disk" / "shop.py").read_text()
    (models / "shop.py").write_text(
        disk.replace("from app.extensions import", "from fixedapp.extensions import")
    )
    (project / "modelgen.toml").write_text(
        'output = "fixedapp/models"\nmodels = "fixedapp/models"\n'
        'db_import = "fixedapp.extensions"\nstyle = "typed"\n'
    )
    config = load_config(project / "modelgen.toml")
    after = load_snapshot(FIXTURES / "living" / "hand_code" / "after.json")
    report = compute_drift(after, config, load_models(config))
    result = plan_fixes(report, after, unsafe=True)
    assert result.files, "drift --fix changed nothing: the check would prove nothing"
    write_fixes(result)
    text = (models / "shop.py").read_text()
    assert "phone: Mapped[str | None] = mapped_column(" in text  # what --fix added
    return [models / "shop.py"]


@pytest.fixture(scope="module")
def checked(
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> tuple[Path, list[Path], list[Path]]:
    """(project root, typed files, classic files)."""
    root = tmp_path_factory.mktemp("typecheck")
    fixture = load_snapshot(SNAPSHOT)
    typed = _golden_typed(root)
    typed += _bootstrap(fixture, "typed", _package(root / "fixture_typed"))
    classic = _bootstrap(fixture, "classic", _package(root / "fixture_classic"))
    for package in SETUPS:
        typed += _setup(fixture, root, package)
    typed += _regenerated_with_hand_code(root)
    typed += _fixed_by_drift(root)
    if CORPUS_NAMES:
        corpus_db: Callable[[str], str] = request.getfixturevalue("corpus_db")
        for name in CORPUS_NAMES:
            schema = reflect_url(corpus_db(name))
            module = name.replace("-", "_")
            typed += _bootstrap(schema, "typed", _package(root / f"{module}_typed"))
            classic += _bootstrap(
                schema, "classic", _package(root / f"{module}_classic")
            )
    return root, typed, classic


def _mypy(root: Path, files: list[Path], *flags: str) -> subprocess.CompletedProcess:
    cache = Path(os.environ.get("MODELGEN_MYPY_CACHE", root / ".mypy_cache"))
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            *flags,
            # the fixture app's hand-written models are the team's, not checked here
            "--follow-imports=silent",
            "--no-error-summary",
            "--cache-dir",
            str(cache),
            *(str(f.relative_to(root)) for f in files),
        ],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "MYPYPATH": str(root)},
        timeout=900,
    )


def test_typed_models_pass_mypy_strict(
    checked: tuple[Path, list[Path], list[Path]],
) -> None:
    root, typed, _ = checked
    proc = _mypy(root, typed, "--strict")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not CORPUS_NAMES or any("pagila" in str(f) for f in typed)


def test_classic_models_pass_mypy(
    checked: tuple[Path, list[Path], list[Path]],
) -> None:
    root, _, classic = checked
    proc = _mypy(root, classic)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_type_error_in_a_generated_file_is_caught(
    checked: tuple[Path, list[Path], list[Path]],
) -> None:
    """The checks above can fail: a wrong annotation in one generated file is found."""
    root, typed, _ = checked
    broken = root / "broken"
    shutil.copytree(root / "setup_declarative", broken)
    source = broken / "models" / "public.py"
    text = source.read_text().replace("setup_declarative.", "broken.")
    source.write_text(text + "\n\nWRONG: int = Payment().amount\n")
    proc = _mypy(root, [source], "--strict")
    assert proc.returncode == 1 and "public.py" in proc.stdout, proc.stdout


def test_a_dataclass_constructor_takes_what_the_database_does_not_fill(
    checked: tuple[Path, list[Path], list[Path]],
) -> None:
    """With a MappedAsDataclass base, a column the database fills (identity,
    server default) is no __init__ argument (init=False), and every other column is
    a required one: leaving out `amount` (NOT NULL, no default) is a type error."""
    root, _, _ = checked
    text = (root / "setup_dataclass" / "models" / "public.py").read_text()
    assert (
        "id: Mapped[int] = mapped_column(db.Integer, primary_key=True, init=False)"
        in text
    )
    assert (
        "init=False"
        not in (root / "setup_declarative" / "models" / "public.py").read_text()
    )
    broken = root / "setup_dataclass" / "missing.py"
    broken.write_text(
        USAGE.lstrip("\n").replace('        amount=decimal.Decimal("9.50"),\n', "")
    )
    try:
        proc = _mypy(root, [broken], "--strict")
    finally:
        broken.unlink()
    assert (
        proc.returncode == 1 and 'argument "amount" in call to "Payment"' in proc.stdout
    ), proc.stdout


def _pyright() -> list[str] | None:
    found = os.environ.get("MODELGEN_PYRIGHT") or shutil.which("pyright")
    if found is None and (CACHE / "node_modules" / ".bin" / "pyright").exists():
        found = str(CACHE / "node_modules" / ".bin" / "pyright")
    return [found] if found else None


def test_typed_models_pass_pyright(
    checked: tuple[Path, list[Path], list[Path]],
) -> None:
    command = _pyright()
    if command is None:
        why = "Node.js is absent" if shutil.which("node") is None else "not installed"
        pytest.skip(
            f"pyright {why} (it comes from npm: `npm install --prefix {CACHE} pyright`, "
            "or set MODELGEN_PYRIGHT)"
        )
    root, typed, _ = checked
    config = {
        "typeCheckingMode": "basic",
        "pythonVersion": "3.11",
        "extraPaths": [str(root)],
    }
    (root / "pyrightconfig.json").write_text(json.dumps(config))
    proc = subprocess.run(
        [
            *command,
            "--pythonpath",
            sys.executable,
            "--outputjson",
            *(str(f.relative_to(root)) for f in typed),
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=900,
    )
    report = json.loads(proc.stdout)
    errors = [
        f"{d['file']}:{d['range']['start']['line'] + 1}: {d['message']}"
        for d in report["generalDiagnostics"]
        if d["severity"] == "error"
    ]
    assert errors == [], "\n".join(errors[:50])
    assert report["summary"]["filesAnalyzed"] >= len(typed)
