"""`quartier report` on the Karlsruhe data with many synthetic questions.

    python benchmarks/report.py [--questions 50000]

Fills a fresh SQLite database (the packaged data) with anonymous demand rows spread over
districts, categories and 90 days, then times building the whole report (tables,
coverage of every category in every district, three maps, HTML, Markdown, CSV), beside
the time to only read the rows (baseline, same process). Target: under 60 s for 50,000.
The last line is JSON with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from knowledge.catalogue import CATEGORY_KEYS  # noqa: E402
from knowledge.db import make_engine, make_sessionmaker, prepare_database  # noqa: E402
from knowledge.models import DemandRecord  # noqa: E402
from knowledge.monitoring.report import write_report  # noqa: E402
from knowledge.monitoring.tables import collect  # noqa: E402


async def main(questions: int) -> None:
    rng = random.Random(5)
    today = dt.date(2026, 11, 25)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite+aiosqlite:///{tmp}/report.db")
        await prepare_database(engine)
        sm = make_sessionmaker(engine)
        rows = []
        for _ in range(questions):
            results = rng.choice([0, 0, 1, 3, 3, 3, 10])
            rows.append(
                {
                    "day": today - dt.timedelta(days=rng.randrange(90)),
                    "district_number": rng.choice([*range(1, 28), None]),
                    "intent": "find_offers",
                    "categories": [rng.choice(CATEGORY_KEYS)],
                    "target_groups": [],
                    "language": rng.choice(["de", "de", "de", "tr", "ar", "uk", "ru", "en"]),
                    "results": results,
                    "nearest_m": None if results == 0 else rng.randrange(50, 4000),
                    "not_helpful": rng.random() < 0.05,
                }
            )
        async with sm() as s:
            for start in range(0, len(rows), 5000):
                await s.execute(insert(DemandRecord), rows[start : start + 5000])
            await s.commit()

        t0 = time.perf_counter()
        async with sm() as s:
            read = len((await s.execute(select(DemandRecord.id, DemandRecord.district_number))).all())
        baseline = time.perf_counter() - t0

        t0 = time.perf_counter()
        async with sm() as s:
            data = await collect(s, today - dt.timedelta(days=89), today)
        collected = time.perf_counter() - t0
        written = write_report(data, Path(tmp) / "out")
        total = time.perf_counter() - t0
        await engine.dispose()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{questions} questions: report in {total:.1f} s (tables and coverage {collected:.1f} s, "
        f"maps and pages {total - collected:.1f} s); reading the rows alone {baseline:.2f} s "
        f"(ratio {total / baseline:.0f}x); {len(written.files)} files; peak RSS {rss:.0f} MB"
    )
    print(
        json.dumps(
            {
                "questions": questions,
                "rows_read": read,
                "report_s": round(total, 2),
                "collect_s": round(collected, 2),
                "read_rows_baseline_s": round(baseline, 3),
                "files": len(written.files),
                "peak_rss_mb": round(rss),
                "target_s": 60,
            }
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=50_000)
    asyncio.run(main(parser.parse_args().questions))
