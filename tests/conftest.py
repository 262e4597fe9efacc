"""Shared fixtures: databases on SQLite and a throwaway PostgreSQL, the demo server, a demo run."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from urllib.parse import urlparse  # noqa: E402

from crawler.cli import DEMO_PROGRAMS  # noqa: E402
from crawler.demo_server import DemoServer  # noqa: E402
from crawler.orchestrate import CrawlOptions, run_cycle  # noqa: E402
from crawler.programs_io import import_programs, parse_program_list  # noqa: E402
from db.session import Database  # noqa: E402

import pg_server  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL server for the whole session; skipped only outside CI when absent."""
    if not pg_server.available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL binaries not found in {pg_server.PG_BIN}")
        pytest.skip("PostgreSQL 15 binaries not installed")
    server = pg_server.PostgresServer()
    yield server.start()
    server.stop()


_pg_databases = iter(range(1, 10_000))


def _fresh_postgres_database(url: str) -> str:
    """A new empty database on the session's server, so tests never see each other's rows."""
    from sqlalchemy import create_engine, text

    name = f"imgcrawl_test_{next(_pg_databases)}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh, empty database URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'imgcrawl.sqlite3'}"
    return _fresh_postgres_database(request.getfixturevalue("postgres_url"))


@pytest.fixture
def db(db_url):
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def demo_server():
    with DemoServer() as server:
        yield server


DEMO_DATA_DIRS: dict[str, Path] = {}  # database URL -> data directory of each demo run


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def demo_run(request, demo_server, tmp_path_factory):
    """The demo crawl on one backend: (database, run id, paths requested per site)."""
    data_dir = tmp_path_factory.mktemp(f"demo-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{data_dir / 'imgcrawl.sqlite3'}"
    else:
        url = _fresh_postgres_database(request.getfixturevalue("postgres_url"))
    db = Database(url)
    DEMO_DATA_DIRS[url] = data_dir
    import_programs(
        db, parse_program_list(DEMO_PROGRAMS, demo_server.substitute(DEMO_PROGRAMS.read_text()))
    )
    seen_before = len(demo_server.requests)
    run_id = run_cycle(
        db,
        data_dir,
        CrawlOptions(download_delay=0.05, allow_private_hosts=tuple(demo_server.hosts())),
    )
    requested: dict[str, set[str]] = {}
    for site, _method, path in demo_server.requests[seen_before:]:
        requested.setdefault(site, set()).add(urlparse(path).path)
    yield db, run_id, requested
    db.dispose()


@pytest.fixture(scope="session")
def demo_data_dir(demo_run) -> Path:
    """The data directory (archived bodies) of the demo run on the same backend."""
    return DEMO_DATA_DIRS[demo_run[0].url]
