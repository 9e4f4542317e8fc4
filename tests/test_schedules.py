"""Next dates from schedule specs, in Europe/Berlin wall-clock time."""

import datetime as dt

from knowledge.hours import ScheduleSpec, parse_hours
from knowledge.schedules import BERLIN, next_dates, next_occurrences

UTC = dt.UTC


def weekly(day: str, h: int, m: int = 0) -> ScheduleSpec:
    return ScheduleSpec(f"FREQ=WEEKLY;BYDAY={day}", dt.time(h, m), 60)


def test_weekly_across_the_autumn_dst_change_keeps_wall_time():
    now = dt.datetime(2026, 10, 18, 12, 0, tzinfo=BERLIN)
    dates = next_occurrences(weekly("TU", 9, 30), now=now, count=3)
    assert [d.isoformat() for d in dates] == [
        "2026-10-20T09:30:00+02:00",
        "2026-10-27T09:30:00+01:00",
        "2026-11-03T09:30:00+01:00",
    ]


def test_weekly_across_the_spring_dst_change_keeps_wall_time():
    now = dt.datetime(2026, 3, 24, 10, 0, tzinfo=BERLIN)
    dates = next_occurrences(weekly("TU", 9, 30), now=now, count=2)
    assert [d.isoformat() for d in dates] == ["2026-03-31T09:30:00+02:00", "2026-04-07T09:30:00+02:00"]
    assert dates[0].astimezone(UTC).hour == 7


def test_every_second_tuesday_of_the_month():
    spec = parse_hours("jeden 2. Dienstag im Monat 18 Uhr").specs[0]
    dates = next_occurrences(spec, now=dt.datetime(2026, 11, 24, tzinfo=BERLIN), count=3)
    assert [d.date() for d in dates] == [dt.date(2026, 12, 8), dt.date(2027, 1, 12), dt.date(2027, 2, 9)]
    assert all(d.weekday() == 1 and 8 <= d.day <= 14 for d in dates)


def test_now_in_utc_is_converted_to_local_time():
    # 08:00 UTC is 09:00 in Berlin in November: today's 09:30 is still ahead
    now = dt.datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert next_occurrences(weekly("TU", 9, 30), now=now, count=1)[0] == dt.datetime(
        2026, 11, 24, 9, 30, tzinfo=BERLIN
    )
    later = dt.datetime(2026, 11, 24, 8, 31, tzinfo=UTC)  # 09:31 local: next week
    assert next_occurrences(weekly("TU", 9, 30), now=later, count=1)[0].day == 1


def test_biweekly_follows_its_anchor():
    spec = ScheduleSpec("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", dt.time(10), None)
    now = dt.datetime(2026, 11, 24, 11, 0, tzinfo=BERLIN)
    a = next_occurrences(spec, now=now, count=2, anchor=dt.date(2026, 11, 17))
    b = next_occurrences(spec, now=now, count=2, anchor=dt.date(2026, 11, 24))
    assert [d.day for d in a] == [1, 15]
    assert [d.date() for d in b] == [dt.date(2026, 12, 8), dt.date(2026, 12, 22)]


def test_valid_from_and_to_bound_the_dates():
    now = dt.datetime(2026, 11, 24, tzinfo=BERLIN)
    dates = next_occurrences(
        weekly("MO", 10), now=now, count=5, valid_from=dt.date(2026, 12, 1), valid_to=dt.date(2026, 12, 14)
    )
    assert [d.date() for d in dates] == [dt.date(2026, 12, 7), dt.date(2026, 12, 14)]


def test_untimed_days_count_today():
    spec = ScheduleSpec("FREQ=WEEKLY;BYDAY=TU", None, None)
    now = dt.datetime(2026, 11, 24, 18, 0, tzinfo=BERLIN)  # a Tuesday evening
    first = next_occurrences(spec, now=now, count=1)[0]
    assert first.date() == dt.date(2026, 11, 24) and (first.hour, first.minute) == (0, 0)


def test_next_dates_merges_sorts_and_deduplicates():
    specs = [weekly("TU", 16), weekly("TH", 18), weekly("TU", 16)]
    dates = next_dates(specs, now=dt.datetime(2026, 11, 24, 12, tzinfo=BERLIN), count=4)
    assert [d.strftime("%a %H") for d in dates] == ["Tue 16", "Thu 18", "Tue 16", "Thu 18"]
    assert len(set(dates)) == 4 and dates == sorted(dates)


def test_single_dates_in_the_past_are_dropped():
    spec = ScheduleSpec(None, dt.time(15), None, dates=(dt.date(2026, 1, 1), dt.date(2027, 6, 14)))
    dates = next_occurrences(spec, now=dt.datetime(2026, 11, 24, tzinfo=BERLIN))
    assert dates == [dt.datetime(2027, 6, 14, 15, tzinfo=BERLIN)]
