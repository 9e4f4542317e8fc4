"""The durable outbox: written with its cause, sent until delivered, never lost on a crash."""

import datetime as dt
import itertools

from sqlalchemy import func, select

from bot.models import OutboxMessage, Person, Signup
from bot.services import people, signups
from bot.services.outbox import OutboxWorker, Permanent, RetryAfter, enqueue, utcnow
from knowledge.db import make_sessionmaker

_chats = itertools.count(7_700_000)


class Recorder:
    """A sender that records what it sends and fails as told."""

    def __init__(self, failures: list[Exception] | None = None):
        self.sent: list[tuple[int, str]] = []
        self.failures = list(failures or [])

    async def __call__(self, row: OutboxMessage) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((row.chat_id, row.kind))


async def rows(sessionmaker) -> list[OutboxMessage]:
    async with sessionmaker() as s:
        return list(await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def owe(sessionmaker, chat: int, key: str) -> None:
    async with sessionmaker() as s:
        await enqueue(s, chat, "relay_to_person", {"text": "geheim"}, key)
        await s.commit()


async def test_the_same_obligation_is_written_once(signup_engine):
    sm = make_sessionmaker(signup_engine)
    chat = next(_chats)
    await owe(sm, chat, "k1")
    await owe(sm, chat, "k1")
    assert len(await rows(sm)) == 1


async def test_network_errors_are_retried_with_backoff_then_sent_and_emptied(signup_engine):
    sm = make_sessionmaker(signup_engine)
    chat = next(_chats)
    await owe(sm, chat, "k2")
    sender = Recorder([ConnectionError("down")])
    worker = OutboxWorker(sm, sender)
    first = await worker.run_once()
    (row,) = await rows(sm)
    assert (first.retried, row.status, row.attempts, row.last_error) == (1, "pending", 1, "ConnectionError")
    assert (await worker.run_once()).sent == 0  # not due yet: backoff
    later = await worker.run_once(now=utcnow() + dt.timedelta(minutes=1))
    (row,) = await rows(sm)
    assert (
        later.sent == 1
        and row.status == "sent"
        and row.payload == {}
        and sender.sent == [(chat, "relay_to_person")]
    )


async def test_blocked_person_is_not_retried(signup_engine):
    sm = make_sessionmaker(signup_engine)
    await owe(sm, next(_chats), "k3")
    outcome = await OutboxWorker(sm, Recorder([Permanent("blocked by the person")])).run_once()
    (row,) = await rows(sm)
    assert outcome.failed == 1 and row.status == "failed" and row.last_error == "blocked by the person"


async def test_too_many_failures_end_as_failed_with_reason(signup_engine):
    sm = make_sessionmaker(signup_engine)
    await owe(sm, next(_chats), "k4")
    worker = OutboxWorker(sm, Recorder([TimeoutError()] * 3), max_attempts=3)
    for minutes in (0, 10, 30):
        await worker.run_once(now=utcnow() + dt.timedelta(minutes=minutes))
    (row,) = await rows(sm)
    assert (row.status, row.attempts, row.last_error) == ("failed", 3, "TimeoutError")


async def test_retry_after_gives_the_batch_back(signup_engine):
    sm = make_sessionmaker(signup_engine)
    for key in ("k5", "k6"):
        await owe(sm, next(_chats), key)
    sender = Recorder([RetryAfter(0.01)])
    outcome = await OutboxWorker(sm, sender).run_once()
    assert outcome.retried == 2 and sender.sent == []
    assert {r.status for r in await rows(sm)} == {"pending"}
    assert (await OutboxWorker(sm, sender).run_once(now=utcnow() + dt.timedelta(seconds=1))).sent == 2


async def test_rows_of_a_crashed_worker_are_sent_by_the_next_one(signup_engine):
    sm = make_sessionmaker(signup_engine)
    await owe(sm, next(_chats), "k7")
    crashed = OutboxWorker(sm, Recorder())
    claimed = await crashed._claim(utcnow())  # claimed, then the process died before sending
    assert len(claimed) == 1 and (await rows(sm))[0].status == "sending"
    fresh = OutboxWorker(sm, Recorder(), stale_after=dt.timedelta(minutes=5))
    assert (await fresh.run_once()).sent == 0  # maybe still being sent by a live worker
    assert (await fresh.run_once(now=utcnow() + dt.timedelta(minutes=6))).sent == 1
    assert (await rows(sm))[0].status == "sent"


async def test_a_crash_after_consent_loses_no_sign_up(signup_engine):
    """The sign-up and its notification are one transaction; a later worker delivers it."""
    sm = make_sessionmaker(signup_engine)
    async with sm() as s:
        coordinator = await people.get_or_create(s, next(_chats), "de")
        durlach = 19
        from knowledge.models import District

        area = (await s.get(District, durlach)).planning_area_id
        await signups.add_coordinator(s, coordinator, area)
        volunteer = await people.get_or_create(s, next(_chats), "de")
        await s.commit()
        draft = signups.Draft(district=durlach, interests=["events"], availability=["weekends"], hours="1-4")
        signup = await signups.submit(s, volunteer, draft, "de", admin_ids=[])
        coordinator_chat = coordinator.telegram_id
    # the bot process dies here, before any worker ran; a restarted one finds the row
    sender = Recorder()
    assert (await OutboxWorker(sm, sender).run_once()).sent == 1
    assert sender.sent == [(coordinator_chat, "signup_new")]
    async with sm() as s:
        assert (await s.get(Signup, signup.id)).status == "new"
        assert await s.scalar(select(func.count()).select_from(Person)) >= 2


async def test_pace_keeps_telegrams_limits():
    import time

    from bot.services.outbox import Pace

    pace = Pace(per_second=50, chat_gap=1.0, group_per_minute=2)
    started = time.monotonic()
    for _ in range(10):
        await pace.turn()
    assert time.monotonic() - started >= 9 / 50 * 0.95  # evenly spaced, not in a burst
    now = time.monotonic()
    pace.sent(101)
    assert pace.ready_at(101, now) >= now + 0.99 and pace.ready_at(102, now) == now
    pace.sent(-500)
    pace.sent(-500)
    assert pace.ready_at(-500, time.monotonic()) > time.monotonic() + 59  # a group: 20 (here 2) a minute
    pace.pause(0.2)
    t = time.monotonic()
    await pace.turn()
    assert time.monotonic() - t >= 0.19  # a 429 holds everybody back


async def test_a_chat_that_just_had_a_message_waits_without_losing_an_attempt(signup_engine):
    sm = make_sessionmaker(signup_engine)
    chat = next(_chats)
    await owe(sm, chat, "p1")
    await owe(sm, chat, "p2")
    sender = Recorder()
    outcome = await OutboxWorker(sm, sender).run_once()
    assert outcome.sent == 1 and outcome.retried == 1
    second = (await rows(sm))[1]
    assert second.status == "pending" and second.attempts == 0
