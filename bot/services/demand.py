"""Anonymous evidence of need: what was asked where, never who asked or the wording."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.models import DemandRecord
from knowledge.schedules import BERLIN
from knowledge.search import Answer


async def record(session: AsyncSession, answer: Answer) -> int:
    u = answer.understanding
    nearest = next((r.distance_m for r in answer.results if r.distance_m is not None), None)
    row = DemandRecord(
        day=dt.datetime.now(BERLIN).date(),
        district_number=u.place.district,
        intent=u.intent,
        categories=[k for k, _ in u.categories][:5],
        target_groups=list(u.target_groups),
        language=u.language,
        results=answer.total,
        nearest_m=None if nearest is None else round(nearest),
    )
    session.add(row)
    # commit at once: a write transaction held while the answer is sent would make
    # every other person's question wait for the database (SQLite has one writer)
    await session.commit()
    return row.id


async def mark_not_helpful(session: AsyncSession, record_id: int) -> bool:
    row = await session.get(DemandRecord, record_id)
    if row is None:
        return False
    row.not_helpful = True
    await session.flush()
    return True
