"""Build the packaged Karlsruhe data from the raw public sources.

Run by a maintainer when the sources change, not at install time:

    python -m knowledge.data.build_karlsruhe ../shared/data/karlsruhe [--gtfs stops.txt]

It writes compact files next to this module (`karlsruhe/`) that the seed loads:
districts with polygons and 2016 statistics, street parts per district with a
representative point, postcode support, informal place points, the facility
records mapped to the project's category keys in the canonical import format, and
the places people name (`landmarks.csv`: stops, stations, squares, landmarks from
`orte.csv` plus the `landmarks` of `places.yaml`) with their district and the
districts within `BORDER_M` of their point.

`--gtfs` names the KVV GTFS `stops.txt` that `orte.csv` took its stops from
(github.com/feloffel/personalProjects@72efc1fd:KA-TransitMap/stops.txt): a stop's
district is then the district most of its platforms stand in, and every district a
platform stands in is an alternative. Without it a stop falls back on its mean point
and the districts within its platforms' spread.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import yaml

from knowledge.exports import dict_writer
from knowledge.facility_io import FIELDS as FACILITY_FIELDS
from knowledge.facility_io import slugify
from knowledge.geo import Area, haversine_m, nearest_vertex
from knowledge.text import fold, street_key

OUT = Path(__file__).parent / "karlsruhe"
# A place this close to another district may be named for both ("am Zoo": Südweststadt,
# the Südstadt begins across the road).
BORDER_M = 250.0
LANDMARK_FIELDS = ["name", "kind", "lat", "lon", "district", "alternatives", "aliases", "source", "licence"]

STAT_FIELDS = {
    "Einwohner_2016": "population",
    "Alter_0-19_2016": "age_0_19",
    "Alter_20-64_2016": "age_20_64",
    "Alter_65+_2016": "age_65_plus",
    "AusländerInnen_2016": "foreign_nationals",
    "DeutscheMitMigrationshintergrund_2016": "germans_with_migration_background",
    "Geburten_2016": "births",
    "Gestorbene_2016": "deaths",
    "Zuzüge_2016": "moves_in",
    "Wegzüge_2016": "moves_out",
}

# The raw `fachstelle` column is coarser than our keys; these name patterns decide.
FACHSTELLE_RULES: list[tuple[str, str, list[str]]] = [
    (r"Allgemeiner Sozialer Dienst", "asd", []),
    (r"Sozial- und Jugendbehörde", "asd", []),
    (r"Seniorenbüro.*Pflegestützpunkt", "seniorenbuero", ["pflegestuetzpunkt"]),
    (r"Hausbesuche", "seniorenbuero", []),
    (r"Stadtseniorenrat", "seniorenbuero", []),
    (r"Büro für Integration", "integration", []),
    (r"Migrationscentrum", "integration", []),
    (r"Kinderbüro", "kinder_familienzentrum", []),
    (r"Servicestelle Kindertagesbetreuung", "kinder_familienzentrum", []),
    (r"Kinderschutzbund", "kinder_familienzentrum", []),
    (r"Stadtjugendausschuss", "kinder_jugendhaus", []),
]

# Polling stations that are real meeting places (Begegnungsstätten, community halls,
# a senior centre); schools, fire stations and restaurants are not.
MEETING_PLACE_STATIONS = {
    "65": ("Begegnungsstätte Grötzingen", "buergerzentrum"),
    "66": ("Gemeindezentrum Stupferich", "buergerzentrum"),
    "69": ("Begegnungsstätte Wolfartsweier", "buergerzentrum"),
    "21": ("Seniorenzentrum Klosterweg", "seniorenbegegnung"),
}


TARGET_GROUP_HINTS = {
    "older_people": r"senior|älter|alt(en|e)\b|rentner|65|alleinstehende",
    "families": r"eltern|famil|mütter|väter|schwangere|kleinkind|baby",
    "children_youth": r"kinder|jugend|teen|schül|hort|kita",
    "volunteers": r"ehrenamt|engag|freiwillig",
}


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def load_districts(src: Path) -> tuple[dict[int, dict], dict[int, Area]]:
    shapes = json.loads((src / "stadtteile.geojson").read_text(encoding="utf-8"))
    stats = json.loads((src / "stadtteile_statistik_2016.geojson").read_text(encoding="utf-8"))
    centres = {int(r["stadtteil_nr"]): r for r in read_csv(src / "stadtteile_mittelpunkte.csv")}
    stat_by_nr = {int(f["properties"]["Stadtteilnummer"]): f["properties"] for f in stats["features"]}
    districts: dict[int, dict] = {}
    areas: dict[int, Area] = {}
    for f in shapes["features"]:
        nr = int(f["properties"]["Stadtteilnummer"])
        c = centres[nr]
        st = stat_by_nr.get(nr, {})
        statistics = {new: st.get(old) for old, new in STAT_FIELDS.items() if st.get(old) is not None}
        districts[nr] = {
            "number": nr,
            "name": f["properties"]["Stadtteilname"],
            "inside_lat": float(c["rep_point_lat"]),
            "inside_lon": float(c["rep_point_lon"]),
            "area_km2": float(c["area_km2_approx"]),
            "statistics": statistics,
            "geometry": f["geometry"],
        }
        areas[nr] = Area.from_geojson(f["geometry"])
    return districts, areas


def district_of(areas: dict[int, Area], lat: float, lon: float) -> int | None:
    return next((nr for nr, a in areas.items() if a.contains(lat, lon)), None)


def iter_vertices(geometry: dict) -> list[tuple[float, float]]:
    """All (lat, lon) vertices of a line or area geometry (squares are polygons)."""
    depth = {"Point": 0, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}
    items = [geometry["coordinates"]]
    for _ in range(depth[geometry["type"]]):
        items = [c for item in items for c in item]
    return [(p[1], p[0]) for p in items]


def build_streets(src: Path, areas: dict[int, Area]) -> list[dict]:
    shares: dict[str, dict[int, float]] = defaultdict(dict)
    for r in read_csv(src / "strassen_stadtteile.csv"):
        shares[r["strasse"]][int(r["stadtteil_nr"])] = float(r["anteil_geometrie"])
    plz: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for r in read_csv(src / "strassen_plz.csv"):
        plz[street_key(r["strasse_normalisiert"])].append((r["plz"], int(r["anzahl_meldungen"])))
    features = json.loads((src / "strassen.geojson").read_text(encoding="utf-8"))["features"]
    out = []
    for f in features:
        name = f.get("id") or f["properties"].get("id")
        if not name or not f.get("geometry"):
            continue
        by_district: dict[int, list[tuple[float, float]]] = defaultdict(list)
        for lat, lon in iter_vertices(f["geometry"]):
            nr = district_of(areas, lat, lon)
            if nr is not None:
                by_district[nr].append((lat, lon))
        if not by_district:
            continue  # a street outside the city polygons cannot be placed
        share = shares.get(name) or {
            nr: len(v) / sum(map(len, by_district.values())) for nr, v in by_district.items()
        }
        parts = []
        for nr, pts in by_district.items():
            clat = sum(p[0] for p in pts) / len(pts)
            clon = sum(p[1] for p in pts) / len(pts)
            rep = nearest_vertex(pts, clat, clon)
            radius = max(haversine_m(rep[0], rep[1], p[0], p[1]) for p in pts)
            parts.append(
                {
                    "district": nr,
                    "share": round(share.get(nr, 0.0), 3),
                    "lat": round(rep[0], 6),
                    "lon": round(rep[1], 6),
                    "radius_m": round(radius),
                }
            )
        parts.sort(key=lambda p: (-p["share"], p["district"]))
        codes = [c for c, _ in sorted(plz.get(street_key(name), []), key=lambda x: -x[1])]
        out.append({"name": name, "parts": parts, "postcodes": codes})
    out.sort(key=lambda s: s["name"])
    return out


def build_informal_points(src: Path, places: list[dict]) -> list[dict]:
    """Attach a point to informal place names from the polling districts they cover."""
    wbz = json.loads((src / "wahlbezirke.geojson").read_text(encoding="utf-8"))["features"]
    shapes = {f["properties"]["wahlbezirksnummer"]: Area.from_geojson(f["geometry"]) for f in wbz}
    for place in places:
        pts = [shapes[code].centroid() for code in place.get("polling_districts", []) if code in shapes]
        if pts:
            place["lat"] = round(sum(p[0] for p in pts) / len(pts), 6)
            place["lon"] = round(sum(p[1] for p in pts) / len(pts), 6)
    return places


def _stop_name(raw: str) -> str:
    """A GTFS stop name as `orte.csv` writes it: no locality prefix, the source's typo fixed."""
    return re.sub(r"^(Karlsruhe|KA) ", "", raw).replace("Staße", "Straße").strip()


