"""Health, readiness and metrics as an operator's monitoring reads them over HTTP."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter
from aiogram.types import Message, Update
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from bot.health import Metrics, RetryAfterCounter, UpdateMetrics, add_health_routes
from bot.models import OutboxMessage
from bot.sandbox.limits import Faults
from bot.sandbox.server import BotAPISandbox
from bot.services.outbox import enqueue, utcnow
from knowledge.db import make_engine, make_sessionmaker

REDIS_URL = os.environ.get("QUARTIER_TEST_REDIS_URL")


def samples(body: str) -> dict[tuple[str, tuple], float]:
    """Every sample of a Prometheus text page by (name, sorted labels)."""
    out = {}
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def client_for(engine, metrics: Metrics | None = None, **kw) -> TestClient:
    app = web.Application()
    add_health_routes(app, metrics or Metrics(), engine, **kw)
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


async def owe(engine, chat: int, key: str, age_s: float = 0.0) -> None:
    async with make_sessionmaker(engine)() as s:
        await enqueue(s, chat, "relay_to_person", {"text": "x"}, key)
        await s.commit()
        if age_s:
            old = utcnow() - dt.timedelta(seconds=age_s)
            await s.execute(update(OutboxMessage).where(OutboxMessage.chat_id == chat).values(created_at=old))
            await s.commit()


async def test_ready_and_metrics_read_the_outbox_and_sign_ups(signup_engine):
    client = await client_for(signup_engine)
    try:
        assert (await client.get("/healthz")).status == 200
        ready = await client.get("/readyz")
        assert ready.status == 200
        assert await ready.json() == {"status": "ok", "database": "ok", "outbox": "ok"}

        await owe(signup_engine, 501, "a", age_s=120)
        await owe(signup_engine, 502, "b")
        page = samples(await (await client.get("/metrics")).text())
        assert page[("quartier_outbox_messages", (("status", "pending"),))] == 2
        assert page[("quartier_outbox_messages", (("status", "sent"),))] == 0
        assert 115 <= page[("quartier_outbox_oldest_pending_seconds", ())] < 300
        assert page[("quartier_database_up", ())] == 1
        assert (await client.get("/readyz")).status == 200  # two minutes is not late
    finally:
        await client.close()


async def test_an_old_owed_message_makes_the_process_not_ready(signup_engine):
    await owe(signup_engine, 503, "late", age_s=3600)
    client = await client_for(signup_engine, outbox_max_age=600)
    try:
        ready = await client.get("/readyz")
        assert ready.status == 503
        assert (await ready.json())["outbox"] == "late"
        assert (await client.get("/healthz")).status == 200  # alive all the same
    finally:
        await client.close()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_a_database_that_does_not_answer_is_down_and_says_nothing_more(kind, tmp_path, caplog):
    if kind == "sqlite":
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'nonexistent.db'}")
        (tmp_path / "nonexistent.db").mkdir()  # a directory where the file should be: no database opens
    else:
        engine = make_engine("postgresql://postgres@127.0.0.1:1/nonexistent")
    client = await client_for(engine)
    try:
        ready = await client.get("/readyz")
        assert ready.status == 503
        body = await ready.json()
        assert body["database"] == "down" and body["status"] == "not ready"
        assert "nonexistent" not in await ready.text() and "127.0.0.1" not in await ready.text()
        page = await client.get("/metrics")
        assert page.status == 200  # the process's own counters are still served
        assert samples(await page.text())[("quartier_database_up", ())] == 0
        assert all("\n" not in r.getMessage() and "nonexistent" not in r.getMessage() for r in caplog.records)
    finally:
        await client.close()
        await engine.dispose()


@pytest.mark.skipif(not REDIS_URL, reason="QUARTIER_TEST_REDIS_URL not set")
async def test_redis_is_probed_when_configured(signup_engine):
    from redis.asyncio import Redis

    good = Redis.from_url(REDIS_URL)
    bad = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    ok_client = await client_for(signup_engine, redis=good)
    bad_client = await client_for(signup_engine, redis=bad)
    try:
        assert (await (await ok_client.get("/readyz")).json())["redis"] == "ok"
        refused = await bad_client.get("/readyz")
        assert refused.status == 503 and (await refused.json())["redis"] == "down"
    finally:
        await ok_client.close()
        await bad_client.close()
        await good.aclose()
        await bad.aclose()


def message_update(update_id: int, text: str) -> Update:
    return Update.model_validate(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": 42, "type": "private"},
                "from": {"id": 42, "is_bot": False, "first_name": "A"},
                "text": text,
            },
        }
    )


async def test_updates_are_counted_by_kind_and_timed_and_failures_counted():
    metrics = Metrics()
    router = Router()

    @router.message()
    async def handle(message: Message) -> None:
        if message.text == "boom":
            raise RuntimeError("handler failed")

    dp = Dispatcher()
    dp.include_router(router)
    dp.update.outer_middleware(UpdateMetrics(metrics))
    bot = Bot("42:TEST")
    await dp.feed_update(bot, message_update(1, "hallo"))
    with pytest.raises(RuntimeError):
        await dp.feed_update(bot, message_update(2, "boom"))
    await bot.session.close()
    from prometheus_client import generate_latest

    page = samples(generate_latest(metrics.registry).decode())
    assert page[("quartier_updates_total", (("kind", "message"),))] == 2
    assert page[("quartier_update_errors_total", (("kind", "message"),))] == 1
    assert page[("quartier_update_seconds_count", (("kind", "message"),))] == 2


async def test_refusals_with_429_are_counted_by_method():
    sandbox = BotAPISandbox()
    await sandbox.start()
    metrics = Metrics()
    session = AiohttpSession(api=TelegramAPIServer.from_base(sandbox.base_url))
    session.middleware(RetryAfterCounter(metrics))
    bot = Bot(sandbox.token, session=session)
    chat = sandbox.user(4711, "Ada").id
    sandbox.gate.faults = Faults(too_many=1.0)
    try:
        with pytest.raises(TelegramRetryAfter):
            await bot.send_message(chat, "hallo")
        sandbox.gate.faults = Faults()
        await bot.send_message(chat, "hallo")
    finally:
        await bot.session.close()
        await sandbox.stop()
    from prometheus_client import generate_latest

    page = samples(generate_latest(metrics.registry).decode())
    assert page[("quartier_telegram_429_total", (("method", "SendMessage"),))] == 1


async def test_the_running_bot_counts_its_updates_and_answers(signup_engine, seeded_url, knowledge):
    """Questions through the sandbox and the real dispatcher show in /metrics as they happened."""
    from bot.factory import build_dispatcher, make_bot
    from bot.polling import polling
    from tests.conftest import live_settings

    sandbox = BotAPISandbox(token="123456:HEALTH")
    await sandbox.start()
    settings = live_settings(sandbox, seeded_url)
    dp = build_dispatcher(settings, signup_engine, knowledge)
    client = await client_for(signup_engine, dp["metrics"])
    try:
        async with polling(dp, make_bot(sandbox.token, sandbox.base_url, metrics=dp["metrics"])):
            person = sandbox.user(880_001, "Ada")
            await person.send_text("Elterncafé in Durlach")
            await person.wait_for_bot()
            await person.send_text("Schachclub für Marsmenschen auf dem Mond")
            await person.wait_for_bot()
        page = samples(await (await client.get("/metrics")).text())
    finally:
        await client.close()
        await sandbox.stop()
    assert page[("quartier_updates_total", (("kind", "message"),))] == 2
    assert page[("quartier_update_seconds_count", (("kind", "message"),))] == 2
    assert page[("quartier_answers_total", ())] == 2
    assert page[("quartier_answers_without_results_total", ())] == 1  # nothing for Mars people
    assert not any(str(880_001) in repr(key) for key in page)  # no person in any label
    assert sandbox.invalid_calls == []
