"""The update's database session opens on first use: questions from known people need none."""

import itertools

import pytest
from aiogram.fsm.storage.memory import MemoryStorage
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from bot.factory import build_dispatcher
from bot.middlewares.database import UpdateSession
from bot.models import Person
from bot.services import people
from bot.settings import Settings
from knowledge.db import make_sessionmaker
from tests.mocked_bot import People, make_mocked_bot

_ids = itertools.count(9_900_000)


@pytest.fixture
def transactions():
    """Sessions that began a transaction (even one that never reached the database)."""
    seen: list[object] = []

    def count(session, transaction) -> None:
        if transaction.parent is None:
            seen.append(session)

    event.listen(Session, "after_transaction_create", count)
    yield seen
    event.remove(Session, "after_transaction_create", count)


@pytest.fixture
def statements(seeded_engine):
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(seeded_engine.sync_engine, "before_cursor_execute", count)
    yield seen
    event.remove(seeded_engine.sync_engine, "before_cursor_execute", count)


async def test_a_question_from_a_known_person_opens_no_session(
    seeded_url, seeded_engine, knowledge, statements, transactions
):
    settings = Settings(database_url=seeded_url, throttle_rate=1000, throttle_burst=1000)
    dp = build_dispatcher(settings, seeded_engine, knowledge, storage=MemoryStorage())
    bot, person = make_mocked_bot(), People(user_id=next(_ids))
    await dp.feed_update(bot, person.text("Seniorentreff Durlach"))  # first contact: stored
    assert any("INSERT INTO persons" in s for s in statements)
    statements.clear()
    transactions.clear()
    await dp.feed_update(bot, person.text("Elterncafé in Mühlburg"))
    (_first, answer) = bot.session.sent("SendMessage")
    assert "<b>1 · " in answer.text
    assert statements == [] and transactions == []
    # a command that reads the database still gets its session
    await dp.feed_update(bot, person.text("/subscriptions"))
    assert statements and len(bot.session.sent("SendMessage")) == 3


async def test_an_unused_session_is_never_opened(seeded_engine, statements):
    session = UpdateSession(make_sessionmaker(seeded_engine))
    await session.commit()
    await session.close()
    assert session.opened is None and statements == []


async def test_a_change_to_the_cached_person_is_stored_without_touching_the_session(seeded_engine):
    sm, cache, tid = make_sessionmaker(seeded_engine), people.PersonCache(ttl=30), next(_ids)
    async with sm() as s:
        await people.current(s, tid, "de", cache)
    session = UpdateSession(sm)
    person = await people.current(session, tid, "de", cache)  # from the cache, session still closed
    assert session.opened is None
    person.counted = False  # as a handler would, relying on the commit at the end of the update
    await session.commit()
    await session.close()
    assert session.opened is not None
    async with sm() as s:
        assert await s.scalar(select(Person.counted).where(Person.telegram_id == tid)) is False
    assert cache.get(tid) is None  # the flush dropped the cached copy


async def test_a_failed_update_stores_nothing(seeded_engine):
    sm, tid = make_sessionmaker(seeded_engine), next(_ids)
    session = UpdateSession(sm)
    session.add(Person(telegram_id=tid, telegram_language="de"))
    await session.flush()  # opened and written, but not committed
    await session.close()  # what the middleware does when the handler raised
    async with sm() as s:
        assert await s.scalar(select(Person).where(Person.telegram_id == tid)) is None
