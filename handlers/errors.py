"""Last line of defence: log the failure (no personal data) and apologise.

A failed button press is answered as a press (an alert), never left spinning and never
followed by a chat message; a failed message gets the apology in the chat. Expected odd
input (stale, replayed, forged or garbled buttons) never gets here: the handlers answer it.
"""

from __future__ import annotations

import contextlib
import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import CallbackQuery, ErrorEvent
from aiogram.utils.i18n import gettext as _

log = logging.getLogger(__name__)


async def _answer(bot: Bot, query: CallbackQuery, text: str | None = None) -> None:
    """Answer a press unless the handler did (Telegram refuses a second answer)."""
    if getattr(bot.session, "was_answered", lambda _id: False)(query.id):
        return
    with contextlib.suppress(TelegramAPIError):
        await query.answer(text, show_alert=bool(text))


async def on_error(event: ErrorEvent, bot: Bot) -> bool:
    # the exception type and update id only: message texts may hold personal data
    query = event.update.callback_query
    if isinstance(event.exception, TelegramBadRequest) and "not modified" in event.exception.message:
        # a button pressed twice (a double tap, a replayed update): the message already shows it
        if query is not None:
            await _answer(bot, query)
        return True
    log.error("update %s failed: %s", event.update.update_id, type(event.exception).__name__)
    if query is not None:
        await _answer(bot, query, _("Sorry, something went wrong. Please try again."))
        return True
    message = event.update.message
    if message is not None:
        try:
            await message.answer(_("Sorry, something went wrong. Please try again."))
        except Exception:
            log.warning("could not send the apology for update %s", event.update.update_id)
    return True


def make_router() -> Router:
    """A fresh router (aiogram attaches a router to one dispatcher only)."""
    router = Router(name="errors")
    router.errors.register(on_error)
    return router
