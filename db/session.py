"""The one place engines and sessions are made, and the schema is migrated."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
CONNECT_TIMEOUT_SECONDS = 10  # an unreachable PostgreSQL fails fast instead of hanging
URL_EXAMPLES = "e.g. sqlite:////path/to/imgcrawl.sqlite3 or postgresql://user@host/dbname"


class DatabaseUnavailable(RuntimeError):
    """A database that cannot be used: malformed URL, unknown driver, missing directory, or no
    connection. The message never contains the password."""


def redact_url(url: str | URL) -> str:
    """URL with its password replaced by ***, for settings files, logs and messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "<unparseable database URL>"


def describe_db_error(error: DBAPIError) -> str:
    """The first line of the driver's message: what went wrong, without SQLAlchemy's boilerplate."""
    original = str(getattr(error, "orig", None) or error).strip()
    return original.splitlines()[0] if original else type(error).__name__


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except (ArgumentError, ValueError):
        raise DatabaseUnavailable(f"not a database URL ({URL_EXAMPLES})") from None


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the crawl subprocess write while the CLI reads; FKs are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout.

    Raises DatabaseUnavailable for a malformed URL, an unknown driver or, for SQLite, a
    directory that does not exist (a typo in --db must not silently create a new database).
    """
    parsed = _parse(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        if parsed.drivername.startswith("sqlite"):
            if parsed.database and parsed.database != ":memory:":
                directory = Path(parsed.database).parent
                if not directory.is_dir():
                    raise DatabaseUnavailable(
                        f"{redact_url(parsed)}: directory {directory} does not exist"
                    )
            engine = create_engine(parsed)
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        connect_args = {}
        if parsed.drivername.startswith("postgresql") and "connect_timeout" not in parsed.query:
            connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
        return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
    except NoSuchModuleError:
        raise DatabaseUnavailable(
            f"unknown database driver {parsed.drivername!r} ({URL_EXAMPLES})"
        ) from None
    except (ArgumentError, ValueError, ImportError) as error:
        raise DatabaseUnavailable(f"{redact_url(parsed)}: {error}") from None


def alembic_config(url: str) -> Config:
    """Alembic configuration pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["url"] = url
    return config


def upgrade(url: str) -> None:
    """Bring the schema at URL to the newest migration."""
    try:
        command.upgrade(alembic_config(url), "head")
    except DBAPIError as error:
        raise DatabaseUnavailable(f"{redact_url(url)}: {describe_db_error(error)}") from None


class Database:
    """An engine plus its session factory."""

    def __init__(self, url: str, migrate: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)  # first: a malformed URL fails before Alembic runs
        if migrate:
            upgrade(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
