"""Outbox rows become Telegram messages, in the recipient's language, at sending time.

Rows hold ids, not texts (except relayed messages until they are sent), so the
notification shows the sign-up as it is now; an erased sign-up sends nothing.
Alongside runs the housekeeping: reminders of untouched sign-ups and erasure after
the retention period.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import StaffCb
from bot.i18n import pick_language
from bot.models import OutboxMessage, Signup
from bot.services import people, signups
from bot.services.outbox import OutboxWorker, Permanent, RetryAfter
from bot.settings import Settings
from bot.signup_texts import reply_keyboard, staff_card, staff_keyboard, status_label

log = logging.getLogger(__name__)


class Notifier:
    def __init__(
        self,
        bot: Bot,
        sessionmaker: async_sessionmaker[AsyncSession],
        i18n: I18n,
        district_names: dict[int, str],
        default_language: str = "de",
    ):
        self.bot, self.sessionmaker, self.i18n = bot, sessionmaker, i18n
        self.district_names, self.default_language = district_names, default_language

    async def render(
        self, session: AsyncSession, row: OutboxMessage
    ) -> tuple[str, InlineKeyboardMarkup | None] | None:
        p = row.payload or {}
        signup = await session.get(Signup, p["signup"]) if "signup" in p else None
        if "signup" in p and signup is None:
            return None  # erased meanwhile: nothing left to say
        if row.kind in ("signup_new", "signup_reminder"):
            district = self.district_names.get(signup.district_number) if signup.district_number else None
            area = await signups.area_name(session, signup.planning_area_id)
            text = staff_card(signup, district, area)
            if row.kind == "signup_reminder":
                text = "⏰ " + _("This sign-up is still waiting for an answer.") + "\n" + text
            return text, staff_keyboard(signup.id)
        if row.kind == "signup_status":
            text = _("Your sign-up {ref}: {status}.").format(ref=signup.ref, status=status_label(p["status"]))
            if p["status"] == "placed" and signup.status_note:
                text += "\n" + _("Note from the coordination: {note}").format(
                    note=html.escape(signup.status_note)
                )
            return text, reply_keyboard(signup.id) if signup.contact_via == "bot" else None
        if row.kind == "signup_withdrawn":
            return _(
                "Sign-up {ref} has been withdrawn by the person; its data is no longer available."
            ).format(ref=p["ref"]), None
        if row.kind == "relay_to_person":
            head = _("✉ Message from your district coordination about your sign-up {ref}:").format(
                ref=signup.ref
            )
            return f"{head}\n\n{html.escape(p['text'])}", reply_keyboard(signup.id)
        if row.kind == "relay_to_staff":
            head = _("✉ Answer from the person of sign-up {ref}:").format(ref=signup.ref)
            button = InlineKeyboardButton(
                text="✉ " + _("Write to the person"),
                callback_data=StaffCb(action="write", sid=signup.id).pack(),
            )
            return f"{head}\n\n{html.escape(p['text'])}", InlineKeyboardMarkup(inline_keyboard=[[button]])
        log.error("outbox row %s has unknown kind %s", row.id, row.kind)
        raise Permanent("unknown kind")

    async def send(self, row: OutboxMessage) -> None:
        async with self.sessionmaker() as session:
            chosen, reported = await people.languages_of_chat(session, row.chat_id)
            lang = pick_language(chosen, reported, self.default_language)
            with self.i18n.context(), self.i18n.use_locale(lang):
                rendered = await self.render(session, row)
        if rendered is None:
            return
        text, markup = rendered
        try:
            await self.bot.send_message(row.chat_id, text, reply_markup=markup)
        except TelegramRetryAfter as exc:
            raise RetryAfter(exc.retry_after) from exc
        except TelegramForbiddenError as exc:
            raise Permanent("blocked by the person") from exc
        except TelegramBadRequest as exc:
            raise Permanent(exc.message[:150]) from exc


async def housekeeping(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> tuple[int, int]:
    async with sessionmaker() as session:
        reminded = await signups.remind_stale(session, settings.signup_reminder_days, settings.admin_ids)
    async with sessionmaker() as session:
        erased = await signups.erase_expired(session, settings.signup_retention_days)
    if reminded or erased:
        log.info("housekeeping: %s reminders, %s sign-ups erased", reminded, erased)
    return reminded, erased


def setup_background(
    dp: Dispatcher, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    """Start the outbox worker and the housekeeping with the bot, stop them with it."""

    async def on_startup(bot: Bot, dispatcher: Dispatcher) -> None:
        notifier = Notifier(
            bot,
            sessionmaker,
            dispatcher["i18n_instance"],
            dispatcher["assistant"].engine.district_names,
            settings.default_language,
        )
        worker = OutboxWorker(sessionmaker, notifier.send)
        worker.start()
        dispatcher["outbox_worker"] = worker

        async def maintain() -> None:
            while True:
                try:
                    await housekeeping(sessionmaker, settings)
                    worker.wake.set()
                except Exception:
                    log.exception("housekeeping failed")
                await asyncio.sleep(settings.maintenance_seconds)

        dispatcher["housekeeping_task"] = asyncio.create_task(maintain(), name="housekeeping")

    async def on_shutdown(dispatcher: Dispatcher) -> None:
        task = dispatcher.workflow_data.pop("housekeeping_task", None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        worker = dispatcher.workflow_data.pop("outbox_worker", None)
        if worker is not None:
            await worker.stop()

    dp.startup.register(on_startup)
    dp.shutdown.register(on_shutdown)
