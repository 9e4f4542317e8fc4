"""Anonymous evidence of need: what was asked where, never who asked.

The wording is kept only when nothing was found, and then only the words the assistant's
own vocabulary knows: catalogue words, district and place names, common function words of
the six languages; everything else is masked ("…"), special-category words (health,
religion, sexuality, origin, politics: Art. 9 GDPR) are masked even when known, and when no
useful word is left no wording is kept at all (the rule in full: knowledge.monitoring.scrub).
So no name, address or diagnosis is stored. The wording is erased after a retention
period; people can opt out in /privacy.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import secrets
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.outage import DATABASE, OutageMonitor
from knowledge.models import DemandRecord
from knowledge.monitoring.scrub import Wording
from knowledge.schedules import BERLIN
from knowledge.search import Answer

log = logging.getLogger(__name__)


def row_values(answer: Answer, text: str | None, wording: Wording | None = None) -> dict[str, Any]:
    """The anonymous row of one answer; without a `wording` no words of the question are kept."""
    u = answer.understanding
    nearest = next((r.distance_m for r in answer.results if r.distance_m is not None), None)
    return dict(
        day=dt.datetime.now(BERLIN).date(),
        district_number=u.place.district,
        intent=u.intent,
        categories=[k for k, _ in u.categories][:5],
        target_groups=list(u.target_groups),
        language=u.language,
        results=answer.total,
        nearest_m=None if nearest is None else round(nearest),
        not_helpful=False,
        text=wording.keep(text) if wording is not None and text and answer.total == 0 else None,
    )


def _random_refs(batch: int = 512) -> Iterator[int]:
    """Unguessable 62-bit references, read from the system's random source in blocks.

    A forged button must not hit somebody else's row, so the Mersenne Twister will not
    do; one system call per reference was a visible cost per question under load.
    """
    while True:
        block = secrets.token_bytes(8 * batch)
        for i in range(0, len(block), 8):
            if ref := int.from_bytes(block[i : i + 8], "big") >> 2:
                yield ref


class DemandLog:
    """Demand rows kept for a moment and written in batches by one background task.

    One transaction per question was, with the person lookup, most of the CPU an
    answer took under load (benchmarks/chat.py); one multi-row insert per second costs
    a fraction of that. A crash loses at most the last `flush_seconds` of anonymous
    counts, never anything a person entrusted to the bot; a normal stop writes them.
    Each row gets a random `ref` for the "not what I was looking for" button.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        flush_seconds: float = 1.0,
        batch: int = 500,
        backlog: int = 50_000,
        outage: OutageMonitor | None = None,
        wording: Wording | None = None,
        on_answer: Callable[[int], None] | None = None,
    ):
        self.sessionmaker = sessionmaker
        self.on_answer = on_answer  # told each answer's number of results (the metrics)
        self.outage = outage
        self.wording = wording
        self.flush_seconds, self.batch, self.backlog = flush_seconds, batch, backlog
        self.pending: dict[int, dict[str, Any]] = {}
        self._writing: dict[int, dict[str, Any]] = {}
        self._full = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task | None = None
        self._stopping = False
        self._refs = _random_refs()

    def add(self, answer: Answer, text: str | None = None) -> int:
        ref = next(self._refs)
        if self.on_answer is not None:
            self.on_answer(answer.total)
        self.pending[ref] = {**row_values(answer, text, self.wording), "ref": ref}
        if len(self.pending) >= self.batch:
            self._full.set()
        return ref

    async def flush(self) -> int:
        """Write what is pending; on failure the rows stay for the next attempt."""
        async with self._lock:
            rows, self.pending = self.pending, {}
            if not rows:
                return 0
            self._writing = rows
            try:
                async with self.sessionmaker() as session, session.begin():
                    await session.execute(insert(DemandRecord.__table__), list(rows.values()))
            except Exception as exc:
                kept = dict(list(rows.items())[-self.backlog :])
                self.pending = {**kept, **self.pending}
                if self.outage is None or not self.outage.is_down(DATABASE):
                    log.warning(
                        "%s demand rows not written yet (%s), kept %s",
                        len(rows),
                        type(exc).__name__,
                        len(kept),
                    )
                raise
            finally:
                self._writing = {}
            if self.outage is not None and self.outage.down:
                self.outage.works(DATABASE)
            return len(rows)

    async def mark_not_helpful(self, session: AsyncSession, ref: int) -> bool:
        row = self.pending.get(ref)
        if row is not None:
            row["not_helpful"] = True
            return True
        if ref in self._writing:
            async with self._lock:  # the row's batch is being written: wait for it
                pass
            if ref in self.pending:  # the batch failed and was kept
                self.pending[ref]["not_helpful"] = True
                return True
        result = await session.execute(
            update(DemandRecord).where(DemandRecord.ref == ref).values(not_helpful=True)
        )
        await session.flush()
        return bool(result.rowcount)

    async def _loop(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._full.wait(), self.flush_seconds)
            self._full.clear()
            try:
                await self.flush()
            except Exception as exc:
                if self.outage is None or not self.outage.report(exc):
                    log.exception("writing demand rows failed")

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._loop(), name="demand-log")

    async def stop(self) -> None:
        # not cancelled: a write cancelled half-way can leave SQLite's write lock held
        if self._task is not None:
            self._stopping = True
            self._full.set()
            await self._task
            self._task = None
        await self.flush()


async def erase_old_texts(session: AsyncSession, days: int) -> int:
    """Forget the wording of questions older than `days`; the anonymous counts stay."""
    limit = dt.datetime.now(BERLIN).date() - dt.timedelta(days=days)
    result = await session.execute(
        update(DemandRecord).where(DemandRecord.day < limit, DemandRecord.text.is_not(None)).values(text=None)
    )
    await session.commit()
    return result.rowcount or 0
