"""Replayed, garbled and forged button presses get a friendly answer (issue 17, finding 10).

A replayed "more" press ended in an invalid call and an apology, a huge number in callback
data in a database error and an apology. Each press here must be answered (a toast or an
alert), with no apology, no error logged and no invalid call in the sandbox.
"""

from __future__ import annotations

import asyncio
import itertools
import logging

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot.factory import build_dispatcher, make_bot
from bot.polling import polling
from bot.sandbox import BotAPISandbox
from knowledge.db import make_engine
from tests.conftest import live_settings
from tests.test_escaping import _Loop

TOKEN = "123456:PRESSES"
APOLOGY = "Sorry, something went wrong"
HUGE = 10**20
_users = itertools.count(995_000)


@pytest.fixture
async def live(seeded_engine, seeded_url, knowledge, fsm_storage, caplog):
    sandbox = BotAPISandbox(token=TOKEN)
    await sandbox.start()
    dp = build_dispatcher(live_settings(sandbox, seeded_url), seeded_engine, knowledge, storage=fsm_storage)
    with caplog.at_level(logging.ERROR):
        async with polling(dp, make_bot(TOKEN, sandbox.base_url)):
            yield sandbox
    await sandbox.stop()
    assert sandbox.invalid_calls == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "a press ended in an error"


def inline(sent) -> dict[str, str]:
    markup = sent.params.get("reply_markup") or {}
    return {b["text"]: b["callback_data"] for row in markup.get("inline_keyboard") or [] for b in row}


def no_apology(u) -> None:
    assert not any(APOLOGY in (m.message.get("text") or "") for m in u.messages)
    assert not any(APOLOGY in (a.get("text") or "") for a in u.answers)


async def test_a_replayed_more_press_is_answered_and_sends_nothing_twice(live):
    u = live.user(next(_users), language_code="de")
    await u.send_text("Bürgerverein")
    (answer,) = await u.wait_for_bot(1, timeout=10)
    more = next(d for d in inline(answer).values() if d.startswith("pg:"))
    first = await u.press_for_answer(answer.message["message_id"], more)
    assert not first["text"]
    (page2,) = await u.wait_for_bot(1, timeout=10)
    assert "4 · " in page2.message["text"]
    shown = len(u.messages)
    again = await u.press_for_answer(answer.message["message_id"], more)  # the same update again
    assert again["text"] == "Diese Ergebnisse stehen schon oben." and not again["show_alert"]
    await asyncio.sleep(0.3)
    assert len(u.messages) == shown
    no_apology(u)


FORGED = [
    "garbage",
    "p:map",
    "p:map:abc",
    f"p:map:{HUGE}",
    "p:ics:-1",
    f"p:info:{2**31}",
    f"pg:1:{HUGE}",
    f"pg:{HUGE}:3",
    "pg:1:-3",
    f"fb:1:{HUGE}",
    "fb:1:0",
    f"st:contacted:{HUGE}",
    f"st:write:{2**31}",
    f"ps:withdraw:{HUGE}",
    f"ps:reply:{2**40}",
    f"pt:confirm:{HUGE}",
    f"m:{HUGE}",
    f"d:{HUGE}",
    f"n:district:{HUGE}",
    "n:district:-1",
    f"bc:district:{HUGE}",
    f"su:district:{HUGE}",
    "lang:xx",
    "pv:maybe",
    "x" * 64,
    "🙂",
]


async def test_garbled_and_huge_callback_data_get_a_friendly_answer(live):
    u = live.user(next(_users), language_code="de")
    await u.send_text("Seniorentreff Durlach")  # question 1: "pg:1:..." and "fb:1:..." reach their handlers
    (answer,) = await u.wait_for_bot(1, timeout=10)
    for data in FORGED:
        reply = await u.press_for_answer(answer.message["message_id"], data, timeout=10)
        assert reply["text"], data  # a friendly word, not a silent spinner
    no_apology(u)


def test_random_callback_data_through_the_dispatcher(knowledge, seeded_url):
    """Random presses in the shape of every button the bot makes: each answered, nothing invalid."""
    loop = _Loop()
    sandbox = BotAPISandbox(token=TOKEN)
    db = make_engine(seeded_url)
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger().addHandler(handler)

    async def start():
        await sandbox.start()
        dp = build_dispatcher(live_settings(sandbox, seeded_url), db, knowledge)
        running = polling(dp, make_bot(TOKEN, sandbox.base_url))
        await running.__aenter__()
        u = sandbox.user(next(_users), language_code="de")
        await u.send_text("Bürgerverein")
        (answer,) = await u.wait_for_bot(1, timeout=10)
        return running, u, answer.message["message_id"]

    running, u, mid = loop.run(start())
    number = st.one_of(
        st.integers(-5, 40), st.integers(), st.sampled_from(["", "x", "1e9", "٣", " 1", "0x10"])
    )
    prefix = st.sampled_from(
        ["p", "pg", "fb", "lang", "pv", "d", "su", "st", "ps", "n", "pt", "m", "bc", "zz"]
    )
    word = st.sampled_from(
        ["map", "ics", "info", "toggle", "done", "send", "district", "topic", "confirm", ""]
    )
    data = st.builds(
        lambda p, parts: ":".join([p, *map(str, parts)])[:64] or "x",
        prefix,
        st.lists(st.one_of(number, word, st.text(max_size=8)), max_size=3),
    )

    @settings(
        max_examples=40,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(data)
    def check(pressed):
        pressed = pressed.encode("utf-8")[:64].decode("utf-8", "ignore") or "x"  # Telegram's 64 bytes
        loop.run(u.press_for_answer(mid, pressed, timeout=10))
        assert sandbox.invalid_calls == [], pressed
        assert not records, (pressed, records[0].getMessage())

    try:
        check()
        no_apology(u)
    finally:
        logging.getLogger().removeHandler(handler)

        async def stop():
            await running.__aexit__(None, None, None)
            await sandbox.stop()
            await db.dispose()

        loop.run(stop())
        loop.close()
