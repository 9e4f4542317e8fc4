"""Outbox rows become Telegram messages, in the recipient's language, at sending time.

Rows hold ids, not texts (except relayed messages until they are sent), so the
notification shows the sign-up as it is now; an erased sign-up sends nothing.
Cards and relayed answers sent to coordinators are remembered by their place in the
chat (`signups.track_card`) once Telegram accepted them; `card_edit` and `card_erased`
rows edit them in place (a crash between sending and remembering leaves that one card
as it was: it is still refused kindly when its buttons are pressed).
Alongside runs the housekeeping: reminders of untouched sign-ups, erasure after
the retention period, and deletion of outbox rows sent longer ago than
`outbox_keep_days`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import StaffCb
from bot.i18n import pick_language
from bot.models import Broadcast, Meeting, OutboxMessage, Partner, Signup
from bot.network_texts import meeting_keyboard, meeting_text, partner_keyboard, report_text
from bot.retry import paced_elsewhere
from bot.safe_html import NAME, TEXT, esc
from bot.services import demand, networks, outbox, people, signups
from bot.services.outbox import OutboxWorker, Pace, Permanent, RetryAfter
from bot.settings import Settings
from bot.signup_texts import (
    erased_card,
    reply_keyboard,
    staff_card,
    staff_keyboard,
    status_label,
    withdrawn_card,
)

log = logging.getLogger(__name__)


RELAYED = 3500  # a relayed message below its header stays within one message
NETWORK_KINDS = frozenset(
    {"broadcast", "broadcast_report", "meeting", "meeting_reminder", "partner_request", "partner_decision"}
)


@dataclass(slots=True)
class Note:
    text: str
    markup: InlineKeyboardMarkup | None = None
    photo: str | None = None  # a Telegram file_id
    document: str | None = None  # a Telegram file_id
    edit: int | None = None  # edit this message of the chat instead of sending a new one
    track: tuple[int, str] | None = None  # (sign-up id, card kind): remember where it was sent


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
        self._broadcasts: dict[int, tuple[str, str | None, str | None]] = {}  # a broadcast's text, read once

    async def render(self, session: AsyncSession, row: OutboxMessage) -> Note | None:
        p = row.payload or {}
        if row.kind in NETWORK_KINDS:
            return await self._render_network(session, row.kind, p)
        signup = await session.get(Signup, p["signup"]) if "signup" in p else None
        if "signup" in p and signup is None:
            return None  # erased meanwhile: nothing left to say
        if row.kind in ("signup_new", "signup_reminder"):
            if signup.status == "withdrawn":
                return None  # withdrawn before its card went out: the withdrawal notice says all
            district = self.district_names.get(signup.district_number) if signup.district_number else None
            area = await signups.area_name(session, signup.planning_area_id)
            text = staff_card(signup, district, area)
            if row.kind == "signup_reminder":
                text = "⏰ " + _("This sign-up is still waiting for an answer.") + "\n" + text
            return Note(text, staff_keyboard(signup.id, signup.status), track=(signup.id, "card"))
        if row.kind == "card_edit":
            if signup.status == "withdrawn":
                return Note(withdrawn_card(signup.ref), None, edit=p["message"])
            if p.get("card") != "card":
                return None
            district = self.district_names.get(signup.district_number) if signup.district_number else None
            area = await signups.area_name(session, signup.planning_area_id)
            return Note(
                staff_card(signup, district, area),
                staff_keyboard(signup.id, signup.status),
                edit=p["message"],
            )
        if row.kind == "card_erased":
            return Note(erased_card(p["ref"]), None, edit=p["message"])
        if row.kind == "signup_status":
            text = _("Your sign-up {ref}: {status}.").format(ref=signup.ref, status=status_label(p["status"]))
            if p["status"] == "placed" and signup.status_note:
                note = esc(signup.status_note, TEXT)
                text += "\n" + _("Note from the coordination: {note}").format(note=note)
            return Note(text, reply_keyboard(signup.id) if signup.contact_via == "bot" else None)
        if row.kind == "signup_withdrawn":
            return Note(
                _("Sign-up {ref} has been withdrawn by the person; its data is no longer available.").format(
                    ref=p["ref"]
                )
            )
        if row.kind == "relay_to_person":
            head = _("✉ Message from your district coordination about your sign-up {ref}:").format(
                ref=signup.ref
            )
            return Note(f"{head}\n\n{esc(p['text'], RELAYED)}", reply_keyboard(signup.id))
        if row.kind == "relay_to_staff":
            head = _("✉ Answer from the person of sign-up {ref}:").format(ref=signup.ref)
            button = InlineKeyboardButton(
                text="✉ " + _("Write to the person"),
                callback_data=StaffCb(action="write", sid=signup.id).pack(),
            )
            return Note(
                f"{head}\n\n{esc(p['text'], RELAYED)}",
                InlineKeyboardMarkup(inline_keyboard=[[button]]),
                track=(signup.id, "relay"),
            )
        log.error("outbox row %s has unknown kind %s", row.id, row.kind)
        raise Permanent("unknown kind")

    async def send(self, row: OutboxMessage) -> None:
        cached = (
            self._broadcasts.get((row.payload or {}).get("broadcast", -1))
            if row.kind == "broadcast"
            else None
        )
        if cached is not None:  # the same text for everybody: no database round trip per recipient
            await self._deliver(row.chat_id, Note(cached[0], None, *cached[1:]))
            return
        async with self.sessionmaker() as session:
            chosen, reported = await people.languages_of_chat(session, row.chat_id)
            lang = pick_language(chosen, reported, self.default_language)
            with self.i18n.context(), self.i18n.use_locale(lang):
                rendered = await self.render(session, row)
        if rendered is None:
            return
        message_id = await self._deliver(row.chat_id, rendered)
        if rendered.track is not None and message_id is not None:
            async with self.sessionmaker() as session:
                if await session.get(Signup, rendered.track[0]) is not None:  # not erased meanwhile
                    await signups.track_card(
                        session, rendered.track[0], row.chat_id, message_id, rendered.track[1]
                    )
                    await session.commit()

    async def _deliver(self, chat_id: int, note: Note) -> int | None:
        try:
            with paced_elsewhere():  # a 429 pauses the whole outbox (OutboxWorker), not just this row
                return await self._send(chat_id, note)
        except TelegramRetryAfter as exc:
            raise RetryAfter(exc.retry_after) from exc
        except TelegramForbiddenError as exc:
            raise Permanent("blocked by the person", blocked=True) from exc
        except TelegramBadRequest as exc:
            if note.edit is not None and "not modified" in exc.message:
                return None  # the card already says this
            raise Permanent(exc.message[:150]) from exc

    async def _send(self, chat_id: int, note: Note) -> int | None:
        if note.edit is not None:
            await self.bot.edit_message_text(
                text=note.text, chat_id=chat_id, message_id=note.edit, reply_markup=note.markup
            )
            return None
        if note.document:
            sent = await self.bot.send_document(
                chat_id, note.document, caption=note.text, reply_markup=note.markup
            )
        elif note.photo:
            sent = await self.bot.send_photo(chat_id, note.photo, caption=note.text, reply_markup=note.markup)
        else:
            sent = await self.bot.send_message(chat_id, note.text, reply_markup=note.markup)
        return getattr(sent, "message_id", None)

    async def _render_network(self, session: AsyncSession, kind: str, p: dict) -> Note | None:
        if kind == "broadcast":
            cached = self._broadcasts.get(p["broadcast"])
            if cached is None:
                b = await session.get(Broadcast, p["broadcast"])
                if b is None:
                    return None
                cached = self._broadcasts[p["broadcast"]] = (b.text, b.photo, b.document)
                while len(self._broadcasts) > 16:
                    self._broadcasts.pop(next(iter(self._broadcasts)))
            return Note(cached[0], None, *cached[1:])
        if kind == "broadcast_report":
            return Note(report_text(p["broadcast"], await networks.report(session, p["broadcast"])))
        if kind in ("meeting", "meeting_reminder"):
            meeting = await session.get(Meeting, p["meeting"])
            if meeting is None:
                return None
            text = meeting_text(meeting, self.district_names, self.i18n.current_locale)
            if kind == "meeting_reminder":
                text = "⏰ " + _("Tomorrow:") + "\n" + text
            return Note(text, meeting_keyboard(meeting.id))
        if kind in ("partner_request", "partner_decision"):
            partner = await session.get(Partner, p["partner"])
            if partner is None:
                return None
            district = esc(self.district_names.get(partner.district_number, ""), NAME)
            organisation = esc(partner.organisation, NAME)
            if kind == "partner_decision":
                text = (
                    _("Your organisation {name} is now a confirmed partner of the network {district}.")
                    if p.get("confirmed")
                    else _("Your registration of {name} for the network {district} was not confirmed.")
                )
                return Note(text.format(name=organisation, district=district))
            text = _("New partner registration for the network {district}: {name}").format(
                district=district, name=organisation
            )
            return Note(text, partner_keyboard(partner.id))
        return None


async def housekeeping(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> tuple[int, int]:
    async with sessionmaker() as session:
        reminded = await signups.remind_stale(session, settings.signup_reminder_days, settings.admin_ids)
    async with sessionmaker() as session:
        erased = await signups.erase_expired(session, settings.signup_retention_days)
    async with sessionmaker() as session:
        await networks.remind_meetings(session)
    async with sessionmaker() as session:
        await demand.erase_old_texts(session, settings.demand_text_days)
    async with sessionmaker() as session:
        purged = await outbox.purge(session, settings.outbox_keep_days)
    if reminded or erased or purged:
        log.info(
            "housekeeping: %s reminders, %s sign-ups erased, %s sent rows purged", reminded, erased, purged
        )
    return reminded, erased


def setup_background(
    dp: Dispatcher, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    """Start the outbox worker, the demand log and the housekeeping with the bot, stop them with it."""
    if settings.bot_token:
        outbox.use_key(settings.bot_token)

    async def on_startup(bot: Bot, dispatcher: Dispatcher) -> None:
        notifier = Notifier(
            bot,
            sessionmaker,
            dispatcher["i18n_instance"],
            dispatcher["assistant"].engine.district_names,
            settings.default_language,
        )

        async def reports() -> None:
            async with sessionmaker() as session:
                await networks.due_reports(session)

        async def blocked(chat_id: int) -> None:
            async with sessionmaker() as session:
                await networks.set_active(session, chat_id, False)

        worker = OutboxWorker(
            sessionmaker,
            notifier.send,
            pace=Pace(settings.outbox_per_second),
            stale_after=dt.timedelta(seconds=settings.outbox_stale_seconds),
            on_blocked=blocked,
            when_idle=reports,
            outage=dispatcher.workflow_data.get("outage"),
        )
        worker.start()
        dispatcher["outbox_worker"] = worker
        dispatcher["assistant"].demand.start()

        async def maintain() -> None:
            while True:
                try:
                    await housekeeping(sessionmaker, settings)
                    worker.wake.set()
                except Exception as exc:
                    outage = dispatcher.workflow_data.get("outage")
                    if outage is None or not outage.report(exc):
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
        await dispatcher["assistant"].demand.stop()  # the last second of counts is written

    dp.startup.register(on_startup)
    dp.shutdown.register(on_shutdown)
