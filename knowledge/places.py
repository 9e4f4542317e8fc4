"""Place resolution: district names and their variants, streets, postcodes, coordinates.

The gazetteer is an in-memory view of the geography tables plus `data/places.yaml`.
It contributes place terms to the vocabulary and, once the matcher found them,
turns the chosen matches into one `Place`: a district (or none), a point, and how
the place was named. No district is ever invented: a question without a place
gets `Place.none()`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from knowledge.catalogue import Term
from knowledge.geo import Area, haversine_m
from knowledge.matching import Match
from knowledge.text import fold, street_key, tokens

DATA = Path(__file__).parent / "data"
PLACES_PATH = DATA / "places.yaml"
INFORMAL_POINTS_PATH = DATA / "karlsruhe" / "informal_points.json"
POSTCODE_RE = re.compile(r"^76[12]\d\d$")
HOUSE_NUMBER_RE = re.compile(r"^\d{1,4}[a-z]?$")
# A single-word street only counts as a place when it looks like one: these endings
# ("Kaiserallee", "Marktplatz") or a house number after it.
STREET_ENDINGS = (
    "str",
    "weg",
    "allee",
    "platz",
    "gasse",
    "ring",
    "damm",
    "pfad",
    "steig",
    "anlage",
    "promenade",
    "ufer",
    "graben",
    "hof",
    "wall",
    "markt",
    "tor",
    "brucke",
    "siedlung",
)
# A shared point this far outside every district is not in Karlsruhe: no search.
CITY_MARGIN_M = 2000.0
# Postcode rows backed by fewer streets than this share of the best row are noise.
POSTCODE_MIN_SHARE = 0.25
POSTCODE_MIN_STREETS = 3


@dataclass(frozen=True, slots=True)
class DistrictInfo:
    number: int
    name: str
    area: Area
    inside_lat: float
    inside_lon: float
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StreetInfo:
    id: int
    name: str
    parts: tuple[dict[str, Any], ...]  # best first: district, share, lat, lon, radius_m
    postcodes: tuple[str, ...] = ()

    def part_in(self, district: int | None) -> dict[str, Any]:
        if district is not None:
            for part in self.parts:
                if part["district"] == district:
                    return part
        return self.parts[0]


@dataclass(frozen=True, slots=True)
class Location:
    """Where a facility is: a point, how precise it is, and its district."""

    lat: float
    lon: float
    precision: str  # exact | street | district
    exact: bool
    district: int | None


@dataclass(slots=True)
class Place:
    """What a question says about where: district, a point, and the evidence."""

    district: int | None = None
    alternatives: tuple[int, ...] = ()
    lat: float | None = None
    lon: float | None = None
    kind: str = "none"  # none | district | informal | street | postcode | point | city | outside
    label: str | None = None
    house_number: str | None = None
    spans: list[tuple[int, int]] = field(default_factory=list)

    @classmethod
    def none(cls) -> Place:
        return cls()

    @property
    def has_point(self) -> bool:
        return self.lat is not None and self.lon is not None


@lru_cache(maxsize=2)
def load_places_config(path: Path | str | None = None) -> dict[str, Any]:
    return yaml.safe_load(Path(path or PLACES_PATH).read_text(encoding="utf-8"))


def _load_informal_points() -> dict[str, list[float | None]]:
    if INFORMAL_POINTS_PATH.exists():
        return json.loads(INFORMAL_POINTS_PATH.read_text(encoding="utf-8"))
    return {}


class Gazetteer:
    def __init__(
        self,
        districts: Iterable[DistrictInfo],
        streets: Iterable[StreetInfo] = (),
        postcodes: Iterable[tuple[str, int, int]] = (),
        config: dict[str, Any] | None = None,
    ):
        self.districts = {d.number: d for d in districts}
        self.streets = {s.id: s for s in streets}
        self.street_by_key = {street_key(s.name): s for s in self.streets.values()}
        self.postcodes: dict[str, list[tuple[int, int]]] = {}
        for code, district, count in postcodes:
            self.postcodes.setdefault(code, []).append((district, count))
        for rows in self.postcodes.values():
            rows.sort(key=lambda r: -r[1])
        self.config = config if config is not None else load_places_config()
        points = _load_informal_points()
        self.informal: dict[str, dict[str, Any]] = {}
        for item in self.config.get("informal_places") or []:
            lat, lon = item.get("lat"), item.get("lon")
            if lat is None and item["name"] in points:
                lat, lon = points[item["name"]]
            self.informal[item["name"]] = {**item, "lat": lat, "lon": lon}
        self.district_by_fold = {fold(d.name): d.number for d in self.districts.values()}
        self.outline = [
            (p[1], p[0]) for d in self.districts.values() for poly in d.area.polygons for p in poly[0]
        ]

    # -- vocabulary ---------------------------------------------------------------
    def terms(self) -> list[Term]:
        out: list[Term] = []

        def add(text: str, target: str, kind: str = "place") -> None:
            toks = tokens(text)
            if toks:
                out.append(Term(text, "".join(toks), len(toks), kind, ((target, 1.0),)))

        for d in self.districts.values():
            add(d.name, f"district:{d.number}")
            add(str(d.name).replace("-", " "), f"district:{d.number}")
            for alias in d.aliases:
                add(alias, f"district:{d.number}")
        for number, block in (self.config.get("districts") or {}).items():
            if int(number) not in self.districts:
                continue
            for word in (block or {}).get("aliases") or []:
                add(word, f"district:{number}")
            for word in (block or {}).get("adjectives") or []:
                add(word, f"district:{number}")
        for name in self.informal:
            add(name, f"informal:{name}")
        for word in self.config.get("city_names") or []:
            add(word, "city")
        for s in self.streets.values():
            add(s.name, f"street:{s.id}", kind="street")
            short = street_key(s.name)  # "herrenalberstr" for "Herrenalber Str." in a question
            if short != out[-1].key:
                out.append(Term(s.name, short, out[-1].ntokens, "street", ((f"street:{s.id}", 1.0),)))
        return out

    # -- lookups ------------------------------------------------------------------
    def district_at(self, lat: float, lon: float) -> int | None:
        for d in self.districts.values():
            if d.area.contains(lat, lon):
                return d.number
        return None

    def near_city(self, lat: float, lon: float, margin_m: float = CITY_MARGIN_M) -> bool:
        """Inside a district, or within `margin_m` of one (a person at the city's edge)."""
        if not self.outline or self.district_at(lat, lon) is not None:
            return True
        # flat-earth metres are exact enough at 2 km; the bounding box rejects far points at once
        dlat = margin_m / 111_195.0
        dlon = dlat / max(0.01, math.cos(math.radians(lat)))
        near = [(y, x) for y, x in self.outline if abs(y - lat) <= dlat and abs(x - lon) <= dlon]
        return bool(near) and min(haversine_m(lat, lon, y, x) for y, x in near) <= margin_m

    def district_named(self, text: str | int | None) -> int | None:
        """A district number from a number or a (folded) name; None if unknown."""
        if text is None or str(text).strip() == "":
            return None
        raw = str(text).strip()
        if raw.isdigit():
            return int(raw) if int(raw) in self.districts else None
        return self.district_by_fold.get(fold(raw))

    def street(self, name: str | None) -> StreetInfo | None:
        return self.street_by_key.get(street_key(name)) if name else None

    def locate_address(
        self, street: str | None, house_number: str | None, district: int | None
    ) -> Location | None:
        """Geocode an address: a point on the street, else the district's inside point."""
        info = self.street(street)
        if info is not None:
            part = info.part_in(district)
            exact = part.get("radius_m", 10_000) <= 300
            return Location(part["lat"], part["lon"], "street", exact, district or part["district"])
        if district in self.districts:
            d = self.districts[district]
            return Location(d.inside_lat, d.inside_lon, "district", False, district)
        return None

    def postcode_districts(self, code: str) -> tuple[int, ...]:
        """Districts of a postcode, best-supported first, noise rows dropped."""
        rows = self.postcodes.get(code) or []
        if not rows:
            return ()
        best = rows[0][1]
        keep = [
            d for d, n in rows if n == best or (n >= POSTCODE_MIN_STREETS and n >= POSTCODE_MIN_SHARE * best)
        ]
        return tuple(keep)

    # -- resolution ---------------------------------------------------------------
    @staticmethod
    def house_number_after(toks: list[str], m: Match) -> str | None:
        nxt = toks[m.end] if m.end < len(toks) else ""
        return nxt if HOUSE_NUMBER_RE.match(nxt) else None

    def plausible(self, toks: list[str], m: Match) -> Match | None:
        """Drop street terms that do not look like a street here (see STREET_ENDINGS)."""
        keep = tuple(
            t
            for t in m.terms
            if t.kind != "street"
            or street_key(t.text).endswith(STREET_ENDINGS)
            or self.house_number_after(toks, m)
        )
        if not keep:
            return None
        return m if len(keep) == len(m.terms) else Match(m.start, m.end, keep, m.score)

    def resolve(
        self, toks: list[str], matches: list[Match], lat: float | None = None, lon: float | None = None
    ) -> Place:
        """Combine place matches (and a shared point) into one Place."""
        place = Place.none()
        by_kind: dict[str, list[tuple[Match, Term]]] = {}
        for m in matches:
            for t in m.terms:
                if t.kind in ("place", "street"):
                    by_kind.setdefault(t.targets[0][0].split(":")[0], []).append((m, t))
        named_district = None
        for m, t in by_kind.get("district", []):
            named_district = int(t.targets[0][0].split(":")[1])
            place = Place(named_district, (), None, None, "district", self.districts[named_district].name)
            d = self.districts[named_district]
            place.lat, place.lon = d.inside_lat, d.inside_lon
            place.spans.append((m.start, m.end))
            break
        for m, t in by_kind.get("informal", []):
            name = t.targets[0][0].split(":", 1)[1]
            item = self.informal[name]
            ds = tuple(item.get("districts") or ())
            if named_district is None or named_district in ds:
                district = named_district or ds[0]
                place = Place(district, ds[1:], item.get("lat"), item.get("lon"), "informal", name)
                if place.lat is None:
                    d = self.districts[district]
                    place.lat, place.lon = d.inside_lat, d.inside_lon
                place.spans.append((m.start, m.end))
                break
        for m, t in by_kind.get("street", []):
            info = self.streets[int(t.targets[0][0].split(":")[1])]
            number = self.house_number_after(toks, m)
            part = info.part_in(named_district)
            alternatives = tuple(p["district"] for p in info.parts if p["district"] != part["district"])
            place = Place(
                part["district"], alternatives, part["lat"], part["lon"], "street", info.name, number
            )
            place.spans.append((m.start, m.end + (1 if number else 0)))
            break
        if place.kind in ("none", "district"):
            for i, tok in enumerate(toks):
                if POSTCODE_RE.match(tok):
                    ds = self.postcode_districts(tok)
                    if ds and (named_district is None or named_district in ds):
                        best = named_district or ds[0]
                        d = self.districts[best]
                        place = Place(
                            best,
                            tuple(x for x in ds if x != best),
                            d.inside_lat,
                            d.inside_lon,
                            "postcode",
                            tok,
                        )
                        place.spans.append((i, i + 1))
                        break
        if lat is not None and lon is not None:
            # a shared location is the most precise thing we have; the district follows it
            at = self.district_at(lat, lon)
            spans = place.spans
            inside = at is not None or self.near_city(lat, lon)
            place = Place(at, (), lat, lon, "point" if inside else "outside", None)
            place.spans = spans
        if place.kind == "none" and "city" in by_kind:
            place.kind = "city"
            place.spans = [(m.start, m.end) for m, _ in by_kind["city"]]
        return place
