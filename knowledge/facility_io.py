"""Import and export of facilities as CSV, GeoJSON or YAML — all rows or none.

Every row is validated before anything is written; one bad row stops the import
and the error list names each bad row with its line and reason. Writing happens in
one transaction that is rolled back on any failure, so a failed import changes
nothing. Export writes the same fields back, so export -> import is a round trip.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from knowledge.catalogue import CATEGORY_KEYS, TARGET_GROUP_KEYS
from knowledge.geo import Area
from knowledge.hours import parse_hours
from knowledge.models import Contact, District, Facility, Offer, Schedule
from knowledge.places import Location
from knowledge.text import fold

FIELDS = [
    "slug",
    "name",
    "category",
    "extra_categories",
    "operator",
    "street",
    "house_number",
    "address_note",
    "postcode",
    "district",
    "lat",
    "lon",
    "phone",
    "email",
    "website",
    "hours",
    "hours_year",
    "wheelchair",
    "languages",
    "target_groups",
    "description",
    "source_url",
    "confidence",
    "last_verified",
]
LIST_FIELDS = ("extra_categories", "languages", "target_groups")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
POSTCODE_RE = re.compile(r"^\d{5}$")
TRUE = {"ja", "yes", "true", "1", "wahr", "y", "j"}
FALSE = {"nein", "no", "false", "0", "falsch", "n"}

Geocoder = Callable[[str | None, str | None, int | None], Location | None]


class ImportErrorRow(NamedTuple):
    line: int
    field: str | None
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field + ': ' if self.field else ''}{self.reason}"


class ImportFailed(Exception):
    def __init__(self, errors: list[ImportErrorRow]):
        self.errors = errors
        super().__init__("\n".join(map(str, errors)))


@dataclass(slots=True)
class ImportReport:
    created: int
    updated: int
    total: int
    deleted: int = 0


def detect_format(path: Path | str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".geojson", ".json"):
        return "geojson"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    raise ValueError(f"unknown file type {suffix!r}: use .csv, .geojson or .yaml")


def slugify(text: str) -> str:
    ascii_text = fold(text).encode("ascii", "ignore").decode()
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]+", "-", ascii_text)).strip("-")[:150]


# -- reading -------------------------------------------------------------------------
def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ImportFailed([ImportErrorRow(line, None, "not valid UTF-8 text (broken encoding)")]) from exc


def _csv_rows(text: str) -> list[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = {"name", "category"} - set(reader.fieldnames or ())
    if missing:
        raise ImportFailed([ImportErrorRow(1, None, f"missing columns: {', '.join(sorted(missing))}")])
    rows = []
    for row in reader:
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        # the reader's line_num is the last physical line of the record
        rows.append((reader.line_num, {k: v for k, v in row.items() if k is not None}))
    return rows


def _geojson_rows(text: str) -> list[tuple[int, dict]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFailed([ImportErrorRow(exc.lineno, None, f"not valid JSON: {exc.msg}")]) from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ImportFailed([ImportErrorRow(1, None, "not a GeoJSON FeatureCollection")])
    rows = []
    for i, feature in enumerate(data.get("features") or [], 1):
        props = dict(feature.get("properties") or {})
        geom = feature.get("geometry")
        if geom and geom.get("type") == "Point":
            props["lon"], props["lat"] = geom["coordinates"][:2]
        elif geom:
            props["_geometry_error"] = f"geometry must be a Point, not {geom.get('type')}"
        rows.append((i, props))
    return rows


def _yaml_rows(text: str) -> list[tuple[int, dict]]:
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ImportFailed([ImportErrorRow(mark.line + 1 if mark else 1, None, "not valid YAML")]) from exc
    if not isinstance(data, dict) or not isinstance(data.get("facilities"), list):
        raise ImportFailed([ImportErrorRow(1, None, "expected a mapping with a 'facilities' list")])
    items = next(v for k, v in node.value if k.value == "facilities").value
    rows = []
    for item_node, item in zip(items, data["facilities"], strict=True):
        line = item_node.start_mark.line + 1
        rows.append(
            (line, item if isinstance(item, dict) else {"_type_error": "each entry must be a mapping"})
        )
    return rows


def read_rows(path: Path | str, fmt: str | None = None) -> list[tuple[int, dict]]:
    fmt = fmt or detect_format(path)
    text = _decode(Path(path).read_bytes())
    return {"csv": _csv_rows, "geojson": _geojson_rows, "yaml": _yaml_rows}[fmt](text)


# -- validation ----------------------------------------------------------------------
def _text(value: Any) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value).split(";") if v.strip()]


@dataclass(slots=True)
class _Context:
    districts: dict[int, Area]
    by_name: dict[str, int]
    geocode: Geocoder


def _clean(line: int, raw: dict, ctx: _Context, errors: list[ImportErrorRow]) -> dict | None:
    bad = len(errors)

    def fail(field: str | None, reason: str) -> None:
        errors.append(ImportErrorRow(line, field, reason))

    for key in ("_geometry_error", "_type_error"):
        if key in raw:
            fail("geometry" if key == "_geometry_error" else None, raw[key])
            return None
    row = {f: raw.get(f) for f in FIELDS}
    name = _text(row["name"])
    if not name:
        fail("name", "missing name")
    category = _text(row["category"])
    if not category:
        fail("category", "missing category")
    elif category not in CATEGORY_KEYS:
        fail("category", f"unknown category {category!r}")
    extra = _list(row["extra_categories"])
    for c in extra:
        if c not in CATEGORY_KEYS:
            fail("extra_categories", f"unknown category {c!r}")
    groups = _list(row["target_groups"])
    for g in groups:
        if g not in TARGET_GROUP_KEYS:
            fail("target_groups", f"unknown target group {g!r}")
    district = None
    if _text(row["district"]):
        raw_d = _text(row["district"])
        district = int(raw_d) if raw_d.isdigit() else ctx.by_name.get(fold(raw_d))
        if district not in ctx.districts:
            fail("district", f"unknown district {raw_d!r}")
            district = None
    lat, lon = _text(row["lat"]), _text(row["lon"])
    point = None
    if (lat is None) != (lon is None):
        fail("lat" if lat is None else "lon", "lat and lon go together")
    elif lat is not None:
        try:
            point = (float(lat), float(lon))
        except ValueError:
            fail("lat", "coordinates must be numbers")
        else:
            inside = [n for n, area in ctx.districts.items() if area.contains(*point)]
            if not inside:
                fail("lat", "coordinates outside Karlsruhe")
            elif district is None:
                district = inside[0]
    street, number = _text(row["street"]), _text(row["house_number"])
    email = _text(row["email"])
    # several addresses may share the field ("a@x.de / b@x.de"); each must be one
    if email and not all(EMAIL_RE.match(e.strip()) for e in re.split(r"\s*[/;,]\s*|\s+", email) if e.strip()):
        fail("email", f"not an e-mail address: {email!r}")
    website = _text(row["website"])
    if website:
        if website.lower().startswith("www."):
            website = "https://" + website
        if not re.match(r"^https?://\S+\.\S+", website, re.IGNORECASE):
            fail("website", f"not a web address: {website!r}")
    if number and len(number) > 20:
        fail("house_number", "house number longer than 20 characters")
    if len(_text(row["slug"]) or "") > 160:
        fail("slug", "slug longer than 160 characters")
    confidence = _text(row["confidence"])
    if confidence and confidence not in ("high", "medium", "low"):
        fail("confidence", f"expected high, medium or low, got {confidence!r}")
    postcode = _text(row["postcode"])
    if postcode and not POSTCODE_RE.match(postcode):
        fail("postcode", f"not a postcode: {postcode!r}")
    wheelchair = _text(row["wheelchair"])
    if wheelchair is not None:
        low = wheelchair.lower()
        if low not in TRUE | FALSE:
            fail("wheelchair", f"expected ja/nein, got {wheelchair!r}")
        wheelchair = low in TRUE
    hours_year = _text(row["hours_year"])
    if hours_year is not None:
        if not hours_year.isdigit():
            fail("hours_year", f"not a year: {hours_year!r}")
        hours_year = int(hours_year) if hours_year.isdigit() else None
    last_verified = _text(row["last_verified"])
    if last_verified is not None:
        try:
            last_verified = dt.date.fromisoformat(last_verified)
        except ValueError:
            fail("last_verified", f"not an ISO date: {last_verified!r}")
    if len(errors) > bad:
        return None
    if point is not None:
        location = Location(point[0], point[1], "exact", True, district)
    else:
        location = ctx.geocode(street, number, district)
    return {
        "slug": _text(row["slug"]) or slugify(f"{name} {district or ''}"),
        "name": name,
        "category": category,
        "extra_categories": extra,
        "operator": _text(row["operator"]),
        "street": street,
        "house_number": number,
        "address_note": _text(row["address_note"]),
        "postcode": postcode,
        "district_number": district,
        "lat": location.lat if location else None,
        "lon": location.lon if location else None,
        "location_precision": location.precision if location else "none",
        "location_exact": bool(location and location.exact),
        "phone": _text(row["phone"]),
        "email": email,
        "website": website,
        "hours_text": _text(row["hours"]),
        "hours_year": hours_year,
        "wheelchair": wheelchair,
        "languages": _list(row["languages"]),
        "target_groups": groups,
        "description": _text(row["description"]),
        "source_url": _text(row["source_url"]),
        "confidence": _text(row["confidence"]),
        "last_verified": last_verified,
        "_point_given": point is not None,
    }


async def _context(session: AsyncSession, geocode: Geocoder | None) -> _Context:
    districts = (await session.scalars(select(District))).all()
    areas = {d.number: Area.from_geojson(d.polygon) for d in districts}
    if geocode is None:
        from knowledge.index import load_gazetteer

        geocode = (await load_gazetteer(session)).locate_address
    return _Context(areas, {fold(d.name): d.number for d in districts}, geocode)


# -- writing -------------------------------------------------------------------------
def _offer_for(data: dict) -> Offer | None:
    parsed = parse_hours(data["hours_text"])
    if not parsed.specs:
        return None
    year = data["hours_year"] or parsed.year
    return Offer(
        title=data["name"],
        target_groups=data["target_groups"],
        schedules=[
            Schedule(
                label=s.label,
                rrule=s.rrule,
                start_time=s.start,
                duration_minutes=s.duration_minutes,
                dates=[d.isoformat() for d in s.dates],
                source_text=data["hours_text"],
                source_year=year,
            )
            for s in parsed.specs
        ],
    )


def _apply(f: Facility, data: dict) -> None:
    for key, value in data.items():
        if not key.startswith("_"):
            setattr(f, key, value)
    if f.hours_year is None and data["hours_text"]:
        f.hours_year = parse_hours(data["hours_text"]).year
    offer = _offer_for(data)
    f.offers = [offer] if offer else []
    f.contacts = [Contact(phone=data["phone"], email=data["email"])] if data["phone"] or data["email"] else []


async def import_facilities(
    session: AsyncSession,
    path: Path | str,
    *,
    geocode: Geocoder | None = None,
    replace: bool = False,
    fmt: str | None = None,
) -> ImportReport:
    """Validate every row, then write all of them in one transaction (or nothing)."""
    rows = await asyncio.to_thread(read_rows, path, fmt)
    ctx = await _context(session, geocode)
    errors: list[ImportErrorRow] = []
    cleaned: list[dict] = []
    seen: dict[str, int] = {}
    for line, raw in rows:
        data = _clean(line, raw, ctx, errors)
        if data is None:
            continue
        if data["slug"] in seen:
            errors.append(
                ImportErrorRow(
                    line, "slug", f"duplicate slug {data['slug']!r} (also line {seen[data['slug']]})"
                )
            )
            continue
        seen[data["slug"]] = line
        cleaned.append(data)
    if errors:
        await session.rollback()
        raise ImportFailed(errors)
    try:
        existing = {
            f.slug: f
            for f in (
                await session.scalars(
                    select(Facility).options(
                        selectinload(Facility.offers).selectinload(Offer.schedules),
                        selectinload(Facility.contacts),
                    )
                )
            ).all()
        }
        created = updated = deleted = 0
        for data in cleaned:
            f = existing.get(data["slug"])
            if f is None:
                f = Facility()
                session.add(f)
                created += 1
            else:
                updated += 1
            _apply(f, data)
        if replace:
            gone = set(existing) - set(seen)
            if gone:
                await session.execute(delete(Facility).where(Facility.slug.in_(gone)))
                deleted = len(gone)
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    return ImportReport(created, updated, len(cleaned), deleted)


# -- export --------------------------------------------------------------------------
def _export_row(f: Facility, district_names: dict[int, str]) -> dict[str, Any]:
    exact = f.location_precision == "exact"
    return {
        "slug": f.slug,
        "name": f.name,
        "category": f.category,
        "extra_categories": list(f.extra_categories or []),
        "operator": f.operator,
        "street": f.street,
        "house_number": f.house_number,
        "address_note": f.address_note,
        "postcode": f.postcode,
        "district": f.district_number,
        "lat": f.lat if exact else None,
        "lon": f.lon if exact else None,
        "phone": f.phone,
        "email": f.email,
        "website": f.website,
        "hours": f.hours_text,
        "hours_year": f.hours_year,
        "wheelchair": None if f.wheelchair is None else ("ja" if f.wheelchair else "nein"),
        "languages": list(f.languages or []),
        "target_groups": list(f.target_groups or []),
        "description": f.description,
        "source_url": f.source_url,
        "confidence": f.confidence,
        "last_verified": f.last_verified.isoformat() if f.last_verified else None,
    }


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(value)
    return str(value)


def render_rows(rows: list[dict[str, Any]], fmt: str) -> str:
    """The text of an export file in one of the three formats."""
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: _csv_value(v) for k, v in r.items()} for r in rows)
        return buf.getvalue()
    if fmt == "geojson":
        features = []
        for r in rows:
            lat, lon = r.pop("lat"), r.pop("lon")
            geometry = {"type": "Point", "coordinates": [lon, lat]} if lat is not None else None
            features.append({"type": "Feature", "geometry": geometry, "properties": r})
        collection = {"type": "FeatureCollection", "features": features}
        return json.dumps(collection, ensure_ascii=False, indent=1) + "\n"
    return yaml.safe_dump({"facilities": rows}, allow_unicode=True, sort_keys=False)


async def export_facilities(session: AsyncSession, path: Path | str, fmt: str | None = None) -> int:
    """Write all facilities in the import format; returns how many."""
    fmt = fmt or detect_format(path)
    facilities = (await session.scalars(select(Facility).order_by(Facility.slug))).all()
    names = {d.number: d.name for d in (await session.scalars(select(District))).all()}
    rows = [_export_row(f, names) for f in facilities]
    await asyncio.to_thread(Path(path).write_text, render_rows(rows, fmt), encoding="utf-8")
    return len(rows)
