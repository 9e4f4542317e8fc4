"""Small helpers shared by handlers: send outgoing messages, count questions, refuse stale buttons."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Person
from bot.services import signups
from bot.services.assistant import Outgoing
from bot.settings import Settings

MAX_QUESTION = 500  # longer texts are cut before searching: a question is never that long


async def send_all(message: Message, outgoing: list[Outgoing]) -> None:
    for item in outgoing:
        await message.answer(item.text, reply_markup=item.markup)


async def next_question(
    state: FSMContext, text: str, lat: float | None = None, lon: float | None = None
) -> int:
    """Remember the question for paging; its number makes older buttons recognisable."""
    data = await state.get_data()
    q = int(data.get("q", 0)) + 1
    await state.update_data(q=q, text=text[:MAX_QUESTION], lat=lat, lon=lon, situation=None, shown=0)
    return q


async def stale_button(query: CallbackQuery) -> None:
    """A button whose question, form or record is gone (or was never real): say so, change nothing."""
    await query.answer(_("This button is out of date. Please ask again."), show_alert=True)


async def refuse_not_staff(target: Message | CallbackQuery) -> None:
    text = _("Sorry, this is only for the coordination of the district concerned.")
    if isinstance(target, CallbackQuery):
        await target.answer(text, show_alert=True)
    else:
        await target.answer(text)


async def staff_only(
    target: Message | CallbackQuery, session: AsyncSession, person: Person, settings: Settings, action: str
) -> bool:
    """True for coordinators and admins; anybody else is refused, and the refusal audited."""
    if await signups.is_staff(session, person, settings.admin_ids):
        return True
    await signups.audit(session, person, action, allowed=False)
    await session.commit()
    await refuse_not_staff(target)
    return False
