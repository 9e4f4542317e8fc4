"""Database engine, sessions, migrations and first-run seeding.

The same code runs on SQLite (aiosqlite, the embedded default) and PostgreSQL
(asyncpg). Migrations always go through Alembic, also on a fresh SQLite file, so a
database created by the app and one upgraded by `quartier db upgrade` are the same.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
DEFAULT_DB_PATH = Path(os.environ.get("QUARTIER_HOME", Path.home() / ".quartier")) / "quartier.db"


def default_database_url() -> str:
    """The embedded default: a SQLite file in the user's data folder."""
    return f"sqlite+aiosqlite:///{DEFAULT_DB_PATH}"


def normalise_url(url: str) -> str:
    """Accept plain driver names (postgresql://, sqlite://) and pick the async driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + url[len("postgresql://") :]
    if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    return url


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # SQLite ignores foreign keys unless asked, and WAL lets readers run during a write.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str | None = None, **kwargs) -> AsyncEngine:
    url = normalise_url(url or default_database_url())
    if url.startswith("sqlite+aiosqlite:///") and ":memory:" not in url:
        Path(url.removeprefix("sqlite+aiosqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
    # a database error's message would quote the statement's parameters: people's notes, texts, numbers
    kwargs.setdefault("hide_parameters", True)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _upgrade(connection: Connection, revision: str = "head") -> None:
    command.upgrade(alembic_config(connection), revision)


def _current(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Run Alembic migrations on an async engine (connection sharing, no second engine)."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


async def prepare_database(engine: AsyncEngine) -> bool:
    """Migrate to head and seed the packaged Karlsruhe data if the database is empty.

    Returns True when it seeded. Safe to call at every start.
    """
    from knowledge.seed import seed_if_empty

    await upgrade(engine)
    async with make_sessionmaker(engine)() as session:
        return await seed_if_empty(session)


@asynccontextmanager
async def session_scope(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with make_sessionmaker(engine)() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
