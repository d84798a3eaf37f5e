"""The base class of generated models: ``db.Model`` at run time, a class type checkers know.

mypy cannot use ``db.Model`` (an attribute of an instance) as a base class
("Name db.Model is not defined"), so every generated module binds ``Model``:

    if TYPE_CHECKING:
        from flask_sqlalchemy.model import Model as FlaskModel
        from sqlalchemy.orm import DeclarativeBase as ModelBase   # or the app's Base

        class Model(FlaskModel, ModelBase):
            ...

    else:
        Model = db.Model

At run time nothing changes (the classes subclass ``db.Model``, so bind keys,
``query`` and the app's metadata work as before); a type checker sees what
``db.Model`` is made of: Flask-SQLAlchemy's ``Model`` (``query``) over the
declarative base: the app's own (the config's ``base``, the class it passes to
``SQLAlchemy(model_class=...)``), else SQLAlchemy's ``DeclarativeBase``.
See docs/typing.md.
"""

from __future__ import annotations

from dataclasses import dataclass

# the names the block binds (reserved in modelgen.generate.naming.MODULE_NAMES)
MODEL = "Model"
FLASK_MODEL = "FlaskModel"
MODEL_BASE = "ModelBase"


@dataclass(frozen=True)
class BaseShim:
    imports: tuple[str, ...]  # import lines inside `if TYPE_CHECKING:`
    body: tuple[str, ...]  # the rest of that block ("" for a blank line)
    orelse: tuple[str, ...]  # the `else:` block


def base_shim(base: str | None) -> BaseShim:
    """The block for a config whose ``base`` is ``module:Name`` (or None: the default
    ``db = SQLAlchemy()``, whose ``db.Model`` is a plain declarative base)."""
    if base is None:
        declarative = f"from sqlalchemy.orm import DeclarativeBase as {MODEL_BASE}"
    else:
        module, _, name = base.partition(":")
        declarative = f"from {module} import {name} as {MODEL_BASE}"
    return BaseShim(
        imports=(
            f"from flask_sqlalchemy.model import Model as {FLASK_MODEL}",
            declarative,
        ),
        body=(
            "",
            f"class {MODEL}({FLASK_MODEL}, {MODEL_BASE}):",
            '    """db.Model as type checkers see it (modelgen: docs/typing.md)."""',
            "",
        ),
        orelse=(f"{MODEL} = db.Model",),
    )
