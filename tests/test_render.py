"""Result cards: escaped HTML Telegram accepts, dates per locale, the year of old hours once."""

import datetime as dt

import pytest

from bot.i18n import make_i18n
from bot.render import card, format_when
from bot.sandbox.validation import visible_text
from knowledge.records import FacilityRecord
from knowledge.schedules import BERLIN, Occurrence
from knowledge.search import Result


def facility(**kw):
    base = dict(
        id=1,
        slug="x",
        name="Treff <Süd> & Co",
        category="buergerzentrum",
        categories=("buergerzentrum",),
        district=3,
        lat=49.0,
        lon=8.4,
        location_exact=False,
        location_precision="district",
        hours_text="dienstags 16–19 Uhr (Stand 2016)",
        hours_year=2016,
    )
    return FacilityRecord(**{**base, **kw})


@pytest.fixture(scope="module")
def i18n():
    return make_i18n()


@pytest.mark.parametrize("lang", ["de", "en", "tr", "ar", "uk", "ru"])
def test_card_is_valid_telegram_html_in_every_language(i18n, lang):
    when = dt.datetime(2026, 11, 24, 16, 0, tzinfo=BERLIN)
    with i18n.context(), i18n.use_locale(lang):
        text = card(Result(facility(), "buergerzentrum", 1234.0, False, next_dates=[Occurrence(when)]), lang)
    shown = visible_text(text)  # raises where Telegram would reject the markup
    assert "Treff <Süd> & Co" in shown
    assert shown.count("2016") == 1
    if lang == "ar":
        assert all(line.startswith("\u200f") for line in text.splitlines())


def test_dates_follow_the_locale():
    when = dt.datetime(2026, 11, 26, 9, 30, tzinfo=BERLIN)
    assert format_when(when, "de") == "Do., 26. Nov., 09:30"
    assert format_when(when, "en").startswith("Thu 26 Nov")
    assert format_when(when, "de", timed=False) == "Do., 26. Nov."


def test_the_same_instant_reads_in_its_own_time_zone():
    berlin = dt.datetime(2026, 11, 26, 18, 0, tzinfo=BERLIN)
    utc = berlin.astimezone(dt.UTC)
    assert berlin == utc  # one instant ...
    assert format_when(berlin, "de").endswith("18:00")  # ... read twice, cached or not
    assert format_when(utc, "de").endswith("17:00")
    assert format_when(berlin, "de").endswith("18:00")


def test_a_card_is_rendered_once_and_again_when_anything_it_shows_changes(i18n, monkeypatch):
    import bot.render as render

    calls: list[str] = []
    real = render._card
    monkeypatch.setattr(render, "_card", lambda *a: calls.append(a[1]) or real(*a))
    when = dt.datetime(2026, 11, 24, 16, 0, tzinfo=BERLIN)
    place = facility(id=9_001, location_exact=True, location_precision="exact")
    with i18n.context(), i18n.use_locale("de"):
        first = card(
            Result(place, "buergerzentrum", 800.0, None, next_dates=[Occurrence(when)]), "de", number=1
        )
        again = card(
            Result(place, "buergerzentrum", 800.0, None, next_dates=[Occurrence(when)]), "de", number=1
        )
        assert again == first and calls == ["de"]
        # another language, distance, date or number is another card
        turkish = card(
            Result(place, "buergerzentrum", 800.0, None, next_dates=[Occurrence(when)]), "tr", number=1
        )
        farther = card(
            Result(place, "buergerzentrum", 1800.0, None, next_dates=[Occurrence(when)]), "de", number=1
        )
        later = card(
            Result(
                place, "buergerzentrum", 800.0, None, next_dates=[Occurrence(when + dt.timedelta(days=7))]
            ),
            "de",
        )
        assert len(calls) == 4 and len({first, turkish, farther, later}) == 4
        assert "1,8 km" in farther and "800 m" in first
        # a reloaded index brings new records: their cards are rendered anew, not taken from the cache
        renamed = facility(id=9_001, name="Neuer Name")
        fresh = card(
            Result(renamed, "buergerzentrum", 800.0, None, next_dates=[Occurrence(when)]), "de", number=1
        )
        assert "Neuer Name" in fresh and len(calls) == 5


def test_a_card_reads_in_its_own_language_whatever_the_context(i18n):
    place = facility(id=9_002, hours_text=None, location_exact=True)
    with i18n.context(), i18n.use_locale("de"):
        english = card(Result(place, "buergerzentrum", 1234.0, False), "en")
    with i18n.context(), i18n.use_locale("en"):
        expected = card(
            Result(facility(id=9_003, hours_text=None, location_exact=True), "buergerzentrum", 1234.0, False),
            "en",
        )
    assert english.split("\n", 1)[1] == expected.split("\n", 1)[1]
    assert "away" in english


def test_a_day_without_a_time_shows_the_part_of_it_never_midnight(i18n):
    morning = Occurrence(dt.datetime(2026, 12, 3, tzinfo=BERLIN), False, None, "morning")
    day = Occurrence(dt.datetime(2026, 12, 7, tzinfo=BERLIN), False)
    place = facility(id=9_004, hours_text="Seniorenturnen donnerstags vormittags (Stand 2026)")
    for lang, part in (("de", "vormittags"), ("en", "in the morning"), ("tr", "öğleden önce")):
        with i18n.context(), i18n.use_locale(lang):
            text = card(
                Result(place, "buergerzentrum", None, None, next_dates=[morning, day], hours_current=True),
                lang,
            )
        dates = next(line for line in text.splitlines() if line.startswith("📅"))
        assert part in dates and "00:00" not in dates and "0:00" not in dates, dates
    assert "Do., 3. Dez., vormittags · Mo., 7. Dez." in card(
        Result(place, "buergerzentrum", None, None, next_dates=[morning, day], hours_current=True), "de"
    )


@pytest.mark.parametrize(
    ("hours_text", "hours_year", "current", "expected"),
    [
        # the text states its year: no second note ("(Stand 2019, bitte prüfen) … (Stand 2018/19)")
        ("montags 17–19 Uhr (Stand ca. 2018/19)", 2019, False, "Zeiten (bitte vorher anfragen): montags"),
        ("montags 17–19 Uhr", 2019, False, "Zeiten Stand 2019, bitte vorher anfragen: montags"),
        ("montags 17–19 Uhr", None, False, "Zeiten (Stand unbekannt, bitte vorher anfragen): montags"),
        ("montags 17–19 Uhr (Stand Mai 2026)", 2026, True, "Zeiten: montags 17–19 Uhr (Stand Mai 2026)"),
        ("montags 17–19 Uhr", 2026, True, "Zeiten (Stand 2026): montags"),
    ],
)
def test_the_year_of_the_hours_appears_once_and_old_hours_ask_to_check_first(
    i18n, hours_text, hours_year, current, expected
):
    when = [Occurrence(dt.datetime(2026, 12, 7, 17, tzinfo=BERLIN), True, 120)] if current else []
    place = facility(id=9_010, hours_text=hours_text, hours_year=hours_year)
    with i18n.context(), i18n.use_locale("de"):
        text = card(Result(place, "buergerzentrum", None, None, next_dates=when, hours_current=current), "de")
    assert expected in text, text
    assert text.count("2019") <= 1 and text.count("2026") <= 1
    assert ("vorher anfragen" in text) is not current
    assert ("📅" in text) is current
