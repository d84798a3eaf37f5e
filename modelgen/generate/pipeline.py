"""The generate pipeline as one function: Schema + Config -> GeneratedFile[].

generate, check, verify and the tests are small consumers of ``generate_files``.
"""

from __future__ import annotations

import ast
import importlib.util
import os
from dataclasses import dataclass, replace
from pathlib import Path

from modelgen.catalog.schema import Schema
from modelgen.config import Config
from modelgen.errors import ConfigError, DatabaseError
from modelgen.generate.build import PackagePlan, build_plan, select_specs
from modelgen.generate.closure import complete_selection, unassigned_tables
from modelgen.generate.format import black_format, format_source
from modelgen.generate.output import (
    HASH_PREFIX,
    GeneratedFile,
    content_hash,
    split_header,
)
from modelgen.generate.plan import FilePlan
from modelgen.generate.render import make_environment, render_file, render_header
from modelgen.source.existing import ExistingModel, scan_models
from modelgen.source.ownership import owned_hash
from modelgen.source.planhash import plan_hash


@dataclass(frozen=True)
class Generation:
    files: tuple[GeneratedFile, ...]
    plan: PackagePlan
    out_dir: Path
    existing: tuple[ExistingModel, ...] = ()  # the scan of the models folder


def load_schema(config: Config, url: str | None, snapshot: Path | None) -> Schema:
    """From --snapshot, else --url, else the environment variable the config names,
    else (``flask modelgen``) the Flask app's database URL."""
    if url and snapshot:
        raise ConfigError("give --url or --snapshot, not both")
    if snapshot is not None:
        from modelgen.catalog.snapshot import load_snapshot

        schema = load_snapshot(snapshot)
        if config.schemas:
            keep = set(config.schemas)
            schema = replace(
                schema,
                tables=tuple(t for t in schema.tables if t.schema in keep),
                others=tuple(r for r in schema.others if r.schema in keep),
            )
        return schema
    url = url or os.environ.get(config.url_env) or config.fallback_url
    if not url:
        raise DatabaseError(
            f"no database: pass --url or --snapshot, or set {config.url_env}"
        )
    from modelgen.catalog.reflect import reflect_url

    return reflect_url(url, config.schemas or None)


def output_dir(config: Config, out: Path | None) -> Path:
    """``--out`` as given, else the config's ``output``, which must stay inside the
    config file's folder: a config arrives in pull requests and CI runs it, so it
    must not be able to aim writes at ``/etc`` or a sibling checkout. A folder
    outside the project is written only when the command line names it (--out)."""
    if out is not None:
        return out.resolve()
    if config.output is None:
        raise ConfigError(
            f"{config.label}: no output folder: pass --out DIR or set 'output' in the config"
        )
    output = config.output.resolve()
    root = config.root.resolve()
    if not output.is_relative_to(root):
        key = (
            "tool.modelgen.generate.output"
            if config.path is not None and config.path.name == "pyproject.toml"
            else "output"
        )
        raise ConfigError(
            f"{config.label}: key '{key}': {output} is outside the config file's folder "
            f"{root}; move it inside, or pass --out DIR to write there on purpose"
        )
    return output


def regenerate_command(config: Config, groups: list[str]) -> str:
    """The command a generated file's header tells the reader to run."""
    parts = ["modelgen generate"]
    if config.path is not None:
        parts.append(f"--config {config.path.name}")
        parts += [f"--group {g}" for g in groups]
    else:
        parts.append(f"--url ${config.url_env} --out DIR")
        parts += bootstrap_layout_options(config)
    return " ".join(parts)


def bootstrap_layout_options(config: Config) -> list[str]:
    """The options that choose a bootstrap's files: without them the same command
    writes other modules (one per schema, no views) and leaves these stale."""
    options = ["--views"] if config.views else []
    if config.split:
        options.append(f"--split {config.split}")
    return options


def _module_file(base: Path, dotted: str) -> bool:
    path = base.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def check_db_import(config: Config, out_dir: Path) -> None:
    """Refuse (before anything is written) a ``db_import`` no module answers to: the
    generated files would import it and fail at the app's start-up.

    Looked for, without importing anything: relative to the output package for
    ``.extensions``; else under ``app_path`` (default: the config's folder) or as an
    installed top-level package.
    """
    if config.bootstrap:
        return  # bootstrap writes its own extensions.py
    name = config.db_import
    if name.startswith("."):  # config allows one dot: a module of the output package
        base = out_dir.resolve()
        found = _module_file(base, name[1:])
        where = f"relative to {base}"
    else:
        base = (config.app_path or config.root).resolve()
        top = name.split(".")[0]
        found = _module_file(base, name) or (
            not (base / top).exists() and importlib.util.find_spec(top) is not None
        )
        where = f"under {base}"
    if not found:
        key = (
            "tool.modelgen.db_import"
            if config.label.endswith("pyproject.toml")
            else "db_import"
        )
        raise ConfigError(
            f"{config.label}: key '{key}': no module {name!r} {where}; the generated "
            "files import `db` from it (nothing was written)"
        )


