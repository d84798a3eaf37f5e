"""The generate pipeline as one function: Schema + Config -> GeneratedFile[].

generate, check, verify and the tests are small consumers of ``generate_files``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from modelgen.catalog.schema import Schema
from modelgen.config import Config
from modelgen.errors import ConfigError, DatabaseError
from modelgen.generate.build import PackagePlan, build_plan, select_specs
from modelgen.generate.existing import scan_models
from modelgen.generate.format import black_format, format_source
from modelgen.generate.output import HASH_PREFIX, GeneratedFile, content_hash
from modelgen.generate.render import make_environment, render_file, render_header


@dataclass(frozen=True)
class Generation:
    files: tuple[GeneratedFile, ...]
    plan: PackagePlan
    out_dir: Path


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
    return " ".join(parts)


def generate_files(
    schema: Schema,
    config: Config,
    groups: list[str] | None = None,
    all_groups: bool = False,
    out: Path | None = None,
) -> Generation:
    groups = list(groups or [])
    out_dir = output_dir(config, out)
    selected = select_specs(config, schema, groups, all_groups)
    existing = () if config.bootstrap else scan_models(config.models)
    env = make_environment(config.templates)
    files: list[GeneratedFile] = []
    plan = build_plan(schema, config, selected, out_dir, existing)
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
        header = render_header(env, file_plan, f"{HASH_PREFIX}{content_hash(body)}")
        files.append(GeneratedFile(file_plan.path, header + body, file_plan.tables))
    for path, content in plan.extras:  # small: Black itself formats them
        formatted = black_format(content, str(path))
        files.append(GeneratedFile(path, formatted, overwrite_if_present=False))
    return Generation(tuple(files), plan, out_dir)
