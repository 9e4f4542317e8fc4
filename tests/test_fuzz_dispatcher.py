"""Fuzzing the running bot: random texts, commands, locations and button data, as Telegram sends them.

One bot polls the local sandbox for the whole test; Hypothesis draws sequences of actions by
one person. After every action the bot must have handled it without an unhandled exception
(the errors router logs "update … failed" at ERROR for those), every press must be answered,
and at the end the sandbox, which checks every call against the Bot API description, must
have seen no invalid call. The time is bounded by the number of examples.
"""

from __future__ import annotations

import asyncio
import itertools
import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.factory import build_dispatcher, make_bot
from bot.polling import polling
from bot.sandbox import BotAPISandbox
from tests.conftest import live_settings

TOKEN = "123456:FUZZ"
_users = itertools.count(990_000)
STATS = {"examples": 0, "actions": 0}

PREFIXES = ["p", "pg", "fb", "cl", "lang", "pv", "d", "su", "st", "ps", "n", "pt", "m", "bc", "x"]
WORDS = ["map", "ics", "info", "write", "placed", "not_fit", "contacted", "old_care", "teen", "de", "ar"]
NUMBERS = st.one_of(
    st.integers(-5, 50), st.integers(-(10**30), 10**30), st.sampled_from([0, 1, 2**31, 2**63, 10**19])
)
CALLBACK = st.one_of(
    st.builds(
        lambda p, parts: ":".join([p, *map(str, parts)]),
        st.sampled_from(PREFIXES),
        st.lists(st.one_of(NUMBERS, st.sampled_from(WORDS), st.text(max_size=6)), max_size=4),
    ),
    st.text(min_size=1, max_size=64),
).filter(lambda d: 0 < len(d.encode()) <= 64)
TEXT = st.one_of(
    st.text(min_size=1, max_size=300),
    st.sampled_from(
        [
            "Elterncafé in Mühlburg",
            "Meine Mutter (84) ist allein in Rintheim",
            "Ich könnte Senioren vorlesen",
            "asdfgh",
            "<b>&amp; Kita & Co <script>",
            "Danke!",
            "🤝",
            "/start",
            "/mydata",
            "/delete",
            "/withdraw",
            "/inbox",
            "/broadcast",
            "/meeting",
            "/stats",
            "/language",
            "/privacy",
            "/unknown_command",
        ]
    ),
).filter(lambda t: t.strip() != "")
ACTION = st.one_of(
    st.tuples(st.just("text"), TEXT),
    st.tuples(st.just("press"), CALLBACK),
    st.tuples(st.just("location"), st.tuples(st.floats(-90, 90), st.floats(-180, 180))),
    st.tuples(st.just("location"), st.tuples(st.floats(48.94, 49.09), st.floats(8.28, 8.55))),
)


@pytest.fixture
async def running(signup_engine, seeded_url, knowledge, fsm_storage):
    sandbox = BotAPISandbox(token=TOKEN)
    await sandbox.start()
    dp = build_dispatcher(live_settings(sandbox, seeded_url), signup_engine, knowledge, storage=fsm_storage)
    async with polling(dp, make_bot(TOKEN, sandbox.base_url)):
        yield sandbox
    await sandbox.stop()
    assert sandbox.invalid_calls == []


async def _settled(sandbox: BotAPISandbox, chat_id: int, before: int, within: float = 10.0) -> None:
    """Wait until the bot has said something in the chat (or answered the press)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    chat = sandbox.chats[chat_id]
    while len(chat.outbox) + len(chat.answers) <= before:
        if loop.time() > deadline:
            raise AssertionError("the bot did not answer")
        await asyncio.sleep(0.02)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=st.lists(ACTION, min_size=1, max_size=6))
async def test_random_updates_never_break_the_bot(running, caplog, actions):
    sandbox = running
    u = sandbox.user(next(_users), first_name="Fuzz", language_code="de")
    await u.send_text("/start")
    await _settled(sandbox, u.id, 0)
    with caplog.at_level(logging.ERROR):
        for kind, value in actions:
            chat = sandbox.chats[u.id]
            before = len(chat.outbox) + len(chat.answers)
            if kind == "text":
                await u.send_text(value)
            elif kind == "location":
                await u.send_location(*value)
            else:
                last = next(reversed(chat.messages), None) if chat.messages else None
                await u.press(last or 1, value)
            await _settled(sandbox, u.id, before)
            if kind == "press":
                # every press is answered: no query left pending for this person
                for _ in range(100):
                    if u.id not in sandbox.pending_queries.values():
                        break
                    await asyncio.sleep(0.02)
                assert u.id not in sandbox.pending_queries.values(), f"press {value!r} left unanswered"
    STATS["actions"] += len(actions)
    STATS["examples"] += 1
    failures = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures == [], failures
    assert sandbox.invalid_calls == []


def test_the_fuzzing_really_ran():
    # runs after the fuzz test in file order: Hypothesis drew examples and each was acted out
    assert STATS["examples"] >= 10 and STATS["actions"] >= 20, STATS
