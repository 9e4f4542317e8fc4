"""Sozialraummonitoring: anonymous rows, scrubbing, suppression, coverage, report, /stats."""

import datetime as dt
import itertools
import math

import numpy as np
import pytest
from sqlalchemy import delete, insert, select

from bot.models import Person
from bot.sandbox.validation import visible_text
from bot.services import demand, people, signups
from knowledge.db import make_sessionmaker
from knowledge.geo import Area
from knowledge.models import DemandRecord
from knowledge.monitoring.coverage import Place, coverage, grid_points
from knowledge.monitoring.report import write_report
from knowledge.monitoring.scrub import Wording, scrub
from knowledge.monitoring.tables import SUPPRESSED, collect, district_table

DAY = dt.date(2031, 3, 2)  # a day no other test writes questions for
_ids = itertools.count(6_600_000)


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        ("Hilfe bei 0721 133-5101 bitte", "Hilfe bei", "133-5101"),
        ("schreib an maria.muster@example.org wegen Kita", "wegen Kita", "maria.muster"),
        ("+49 176 12345678 Seniorentreff", "Seniorentreff", "12345678"),
        ("Kundennummer 123456789 Wohngeld", "Wohngeld", "123456789"),
        ("Elterncafé 76185", "76185", "[number]"),  # a postcode says where, not who
        ("siehe https://example.org/a?b=c", "siehe", "example.org"),
    ],
)
def test_scrubbing_removes_numbers_addresses_and_links(text, kept, gone):
    clean = scrub(text)
    assert kept in clean and gone not in clean


def test_scrubbed_text_is_short():
    assert len(scrub("Treff " * 200)) <= 200


def test_demand_rows_have_no_person_or_chat_column():
    columns = set(DemandRecord.__table__.columns.keys())
    assert not columns & {"person_id", "chat_id", "telegram_id", "user_id", "time", "created_at"}
    assert str(DemandRecord.__table__.columns["day"].type) == "DATE"


def square(lat0: float, lon0: float, side_m: float) -> Area:
    dlat = side_m / 111_320.0
    dlon = side_m / (111_320.0 * math.cos(math.radians(lat0)))
    ring = [[lon0, lat0], [lon0 + dlon, lat0], [lon0 + dlon, lat0 + dlat], [lon0, lat0 + dlat], [lon0, lat0]]
    return Area.from_geojson({"type": "Polygon", "coordinates": [ring]})


def test_coverage_of_a_square_district_with_one_central_place():
    area = square(49.0, 8.4, 2000)
    pts = grid_points(area, spacing_m=25)
    assert 6000 < len(pts) < 6800  # (2000 / 25)^2 points inside
    centre = (49.0 + 1000 / 111_320.0, 8.4 + 1000 / (111_320.0 * math.cos(math.radians(49.0))))
    # 10 minutes on foot = 600 m by air (75 m/min, detour factor 1.25): a circle of 600 m
    c = coverage(pts, [Place(*centre, exact=True)], minutes=10)
    assert c.share == pytest.approx(math.pi * 600**2 / 2000**2, abs=0.01)
    assert coverage(pts, [Place(*centre, exact=False)], minutes=30).share == 1.0  # the whole square
    assert coverage(pts, [], minutes=20).share == 0.0
    far = coverage(pts, [Place(49.5, 8.4, exact=True)], minutes=20)
    assert far.share == 0.0 and far.median_minutes > 60


def test_grid_of_a_tiny_area_is_its_centroid():
    pts = grid_points(square(49.0, 8.4, 50), spacing_m=150)
    assert pts.shape == (1, 2) and np.isfinite(pts).all()


async def _questions(sm, rows):
    async with sm() as s:
        await s.execute(delete(DemandRecord).where(DemandRecord.day == DAY))
        await s.execute(insert(DemandRecord), rows)
        await s.commit()


def _row(district, results=3, nearest=300, categories=("startpunkt_elterncafe",)):
    return {
        "day": DAY,
        "district_number": district,
        "intent": "find_offers",
        "categories": list(categories),
        "target_groups": [],
        "language": "de",
        "results": results,
        "nearest_m": nearest,
        "not_helpful": False,
    }


async def test_small_cells_are_suppressed_and_unmet_demand_counted(seeded_engine):
    sm = make_sessionmaker(seeded_engine)
    rows = (
        [_row(8) for _ in range(3)] + [_row(19, results=0, nearest=None) for _ in range(6)] + [_row(19)] * 4
    )
    await _questions(sm, rows)
    async with sm() as s:
        data = await collect(s, DAY, DAY, with_coverage=False)
    table = {r["district"]: r for r in district_table(data)}
    assert (
        table["Mühlburg"]["questions"] == SUPPRESSED and table["Mühlburg"]["questions_per_1000"] == SUPPRESSED
    )
    assert table["Mühlburg"]["share_without_nearby_answer"] == SUPPRESSED
    durlach = table["Durlach"]
    assert durlach["questions"] == 10 and durlach["share_without_nearby_answer"] == 0.6
    assert "Startpunkt" in durlach["top_unmet_categories"] and "(6)" in durlach["top_unmet_categories"]
    assert table["Neureut"]["questions"] == 0


