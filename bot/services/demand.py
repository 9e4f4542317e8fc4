"""Anonymous evidence of need: what was asked where, never who asked.

The wording is kept only when nothing was found (scrubbed of numbers, addresses and
links, shortened) and erased after a retention period; people can opt out in /privacy.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.models import DemandRecord
from knowledge.monitoring.scrub import scrub
from knowledge.schedules import BERLIN
from knowledge.search import Answer


async def record(session: AsyncSession, answer: Answer, text: str | None = None) -> int:
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
        text=scrub(text) if text and answer.total == 0 else None,
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


async def erase_old_texts(session: AsyncSession, days: int) -> int:
    """Forget the wording of questions older than `days`; the anonymous counts stay."""
    limit = dt.datetime.now(BERLIN).date() - dt.timedelta(days=days)
    result = await session.execute(
        update(DemandRecord).where(DemandRecord.day < limit, DemandRecord.text.is_not(None)).values(text=None)
    )
    await session.commit()
    return result.rowcount or 0
