"""The person record of whoever sent the update, created on first contact."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from bot.services import people


class PersonMiddleware(BaseMiddleware):
    def __init__(self, cache: people.PersonCache | None = None):
        self.cache = cache or people.PersonCache()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is not None and not user.is_bot:
            data["person"] = await people.current(data["session"], user.id, user.language_code, self.cache)
        return await handler(event, data)
