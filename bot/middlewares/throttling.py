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
    def __init__(self, rate: float, burst: int):
        self.rate, self.burst = rate, burst
        self.state: dict[int, tuple[float, float, bool]] = {}  # tokens, stamp, warned

    async def take(self, key: int) -> tuple[bool, bool]:
        """(allowed, warn_now): warn only once per flood."""
        now = time.monotonic()
        tokens, stamp, warned = self.state.get(key, (float(self.burst), now, False))
        tokens = min(self.burst, tokens + (now - stamp) * self.rate)
        if tokens >= 1:
            self.state[key] = (tokens - 1, now, False)
            return True, False
        self.state[key] = (tokens, now, True)
        return False, not warned
        # old entries are small; a bot with very many people would prune here


class RedisBuckets:
    """Fixed one-second windows in Redis: INCR with expiry, shared by all workers."""

    def __init__(self, redis, rate: float, burst: int):
        self.redis, self.limit = redis, max(1, int(max(rate, burst)))

    async def take(self, key: int) -> tuple[bool, bool]:
        name = f"quartier:flood:{key}:{int(time.time())}"
        count = await self.redis.incr(name)
        if count == 1:
            await self.redis.expire(name, 2)
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
        return None
