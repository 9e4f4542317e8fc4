"""Answers as Telegram messages: HTML cards, dates and numbers per locale (Babel).

A card's next dates show a clock time only where one is known, else the day and the
part of it ("vormittags"); hours not confirmed lately are shown as stated, with their
year once and "please ask before you go", and neither dates nor a calendar button.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from babel import Locale
from babel.dates import DateTimePattern, format_datetime, format_time, match_skeleton
from babel.numbers import format_decimal

from bot.callbacks import FeedbackCb, PageCb, PlaceCb
from bot.i18n import RTL_LANGUAGES, translator
from bot.safe_html import LINE, NAME, esc
from knowledge.catalogue import category_label
from knowledge.hours import parse_year
from knowledge.records import FacilityRecord
from knowledge.schedules import Occurrence
from knowledge.search import Result

RLM = "\u200f"  # keeps Arabic lines right-to-left when they start with digits or Latin names
BABEL_LOCALES = {"de": "de_DE", "en": "en_GB", "tr": "tr_TR", "ar": "ar", "uk": "uk_UA", "ru": "ru_RU"}


def locale_of(lang: str) -> str:
    return BABEL_LOCALES.get(lang, "de_DE")


@lru_cache(maxsize=16)
def _locale(lang: str) -> Locale:
    return Locale.parse(locale_of(lang))


@lru_cache(maxsize=16)
def _day_pattern(lang: str) -> DateTimePattern:
    """The locale's pattern for the skeleton MMMEd, as format_skeleton would pick it on every call."""
    skeletons = _locale(lang).datetime_skeletons
    return skeletons[match_skeleton("MMMEd", skeletons) or "MMMEd"]


def format_when(when: dt.datetime, lang: str, timed: bool = True) -> str:
    """'Do., 26. Nov., 09:30' in German, 'Thu 26 Nov, 09:30' in English, ...

    Cached: the same few dates of the same places are shown again and again, and Babel
    formats each through its pattern machinery (tens of microseconds a call). The offset
    is part of the key: equal instants in two time zones read differently.
    """
    return _format_when(when, when.utcoffset(), lang, bool(timed))


@lru_cache(maxsize=4096)
def _format_when(when: dt.datetime, _offset: dt.timedelta | None, lang: str, timed: bool) -> str:
    locale = _locale(lang)
    day = format_datetime(when, _day_pattern(lang), locale=locale)
    if not timed:
        return day
    return f"{day}, {format_time(when, 'short', locale=locale)}"


def part_of_day_label(part: str, lang: str) -> str:
    _ = translator(lang)
    labels = {
        "morning": _("in the morning"),
        "midday": _("around midday"),
        "afternoon": _("in the afternoon"),
        "evening": _("in the evening"),
    }
    return labels.get(part, "")


def format_occurrence(o: Occurrence, lang: str) -> str:
    """A next date as people read it: with its time, or the day and the part of it named."""
    if o.timed:
        return format_when(o.start, lang)
    day = format_when(o.start, lang, timed=False)
    return f"{day}, {part_of_day_label(o.part_of_day, lang)}" if o.part_of_day else day


def hours_line(f: FacilityRecord, current: bool, lang: str) -> str | None:
    """The stated hours; their year once (the text's own "Stand 2019" counts), and for hours
    not confirmed lately the advice to ask first."""
    if not f.hours_text:
        return None
    _ = translator(lang)
    hours = esc(f.hours_text, LINE)
    year = None if parse_year(f.hours_text) is not None else f.hours_year
    if current:
        if year:
            return _("Times (as of {year}): {hours}").format(year=year, hours=hours)
        return _("Times: {hours}").format(hours=hours)
    if year:
        return _("Times as of {year}, please ask before you go: {hours}").format(year=year, hours=hours)
    if parse_year(f.hours_text) is not None:
        return _("Times (please ask before you go): {hours}").format(hours=hours)
    return _("Times (date unknown, please ask before you go): {hours}").format(hours=hours)


