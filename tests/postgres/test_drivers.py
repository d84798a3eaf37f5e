"""The driver story (issue 11 item 6): a plain postgresql:// URL works for modelgen
and for the user's own SQLAlchemy code alike; psycopg2 still works."""

from __future__ import annotations

import importlib.util
import tomllib

import pytest
from conftest import ROOT

from modelgen.catalog.connect import connect, parse_url
from modelgen.catalog.reflect import reflect_url


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def test_psycopg_3_is_the_default_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(d.startswith("psycopg[binary]") for d in project["dependencies"])


@pytest.mark.parametrize("driver", ["psycopg", "psycopg2"])
def test_each_installed_driver_reads_the_catalog(
    production_url: str, driver: str
) -> None:
    if not installed(driver):
        pytest.skip(f"{driver} is not installed")
    parsed = parse_url(production_url)
    url = production_url.replace(
        f"{production_url.split('://')[0]}://", f"postgresql+{driver}://", 1
    )
    assert parse_url(url).driver == driver
    with connect(url) as conn:
        assert type(conn).__module__.split(".")[0] == driver
    schema = reflect_url(url)
    assert len(schema.tables) == 47 and parsed.database


def test_a_plain_url_works_in_the_users_own_sqlalchemy_code(
    production_url: str,
) -> None:
    """What the user's app, Alembic and scripts do with the URL modelgen accepted."""
    import sqlalchemy as sa

    plain = "postgresql://" + production_url.split("://", 1)[1]
    engine = sa.create_engine(plain)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()
    with connect(plain) as conn:  # modelgen uses the driver SQLAlchemy picked
        assert type(conn).__module__.split(".")[0] == engine.dialect.driver


def test_the_default_driver_rule_is_sqlalchemys_own() -> None:
    """modelgen reads SQLAlchemy's default for a bare URL from its version (its
    dialect import is a tenth of a large generate); the two must agree."""
    from sqlalchemy.dialects import postgresql

    from modelgen.catalog.connect import _sqlalchemy_default_driver

    assert _sqlalchemy_default_driver() == postgresql.dialect.driver
