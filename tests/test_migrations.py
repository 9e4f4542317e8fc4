"""Alembic migrations match the ORM models on every backend."""

import datetime as dt

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import bot.models  # noqa: F401  (people-side tables share the metadata)
from knowledge.db import current_revision
from knowledge.models import Base


async def test_migrated_schema_equals_models(empty_engine):
    async with empty_engine.connect() as conn:
        diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata))
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert diff == []
    assert set(Base.metadata.tables) <= tables
    assert await current_revision(empty_engine) is not None


async def test_seed_loads_all_districts_and_facilities(seeded_engine):
    from sqlalchemy import func, select

    from knowledge.db import make_sessionmaker
    from knowledge.models import District, Facility, PlanningArea, Street

    async with make_sessionmaker(seeded_engine)() as s:
        assert await s.scalar(select(func.count()).select_from(District)) == 27
        assert await s.scalar(select(func.count()).select_from(Facility)) >= 106
        assert await s.scalar(select(func.count()).select_from(Street)) > 1800
        assert await s.scalar(select(func.count()).select_from(PlanningArea)) == 6
        districts = (await s.scalars(select(District))).all()
        assert all(d.population and d.polygon["type"] in ("Polygon", "MultiPolygon") for d in districts)
        assert all(d.planning_area_id is not None for d in districts)
        cats = set((await s.scalars(select(Facility.category))).all())
        assert "fachstelle" not in cats and "stadtteilkoordination" in cats


async def test_prepare_database_is_idempotent(seeded_engine):
    from knowledge.db import prepare_database

    assert await prepare_database(seeded_engine) is False


async def test_0007_leaves_no_readable_id_in_outbox_keys(backend, tmp_path):
    """Rows written before keyed hashing had Telegram ids and reference numbers in their keys."""
    from sqlalchemy import text

    from knowledge.db import make_engine, upgrade
    from tests.conftest import _pg_url, _reset_pg

    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'before_0007.db'}"
    else:
        url = _pg_url("_before_0007")
        await _reset_pg(url)
    engine = make_engine(url)
    try:
        await upgrade(engine, "0006")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO outbox (chat_id, kind, payload, dedupe_key, status, attempts, "
                    "next_attempt_at, created_at) VALUES (5551234567, 'signup_withdrawn', '{}', "
                    "'signup_withdrawn:Q-ABCDEF:5551234567', 'sent', 1, :now, :now)"
                ),
                {"now": dt.datetime.now(dt.UTC)},
            )
        await upgrade(engine)
        async with engine.connect() as conn:
            (key,) = (await conn.execute(text("SELECT dedupe_key FROM outbox"))).one()
        assert key.startswith("legacy:") and "5551234567" not in key and "Q-ABCDEF" not in key
    finally:
        await engine.dispose()
