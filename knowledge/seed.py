"""Seed the packaged Karlsruhe data into an empty database.

Geography goes in first (districts, planning areas, streets, postcodes); the
facilities then go through the ordinary importer, so the packaged data obeys the
same validation as any file a city loads later.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import yaml
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.models import DatasetInfo, District, PlanningArea, Postcode, Street
from knowledge.places import load_places_config

PACKAGE = Path(__file__).parent / "data" / "karlsruhe"
PLANNING_AREAS_PATH = Path(__file__).parent / "data" / "planning_areas.yaml"
SEED_VERSION = "karlsruhe-2026-11"
ATTRIBUTION = (
    "Stadtteilgrenzen und Straßen: © OpenStreetMap-Mitwirkende (ODbL), über CodeforKarlsruhe; "
    "Statistik 2016, Wahlbezirke, Wahllokale, Postleitzahlen: Stadt Karlsruhe "
    "(Datenlizenz Deutschland – Namensnennung 2.0); Haltestellen und Orte: Karlsruher Verkehrsverbund "
    "(KVV), Deutsche Bahn (CC BY 4.0), © OpenStreetMap-Mitwirkende (ODbL), Wikipedia (CC BY-SA); "
    "Einrichtungen: öffentliche Webseiten, Quelle je Eintrag."
)


async def is_seeded(session: AsyncSession) -> bool:
    return bool(await session.scalar(select(func.count()).select_from(District)))


async def seed_geography(session: AsyncSession, package: Path = PACKAGE) -> None:
    config = load_places_config()
    collection = json.loads((package / "districts.geojson").read_text(encoding="utf-8"))
    for feature in collection["features"]:
        p = feature["properties"]
        extra = (config.get("districts") or {}).get(p["number"]) or {}
        session.add(
            District(
                number=p["number"],
                name=p["name"],
                aliases=list(extra.get("aliases") or []),
                polygon=feature["geometry"],
                inside_lat=p["inside_lat"],
                inside_lon=p["inside_lon"],
                area_km2=p.get("area_km2"),
                population=p["statistics"].get("population"),
                statistics=p["statistics"],
            )
        )
    await session.flush()
    areas = yaml.safe_load(PLANNING_AREAS_PATH.read_text(encoding="utf-8"))
    for item in areas.get("planning_areas") or []:
        area = PlanningArea(name=item["name"])
        session.add(area)
        await session.flush()
        for number in item["districts"]:
            district = await session.get(District, number)
            if district is not None:
                district.planning_area_id = area.id
    for s in json.loads((package / "streets.json").read_text(encoding="utf-8")):
        best = s["parts"][0]
        session.add(
            Street(
                name=s["name"],
                district_number=best["district"],
                lat=best["lat"],
                lon=best["lon"],
                parts=s["parts"],
                postcodes=s["postcodes"],
            )
        )
    postcodes = (package / "postcodes.csv").read_text(encoding="utf-8")
    for row in csv.DictReader(io.StringIO(postcodes)):
        session.add(
            Postcode(code=row["code"], district_number=int(row["district"]), streets=int(row["streets"]))
        )
    session.add(DatasetInfo(key="attribution", value=ATTRIBUTION))
    session.add(DatasetInfo(key="seed_version", value=SEED_VERSION))
    await session.flush()


async def seed_if_empty(session: AsyncSession) -> bool:
    """Load the packaged data into an empty database; a populated one is left alone."""
    if await is_seeded(session):
        return False
    from knowledge.facility_io import import_facilities

    await seed_geography(session)
    # the importer geocodes with the gazetteer of the geography just loaded
    await import_facilities(session, PACKAGE / "facilities.csv")
    return True
