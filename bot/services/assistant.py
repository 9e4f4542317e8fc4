"""The resident's conversation as plain data: what to send for a question, a page, a place.

Handlers stay thin: they parse the update, call this service and send what it returns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n.context import get_i18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot import render
from bot.answer_texts import clarify_message, out_of_scope_text, smalltalk_text
from bot.callbacks import MeetingCb
from bot.network_texts import meeting_text
from bot.safe_html import LINE, NAME, esc, filename, plain
from bot.services import networks
from bot.services.demand import DemandLog
from knowledge.calendar import facility_calendar
from knowledge.catalogue import LANGUAGES, load_catalogue
from knowledge.records import FacilityRecord
from knowledge.schedules import BERLIN
from knowledge.search import Answer, Result, SearchEngine, differ_in_whom

COORDINATION_QUERY = "Stadtteilkoordination"


@dataclass(slots=True)
class Outgoing:
    text: str
    markup: InlineKeyboardMarkup | None = None


@dataclass(slots=True)
class Reply:
    messages: list[Outgoing] = field(default_factory=list)
    record_id: int | None = None
    signup: bool = False  # the person wants to engage: start the sign-up form
    district: int | None = None
    language: str | None = None  # the language of the answer: the question's, when the bot speaks it
    foreign: str | None = None  # the question's language when the bot does not speak it


class Assistant:
    def __init__(self, engine: SearchEngine, demand: DemandLog, page_size: int = 3):
        self.engine = engine
        self.demand = demand
        self.page_size = page_size

    def now(self) -> dt.datetime:
        return dt.datetime.now(BERLIN)

    # -- questions ----------------------------------------------------------------
    async def ask(
        self,
        session: AsyncSession,
        text: str,
        lang: str,
        *,
        q: int,
        lat: float | None = None,
        lon: float | None = None,
        offset: int = 0,
        record: bool = True,
        situation: str | None = None,
    ) -> Reply:
        answer = self.engine.search(
            text,
            lat=lat,
            lon=lon,
            now=self.now(),
            limit=self.page_size,
            offset=offset,
            situation=situation,
        )
        reply_lang, foreign = reply_language(answer.understanding, lang)
        with _locale(reply_lang):
            reply = await self._answer(session, answer, text, reply_lang, q, offset, record)
        reply.language, reply.foreign = reply_lang, foreign
        return reply

    async def _answer(
        self, session: AsyncSession, answer: Answer, text: str, lang: str, q: int, offset: int, record: bool
    ) -> Reply:
        u = answer.understanding
        intent = answer.intent
        if u.place.kind == "outside":
            # not a question about Karlsruhe: neither an answer nor unmet demand
            return Reply([Outgoing(outside_text())])
        if intent == "help":
            if u.answer_kind in ("admin", "other", "crisis"):
                s = self.engine.situations[u.situation] if u.situation else None
                return Reply([Outgoing(out_of_scope_text(u.answer_kind, s))])
            return Reply([Outgoing(help_text())])
        if intent == "smalltalk":
            return Reply([Outgoing(smalltalk_text(text))])
        if u.clarify and offset == 0:
            keys = u.clarify
            question, markup = clarify_message(
                q, keys, self.engine.situations, lang, differ_in_whom(keys, self.engine.situations)
            )
            return Reply([Outgoing(question, markup)])
        record_id = self.demand.add(answer, text) if record and offset == 0 else None
        if intent == "volunteer" and offset == 0:
            return Reply(record_id=record_id, signup=True, district=answer.understanding.place.district)
        if intent == "meetings" and offset == 0:
            meetings = await networks.next_meetings(session, answer.district)
            if meetings:
                return Reply([self._meetings(meetings, lang)], record_id=record_id)
        blocks = [self._headline(answer, lang)] if offset == 0 else []
        results = answer.results
        if not results:
            blocks.append(
                _(
                    "I did not find a matching place. Try other words, a district or a street, "
                    "or share your location. The district coordination can help, too:"
                )
            )
            results = self._coordination_results(answer.district, limit=1)
        more = offset + self.page_size if offset + self.page_size < answer.total else None
        closing = None
        if answer.results and (more is not None or offset):
            shown = offset + len(answer.results)
            closing = _("Showing {shown} of {total}.").format(shown=shown, total=answer.total)
        messages = render.answer_messages(
            blocks,
            results,
            lang,
            first_number=offset + 1,
            closing=closing,
            footer=render.footer_buttons(q, more, record_id, lang),
        )
        return Reply([Outgoing(t, m) for t, m in messages], record_id=record_id)

    def _headline(self, answer: Answer, lang: str) -> str:
        u = answer.understanding
        where = answer.district_names.get(u.place.district) if u.place.district else None
        if u.place.kind in ("landmark", "stop") and u.place.label:
            # the distances on the cards are measured from the named place, so name it
            where = f"{u.place.label} ({where})" if where else u.place.label
        if u.intent == "meetings":
            return _(
                "District network meetings are announced by the district coordination. "
                "Ask them for the next date:"
            )
        labels = [esc(load_catalogue().label(k, lang), NAME) for k in answer.categories[:2]]
        if labels and where:
            return _("{what} near {where}:").format(what=" / ".join(labels), where=esc(where, NAME))
        if labels:
            return _("{what}:").format(what=" / ".join(labels))
        if where:
            return _("Offers in and near {where}:").format(where=esc(where, NAME))
        return _("Offers near you:") if u.place.has_point else _("What I found:")

    def _meetings(self, meetings: list, lang: str) -> Outgoing:
        blocks = [_("Next network meetings:")]
        rows = []
        for n, m in enumerate(meetings, start=1):
            blocks.append(f"{n} · " + meeting_text(m, self.engine.district_names, lang))
            button = InlineKeyboardButton(
                text=f"📅 {_('Calendar')} {n}", callback_data=MeetingCb(mid=m.id).pack()
            )
            rows.append([button])
        return Outgoing("\n\n".join(blocks), InlineKeyboardMarkup(inline_keyboard=rows))

    def _coordination_results(self, district: int | None, limit: int) -> list[Result]:
        """Never a dead end: the district coordination is the answer when nothing matches."""
        where = self.engine.district_names.get(district, "") if district else ""
        return self.engine.search(f"{COORDINATION_QUERY} {where}", now=self.now(), limit=limit).results

    # -- places -------------------------------------------------------------------
    def facility(self, fid: int) -> FacilityRecord | None:
        return self.engine.by_id.get(fid)

    def details(self, f: FacilityRecord, lang: str) -> Outgoing:
        now = self.now()
        dates = self.engine.next_dates(f, now)
        result = Result(
            f, f.category, None, None, next_dates=dates, hours_current=self.engine.hours_current(f, now)
        )
        return Outgoing(render.card(result, lang, details=True), render.card_keyboard(result, lang))

    def hours_current(self, f: FacilityRecord) -> bool:
        """Whether the place's hours were confirmed recently enough to compute dates from."""
        return self.engine.hours_current(f, self.now())

    def calendar_file(self, f: FacilityRecord, count: int = 5) -> BufferedInputFile | None:
        """The next dates as an .ics file; None when none are known from recently confirmed hours."""
        occurrences = self.engine.occurrences(f, self.now(), count)
        if not occurrences:
            return None
        data = facility_calendar(  # plain values: the calendar library escapes for the file format
            name=plain(f.name, NAME),
            address=plain(f.address, LINE) if f.address else None,
            description=plain(f.hours_text, LINE) if f.hours_text else None,
            url=plain(f.website, LINE) if f.website else None,
            occurrences=occurrences,
            uid_prefix=f.slug,
            now=self.now(),
        )
        # an imported slug may hold anything ("Kita & Co", "../x"): the name is made of it
        return BufferedInputFile(data, filename=filename(f.slug or f.name, ".ics"))

    def venue_address(self, f: FacilityRecord) -> str:
        """A venue's address line: plain text (no HTML), bounded."""
        if f.address:
            return plain(f.address, LINE)
        district = self.engine.district_names.get(f.district) if f.district else None
        return plain(
            _("Karlsruhe-{district} (approximate location)").format(district=district)
            if district
            else "Karlsruhe",
            LINE,
        )

    # -- menus --------------------------------------------------------------------
    async def district_offers(
        self, session: AsyncSession, district: int, lang: str, q: int, record: bool = True
    ) -> Reply:
        return await self.ask(session, self.engine.district_names[district], lang, q=q, record=record)

    def coordination(self, district: int | None, lang: str, intro: str | None = None) -> list[Outgoing]:
        results = self._coordination_results(district, limit=2)
        blocks = [intro or _("Your district coordination:")]
        return [Outgoing(t, m) for t, m in render.answer_messages(blocks, results, lang)]

    def upcoming(self, district: int | None, lang: str, limit: int = 5) -> list[Outgoing]:
        """Places with the soonest next dates, in and near the district (or city-wide).

        Dates come only from hours confirmed lately; when there are none, places that stated
        regular times earlier are shown as stated, with the advice to ask before going.
        """
        now = self.now()
        engine = self.engine
        pool = [f for f in engine.facilities if f.schedules]
        if district is not None:
            near = [f for f in pool if f.district == district]
            pool = near if len(near) >= limit else pool
        dated = []
        for f in pool:
            dates = engine.next_dates(f, now)
            if dates:
                dated.append((dates[0], f, dates))
        if dated:
            dated.sort(key=lambda x: (x[0].start, x[1].name))
            results = [
                Result(f, f.category, None, None, next_dates=dates, hours_current=True)
                for _first, f, dates in dated[:limit]
            ]
            return [Outgoing(t, m) for t, m in render.answer_messages([_("Next dates:")], results, lang)]
        stated = sorted(pool, key=lambda f: (f.district != district, -(f.hours_year or 0), f.name))
        results = [Result(f, f.category, None, None) for f in stated[:limit]]
        intro = _(
            "No recently confirmed dates are known. These places stated regular times in earlier "
            "years; please ask them before you go:"
        )
        return [Outgoing(t, m) for t, m in render.answer_messages([intro], results, lang)]


