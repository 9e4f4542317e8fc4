"""Calendar files parse back into the events they were built from."""

import datetime as dt

from icalendar import Calendar

from knowledge.calendar import facility_calendar
from knowledge.schedules import BERLIN

NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=BERLIN)


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
            (dt.datetime(2026, 10, 20, 9, 30, tzinfo=BERLIN), 90),
            (dt.datetime(2026, 10, 27, 9, 30, tzinfo=BERLIN), 90),
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
    (ev,) = events(build([(dt.datetime(2026, 11, 27, 0, 0, tzinfo=BERLIN), None)]))
    assert ev.decoded("dtstart") == dt.date(2026, 11, 27)
    assert ev.decoded("dtend") == dt.date(2026, 11, 28)


def test_timed_event_without_duration_lasts_an_hour():
    (ev,) = events(build([(dt.datetime(2026, 11, 27, 18, 0, tzinfo=BERLIN), None)]))
    assert ev.decoded("dtend") - ev.decoded("dtstart") == dt.timedelta(hours=1)


def test_uids_are_stable_and_distinct():
    occ = [
        (dt.datetime(2026, 11, 24, 16, tzinfo=BERLIN), 180),
        (dt.datetime(2026, 11, 26, 18, tzinfo=BERLIN), 180),
    ]
    a = [str(e["uid"]) for e in events(build(occ))]
    b = [str(e["uid"]) for e in events(build(occ))]
    assert a == b and len(set(a)) == 2 and a[0] == "la-vie-20261124T1600@quartier.karlsruhe"
