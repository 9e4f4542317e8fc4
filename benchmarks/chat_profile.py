"""Where a question's CPU goes: the real bot against the echo bot, under a profiler.

    python benchmarks/chat_profile.py [--people 10] [--rounds 100] [--top 30] [--fresh]

Both bots answer the same people through the sandbox in one process (as in
benchmarks/chat.py), after a warm-up round; then each runs once more under cProfile.
It prints the CPU per update of each bot without the profiler (and their ratio), and
the files where the real bot spends the most profiled time beyond the echo bot, in
microseconds per update. The profiler slows Python code down about twofold; compare
the rows with each other, not with the unprofiled figures.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import resource
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from chat import QUESTIONS, TOKEN, _ids, bench_world, echo_dispatcher, forget_answers  # noqa: E402

from bot.factory import make_bot  # noqa: E402
from bot.polling import polling  # noqa: E402


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def ask_rounds(users, rounds: int, echo: bool) -> None:
    async def person(u, n: int) -> None:
        for r in range(rounds):
            await u.send_text(f"echo {n}-{r}" if echo else QUESTIONS[(n + r) % len(QUESTIONS)])
            await u.wait_for_bot(count=1, timeout=30)

    await asyncio.gather(*(person(u, i) for i, u in enumerate(users)))


def by_file(stats: pstats.Stats) -> Counter:
    """Profiled seconds per source file (library files by their path inside site-packages)."""
    out: Counter = Counter()
    for (filename, _line, name), (_cc, _nc, own, _cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if "site-packages/" in filename:
            key = filename.split("site-packages/")[1]
        elif str(ROOT) in filename:
            key = filename.split(str(ROOT) + "/")[1]
        elif filename.startswith("~"):
            key = name[:60]
        else:
            key = "stdlib " + Path(filename).name
        out[key] += own
    return out


async def main(people: int, rounds: int, top: int) -> None:
    cpu: dict[str, float] = {}
    files: dict[str, Counter] = {}
    updates = people * rounds
    async with bench_world() as world:
        for name, make_dp in (("ours", world.ours), ("echo", echo_dispatcher)):
            echo = name == "echo"
            async with polling(make_dp(), make_bot(TOKEN, world.sandbox.base_url)):
                users = [world.sandbox.user(next(_ids), language_code="de") for _ in range(people)]
                await ask_rounds(users, 1, echo)  # first contact
                await ask_rounds(users, rounds, echo)  # warm caches
                start = cpu_seconds()
                await ask_rounds(users, rounds, echo)
                cpu[name] = (cpu_seconds() - start) / updates
                profiler = cProfile.Profile()
                profiler.enable()
                await ask_rounds(users, rounds, echo)
                profiler.disable()
                files[name] = by_file(pstats.Stats(profiler))
    print(
        f"{people} people: ours {cpu['ours'] * 1e3:.3f} ms CPU per update, echo bot "
        f"{cpu['echo'] * 1e3:.3f} ms, ratio {cpu['echo'] / cpu['ours']:.2f}"
    )
    ours, echo = files["ours"], files["echo"]
    print(f"{'beyond echo':>12} {'ours':>8} {'echo':>8}  profiled us per update")
    rows = sorted(((ours[k] - echo.get(k, 0.0), k) for k in ours), reverse=True)[:top]
    for extra, key in rows:
        mine, theirs = ours[key] / updates * 1e6, echo.get(key, 0.0) / updates * 1e6
        print(f"{extra / updates * 1e6:12.1f} {mine:8.1f} {theirs:8.1f}  {key}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--fresh", action="store_true", help="no kept understandings, rankings or cards")
    args = parser.parse_args()
    if args.fresh:
        forget_answers()
    asyncio.run(main(args.people, args.rounds, args.top))
