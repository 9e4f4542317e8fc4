"""The durable outbox: messages the bot owes people, sent by a worker until delivered.

A cause (a sign-up, a status change, a relayed message) and its messages are written in
one transaction, so a crash after the commit loses nothing: the worker finds the rows
and sends them then. The worker claims rows before sending (on PostgreSQL with
FOR UPDATE SKIP LOCKED, so several bot processes can share one outbox), marks them sent
afterwards and clears their payload, so texts do not stay in the database.

Delivery is at least once: a crash between Telegram accepting a message and the row
being marked sent sends that one message again after the restart. Rows stuck in
`sending` for longer than `stale_after` go back to `pending`.

Nothing in a row outlives its purpose or leads back to a person once they are gone:
- dedupe keys are keyed hashes (HMAC with a key derived from the bot token, see
  `use_key`): the same obligation still maps to the same key, but no key shows a
  Telegram id, a reference number or a message id;
- sent and failed rows are deleted after `keep_days` (`purge`, run by the housekeeping);
- erasing a person (`forget_chat`, `drop_about`) deletes every row owed to them, sent or
  not, and every row not yet sent that points at their records or carries their words.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import logging
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.models import OutboxMessage
from bot.outage import DATABASE, OutageMonitor

log = logging.getLogger(__name__)
MAX_REST_SECONDS = 30.0  # the longest pause between passes while they fail


OWED = "outbox_owed"  # session.info key: this session wrote outbox rows


def owe(session: AsyncSession) -> None:
    """Note that the session wrote outbox rows, so the worker is woken after the commit."""
    session.info[OWED] = True


def owes(session: AsyncSession) -> bool:
    return bool(session.info.get(OWED))


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def aware(when: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes for timezone-aware columns; they are UTC."""
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


# until `use_key` is called (the bot does at start): random, so keys are unreadable anyway
_key: bytes = secrets.token_bytes(32)


def use_key(secret: str) -> None:
    """Derive the key for dedupe keys from a secret of the deployment (the bot token).

    Every process of one bot derives the same key, so an obligation written by two of
    them still collides; a database dump alone does not let anybody test Telegram ids.
    """
    global _key
    _key = hashlib.sha256(b"quartier outbox dedupe key\0" + secret.encode()).digest()


def dedupe(key: str) -> str:
    """The stored form of a dedupe key: its first word, then a keyed hash of the whole key."""
    digest = hmac.new(_key, key.encode(), hashlib.sha256).hexdigest()[:40]
    return f"{key.partition(':')[0][:40]}:{digest}"


