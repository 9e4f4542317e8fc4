"""Last line of defence: the person always hears back, the log gets one line without personal data.

An update that fails because the database or Redis cannot be reached gets the translated
"gerade gestört, bitte später noch einmal" note and is logged by the outage monitor (once
per outage, see bot/outage.py); any other failure gets an apology and one line with the
update id and the exception type. A failed button press is answered as a press (an alert),
never left spinning and never followed by a chat message; a press the handler already answered
is not answered twice (Telegram refuses that). Expected odd input (stale, replayed, forged or
garbled buttons) never gets here: the handlers answer it.

The failure may have happened before the update's language was known (the person record
comes from the database, the conversation state from Redis), so the language is worked
out here again from what there is.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import CallbackQuery, ErrorEvent, Message, User
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.i18n import pick_language
from bot.outage import OutageMonitor

log = logging.getLogger(__name__)


def _language(data: dict[str, Any], i18n: I18n) -> str:
    if lang := data.get("i18n_lang"):
        return lang
    person = data.get("person")
    user: User | None = data.get("event_from_user")
    return pick_language(
        getattr(person, "language", None), getattr(user, "language_code", None), i18n.default_locale
    )


async def _answer(bot: Bot, query: CallbackQuery, text: str | None = None) -> None:
    """Answer a press unless the handler did (Telegram refuses a second answer)."""
    if getattr(bot.session, "was_answered", lambda _id: False)(query.id):
        return
    with contextlib.suppress(TelegramAPIError):
        await query.answer(text, show_alert=bool(text))


async def on_error(event: ErrorEvent, bot: Bot, **data: Any) -> bool:
    update, exc = event.update, event.exception
    query: CallbackQuery | None = update.callback_query
    if isinstance(exc, TelegramBadRequest) and "not modified" in exc.message:
        # a button pressed twice (a double tap, a replayed update): the message already shows it
        if query is not None:
            await _answer(bot, query)
        return True
    outage: OutageMonitor | None = data.get("outage")
    down = outage is not None and outage.report(exc, turned_away=True)
    if not down:
        # the exception type and update id only: message texts may hold personal data
        log.error("update %s failed: %s", update.update_id, type(exc).__name__)
    i18n: I18n | None = data.get("i18n_instance")
    message: Message | None = update.message
    if i18n is None:
        if query is not None:
            await _answer(bot, query)
        return True
    with i18n.context(), i18n.use_locale(_language(data, i18n)):
        text = (
            _("Sorry, the service is disrupted right now. Please try again later.")
            if down
            else _("Sorry, something went wrong. Please try again.")
        )
    if query is not None:
        await _answer(bot, query, text)
        return True
    if message is not None:
        try:
            await message.answer(text)
        except Exception as exc_sending:
            log.warning("could not answer update %s (%s)", update.update_id, type(exc_sending).__name__)
    return True


def make_router() -> Router:
    """A fresh router (aiogram attaches a router to one dispatcher only)."""
    router = Router(name="errors")
    router.errors.register(on_error)
    return router
