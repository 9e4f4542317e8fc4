"""The report's tables, computed from the database: demand, supply and coverage per district.

Small numbers identify people: every cell computed from fewer than `MIN_CELL` questions
is suppressed and shown as "<5".
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.catalogue import CATEGORY_KEYS, category_label
from knowledge.geo import DETOUR_FACTOR, WALK_SPEED_M_PER_MIN, Area
from knowledge.models import DemandRecord, District, Facility
from knowledge.monitoring.coverage import Coverage, Place, coverage, grid_points

MIN_CELL = 5
SUPPRESSED = "<5"


@dataclass(slots=True)
class DistrictInfo:
    number: int
    name: str
    population: int | None
    age_0_19: int | None
    age_20_64: int | None
    age_65_plus: int | None
    area: Area
    inside: tuple[float, float]
    geometry: dict[str, Any]


@dataclass(slots=True)
class ReportData:
    date_from: dt.date
    date_to: dt.date
    minutes: float
    map_category: str
    districts: list[DistrictInfo]
    questions: dict[int | None, int]  # per district (None: no district)
    unmet: dict[int | None, int]  # questions without a place within the walk
    unmet_categories: dict[int | None, Counter]
    places: dict[int, Counter]  # district -> category -> count
    coverage: dict[tuple[int, str], Coverage]
    facilities: list[tuple[str, float, float, bool]]  # category, lat, lon, exact
    languages: Counter = field(default_factory=Counter)

    @property
    def total_questions(self) -> int:
        return sum(self.questions.values())


def cell(count: int) -> int | str:
    return SUPPRESSED if 0 < count < MIN_CELL else count


def walk_limit_m(minutes: float) -> float:
    return minutes * WALK_SPEED_M_PER_MIN / DETOUR_FACTOR


async def collect(
    session: AsyncSession,
    date_from: dt.date,
    date_to: dt.date,
    *,
    minutes: float = 20.0,
    map_category: str = "startpunkt_elterncafe",
    spacing_m: float = 150.0,
    progress: Callable[[str], None] | None = None,
    with_coverage: bool = True,
) -> ReportData:
    step = progress or (lambda _label: None)
    districts = []
    for d in await session.scalars(select(District).order_by(District.number)):
        stats = d.statistics or {}
        districts.append(
            DistrictInfo(
                d.number,
                d.name,
                d.population or stats.get("population"),
                stats.get("age_0_19"),
                stats.get("age_20_64"),
                stats.get("age_65_plus"),
                Area.from_geojson(d.polygon),
                (d.inside_lat, d.inside_lon),
                d.polygon,
            )
        )
    step("districts")

    questions: Counter = Counter()
    unmet: Counter = Counter()
    unmet_categories: dict[int | None, Counter] = defaultdict(Counter)
    languages: Counter = Counter()
    limit = walk_limit_m(minutes)
    rows = await session.execute(
        select(
            DemandRecord.district_number,
            DemandRecord.results,
            DemandRecord.nearest_m,
            DemandRecord.categories,
            DemandRecord.language,
            DemandRecord.not_helpful,
        ).where(DemandRecord.day >= date_from, DemandRecord.day <= date_to)
    )
    for district, results, nearest, categories, language, not_helpful in rows:
        questions[district] += 1
        languages[language] += 1
        if results == 0 or nearest is None or nearest > limit or not_helpful:
            unmet[district] += 1
            for key in (categories or [])[:1]:  # the category the person asked for first
                unmet_categories[district][key] += 1
    step("questions")

    places: dict[int, Counter] = defaultdict(Counter)
    facilities: list[tuple[str, float, float, bool]] = []
    by_category: dict[str, list[Place]] = defaultdict(list)
    for f in await session.scalars(select(Facility)):
        cats = [f.category, *[c for c in (f.extra_categories or []) if c != f.category]]
        if f.district_number is not None:
            places[f.district_number][f.category] += 1
        if f.lat is None or f.lon is None:
            continue
        facilities.append((f.category, f.lat, f.lon, bool(f.location_exact)))
        for c in cats:
            by_category[c].append(Place(f.lat, f.lon, bool(f.location_exact)))
    step("places")

    cov: dict[tuple[int, str], Coverage] = {}
    for d in districts if with_coverage else ():
        pts = grid_points(d.area, spacing_m)
        for key in CATEGORY_KEYS:
            cov[(d.number, key)] = coverage(pts, by_category.get(key, []), minutes)
        step(f"coverage {d.name}")
    return ReportData(
        date_from,
        date_to,
        minutes,
        map_category,
        districts,
        dict(questions),
        dict(unmet),
        dict(unmet_categories),
        dict(places),
        cov,
        facilities,
        languages,
    )


def district_table(data: ReportData, lang: str = "de") -> list[dict[str, Any]]:
    """One row per district: people, places, questions, unmet demand (suppressed cells)."""
    out = []
    for d in data.districts:
        pop = d.population or 0
        n_places = sum(data.places.get(d.number, Counter()).values())
        q = data.questions.get(d.number, 0)
        u = data.unmet.get(d.number, 0)
        top = data.unmet_categories.get(d.number, Counter()).most_common(3)
        out.append(
            {
                "district": d.name,
                "population": pop or None,
                "age_0_19": d.age_0_19,
                "age_20_64": d.age_20_64,
                "age_65_plus": d.age_65_plus,
                "places": n_places,
                "places_per_10000": round(n_places / pop * 10_000, 1) if pop else None,
                "questions": cell(q),
                "questions_per_1000": (
                    round(q / pop * 1000, 2) if pop and q >= MIN_CELL else (SUPPRESSED if q else 0)
                ),
                "share_without_nearby_answer": (
                    round(u / q, 2) if q >= MIN_CELL else (SUPPRESSED if q else None)
                ),
                "top_unmet_categories": (
                    ", ".join(f"{category_label(k, lang)} ({n})" for k, n in top if n >= MIN_CELL)
                    if u >= MIN_CELL
                    else (SUPPRESSED if u else "")
                ),
            }
        )
    return out


def places_table(data: ReportData, lang: str = "de") -> list[dict[str, Any]]:
    rows = []
    for d in data.districts:
        counts = data.places.get(d.number, Counter())
        rows.append(
            {"district": d.name, **{category_label(k, lang): counts.get(k, 0) for k in CATEGORY_KEYS}}
        )
    return rows


def coverage_table(data: ReportData, category: str, lang: str = "de") -> list[dict[str, Any]]:
    """Per district: share of its area within the walk of the nearest place of `category`."""
    rows = []
    for d in data.districts:
        c = data.coverage[(d.number, category)]
        rows.append(
            {
                "district": d.name,
                "category": category_label(category, lang),
                "share_within_minutes": None if c.share is None else round(c.share, 2),
                "median_walk_minutes": None if c.median_minutes is None else round(c.median_minutes, 1),
                "meets_promise": c.share is not None and c.share >= 0.95,
                "places_city_wide": c.places_used,
                "of_which_approximate": c.approximate_places,
            }
        )
    return rows
