"""Jinja environment (StrictUndefined) over the built-in templates and a user override folder."""

from __future__ import annotations

from pathlib import Path

import jinja2

from modelgen.errors import ConfigError, RenderError
from modelgen.generate.build import FilePlan

BUILTIN_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def make_environment(override: Path | None = None) -> jinja2.Environment:
    """User templates first (file by file), then the built-in ones."""
    loaders: list[jinja2.BaseLoader] = []
    if override is not None:
        if not override.is_dir():
            raise ConfigError(f"templates folder {override} does not exist")
        loaders.append(jinja2.FileSystemLoader(str(override)))
    loaders.append(jinja2.FileSystemLoader(str(BUILTIN_TEMPLATES)))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render_template(env: jinja2.Environment, name: str, **context: object) -> str:
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateError as exc:
        where = getattr(exc, "filename", None) or name
        line = getattr(exc, "lineno", None)
        at = f":{line}" if line else ""
        raise RenderError(f"template {where}{at}: {exc.message or exc}") from None


def render_file(env: jinja2.Environment, plan: FilePlan) -> str:
    return render_template(env, "model_file.py.j2", file=plan)


HEADER_WIDTH = 88  # Black's line length


def render_header(env: jinja2.Environment, plan: FilePlan, hash_line: str) -> str:
    from modelgen.generate.literals import lit

    names = [lit(t)[1:-1] for t in plan.tables]
    tables = ", ".join(names)
    # a list that does not fit one line gets a line per table: readable, and a
    # table added or removed is a one-line change in review
    fits = len("# Tables: ") + len(tables) <= HEADER_WIDTH
    return render_template(
        env,
        "header.py.j2",
        tables=tables,
        table_lines=() if fits else names,
        regenerate=plan.regenerate,
        hash_line=hash_line,
    )
