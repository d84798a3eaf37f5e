"""Parse a database URL and open a DB-API connection with whichever driver is installed.

A bare ``postgresql://`` gets the driver the installed SQLAlchemy gives it
(psycopg 3 from SQLAlchemy 2.1 on, the default dependency), as the user's own
app, Alembic and scripts do; psycopg2 is used when it is the one installed or
the URL names it.  Errors never carry a password.
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from modelgen.errors import DatabaseError

_SCHEMES = {
    "postgresql": None,
    "postgres": None,
    "postgresql+psycopg2": "psycopg2",
    "postgresql+psycopg": "psycopg",
    "postgresql+psycopg2cffi": "psycopg2",
}


@dataclass(frozen=True)
class DatabaseURL:
    driver: str | None
    host: str | None
    port: int | None
    user: str | None
    password: str | None
    database: str | None
    query: tuple[tuple[str, str], ...] = ()

    def safe(self) -> str:
        """The URL with the password masked, for messages."""
        auth = (
            f"{self.user}:***@"
            if self.password
            else (f"{self.user}@" if self.user else "")
        )
        host = self.host or ""
        port = f":{self.port}" if self.port else ""
        return f"postgresql://{auth}{host}{port}/{self.database or ''}"

    def with_database(self, database: str) -> DatabaseURL:
        return DatabaseURL(
            self.driver,
            self.host,
            self.port,
            self.user,
            self.password,
            database,
            self.query,
        )

    def render(self) -> str:
        """A full URL (with password) for SQLAlchemy; never print it."""
        from urllib.parse import quote

        driver = "psycopg2" if _module_for(self.driver) == "psycopg2" else "psycopg"
        auth = ""
        if self.user:
            auth = quote(self.user, safe="")
            if self.password:
                auth += ":" + quote(self.password, safe="")
            auth += "@"
        host = self.host or ""
        if self.host and ":" in self.host:
            host = f"[{self.host}]"
        port = f":{self.port}" if self.port else ""
        query = "&".join(f"{quote(k)}={quote(v)}" for k, v in self.query)
        suffix = f"?{query}" if query else ""
        return f"postgresql+{driver}://{auth}{host}{port}/{quote(self.database or '')}{suffix}"


def parse_url(url: str) -> DatabaseURL:
    if "://" not in url:
        raise DatabaseError(
            "database URL must look like postgresql://user@host:port/dbname"
        )
    scheme = url.split("://", 1)[0].lower()
    if scheme not in _SCHEMES:
        raise DatabaseError(
            f"unsupported database URL scheme {scheme!r}: modelgen reads PostgreSQL "
            "(postgresql://, postgresql+psycopg2://, postgresql+psycopg://)"
        )
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise DatabaseError("database URL has an invalid port") from None
    return DatabaseURL(
        driver=_SCHEMES[scheme],
        host=unquote(parts.hostname) if parts.hostname else None,
        port=port,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        database=unquote(parts.path.lstrip("/")) or None,
        query=tuple(parse_qsl(parts.query)),
    )


def _module_for(driver: str | None) -> str:
    """The driver module for a URL: the one it names; for a bare ``postgresql://``
    the one the installed SQLAlchemy picks (psycopg 3 from 2.1 on, psycopg2
    before), so modelgen connects as the user's app does; else the other one."""
    if driver:
        return driver
    preferred = _sqlalchemy_default_driver()
    for module in (preferred, "psycopg", "psycopg2"):
        if importlib.util.find_spec(module) is not None:
            return module
    return preferred


def _sqlalchemy_default_driver() -> str:
    """What a bare ``postgresql://`` means to the installed SQLAlchemy: psycopg
    from 2.1 on, psycopg2 before.  Read from its version, not by importing its
    PostgreSQL dialect: that import alone is a tenth of a 1,000-table generate
    (the test in tests/postgres/test_drivers.py compares with SQLAlchemy's own
    choice)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        major, minor = (int(part) for part in version("sqlalchemy").split(".")[:2])
    except (PackageNotFoundError, ValueError):
        return "psycopg"
    return "psycopg" if (major, minor) >= (2, 1) else "psycopg2"


def _scrub(message: str, url: DatabaseURL) -> str:
    line = next(
        (ln.strip() for ln in message.splitlines() if ln.strip()), "unknown error"
    )
    if url.password:
        line = line.replace(url.password, "***")
    return line


@contextlib.contextmanager
def connect(url: str | DatabaseURL) -> Iterator[Any]:
    """A DB-API connection; every failure becomes one DatabaseError line."""
    parsed = parse_url(url) if isinstance(url, str) else url
    module = _module_for(parsed.driver)
    kwargs: dict[str, Any] = {k: v for k, v in parsed.query}
    for key, value in (
        ("host", parsed.host),
        ("port", parsed.port),
        ("user", parsed.user),
        ("password", parsed.password),
        ("dbname", parsed.database),
    ):
        if value is not None:
            kwargs[key] = value
    kwargs.setdefault("connect_timeout", 10)
    kwargs.setdefault("application_name", "modelgen")
    try:
        if module == "psycopg2":
            import psycopg2

            conn = psycopg2.connect(**kwargs)
        else:
            import psycopg

            conn = psycopg.connect(**kwargs)
    except ImportError:
        raise DatabaseError(
            f"no PostgreSQL driver: {module} is not installed "
            "(pip install 'psycopg[binary]', or psycopg2-binary)"
        ) from None
    except Exception as exc:  # the drivers' OperationalError and friends
        raise DatabaseError(
            f"cannot connect to {parsed.safe()}: {_scrub(str(exc), parsed)}"
        ) from None
    try:
        conn.autocommit = True  # transactions are begun explicitly by the callers
        yield conn
    except DatabaseError:
        raise
    except Exception as exc:
        if type(exc).__module__.split(".")[0] in ("psycopg2", "psycopg"):
            raise DatabaseError(
                f"database error on {parsed.safe()}: {_scrub(str(exc), parsed)}"
            ) from None
        raise
    finally:
        conn.close()
