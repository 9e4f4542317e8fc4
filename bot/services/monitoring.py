"""The monitoring's figures for the chat: a coordinator sees their own areas, admins all."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Person
from bot.services import networks, signups
from knowledge.monitoring import maps
from knowledge.monitoring.tables import MIN_CELL, ReportData, collect, district_table


@dataclass(slots=True)
class Figures:
    data: ReportData
    districts: list[int]
    rows: list[dict[str, Any]]


async def key_figures(
    session: AsyncSession, actor: Person, admin_ids: list[int], date_from: dt.date, date_to: dt.date
) -> Figures:
    data = await collect(session, date_from, date_to, with_coverage=False)
    if signups.is_admin(actor, admin_ids):
        mine = [d.number for d in data.districts]
    else:
        mine = []
        for area in sorted(await signups.areas_of(session, actor)):
            mine += await networks.districts_of_area(session, area)
    wanted = {d.name for d in data.districts if d.number in mine}
    rows = [r for r in district_table(data, "de") if r["district"] in wanted]
    await signups.audit(session, actor, "stats", detail=f"{len(rows)} districts")
    await session.commit()
    return Figures(data, mine, rows)


def demand_map(figures: Figures, lang: str) -> bytes:
    data = figures.data
    values: dict[int, float | None] = {}
    for d in data.districts:
        n = data.questions.get(d.number, 0)
        if d.number in figures.districts and d.population and n >= MIN_CELL:
            values[d.number] = round(n / d.population * 1000, 2)
    return maps.choropleth(
        data.districts,
        values,
        title=f"Fragen je 1.000 Einwohner, {data.date_from:%d.%m.%Y}–{data.date_to:%d.%m.%Y}",
        legend="Fragen je 1.000 Einwohner (grau: weniger als 5 Fragen oder nicht Ihr Gebiet)",
    )
