"""Last line of defence: log the failure (no personal data) and apologise."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import ErrorEvent
from aiogram.utils.i18n import gettext as _

log = logging.getLogger(__name__)


async def on_error(event: ErrorEvent) -> bool:
    # the exception type and update id only: message texts may hold personal data
    log.error("update %s failed: %s", event.update.update_id, type(event.exception).__name__)
    message = event.update.message or (event.update.callback_query and event.update.callback_query.message)
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
