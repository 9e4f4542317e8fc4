"""Free-text opening hours -> RFC 5545 schedule specs."""

import datetime as dt
from pathlib import Path

import pytest

from knowledge.hours import hours_confirmed, parse_hours

T = dt.time


@pytest.mark.parametrize(
    ("text", "rrule", "start", "minutes", "year"),
    [
        ("dienstags ab 10:15 Uhr (ca. 2 Std.; Stand 2019)", "FREQ=WEEKLY;BYDAY=TU", T(10, 15), 120, 2019),
        ("mittwochs ab 12 Uhr (Stand 2019)", "FREQ=WEEKLY;BYDAY=WE", T(12), None, 2019),
        ("mittwochs 10–12 Uhr (Stand 2013)", "FREQ=WEEKLY;BYDAY=WE", T(10), 120, 2013),
        ("Geschäftsstelle montags 17–19 Uhr (Stand ca. 2018/19)", "FREQ=WEEKLY;BYDAY=MO", T(17), 120, 2019),
        (
            "Bürgersprechstunde im ev. Gemeindehaus jeweils am 2. Donnerstag im Monat 18–19 Uhr (Stand 2017)",
            "FREQ=MONTHLY;BYDAY=2TH",
            T(18),
            60,
            2017,
        ),
        (
            "offene Sprechzeit donnerstags 14–17 Uhr (Terminvereinbarung empfohlen)",
            "FREQ=WEEKLY;BYDAY=TH",
            T(14),
            180,
            None,
        ),
        (
            "Telefonsprechzeiten Montag 9–12 Uhr, Mittwoch 9–12 Uhr (Stand Dez. 2024)",
            "FREQ=WEEKLY;BYDAY=MO,WE",
            T(9),
            180,
            2024,
        ),
        ("Treffen Mo-Fr 9.30 bis 11 Uhr", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", T(9, 30), 90, None),
        ("letzten Freitag im Monat um 19 Uhr", "FREQ=MONTHLY;BYDAY=-1FR", T(19), None, None),
        ("alle zwei Wochen dienstags 10 Uhr", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", T(10), None, None),
        ("werktags 8–16 Uhr", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", T(8), 480, None),
    ],
)
def test_single_rule_texts(text, rrule, start, minutes, year):
    parsed = parse_hours(text)
    assert parsed.text == text and parsed.year == year
    assert len(parsed.specs) == 1
    spec = parsed.specs[0]
    assert (spec.rrule, spec.start, spec.duration_minutes) == (rrule, start, minutes)


def test_groups_before_a_colon_become_labels():
    parsed = parse_hours(
        "Kinderdach (bis 11 J.): Di + Fr 15:00–17:30; Jugend (ab 12 J.): Mi + Do 17:30–21:00 "
        "(bis 15 J. bis 20:00), Fr 14:30–18:00 (Stadtwiki, undatiert)"
    )
    got = [(s.label, s.rrule, s.start, s.duration_minutes) for s in parsed.specs]
    assert got == [
        ("Kinderdach (bis 11 J.)", "FREQ=WEEKLY;BYDAY=TU,FR", T(15), 150),
        ("Jugend (ab 12 J.)", "FREQ=WEEKLY;BYDAY=WE,TH", T(17, 30), 210),
        ("Jugend (ab 12 J.)", "FREQ=WEEKLY;BYDAY=FR", T(14, 30), 210),
    ]
    assert parsed.year is None


def test_age_ranges_are_not_times():
    parsed = parse_hours("Kinder (6–12): Di + Do 13–18 Uhr; Teenies (12–15): Mi 16–22, Do 18–20 Uhr")
    starts = {(s.rrule, s.start) for s in parsed.specs}
    assert ("FREQ=WEEKLY;BYDAY=TU,TH", T(13)) in starts
    assert ("FREQ=WEEKLY;BYDAY=WE", T(16)) in starts
    assert all(s.start != T(6) and s.start != T(12) for s in parsed.specs)


def test_several_rules_in_one_text_including_monthly_ordinal():
    parsed = parse_hours(
        "dienstags 16–19 Uhr, donnerstags 18–21 Uhr, jeden 2. Samstag im Monat 20–23 Uhr (Stand ca. 2016/17)"
    )
    assert [s.rrule for s in parsed.specs] == [
        "FREQ=WEEKLY;BYDAY=TU",
        "FREQ=WEEKLY;BYDAY=TH",
        "FREQ=MONTHLY;BYDAY=2SA",
    ]
    assert parsed.year == 2017


def test_biweekly_inside_parentheses():
    parsed = parse_hours("zwei Lesekreise alle zwei Wochen (dienstags 10 Uhr bzw. mittwochs 15 Uhr)")
    assert {(s.rrule, s.start) for s in parsed.specs} == {
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", T(10)),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=WE", T(15)),
    }


def test_days_without_time_keep_no_start():
    parsed = parse_hours("Seniorennachmittage montags und freitags (Stand 2016)")
    assert [(s.rrule, s.start) for s in parsed.specs] == [("FREQ=WEEKLY;BYDAY=MO,FR", None)]


@pytest.mark.parametrize(
    "text",
    [
        "Elterncafé an zwei Nachmittagen pro Woche (seit Nov. 2016; Wochentage nicht genannt)",
        "einzelne Sonntage, jeweils ab 11 Uhr (mehrere Termine pro Jahr; Stand ca. 2018)",
        "mobiles offenes Elterncafé im Melanchthon-Haus (Durlach-Aue) zweimal im Monat (Stand 2023)",
        "geplant: vier Tage pro Woche nachmittags/abends (Stand 2019)",
        "",
        None,
    ],
)
def test_unparseable_texts_give_no_specs_and_keep_the_text(text):
    parsed = parse_hours(text)
    assert parsed.specs == ()
    assert parsed.text == (text or "")


def test_single_dates():
    parsed = parse_hours("Sommerfest am 14.06.2027 um 15 Uhr")
    assert parsed.specs[0].dates == (dt.date(2027, 6, 14),)
    assert parsed.specs[0].rrule is None and parsed.specs[0].start == T(15)


def test_every_packaged_hours_text_parses():
    path = Path(__file__).resolve().parents[1] / "knowledge" / "data" / "karlsruhe" / "facilities.csv"
    import csv

    texts = [r["hours"] for r in csv.DictReader(path.open(encoding="utf-8")) if r["hours"]]
    parsed = [parse_hours(t) for t in texts]
    assert len(texts) >= 20
    assert sum(1 for p in parsed if p.specs) >= 15


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("Seniorenturnen donnerstags vormittags (Stand 2016)", {"FREQ=WEEKLY;BYDAY=TH": "morning"}),
        ("Do vormittags", {"FREQ=WEEKLY;BYDAY=TH": "morning"}),
        ("freitags nachmittags", {"FREQ=WEEKLY;BYDAY=FR": "afternoon"}),
        ("mittwochs abends", {"FREQ=WEEKLY;BYDAY=WE": "evening"}),
        # a word that contains a part of a day names the event, not its time
        ("Seniorennachmittage montags und freitags", {"FREQ=WEEKLY;BYDAY=MO,FR": None}),
        # two parts of a day say none; a clock time wins over a part of the day
        ("samstags nachmittags bis abends", {"FREQ=WEEKLY;BYDAY=SA": None}),
        ("dienstags vormittags 9–12 Uhr", {"FREQ=WEEKLY;BYDAY=TU": None}),
    ],
)
def test_a_part_of_a_day_is_kept_as_such_never_as_a_time(text, parts):
    specs = parse_hours(text).specs
    assert {s.rrule: s.part_of_day for s in specs} == parts
    assert all(s.start is None for s in specs if s.part_of_day)


