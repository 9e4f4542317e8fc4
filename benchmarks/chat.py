"""Chat throughput and reply latency through the local Bot API sandbox.

    python benchmarks/chat.py [--updates 1000] [--paced-rounds 4] [--repeats 5]

For 1, 10 and 100 simulated people it measures the real bot (long polling over HTTP,
SQLite, in-memory state) in two ways, after one unmeasured warm-up question each:

- saturated: everybody asks again the moment the answer is there (no reading time),
  which gives the most updates per second the bot handles and the p50/p99 time until
  a person has the whole answer when everybody presses at the same instant; each size
  asks about `--updates` questions in all (one person 1000 times, 100 people 10 times);
- paced: each person asks again after 2 to 6 seconds (reading the answer), the load
  of 100 people chatting at once, which gives the latency people feel.

A bare aiogram echo bot on the same sandbox, in the same process and run and with the
same garbage-collector settings, is the baseline (ratio). The two bots take turns
(`--repeats`); the ratio is the median of the ratios of runs made side by side. The
sandbox and the simulated people share the bot's CPU core, as they would not with
Telegram. The four questions repeat, so the search's kept understandings and rankings and
the rendered cards are reused; `--fresh` turns them off (every question as if never
asked). The last line is JSON with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiogram import Dispatcher, Router  # noqa: E402
from aiogram.types import Message  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

from bot.factory import build_dispatcher, freeze_heap, make_bot  # noqa: E402
from bot.polling import polling  # noqa: E402
from bot.sandbox import BotAPISandbox  # noqa: E402
from bot.settings import Settings  # noqa: E402
from knowledge.db import make_engine, prepare_database  # noqa: E402
from knowledge.index import load_index  # noqa: E402
from knowledge.search import SearchEngine  # noqa: E402

TOKEN = "123456:BENCH"
QUESTIONS = [
    "Jugendhaus Südstadt",
    "Seniorentreff Durlach",
    "Elterncafé in Mühlburg",
    "Bürgerverein Daxlanden",
]
SETTLE_S = 1.0  # after a bot starts, before it is measured
THINK_S = (2.0, 6.0)  # reading an answer before the next question, in seconds
_ids = itertools.count(500_000)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def drive(
    sandbox: BotAPISandbox, people: int, rounds: int, echo: bool, think: tuple[float, float] | None = None
) -> dict:
    users = [sandbox.user(next(_ids), language_code="de") for _ in range(people)]
    latencies: list[float] = []
    failed = 0
    rng = random.Random(people)

    async def one(u, text: str) -> float | None:
        t0 = time.perf_counter()
        await u.send_text(text)
        try:
            await u.wait_for_bot(count=1, timeout=30)  # every answer is one message
        except TimeoutError:
            return None
        return (time.perf_counter() - t0) * 1000

    # warm-up, not measured: first contact creates each person record
    await asyncio.gather(*(one(u, "Stadtteiltreff") for u in users))

    async def person(u, n: int) -> None:
        nonlocal failed
        if think:
            await asyncio.sleep(rng.uniform(0, think[1]))  # people do not start in step
        for r in range(rounds):
            text = f"echo {n}-{r}" if echo else QUESTIONS[(n + r) % len(QUESTIONS)]
            ms = await one(u, text)
            if ms is None:
                failed += 1  # an incomplete answer counts, it is not hidden
                return
            latencies.append(ms)
            if think:
                await asyncio.sleep(rng.uniform(*think))

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


@dataclass
class World:
    engine: AsyncEngine
    search: SearchEngine
    sandbox: BotAPISandbox
    settings: Settings

    def ours(self) -> Dispatcher:
        return build_dispatcher(self.settings, self.engine, self.search)


@contextlib.asynccontextmanager
async def bench_world() -> AsyncIterator[World]:
    """A seeded SQLite database, the search index and a running sandbox, for one process."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        engine = make_engine(url)
        await prepare_database(engine)
        search = await load_index(engine)
        sandbox = BotAPISandbox(token=TOKEN)
        await sandbox.start()
        # what the bot's start-up does to the garbage collector, here for both bots alike
        # (it is process-wide: otherwise the echo bot's figures would depend on the order)
        await freeze_heap()
        settings = Settings(database_url=url, throttle_rate=1000, throttle_burst=1000).talking_to(
            sandbox.base_url, TOKEN
        )
        try:
            yield World(engine, search, sandbox, settings)
        finally:
            await sandbox.stop()
            await engine.dispose()


