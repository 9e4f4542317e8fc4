"""Run a dispatcher's long polling in the background for as long as a block lasts."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiogram import Bot, Dispatcher


@contextlib.asynccontextmanager
async def polling(dp: Dispatcher, bot: Bot, *, poll_seconds: int = 1) -> AsyncIterator[asyncio.Task]:
    """Poll while the block runs; then stop cleanly and close the bot's HTTP session."""
    task = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=poll_seconds))
    try:
        yield task
    finally:
        with contextlib.suppress(RuntimeError):  # polling had not started yet
            await dp.stop_polling()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
        await bot.session.close()
