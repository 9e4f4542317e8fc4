"""Next dates of a schedule in Karlsruhe's local time, with python-dateutil's rrule.

Rules are expanded on naive local wall-clock times and only then given the
Europe/Berlin zone, so a Tuesday 09:30 meeting stays at 09:30 across the change
to and from daylight saving time, as people expect.

An `Occurrence` says whether its time is known: a day-only date is never shown or
exported as midnight.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from knowledge.hours import ScheduleSpec

BERLIN = ZoneInfo("Europe/Berlin")
EPOCH = dt.date(2024, 1, 1)  # a Monday: deterministic anchor for INTERVAL>1 rules
MAX_COUNT = 100
_INTERVAL = re.compile(r"INTERVAL=(\d+)")


@dataclass(frozen=True, slots=True, order=True)
class Occurrence:
    """One next date of a place: a start time, or a day (with the part of it, when named)."""

    start: dt.datetime  # aware, Europe/Berlin; local midnight of the day when not timed
    timed: bool = True
    minutes: int | None = None
    part_of_day: str | None = None  # morning | midday | afternoon | evening, only when not timed

    @property
    def day(self) -> dt.date:
        return self.start.astimezone(BERLIN).date()

    def iso(self) -> str:
        """ISO 8601: the instant when the time is known, else the day alone ("2026-12-02")."""
        return self.start.isoformat() if self.timed else self.day.isoformat()


@lru_cache(maxsize=4096)
def _parse(rule: str) -> rrule:
    return rrulestr(rule, dtstart=dt.datetime.combine(EPOCH, dt.time()))


def _aligned_start(rule: str, anchor: dt.date, target: dt.date) -> dt.date:
    """A dtstart shortly before `target` that keeps the rule's rhythm from `anchor`.

    Expanding from 2024 on every call would walk hundreds of occurrences; for weekly
    rules we jump by whole intervals, for the others to the start of the month.
    """
    if target <= anchor:
        return anchor
    if "FREQ=WEEKLY" in rule or "FREQ=DAILY" in rule:
        interval = int(m.group(1)) if (m := _INTERVAL.search(rule)) else 1
        period = 7 * interval if "FREQ=WEEKLY" in rule else interval
        return anchor + dt.timedelta(days=((target - anchor).days // period) * period)
    if "FREQ=MONTHLY" in rule and not _INTERVAL.search(rule):
        return target.replace(day=1)
    return anchor


def _local(now: dt.datetime) -> dt.datetime:
    if now.tzinfo is None:
        now = now.replace(tzinfo=BERLIN)
    return now.astimezone(BERLIN).replace(tzinfo=None)


def next_occurrences(
    spec: ScheduleSpec,
    *,
    now: dt.datetime,
    count: int = 3,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    anchor: dt.date | None = None,
) -> list[dt.datetime]:
    """Next `count` start datetimes (aware, Europe/Berlin) at or after `now`.

    A spec without a start time yields its days at 00:00 local, counting today.
    """
    count = max(0, min(count, MAX_COUNT))
    start_time = spec.start or dt.time(0, 0)
    local_now = _local(now)
    after = local_now if spec.start else local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    if valid_from and dt.datetime.combine(valid_from, dt.time.min) > after:
        after = dt.datetime.combine(valid_from, dt.time.min)
    found: list[dt.datetime] = []
    if spec.rrule and count:
        base = _aligned_start(spec.rrule, anchor or valid_from or EPOCH, after.date())
        rule = _parse(spec.rrule).replace(dtstart=dt.datetime.combine(base, start_time))
        found = list(rule.xafter(after, count=count, inc=True))
    elif spec.dates:
        found = sorted(d for d in (dt.datetime.combine(day, start_time) for day in spec.dates) if d >= after)[
            :count
        ]
    if valid_to is not None:
        found = [d for d in found if d.date() <= valid_to]
    return [d.replace(tzinfo=BERLIN) for d in found]


def next_dates(
    specs: Iterable[ScheduleSpec],
    *,
    now: dt.datetime,
    count: int = 3,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
) -> list[dt.datetime]:
    """Merged, sorted, unique next dates of several specs."""
    found: set[dt.datetime] = set()
    for spec in specs:
        found.update(next_occurrences(spec, now=now, count=count, valid_from=valid_from, valid_to=valid_to))
    return sorted(found)[:count]
