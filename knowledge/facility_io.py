"""Import and export of facilities as CSV, GeoJSON or YAML — all rows or none.

Every row is validated before anything is written; one bad row stops the import
and the error list names each bad row with its line and reason. Writing happens in
one transaction that is rolled back on any failure, so a failed import changes
nothing. Export writes the same fields back, so export -> import is a round trip.

A file is refused with one named error, never a traceback, when it is of an unknown type,
larger than its format's limit (YAML: 5 MiB), nested deeper than `MAX_DEPTH`, uses YAML
aliases (a 533-byte "billion laughs" document would otherwise expand to gigabytes), or
has the wrong shape (a GeoJSON feature that is not an object, coordinates that are not
two numbers, a mapping where a value belongs). A row is refused, with its line and
field, for a name longer than `MAX_NAME` or a value longer than `MAX_FIELD` characters,
and for a value a spreadsheet would run as a formula (starting with = + - @, a tab or
a carriage return; phone numbers and plain numbers may start with + or -). Our own
exports put an apostrophe before such cells (knowledge.exports), which an import removes.
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
from knowledge.exports import dict_writer, unescape_cell, write_private_text
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
NUMBER_OR_PHONE_RE = re.compile(r"^[+-]?[\d\s()/.-]+$")  # "+49 721 133-5101", "-0.5"
DIGITS_RE = re.compile(r"^[0-9]+$")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")  # NUL, lone surrogates, ...
FORMULA_ALWAYS = ("=", "@", "\t", "\r")
MAX_NAME = 200
MAX_FIELD = 2000
MAX_DEPTH = 20  # nesting of YAML or JSON: a facility needs four levels
MAX_BYTES = {"csv": 50 * 2**20, "geojson": 50 * 2**20, "yaml": 5 * 2**20}
TRUE = {"ja", "yes", "true", "1", "wahr", "y", "j"}
FALSE = {"nein", "no", "false", "0", "falsch", "n"}

Geocoder = Callable[[str | None, str | None, int | None], Location | None]


class ImportErrorRow(NamedTuple):
    line: int  # 0: the file as a whole
    field: str | None
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        return f"{where}: {self.field + ': ' if self.field else ''}{self.reason}"


def _file_error(reason: str, line: int = 0) -> ImportFailed:
    return ImportFailed([ImportErrorRow(line, None, reason)])


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


class UnknownFileType(ValueError):
    pass


def detect_format(path: Path | str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".geojson", ".json"):
        return "geojson"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    raise UnknownFileType(f"unknown file type {suffix or '(none)'!r}: use .csv, .geojson or .yaml")


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
    rows = []
    try:
        missing = {"name", "category"} - set(reader.fieldnames or ())
        if missing:
            raise _file_error(f"missing columns: {', '.join(sorted(missing))}", 1)
        for row in reader:
            if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                continue
            # the reader's line_num is the last physical line of the record
            rows.append((reader.line_num, {k: v for k, v in row.items() if k is not None}))
    except csv.Error as exc:
        raise _file_error(f"not valid CSV: {exc}", reader.line_num or 1) from exc
    return rows


def _depth(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether `value` nests no deeper than `limit` lists and objects (without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return False
            stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return True


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _geojson_rows(text: str) -> list[tuple[int, dict]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _file_error(f"not valid JSON: {exc.msg}", exc.lineno) from exc
    except RecursionError as exc:
        raise _file_error(f"nested deeper than {MAX_DEPTH} levels") from exc
    if not _depth(data):
        raise _file_error(f"nested deeper than {MAX_DEPTH} levels")
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise _file_error("not a GeoJSON FeatureCollection")
    features = data.get("features")
    if features is None:
        features = []
    if not isinstance(features, list):
        raise _file_error("'features' must be a list of features")
    rows = []
    for i, feature in enumerate(features, 1):
        if not isinstance(feature, dict) or feature.get("type", "Feature") != "Feature":
            rows.append((i, {"_type_error": "each feature must be a GeoJSON Feature object"}))
            continue
        props = feature.get("properties")
        if props is None:
            props = {}
        if not isinstance(props, dict):
            rows.append((i, {"_type_error": "'properties' must be an object"}))
            continue
        props = dict(props)
        geom = feature.get("geometry")
        if geom is None:
            pass
        elif not isinstance(geom, dict):
            props["_geometry_error"] = "geometry must be an object"
        elif geom.get("type") != "Point":
            props["_geometry_error"] = f"geometry must be a Point, not {str(geom.get('type'))[:40]!r}"
        else:
            coords = geom.get("coordinates")
            if not isinstance(coords, list) or len(coords) < 2 or not all(map(_number, coords[:2])):
                props["_geometry_error"] = "Point coordinates must be [longitude, latitude] numbers"
            else:
                props["lon"], props["lat"] = coords[:2]
        rows.append((i, props))
    return rows


class _Refused(yaml.YAMLError):
    def __init__(self, line: int, reason: str):
        super().__init__(reason)
        self.line, self.reason = line, reason


class _ImportLoader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases and with a nesting limit.

    An alias makes one node appear many times: nine lines of anchors and aliases (533
    bytes) name a billion strings. A facility list never needs them, so the first alias
    stops the import before anything is built; so does nesting deeper than MAX_DEPTH.
    """

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            line = self.peek_event().start_mark.line + 1
            raise _Refused(line, "YAML aliases (*name) are not allowed in an import")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                line = self.peek_event().start_mark.line + 1
                raise _Refused(line, f"nested deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _yaml_rows(text: str) -> list[tuple[int, dict]]:
    loader = _ImportLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except _Refused as exc:
        raise _file_error(exc.reason, exc.line) from None
    except (yaml.YAMLError, RecursionError, ValueError, TypeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        raise _file_error("not valid YAML", mark.line + 1 if mark else 0) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict) or not isinstance(data.get("facilities"), list):
        raise _file_error("expected a mapping with a 'facilities' list", 1)
    items = next(v for k, v in node.value if k.value == "facilities").value
    rows = []
    for item_node, item in zip(items, data["facilities"], strict=True):
        line = item_node.start_mark.line + 1
        rows.append(
            (line, item if isinstance(item, dict) else {"_type_error": "each entry must be a mapping"})
        )
    return rows


def read_rows(path: Path | str, fmt: str | None = None) -> list[tuple[int, dict]]:
    """The rows of an import file with their lines; ImportFailed names what is wrong with the file."""
    try:
        fmt = fmt or detect_format(path)
    except UnknownFileType as exc:
        raise _file_error(str(exc)) from None
    try:
        size = Path(path).stat().st_size
        if size > MAX_BYTES[fmt]:
            raise _file_error(f"file too large: {size:,} bytes, at most {MAX_BYTES[fmt]:,} for {fmt}")
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise _file_error(f"cannot read the file: {exc.strerror or type(exc).__name__}") from None
    return {"csv": _csv_rows, "geojson": _geojson_rows, "yaml": _yaml_rows}[fmt](_decode(raw))


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


SCALARS = (str, int, float, bool, dt.date)


def _shown(value: Any) -> str:
    """A refused value in an error line: quoted, and short enough to read."""
    text = str(value)
    return repr(text if len(text) <= 60 else text[:60] + "…")


def _formula(text: str) -> str | None:
    """Why a spreadsheet would run `text` as a formula, or None."""
    signed = text.startswith(("+", "-")) and not NUMBER_OR_PHONE_RE.match(text)
    if text.startswith(FORMULA_ALWAYS) or signed:
        return f"starts with {text[0]!r}, which a spreadsheet would run as a formula"
    return None


def _field(field: str, value: Any) -> tuple[Any, str | None]:
    """A raw value of `field` as text (a list for list fields), or the reason it is refused."""
    if value is None:
        return ([] if field in LIST_FIELDS else None), None
    if isinstance(value, dict):
        return None, "expected a value, not a mapping"
    if isinstance(value, list | tuple):
        if field not in LIST_FIELDS:
            return None, "expected a single value, not a list"
        if not all(isinstance(v, SCALARS) for v in value):
            return None, "expected a list of values"
        items = [str(v) for v in value]
    elif not isinstance(value, SCALARS):
        return None, f"unexpected {type(value).__name__}"
    else:
        text = value.isoformat() if isinstance(value, dt.date) else str(value)
        items = text.split(";") if field in LIST_FIELDS else [text]
    items = [unescape_cell(i.strip()).strip() for i in items]
    limit = MAX_NAME if field == "name" else MAX_FIELD
    total = sum(map(len, items)) + max(0, len(items) - 1)
    if total > limit:
        return None, f"longer than {limit} characters ({total})"
    for item in items:
        if CONTROL_RE.search(item):
            return None, "contains control characters or broken text"
        if reason := _formula(item):
            return None, reason
    if field in LIST_FIELDS:
        return [i for i in items if i], None
    return items[0] or None, None


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
    row: dict[str, Any] = {}
    for f in FIELDS:
        row[f], reason = _field(f, raw.get(f))
        if reason:
            fail(f, reason)
    if len(errors) > bad:
        return None
    name = _text(row["name"])
    if not name:
        fail("name", "missing name")
    category = _text(row["category"])
    if not category:
        fail("category", "missing category")
    elif category not in CATEGORY_KEYS:
        fail("category", f"unknown category {_shown(category)}")
    extra = _list(row["extra_categories"])
    for c in extra:
        if c not in CATEGORY_KEYS:
            fail("extra_categories", f"unknown category {_shown(c)}")
    groups = _list(row["target_groups"])
    for g in groups:
        if g not in TARGET_GROUP_KEYS:
            fail("target_groups", f"unknown target group {_shown(g)}")
    district = None
    if _text(row["district"]):
        raw_d = _text(row["district"])
        district = int(raw_d) if DIGITS_RE.match(raw_d) else ctx.by_name.get(fold(raw_d))
        if district not in ctx.districts:
            fail("district", f"unknown district {_shown(raw_d)}")
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
        fail("email", f"not an e-mail address: {_shown(email)}")
    website = _text(row["website"])
    if website:
        if website.lower().startswith("www."):
            website = "https://" + website
        if not re.match(r"^https?://\S+\.\S+", website, re.IGNORECASE):
            fail("website", f"not a web address: {_shown(website)}")
    if number and len(number) > 20:
        fail("house_number", "house number longer than 20 characters")
    if len(_text(row["slug"]) or "") > 160:
        fail("slug", "slug longer than 160 characters")
    confidence = _text(row["confidence"])
    if confidence and confidence not in ("high", "medium", "low"):
        fail("confidence", f"expected high, medium or low, got {_shown(confidence)}")
    postcode = _text(row["postcode"])
    if postcode and not POSTCODE_RE.match(postcode):
        fail("postcode", f"not a postcode: {_shown(postcode)}")
    wheelchair = _text(row["wheelchair"])
    if wheelchair is not None:
        low = wheelchair.lower()
        if low not in TRUE | FALSE:
            fail("wheelchair", f"expected ja/nein, got {_shown(wheelchair)}")
        wheelchair = low in TRUE
    hours_year = _text(row["hours_year"])
    if hours_year is not None:
        if not DIGITS_RE.match(hours_year) or len(hours_year) > 4:
            fail("hours_year", f"not a year: {_shown(hours_year)}")
        hours_year = int(hours_year) if DIGITS_RE.match(hours_year) and len(hours_year) <= 4 else None
    last_verified = _text(row["last_verified"])
    if last_verified is not None:
        try:
            last_verified = dt.date.fromisoformat(last_verified)
        except ValueError:
            fail("last_verified", f"not an ISO date: {_shown(last_verified)}")
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
        writer = dict_writer(buf, FIELDS, lineterminator="\n")
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
    await asyncio.to_thread(write_private_text, path, render_rows(rows, fmt))
    return len(rows)