def read_platforms(gtfs: Path) -> dict[str, list[tuple[float, float]]]:
    """Platform points of the city's stops by stop name (no parent stations, no operational points)."""
    out: dict[str, list[tuple[float, float]]] = defaultdict(list)
    with open(gtfs, encoding="utf-8-sig") as fh:
        for r in csv.DictReader(fh):
            if not r["stop_id"].startswith("de:08212:") or r.get("location_type") == "1":
                continue
            if re.search(r"Ersatzhalt|Ausfahrt|Einfahrt", r["stop_name"]):
                continue
            out[_stop_name(r["stop_name"])].append((float(r["stop_lat"]), float(r["stop_lon"])))
    return out


def _split_aliases(raw: str) -> list[str]:
    return [a.strip() for a in raw.split("|") if a.strip()]


def landmark_districts(
    areas: dict[int, Area], lat: float, lon: float, platforms: list[tuple[float, float]], reach_m: float
) -> tuple[int | None, list[int]]:
    """A place's district and the other districts it may be named for, nearest first.

    The district is the one its point lies in; for a stop with known platforms, the one
    most of its platforms stand in (a tie keeps the point's). Alternatives are the other
    districts a platform stands in and those within `reach_m` of the point.
    """
    own = district_of(areas, lat, lon)
    counts = Counter(d for d in (district_of(areas, *p) for p in platforms) if d is not None)
    district = own
    if counts:
        top = max(counts.values())
        leaders = sorted(d for d, n in counts.items() if n == top)
        district = own if own in leaders else leaders[0]
    distance = {nr: a.distance_m(lat, lon) for nr, a in areas.items()}
    near = {nr for nr, d in distance.items() if d <= reach_m} | set(counts)
    alternatives = sorted((nr for nr in near if nr != district), key=lambda nr: (distance[nr], nr))
    return district, alternatives


