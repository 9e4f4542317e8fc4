"""Shared fixtures: databases on SQLite always, and on PostgreSQL when configured.

`QUARTIER_TEST_DATABASE_URL` (set by .ci/run) names a PostgreSQL database; the
fixtures then run every database test on both backends. A configured server that
cannot be reached fails the run: it is never skipped silently.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from knowledge.db import make_engine, normalise_url, prepare_database, upgrade

PG_URL = os.environ.get("QUARTIER_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("QUARTIER_TEST_REDIS_URL")
STORAGES = ["memory"] + (["redis"] if REDIS_URL else [])
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _pg_url(suffix: str) -> str:
    url = make_url(normalise_url(PG_URL or ""))
    return url.set(database=f"{url.database}{suffix}").render_as_string(hide_password=False)


async def _reset_pg(url: str) -> None:
    """Create the database if needed and empty its public schema."""
    import asyncpg

    u = make_url(url)
    dsn = dict(host=u.host, port=u.port or 5432, user=u.username, password=u.password)
    admin = await asyncpg.connect(database="postgres", **dsn)
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname=$1", u.database)
        if not exists:
            await admin.execute(f'CREATE DATABASE "{u.database}"')
    finally:
        await admin.close()
    conn = await asyncpg.connect(database=u.database, **dsn)
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await conn.close()


def _fresh_url(backend: str, tmp: Path, suffix: str) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp / f'quartier{suffix}.db'}"
    url = _pg_url(suffix)
    asyncio.run(_reset_pg(url))
    return url


@pytest.fixture(scope="session", params=BACKENDS)
def seeded_url(request, tmp_path_factory) -> Iterator[str]:
    """A database migrated and seeded with the packaged Karlsruhe data, shared read-only."""
    url = _fresh_url(request.param, tmp_path_factory.mktemp("seeded"), "_seeded")

    async def seed() -> None:
        engine = make_engine(url)
        try:
            await prepare_database(engine)
        finally:
            await engine.dispose()

    asyncio.run(seed())
    yield url


@pytest.fixture
async def seeded_engine(seeded_url) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(seeded_url)
    yield engine
    await engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


async def _empty(backend: str, tmp_path: Path, suffix: str) -> AsyncEngine:
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / f'empty{suffix}.db'}"
    else:
        url = _pg_url(suffix)
        await _reset_pg(url)
    engine = make_engine(url)
    await upgrade(engine)
    return engine


@pytest.fixture
async def empty_engine(backend, tmp_path) -> AsyncIterator[AsyncEngine]:
    """A migrated database without data, new for each test."""
    engine = await _empty(backend, tmp_path, "_empty")
    yield engine
    await engine.dispose()


@pytest.fixture
async def other_empty_engine(backend, tmp_path) -> AsyncIterator[AsyncEngine]:
    """A second, independent empty database on the same backend (for round trips)."""
    engine = await _empty(backend, tmp_path, "_empty2")
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def knowledge(seeded_url):
    """The in-memory search index loaded from the seeded database (per backend)."""
    from knowledge.index import load_index

    async def load():
        engine = make_engine(seeded_url)
        try:
            return await load_index(engine)
        finally:
            await engine.dispose()

    return asyncio.run(load())


@pytest.fixture(params=STORAGES)
async def fsm_storage(request) -> AsyncIterator:
    """FSM storage for the bot: in memory, and in Redis when QUARTIER_TEST_REDIS_URL is set."""
    if request.param == "memory":
        from aiogram.fsm.storage.memory import MemoryStorage

        yield MemoryStorage()
        return
    from aiogram.fsm.storage.redis import RedisStorage

    storage = RedisStorage.from_url(REDIS_URL)
    await storage.redis.flushdb()  # a database of its own for tests (see .ci/run)
    yield storage
    await storage.close()


@pytest.fixture
async def signup_engine(seeded_engine) -> AsyncIterator[AsyncEngine]:
    """The seeded database without the people side's rows of earlier tests (persons stay)."""
    from sqlalchemy import delete

    from bot import models as m
    from knowledge.db import make_sessionmaker

    tables = (
        m.OutboxMessage,
        m.Broadcast,
        m.Meeting,
        m.Partner,
        m.Subscription,
        m.TopicSubscription,
        m.AuditEntry,
        m.StaffCard,
        m.Signup,
        m.CoordinatorArea,
        m.Invite,
    )
    async with make_sessionmaker(seeded_engine)() as s:
        for table in tables:
            await s.execute(delete(table))
        await s.commit()
    yield seeded_engine


def live_settings(sandbox, database_url: str, **overrides):
    """Settings of a bot talking to a test's sandbox; a test's quick presses are not throttled."""
    from bot.settings import Settings

    values = {"throttle_rate": 50, "throttle_burst": 50, **overrides}
    return Settings(database_url=database_url, **values).talking_to(sandbox.base_url, sandbox.token)
