"""Replies to a person are sent again after Telegram's "429 Too Many Requests, retry after N".

A request middleware on the bot's session: a call refused with TelegramRetryAfter waits
the seconds Telegram names and is made again, at most `attempts` times in all and never
waiting longer than `max_wait` seconds together (then the error stands, and the errors
router apologises). Before, such a reply was lost.

The outbox worker is not retried here: it has its own pace, which stops sending to
everybody for that long (bot/services/outbox.py), and marks its calls with
`paced_elsewhere()`. getUpdates is not retried either: polling has its own backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import GetUpdates, Response, TelegramMethod
from aiogram.methods.base import TelegramType

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger(__name__)
_PACED_ELSEWHERE: ContextVar[bool] = ContextVar("quartier_paced_elsewhere", default=False)


@contextlib.contextmanager
def paced_elsewhere() -> Iterator[None]:
    """Calls made in this block are not retried here (their caller handles the 429)."""
    token = _PACED_ELSEWHERE.set(True)
    try:
        yield
    finally:
        _PACED_ELSEWHERE.reset(token)


class RetryAfterMiddleware(BaseRequestMiddleware):
    def __init__(self, attempts: int = 3, max_wait: float = 30.0):
        self.attempts, self.max_wait = max(1, attempts), max_wait

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if _PACED_ELSEWHERE.get() or isinstance(method, GetUpdates):
            return await make_request(bot, method)
        waited = 0.0
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt == self.attempts or waited + exc.retry_after > self.max_wait:
                    raise
                log.info(
                    "Telegram asked to wait %s s before %s (attempt %s)",
                    exc.retry_after,
                    method.__api_method__,
                    attempt,
                )
                await asyncio.sleep(exc.retry_after)
                waited += exc.retry_after
        raise AssertionError("unreachable")  # the last attempt returns or raises
