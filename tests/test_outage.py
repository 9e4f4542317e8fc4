"""Outages of the database or Redis, and Telegram's 429s.

Issue 17, finding 10: during a database or Redis outage people got a generic apology,
button presses stayed unanswered, and the log flooded (some 600 lines a second, no
backoff); a reply to a person was not retried after a 429.
"""

import asyncio
import itertools
import logging

import pytest
from aiogram.fsm.storage.memory import MemoryStorage
from redis import exceptions as redis_errors
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.callbacks import PlaceCb
from bot.factory import build_dispatcher, make_bot
from bot.models import OutboxMessage, Person
from bot.outage import DATABASE, REDIS, OutageMonitor, outage_of
from bot.polling import polling
from bot.sandbox import BotAPISandbox
from bot.services.outbox import OutboxWorker
from bot.settings import Settings
from knowledge.db import make_engine, make_sessionmaker
from tests.conftest import REDIS_URL, live_settings
from tests.flaky import FlakyProxy, SqliteSwitch
from tests.mocked_bot import MockedSession, People, make_mocked_bot

_ids = itertools.count(910_000)
DISRUPTED = {
    "de": "gestört",
    "en": "disrupted",
}


def _i18n_text(dp, lang: str, msgid: str) -> str:
    return dp["i18n_instance"].gettext(msgid, locale=lang)


PROBE_SECONDS = 0.3  # how often an update still tries a store known to be down (2 s in the bot)
DISRUPTED_MSGID = "Sorry, the service is disrupted right now. Please try again later."


@pytest.fixture
async def flaky_db(seeded_url):
    """(engine, switch): the seeded database behind a switch that can take it away."""
    url = make_url(seeded_url)
    if url.get_backend_name() == "sqlite":
        engine = make_engine(seeded_url)
        switch = SqliteSwitch(engine)
        yield engine, switch
        await engine.dispose()
        return
    proxy = await FlakyProxy(url.host or "127.0.0.1", url.port or 5432).start()
    engine = make_engine(url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))
    yield engine, proxy
    await engine.dispose()
    await proxy.stop()


class FlakyMemoryStorage(MemoryStorage):
    """Conversation state that fails as RedisStorage does when Redis is gone."""

    down = False

    async def get_state(self, key):
        if self.down:
            raise redis_errors.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        return await super().get_state(key)

    async def cut(self) -> None:
        self.down = True

    async def restore(self) -> None:
        self.down = False


@pytest.fixture(params=["stand-in"] + (["redis"] if REDIS_URL else []))
async def flaky_redis(request):
    """(storage, switch): conversation state in Redis (or a stand-in failing the same way)."""
    if request.param == "stand-in":
        storage = FlakyMemoryStorage()
        yield storage, storage
        return
    from aiogram.fsm.storage.redis import RedisStorage

    url = make_url(REDIS_URL.replace("redis://", "postgresql://"))  # only to take the URL apart
    proxy = await FlakyProxy(url.host or "127.0.0.1", url.port or 6379).start()
    storage = RedisStorage.from_url(f"redis://127.0.0.1:{proxy.port}/{url.database or 0}")
    yield storage, proxy
    await storage.close()
    await proxy.stop()


def _settings(seeded_url, **kw) -> Settings:
    return Settings(database_url=seeded_url, redis_url=None, throttle_rate=1000, throttle_burst=1000, **kw)


def _outage_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bot.outage"]


def _failure_lines(caplog) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name != "bot.outage" and not r.name.startswith("aiogram.event")
    ]


async def _storm(dp, bot, langs=("de", "en", "tr", "ar", "uk", "ru"), each: int = 3) -> list[People]:
    """New people write and press buttons at once, as during a busy minute."""
    people_ = [People(user_id=next(_ids), language_code=lang) for lang in langs for _ in range(each)]
    updates = [p.text("/help") for p in people_] + [
        p.press(PlaceCb(action="info", fid=1).pack()) for p in people_
    ]
    await asyncio.gather(*(dp.feed_update(bot, u) for u in updates))
    return people_


def _assert_everybody_told(dp, session: MockedSession, people_: list[People]) -> None:
    by_chat = {m.chat_id: m.text for m in session.sent("SendMessage")}
    answers = session.sent("AnswerCallbackQuery")
    assert len(answers) == len(people_)  # every press answered: no spinning button
    for p in people_:
        expected = _i18n_text(dp, p.user.language_code, DISRUPTED_MSGID)
        assert by_chat[p.user.id] == expected
    for a in answers:
        assert a.show_alert and a.text in {
            _i18n_text(dp, p.user.language_code, DISRUPTED_MSGID) for p in people_
        }
    assert DISRUPTED["de"] in _i18n_text(dp, "de", DISRUPTED_MSGID)


