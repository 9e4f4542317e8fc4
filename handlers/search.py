"""Free text and shared locations are questions; anything else gets a friendly hint."""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.filters import LOCATION, SLASH, TEXT, Question, private_only
from bot.i18n import LANGUAGE_NAMES
from bot.models import Person
from bot.services.assistant import Assistant
from handlers import volunteer
from handlers.sending import MAX_QUESTION, next_question, send_all


async def question(
    message: Message,
    session: AsyncSession,
    assistant: Assistant,
    state: FSMContext,
    person: Person,
    i18n_lang: str,
) -> None:
    text = message.text.strip()[:MAX_QUESTION]
    if not text:
        await message.answer(_("Please write what you are looking for."))
        return
    q = await next_question(state, text)
    reply = await assistant.ask(session, text, i18n_lang, q=q, record=person.counted)
    if reply.signup:
        await volunteer.begin(message, state, person, assistant, reply.district)
        return
    await send_all(message, reply.messages)
    if reply.foreign and not (await state.get_data()).get("told_languages"):
        # once per conversation: which languages the bot speaks, and which one it uses
        await state.update_data(told_languages=True)
        await message.answer(
            _(
                "I can answer in German, English, Turkish, Arabic, Ukrainian and Russian, "
                "so I answered in {language}. /language changes it."
            ).format(language=LANGUAGE_NAMES.get(reply.language or i18n_lang, i18n_lang))
        )


async def location(
    message: Message,
    session: AsyncSession,
    assistant: Assistant,
    state: FSMContext,
    person: Person,
    i18n_lang: str,
) -> None:
    # a location right after a question answers that question for this point
    data = await state.get_data()
    text = data.get("text") if data.get("lat") is None else ""
    lat, lon = message.location.latitude, message.location.longitude
    q = await next_question(state, text or "", lat, lon)
    reply = await assistant.ask(session, text or "", i18n_lang, q=q, lat=lat, lon=lon, record=person.counted)
    await send_all(message, reply.messages)


async def unknown_command(message: Message) -> None:
    await message.answer(_("I do not know this command. /help shows what I can do."))


async def other(message: Message) -> None:
    await message.answer(
        _(
            "I understand text and shared locations. Write what you are looking for, "
            "or press “Offers near me”."
        )
    )


def make_question_router() -> Router:
    """The most common update, a question typed outside any form, without passing every router.

    Nothing else handles plain text when no form is open and it is not a menu button, so
    this router goes first; a typed message otherwise passed some 45 filters of the
    command, button and form handlers before it reached `question`.
    """
    router = private_only(Router(name="questions"))
    router.message.register(question, Question(keyboards.MENU))
    return router


def make_router() -> Router:
    """A fresh router (aiogram attaches a router to one dispatcher only)."""
    router = private_only(Router(name="search"))
    router.message.register(question, TEXT)
    router.message.register(location, LOCATION)
    router.message.register(unknown_command, SLASH)
    router.message.register(other)
    return router
