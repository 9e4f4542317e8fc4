"""Chat throughput and reply latency through the local Bot API sandbox.

    python benchmarks/chat.py [--rounds 5]

For 1, 10 and 100 simulated people asking at the same time, it measures how many
updates per second the real bot (long polling over HTTP, SQLite, in-memory state)
handles and the p50/p99 time until a person has the whole answer. A bare aiogram
echo bot on the same sandbox, in the same run, is the baseline (ratio). The last
line is JSON with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiogram import Dispatcher, Router  # noqa: E402
from aiogram.types import Message  # noqa: E402

from bot.factory import build_dispatcher, make_bot  # noqa: E402
from bot.polling import polling  # noqa: E402
from bot.sandbox import BotAPISandbox  # noqa: E402
from bot.settings import Settings  # noqa: E402
from knowledge.db import make_engine, prepare_database  # noqa: E402
from knowledge.index import load_index  # noqa: E402

TOKEN = "123456:BENCH"
QUESTIONS = [
    "Jugendhaus Südstadt",
    "Seniorentreff Durlach",
    "Elterncafé in Mühlburg",
    "Bürgerverein Daxlanden",
]
_ids = itertools.count(500_000)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def drive(sandbox: BotAPISandbox, people: int, rounds: int, replies: int, echo: bool) -> dict:
    users = [sandbox.user(next(_ids), language_code="de") for _ in range(people)]
    latencies: list[float] = []
    failed = 0

    async def person(u, n: int) -> None:
        nonlocal failed
        for r in range(rounds):
            text = f"echo {n}-{r}" if echo else QUESTIONS[(n + r) % len(QUESTIONS)]
            t0 = time.perf_counter()
            await u.send_text(text)
            try:
                await u.wait_for_bot(count=replies, timeout=30)
            except TimeoutError:
                failed += 1  # an incomplete answer counts, it is not hidden
                return
            latencies.append((time.perf_counter() - t0) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(person(u, i) for i, u in enumerate(users)))
    elapsed = time.perf_counter() - started
    return {
        "people": people,
        "updates": people * rounds,
        "updates_per_s": round(people * rounds / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 99), 1) if latencies else None,
        "incomplete_answers": failed,
    }


def echo_dispatcher() -> Dispatcher:
    router = Router()

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "…")

    dp = Dispatcher()
    dp.include_router(router)
    return dp


async def main(rounds: int, sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        engine = make_engine(url)
        await prepare_database(engine)
        search = await load_index(engine)
        sandbox = BotAPISandbox(token=TOKEN)
        await sandbox.start()
        settings = Settings(
            database_url=url,
            bot_token=TOKEN,
            telegram_api_base=sandbox.base_url,
            throttle_rate=1000,
            throttle_burst=1000,
        )
        figures: dict[str, dict] = {}
        try:
            async with polling(build_dispatcher(settings, engine, search), make_bot(TOKEN, sandbox.base_url)):
                # every question gets a headline, three cards and a footer
                ours = {n: await drive(sandbox, n, rounds, 5, echo=False) for n in sizes}
            async with polling(echo_dispatcher(), make_bot(TOKEN, sandbox.base_url)):
                base = {n: await drive(sandbox, n, rounds, 1, echo=True) for n in sizes}
        finally:
            await sandbox.stop()
            await engine.dispose()
        invalid = len(sandbox.invalid_calls)
    for n in sizes:
        o, b = ours[n], base[n]
        figures[str(n)] = {
            **o,
            "echo_updates_per_s": b["updates_per_s"],
            "echo_p50_ms": b["p50_ms"],
            "echo_p99_ms": b["p99_ms"],
            "throughput_ratio": round(o["updates_per_s"] / b["updates_per_s"], 2),
        }
        print(
            f"{n:>4} people: {o['updates_per_s']:>7} updates/s  p50 {o['p50_ms']} ms  p99 {o['p99_ms']} ms"
            f"  | echo bot {b['updates_per_s']} updates/s p99 {b['p99_ms']} ms"
            f"  | throughput ratio {figures[str(n)]['throughput_ratio']}"
        )
    print(json.dumps({"people": figures, "invalid_calls": invalid}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 100])
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.sizes))
