"""Calendar files (.ics) of a facility's next dates, with the icalendar package.

A date whose time is not known becomes an all-day event, never one at midnight.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from icalendar import Calendar, Event

from knowledge.schedules import BERLIN, Occurrence

PRODID = "-//Quartiersassistent Karlsruhe//DE"
DEFAULT_MINUTES = 60
URL = re.compile(r"https?://[^\s\x00-\x1f\x7f]+", re.IGNORECASE)


def facility_calendar(
    *,
    name: str,
    address: str | None,
    description: str | None,
    url: str | None,
    occurrences: Iterable[Occurrence],
    uid_prefix: str,
    now: dt.datetime,
) -> bytes:
    """One VEVENT per occurrence, times in Europe/Berlin with a VTIMEZONE.

    Any text may come in (imported names, what a coordinator typed): the name and the
    address are made one line (icalendar refuses a line break in the calendar's name), a
    web address that is not one is left out.
    """
    name = " ".join(name.split()) or "Termin"
    address = " ".join(address.split()) if address else None
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    for o in occurrences:
        local, minutes = o.start.astimezone(BERLIN), o.minutes
        event = Event()
        stamp = f"{local:%Y%m%dT%H%M}" if o.timed else f"{local:%Y%m%d}"
        event.add("uid", f"{uid_prefix}-{stamp}@quartier.karlsruhe")
        event.add("dtstamp", now.astimezone(dt.UTC))
        event.add("summary", name)
        if not o.timed:
            event.add("dtstart", local.date())
            event.add("dtend", local.date() + dt.timedelta(days=1))
        else:
            event.add("dtstart", local)
            event.add("dtend", local + dt.timedelta(minutes=minutes or DEFAULT_MINUTES))
        if address:
            event.add("location", address)
        if description:
            event.add("description", description)
        if url and URL.fullmatch(url):  # a web address of one line, or none at all
            event.add("url", url)
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()
