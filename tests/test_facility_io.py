"""Import (all or nothing) and export of facilities in CSV, GeoJSON and YAML."""

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from knowledge.db import make_sessionmaker
from knowledge.facility_io import FIELDS, ImportFailed, export_facilities, import_facilities
from knowledge.models import Facility, Offer
from knowledge.seed import seed_geography

GOOD_CSV = (
    ",".join(FIELDS) + "\n"
    "cafe-aue,Elterncafé Aue,startpunkt_elterncafe,,AWO,Bilfingerstraße,5,,,19,,,,,,"
    "dienstags ab 10:15 Uhr (ca. 2 Std.; Stand 2019),,ja,de;tr,families,,https://example.org,high,\n"
    "treff-exakt,Treff mit Punkt,buergerzentrum,,,,,,,,48.9946,8.4645,0721 1,info@treff.de,"
    "www.treff.de,,,,,,,,,2026-01-31\n"
    "nur-stadtteil,Nur Stadtteil,buergerverein,,,,,,,Durlach,,,,,,,,,,,,,,\n"
)


@pytest.fixture
async def geo_engine(empty_engine):
    async with make_sessionmaker(empty_engine)() as s:
        await seed_geography(s)
        await s.commit()
    return empty_engine


async def dump(engine) -> list:
    async with make_sessionmaker(engine)() as s:
        rows = (
            await s.scalars(
                select(Facility)
                .order_by(Facility.slug)
                .options(
                    selectinload(Facility.offers).selectinload(Offer.schedules),
                    selectinload(Facility.contacts),
                )
            )
        ).all()
        return [
            (
                {c.key: getattr(f, c.key) for c in Facility.__table__.columns if c.key != "updated_at"},
                [
                    (o.title, [(x.rrule, x.start_time, x.duration_minutes) for x in o.schedules])
                    for o in f.offers
                ],
                [(c.phone, c.email) for c in f.contacts],
            )
            for f in rows
        ]


async def run_import(engine, path, **kw):
    async with make_sessionmaker(engine)() as s:
        return await import_facilities(s, path, **kw)


async def run_export(engine, path):
    async with make_sessionmaker(engine)() as s:
        return await export_facilities(s, path)


async def test_good_csv_imports_with_schedules_contacts_and_geocoding(geo_engine, tmp_path):
    path = tmp_path / "good.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    report = await run_import(geo_engine, path)
    assert (report.created, report.updated, report.total) == (3, 0, 3)
    rows = {r[0]["slug"]: r for r in await dump(geo_engine)}
    cafe, offers, _ = rows["cafe-aue"]
    assert cafe["location_precision"] == "street" and cafe["district_number"] == 19
    assert cafe["wheelchair"] is True and cafe["languages"] == ["de", "tr"] and cafe["hours_year"] == 2019
    ((_title, schedules),) = offers
    rrule, start, minutes = schedules[0]
    assert "BYDAY=TU" in rrule and start.strftime("%H:%M") == "10:15" and minutes == 120
    exact = rows["treff-exakt"]
    assert exact[0]["location_precision"] == "exact" and exact[0]["location_exact"] is True
    assert exact[0]["district_number"] == 19 and exact[0]["website"] == "https://www.treff.de"
    assert exact[2] == [("0721 1", "info@treff.de")]
    only = rows["nur-stadtteil"][0]
    assert only["location_precision"] == "district" and only["location_exact"] is False