@pytest.mark.parametrize(
    ("text", "year", "verified", "expected"),
    [
        ("dienstags ab 10:15 Uhr (ca. 2 Std.; Stand 2019)", None, None, dt.date(2019, 1, 1)),
        ("Geschäftsstelle montags 17–19 Uhr (Stand ca. 2018/19)", None, None, dt.date(2019, 1, 1)),
        ("Telefonsprechzeiten Montag 9–12 Uhr (Stand Dez. 2024)", None, None, dt.date(2024, 12, 1)),
        ("„Café O“ mittwochs 9:30–12 Uhr (Stand Mai 2026)", 2026, None, dt.date(2026, 5, 1)),
        ("freitags 16:30–21 Uhr (Stand Januar 2025)", None, None, dt.date(2025, 1, 1)),
        ("montags 17–19 Uhr", 2021, None, dt.date(2021, 1, 1)),
        ("montags 17–19 Uhr (Stand 2019)", 2019, dt.date(2026, 10, 5), dt.date(2026, 10, 5)),
        ("offene Sprechzeit donnerstags 14–17 Uhr (Stand: undatierte Seite)", None, None, None),
        (None, None, None, None),
    ],
)
def test_hours_are_confirmed_from_the_earliest_day_they_are_known_to_hold(text, year, verified, expected):
    assert hours_confirmed(text, year, verified) == expected


@pytest.mark.parametrize(
    ("text", "rules"),
    [
        # once a month on a Saturday, but which one is not said: no weekly Saturdays
        ("einmal monatlich samstags 17:30–20 Uhr (ab 8 Jahren)", []),
        ("zweimal im Monat dienstags 15 Uhr", []),
        ("jeden 2. Samstag im Monat 20–23 Uhr", ["FREQ=MONTHLY;BYDAY=2SA"]),
        ("zweiwöchentlich mittwochs 12–14 Uhr", ["FREQ=WEEKLY;INTERVAL=2;BYDAY=WE"]),
    ],
)
def test_monthly_and_fortnightly_rhythms_are_not_read_as_weekly(text, rules):
    assert [s.rrule for s in parse_hours(text).specs] == rules
