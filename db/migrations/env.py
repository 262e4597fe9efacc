"""Alembic environment: URL given by db.session, else --db's env var $IMGCRAWL_DATABASE_URL."""

from __future__ import annotations

from alembic import context

from crawler.config import database_url
from db.models import Base
from db.session import make_engine

config = context.config
target_metadata = Base.metadata


# Tables other libraries own in the same database (APScheduler's job store).
FOREIGN_TABLES = frozenset({"apscheduler_jobs"})


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    return not (type_ == "table" and name in FOREIGN_TABLES)


def _url() -> str:
    return config.attributes.get("url") or database_url()


def run_migrations_offline() -> None:
    context.configure(
        url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(_url())
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
