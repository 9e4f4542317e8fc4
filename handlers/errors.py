"""Last line of defence: the person always hears back, the log gets one line without personal data.

An update that fails because the database or Redis cannot be reached gets the translated
"gerade gestört, bitte später noch einmal" note and is logged by the outage monitor (once
per outage, see bot/outage.py); any other failure gets an apology and one line with the
update id and the exception type. A button press is always answered, or it keeps spinning.

The failure may have happened before the update's language was known (the person record
comes from the database, the conversation state from Redis), so the language is worked
out here again from what there is.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Router
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


async def on_error(event: ErrorEvent, **data: Any) -> bool:
    update, exc = event.update, event.exception
    outage: OutageMonitor | None = data.get("outage")
    down = outage is not None and outage.report(exc, turned_away=True)
    if not down:
        # the exception type and update id only: message texts may hold personal data
        log.error("update %s failed: %s", update.update_id, type(exc).__name__)
    i18n: I18n | None = data.get("i18n_instance")
    query: CallbackQuery | None = update.callback_query
    message: Message | None = update.message or (query.message if query is not None else None)
    if i18n is None or (query is None and message is None):
        return True
    with i18n.context(), i18n.use_locale(_language(data, i18n)):
        text = (
            _("Sorry, the service is disrupted right now. Please try again later.")
            if down
            else _("Sorry, something went wrong. Please try again.")
        )
    try:
        if query is not None:
            await query.answer(text, show_alert=True)
        elif message is not None:
            await message.answer(text)
    except Exception as exc_sending:
        log.warning("could not answer update %s (%s)", update.update_id, type(exc_sending).__name__)
    return True


def make_router() -> Router:
    """A fresh router (aiogram attaches a router to one dispatcher only)."""
    router = Router(name="errors")
    router.errors.register(on_error)
    return router
