"""Load the search engine from the database into memory."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import selectinload

from knowledge.catalogue import Catalogue, load_catalogue
from knowledge.db import make_sessionmaker
from knowledge.geo import Area
from knowledge.hours import ParsedHours, ScheduleSpec, hours_confirmed, parse_hours
from knowledge.models import District, Facility, Offer, Postcode, Schedule, Street
from knowledge.places import DistrictInfo, Gazetteer, StreetInfo
from knowledge.records import FacilityRecord, ScheduleRecord
from knowledge.search import DATES_CONFIRMED_MONTHS, SearchEngine


async def load_gazetteer(session: AsyncSession) -> Gazetteer:
    districts = (await session.scalars(select(District).order_by(District.number))).all()
    streets = (await session.scalars(select(Street))).all()
    postcodes = (
        await session.execute(select(Postcode.code, Postcode.district_number, Postcode.streets))
    ).all()
    return Gazetteer(
        [
            DistrictInfo(
                d.number,
                d.name,
                Area.from_geojson(d.polygon),
                d.inside_lat,
                d.inside_lon,
                tuple(d.aliases or ()),
            )
            for d in districts
        ],
        [StreetInfo(s.id, s.name, tuple(s.parts or ()), tuple(s.postcodes or ())) for s in streets],
        [tuple(row) for row in postcodes],
    )


@lru_cache(maxsize=1024)
def _parsed(source_text: str) -> ParsedHours:
    return parse_hours(source_text)


def _part_of_day(s: Schedule, dates: tuple[dt.date, ...]) -> str | None:
    """The part of the day the stated hours name ("vormittags"), read again from their text.

    The table has no column for it; the text the schedule was parsed from is stored beside
    it, and parsing is deterministic, so the same spec comes back with its part of day.
    """
    if s.start_time is not None or not s.source_text:
        return None
    for spec in _parsed(s.source_text).specs:
        if (spec.rrule, spec.start, spec.label, spec.dates) == (s.rrule, None, s.label, dates):
            return spec.part_of_day
    return None


def _schedule_records(facility: Facility) -> tuple[ScheduleRecord, ...]:
    out = []
    for offer in facility.offers:
        for s in offer.schedules:
            dates = tuple(dt.date.fromisoformat(d) for d in (s.dates or ()))
            spec = ScheduleSpec(
                s.rrule, s.start_time, s.duration_minutes, s.label, dates, _part_of_day(s, dates)
            )
            out.append(ScheduleRecord(spec, s.anchor, s.valid_from, s.valid_to))
    return tuple(out)


def facility_record(f: Facility) -> FacilityRecord:
    return FacilityRecord(
        id=f.id,
        slug=f.slug,
        name=f.name,
        category=f.category,
        categories=(f.category, *[c for c in (f.extra_categories or ()) if c != f.category]),
        district=f.district_number,
        lat=f.lat,
        lon=f.lon,
        location_exact=f.location_exact,
        location_precision=f.location_precision,
        operator=f.operator,
        street=f.street,
        house_number=f.house_number,
        address_note=f.address_note,
        postcode=f.postcode,
        phone=f.phone,
        email=f.email,
        website=f.website,
        hours_text=f.hours_text,
        hours_year=f.hours_year,
        hours_confirmed=hours_confirmed(f.hours_text, f.hours_year, f.last_verified),
        description=f.description,
        source_url=f.source_url,
        target_groups=tuple(f.target_groups or ()),
        wheelchair=f.wheelchair,
        schedules=_schedule_records(f),
    )


async def load_facilities(session: AsyncSession) -> list[FacilityRecord]:
    stmt = (
        select(Facility)
        .where(Facility.temporarily_closed.is_(False))
        .options(selectinload(Facility.offers).selectinload(Offer.schedules))
        .order_by(Facility.id)
    )
    return [facility_record(f) for f in (await session.scalars(stmt)).all()]


async def load_index(
    source: AsyncEngine | AsyncSession,
    catalogue: Catalogue | None = None,
    *,
    dates_confirmed_months: int = DATES_CONFIRMED_MONTHS,
) -> SearchEngine:
    """Build the in-memory search engine from an engine or an open session.

    `dates_confirmed_months`: next dates are computed only from hours confirmed this recently.
    """
    if isinstance(source, AsyncSession):
        return await _load(source, catalogue, dates_confirmed_months)
    async with make_sessionmaker(source)() as session:
        return await _load(session, catalogue, dates_confirmed_months)


async def _load(session: AsyncSession, catalogue: Catalogue | None, months: int) -> SearchEngine:
    gazetteer = await load_gazetteer(session)
    facilities = await load_facilities(session)
    return SearchEngine(catalogue or load_catalogue(), gazetteer, facilities, dates_confirmed_months=months)
