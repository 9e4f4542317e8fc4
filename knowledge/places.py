"""Place resolution: district names and their variants, streets, postcodes, landmarks, coordinates.

The gazetteer is an in-memory view of the geography tables plus `data/places.yaml`
and the packaged places people name (`data/karlsruhe/landmarks.csv`: stops,
stations, squares, schools, landmarks). It contributes place terms to the
vocabulary and, once the matcher found them, turns the chosen matches into one
`Place`: a district (or none), a point, and how the place was named. No district is
ever invented: a question without a place gets `Place.none()`.

Landmarks and stops: every name and alias is one key of a table built once, with the
places it names best first (the place itself before a square or station named after
it, before its stops); a lookup is a dict access. A landmark's district is the one
its data gives (for a stop, where its platforms stand); districts near its point are
its alternatives. Named exactly, a landmark or stop wins over a street the words only
resemble ("Durlacher Tor" is not "Durlacher Straße"); a street of exactly that name
wins over a stop named after it unless a stop word says otherwise ("Haltestelle
Tullastraße"). A district named in the same question wins over a landmark that is not
in or near it.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from knowledge.catalogue import Term
from knowledge.geo import Area, haversine_m
from knowledge.matching import Match
from knowledge.text import fold, squash, street_key, tokens

DATA = Path(__file__).parent / "data"
PLACES_PATH = DATA / "places.yaml"
INFORMAL_POINTS_PATH = DATA / "karlsruhe" / "informal_points.json"
LANDMARKS_PATH = DATA / "karlsruhe" / "landmarks.csv"
STOP_KINDS = frozenset({"stop", "station"})
# Among the places one name may mean: the place itself, then a square of that name,
# then its station, then its stops ("Kronenplatz": the square; "KIT": the campus).
KIND_RANK = {"square": 1, "station": 2, "stop": 3}
# Names shorter than this are not looked up (two letters name too many things).
MIN_LANDMARK_KEY = 3
# A name matched with a typo must be this long: short names are too easily hit by a
# misspelt everyday word.
MIN_FUZZY_LANDMARK_KEY = 7
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
class LandmarkInfo:
    """A place people name: a stop, station, square or landmark, with its district(s)."""

    name: str
    kind: str  # stop | station | square | landmark | school | park | ... (orte.csv)
    lat: float
    lon: float
    district: int | None
    alternatives: tuple[int, ...] = ()
    aliases: tuple[str, ...] = ()

    @property
    def is_stop(self) -> bool:
        return self.kind in STOP_KINDS


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
    # none | district | informal | street | landmark | stop | postcode | point | city | outside
    kind: str = "none"
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


@lru_cache(maxsize=2)
def load_landmarks(path: Path | str | None = None) -> tuple[LandmarkInfo, ...]:
    """The packaged places people name (see `data/build_karlsruhe.py`)."""
    path = Path(path or LANDMARKS_PATH)
    if not path.exists():
        return ()
    with open(path, encoding="utf-8") as fh:
        return tuple(
            LandmarkInfo(
                r["name"],
                r["kind"],
                float(r["lat"]),
                float(r["lon"]),
                int(r["district"]) if r["district"] else None,
                tuple(int(x) for x in r["alternatives"].split(";") if x),
                tuple(a.strip() for a in r["aliases"].split("|") if a.strip()),
            )
            for r in csv.DictReader(fh)
        )


class Gazetteer:
    def __init__(
        self,
        districts: Iterable[DistrictInfo],
        streets: Iterable[StreetInfo] = (),
        postcodes: Iterable[tuple[str, int, int]] = (),
        config: dict[str, Any] | None = None,
        landmarks: Iterable[LandmarkInfo] | None = None,
    ):
        self.districts = {d.number: d for d in districts}
        self.streets = {s.id: s for s in streets}
        self.street_by_key = {street_key(s.name): s for s in self.streets.values()}
        self.people_points = self._people_points()
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
        self.landmarks = tuple(load_landmarks() if landmarks is None else landmarks)
        self.stop_cues = frozenset(squash(w) for w in self.config.get("stop_cues") or [] if squash(w))
        self.landmark_terms: list[Term] = []
        # key -> (landmark index, only with its district named), best first; see _index_landmarks
        self.landmark_index: dict[str, tuple[tuple[int, bool], ...]] = {}
        self._index_landmarks()

    def _place_keys(self) -> set[str]:
        """Keys that name a district, a part of one or the city: never a landmark's."""
        names: list[str] = []
        for d in self.districts.values():
            names += [d.name, *d.aliases]
        for block in (self.config.get("districts") or {}).values():
            names += [*((block or {}).get("aliases") or []), *((block or {}).get("adjectives") or [])]
        names += [*self.informal, *(self.config.get("city_names") or [])]
        return {squash(n) for n in names}

    def _index_landmarks(self) -> None:
        """The alias table: every name of every landmark as a key, its places ranked once."""
        reserved = self._place_keys()
        generic = {squash(n) for n in self.config.get("generic_place_names") or []}
        prefixes = {tuple(tokens(n)) for n in [*(d.name for d in self.districts.values()), *self.informal]}
        found: dict[str, dict[int, bool]] = defaultdict(dict)
        texts: dict[str, str] = {}

        def add(text: str, i: int, conditional: bool) -> None:
            if any(c.isdigit() for c in text):
                return  # an address ("Klosterweg 1") is the street's, with its house number
            toks = tokens(text)
            for key in dict.fromkeys(["".join(toks), street_key(text)]):
                if len(key) < MIN_LANDMARK_KEY or key in reserved:
                    continue
                found[key].setdefault(i, conditional or key in generic)
                texts.setdefault(key, text)

        for i, lm in enumerate(self.landmarks):
            for text in (lm.name, *lm.aliases):
                add(text, i, False)
            # "Durlach Schlossplatz" is the "Schlossplatz" of Durlach: the short name means
            # it only where Durlach is named, too
            for text in (lm.name, *lm.aliases):
                toks = tuple(tokens(text))
                for n in (1, 2):
                    if len(toks) > n and toks[:n] in prefixes:
                        add(" ".join(toks[n:]), i, True)

        def rank(key: str, i: int, conditional: bool) -> tuple:
            # places before stations and stops; among them, the one so named before one
            # that has it as an alias ("Marktplatz Durlach": the square, not its market)
            lm = self.landmarks[i]
            level = KIND_RANK.get(lm.kind, 0)
            return (conditional, level >= KIND_RANK["station"], squash(lm.name) != key, level, i)

        for key, places in found.items():
            ranked = sorted(places.items(), key=lambda p: rank(key, *p))
            self.landmark_index[key] = tuple(ranked)
            text = texts[key]
            target = ((f"landmark:{key}", 1.0),)
            self.landmark_terms.append(Term(text, key, len(tokens(text)), "landmark", target))

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
        # before the streets: of a landmark and a street equally near a misspelt word,
        # the landmark is meant (the vocabulary keeps the first of equal typo matches)
        out += self.landmark_terms
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

    def landmark_for(
        self, key: str, district: int | None = None, prefer_stop: bool = False
    ) -> LandmarkInfo | None:
        """The place a name means: in or near `district` if one is named, a stop if asked for."""
        best: LandmarkInfo | None = None
        for i, conditional in self.landmark_index.get(key, ()):
            lm = self.landmarks[i]
            if district is None:
                if conditional:
                    continue
            elif lm.district != district and (conditional or district not in lm.alternatives):
                continue  # a short name ("Bahnhof" of "Durlach Bahnhof") only in its own district
            if not prefer_stop or lm.is_stop:
                return lm
            best = best or lm
        return best

    def _stop_cue(self, toks: list[str], m: Match) -> tuple[bool, tuple[int, ...]]:
        """Whether a stop word stands by a match ("Haltestelle Durlacher Tor", "U-Bahn ..."),
        and its positions when right next to it (they then belong to the place's span).

        One word may stand between ("Haltestelle am Marktplatz").
        """
        if not self.stop_cues:
            return False, ()
        groups = [(m.start - 1,), (m.start - 2, m.start - 1), (m.end,), (m.end, m.end + 1)]
        groups += [(m.start - 2,), (m.end + 1,)]
        for group in groups:
            if all(0 <= i < len(toks) for i in group) and "".join(toks[i] for i in group) in self.stop_cues:
                adjacent = m.start - 1 in group or m.end in group
                return True, group if adjacent else ()
        return False, ()

    @staticmethod
    def _landmark_beats_street(
        lm: LandmarkInfo, m: Match, street: Match, cue: bool, house_number: str | None, street_fits: bool
    ) -> bool:
        """Whether a landmark (already in or near any district named) means more than a street."""
        if house_number:
            return False  # "Tullastraße 20" is an address
        if not street_fits:
            return True  # "Schlossplatz Durlach": the street is elsewhere, the stop in Durlach
        if m.start == street.start and m.end == street.end:
            # one name for both: the street, unless a stop is asked for or the name is a
            # place's own (a square, a station) rather than a stop named after the street
            return cue or not lm.is_stop
        return m.score >= street.score

    # -- resolution ---------------------------------------------------------------
    @staticmethod
    def house_number_after(toks: list[str], m: Match) -> str | None:
        nxt = toks[m.end] if m.end < len(toks) else ""
        return nxt if HOUSE_NUMBER_RE.match(nxt) else None

    def plausible(self, toks: list[str], m: Match) -> Match | None:
        """Drop street terms that do not look like a street here (see STREET_ENDINGS),
        and short landmark names reached only through a typo."""
        keep = tuple(
            t
            for t in m.terms
            if (
                t.kind != "street"
                or street_key(t.text).endswith(STREET_ENDINGS)
                or self.house_number_after(toks, m)
            )
            and (t.kind != "landmark" or m.score >= 1.0 or len(t.key) >= MIN_FUZZY_LANDMARK_KEY)
        )
        if not keep:
            return None
        return m if len(keep) == len(m.terms) else Match(m.start, m.end, keep, m.score)

    def _people_points(self) -> dict[int, tuple[float, float]]:
        """Where a district's people live: the mean of its streets' points, weighted by share.

        A district's outline can hold forest, fields or a port; the point inside its outline
        may lie far from the houses (Mühlburg's about 1.5 km west of them). Streets follow
        where people live, so distances from a named district are measured from here.
        """
        sums: dict[int, list[float]] = {}
        for street in self.streets.values():
            for part in street.parts:
                d, lat, lon = part.get("district"), part.get("lat"), part.get("lon")
                if d is None or lat is None or lon is None:
                    continue
                w = float(part.get("share") or 1.0)
                acc = sums.setdefault(d, [0.0, 0.0, 0.0])
                acc[0] += w * lat
                acc[1] += w * lon
                acc[2] += w
        return {d: (a / w, b / w) for d, (a, b, w) in sums.items() if w > 0}

    def people_point(self, district: int) -> tuple[float, float]:
        if district in self.people_points:
            return self.people_points[district]
        d = self.districts[district]
        return d.inside_lat, d.inside_lon

    def resolve(
        self, toks: list[str], matches: list[Match], lat: float | None = None, lon: float | None = None
    ) -> Place:
        """Combine place matches (and a shared point) into one Place."""
        place = Place.none()
        by_kind: dict[str, list[tuple[Match, Term]]] = {}
        for m in matches:
            for t in m.terms:
                if t.kind in ("place", "street", "landmark"):
                    by_kind.setdefault(t.targets[0][0].split(":")[0], []).append((m, t))
        named_district = None
        district_span = (0, 0)
        for m, t in by_kind.get("district", []):
            named_district = int(t.targets[0][0].split(":")[1])
            place = Place(named_district, (), None, None, "district", self.districts[named_district].name)
            place.lat, place.lon = self.people_point(named_district)
            district_span = (m.start, m.end)
            place.spans.append(district_span)
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
        street_match: Match | None = None
        for m, t in by_kind.get("street", []):
            info = self.streets[int(t.targets[0][0].split(":")[1])]
            in_named = named_district is None or info.part_in(named_district)["district"] == named_district
            if m.score < 1.0 and not in_named:
                # a street only resembled by the words ("weit weg" ~ "Weinweg") and not in
                # the district the person names: the named district is what they said
                continue
            number = self.house_number_after(toks, m)
            part = info.part_in(named_district)
            alternatives = tuple(p["district"] for p in info.parts if p["district"] != part["district"])
            place = Place(
                part["district"], alternatives, part["lat"], part["lon"], "street", info.name, number
            )
            place.spans.append((m.start, m.end + (1 if number else 0)))
            street_match = m
            break
        for m, t in by_kind.get("landmark", []):
            cue, cue_at = self._stop_cue(toks, m)
            key = t.targets[0][0].split(":", 1)[1]
            picked = self.landmark_for(key, named_district, prefer_stop=cue)
            if picked is None:
                continue
            street_fits = named_district is None or place.district == named_district
            if street_match is not None and not self._landmark_beats_street(
                picked, m, street_match, cue, place.house_number, street_fits
            ):
                break
            district, alternatives = picked.district, picked.alternatives
            if named_district is not None and named_district != district:
                # "Zoo Südstadt": the named district leads, the landmark's own follows
                alternatives = tuple(
                    d for d in (district, *alternatives) if d is not None and d != named_district
                )
                district = named_district
            kind = "stop" if picked.is_stop else "landmark"
            place = Place(district, alternatives, picked.lat, picked.lon, kind, picked.name)
            place.spans.append((min(m.start, *cue_at, m.start), max(m.end, *(i + 1 for i in cue_at), m.end)))
            break
        if place.kind in ("none", "district"):
            for i, tok in enumerate(toks):
                if POSTCODE_RE.match(tok):
                    ds = self.postcode_districts(tok)
                    if ds and (named_district is None or named_district in ds):
                        best = named_district or ds[0]
                        lat_, lon_ = self.people_point(best)
                        place = Place(best, tuple(x for x in ds if x != best), lat_, lon_, "postcode", tok)
                        place.spans.append((i, i + 1))
                        break
        if named_district is not None and place.kind not in ("district", "postcode"):
            # the district word was understood even where a street or landmark sets the
            # point: it names no facility ("Bahnhof Grötzingen" is not a place called Grötzingen)
            place.spans = [district_span, *place.spans]
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