async def test_report_from_a_seeded_database(seeded_engine, tmp_path):
    sm = make_sessionmaker(seeded_engine)
    await _questions(sm, [_row(d, results=0 if d % 3 == 0 else 2) for d in range(1, 28) for _ in range(6)])
    async with sm() as s:
        data = await collect(s, DAY, DAY, spacing_m=300)
    written = write_report(data, tmp_path)
    names = {p.name for p in written.files}
    assert {
        "bericht.html",
        "bericht.md",
        "stadtteile.csv",
        "karte_nachfrage.png",
        "karte_ungedeckt.png",
    } <= names
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in written.files)  # readable by the owner only
    for png in tmp_path.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    md = (tmp_path / "bericht.md").read_text(encoding="utf-8")
    assert "Durlach" in md and "Startpunkt-Elterncafé" in md and "20-Minuten-Versprechen" in md
    assert data.total_questions == 27 * 6


async def test_report_from_an_empty_database(empty_engine, tmp_path):
    async with make_sessionmaker(empty_engine)() as s:
        data = await collect(s, DAY, DAY)
    written = write_report(data, tmp_path)
    assert (tmp_path / "bericht.html").exists() and len(written.files) == 8
    assert data.total_questions == 0 and data.districts == []


async def test_no_result_questions_keep_known_wording_and_forget_it_later(seeded_engine, knowledge):
    sm = make_sessionmaker(seeded_engine)
    question = "Hilfe für Fatma Tel 0721 1335101"
    answer = knowledge.search(question, now=dt.datetime(2026, 11, 25, tzinfo=dt.UTC))
    # a vague need may still be read as some situation; the wording is kept only where nothing
    # was found, so the answer is taken as one that found nothing
    answer.results, answer.total = [], 0
    log = demand.DemandLog(sm, wording=Wording.of(knowledge))
    rid = log.add(answer, question)
    found = knowledge.search("Seniorentreff Durlach", now=dt.datetime(2026, 11, 25, tzinfo=dt.UTC))
    other = log.add(found, "Seniorentreff Durlach")
    assert await log.flush() == 2 and not log.pending
    async with sm() as s:
        row = await s.scalar(select(DemandRecord).where(DemandRecord.ref == rid))
        row2 = await s.scalar(select(DemandRecord).where(DemandRecord.ref == other))
        assert row.text == "Hilfe für …" and row2.text is None
        row.day = dt.date.today() - dt.timedelta(days=100)
        await s.commit()
        assert await demand.erase_old_texts(s, days=90) >= 1
        await s.refresh(row)
        assert row.text is None and row.intent  # the anonymous count stays


async def test_stats_is_for_coordinators_only(seeded_engine, seeded_url, knowledge):
    from aiogram.fsm.storage.memory import MemoryStorage

    from bot.factory import build_dispatcher
    from bot.settings import Settings
    from tests.mocked_bot import People, make_mocked_bot

    settings = Settings(database_url=seeded_url, throttle_rate=100, throttle_burst=100)
    dp = build_dispatcher(settings, seeded_engine, knowledge, storage=MemoryStorage())
    bot = make_mocked_bot()
    resident, coordinator = People(user_id=next(_ids)), People(user_id=next(_ids))
    await dp.feed_update(bot, resident.text("/stats"))
    assert not bot.session.sent("SendPhoto")
    refusal = bot.session.sent("SendMessage")[-1].text
    async with make_sessionmaker(seeded_engine)() as s:
        person = await people.get_or_create(s, coordinator.user.id, "de")
        await signups.add_coordinator(s, person, 6)
        await s.commit()
    await dp.feed_update(bot, coordinator.text("/stats"))
    (photo,) = bot.session.sent("SendPhoto")
    text = bot.session.sent("SendMessage")[-1].text
    assert text != refusal and "Durlach" in text and "Mühlburg" not in text  # area 6 only
    assert "<5" in visible_text(text)  # suppressed cells, escaped as Telegram's HTML needs
    assert photo.photo.data[:4] == b"\x89PNG"


async def test_opted_out_people_are_not_counted(seeded_engine, seeded_url, knowledge):
    from aiogram.fsm.storage.memory import MemoryStorage

    from bot.callbacks import PrivacyCb
    from bot.factory import build_dispatcher
    from bot.settings import Settings
    from tests.mocked_bot import People, make_mocked_bot

    settings = Settings(database_url=seeded_url, throttle_rate=100, throttle_burst=100)
    dp = build_dispatcher(settings, seeded_engine, knowledge, storage=MemoryStorage())
    bot = make_mocked_bot()
    person = People(user_id=next(_ids))
    sm = make_sessionmaker(seeded_engine)

    async def count() -> int:
        async with sm() as s:
            return len((await s.scalars(select(DemandRecord.id))).all())

    await dp.feed_update(bot, person.text("/privacy"))
    before = await count()
    await dp.feed_update(bot, person.press(PrivacyCb(count=False).pack()))
    await dp.feed_update(bot, person.text("Seniorentreff Durlach"))
    await dp["assistant"].demand.flush()
    assert await count() == before
    async with sm() as s:
        assert (await s.scalar(select(Person.counted).where(Person.telegram_id == person.user.id))) is False
    await dp.feed_update(bot, person.press(PrivacyCb(count=True).pack()))
    await dp.feed_update(bot, person.text("Seniorentreff Durlach"))
    assert await count() == before  # written in the next batch, not while answering
    await dp["assistant"].demand.flush()
    assert await count() == before + 1
    async with sm() as s:
        row = await s.scalar(select(DemandRecord).order_by(DemandRecord.id.desc()))
    values = [getattr(row, c.key) for c in DemandRecord.__table__.columns]
    assert row.district_number == 19 and not any(str(person.user.id) in str(v) for v in values)