def reply_language(u, chosen: str) -> tuple[str, str | None]:
    """Answer in the question's language when it is one of the six; else in the person's own.

    Only a sure guess of the learned model counts (`Understanding.detected`): "Jugendhaus
    Südstadt" from an English-speaking person is answered in English.
    """
    if u.detected is None:
        return chosen, None
    if u.detected in LANGUAGES:
        return u.detected, None
    return chosen, u.detected


@contextmanager
def _locale(lang: str) -> Iterator[None]:
    try:
        i18n = get_i18n()
    except LookupError:  # outside an update (tests of the service alone)
        yield
        return
    with i18n.use_locale(lang):
        yield


def outside_text() -> str:
    return _(
        "This place lies outside Karlsruhe, and I only know the offers in Karlsruhe. "
        "Name a district or a street in Karlsruhe, or share a location in the city."
    )


def help_text() -> str:
    return "\n".join(
        [
            _("<b>How I can help</b>"),
            _("Ask me in your own words which offers are nearby, for example:"),
            "• " + _("“Elterncafé in Mühlburg”"),
            "• " + _("“Seniorentreff near Kaiserallee”"),
            "• " + _("“youth centre 76185”"),
            _("Or press “Offers near me” and share your location."),
            _("I answer in German, English, Turkish, Arabic, Ukrainian and Russian: /language"),
            _("Data sources: /about · Privacy: /privacy"),
        ]
    )
