"""Result cards: escaped HTML Telegram accepts, dates per locale, the year of old hours once."""

import datetime as dt

import pytest

from bot.i18n import make_i18n
from bot.render import card, format_when
from bot.sandbox.validation import visible_text
from knowledge.records import FacilityRecord
from knowledge.schedules import BERLIN
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
        text = card(Result(facility(), "buergerzentrum", 1234.0, False, next_dates=[when]), lang)
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