@lru_cache(maxsize=4096)
def _number(value: float, lang: str, pattern: str | None) -> str:
    return format_decimal(value, format=pattern, locale=_locale(lang))


def format_distance(metres: float, lang: str) -> str:
    _ = translator(lang)
    if metres < 1000:
        return _("{n} m").format(n=_number(round(metres, -1), lang, None))
    return _("{n} km").format(n=_number(round(metres / 1000, 1), lang, "#,##0.0"))


def _line(lang: str, text: str) -> str:
    return RLM + text if lang in RTL_LANGUAGES else text


MAX_TEXT = 4096  # Telegram's limit for one message
WALK_SHOWN_UP_TO = 30  # minutes: beyond, a card shows the distance without a walking time


_CARDS: OrderedDict[tuple, tuple[FacilityRecord, str]] = OrderedDict()
CARD_CACHE = 4096  # cards kept; a few hundred places in six languages, a few numbers each


def card(result: Result, lang: str, *, details: bool = False, number: int | None = None) -> str:
    """The place as an HTML card; the same place shown the same way is rendered once.

    People in one district asking for the same kind of place get the same cards (the
    distance is measured from the district's centre). The key holds everything the card
    shows besides the record, which is compared by identity: a reloaded index renders anew.
    """
    f = result.facility
    key = (
        id(f),
        lang,
        details,
        number,
        result.category,
        result.distance_m,
        result.in_district,
        tuple(result.next_dates),
        result.hours_current,
    )
    hit = _CARDS.get(key)
    if hit is not None and hit[0] is f:
        return hit[1]
    text = _card(result, lang, details, number)
    _CARDS[key] = (f, text)
    if len(_CARDS) > CARD_CACHE:
        _CARDS.popitem(last=False)
    return text


DESCRIPTION = 1200  # with the other fields' limits a card with details stays within one message


def _card(result: Result, lang: str, details: bool, number: int | None) -> str:
    """Every value of the record is imported data: each goes through `esc`, bounded."""
    _ = translator(lang)
    f = result.facility
    name = esc(f.name, NAME)
    title = f"{number} · {name}" if number is not None else name
    lines = [f"<b>{title}</b>", esc(category_label(result.category, lang), NAME)]
    shown = result.shown_distance_m
    where = result.district_name
    if shown is not None and (result.walk_minutes or 0) <= WALK_SHOWN_UP_TO:
        lines.append(
            "📍 "
            + _("{distance} away, about {minutes} min on foot").format(
                distance=format_distance(shown, lang), minutes=result.walk_minutes
            )
        )
    elif shown is not None:
        # beyond a walk people would take, the distance says more than an hour's walking time
        lines.append("📍 " + _("{distance} away").format(distance=format_distance(shown, lang)))
    elif result.in_district and where:
        lines.append("📍 " + _("in {district}").format(district=esc(where, NAME)))
    if result.in_district is False and f.district is not None:
        if shown is None and where:
            lines.append(
                "↪ " + _("in the neighbouring district {district}").format(district=esc(where, NAME))
            )
        else:
            lines.append("↪ " + _("Not in the district you named: the nearest alternative."))
    if f.lat is not None and not f.location_exact:
        lines.append("⚠ " + _("Location only approximate."))
    if result.next_dates:
        dates = " · ".join(esc(format_occurrence(d, lang), LINE) for d in result.next_dates)
        lines.append("📅 " + _("Next dates: {dates}").format(dates=dates))
    if (hours := hours_line(f, result.hours_current and bool(result.next_dates), lang)) is not None:
        lines.append("🕒 " + hours)
    if f.address:
        lines.append("🏠 " + esc(f.address, LINE))
    for icon, value in (("☎", f.phone), ("✉", f.email), ("🌐", f.website)):
        if value:
            lines.append(f"{icon} {esc(value, LINE)}")
    if details:
        lines += _details(f, _)
    return "\n".join(_line(lang, line) for line in lines)