def build_landmarks(
    src: Path, areas: dict[int, Area], config: dict, platforms: dict[str, list[tuple[float, float]]]
) -> list[dict]:
    """`orte.csv` and the `landmarks` of places.yaml with district, alternatives and aliases."""
    rows = read_csv(src / "orte.csv")
    known = {r["name"] for r in rows}
    extra_aliases = config.get("landmark_aliases") or {}
    for name in extra_aliases:
        if name not in known:
            raise ValueError(f"landmark_aliases names no row of orte.csv: {name}")
    by_name = {r["name"]: r for r in rows}
    for item in config.get("landmarks") or []:
        row = {
            "name": item["name"],
            "kind": item["kind"],
            "aliases": " | ".join(item.get("aliases") or []),
            "source": item["source"],
            "licence": item["licence"],
            "spread_m": "",
        }
        if "at" in item:  # placed at another row's point: approximate, and says so
            ref = by_name[item["at"]]
            row["lat"], row["lon"] = ref["lat"], ref["lon"]
        else:
            row["lat"], row["lon"] = f"{float(item['lat']):.6f}", f"{float(item['lon']):.6f}"
        rows.append(row)
    out = []
    for r in rows:
        lat, lon = float(r["lat"]), float(r["lon"])
        aliases = _split_aliases(r["aliases"]) + [a for a in extra_aliases.get(r["name"], []) if a]
        points: list[tuple[float, float]] = []
        spread = float(r.get("spread_m") or 0)
        if r["kind"] in ("stop", "station") and platforms:
            for name in dict.fromkeys([r["name"], *aliases]):
                for p in platforms.get(_stop_name(name), ()):
                    if p not in points and haversine_m(lat, lon, *p) <= spread + 50:
                        points.append(p)
        # unknown platforms may stand anywhere within the spread of the stop
        reach = BORDER_M if points else max(BORDER_M, spread)
        district, alternatives = landmark_districts(areas, lat, lon, points, reach)
        out.append(
            {
                "name": r["name"],
                "kind": r["kind"],
                "lat": f"{lat:.6f}",
                "lon": f"{lon:.6f}",
                "district": district or "",
                "alternatives": ";".join(map(str, alternatives)),
                "aliases": " | ".join(dict.fromkeys(aliases)),
                "source": r["source"],
                "licence": r["licence"],
            }
        )
    return out


