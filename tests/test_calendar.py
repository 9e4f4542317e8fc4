"""Calendar files parse back into the events they were built from."""

import datetime as dt

from icalendar import Calendar

from knowledge.calendar import facility_calendar
from knowledge.schedules import BERLIN, Occurrence

NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=BERLIN)


def at(start, minutes, timed=True):
    return Occurrence(start, timed, minutes)


def build(occurrences):
    return Calendar.from_ical(
        facility_calendar(
            name="LA ViE – Queeres Jugendzentrum",
            address="Ettlinger Straße, Karlsruhe",
            description="Offener Treff",
            url="https://example.org",
            occurrences=occurrences,
            uid_prefix="la-vie",
            now=NOW,
        )
    )


def events(cal):
    return [c for c in cal.walk("VEVENT")]


def test_events_keep_local_time_and_zone_across_dst():
    cal = build(
        [
            at(dt.datetime(2026, 10, 20, 9, 30, tzinfo=BERLIN), 90),
            at(dt.datetime(2026, 10, 27, 9, 30, tzinfo=BERLIN), 90),
        ]
    )
    evs = events(cal)
    assert len(evs) == 2
    for ev in evs:
        start = ev.decoded("dtstart")
        assert (start.hour, start.minute) == (9, 30)
        assert ev["dtstart"].params["TZID"] == "Europe/Berlin"
        assert ev.decoded("dtend") - start == dt.timedelta(minutes=90)
    assert [e.decoded("dtstart").utcoffset() for e in evs] == [dt.timedelta(hours=2), dt.timedelta(hours=1)]
    assert [c.get("tzid") for c in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert str(evs[0]["summary"]) == "LA ViE – Queeres Jugendzentrum"
    assert str(evs[0]["location"]) == "Ettlinger Straße, Karlsruhe"


def test_untimed_occurrence_becomes_all_day_event():
    (ev,) = events(build([at(dt.datetime(2026, 11, 27, 0, 0, tzinfo=BERLIN), None, timed=False)]))
    assert ev.decoded("dtstart") == dt.date(2026, 11, 27)
    assert ev.decoded("dtend") == dt.date(2026, 11, 28)


def test_timed_event_without_duration_lasts_an_hour():
    (ev,) = events(build([at(dt.datetime(2026, 11, 27, 18, 0, tzinfo=BERLIN), None)]))
    assert ev.decoded("dtend") - ev.decoded("dtstart") == dt.timedelta(hours=1)


def test_uids_are_stable_and_distinct():
    occ = [
        at(dt.datetime(2026, 11, 24, 16, tzinfo=BERLIN), 180),
        at(dt.datetime(2026, 11, 26, 18, tzinfo=BERLIN), 180),
    ]
    a = [str(e["uid"]) for e in events(build(occ))]
    b = [str(e["uid"]) for e in events(build(occ))]
    assert a == b and len(set(a)) == 2 and a[0] == "la-vie-20261124T1600@quartier.karlsruhe"


def test_a_day_with_only_a_part_of_it_is_an_all_day_event_even_with_a_duration():
    when = Occurrence(dt.datetime(2026, 12, 3, tzinfo=BERLIN), False, 120, "morning")
    (ev,) = events(build([when]))
    assert ev.decoded("dtstart") == dt.date(2026, 12, 3)
    assert str(ev["uid"]) == "la-vie-20261203@quartier.karlsruhe"


def test_an_event_really_at_midnight_keeps_its_time():
    (ev,) = events(build([at(dt.datetime(2026, 12, 31, 0, 0, tzinfo=BERLIN), 60)]))
    assert ev.decoded("dtstart") == dt.datetime(2026, 12, 31, 0, 0, tzinfo=BERLIN)
