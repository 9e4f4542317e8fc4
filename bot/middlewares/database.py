"""One database session per update, opened on first use, committed when the handler succeeds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.outage import DATABASE, REDIS, OutageMonitor, StoreUnavailable
from bot.services.outbox import owes


class UpdateSession:
    """Stands in for the update's AsyncSession and opens it only when something uses it.

    Most updates are questions: the person comes from the cache, the search from memory,
    and the database is never asked. Opening, committing and closing an AsyncSession
    anyway cost about a fifth of such an update's CPU (benchmarks/chat.py). Everything
    not defined here goes to the real session, which is opened at that moment.

    `add` is deferred while the session is closed: adding a detached record (the cached
    person) issues no SQL, so it can wait until the session opens; changes made to it in
    the meantime are flushed then, or by `commit` at the end of the update.
    """

    __slots__ = ("_added", "_maker", "_outage", "_session")

    def __init__(self, maker: async_sessionmaker[AsyncSession], outage: OutageMonitor | None = None):
        self._maker = maker
        self._outage = outage
        self._session: AsyncSession | None = None
        self._added: list[Any] = []

    @property
    def opened(self) -> AsyncSession | None:
        return self._session

    def open(self) -> AsyncSession:
        if self._session is None:
            outage = self._outage
            if outage is not None and outage.down and not outage.may_try(DATABASE):
                raise StoreUnavailable(DATABASE)  # at once, not after the pool's timeout
            self._session = self._maker()
            self._session.add_all(self._added)
            self._added.clear()
        return self._session

    def __getattr__(self, name: str) -> Any:
        return getattr(self.open(), name)

    def add(self, instance: Any) -> None:
        if self._session is None:
            self._added.append(instance)
        else:
            self._session.add(instance)

    async def commit(self) -> None:
        if self._session is None and any(inspect(obj).modified for obj in self._added):
            self.open()
        if self._session is not None and self._session.in_transaction():
            await self._session.commit()

    async def close(self) -> None:
        self._added.clear()
        if self._session is not None:
            await self._session.close()


class DbSessionMiddleware(BaseMiddleware):
    """Also tells the outage monitor when a store that was down answers again (see bot/outage.py)."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], outage: OutageMonitor | None = None):
        self.sessionmaker = sessionmaker
        self.outage = outage

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        outage = self.outage
        if outage is not None and outage.down and "raw_state" in data:
            outage.works(REDIS)  # the conversation state was just read (a no-op unless Redis was down)
        session = UpdateSession(self.sessionmaker, outage)
        data["session"] = session
        try:
            result = await handler(event, data)
            await session.commit()
        finally:
            await session.close()
        if outage is not None and outage.down and session.opened is not None:
            outage.works(DATABASE)
        worker = data.get("outbox_worker")
        if worker is not None and session.opened is not None and owes(session.opened):
            worker.wake.set()  # not on every update: each pass of the worker is a transaction
        return result