def generate_files(
    schema: Schema,
    config: Config,
    groups: list[str] | None = None,
    all_groups: bool = False,
    out: Path | None = None,
    hashes: bool = True,
) -> Generation:
    """The files a run would write (nothing is written).

    ``hashes=False`` leaves the owned-statement hash out of the headers (verify's
    throw-away package: nobody reads them back, and the hash re-parses the body).
    """
    groups = list(groups or [])
    out_dir = output_dir(config, out)
    selected = select_specs(config, schema, groups, all_groups)
    existing = () if config.bootstrap else scan_models(config.models)
    selected, also_wrote = complete_selection(schema, config, selected, existing)
    env = make_environment(config.templates)
    files: list[GeneratedFile] = []
    plan = build_plan(schema, config, selected, out_dir, existing)
    plan = replace(plan, also_wrote=tuple(also_wrote))
    for file_plan in plan.files:
        groups_of_file = [] if config.bootstrap else [file_plan.group or ""]
        file_plan = replace(
            file_plan, regenerate=regenerate_command(config, groups_of_file)
        )
        source = render_file(env, file_plan)
        label = str(file_plan.path)
        # user templates may emit any shape: Black itself formats them (slower)
        body = (
            black_format(source, label)
            if config.templates
            else format_source(source, label)
        )
        # built-in templates: the plan's statements are the file's statements
        planned = None if config.templates else file_plan
        digest = header_hash(file_plan.path, body, planned) if hashes else "-"
        header = render_header(env, file_plan, f"{HASH_PREFIX}{digest}")
        files.append(GeneratedFile(file_plan.path, header + body, file_plan.tables))
    for path, content in plan.extras:  # one statement a line, as the models: no Black
        formatted = format_source(content, str(path))  # import unless a line is long
        files.append(GeneratedFile(path, formatted, overwrite_if_present=False))
    return Generation(tuple(files), plan, out_dir, tuple(existing))


def unassigned(
    generation: Generation, schema: Schema, config: Config
) -> tuple[str, ...]:
    """Production tables with no model that no group names (check reports them).
    Without a models folder the models are the output package's, as drift reads."""
    known = generation.existing if config.models else scan_models(config.output)
    return unassigned_tables(schema, config, known)


def header_hash(path: Path, body: str, plan: FilePlan | None = None) -> str:
    """The owned-statement hash for a file whose new body is ``body``, rendered by
    the built-in templates from ``plan`` (None: by a user's templates).

    When the file on disk already has exactly this body under a header in the
    current format, its recorded hash is the hash of this body and is reused:
    regenerating an up-to-date package (``check``, the pre-commit hook, a
    rerun) then reads nothing more. Otherwise it is computed from the plan's
    statements (planhash.plan_hash: a first bootstrap, a changed file), and
    only a user's templates make it parse the body (ownership.owned_hash),
    which at 5,000 tables in one module is seconds and most of the run's memory.
    """
    try:
        current = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        current = ""
    recorded, old_body = split_header(current)
    if (
        recorded is not None
        and old_body == body
        and recorded != content_hash(body)  # format 1 header: hash it anew
    ):
        return recorded
    planned = None if plan is None else plan_hash(plan)
    return owned_hash(body) if planned is None else planned


def _imported_modules(init: Path) -> set[str]:
    """Last components of the modules an ``__init__.py`` imports (parsed, never run)."""
    try:
        tree = ast.parse(init.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.module:
                found.add(node.module.rsplit(".", 1)[-1])
            else:  # from . import payments
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name.rsplit(".", 1)[-1] for alias in node.names)
    return found


def missing_import_lines(generation: Generation) -> list[str]:
    """The import lines the package's ``__init__.py`` (never edited by modelgen) still
    lacks: one per generated module it does not import yet."""
    present = _imported_modules(generation.out_dir / "__init__.py")
    plan = generation.plan
    return [
        line
        for file_plan, line in zip(plan.files, plan.import_lines, strict=True)
        if file_plan.module not in present
    ]
