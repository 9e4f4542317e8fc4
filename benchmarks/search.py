"""Search latency and memory: Karlsruhe data and a synthetic city of 10,000 facilities.

    python benchmarks/search.py [--queries FILE ...] [--rounds 20] [--kept]

For each catalogue size it runs every query of the sets (by default both development sets:
kinds of place and people's situations) `rounds` times through `SearchEngine.search`
(understanding, ranking and next dates of the shown results), each question read as if
for the first time (kept understandings and rankings dropped before every call; `--kept`
measures with them, as a running bot sees repeated wordings),
and the same queries through a naive baseline in the same process: rapidfuzz
WRatio of the question against every facility name. It prints p50/p99 per query,
the ratio baseline/ours, the peak RSS, and ends with one line of JSON.

The learned model (knowledge/learned/) is measured beside it: the size of the packaged
model.npz, the time to train it from the packaged corpus (once, in this process, into a
temporary file; needs the `train` extra, else null), the time of `predict` per question on the
same questions and its share of the mean search time per question.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rapidfuzz import fuzz, process

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.catalogue import CATEGORY_KEYS, load_catalogue  # noqa: E402
from knowledge.db import make_engine, prepare_database  # noqa: E402
from knowledge.hours import parse_hours  # noqa: E402
from knowledge.index import load_index  # noqa: E402
from knowledge.learned.model import MODEL_PATH, load_model  # noqa: E402
from knowledge.records import FacilityRecord, ScheduleRecord  # noqa: E402
from knowledge.schedules import BERLIN  # noqa: E402
from knowledge.search import SearchEngine  # noqa: E402

NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=BERLIN)
FALLBACK_QUERIES = [
    "Elterncafé in Durlach",
    "Seniorentreff Mühlburg",
    "jugendzentrum suedstadt",
    "Ich wohne in der Kaiserallee, wo ist das nächste Elterncafé?",
    "Bürgerverein 76185",
    "Durlach'ta yaşlılar için buluşma yeri var mı?",
    "مركز الأسرة في Neureut",
    "Молодіжний клуб Südstadt",
    "Ich möchte ehrenamtlich helfen",
    "Hallo!",
]
WORDS = [
    "Sonnen",
    "Linden",
    "Garten",
    "Bach",
    "Wald",
    "Rosen",
    "Markt",
    "Kirch",
    "Brunnen",
    "Eichen",
    "Hof",
    "Feld",
    "Berg",
    "Mühlen",
    "Schloss",
    "Stern",
    "Regenbogen",
    "Löwen",
    "Pfau",
    "Tulpen",
]
KINDS = {
    "buergerzentrum": "Bürgerzentrum",
    "startpunkt_elterncafe": "Elterncafé",
    "kinder_familienzentrum": "Familienzentrum",
    "kinder_jugendhaus": "Jugendhaus",
    "seniorenbegegnung": "Seniorentreff",
    "mehrgenerationenhaus": "Mehrgenerationenhaus",
    "quartiersarbeit": "Quartiersbüro",
    "wohncafe": "Wohncafé",
    "buergerverein": "Bürgerverein",
    "seniorenbuero": "Seniorenberatung",
    "pflegestuetzpunkt": "Pflegeberatung",
    "asd": "Sozialer Dienst",
    "integration": "Integrationsberatung",
    "stadtteilkoordination": "Stadtteilkoordination",
}
HOURS = ["dienstags 15–17 Uhr", "Mo + Do 9–12 Uhr", "jeden 2. Samstag im Monat 20–23 Uhr", "", ""]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_queries(path: Path | None) -> list[dict]:
    if path and path.exists():
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [{"text": t} for t in FALLBACK_QUERIES]


def synthetic(engine: SearchEngine, n: int, seed: int = 7) -> list[FacilityRecord]:
    """n facilities spread over the real districts, named like real ones, some with hours."""
    rnd = random.Random(seed)
    districts = list(engine.gazetteer.districts.values())
    out = []
    for i in range(n):
        d = rnd.choice(districts)
        x0, y0, x1, y1 = d.area.bbox
        while True:
            lat, lon = rnd.uniform(y0, y1), rnd.uniform(x0, x1)
            if d.area.contains(lat, lon):
                break
        cat = rnd.choice(CATEGORY_KEYS)
        name = f"{KINDS[cat]} {rnd.choice(WORDS)}{rnd.choice(WORDS).lower()} {d.name} {i}"
        specs = parse_hours(rnd.choice(HOURS)).specs
        out.append(
            FacilityRecord(
                id=i + 1,
                slug=f"syn-{i}",
                name=name,
                category=cat,
                categories=(cat,),
                district=d.number,
                lat=lat,
                lon=lon,
                location_exact=True,
                location_precision="exact",
                hours_confirmed=NOW.date(),  # confirmed: the benchmark expands their rules
                schedules=tuple(ScheduleRecord(s) for s in specs),
            )
        )
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def measure(engine: SearchEngine, queries: list[dict], rounds: int, fresh: bool = True) -> dict:
    names = [f.name for f in engine.facilities]
    ours, base = [], []
    for q in queries:  # warm the code paths (and, without `fresh`, the kept answers) once
        engine.search(q["text"], lang=q.get("lang"), lat=q.get("lat"), lon=q.get("lon"), now=NOW)
    for _ in range(rounds):
        for q in queries:
            if fresh:
                engine.forget()
            t0 = time.perf_counter()
            engine.search(q["text"], lang=q.get("lang"), lat=q.get("lat"), lon=q.get("lon"), now=NOW)
            t1 = time.perf_counter()
            process.extract(q["text"], names, scorer=fuzz.WRatio, limit=5)
            t2 = time.perf_counter()
            ours.append((t1 - t0) * 1000)
            base.append((t2 - t1) * 1000)
    p99, b99 = percentile(ours, 99), percentile(base, 99)
    return {
        "facilities": len(engine.facilities),
        "queries": len(queries) * rounds,
        "mean_ms": round(statistics.fmean(ours), 4),
        "p50_ms": round(statistics.median(ours), 3),
        "p99_ms": round(p99, 3),
        "baseline_p50_ms": round(statistics.median(base), 3),
        "baseline_p99_ms": round(b99, 3),
        "ratio": round(b99 / p99, 2) if p99 else None,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def model_figures(queries: list[dict], rounds: int, train: bool) -> dict:
    """Size, training time and per-question predict time of the learned model."""
    figures: dict = {
        "model_bytes": MODEL_PATH.stat().st_size if MODEL_PATH.exists() else None,
        "train_s": None,
        "predict_mean_ms": None,
        "predict_p99_ms": None,
    }
    if train:
        try:
            from knowledge.learned.train import train as train_model
        except ImportError:  # scikit-learn is in the `train` and `test` extras only
            pass
        else:
            with tempfile.TemporaryDirectory() as tmp:
                figures["train_s"] = round(train_model(out=Path(tmp) / "model.npz").seconds, 2)
    model = load_model()
    if model is None:
        return figures
    times = []
    for q in queries:  # warm-up, as for the search
        model.predict(q["text"])
    for _ in range(rounds):
        for q in queries:
            t0 = time.perf_counter()
            model.predict(q["text"])
            times.append((time.perf_counter() - t0) * 1000)
    figures["predict_mean_ms"] = round(statistics.fmean(times), 4)
    figures["predict_p99_ms"] = round(percentile(times, 99), 4)
    return figures


async def karlsruhe_engine() -> SearchEngine:
    with tempfile.TemporaryDirectory() as tmp:
        db = make_engine(f"sqlite+aiosqlite:///{tmp}/bench.db")
        try:
            await prepare_database(db)
            # the packaged hours are years old; a wide window keeps their dates expanded and measured
            return await load_index(db, dates_confirmed_months=12 * 100)
        finally:
            await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    evals = ROOT.parent / "shared" / "eval"
    parser.add_argument(
        "--queries", type=Path, nargs="+", default=[evals / "dev_queries.jsonl", evals / "dev_needs.jsonl"]
    )
    parser.add_argument("--kept", action="store_true", help="keep understandings of repeated wordings")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--no-train", action="store_true", help="do not time the learned model's training")
    args = parser.parse_args()
    queries = [q for path in args.queries for q in load_queries(path)]
    fresh = not args.kept
    real = asyncio.run(karlsruhe_engine())
    figures = {"karlsruhe": measure(real, queries, args.rounds, fresh)}
    t0 = time.perf_counter()
    big = SearchEngine(load_catalogue(), real.gazetteer, synthetic(real, args.size))
    build_s = time.perf_counter() - t0
    gc.freeze()  # as the bot does after loading its index (bot/app.py)
    figures[f"synthetic_{args.size}"] = {
        **measure(big, queries, args.rounds, fresh),
        "index_build_s": round(build_s, 2),
    }
    model = model_figures(queries, args.rounds, train=not args.no_train)
    for f in list(figures.values()):
        if model["predict_mean_ms"] is not None and f["mean_ms"]:
            # predict time against the whole search time per question, same questions and rounds
            f["model_share"] = round(model["predict_mean_ms"] / f["mean_ms"], 4)
    for label, f in figures.items():
        print(
            f"{label:>16}: {f['facilities']:>6} facilities"
            f"  p50 {f['p50_ms']:.2f} ms  p99 {f['p99_ms']:.2f} ms"
            f"  | baseline p50 {f['baseline_p50_ms']:.2f} ms  p99 {f['baseline_p99_ms']:.2f} ms"
            f"  | ratio {f['ratio']}x  | peak RSS {f['peak_rss_mb']} MB"
            + (f"  | model {f['model_share']:.1%} of it" if "model_share" in f else "")
        )
    size = f"{model['model_bytes'] / 1e6:.2f} MB" if model["model_bytes"] else "none"
    trained = f"{model['train_s']:.1f} s" if model["train_s"] is not None else "not measured"
    predict = f"{model['predict_mean_ms']:.3f} ms" if model["predict_mean_ms"] is not None else "none"
    print(f"{'learned model':>16}: file {size}  | training {trained}  | predict mean {predict} per question")
    figures["learned_model"] = model
    figures["fresh"] = fresh
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
