"""``flask modelgen ...``: the same Typer commands, run inside a Flask app.

Registered through the ``flask.commands`` entry point (as Flask-Migrate registers
``flask db``); Flask imports this module for every ``flask`` command, so it
imports only click until the command runs.  The command line is handed whole to
``modelgen.cli.main.run``: same options, same exit codes.  What the app knows
fills what the command line and the config leave out: the database URL
(``SQLALCHEMY_DATABASE_URI``, or ``SQLALCHEMY_BINDS[bind]``) and, for a config
without ``db_import`` / ``models``, the SQLAlchemy instance's module and the
package of the models defined on it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

_URL_OPTIONS = ("--url", "--snapshot")
_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")


@click.command(
    "modelgen",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
    short_help="modelgen with the app's database: generate, check, drift, verify, ...",
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def modelgen_command(ctx: click.Context, args: tuple[str, ...]) -> None:
    """Run a modelgen command (see `flask modelgen --help`) with the app's database."""
    from modelgen.cli.app import CONFIG_HOOKS
    from modelgen.cli.main import run

    hook = AppDefaults(ctx, list(args))
    CONFIG_HOOKS.append(hook)
    try:
        code = run(list(args), "flask modelgen")
    finally:
        CONFIG_HOOKS.remove(hook)
    ctx.exit(code)


class AppDefaults:
    """The config hook: the Flask app's URL, db and models where nothing else gives them."""

    def __init__(self, ctx: click.Context, args: list[str]) -> None:
        self.ctx = ctx
        self.url_given = any(a.split("=", 1)[0] in _URL_OPTIONS for a in args)
        self._app: Any = None

    def __call__(self, config: Any) -> Any:
        import os

        if not self.url_given and not os.environ.get(config.url_env):
            key, url = app_url(self.app(), config.bind)
            from modelgen.catalog.connect import parse_url

            click.echo(
                f"production: the Flask app's {key} ({parse_url(url).safe()})",
                err=True,
            )
            config = replace(config, fallback_url=url)
        if config.path is not None and not {"db_import", "models"} <= config.keys:
            from modelgen.errors import ConfigError

            try:
                app = self.app()
            except ConfigError:  # no app to ask: the config's defaults stand
                return config
            config = discover_models(app, config)
        return config

    def app(self) -> Any:
        if self._app is None:
            from flask.cli import NoAppException, ScriptInfo

            from modelgen.errors import ConfigError

            info = self.ctx.ensure_object(ScriptInfo)
            try:
                self._app = info.load_app()
            except NoAppException as exc:  # its message may hold a whole traceback
                first = exc.format_message().strip().splitlines()[0]
                cause = exc.__cause__ or exc.__context__
                detail = f" ({type(cause).__name__}: {cause})" if cause else ""
                message = _PASSWORD.sub(r"\1***@", f"{first}{detail}")
                raise ConfigError(f"cannot load the Flask app: {message}") from None
        return self._app


def app_url(app: Any, bind: str | None) -> tuple[str, str]:
    """(config key, URL) of the app's database, or of the bind the config names."""
    from modelgen.errors import ConfigError

    if bind is None:
        url = app.config.get("SQLALCHEMY_DATABASE_URI")
        key = "SQLALCHEMY_DATABASE_URI"
    else:
        binds = app.config.get("SQLALCHEMY_BINDS") or {}
        value = binds.get(bind)
        url = value.get("url") if isinstance(value, dict) else value
        key = f"SQLALCHEMY_BINDS[{bind!r}]"
    if not url:
        raise ConfigError(
            f"the Flask app has no {key}: pass --url or set the config's url_env"
        )
    if not isinstance(url, str):  # a sqlalchemy URL object
        url = url.render_as_string(hide_password=False)
    return key, url


def discover_models(app: Any, config: Any) -> Any:
    """``db_import`` / ``models`` from the app: the module defining its SQLAlchemy
    instance, and the package holding the modules that define models on it."""
    import sys

    db = app.extensions.get("sqlalchemy")
    if db is None:
        return config
    changes: dict[str, Any] = {}
    if "db_import" not in config.keys:
        homes = [
            name
            for name, module in list(sys.modules.items())
            if module is not None and getattr(module, "db", None) is db
        ]
        if homes:  # where it is made (`SQLAlchemy(`), else the shortest import path
            changes["db_import"] = min(
                homes, key=lambda n: (not _creates(sys.modules[n]), n.count("."), n)
            )
    if "models" not in config.keys:
        changes.update(_models_package(db, config.root))
    return replace(config, **changes)


def _creates(module: Any) -> bool:
    try:
        return "SQLAlchemy(" in Path(module.__file__).read_text(encoding="utf-8")
    except (OSError, TypeError, UnicodeDecodeError):
        return False


def _models_package(db: Any, root: Path) -> dict[str, Any]:
    """The deepest package containing every module that maps a model on ``db``."""
    import sys

    names = sorted(
        {m.class_.__module__ for m in db.Model.registry.mappers}
        - {"__main__", "builtins"}
    )
    if not names:
        return {}
    common = names[0].split(".")
    for name in names[1:]:
        parts = name.split(".")
        while common and parts[: len(common)] != common:
            common = common[:-1]
    if not common:
        return {}
    package = ".".join(common)
    module = sys.modules.get(package)
    locations = getattr(
        getattr(module, "__spec__", None), "submodule_search_locations", None
    )
    if not locations:  # one module: its folder is scanned, the module itself imported
        path = Path(getattr(module, "__file__", "") or "")
        return {"models": path.parent} if path.name else {}
    folder = Path(list(locations)[0]).resolve()
    app_path = folder.parents[len(common) - 1]
    return {"models": folder, "models_import": package, "app_path": app_path}
