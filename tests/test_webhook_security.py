"""Webhook mode: no start without a secret, every post checked, optional Telegram networks only.

Issue 17, finding 1: with QUARTIER_WEBHOOK_URL set and no secret, anyone who reached the
port could post updates as any user and everything was handled as genuine.
"""

import asyncio
import itertools
import logging
import os
import subprocess
import sys

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.factory import build_dispatcher
from bot.models import Person
from bot.settings import Settings
from bot.webhook import SECRET_HEADER, WEBHOOK_PATH, SecretRequestHandler, client_address, make_webhook_app
from knowledge.db import make_sessionmaker
from tests.mocked_bot import People, make_mocked_bot

SECRET = "s3cret-token_for-the-tests-0123456789"
_ids = itertools.count(870_000)


def _run_cli(tmp_path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("QUARTIER_")}
    db_dir = tmp_path / "never-created"
    clean.update(
        QUARTIER_HOME=str(tmp_path / "home"),
        QUARTIER_DATABASE_URL=f"sqlite+aiosqlite:///{db_dir / 'q.db'}",
        # a port nothing listens on: a request to "Telegram" would fail loudly, not hang
        QUARTIER_TELEGRAM_API_BASE="http://127.0.0.1:9",
        **env,
    )
    return subprocess.run(
        [sys.executable, "-c", "from bot.cli import app; app()", "run"],
        env=clean,
        cwd=tmp_path,  # no .env of the checkout
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("token", [None, "123:REAL"])
@pytest.mark.parametrize("secret", [None, "", "short", "with spaces and more than sixteen"])
def test_run_refuses_a_webhook_without_a_usable_secret(tmp_path, token, secret):
    env = {"QUARTIER_WEBHOOK_URL": "https://bot.example.org/telegram/webhook"}
    if token:
        env["QUARTIER_BOT_TOKEN"] = token
    if secret is not None:
        env["QUARTIER_WEBHOOK_SECRET"] = secret
    result = _run_cli(tmp_path, **env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "QUARTIER_WEBHOOK_SECRET" in lines[0], result.stderr
    assert result.stdout == ""  # the sandbox was not started either
    assert not (tmp_path / "never-created").exists() and not (tmp_path / "home").exists()


def test_a_wrong_trusted_proxy_is_named_before_start():
    settings = Settings(
        webhook_url="https://x", webhook_secret=SECRET, webhook_trusted_proxies=["proxy.local"]
    )
    assert "QUARTIER_WEBHOOK_TRUSTED_PROXIES" in settings.webhook_problem()
    assert Settings(webhook_url="https://x", webhook_secret=SECRET).webhook_problem() is None
    assert Settings(webhook_secret=None).webhook_problem() is None  # polling needs no secret


def test_handler_cannot_be_built_without_a_secret(seeded_engine, seeded_url, knowledge):
    dp = build_dispatcher(Settings(database_url=seeded_url), seeded_engine, knowledge)
    with pytest.raises(ValueError):
        SecretRequestHandler(dp, make_mocked_bot(), "")


def _payload(update) -> dict:
    return update.model_dump(mode="json", exclude_none=True, by_alias=True)


@pytest.fixture
async def webhook(seeded_engine, seeded_url, knowledge):
    """A webhook app on a test server; the bot's Telegram calls are recorded."""
    clients = []

    async def start(**settings_overrides) -> tuple[TestClient, object]:
        values = {"webhook_secret": SECRET, "throttle_rate": 1000, "throttle_burst": 1000}
        settings = Settings(database_url=seeded_url, **{**values, **settings_overrides})
        dp = build_dispatcher(settings, seeded_engine, knowledge)
        bot = make_mocked_bot()
        client = TestClient(TestServer(make_webhook_app(dp, bot, settings)))
        await client.start_server()
        clients.append(client)
        return client, bot

    yield start
    for client in clients:
        await client.close()


async def _person_exists(engine, telegram_id: int) -> bool:
    async with make_sessionmaker(engine)() as s:
        return await s.scalar(select(Person.id).where(Person.telegram_id == telegram_id)) is not None


async def _wait_for_sent(bot, seconds: float = 5.0) -> list:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not bot.session.sent("SendMessage"):
        if loop.time() > deadline:
            raise TimeoutError("the bot sent nothing")
        await asyncio.sleep(0.02)
    return bot.session.sent("SendMessage")


@pytest.mark.parametrize("header", [None, "", "wrong", SECRET + "x", SECRET[:-1], "ä" * 20])
async def test_posts_without_the_secret_reach_no_handler(webhook, seeded_engine, header):
    client, bot = await webhook()
    person = People(user_id=next(_ids))
    headers = {} if header is None else {SECRET_HEADER: header}
    resp = await client.post(WEBHOOK_PATH, json=_payload(person.text("/help")), headers=headers)
    assert resp.status in (401, 403)
    await asyncio.sleep(0.2)  # a handler running in the background would have answered by now
    assert bot.session.requests == []
    assert not await _person_exists(seeded_engine, person.user.id)


async def test_a_post_with_the_secret_is_handled(webhook, seeded_engine):
    client, bot = await webhook()
    person = People(user_id=next(_ids))
    resp = await client.post(
        WEBHOOK_PATH, json=_payload(person.text("/help")), headers={SECRET_HEADER: SECRET}
    )
    assert resp.status == 200
    (answer,) = await _wait_for_sent(bot)
    assert answer.chat_id == person.user.id and answer.text
    assert await _person_exists(seeded_engine, person.user.id)


async def test_an_unparseable_update_is_skipped_with_one_masked_line(webhook, caplog):
    client, bot = await webhook()
    person = People(user_id=next(_ids))
    bad = _payload(person.text("Wo kann meine Frau Fatma Öztürk (HIV-positiv) anonym hin?"))
    bad["message"]["date"] = "gestern"  # a field the library rejects
    bad["update_id"] = 424_242
    with caplog.at_level(logging.DEBUG):
        resp = await client.post(WEBHOOK_PATH, json=bad, headers={SECRET_HEADER: SECRET})
        assert resp.status == 200  # else Telegram would send it again and again
        good = await client.post(
            WEBHOOK_PATH, json=_payload(person.text("/help")), headers={SECRET_HEADER: SECRET}
        )
        assert good.status == 200
        await _wait_for_sent(bot)
    assert len(bot.session.sent("SendMessage")) == 1  # the answer to /help only
    skipped = [r for r in caplog.records if "424242" in r.getMessage()]
    assert len(skipped) == 1 and "ValidationError" in skipped[0].getMessage()
    logged = "\n".join(r.getMessage() + str(r.exc_info or "") for r in caplog.records)
    assert "Fatma" not in logged and "HIV" not in logged and "gestern" not in logged


async def test_telegram_networks_only_refuses_other_senders(webhook):
    client, bot = await webhook(webhook_telegram_networks_only=True)
    person = People(user_id=next(_ids))
    headers = {SECRET_HEADER: SECRET}
    resp = await client.post(WEBHOOK_PATH, json=_payload(person.text("/help")), headers=headers)
    assert resp.status == 403  # the test client connects from 127.0.0.1
    spoofed = {**headers, "X-Forwarded-For": "149.154.167.220"}  # believed from trusted proxies only
    resp = await client.post(WEBHOOK_PATH, json=_payload(person.text("/help")), headers=spoofed)
    assert resp.status == 403
    await asyncio.sleep(0.2)
    assert bot.session.requests == []


async def test_telegram_networks_behind_a_trusted_proxy(webhook):
    client, bot = await webhook(webhook_telegram_networks_only=True, webhook_trusted_proxies=["127.0.0.0/8"])
    person = People(user_id=next(_ids))
    headers = {SECRET_HEADER: SECRET}
    # the client claimed a Telegram address, the proxy appended the one it really came from
    spoofed = {**headers, "X-Forwarded-For": "149.154.167.220, 10.0.0.7"}
    resp = await client.post(WEBHOOK_PATH, json=_payload(person.text("/help")), headers=spoofed)
    assert resp.status == 403
    real = {**headers, "X-Forwarded-For": "149.154.167.220"}
    resp = await client.post(WEBHOOK_PATH, json=_payload(person.text("/help")), headers=real)
    assert resp.status == 200
    await _wait_for_sent(bot)
    # the network check does not replace the secret
    resp = await client.post(
        WEBHOOK_PATH, json=_payload(person.text("/help")), headers={**real, SECRET_HEADER: "x"}
    )
    assert resp.status == 401


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.5", "149.154.167.220", "203.0.113.5"),  # not a proxy: its header is ignored
        ("10.0.0.1", "", "10.0.0.1"),
        ("10.0.0.1", "149.154.167.220", "149.154.167.220"),
        ("10.0.0.1", "149.154.167.220, 198.51.100.9", "198.51.100.9"),
        ("10.0.0.1", "198.51.100.9, 10.0.0.2", "198.51.100.9"),  # two proxies of ours
        ("10.0.0.1", "garbage", "garbage"),
    ],
)
def test_client_address_reads_forwarded_for_from_the_right(peer, forwarded, expected):
    import ipaddress

    assert client_address(peer, forwarded, [ipaddress.ip_network("10.0.0.0/8")]) == expected


