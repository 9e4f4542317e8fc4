"""Broadcast delivery through the local Bot API sandbox, at Telegram's pace, under faults.

    python benchmarks/broadcast.py [--recipients 10000] [--scenarios plain kill two]

The sandbox enforces 30 messages per second in total (429 with retry_after above it)
and injects 1% 429 and 2% 403 answers. Outbox workers run as separate processes, as
the bot would, and drain one broadcast:

- plain: one worker (SQLite outbox);
- kill: one worker, SIGKILLed at 50% delivered, then a fresh one (SQLite outbox);
- two: two workers draining one PostgreSQL outbox together (FOR UPDATE SKIP LOCKED),
  15 messages per second each (needs QUARTIER_BENCH_DATABASE_URL or the local server).

Per scenario it prints the effective rate (delivered per second from the first to the last
message; worker start-up is reported apart), the
time Telegram made everybody wait (429 pauses), lost recipients (neither delivered nor
recorded as blocked or failed), duplicates (a chat that got the message twice) and the
workers' peak RSS. The last line is JSON with the figures.

Note the arithmetic ceiling: every injected 429 pauses all sending for retry_after
(1 s), so 1% 429s on 10,000 messages cost about 100 s on top of the 333 s that 10,000
messages take at 30 per second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKEN = "123456:BROADCAST"
FIRST_ID = 3_000_000
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/quartier_bench"


# -- the worker process -----------------------------------------------------------------------
async def worker_main(database_url: str, api_base: str, rate: float, stale: float) -> None:
    import datetime as dt

    from bot.factory import make_bot
    from bot.i18n import make_i18n
    from bot.notifications import Notifier
    from bot.services import networks
    from bot.services.outbox import OutboxWorker, Pace
    from knowledge.db import make_engine, make_sessionmaker
    from knowledge.index import load_gazetteer

    engine = make_engine(database_url)
    sm = make_sessionmaker(engine)
    async with sm() as session:
        gazetteer = await load_gazetteer(session)
    bot = make_bot(TOKEN, api_base)
    notifier = Notifier(bot, sm, make_i18n(), {n: d.name for n, d in gazetteer.districts.items()})

    async def blocked(chat_id: int) -> None:
        async with sm() as s:
            await networks.set_active(s, chat_id, False)

    worker = OutboxWorker(
        sm, notifier.send, pace=Pace(rate), on_blocked=blocked, stale_after=dt.timedelta(seconds=stale)
    )
    idle = 0
    while idle < 6:  # stop after ~3 s with nothing due
        outcome = await worker.run_once()
        if outcome.sent or outcome.failed or outcome.retried:
            idle = 0
        else:
            idle += 1
            await asyncio.sleep(0.5)
    await bot.session.close()
    await engine.dispose()


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


# -- the driver ---------------------------------------------------------------------------------
async def prepare(database_url: str, recipients: int) -> int:
    from sqlalchemy import insert

    from bot.models import Person, Subscription
    from bot.services import networks, people
    from knowledge.db import make_engine, make_sessionmaker, prepare_database

    engine = make_engine(database_url)
    await prepare_database(engine)
    sm = make_sessionmaker(engine)
    async with sm() as s:
        admin = await people.get_or_create(s, 42_000_000, "de")
        ids = list(range(FIRST_ID, FIRST_ID + recipients))
        for start in range(0, recipients, 2000):
            chunk = ids[start : start + 2000]
            await s.execute(insert(Person), [{"telegram_id": i, "telegram_language": "de"} for i in chunk])
        await s.commit()
        from sqlalchemy import select

        mine = Person.telegram_id.between(FIRST_ID, FIRST_ID + recipients - 1)
        rows = (await s.execute(select(Person.id).where(mine))).scalars().all()
        for start in range(0, len(rows), 2000):
            await s.execute(
                insert(Subscription),
                [{"person_id": pid, "district_number": 8} for pid in rows[start : start + 2000]],
            )
        await s.commit()
        b = await networks.create_broadcast(
            s, admin, networks.Audience(districts=[8]), "Einladung zum Stadtteilfest", [admin.telegram_id]
        )
    await engine.dispose()
    return b.id


def spawn(database_url: str, api_base: str, rate: float, stale: float) -> subprocess.Popen:
    cmd = [sys.executable, __file__, "--worker", database_url, api_base, str(rate), str(stale)]
    return subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "QUARTIER_LOG_LEVEL": "WARNING"})


async def scenario(name: str, database_url: str, recipients: int) -> dict:
    from bot.sandbox import BotAPISandbox, Faults, Limits
    from bot.services import networks
    from knowledge.db import make_engine, make_sessionmaker

    broadcast = await prepare(database_url, recipients)
    sandbox = BotAPISandbox(token=TOKEN)
    await sandbox.start()
    users = [sandbox.user(FIRST_ID + i) for i in range(recipients)]
    sandbox.gate.limits = Limits(per_second=30)
    sandbox.gate.faults = Faults(too_many=0.01, blocked=0.02, seed=11)

    def delivered() -> int:
        return sum(1 for u in users if u.messages)

    workers = 2 if name == "two" else 1
    rate = 30 / workers
    stale = 5.0
    started = time.perf_counter()
    procs = [spawn(database_url, sandbox.base_url, rate, stale) for _ in range(workers)]
    peaks = [0.0] * workers
    killed = False
    shown = time.perf_counter()
    first = last = None  # when the first and the last message arrived (worker start-up excluded)
    count = 0
    while any(p.poll() is None for p in procs):
        await asyncio.sleep(0.2)
        now_count = delivered()
        if now_count != count:
            first = first or time.perf_counter()
            last, count = time.perf_counter(), now_count
        for i, p in enumerate(procs):
            if p.poll() is None:
                peaks[i] = max(peaks[i], peak_rss_mb(p.pid))
        if name == "kill" and not killed and delivered() >= recipients // 2:
            procs[0].send_signal(signal.SIGKILL)
            procs[0].wait()
            killed = True
            procs = [spawn(database_url, sandbox.base_url, rate, stale)]
            peaks.append(0.0)
            peaks = peaks[-1:] + peaks[:-1]
        if time.perf_counter() - shown > 10:
            shown = time.perf_counter()
            print(f"{name}: {delivered():>6} of {recipients} delivered", file=sys.stderr)
    wall = time.perf_counter() - started
    elapsed = (last - first) if first and last and last > first else wall
    engine = make_engine(database_url)
    async with make_sessionmaker(engine)() as s:
        report = await networks.report(s, broadcast)
        if os.environ.get("BENCH_DEBUG"):
            from sqlalchemy import select

            from bot.models import OutboxMessage

            rows = await s.execute(
                select(OutboxMessage.chat_id, OutboxMessage.kind, OutboxMessage.broadcast_id).where(
                    OutboxMessage.status == "failed"
                )
            )
            print(rows.all(), file=sys.stderr)
    await engine.dispose()
    await sandbox.stop()
    got = [len(u.messages) for u in users]
    sent_ok = sum(1 for n in got if n)
    duplicates = sum(1 for n in got if n > 1)
    accounted = sent_ok + report.blocked + sum(report.failed.values())
    rejected = dict(sandbox.gate.rejected)
    return {
        "scenario": name,
        "recipients": recipients,
        "workers": workers,
        "seconds": round(elapsed, 1),
        "wall_seconds_with_startup": round(wall, 1),
        "rate_per_s": round(sent_ok / elapsed, 2),
        "pause_s_for_429": rejected.get(429, 0) * 1,
        "rate_between_pauses_per_s": round(sent_ok / max(1.0, elapsed - rejected.get(429, 0)), 2),
        "delivered": sent_ok,
        "blocked": report.blocked,
        "failed": sum(report.failed.values()),
        "lost": recipients - accounted,
        "duplicates": duplicates,
        "rejected_by_sandbox": rejected,
        "peak_rss_mb": round(max(peaks), 1),
        "killed_at_half": killed,
    }


async def reset_pg(url: str) -> None:
    import asyncpg

    from knowledge.db import normalise_url

    plain = normalise_url(url).replace("postgresql+asyncpg://", "postgresql://")
    base, name = plain.rsplit("/", 1)
    admin = await asyncpg.connect(base + "/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def main(recipients: int, scenarios: list[str]) -> None:
    results = []
    for name in scenarios:
        with tempfile.TemporaryDirectory() as tmp:
            if name == "two":
                url = os.environ.get("QUARTIER_BENCH_DATABASE_URL", PG_DEFAULT)
                await reset_pg(url)
            else:
                url = f"sqlite+aiosqlite:///{tmp}/outbox.db"
            r = await scenario(name, url, recipients)
        results.append(r)
        print(
            f"{name:>5}: {r['rate_per_s']} msg/s over {r['seconds']} s "
            f"({r['rate_between_pauses_per_s']} msg/s between {r['pause_s_for_429']} s of 429 pauses), "
            f"delivered {r['delivered']}, blocked {r['blocked']}, failed {r['failed']}, "
            f"lost {r['lost']}, duplicates {r['duplicates']}, peak RSS {r['peak_rss_mb']} MB"
        )
    print(json.dumps({"scenarios": results}))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        _, _, db, api, rate, stale = sys.argv
        asyncio.run(worker_main(db, api, float(rate), float(stale)))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument(
        "--scenarios", nargs="+", default=["plain", "kill", "two"], choices=["plain", "kill", "two"]
    )
    args = parser.parse_args()
    asyncio.run(main(args.recipients, args.scenarios))
