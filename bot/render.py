"""Answers as Telegram messages: HTML cards, dates and numbers per locale (Babel)."""

from __future__ import annotations

import datetime as dt
import html

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.dates import format_skeleton, format_time
from babel.numbers import format_decimal

from bot.callbacks import FeedbackCb, PageCb, PlaceCb
from bot.i18n import RTL_LANGUAGES
from knowledge.catalogue import category_label
from knowledge.records import FacilityRecord
from knowledge.search import Result

RLM = "\u200f"  # keeps Arabic lines right-to-left when they start with digits or Latin names
BABEL_LOCALES = {"de": "de_DE", "en": "en_GB", "tr": "tr_TR", "ar": "ar", "uk": "uk_UA", "ru": "ru_RU"}


def locale_of(lang: str) -> str:
    return BABEL_LOCALES.get(lang, "de_DE")


def format_when(when: dt.datetime, lang: str, timed: bool = True) -> str:
    """'Do., 26. Nov., 09:30' in German, 'Thu 26 Nov, 09:30' in English, ..."""
    day = format_skeleton("MMMEd", when, locale=locale_of(lang))
    if not timed:
        return day
    return f"{day}, {format_time(when, 'short', locale=locale_of(lang))}"


def format_distance(metres: float, lang: str) -> str:
    if metres < 1000:
        return _("{n} m").format(n=format_decimal(round(metres, -1), locale=locale_of(lang)))
    km = format_decimal(round(metres / 1000, 1), format="#,##0.0", locale=locale_of(lang))
    return _("{n} km").format(n=km)


def _line(lang: str, text: str) -> str:
    return RLM + text if lang in RTL_LANGUAGES else text


def card(result: Result, lang: str, *, details: bool = False) -> str:
    f = result.facility
    e = html.escape
    lines = [f"<b>{e(f.name)}</b>", e(category_label(result.category, lang))]
    if result.distance_m is not None:
        lines.append(
            "📍 "
            + _("{distance} away, about {minutes} min on foot").format(
                distance=format_distance(result.distance_m, lang), minutes=result.walk_minutes
            )
        )
    if result.in_district is False and f.district is not None:
        lines.append("↪ " + _("Not in the district you named: the nearest alternative."))
    if f.lat is not None and not f.location_exact:
        lines.append("⚠ " + _("Location only approximate."))
    if result.next_dates:
        dates = ", ".join(e(format_when(d, lang, d.hour or d.minute)) for d in result.next_dates)
        lines.append("📅 " + _("Next dates: {dates}").format(dates=dates))
    if f.hours_text:
        hours = e(f.hours_text)
        if f.hours_year and str(f.hours_year) not in f.hours_text:
            lines.append(
                "🕒 "
                + _("Times (as of {year}, please check): {hours}").format(year=f.hours_year, hours=hours)
            )
        else:
            lines.append("🕒 " + _("Times (please check): {hours}").format(hours=hours))
    if f.address:
        lines.append("🏠 " + e(f.address))
    for icon, value in (("☎", f.phone), ("✉", f.email), ("🌐", f.website)):
        if value:
            lines.append(f"{icon} {e(value)}")
    if details:
        lines += _details(f)
    return "\n".join(_line(lang, line) for line in lines)


def _details(f: FacilityRecord) -> list[str]:
    e = html.escape
    out = []
    if f.operator:
        out.append(_("Run by: {operator}").format(operator=e(f.operator)))
    if f.description:
        out.append(e(f.description[:1500]))
    if f.wheelchair is not None:
        out.append(_("Wheelchair accessible") if f.wheelchair else _("Not wheelchair accessible"))
    if f.source_url:
        first = f.source_url.split(" | ")[0]
        out.append(_("Source: {url}").format(url=e(first)))
    return out


def card_keyboard(result: Result) -> InlineKeyboardMarkup:
    f = result.facility
    kb = InlineKeyboardBuilder()
    if f.lat is not None:
        kb.button(text="📍 " + _("Map"), callback_data=PlaceCb(action="map", fid=f.id))
    if result.next_dates:
        kb.button(text="📅 " + _("Calendar"), callback_data=PlaceCb(action="ics", fid=f.id))
    kb.button(text="ℹ " + _("Details"), callback_data=PlaceCb(action="info", fid=f.id))
    kb.adjust(3)
    return kb.as_markup()


def footer_keyboard(q: int, next_offset: int | None, record_id: int | None) -> InlineKeyboardMarkup | None:
    kb = InlineKeyboardBuilder()
    if next_offset is not None:
        kb.button(text="➕ " + _("More results"), callback_data=PageCb(q=q, offset=next_offset))
    if record_id is not None:
        kb.button(text="🙁 " + _("Not what I was looking for"), callback_data=FeedbackCb(q=q, rec=record_id))
    kb.adjust(1)
    return kb.as_markup() if kb.buttons else None