async def enqueue(
    session: AsyncSession,
    chat_id: int,
    kind: str,
    payload: dict[str, Any],
    dedupe_key: str,
    now: dt.datetime | None = None,
) -> None:
    """Owe `chat_id` a message; the same dedupe_key twice is written once.

    The key may name whatever makes the obligation unique (ids included): it is stored
    only as `dedupe(dedupe_key)`.
    """
    now = now or utcnow()
    values = dict(
        chat_id=chat_id,
        kind=kind,
        payload=payload,
        dedupe_key=dedupe(dedupe_key),
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    await session.execute(stmt)
    owe(session)


def _delete_rows(*conditions: Any):
    # rows are never loaded in the sessions that delete them: no need to look for them there
    return delete(OutboxMessage).where(*conditions).execution_options(synchronize_session=False)


async def forget_chat(session: AsyncSession, chat_id: int) -> dict[int, int]:
    """Delete every row owed to this chat, sent or not; returns {broadcast id: rows deleted}."""
    counts = await session.execute(
        select(OutboxMessage.broadcast_id, func.count())
        .where(OutboxMessage.chat_id == chat_id, OutboxMessage.broadcast_id.is_not(None))
        .group_by(OutboxMessage.broadcast_id)
    )
    per_broadcast = {broadcast: n for broadcast, n in counts}
    await session.execute(_delete_rows(OutboxMessage.chat_id == chat_id))
    return per_broadcast


async def drop_about(session: AsyncSession, field: str, ids: list[int]) -> None:
    """Delete rows whose payload names one of these records (`{"signup": 7}`).

    They would say nothing once the records are gone, and until sent some carry words
    the person wrote. Sent rows have no payload left and are not touched.
    """
    if ids:
        await session.execute(_delete_rows(OutboxMessage.payload[field].as_integer().in_(ids)))


async def purge(session: AsyncSession, keep_days: float, now: dt.datetime | None = None) -> int:
    """Delete rows sent or given up more than `keep_days` ago; rows still owed stay."""
    limit = (now or utcnow()) - dt.timedelta(days=keep_days)
    result = await session.execute(
        _delete_rows(
            or_(
                (OutboxMessage.status == "sent") & (OutboxMessage.sent_at < limit),
                (OutboxMessage.status == "failed") & (OutboxMessage.next_attempt_at < limit),
            )
        )
    )
    await session.commit()
    return result.rowcount or 0


class Permanent(Exception):
    """Sending can never succeed (the person blocked the bot, the chat is gone)."""

    def __init__(self, reason: str, *, blocked: bool = False):
        super().__init__(reason)
        self.blocked = blocked


class RetryAfter(Exception):
    def __init__(self, seconds: float):
        super().__init__(seconds)
        self.seconds = seconds


@dataclass(slots=True)
class Outcome:
    sent: int = 0
    failed: int = 0
    retried: int = 0


Sender = Callable[[OutboxMessage], Awaitable[None]]


class Pace:
    """Telegram's sending limits kept on our side, so that 429s stay the exception.

    At most `per_second` messages in total (evenly spaced), one per `chat_gap` seconds to
    the same private chat, `group_per_minute` to the same group (negative chat ids).
    """

    def __init__(self, per_second: float = 30.0, chat_gap: float = 1.0, group_per_minute: int = 20):
        self.interval = 1.0 / per_second
        self.chat_gap, self.group_per_minute = chat_gap, group_per_minute
        self.next_free = 0.0
        self.last: dict[int, float] = {}
        self.groups: dict[int, deque[float]] = defaultdict(deque)

    def ready_at(self, chat_id: int, now: float) -> float:
        """When this chat may get its next message (monotonic seconds)."""
        if chat_id < 0:
            sent = self.groups[chat_id]
            while sent and sent[0] <= now - 60:
                sent.popleft()
            return now if len(sent) < self.group_per_minute else sent[0] + 60
        last = self.last.get(chat_id)
        return now if last is None else max(now, last + self.chat_gap)

    async def turn(self) -> None:
        """Wait for the next free slot of the overall rate."""
        now = time.monotonic()
        if self.next_free > now:
            await asyncio.sleep(self.next_free - now)
            now = time.monotonic()
        self.next_free = max(now, self.next_free) + self.interval

    def sent(self, chat_id: int) -> None:
        now = time.monotonic()
        if chat_id < 0:
            self.groups[chat_id].append(now)
        else:
            self.last[chat_id] = now
            if len(self.last) > 50_000:  # forget chats whose gap is long over
                self.last = {c: t for c, t in self.last.items() if t > now - self.chat_gap}

    def pause(self, seconds: float) -> None:
        """Telegram said 429: nobody gets anything until `seconds` have passed."""
        self.next_free = max(self.next_free, time.monotonic() + seconds)


class OutboxWorker:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        send: Sender,
        *,
        batch: int = 20,
        max_attempts: int = 8,
        idle_seconds: float = 0.5,
        stale_after: dt.timedelta = dt.timedelta(minutes=2),
        pace: Pace | None = None,
        on_blocked: Callable[[int], Awaitable[None]] | None = None,
        when_idle: Callable[[], Awaitable[None]] | None = None,
        outage: OutageMonitor | None = None,
    ):
        self.sessionmaker, self.send = sessionmaker, send
        self.batch, self.max_attempts, self.idle_seconds = batch, max_attempts, idle_seconds
        self.stale_after = stale_after
        self.pace = pace or Pace()
        self.on_blocked = on_blocked
        self.when_idle = when_idle  # e.g. noticing finished broadcasts
        self.outage = outage  # an unreachable database is logged there, once, not on every pass
        self.wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._stopping = False

    # -- one pass ---------------------------------------------------------------------
    async def _claim(self, now: dt.datetime) -> list[OutboxMessage]:
        async with self.sessionmaker() as session, session.begin():
            stale = now - self.stale_after
            query = (
                select(OutboxMessage)
                .where(
                    or_(
                        (OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now),
                        (OutboxMessage.status == "sending") & (OutboxMessage.next_attempt_at <= stale),
                    )
                )
                .order_by(OutboxMessage.id)
                .limit(self.batch)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = list(await session.scalars(query))
            for row in rows:
                row.status, row.next_attempt_at = "sending", now
            return rows

    async def _finish(self, row_id: int, **values: Any) -> None:
        async with self.sessionmaker() as session, session.begin():
            await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(**values))

    async def run_once(self, now: dt.datetime | None = None) -> Outcome:
        """Send what is due now; returns what happened (for tests and the CLI)."""
        outcome = Outcome()
        rows = await self._claim(now or utcnow())
        done = 0
        try:
            for row in rows:
                if self._stopping:  # between two messages: the rest goes back at once
                    await self._release(rows[done:], outcome)
                    break
                if await self._deliver(row, outcome):
                    done += 1
                    continue
                done += 1
                # Telegram asked everybody to wait: the rest of the batch goes back
                await self._release(rows[done:], outcome)
                break
        except asyncio.CancelledError:
            # stopped in the middle: unsent rows go back at once instead of waiting to be stale
            await asyncio.shield(self._release(rows[done + 1 :], outcome))
            raise
        return outcome

    async def _release(self, rows: list[OutboxMessage], outcome: Outcome) -> None:
        if not rows:
            return
        ids = [r.id for r in rows]
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.status == "sending")
                .values(status="pending", next_attempt_at=utcnow())
            )
        outcome.retried += len(rows)

    async def _deliver(self, row: OutboxMessage, outcome: Outcome) -> bool:
        """Send one row and record the result; False when Telegram asks everybody to wait."""
        ready = self.pace.ready_at(row.chat_id, time.monotonic())
        wait = ready - time.monotonic()
        if wait > 0.05:  # this chat had a message just now: later, without costing an attempt
            await self._finish(
                row.id, status="pending", next_attempt_at=utcnow() + dt.timedelta(seconds=wait)
            )
            outcome.retried += 1
            return True
        await self.pace.turn()
        try:
            await self.send(row)
        except RetryAfter as exc:
            self.pace.pause(exc.seconds)
            await self._finish(
                row.id, status="pending", next_attempt_at=utcnow() + dt.timedelta(seconds=exc.seconds)
            )
            outcome.retried += 1
            return False
        except Permanent as exc:
            await self._finish(row.id, status="failed", last_error=str(exc)[:200], payload={})
            outcome.failed += 1
            if exc.blocked and self.on_blocked is not None:
                await self.on_blocked(row.chat_id)
        except Exception as exc:  # network errors, 5xx: back off and try again
            attempts = row.attempts + 1
            if attempts >= self.max_attempts:
                await self._finish(
                    row.id, status="failed", attempts=attempts, last_error=type(exc).__name__, payload={}
                )
                outcome.failed += 1
            else:
                delay = dt.timedelta(seconds=min(2**attempts, 600))
                await self._finish(
                    row.id,
                    status="pending",
                    attempts=attempts,
                    next_attempt_at=utcnow() + delay,
                    last_error=type(exc).__name__,
                )
                outcome.retried += 1
            log.warning("outbox row %s not sent (%s), attempt %s", row.id, type(exc).__name__, attempts)
        else:
            self.pace.sent(row.chat_id)
            await self._finish(row.id, status="sent", sent_at=utcnow(), payload={})
            outcome.sent += 1
        return True

    # -- background ---------------------------------------------------------------------
    def _failed(self, what: str, exc: Exception) -> None:
        if self.outage is None or not self.outage.report(exc):
            log.exception(what)

    async def _rest(self, seconds: float) -> None:
        self.wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), seconds)

    async def _loop(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                outcome = await self.run_once()
            except Exception as exc:
                # the database may be gone: try again less and less often (a wake still comes at once)
                failures += 1
                self._failed("outbox pass failed", exc)
                await self._rest(min(self.idle_seconds * 2**failures, MAX_REST_SECONDS))
                continue
            if failures and self.outage is not None:
                self.outage.works(DATABASE)
            failures = 0
            if outcome.sent or outcome.failed or outcome.retried:
                continue  # more may be waiting
            if self.when_idle is not None:
                try:
                    await self.when_idle()
                except Exception as exc:
                    self._failed("idle work failed", exc)
            if self._stopping:
                break
            await self._rest(self.idle_seconds)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="outbox-worker")

    async def stop(self, grace: float = 5.0) -> None:
        """Finish the message in flight, give the rest back; cancel only after `grace` seconds.

        Cancelling while a message is in flight could leave it sent but not marked,
        and the next worker would send it again.
        """
        if self._task is not None:
            self._stopping = True
            self.wake.set()
            try:
                await asyncio.wait_for(asyncio.shield(self._task), grace)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None
            self._stopping = False