async def test_bad_rows_are_all_named_and_nothing_changes(geo_engine, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(GOOD_CSV, encoding="utf-8")
    await run_import(geo_engine, good)
    before = await dump(geo_engine)
    header = ",".join(FIELDS)
    blank = {f: "" for f in FIELDS}

    def row(**kw):
        return ",".join(str({**blank, **kw}[f]) for f in FIELDS)

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "\n".join(
            [
                header,
                row(
                    slug="cafe-aue", name="Geändert", category="buergerzentrum", district="19"
                ),  # line 2 fine
                row(name="", category="buergerzentrum"),  # 3
                row(name="Kneipe", category="kneipe"),  # 4
                row(name="Berlin", category="buergerzentrum", lat="52.52", lon="13.40"),  # 5
                row(name="Halb", category="buergerzentrum", lat="49.0"),  # 6
                row(name="Post", category="buergerzentrum", email="kein-at-zeichen"),  # 7
                row(name="Wo", category="buergerzentrum", district="Atlantis"),  # 8
                row(slug="cafe-aue", name="Doppelt", category="buergerzentrum"),  # 9
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportFailed) as exc:
        await run_import(geo_engine, bad)
    lines = {(e.line, e.field) for e in exc.value.errors}
    assert lines == {
        (3, "name"),
        (4, "category"),
        (5, "lat"),
        (6, "lon"),
        (7, "email"),
        (8, "district"),
        (9, "slug"),
    }
    assert "outside Karlsruhe" in str(exc.value)
    assert await dump(geo_engine) == before


async def test_broken_encoding_names_the_line_and_changes_nothing(geo_engine, tmp_path):
    before = await dump(geo_engine)
    path = tmp_path / "broken.csv"
    path.write_bytes(
        (",".join(FIELDS) + "\n").encode() + b"a,Gut,buergerzentrum\n" + b"b,Kaputt \xff\xfe,asd\n"
    )
    with pytest.raises(ImportFailed) as exc:
        await run_import(geo_engine, path)
    assert exc.value.errors[0].line == 3 and "UTF-8" in exc.value.errors[0].reason
    assert await dump(geo_engine) == before


async def test_upsert_by_slug_updates_instead_of_duplicating(geo_engine, tmp_path):
    path = tmp_path / "good.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    await run_import(geo_engine, path)
    path.write_text(GOOD_CSV.replace("Elterncafé Aue", "Elterncafé Durlach-Aue"), encoding="utf-8")
    report = await run_import(geo_engine, path)
    assert (report.created, report.updated) == (0, 3)
    names = [r[0]["name"] for r in await dump(geo_engine)]
    assert len(names) == 3 and "Elterncafé Durlach-Aue" in names


async def test_replace_removes_facilities_missing_from_the_file(geo_engine, tmp_path):
    path = tmp_path / "good.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    await run_import(geo_engine, path)
    path.write_text("\n".join(GOOD_CSV.splitlines()[:2]) + "\n", encoding="utf-8")
    report = await run_import(geo_engine, path, replace=True)
    assert report.deleted == 2
    assert [r[0]["slug"] for r in await dump(geo_engine)] == ["cafe-aue"]


@pytest.mark.parametrize("suffix", ["csv", "geojson", "yaml"])
async def test_round_trip_export_import_export(geo_engine, other_empty_engine, tmp_path, suffix):
    src = tmp_path / "good.csv"
    src.write_text(GOOD_CSV, encoding="utf-8")
    await run_import(geo_engine, src)
    first = tmp_path / f"first.{suffix}"
    assert await run_export(geo_engine, first) == 3
    async with make_sessionmaker(other_empty_engine)() as s:
        await seed_geography(s)
        await s.commit()
    await run_import(other_empty_engine, first)
    second = tmp_path / f"second.{suffix}"
    await run_export(other_empty_engine, second)
    assert first.read_bytes() == second.read_bytes()

    def without_ids(rows):
        return [({k: v for k, v in f.items() if k != "id"}, o, c) for f, o, c in rows]

    assert without_ids(await dump(other_empty_engine)) == without_ids(await dump(geo_engine))


async def test_geojson_and_yaml_errors_name_their_entries(geo_engine, tmp_path):
    gj = tmp_path / "bad.geojson"
    gj.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "geometry": None, "properties": {"name": "Gut", "category": "asd"}},
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [13.4, 52.5]},
                        "properties": {"name": "Berlin", "category": "asd"},
                    },
                ],
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(ImportFailed) as exc:
        await run_import(geo_engine, gj)
    assert [(e.line, e.field) for e in exc.value.errors] == [(2, "lat")]
    ym = tmp_path / "bad.yaml"
    ym.write_text(
        "facilities:\n  - name: Gut\n    category: asd\n  - name: ''\n    category: asd\n", encoding="utf-8"
    )
    with pytest.raises(ImportFailed) as exc:
        await run_import(geo_engine, ym)
    assert [(e.line, e.field) for e in exc.value.errors] == [(4, "name")]