async def test_database_outage_people_are_told_and_the_log_says_it_once(
    flaky_db, knowledge, seeded_url, caplog
):
    engine, switch = flaky_db
    caplog.set_level(logging.INFO)
    dp = build_dispatcher(_settings(seeded_url), engine, knowledge, storage=MemoryStorage())
    dp["outage"].probe_seconds = PROBE_SECONDS
    bot = make_mocked_bot()
    await switch.cut()
    # the first update finds out; those arriving together with it would wait for the pool's
    # timeout (SQLAlchemy wakes no waiter when a connection attempt fails), later ones fail at once
    people_ = await _storm(dp, bot, langs=("de",), each=1)
    people_ += await _storm(dp, bot)
    people_ += await _storm(dp, bot)
    _assert_everybody_told(dp, bot.session, people_)
    lines = _outage_lines(caplog)
    assert len(lines) == 1 and lines[0].startswith("database unavailable")
    assert _failure_lines(caplog) == []  # no line per update, no traceback
    assert not any(r.exc_info for r in caplog.records)

    await switch.restore()
    await asyncio.sleep(PROBE_SECONDS)  # until then, updates are turned away without trying
    bot.session.requests.clear()
    again = People(user_id=next(_ids))
    await dp.feed_update(bot, again.text("/help"))
    (help_,) = bot.session.sent("SendMessage")
    assert DISRUPTED["de"] not in help_.text
    lines = _outage_lines(caplog)
    assert len(lines) == 2 and lines[1].startswith("database works again")
    assert f"{len(people_) * 2} updates turned away" in lines[1]
    async with make_sessionmaker(engine)() as s:
        assert await s.scalar(select(Person.id).where(Person.telegram_id == again.user.id))


async def test_redis_outage_people_are_told_and_the_log_says_it_once(
    flaky_redis, knowledge, seeded_engine, seeded_url, caplog
):
    storage, switch = flaky_redis
    caplog.set_level(logging.INFO)
    dp = build_dispatcher(_settings(seeded_url), seeded_engine, knowledge, storage=storage)
    bot = make_mocked_bot()
    await switch.cut()
    people_ = await _storm(dp, bot)
    _assert_everybody_told(dp, bot.session, people_)
    lines = _outage_lines(caplog)
    assert len(lines) == 1 and lines[0].startswith("Redis unavailable")
    assert _failure_lines(caplog) == []
    await switch.restore()
    bot.session.requests.clear()
    await dp.feed_update(bot, People(user_id=next(_ids)).text("/help"))
    assert DISRUPTED["de"] not in bot.session.sent("SendMessage")[0].text
    lines = _outage_lines(caplog)
    assert len(lines) == 2 and lines[1].startswith("Redis works again")


async def test_other_errors_still_get_an_apology_and_one_line(seeded_engine, knowledge, seeded_url, caplog):
    dp = build_dispatcher(_settings(seeded_url), seeded_engine, knowledge, storage=MemoryStorage())
    bot = make_mocked_bot()

    async def broken(*args, **kwargs):
        raise ValueError("Fatma Öztürk")  # a bug whose message quotes what a person typed

    dp["assistant"].ask = broken
    person = People(user_id=next(_ids))
    caplog.set_level(logging.INFO)
    await dp.feed_update(bot, person.text("Elterncafé"))
    (apology,) = bot.session.sent("SendMessage")
    assert apology.text == _i18n_text(dp, "de", "Sorry, something went wrong. Please try again.")
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].startswith("update ") and errors[0].endswith(" failed: ValueError")
    assert "Fatma" not in caplog.text


def test_outage_log_repeats_at_growing_intervals_and_says_when_it_ends(caplog):
    now = [0.0]
    monitor = OutageMonitor(first_repeat=60, max_repeat=300, clock=lambda: now[0])
    down = OperationalError("SELECT 1", {}, ConnectionRefusedError(111, "refused"))
    caplog.set_level(logging.INFO)
    for second in range(0, 1200):  # an update every second for 20 minutes
        now[0] = float(second)
        assert monitor.report(down, turned_away=True)
    lines = _outage_lines(caplog)
    # at 0, then 60, 180 (+120), 420 (+240), 720 (+300, the cap), 1020
    assert len(lines) == 6
    assert "still unavailable after 60 s" in lines[1] and "61 updates turned away" in lines[1]
    monitor.works(DATABASE)
    monitor.works(DATABASE)  # said once
    assert len(_outage_lines(caplog)) == 7 and "works again after 20 min" in _outage_lines(caplog)[-1]
    assert monitor.report(down)  # a new outage is news again
    assert len(_outage_lines(caplog)) == 8 and not monitor.report(ValueError("x"))


def test_which_errors_are_outages():
    assert outage_of(redis_errors.ConnectionError("x")) == REDIS
    assert outage_of(redis_errors.TimeoutError("x")) == REDIS
    assert outage_of(OperationalError("x", {}, Exception("locked"))) == DATABASE
    wrapped = RuntimeError("during a handler")
    wrapped.__cause__ = redis_errors.ConnectionError("x")
    assert outage_of(wrapped) == REDIS
    assert outage_of(ConnectionRefusedError(111, "refused")) is None  # not raised in a store's client
    assert outage_of(ValueError("x")) is None and outage_of(KeyError("x")) is None


async def test_a_plain_connection_refused_from_asyncpg_is_a_database_outage():
    engine = make_engine("postgresql+asyncpg://postgres@127.0.0.1:9/nothing")
    try:
        with pytest.raises(OSError) as caught:
            async with engine.connect():
                pass
    finally:
        await engine.dispose()
    assert outage_of(caught.value) == DATABASE


