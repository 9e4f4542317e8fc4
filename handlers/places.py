"""Buttons under answers: map pin, calendar file, details, more results, feedback, the reading chosen."""

from __future__ import annotations

import contextlib

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import ClarifyCb, FeedbackCb, PageCb, PlaceCb
from bot.models import Person
from bot.safe_html import NAME, esc, plain
from bot.services.assistant import Assistant
from handlers.sending import send_all, stale_button


async def show_map(query: CallbackQuery, callback_data: PlaceCb, assistant: Assistant) -> None:
    f = assistant.facility(callback_data.fid)
    if f is None or f.lat is None:
        await stale_button(query)
        return
    await query.answer()
    await query.message.answer_venue(
        latitude=f.lat,
        longitude=f.lon,
        title=plain(f.name, 100) or "Karlsruhe",
        address=assistant.venue_address(f)[:200],
    )


async def calendar(query: CallbackQuery, callback_data: PlaceCb, assistant: Assistant) -> None:
    f = assistant.facility(callback_data.fid)
    if f is None:
        await stale_button(query)
        return
    document = assistant.calendar_file(f)
    if document is None:
        if f.schedules and not assistant.hours_current(f):
            # a button from an older answer, or a forged one: the hours are too old for dates
            text = _("The times of this place were not confirmed lately; please ask them before you go.")
        else:
            text = _("No upcoming dates are known for this place.")
        await query.answer(text, show_alert=True)
        return
    await query.answer()
    await query.message.answer_document(
        document, caption=_("Dates for your calendar: {name}").format(name=esc(f.name, NAME))
    )


async def details(query: CallbackQuery, callback_data: PlaceCb, assistant: Assistant, i18n_lang: str) -> None:
    f = assistant.facility(callback_data.fid)
    if f is None:
        await stale_button(query)
        return
    await query.answer()
    item = assistant.details(f, i18n_lang)
    await query.message.answer(item.text, reply_markup=item.markup)


async def _answer_again(
    query: CallbackQuery,
    data: dict,
    session: AsyncSession,
    assistant: Assistant,
    lang: str,
    q: int,
    **options,
) -> None:
    """The kept question answered again (another page, a chosen reading) under the pressed message."""
    await query.answer()
    if isinstance(query.message, Message) and query.message.reply_markup is not None:
        with contextlib.suppress(TelegramBadRequest):  # already gone: nothing to take away
            await query.message.edit_reply_markup(reply_markup=None)
    reply = await assistant.ask(
        session, data.get("text") or "", lang, q=q, lat=data.get("lat"), lon=data.get("lon"), **options
    )
    await send_all(query.message, reply.messages)


async def more(
    query: CallbackQuery,
    callback_data: PageCb,
    session: AsyncSession,
    assistant: Assistant,
    state: FSMContext,
    i18n_lang: str,
) -> None:
    data = await state.get_data()
    if data.get("q") != callback_data.q:
        await stale_button(query)
        return
    if callback_data.offset <= int(data.get("shown") or 0):
        # the same "more" pressed again (a double tap, a replayed update): the page is there
        await query.answer(_("These results are already shown above."))
        return
    await state.update_data(shown=callback_data.offset)
    await _answer_again(
        query,
        data,
        session,
        assistant,
        i18n_lang,
        callback_data.q,
        offset=callback_data.offset,
        situation=data.get("situation"),
    )


async def clarified(
    query: CallbackQuery,
    callback_data: ClarifyCb,
    session: AsyncSession,
    assistant: Assistant,
    state: FSMContext,
    person: Person,
    i18n_lang: str,
) -> None:
    """The person chose one reading of their question: answer it as that situation."""
    data = await state.get_data()
    if data.get("q") != callback_data.q or callback_data.s not in assistant.engine.situations:
        await stale_button(query)
        return
    await state.update_data(situation=callback_data.s)
    await _answer_again(
        query,
        data,
        session,
        assistant,
        i18n_lang,
        callback_data.q,
        situation=callback_data.s,
        record=person.counted,
    )


async def not_helpful(
    query: CallbackQuery,
    callback_data: FeedbackCb,
    session: AsyncSession,
    state: FSMContext,
    assistant: Assistant,
) -> None:
    data = await state.get_data()
    if data.get("q") != callback_data.q or not await assistant.demand.mark_not_helpful(
        session, callback_data.rec
    ):
        await stale_button(query)
        return
    await query.answer(_("Thank you! This helps the city see what is missing."), show_alert=True)


async def unknown_button(query: CallbackQuery) -> None:
    await stale_button(query)


def make_router() -> Router:
    """A fresh router (aiogram attaches a router to one dispatcher only)."""
    router = Router(name="places")
    router.callback_query.register(show_map, PlaceCb.filter(F.action == "map"))
    router.callback_query.register(calendar, PlaceCb.filter(F.action == "ics"))
    router.callback_query.register(details, PlaceCb.filter(F.action == "info"))
    router.callback_query.register(more, PageCb.filter())
    router.callback_query.register(clarified, ClarifyCb.filter())
    router.callback_query.register(not_helpful, FeedbackCb.filter())
    router.callback_query.register(unknown_button)
    return router
