"""Demand rows written in batches: nothing lost on a failed write or a normal stop."""

import asyncio
import datetime as dt

from sqlalchemy import func, select

from bot.services.demand import DemandLog
from knowledge.db import make_engine, make_sessionmaker
from knowledge.models import DemandRecord

NOW = dt.datetime(2026, 11, 25, 10, tzinfo=dt.UTC)


async def _count(sm, refs) -> int:
    async with sm() as s:
        return await s.scalar(select(func.count()).where(DemandRecord.ref.in_(list(refs))))


async def test_rows_are_written_in_one_batch(seeded_engine, knowledge):
    sm = make_sessionmaker(seeded_engine)
    log = DemandLog(sm)
    answers = [knowledge.search(q, now=NOW) for q in ("Seniorentreff Durlach", "Jugendhaus Südstadt")]
    refs = [log.add(a, q) for a, q in zip(answers, ("a", "b"), strict=True)]
    assert len(set(refs)) == 2 and await _count(sm, refs) == 0  # nothing written while answering
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    from sqlalchemy import event

    event.listen(seeded_engine.sync_engine, "before_cursor_execute", seen)
    try:
        assert await log.flush() == 2
    finally:
        event.remove(seeded_engine.sync_engine, "before_cursor_execute", seen)
    assert sum(s.lstrip().upper().startswith("INSERT") for s in statements) == 1
    assert await _count(sm, refs) == 2 and log.pending == {}
    assert await log.flush() == 0


async def test_a_failed_write_keeps_the_rows_for_the_next_one(seeded_engine, knowledge, tmp_path):
    broken = make_engine(f"sqlite+aiosqlite:///{tmp_path}/no_tables.db")  # no schema: the insert fails
    try:
        log = DemandLog(make_sessionmaker(broken))
        ref = log.add(knowledge.search("Seniorentreff Durlach", now=NOW), "Seniorentreff Durlach")
        try:
            await log.flush()
        except Exception:
            pass
        else:
            raise AssertionError("the write should have failed")
        assert ref in log.pending
        assert await log.mark_not_helpful(None, ref)  # still in memory: marked there
        log.sessionmaker = make_sessionmaker(seeded_engine)
        assert await log.flush() == 1
        async with log.sessionmaker() as s:
            row = await s.scalar(select(DemandRecord).where(DemandRecord.ref == ref))
        assert row.not_helpful is True and row.intent == "find_offers"
    finally:
        await broken.dispose()


async def test_not_helpful_finds_written_rows_and_refuses_unknown_ones(seeded_engine, knowledge):
    sm = make_sessionmaker(seeded_engine)
    log = DemandLog(sm)
    ref = log.add(knowledge.search("Elterncafé Mühlburg", now=NOW))
    await log.flush()
    async with sm() as s:
        assert await log.mark_not_helpful(s, ref)
        assert not await log.mark_not_helpful(s, ref + 1)
        await s.commit()
        assert await s.scalar(select(DemandRecord.not_helpful).where(DemandRecord.ref == ref)) is True


async def test_the_background_task_writes_and_a_stop_writes_the_rest(seeded_engine, knowledge):
    sm = make_sessionmaker(seeded_engine)
    log = DemandLog(sm, flush_seconds=60, batch=3)
    answer = knowledge.search("Bürgerverein Daxlanden", now=NOW)
    log.start()
    try:
        refs = [log.add(answer) for _ in range(3)]  # a full batch wakes the task
        for _ in range(200):
            if await _count(sm, refs) == 3:
                break
            await asyncio.sleep(0.01)
        assert await _count(sm, refs) == 3
        last = log.add(answer)
    finally:
        await log.stop()
    assert await _count(sm, [last]) == 1  # written on stop, not lost