async def test_webhook_end_to_end_through_the_sandbox(seeded_engine, seeded_url, knowledge):
    """Telegram (the sandbox) posts with the secret and is answered; a forged post is not."""
    import aiohttp
    from aiohttp import web

    from bot.factory import make_bot
    from bot.sandbox import BotAPISandbox
    from tests.conftest import live_settings

    token = "123456:WEBHOOK"
    sandbox = BotAPISandbox(token=token)
    await sandbox.start()
    admin = People(user_id=next(_ids))
    settings = live_settings(sandbox, seeded_url, webhook_secret=SECRET, admin_ids=[admin.user.id])
    dp = build_dispatcher(settings, seeded_engine, knowledge)
    bot = make_bot(token, sandbox.base_url)
    runner = web.AppRunner(make_webhook_app(dp, bot, settings), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}{WEBHOOK_PATH}"
    try:
        await bot.set_webhook(url, secret_token=SECRET)
        person = sandbox.user(next(_ids))
        await person.send_text("/help")
        (answer,) = await person.wait_for_bot(1, timeout=10)
        assert answer.params["text"]
        # somebody who found the port posts an admin's /broadcast without the secret
        sandbox.user(admin.user.id)
        async with (
            aiohttp.ClientSession() as http,
            http.post(url, json=_payload(admin.text("/broadcast"))) as resp,
        ):
            assert resp.status == 401
        await asyncio.sleep(0.2)
        assert sandbox.outbox(admin.user.id) == []
    finally:
        await runner.cleanup()
        await sandbox.stop()
    assert sandbox.invalid_calls == []
