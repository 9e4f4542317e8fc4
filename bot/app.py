"""Start the bot: long polling by default, a webhook with secret-token check when configured.

Webhook mode refuses to start without a usable secret (Settings.webhook_problem), before
the database or Telegram is touched: `quartier run` checks it first as well.
"""

from __future__ import annotations

import asyncio
import gc
import logging

from aiogram import Bot, Dispatcher
from aiohttp import web

from bot.factory import build_dispatcher, make_bot, set_commands
from bot.settings import Settings
from bot.webhook import make_webhook_app
from knowledge.db import make_engine, prepare_database
from knowledge.index import load_index

log = logging.getLogger(__name__)


class WebhookRefused(RuntimeError):
    """The webhook settings would let anyone post updates; the message says what to set."""


async def prepare(settings: Settings) -> tuple[Bot, Dispatcher]:
    engine = make_engine(settings.database_url)
    await prepare_database(engine)
    search = await load_index(engine, dates_confirmed_months=settings.dates_confirmed_months)
    # the index lives as long as the process: the cyclic collector need not walk it on every
    # pass (its pauses grew with the index and showed in the slowest answers)
    gc.freeze()
    dp = build_dispatcher(settings, engine, search)
    dp["engine"] = engine
    bot = make_bot(settings.bot_token or "", settings.telegram_api_base, metrics=dp["metrics"])
    return bot, dp


async def run_polling(settings: Settings) -> None:
    bot, dp = await prepare(settings)
    try:
        await set_commands(bot, dp["i18n_instance"])
        await bot.delete_webhook(drop_pending_updates=False)
        log.info("polling for updates")
        await dp.start_polling(bot, handle_signals=False)
    finally:
        await bot.session.close()
        await dp["engine"].dispose()


async def run_webhook(settings: Settings) -> None:
    if problem := settings.webhook_problem():
        raise WebhookRefused(problem)
    bot, dp = await prepare(settings)
    app = make_webhook_app(dp, bot, settings)
    await set_commands(bot, dp["i18n_instance"])
    await bot.set_webhook(settings.webhook_url or "", secret_token=settings.webhook_secret)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, settings.webhook_host, settings.webhook_port).start()
    log.info("webhook listening on %s:%s", settings.webhook_host, settings.webhook_port)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        await bot.session.close()
        await dp["engine"].dispose()
