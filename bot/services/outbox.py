"""The durable outbox: messages the bot owes people, sent by a worker until delivered.

A cause (a sign-up, a status change, a relayed message) and its messages are written in
one transaction, so a crash after the commit loses nothing: the worker finds the rows
and sends them then. The worker claims rows before sending (on PostgreSQL with
FOR UPDATE SKIP LOCKED, so several bot processes can share one outbox), marks them sent
afterwards and clears their payload, so texts do not stay in the database.

Delivery is at least once: a crash between Telegram accepting a message and the row
being marked sent sends that one message again after the restart. Rows stuck in
`sending` for longer than `stale_after` go back to `pending`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.models import OutboxMessage

log = logging.getLogger(__name__)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def aware(when: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes for timezone-aware columns; they are UTC."""
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


async def enqueue(
    session: AsyncSession,
    chat_id: int,
    kind: str,
    payload: dict[str, Any],
    dedupe_key: str,
    now: dt.datetime | None = None,
) -> None:
    """Owe `chat_id` a message; the same dedupe_key twice is written once."""
    now = now or utcnow()
    values = dict(
        chat_id=chat_id,
        kind=kind,
        payload=payload,
        dedupe_key=dedupe_key[:120],
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    await session.execute(stmt)


class Permanent(Exception):
    """Sending can never succeed (the person blocked the bot, the chat is gone)."""


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


class OutboxWorker:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        send: Sender,
        *,
        batch: int = 20,
        max_attempts: int = 8,
        idle_seconds: float = 0.5,
        stale_after: dt.timedelta = dt.timedelta(minutes=5),
    ):
        self.sessionmaker, self.send = sessionmaker, send
        self.batch, self.max_attempts, self.idle_seconds = batch, max_attempts, idle_seconds
        self.stale_after = stale_after
        self.wake = asyncio.Event()
        self._task: asyncio.Task | None = None

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
        for i, row in enumerate(rows):
            try:
                await self.send(row)
            except RetryAfter as exc:
                # Telegram asks everybody to wait: give back this and the rest of the batch
                for rest in rows[i:]:
                    await self._finish(
                        rest.id,
                        status="pending",
                        next_attempt_at=utcnow() + dt.timedelta(seconds=exc.seconds),
                    )
                outcome.retried += len(rows) - i
                await asyncio.sleep(min(exc.seconds, 30))
                break
            except Permanent as exc:
                await self._finish(row.id, status="failed", last_error=str(exc)[:200], payload={})
                outcome.failed += 1
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
                await self._finish(row.id, status="sent", sent_at=utcnow(), payload={})
                outcome.sent += 1
        return outcome

    # -- background ---------------------------------------------------------------------
    async def _loop(self) -> None:
        while True:
            try:
                outcome = await self.run_once()
            except Exception:
                log.exception("outbox pass failed")
                outcome = Outcome()
            if outcome.sent or outcome.failed or outcome.retried:
                continue  # more may be waiting
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), self.idle_seconds)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="outbox-worker")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
