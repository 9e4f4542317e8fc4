"""The person cache: fewer database round trips, never a stale answer from this process."""

import asyncio
import datetime as dt
import itertools

import pytest
from aiogram.fsm.storage.memory import MemoryStorage
from sqlalchemy import event, select, update

from bot.factory import build_dispatcher
from bot.models import Person
from bot.services import networks, people
from bot.settings import Settings
from knowledge.db import make_sessionmaker
from tests.mocked_bot import People, make_mocked_bot

_ids = itertools.count(5_500_000)


@pytest.fixture
def person_selects(seeded_engine):
    """How many statements have read the persons table so far."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM persons" in statement:
            seen.append(statement)

    event.listen(seeded_engine.sync_engine, "before_cursor_execute", count)
    yield seen
    event.remove(seeded_engine.sync_engine, "before_cursor_execute", count)


async def _seen_once(seeded_engine):
    """A sessionmaker, a cache and a new person's id, after the person's first update."""
    sm = make_sessionmaker(seeded_engine)
    cache = people.PersonCache(ttl=30)
    tid = next(_ids)
    async with sm() as s:
        await people.current(s, tid, "de", cache)
    return sm, cache, tid


def _dispatcher(seeded_url, seeded_engine, knowledge, ttl: float):
    settings = Settings(
        database_url=seeded_url, throttle_rate=1000, throttle_burst=1000, person_cache_seconds=ttl
    )
    return build_dispatcher(settings, seeded_engine, knowledge, storage=MemoryStorage())


async def test_a_known_person_is_not_read_again(seeded_url, seeded_engine, knowledge, person_selects):
    dp = _dispatcher(seeded_url, seeded_engine, knowledge, ttl=30)
    bot, person = make_mocked_bot(), People(user_id=next(_ids))
    await dp.feed_update(bot, person.text("Seniorentreff Durlach"))
    first = len(person_selects)
    assert first >= 1
    await dp.feed_update(bot, person.text("Jugendhaus Südstadt"))
    await dp.feed_update(bot, person.text("/help"))
    assert len(person_selects) == first
    assert len(bot.session.sent("SendMessage")) == 3


async def test_without_a_cache_every_update_reads_the_person(
    seeded_url, seeded_engine, knowledge, person_selects
):
    dp = _dispatcher(seeded_url, seeded_engine, knowledge, ttl=0)
    bot, person = make_mocked_bot(), People(user_id=next(_ids))
    await dp.feed_update(bot, person.text("/help"))
    first = len(person_selects)
    await dp.feed_update(bot, person.text("/help"))
    assert len(person_selects) > first


async def test_a_change_from_another_process_shows_after_the_ttl(seeded_url, seeded_engine, knowledge):
    dp = _dispatcher(seeded_url, seeded_engine, knowledge, ttl=0.3)
    i18n = dp["i18n_instance"]
    bot, person = make_mocked_bot(), People(user_id=next(_ids))
    await dp.feed_update(bot, person.text("/help"))
    german = bot.session.sent("SendMessage")[-1].text
    # as the CLI or a second bot process would: a plain statement, nothing forgotten here
    async with make_sessionmaker(seeded_engine)() as s:
        await s.execute(update(Person).where(Person.telegram_id == person.user.id).values(language="tr"))
        await s.commit()
    await dp.feed_update(bot, person.text("/help"))
    assert bot.session.sent("SendMessage")[-1].text == german  # still cached
    await asyncio.sleep(0.35)
    await dp.feed_update(bot, person.text("/help"))
    assert bot.session.sent("SendMessage")[-1].text.startswith(
        i18n.gettext("<b>How I can help</b>", locale="tr")
    )


async def test_each_update_changes_its_own_copy_and_a_flush_drops_the_entry(seeded_engine):
    sm, cache, tid = await _seen_once(seeded_engine)
    cached = cache.get(tid)
    async with sm() as s:
        assert cached is not None and cached is not await people.current(s, tid, "de", cache)
    async with sm() as a, sm() as b:
        pa = await people.current(a, tid, "de", cache)
        pb = await people.current(b, tid, "de", cache)
        assert pa is not pb and pa is not cached
        assert await people.set_language(a, pa, "uk")
        assert pb.language is None and cached.language is None  # nobody else saw the change
        await a.commit()
    assert cache.get(tid) is None  # the flush dropped it
    async with sm() as s:
        assert (await people.current(s, tid, "de", cache)).language == "uk"


async def test_a_slow_load_does_not_bring_back_an_old_record(seeded_engine):
    sm = make_sessionmaker(seeded_engine)
    cache = people.PersonCache(ttl=30)
    tid = next(_ids)
    async with sm() as s:
        person = await people.get_or_create(s, tid, "de")
        await s.commit()
    epoch = cache.epoch(tid)  # a load starts ...
    people.forget(tid)  # ... somebody changes the person meanwhile ...
    cache.put(person, epoch)  # ... and the load finishes late: not kept
    assert cache.get(tid) is None
    cache.put(person, cache.epoch(tid))
    assert cache.get(tid) is not None


async def test_blocking_the_bot_is_seen_at_once(seeded_engine):
    sm, cache, tid = await _seen_once(seeded_engine)
    assert cache.get(tid).active is True
    async with sm() as s:
        await networks.set_active(s, tid, False)
    assert cache.get(tid) is None
    async with sm() as s:
        assert (await people.current(s, tid, "de", cache)).active is False
        assert await s.scalar(select(Person.active).where(Person.telegram_id == tid)) is False


def test_the_cache_keeps_at_most_its_size():
    cache = people.PersonCache(ttl=30, size=3)
    for tid in range(5):
        now = dt.datetime.now(dt.UTC)
        p = Person(
            id=tid + 1,
            telegram_id=tid,
            language=None,
            telegram_language="de",
            home_district_number=None,
            role="resident",
            active=True,
            counted=True,
            created_at=now,
            last_seen_at=now,
        )
        cache.put(p, cache.epoch(tid))
    assert [t for t in range(5) if cache.get(t) is not None] == [2, 3, 4]


async def test_a_record_changed_on_load_is_cached_on_the_next_update(seeded_engine):
    sm, cache, tid = await _seen_once(seeded_engine)
    async with sm() as s:
        # Telegram now reports another language: the record is updated, not cached stale
        assert (await people.current(s, tid, "en", cache)).telegram_language == "en"
    assert cache.get(tid) is None
    async with sm() as s:
        await people.current(s, tid, "en", cache)
    assert cache.get(tid).telegram_language == "en"
