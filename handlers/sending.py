"""Small helpers shared by handlers: send a list of outgoing messages, count questions."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.services.assistant import Outgoing

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
    await state.update_data(q=q, text=text[:MAX_QUESTION], lat=lat, lon=lon)
    return q