def forget_answers() -> None:
    """Every question as if never asked: no kept understandings, rankings or cards.

    The four questions repeat, so the search's and the renderer's caches always hit;
    real questions repeat less: this gives the figure for questions seen the first time.
    """
    import bot.render
    import knowledge.search

    knowledge.search.QUESTIONS_KEPT = knowledge.search.RANKINGS_KEPT = bot.render.CARD_CACHE = 0


async def main(updates: int, paced_rounds: int, sizes: list[int], repeats: int, fresh: bool) -> None:
    async with bench_world() as world:
        sandbox = world.sandbox
        runs: dict[str, list[dict]] = {}
        # every size answers about the same number of questions: one person asking five
        # times measured 25 ms, mostly the first sight of each question
        plan = [("saturated", updates, None), ("paced", paced_rounds, THINK_S)]
        bots = [("ours", world.ours), ("echo", echo_dispatcher)]
        # the two bots take turns, `repeats` times: a machine whose speed drifts (a
        # shared virtual machine does) then slows both alike, and each ratio compares
        # runs made side by side; the paced runs measure latency, once is enough
        for rep in range(repeats):
            for name, make_dp in bots:
                async with polling(make_dp(), make_bot(TOKEN, sandbox.base_url)):
                    await asyncio.sleep(SETTLE_S)  # start-up work (housekeeping) is not throughput
                    for mode, r, think in plan:
                        if mode == "paced" and rep:
                            continue
                        for n in sizes:
                            rounds = max(3, r // n) if mode == "saturated" else r
                            figures = await drive(sandbox, n, rounds, echo=name == "echo", think=think)
                            runs.setdefault(f"{name}/{mode}/{n}", []).append(figures)
        invalid = len(sandbox.invalid_calls)
    summary: dict[str, dict] = {}
    for mode, _r, _t in plan:
        summary[mode] = {}
        for n in sizes:
            ours, echo = runs[f"ours/{mode}/{n}"], runs[f"echo/{mode}/{n}"]
            o, b = _median_run(ours), _median_run(echo)
            ratios = [a["updates_per_s"] / e["updates_per_s"] for a, e in zip(ours, echo, strict=True)]
            row = {
                **o,
                "echo_updates_per_s": b["updates_per_s"],
                "echo_p50_ms": b["p50_ms"],
                "echo_p99_ms": b["p99_ms"],
                "throughput_ratio": round(statistics.median(ratios), 2),
                "ratios": [round(x, 2) for x in ratios],
            }
            summary[mode][str(n)] = row
            print(
                f"{mode:>9} {n:>4} people: {o['updates_per_s']:>7} updates/s  p50 {o['p50_ms']} ms"
                f"  p99 {o['p99_ms']} ms  | echo bot {b['updates_per_s']} updates/s p99 {b['p99_ms']} ms"
                f"  | throughput ratio {row['throughput_ratio']} (runs: {row['ratios']})"
            )
    print(json.dumps({**summary, "repeats": repeats, "fresh": fresh, "invalid_calls": invalid}))


def _median_run(runs: list[dict]) -> dict:
    """Each figure's median over the repeated runs; incomplete answers are added up."""
    out = dict(runs[0])
    for key in ("updates_per_s", "p50_ms", "p99_ms"):
        values = [r[key] for r in runs if r[key] is not None]
        out[key] = round(statistics.median(values), 1) if values else None
    out["updates"] = sum(r["updates"] for r in runs)
    out["incomplete_answers"] = sum(r["incomplete_answers"] for r in runs)
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=1000, help="saturated questions per size and run")
    parser.add_argument("--paced-rounds", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=5, help="turns each bot takes (saturated runs)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="every question as if never asked: no kept understandings, rankings or cards",
    )
    args = parser.parse_args()
    if args.fresh:
        forget_answers()
    asyncio.run(main(args.updates, args.paced_rounds, args.sizes, args.repeats, args.fresh))
