"""The main menu's buttons: everything reachable without typing a question."""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.filters import button, private_only
from bot.models import Person
from bot.services.assistant import Assistant
from handlers.sending import next_question, send_all


async def my_district(
    message: Message,
    session: AsyncSession,
    person: Person,
    assistant: Assistant,
    state: FSMContext,
    i18n_lang: str,
) -> None:
    if person.home_district_number is None:
        await message.answer(
            _("In which district do you live? This helps me find offers near you (optional)."),
            reply_markup=keyboards.districts(assistant.engine.district_names),
        )
        return
    q = await next_question(state, assistant.engine.district_names[person.home_district_number])
    reply = await assistant.district_offers(
        session, person.home_district_number, i18n_lang, q, person.counted
    )
    await send_all(message, reply.messages)


async def upcoming(message: Message, person: Person, assistant: Assistant, i18n_lang: str) -> None:
    await send_all(message, assistant.upcoming(person.home_district_number, i18n_lang))


async def coordination(message: Message, person: Person, assistant: Assistant, i18n_lang: str) -> None:
    await send_all(message, assistant.coordination(person.home_district_number, i18n_lang))


def make_router() -> Router:
    """A fresh router (aiogram attaches a router to one dispatcher only)."""
    router = private_only(Router(name="menu"))
    router.message.register(my_district, button(keyboards.MY_DISTRICT))
    router.message.register(upcoming, button(keyboards.UPCOMING))
    router.message.register(coordination, button(keyboards.COORDINATION))
    return router