def split_street(raw: str) -> tuple[str | None, str | None, str | None, str | None]:
    """'Fliederstraße 1 (am Fliederplatz) 76185' -> street, number, note, postcode."""
    raw = raw.strip()
    if not raw:
        return None, None, None, None
    postcode = None
    m = re.search(r"\b(76\d{3})\b", raw)
    if m:
        postcode = m.group(1)
        raw = (raw[: m.start()] + raw[m.end() :]).strip()
    note = None
    m = re.search(r"\(([^)]*)\)", raw)
    if m:
        note = m.group(1).strip()
        raw = (raw[: m.start()] + raw[m.end() :]).strip()
    m = re.match(r"^(.*?)\s+(\d+\s?[a-zA-Z]?)$", raw)
    if m:
        return m.group(1).strip(), m.group(2).replace(" ", ""), note, postcode
    return raw, None, note, postcode


def address_key(street: str | None, number: str | None) -> str | None:
    if not street or not number:
        return None
    return f"{street_key(street)}|{number.lower()}"


def map_category(row: dict) -> tuple[str, list[str]]:
    cat = row["category"]
    if cat == "fachstelle":
        for pattern, key, extra in FACHSTELLE_RULES:
            if re.search(pattern, row["name"]):
                return key, extra
        raise ValueError(f"unmapped fachstelle row: {row['name']}")
    if cat == "quartiersarbeit" and row["name"].startswith("Stadtteilkoordination"):
        return "stadtteilkoordination", ["quartiersarbeit"]
    return cat, []


def target_groups(text: str, category_defaults: list[str]) -> list[str]:
    found = [g for g, rx in TARGET_GROUP_HINTS.items() if re.search(rx, text, re.IGNORECASE)]
    return found or category_defaults