async def test_outbox_worker_backs_off_and_logs_once(flaky_db, caplog):
    engine, switch = flaky_db
    sent = []

    async def send(row):
        sent.append(row.id)

    monitor = OutageMonitor()
    worker = OutboxWorker(make_sessionmaker(engine), send, idle_seconds=0.05, outage=monitor)
    passes = []
    run_once = worker.run_once

    async def counted(*args, **kwargs):
        passes.append(1)
        return await run_once(*args, **kwargs)

    worker.run_once = counted
    caplog.set_level(logging.INFO)
    await switch.cut()
    worker.start()
    try:
        await asyncio.sleep(1.5)
        (line,) = _outage_lines(caplog)
        assert line.startswith("database unavailable")
        assert not [r for r in caplog.records if r.name == "bot.services.outbox"]
        assert len(passes) <= 6  # 0.1, 0.2, 0.4, 0.8 s apart: not 30 passes, each with a traceback
        await switch.restore()
        worker.wake.set()  # as an update owing a message would
        for _ in range(100):
            if len(_outage_lines(caplog)) == 2:
                break
            await asyncio.sleep(0.05)
        assert _outage_lines(caplog)[1].startswith("database works again")
    finally:
        await worker.stop()
    async with make_sessionmaker(engine)() as s:
        await s.scalar(select(func.count()).select_from(OutboxMessage))


# -- end to end: polling through the sandbox ---------------------------------------------------
TOKEN = "123456:OUTAGE"


async def test_outage_end_to_end(flaky_db, knowledge, seeded_url, caplog):
    engine, switch = flaky_db
    caplog.set_level(logging.INFO)
    sandbox = BotAPISandbox(token=TOKEN)
    await sandbox.start()
    dp = build_dispatcher(live_settings(sandbox, seeded_url), engine, knowledge, storage=MemoryStorage())
    dp["outage"].probe_seconds = PROBE_SECONDS
    try:
        async with polling(dp, make_bot(TOKEN, sandbox.base_url)):
            await switch.cut()
            u = sandbox.user(next(_ids), language_code="en")
            await u.send_text("/help")
            (note,) = await u.wait_for_bot(1, timeout=10)
            assert note.params["text"] == _i18n_text(dp, "en", DISRUPTED_MSGID)
            answer = await u.press_for_answer(1, PlaceCb(action="info", fid=1).pack(), timeout=10)
            assert answer["show_alert"] and answer["text"] == _i18n_text(dp, "en", DISRUPTED_MSGID)
            for _ in range(20):
                await u.send_text("/help")
            await u.wait_for_bot(20, timeout=20)
            await switch.restore()
            await asyncio.sleep(PROBE_SECONDS)
            await u.send_text("/help")
            (help_,) = await u.wait_for_bot(1, timeout=10)
            assert help_.params["text"] != _i18n_text(dp, "en", DISRUPTED_MSGID)
    finally:
        await sandbox.stop()
    assert sandbox.invalid_calls == []
    lines = _outage_lines(caplog)
    assert lines[0].startswith("database unavailable") and lines[-1].startswith("database works again")
    assert len(lines) == 2
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("aiogram")]


async def test_a_reply_is_sent_again_after_telegrams_retry_after(
    seeded_engine, knowledge, seeded_url, caplog
):
    sandbox = BotAPISandbox(token=TOKEN)
    await sandbox.start()
    sandbox.gate.limits.per_chat_per_second = 1  # /start sends two messages at once: the second gets a 429
    sandbox.gate.limits.retry_after = 1
    dp = build_dispatcher(
        live_settings(sandbox, seeded_url), seeded_engine, knowledge, storage=MemoryStorage()
    )
    caplog.set_level(logging.INFO)
    try:
        async with polling(dp, make_bot(TOKEN, sandbox.base_url)):
            u = sandbox.user(next(_ids))
            await u.send_text("/start")
            welcome, languages = await u.wait_for_bot(2, timeout=10)
    finally:
        await sandbox.stop()
    assert sandbox.gate.rejected[429] >= 1
    assert (
        "Quartiersassistent" in welcome.params["text"]
        and "inline_keyboard" in languages.params["reply_markup"]
    )
    assert not [r for r in caplog.records if r.name == "handlers.errors"]


async def test_retries_are_bounded():
    sandbox = BotAPISandbox(token=TOKEN)
    await sandbox.start()
    sandbox.gate.faults.too_many = 1.0  # every message refused
    sandbox.gate.faults.retry_after = 1
    bot = make_bot(TOKEN, sandbox.base_url, retry_seconds=5)
    u = sandbox.user(next(_ids))
    from aiogram.exceptions import TelegramRetryAfter

    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        with pytest.raises(TelegramRetryAfter):
            await bot.send_message(u.id, "Hallo")
    finally:
        await bot.session.close()
        await sandbox.stop()
    assert sandbox.gate.rejected[429] == 3  # three attempts in all
    assert 1.9 < loop.time() - started < 4
