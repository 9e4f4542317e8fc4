"""/stats: the monitoring's key figures for a coordinator's own areas (admins: the city)."""

from __future__ import annotations

import asyncio
import datetime as dt

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import private_only
from bot.models import Person
from bot.safe_html import NAME, esc, fit
from bot.services import monitoring
from bot.settings import Settings
from handlers.sending import staff_only
from knowledge.monitoring.tables import SUPPRESSED

DAYS = 90


async def stats(
    message: Message, session: AsyncSession, person: Person, settings: Settings, i18n_lang: str
) -> None:
    if not await staff_only(message, session, person, settings, "stats"):
        return
    today = dt.date.today()
    figures = await monitoring.key_figures(
        session, person, settings.admin_ids, today - dt.timedelta(days=DAYS), today
    )
    lines = [
        _("<b>Questions of the last {days} days</b>").format(days=DAYS),
        _("Cells from fewer than 5 questions are shown as {suppressed}.").format(suppressed=esc(SUPPRESSED)),
    ]
    for row in figures.rows:
        lines.append(
            _("{district}: {questions} questions, {share} without a place nearby; most missed: {top}").format(
                district=esc(row["district"], NAME),
                questions=esc(row["questions"]),
                share=esc(_or_dash(row["share_without_nearby_answer"])),
                top=esc(row["top_unmet_categories"] or "–"),
            )
        )
    await message.answer(fit("\n".join(lines)))
    png = await asyncio.to_thread(monitoring.demand_map, figures, i18n_lang)
    await message.answer_photo(BufferedInputFile(png, filename="nachfrage.png"))


def _or_dash(value: object) -> object:
    return "–" if value is None else value


def make_router() -> Router:
    router = private_only(Router(name="monitoring"))
    router.message.register(stats, Command("stats"))
    return router