def _details(f: FacilityRecord, _: Callable[[str], str]) -> list[str]:
    out = []
    if f.operator:
        out.append(_("Run by: {operator}").format(operator=esc(f.operator, NAME)))
    if f.description:
        out.append(esc(f.description, DESCRIPTION))
    if f.wheelchair is not None:
        out.append(_("Wheelchair accessible") if f.wheelchair else _("Not wheelchair accessible"))
    if f.source_url:
        first = f.source_url.split(" | ")[0]
        out.append(_("Source: {url}").format(url=esc(first, LINE)))
    return out


def _place_buttons(result: Result, lang: str, number: int | None = None) -> list[InlineKeyboardButton]:
    """Map, calendar and details of one place; numbered when several cards share a message."""
    f = result.facility
    return list(_buttons_of(f.id, f.lat is not None, bool(result.next_dates), number, lang))


@lru_cache(maxsize=8192)
def _buttons_of(
    fid: int, has_point: bool, has_dates: bool, number: int | None, lang: str
) -> tuple[InlineKeyboardButton, ...]:
    """The same few places come up again and again; their buttons are immutable models.

    Validating three pydantic buttons and packing their callback data cost more than
    ranking the places; `lang` is part of the key because the labels are translated.
    """
    _ = translator(lang)
    tag = f" {number}" if number is not None else ""
    row = []
    if has_point:
        row.append(("📍 " + _("Map") + tag, PlaceCb(action="map", fid=fid)))
    if has_dates:
        row.append(("📅 " + _("Calendar") + tag, PlaceCb(action="ics", fid=fid)))
    row.append(("ℹ " + _("Details") + tag, PlaceCb(action="info", fid=fid)))
    return tuple(InlineKeyboardButton(text=t, callback_data=cb.pack()) for t, cb in row)


def card_keyboard(result: Result, lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[_place_buttons(result, lang)])


def footer_buttons(
    q: int, next_offset: int | None, record_id: int | None, lang: str
) -> list[list[InlineKeyboardButton]]:
    rows = []
    if next_offset is not None:
        rows.append([_more_button(q, next_offset, lang)])
    if record_id is not None:
        cb = FeedbackCb(q=q, rec=record_id).pack()
        _ = translator(lang)
        label = "🙁 " + _("Not what I was looking for")
        rows.append([InlineKeyboardButton(text=label, callback_data=cb)])
    return rows


@lru_cache(maxsize=1024)
def _more_button(q: int, offset: int, lang: str) -> InlineKeyboardButton:
    """Question numbers and offsets are small: the same few buttons serve everybody."""
    _ = translator(lang)
    return InlineKeyboardButton(
        text="➕ " + _("More results"), callback_data=PageCb(q=q, offset=offset).pack()
    )


def answer_messages(
    blocks: list[str],
    results: list[Result],
    lang: str,
    *,
    first_number: int = 1,
    closing: str | None = None,
    footer: list[list[InlineKeyboardButton]] | None = None,
) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    """One message per answer: text blocks, numbered cards, one keyboard with a row per card.

    One message instead of one per card keeps the chat readable on a small screen and
    costs one Bot API call; only an answer longer than Telegram allows is split.
    """
    numbers = range(first_number, first_number + len(results))
    cards = [card(r, lang, number=n) for r, n in zip(results, numbers, strict=True)]
    rows = [_place_buttons(r, lang, n) for r, n in zip(results, numbers, strict=True)] + (footer or [])
    parts = [*blocks, *cards] + ([closing] if closing else [])
    text = "\n\n".join(parts)
    markup = InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
    if len(text) <= MAX_TEXT:
        return [(text, markup)]
    out: list[tuple[str, InlineKeyboardMarkup | None]] = [("\n\n".join(blocks), None)] if blocks else []
    out += [
        (c, InlineKeyboardMarkup(inline_keyboard=[_place_buttons(r, lang)]))
        for c, r in zip(cards, results, strict=True)
    ]
    if closing or footer:
        out.append((closing or "…", InlineKeyboardMarkup(inline_keyboard=footer) if footer else None))
    return out
