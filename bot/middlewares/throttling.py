"""Anti-flood: a token bucket per person; the first excess message gets one polite note.

In memory by default; with Redis the buckets are shared between bot processes.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, User
from aiogram.utils.i18n import gettext as _


class MemoryBuckets:
    PRUNE_EVERY = 10_000  # takes between sweeps of buckets that are full again

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self.state: dict[int, tuple[float, float, bool]] = {}  # tokens, stamp, warned
        self._takes = 0

    async def take(self, key: int) -> tuple[bool, bool]:
        """(allowed, warn_now): warn only once per flood."""
        now = self.clock()
        self._takes += 1
        if self._takes % self.PRUNE_EVERY == 0:
            self._prune(now)
        tokens, stamp, warned = self.state.get(key, (float(self.burst), now, False))
        tokens = min(self.burst, tokens + (now - stamp) * self.rate)
        if tokens >= 1:
            self.state[key] = (tokens - 1, now, False)
            return True, False
        self.state[key] = (tokens, now, True)
        return False, not warned

    def _prune(self, now: float) -> None:
        # a bucket that has refilled is the same as no bucket: forget it
        full_after = self.burst / self.rate if self.rate else float("inf")
        self.state = {k: v for k, v in self.state.items() if now - v[1] < full_after}


class RedisBuckets:
    """Fixed one-second windows in Redis, shared by all bot processes."""

    def __init__(self, redis, rate: float, burst: int, clock: Callable[[], float] = time.time):
        self.redis, self.limit, self.clock = redis, max(1, int(max(rate, burst))), clock

    async def take(self, key: int) -> tuple[bool, bool]:
        name = f"quartier:flood:{key}:{int(self.clock())}"
        # INCR and EXPIRE in one transaction: a crash between them would leave a key forever
        async with self.redis.pipeline(transaction=True) as pipe:
            count, _ = await pipe.incr(name).expire(name, 2).execute()
        return count <= self.limit, count == self.limit + 1


class ThrottlingMiddleware(BaseMiddleware):
    def __init__(self, buckets: MemoryBuckets | RedisBuckets):
        self.buckets = buckets

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None:
            return await handler(event, data)
        allowed, warn = await self.buckets.take(user.id)
        if allowed:
            return await handler(event, data)
        if warn:
            note = _("You are writing very fast. Please wait a moment, then I will answer again.")
            if isinstance(event, Message | CallbackQuery):
                await event.answer(note)
        elif isinstance(event, CallbackQuery):
            await event.answer()  # every press is answered, or the button keeps spinning
        return None
