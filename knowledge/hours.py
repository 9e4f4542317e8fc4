"""Parse the free-text German opening hours of facility records into schedule specs.

The records say things like "dienstags ab 10:15 Uhr (ca. 2 Std.; Stand 2019)" or
"Kinderdach (bis 11 J.): Di + Fr 15:00–17:30; Jugend (ab 12 J.): Mi + Do 17:30–21:00".
We turn what is unambiguous into RFC 5545 rules and never guess: text without a
weekday ("an zwei Nachmittagen pro Woche", "einzelne Sonntage") gives no spec. The
original text and the year it was stated for are kept beside the specs.

A part of a day named without a clock time ("donnerstags vormittags") is kept as such
(`ScheduleSpec.part_of_day`), never turned into a time. `hours_confirmed` gives the earliest
day the stated hours are known to have held: dates are only computed from recent ones.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# full names (case-insensitive, any ending: "dienstags", "Dienstag", "Dienstage")
DAY_NAMES = {
    "montag": "MO",
    "dienstag": "TU",
    "mittwoch": "WE",
    "donnerstag": "TH",
    "freitag": "FR",
    "samstag": "SA",
    "sonnabend": "SA",
    "sonntag": "SU",
}
# abbreviations are only taken capitalised, so "so" and "da" in a sentence stay words
DAY_ABBREVIATIONS = {"Mo": "MO", "Di": "TU", "Mi": "WE", "Do": "TH", "Fr": "FR", "Sa": "SA", "So": "SU"}
ORDINALS = {"ersten": 1, "erster": 1, "zweiten": 2, "dritten": 3, "vierten": 4, "letzten": -1}
NUMBER_WORDS = {"zwei": 2, "drei": 3, "vier": 4}
MONTHS = {
    "jan": 1,
    "feb": 2,
    "mär": 3,
    "mar": 3,
    "apr": 4,
    "mai": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "okt": 10,
    "nov": 11,
    "dez": 12,
}

_DASH = r"\s*(?:–|—|-|bis)\s*"
_CLOCK = r"(\d{1,2})(?:[:.](\d{2}))?"
_DAY_WORD = r"(?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag)\w*"
_DAY_ABBR = r"\b(?:Mo|Di|Mi|Do|Fr|Sa|So)\b\.?"
_DAY = rf"(?:(?i:{_DAY_WORD})|{_DAY_ABBR})"

RE_ORDINAL = re.compile(
    rf"(?i:(?:jeden|jede[nrs]?|am|jeweils\s+am)\s+)?(?:(\d)\.|(?i:(ersten|erster|zweiten|dritten|vierten|letzten)))"
    rf"\s+({_DAY})\s+(?i:im\s+monat)"
)
RE_DAY_RANGE = re.compile(rf"({_DAY}){_DASH.replace('|bis', '')}({_DAY})")
RE_DAY = re.compile(_DAY)
RE_DAILY = re.compile(r"(?i)\btäglich\w*|\bjeden\s+tag\b")
RE_WORKDAYS = re.compile(r"(?i)\bwerktags\b|\bwerktäglich\b")
RE_TIME_RANGE = re.compile(rf"(?<![\d.]){_CLOCK}{_DASH}{_CLOCK}(?:\s*uhr)?(?![\d.])", re.IGNORECASE)
RE_TIME_FROM = re.compile(rf"(?i)\b(?:ab|um)\s+{_CLOCK}(?:\s*uhr)?(?![\d.])")
RE_TIME_UHR = re.compile(rf"(?i)(?<![\d.]){_CLOCK}\s*uhr\b")
RE_DURATION = re.compile(r"(?i)(?:ca\.\s*)?(\d+(?:[,.]\d)?)\s*(std|stunden?|min)\.?")
RE_INTERVAL = re.compile(
    r"(?i)alle\s+(zwei|drei|vier|\d)\s+wochen|(14)[-\s]?tägig|jede\s+zweite\s+woche|vierzehntägig|zweiwöchentlich"
)
RE_VAGUE = re.compile(r"(?i)\b(einzelne|manche|einige|ausgewählte|mehrere|gelegentlich)\b")
# "einmal monatlich samstags": one Saturday a month, but which one is not said
RE_MONTHLY_VAGUE = re.compile(r"(?i)\bmonatlich|\b(?:ein|zwei|drei)mal\s+(?:im|pro)\s+monat")
RE_DATE = re.compile(r"(?<!\d)(\d{1,2})\.(\d{1,2})\.(\d{4})(?!\d)")
RE_STAND = re.compile(r"(?i)stand\s+(?:ca\.\s*)?(?:[a-zä]+\.?\s+)?(\d{4})(?:\s*/\s*(\d{2,4}))?")
RE_STAND_MONTH = re.compile(r"(?i)stand:?\s+(?:ca\.\s*)?([a-zä]{3,})\.?\s+((?:19|20)\d{2})(?!\s*[/–-]\s*\d)")
# one part of a day, as a whole word: "Seniorennachmittage" names an event, not a time
PARTS_OF_DAY = {
    "morgens": "morning",
    "vormittag": "morning",
    "vormittags": "morning",
    "mittags": "midday",
    "nachmittag": "afternoon",
    "nachmittags": "afternoon",
    "abend": "evening",
    "abends": "evening",
}
RE_PART_OF_DAY = re.compile(r"(?i)\b(morgens|vormittags?|mittags|nachmittags?|abends?)\b")
RE_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?:\s*[/–-]\s*(\d{2,4}))?(?!\d)")


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    rrule: str | None  # RFC 5545 RRULE value without "RRULE:"; None for single dates
    start: dt.time | None  # local wall-clock start (Europe/Berlin); None: the day only
    duration_minutes: int | None
    label: str | None = None
    dates: tuple[dt.date, ...] = ()
    part_of_day: str | None = None  # morning | midday | afternoon | evening, when start is None


@dataclass(frozen=True, slots=True)
class ParsedHours:
    text: str
    year: int | None
    specs: tuple[ScheduleSpec, ...]


def _split_depth0(text: str, separators: str) -> list[str]:
    """Split on any of `separators` outside parentheses."""
    parts, depth, cur = [], 0, []
    for ch in text:
        depth += ch == "("
        depth -= ch == ")" and depth > 0
        if depth == 0 and ch in separators:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def _second_year(first: str, second: str | None) -> int:
    if not second:
        return int(first)
    return int(second) if len(second) == 4 else int(first[:2] + second)


def parse_year(text: str) -> int | None:
    """The year the text was stated for: "Stand 2019", "Stand ca. 2018/19", "ca. 2009–2012"."""
    m = RE_STAND.search(text)
    if m:
        return _second_year(m.group(1), m.group(2))
    years = [_second_year(m.group(1), m.group(2)) for m in RE_YEAR.finditer(text)]
    return max(years) if years else None


def hours_confirmed(
    text: str | None, year: int | None = None, verified: dt.date | None = None
) -> dt.date | None:
    """The earliest day the stated hours are known to have held, or None when no one says.

    A verification date counts as it is; "Stand Mai 2026" counts from 1 May 2026; a bare
    year ("Stand 2019", "Stand 2018/19" -> 2019) from its 1 January: of a year we only know
    the hours held at some time in it, so the earliest day is the safe reading.
    """
    if verified is not None:
        return verified
    if text and (m := RE_STAND_MONTH.search(text)):
        month = MONTHS.get(m.group(1).lower()[:3])
        if month:
            return dt.date(int(m.group(2)), month, 1)
    year = year or (parse_year(text) if text else None)
    return dt.date(year, 1, 1) if year else None


def _part_of_day(text: str) -> str | None:
    """The one part of a day a phrase names; two different ones ("nachmittags/abends") say none."""
    parts = {PARTS_OF_DAY[m.group(1).lower()] for m in RE_PART_OF_DAY.finditer(text)}
    return parts.pop() if len(parts) == 1 else None


def _minutes(h: str, m: str | None) -> int:
    return int(h) * 60 + int(m or 0)


def _as_time(minutes: int) -> dt.time | None:
    if not 0 <= minutes < 24 * 60:
        return None
    return dt.time(minutes // 60, minutes % 60)


def _day_code(word: str) -> str:
    word = word.rstrip(".")
    if word in DAY_ABBREVIATIONS:
        return DAY_ABBREVIATIONS[word]
    lower = word.lower()
    return next(code for name, code in DAY_NAMES.items() if lower.startswith(name))


def _duration(text: str) -> int | None:
    m = RE_DURATION.search(text)
    if not m:
        return None
    value = float(m.group(1).replace(",", "."))
    return round(value * 60) if m.group(2).lower().startswith("st") else round(value)


def _interval(text: str) -> int:
    m = RE_INTERVAL.search(text)
    if not m:
        return 1
    if m.group(1):
        return NUMBER_WORDS.get(m.group(1).lower()) or int(m.group(1))
    return 2


def _clean_body(body: str) -> tuple[str, int | None]:
    """Inline parentheses that hold days, take a duration from others, drop the rest."""
    duration = None

    def repl(m: re.Match[str]) -> str:
        nonlocal duration
        inner = m.group(1)
        if RE_DAY.search(inner) or RE_DAILY.search(inner):
            return f"; {inner} ;"
        duration = duration or _duration(inner)
        return " "

    return re.sub(r"\(([^()]*)\)", repl, body), duration


def _times(part: str) -> tuple[dt.time | None, int | None, bool]:
    """Start and duration in a phrase; the flag says whether any clock time was found."""
    m = RE_TIME_RANGE.search(part)
    if m:
        start, end = _minutes(m.group(1), m.group(2)), _minutes(m.group(3), m.group(4))
        if end <= start:
            end += 24 * 60 if end < start else 0
        if _as_time(start) and end > start and end - start <= 16 * 60:
            return _as_time(start), end - start, True
    for rx in (RE_TIME_FROM, RE_TIME_UHR):
        m = rx.search(part)
        if m and _as_time(_minutes(m.group(1), m.group(2))):
            return _as_time(_minutes(m.group(1), m.group(2))), None, True
    return None, None, False


def _days(part: str) -> tuple[str, list[str]]:
    """Frequency and BYDAY values in a phrase ("MONTHLY", ["2TH"]) or ("WEEKLY", ["TU","FR"])."""
    m = RE_ORDINAL.search(part)
    if m:
        n = int(m.group(1)) if m.group(1) else ORDINALS[m.group(2).lower()]
        return "MONTHLY", [f"{n}{_day_code(m.group(3).strip())}"]
    if RE_WORKDAYS.search(part):
        return "WEEKLY", list(WEEKDAYS[:5])
    days: list[str] = []
    covered: list[tuple[int, int]] = []
    for m in RE_DAY_RANGE.finditer(part):
        a, b = WEEKDAYS.index(_day_code(m.group(1).strip())), WEEKDAYS.index(_day_code(m.group(2).strip()))
        if a <= b:
            days += list(WEEKDAYS[a : b + 1])
            covered.append(m.span())
    for m in RE_DAY.finditer(part):
        if not any(s <= m.start() < e for s, e in covered):
            days.append(_day_code(m.group(0).strip()))
    if days:
        return "WEEKLY", list(dict.fromkeys(days))
    if RE_DAILY.search(part):
        return "DAILY", []
    return "", []


def _phrase_specs(part: str, label: str | None, interval: int, duration: int | None) -> list[ScheduleSpec]:
    dates = tuple(
        d
        for m in RE_DATE.finditer(part)
        if (d := _safe_date(int(m.group(3)), int(m.group(2)), int(m.group(1)))) is not None
    )
    start, minutes, _ = _times(RE_DATE.sub(" ", part))
    minutes = minutes or duration
    part_of_day = None if start else _part_of_day(part)
    if dates:
        return [ScheduleSpec(None, start, minutes, label, dates, part_of_day)]
    if RE_VAGUE.search(part) or (RE_MONTHLY_VAGUE.search(part) and not RE_ORDINAL.search(part)):
        return []
    freq, days = _days(part)
    if not freq:
        return []
    rule = f"FREQ={freq}"
    if interval > 1 and freq == "WEEKLY":
        rule += f";INTERVAL={interval}"
    if days:
        rule += ";BYDAY=" + ",".join(days)
    return [ScheduleSpec(rule, start, minutes, label, part_of_day=part_of_day)]


def _safe_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _merge(specs: list[ScheduleSpec]) -> list[ScheduleSpec]:
    """Join weekly rules that differ only in their days; drop untimed duplicates of timed days."""
    merged: dict[tuple, ScheduleSpec] = {}
    for s in specs:
        head, _, days = (s.rrule or "").partition(";BYDAY=")
        key = (
            (head, s.start, s.duration_minutes, s.label, s.dates, s.part_of_day) if "WEEKLY" in head else (s,)
        )
        if key in merged and days:
            prev = merged[key]
            old = prev.rrule.partition(";BYDAY=")[2].split(",")
            new = list(dict.fromkeys(old + days.split(",")))
            new.sort(key=WEEKDAYS.index)
            merged[key] = ScheduleSpec(
                f"{head};BYDAY={','.join(new)}",
                s.start,
                s.duration_minutes,
                s.label,
                part_of_day=s.part_of_day,
            )
        else:
            merged[key] = s
    out = list(merged.values())
    timed_days = {
        (s.rrule.partition(";BYDAY=")[0], d)
        for s in out
        if s.start and s.rrule
        for d in s.rrule.partition(";BYDAY=")[2].split(",")
    }
    return [
        s
        for s in out
        if s.start
        or not s.rrule
        or not all(
            (s.rrule.partition(";BYDAY=")[0], d) in timed_days
            for d in s.rrule.partition(";BYDAY=")[2].split(",")
        )
    ]


def parse_hours(text: str | None) -> ParsedHours:
    if not text or not text.strip():
        return ParsedHours(text or "", None, ())
    specs: list[ScheduleSpec] = []
    for segment in _split_depth0(text, ";"):
        label = None
        head, colon, rest = segment.partition(":")
        if (
            colon
            and not re.search(r"\d[:.]?$", head)
            and not RE_DAY.search(head)
            and not RE_DAILY.search(head)
        ):
            label, segment = head.strip() or None, rest
        body, duration = _clean_body(segment)
        duration = duration or _duration(body)
        interval = _interval(body)
        for sub in _split_depth0(body, ";"):
            for part in re.split(r",|\bbzw\.|\bsowie\b", sub):
                if part.strip():
                    specs += _phrase_specs(part, label, interval, duration)
    return ParsedHours(text, parse_year(text), tuple(_merge(specs)))