def build_facilities(
    src: Path, districts: dict[int, dict], areas: dict[int, Area], catalogue: dict
) -> list[dict]:
    by_name = {fold(d["name"]): nr for nr, d in districts.items()}
    stations = list(read_csv(src / "wahllokale_2017.csv"))
    exact_points: dict[str, tuple[float, float]] = {}
    for s in stations:
        street, number, _, _ = split_street(s["strasse"].replace("str.", "straße").replace("Str.", "Straße"))
        key = address_key(street, number)
        if key and s["lat"]:
            exact_points[key] = (float(s["lat"]), float(s["lon"]))
    rows = []
    slugs: set[str] = set()
    for r in read_csv(src / "einrichtungen.csv"):
        category, extra = map_category(r)
        street, number, note, postcode = split_street(r["street"])
        district = by_name.get(fold(r["district"])) if r["district"] else None
        lat = lon = ""
        point = exact_points.get(address_key(street, number) or "")
        if point and (district is None or district_of(areas, *point) == district):
            lat, lon = point
        defaults = catalogue["categories"].get(category, {}).get("target_groups", [])
        slug = slugify(r["name"])
        while slug in slugs:
            slug += "-2"
        slugs.add(slug)
        rows.append(
            {
                "slug": slug,
                "name": r["name"],
                "category": category,
                "extra_categories": ";".join(extra),
                "operator": r["operator"],
                "street": street or "",
                "house_number": number or "",
                "address_note": note or "",
                "postcode": postcode or r["postcode"],
                "district": district or "",
                "lat": lat,
                "lon": lon,
                "phone": r["phone"],
                "email": r["email"],
                "website": r["website"],
                "hours": r["hours"],
                "hours_year": "",
                "wheelchair": "",
                "languages": "",
                "target_groups": ";".join(target_groups(r["target_groups"], defaults)),
                "description": r["description"],
                "source_url": r["source_url"],
                "confidence": r["confidence"],
                "last_verified": "",
            }
        )
    for s in stations:
        if s["nr"] not in MEETING_PLACE_STATIONS:
            continue
        name, category = MEETING_PLACE_STATIONS[s["nr"]]
        street, number, _, _ = split_street(s["strasse"].replace("str.", "straße"))
        lat, lon = float(s["lat"]), float(s["lon"])
        rows.append(
            {
                "slug": slugify(name),
                "name": name,
                "category": category,
                "extra_categories": "",
                "operator": "Stadt Karlsruhe" if category == "buergerzentrum" else "",
                "street": street or "",
                "house_number": number or "",
                "address_note": "",
                "postcode": "",
                "district": district_of(areas, lat, lon) or "",
                "lat": lat,
                "lon": lon,
                "phone": "",
                "email": "",
                "website": "",
                "hours": "",
                "hours_year": "",
                "wheelchair": "ja" if s["barrierefrei"] == "rollstuhlgerecht" else "nein",
                "languages": "",
                "target_groups": ";".join(catalogue["categories"].get(category, {}).get("target_groups", [])),
                "description": (
                    "Öffentlicher Treffpunkt im Stadtteil (Wahllokal 2017); Angebote vor Ort erfragen."
                ),
                "source_url": "https://github.com/CodeforKarlsruhe/btw2017",
                "confidence": "medium",
                "last_verified": "",
            }
        )
    return rows


def write_csv(path: Path, fields: list[str], rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = dict_writer(fh, fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def main(src: Path, gtfs: Path | None = None) -> None:
    OUT.mkdir(exist_ok=True)
    cat_path = Path(__file__).parent / "catalogue.yaml"
    catalogue = yaml.safe_load(cat_path.read_text(encoding="utf-8")) if cat_path.exists() else {}
    catalogue.setdefault("categories", {})
    districts, areas = load_districts(src)
    features = [
        {"type": "Feature", "geometry": d.pop("geometry"), "properties": d}
        for d in sorted(districts.values(), key=lambda d: d["number"])
    ]
    (OUT / "districts.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        encoding="utf-8",
    )
    streets = build_streets(src, areas)
    (OUT / "streets.json").write_text(
        json.dumps(streets, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
    )
    postcodes = [
        {"code": r["plz"], "district": int(r["stadtteil_nr"]), "streets": int(r["anzahl_strassen"])}
        for r in read_csv(src / "plz_stadtteile.csv")
    ]
    write_csv(OUT / "postcodes.csv", ["code", "district", "streets"], postcodes)
    places_path = Path(__file__).parent / "places.yaml"
    places = yaml.safe_load(places_path.read_text(encoding="utf-8"))
    informal = build_informal_points(src, places["informal_places"])
    (OUT / "informal_points.json").write_text(
        json.dumps({p["name"]: [p.get("lat"), p.get("lon")] for p in informal}, ensure_ascii=False, indent=0),
        encoding="utf-8",
    )
    facilities = build_facilities(src, districts, areas, catalogue)
    write_csv(OUT / "facilities.csv", FACILITY_FIELDS, facilities)
    if gtfs is None:
        print("no --gtfs: stops take the district of their mean point")
    landmarks = build_landmarks(src, areas, places, read_platforms(gtfs) if gtfs else {})
    write_csv(OUT / "landmarks.csv", LANDMARK_FIELDS, landmarks)
    print(
        f"districts={len(features)} streets={len(streets)} postcodes={len(postcodes)} "
        f"facilities={len(facilities)} informal={len(informal)} landmarks={len(landmarks)}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("src", nargs="?", default="../shared/data/karlsruhe", type=Path)
    parser.add_argument("--gtfs", type=Path, help="the KVV GTFS stops.txt orte.csv took its stops from")
    args = parser.parse_args()
    main(args.src, args.gtfs)
