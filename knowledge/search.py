"""Understand a question and rank the places that answer it.

One `SearchEngine` holds the catalogue, the gazetteer and all facilities in memory;
`search()` is synchronous and cheap, so the chat, the CLI and the tests call the
same code. Steps: tokens -> vocabulary matches -> intent, categories, place ->
candidate facilities -> ranking by name match, category fit and distance.

Next dates are computed only from hours confirmed within `dates_confirmed_months`
(a parameter of the engine, 12 by default): hours stated years ago are shown as stated,
with no dates that would look certain (`Result.hours_current` says which).
"""

from __future__ import annotations

import copy
import datetime as dt
import heapq
import math
import re
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from knowledge.catalogue import LANGUAGES, Catalogue, Term
from knowledge.geo import haversine_m, walk_minutes
from knowledge.matching import Match, Vocabulary, allowed_edits, select
from knowledge.places import Gazetteer, Place
from knowledge.reading import TAKE_FROM, Reading, read
from knowledge.records import FacilityRecord
from knowledge.schedules import BERLIN, Occurrence, next_occurrences
from knowledge.situations import Situations, load_situations
from knowledge.spatial import GridIndex
from knowledge.text import has_digit, tokens

DATES_CONFIRMED_MONTHS = 12  # next dates only from hours confirmed this recently
ACCEPT_RATIO = 0.85  # categories scoring within this share of the best one count as asked for
MIN_CATEGORY_SCORE = 0.3
AGREEMENT_BONUS = 0.25  # weight of further evidence for a category beyond its best match
NAME_COVERAGE = 0.6
NAME_SPECIFIC_DF = 3  # a name word in at most this many names identifies a place
NAME_MAX_DF = 200  # name words this common only confirm candidates, they do not create them
QUESTIONS_KEPT = 4096  # wordings whose understanding is kept
RANKINGS_KEPT = 4096  # named places x kinds of places x pages: a few thousand at most
# A question is read up to this many words: people's longest questions have about 80; a
# pasted 4,000-character text would otherwise cost tens of milliseconds of matching.
MAX_TOKENS = 160
TIER_STRETCH = 10.0  # see _rank.cost
TRUE_ORIGINS = frozenset({"point", "street", "landmark", "stop", "informal"})
WORDS_WEIGHT = 0.3  # see SearchEngine._blend
CLEAR_SCORE = 0.85  # the words' own best kind of place decides when it scores this much ...
CLEAR_RATIO = 0.8  # ... and the next kind at most this share of it
# a named kind of place the situation does not offer is overruled only by a sure reading of a
# question long enough to describe a situation ("Ich könnte im Elterncafé Nähkurse geben")
OVERRIDE_NAMED = 0.8
LONG_QUESTION = 6
NOT_A_SEARCH_SURE = 0.5  # below, "not a search" needs a cue of its own besides the model's guess
LANGUAGE_SURE = 0.8  # the model's language guess is used from this probability ...
MIN_WORDS_FOR_LANGUAGE = 2  # ... with at least this many words that are not names of places
SCAN_POOL = 150  # up to this many places of the asked kinds, nearest by measuring each (no grid)
COORDINATION = ("stadtteilkoordination", "quartiersarbeit")
SCRIPT_LANGS = (
    (re.compile(r"[\u0600-\u06ff]"), "ar"),
    (re.compile(r"[іїєґІЇЄҐ]"), "uk"),
    (re.compile(r"[\u0400-\u04ff]"), "ru"),
    (re.compile(r"[şğıŞĞİ]"), "tr"),
)


@dataclass(slots=True)
class Understanding:
    """What the question asks: language, intent, categories, place, leftover words."""

    text: str
    language: str
    intent: str
    categories: list[tuple[str, float]]  # best first, with scores
    target_groups: list[str]
    place: Place
    residual: list[str]  # content words no vocabulary term explained
    matches: list[Match] = field(default_factory=list)
    content: list[str] = field(default_factory=list)  # all words but function words and places
    reading: Reading | None = None  # the life situation read from the words, when there is one
    answer_kind: str | None = None  # for help: crisis | admin | other | help | smalltalk
    clarify: list[str] = field(default_factory=list)  # situations to offer when the bot asks first
    detected: str | None = None  # the language the model reads, also one the bot does not speak

    unsure: bool = True  # no situation was read with enough confidence

    @property
    def situation(self) -> str | None:
        """The situation read from the words (the kinds of place may still be the words' own)."""
        return None if self.unsure or self.reading is None else self.reading.situation

    @property
    def accepted(self) -> list[str]:
        if not self.categories:
            return []
        top = self.categories[0][1]
        return [k for k, s in self.categories if s >= max(MIN_CATEGORY_SCORE, ACCEPT_RATIO * top)]


@dataclass(slots=True)
class Result:
    facility: FacilityRecord
    category: str
    distance_m: float | None
    in_district: bool | None  # None when the question named no district
    name_match: bool = False
    next_dates: list[Occurrence] = field(default_factory=list)
    hours_current: bool = False  # the hours were confirmed recently enough to compute dates from
    origin_true: bool = True  # measured from a shared location, a street or a landmark
    district_name: str | None = None  # the place's district, for "in Mühlburg"

    @property
    def shown_distance_m(self) -> float | None:
        """The distance a person may rely on: from a true origin to a place whose point is exact.

        A district's name is no origin (where in Mühlburg?), and an approximate location
        would show "0 m": such places say "in Mühlburg" instead.
        """
        if self.distance_m is None or not self.origin_true or not self.facility.location_exact:
            return None
        return self.distance_m

    @property
    def walk_minutes(self) -> int | None:
        shown = self.shown_distance_m
        return None if shown is None else walk_minutes(shown)


@dataclass(slots=True)
class Answer:
    understanding: Understanding
    results: list[Result]
    district_names: dict[int, str]
    total: int = 0  # matching places before the limit
    situations: Situations | None = None

    @property
    def intent(self) -> str:
        return self.understanding.intent

    @property
    def district(self) -> int | None:
        return self.understanding.place.district

    @property
    def categories(self) -> list[str]:
        """Category keys best first; the first result's category leads when there is one."""
        keys = [k for k, _ in self.understanding.categories]
        if self.results and (keys or self.results[0].name_match):
            lead = self.results[0].category
            keys = [lead] + [k for k in keys if k != lead]
        return keys

    def _district_json(self, number: int | None) -> dict | None:
        if number is None:
            return None
        return {"number": number, "name": self.district_names.get(number)}

    def to_json(self, query_id: str | None = None) -> dict:
        u = self.understanding
        return {
            "id": query_id,
            "text": u.text,
            "language": u.language,
            "intent": u.intent,
            "categories": self.categories,
            "district": self._district_json(u.place.district),
            "situation": u.situation,
            "stage": u.reading.concerned.stage if u.reading is not None else None,
            "clarify": self.clarify_json(),
            "place": self._place_json(),
            "results": [self._result_json(r) for r in self.results],
        }

    def clarify_json(self, lang: str | None = None) -> dict | None:
        """The question the bot asks first, and its options, or None when it answers at once."""
        u = self.understanding
        if not u.clarify or self.situations is None:
            return None
        lang = lang or u.language
        return {
            "question": "who" if differ_in_whom(u.clarify, self.situations) else "meaning",
            "options": [{"situation": key, "label": self.situations[key].label(lang)} for key in u.clarify],
        }

    def _place_json(self) -> dict | None:
        """How the question named where: kind, name, point, the other districts it may mean."""
        p = self.understanding.place
        if p.kind == "none":
            return None
        return {
            "kind": p.kind,
            "name": p.label,
            "lat": p.lat,
            "lon": p.lon,
            "alternatives": [self._district_json(d) for d in p.alternatives],
        }

    def _result_json(self, r: Result) -> dict:
        f = r.facility
        return {
            "name": f.name,
            "category": r.category,
            "district": self._district_json(f.district),
            "address": f.address,
            "lat": f.lat,
            "lon": f.lon,
            "location_exact": f.location_exact,
            "distance_m": None if r.shown_distance_m is None else round(r.shown_distance_m),
            "walk_minutes": r.walk_minutes,
            "next_dates": [d.iso() for d in r.next_dates],
            "hours_text": f.hours_text,
            "contact": {"phone": f.phone, "email": f.email, "website": f.website},
            "source_url": f.source_url,
        }


def _clear_leader(categories: list[tuple[str, float]]) -> str | None:
    """The kind of place the words clearly point to, if one stands out."""
    if not categories or categories[0][1] < CLEAR_SCORE:
        return None
    if len(categories) > 1 and categories[1][1] > CLEAR_RATIO * categories[0][1]:
        return None
    return categories[0][0]


def differ_in_whom(keys: list[str], situations: Situations) -> bool:
    """Options that differ by who is concerned ("for me / a child / an older relative")."""
    return len({situations[k].for_whom for k in keys}) == len(keys)


def _far(distance: float | None) -> float:
    return math.inf if distance is None else distance


class NameIndex:
    """Inverted index of facility-name words, for questions that name a place."""

    def __init__(self, facilities: Iterable[FacilityRecord], stopwords: frozenset[str]):
        self.postings: dict[str, list[FacilityRecord]] = defaultdict(list)
        self.name_tokens: dict[int, frozenset[str]] = {}
        for f in facilities:
            toks = frozenset(
                t for t in tokens(f.name) if len(t) >= 2 and t not in stopwords and not has_digit(t)
            )
            self.name_tokens[f.id] = toks
            for tok in toks:
                self.postings[tok].append(f)
        n = max(1, len(self.name_tokens))
        self.idf = {t: math.log(1 + n / len(fs)) for t, fs in self.postings.items()}
        self.max_idf = math.log(1 + n)
        buckets: dict[str, list[str]] = defaultdict(list)
        for tok in self.postings:
            if len(tok) >= 5:
                buckets[tok[0]].append(tok)
        self.buckets = dict(buckets)

    def _word(self, tok: str) -> str | None:
        if tok in self.postings:
            return tok
        edits = allowed_edits(len(tok))
        bucket = self.buckets.get(tok[0]) if edits else None
        if not bucket:
            return None
        hit = process.extractOne(tok, bucket, scorer=Levenshtein.distance, score_cutoff=edits)
        return hit[0] if hit else None

    def lookup(self, words: list[str]) -> dict[int, tuple[float, FacilityRecord]]:
        """Facilities a question names: a rare name word matched, most words covered (idf)."""
        resolved = [self._word(w) for w in words]
        specific = [r for r in resolved if r and len(self.postings[r]) <= NAME_SPECIFIC_DF]
        if not specific:
            return {}
        total = sum(self.idf[r] if r else self.max_idf for r in resolved)
        by_id = {f.id: f for r in specific for f in self.postings[r]}
        gained: dict[int, float] = defaultdict(float)
        for r in {r for r in resolved if r}:
            if len(self.postings[r]) <= NAME_MAX_DF:
                ids = {f.id for f in self.postings[r]}
                hits = [fid for fid in by_id if fid in ids]
            else:
                hits = [fid for fid in by_id if r in self.name_tokens[fid]]
            for fid in hits:
                gained[fid] += self.idf[r]
        return {fid: (g / total, by_id[fid]) for fid, g in gained.items() if g / total >= NAME_COVERAGE}


def place_terms(gazetteer: Gazetteer, catalogue: Catalogue) -> list[Term]:
    """The gazetteer's terms, less the landmark names that would hide what is asked for.

    A landmark name holding a word for a kind of place or a need ("Begegnungsstätte
    Grötzingen", "Kita Dorfwies", "Städtische Kindertagesstätte") names what the facility
    data knows better; read as one landmark, the question would lose its category. A
    one-word name the catalogue reads ("Seniorenzentrum": older people) stays the
    catalogue's; longer names with a word for a group of people keep their meaning
    ("Alter Schlachthof" is not about older people).
    """
    meaning = Vocabulary(catalogue.terms, catalogue.stopwords)

    def hides_a_word(t: Term) -> bool:
        toks = tokens(t.text)
        for m in meaning.candidates(toks):
            kinds = {x.kind for x in m.terms}
            if len(toks) == 1:
                # the word alone: every reading the catalogue would have made counts
                if kinds & {"category", "need", "target_group", "intent"}:
                    return True
            elif m.score >= 1.0 and kinds & {"category", "need"}:
                return True  # a longer name: only its exact words for a kind of place or a need
        return False

    return [t for t in gazetteer.terms() if t.kind != "landmark" or not hides_a_word(t)]


class SearchEngine:
    def __init__(
        self,
        catalogue: Catalogue,
        gazetteer: Gazetteer,
        facilities: Iterable[FacilityRecord],
        situations: Situations | None = None,
        model=None,
        *,
        dates_confirmed_months: int = DATES_CONFIRMED_MONTHS,
    ):
        self.catalogue = catalogue
        self.dates_confirmed_months = dates_confirmed_months
        self.situations = situations if situations is not None else load_situations()
        self.model = model if model is not None else _packaged_model()
        self.gazetteer = gazetteer
        self.facilities = list(facilities)
        self.vocabulary = Vocabulary(
            [*catalogue.terms, *place_terms(gazetteer, catalogue)], catalogue.stopwords
        )
        self.by_category: dict[str, list[FacilityRecord]] = defaultdict(list)
        for f in self.facilities:
            for c in f.categories:
                self.by_category[c].append(f)
        self.by_slug = {f.slug: f for f in self.facilities}
        self.by_id = {f.id: f for f in self.facilities}
        self.by_district: dict[int | None, list[FacilityRecord]] = defaultdict(list)
        for f in self.facilities:
            self.by_district[f.district].append(f)
        self.by_district_kind: dict[tuple[int | None, str], list[FacilityRecord]] = defaultdict(list)
        for f in self.facilities:
            for c in f.categories:
                self.by_district_kind[f.district, c].append(f)
        self.grid = GridIndex(self.facilities)
        self._pools: dict[frozenset[str], set[int]] = {}
        # rankings for named places (not shared locations), see `rank`
        self._ranked: OrderedDict[tuple, tuple[list[tuple], int]] = OrderedDict()
        self._questions: dict[tuple[str, str | None, str | None], Understanding] = {}
        # (facility id, count) -> (computed at, valid until, dates): see next_dates
        self._dates: dict[tuple[int, int], tuple[dt.datetime, dt.datetime, list[Occurrence]]] = {}
        placed_first = sorted(self.facilities, key=lambda f: (f.lat is None, f.name))
        self.by_category_sorted: dict[str | None, list[FacilityRecord]] = {None: placed_first}
        for f in placed_first:
            for c in f.categories:
                self.by_category_sorted.setdefault(c, []).append(f)
        self.unlocated = [f for f in self.facilities if f.lat is None or f.lon is None]
        self.names = NameIndex(self.facilities, catalogue.stopwords)
        self.district_names = {n: d.name for n, d in gazetteer.districts.items()}

    def forget(self) -> None:
        """Drop the kept understandings and rankings: the next question is read afresh."""
        self._questions.clear()
        self._ranked.clear()

    # -- understanding ------------------------------------------------------------
    def understand(
        self,
        text: str,
        lang: str | None = None,
        lat: float | None = None,
        lon: float | None = None,
        situation: str | None = None,
    ) -> Understanding:
        toks = tokens(text)[:MAX_TOKENS]
        found = [m for m in self.vocabulary.candidates(toks)]
        found = [p for m in found if (p := self.gazetteer.plausible(toks, m)) is not None]
        matches = select(found)
        place = self.gazetteer.resolve(toks, matches, lat, lon)
        used = {i for m in matches for i in range(m.start, m.end)}
        used |= {i for a, b in place.spans for i in range(a, b)}
        in_place = {i for a, b in place.spans for i in range(a, b)}
        content = [
            t
            for i, t in enumerate(toks)
            if i not in in_place and t not in self.catalogue.stopwords and not has_digit(t) and len(t) >= 2
        ]
        residual = [t for i, t in enumerate(toks) if i not in used and t in content]
        categories, groups = self._categories(matches)
        intents = {t.targets[0][0] for m in matches for t in m.terms if t.kind == "intent"}
        language = lang or self._language(text, matches)
        intent = self._intent(text, intents, categories, place, residual)
        u = Understanding(text, language, intent, categories, groups, place, residual, matches, content)
        if text.strip().startswith("/"):
            return u
        self._situate(u, toks, intents, situation)
        if lang is None:
            self._detect_language(u, content)
        return u

    @staticmethod
    def _detect_language(u: Understanding, content: list[str]) -> None:
        """The language the question is written in, by the learned model's language head.

        Names of places and facilities are German in every language, so a guess needs a few
        words besides them; the script rules and the catalogue's votes remain the fallback.
        """
        guess = u.reading.language if u.reading is not None else {}
        if not guess or len(content) < MIN_WORDS_FOR_LANGUAGE:
            return
        code, p = next(iter(guess.items()))
        if p >= LANGUAGE_SURE:
            u.detected = code
            if code in LANGUAGES:
                u.language = code

    def _situate(self, u: Understanding, toks: list[str], intents: set[str], forced: str | None) -> None:
        """Weigh the life situation against the catalogue's words (see knowledge.reading)."""
        reading = read(u.text, toks, self.situations, intents, self.model, forced, u.target_groups)
        u.reading = reading
        unsure = reading.confidence < TAKE_FROM if self.model is not None else not reading.evidence
        if reading.situation is None or (forced is None and unsure):
            vague = len(u.content) >= 2 and not _clear_leader(u.categories)
            if self.model is not None and forced is None and vague:
                # "Ich suche Beratung in Durlach": no kind of place named, no sure reading: ask
                u.clarify = self._options(reading)
            return
        u.unsure = False
        s = self.situations[reading.situation]
        # a kind of place named outright ("Seniorentreff", "Jugendamt") is what the person asks for
        named = {
            t.targets[0][0]
            for m in u.matches
            if m.score >= 0.85
            for t in m.terms
            if t.kind == "category" and t.targets[0][1] >= 1.0
        }
        offered = s.categories_for(reading.concerned.stage)
        offered_keys = {k for k, _ in offered}
        if s.intent != "find_offers":
            sure = reading.evidence.get(s.key) or (
                reading.confidence >= OVERRIDE_NAMED and len(u.content) >= LONG_QUESTION
            )
            if (
                forced is None
                and s.intent in ("help", "smalltalk")
                and u.content
                and self.names.lookup(u.content)
            ):
                u.unsure = True  # "La Vie": the name of a place, not small talk
                return
            if (
                forced is None
                and s.intent in ("help", "smalltalk")
                and not reading.evidence.get(s.key)
                and reading.confidence < NOT_A_SEARCH_SURE
            ):
                u.unsure = True  # "Hilfe für meine Frau …": a weak guess never turns a need away
                return
            if named and forced is None and (s.intent in ("help", "smalltalk") or not sure):
                # "Familienzentrum Neureut", "citizens' association Daxlanden": a search for that
                # kind of place, whatever else the words resemble
                u.unsure = True
                return
            u.intent = s.intent
            u.answer_kind = s.answer
            return
        u.intent = "find_offers"
        if forced is None and named:
            both = named & offered_keys
            if both:
                # the named kinds among those the situation offers lead: "Jugendamt" for a school refuser
                u.categories = sorted(
                    ((k, w + 1.0 if k in both else w) for k, w in offered), key=lambda kv: -kv[1]
                )
                return
            if reading.confidence < OVERRIDE_NAMED or len(u.content) < LONG_QUESTION:
                return  # the words decide the kinds of place
        elif forced is None and _clear_leader(u.categories) in offered_keys:
            # the words point to one kind of place the situation offers ("café for older people"):
            # they decide, as they would without the situation
            return
        u.categories = self._blend(s.categories_for(reading.concerned.stage), u.categories)
        if reading.ask and forced is None:
            u.clarify = self._options(reading)

    def _options(self, reading: Reading) -> list[str]:
        """Up to three readings that would send the person to different kinds of place."""
        options: list[str] = []
        leads: set[str] = set()
        for key, _p in reading.ranked:
            s = self.situations[key]
            if s.intent != "find_offers" or not s.categories:
                continue
            lead = s.categories_for(reading.concerned.stage)[0][0]
            if lead not in leads:
                options.append(key)
                leads.add(lead)
            if len(options) == 3:
                break
        return options if len(options) >= 2 else []

    @staticmethod
    def _blend(
        situation: tuple[tuple[str, float], ...], words: list[tuple[str, float]]
    ) -> list[tuple[str, float]]:
        """The situation's kinds of place, ordered among themselves by what the words name.

        "Treff für Ältere" read as company in later life offers senior meeting places,
        Bürgerzentren and Quartiersarbeit; the words' own preference decides which of these
        leads, but never brings in a kind the situation does not offer.
        """
        top = max((sc for _, sc in words), default=0.0)
        named = {k: sc / top for k, sc in words} if top > 0 else {}
        blended = [(k, w + WORDS_WEIGHT * named.get(k, 0.0)) for k, w in situation]
        return sorted(blended, key=lambda kv: -kv[1])

    @staticmethod
    def _categories(matches: list[Match]) -> tuple[list[tuple[str, float]], list[str]]:
        evidence: dict[str, list[float]] = defaultdict(list)
        groups: list[str] = []
        for m in matches:
            best: dict[str, float] = {}
            for t in m.terms:
                targets = t.targets
                if t.kind == "target_group":
                    groups.append(targets[0][0])
                    targets = targets[1:]
                elif t.kind not in ("category", "need"):
                    continue
                for key, weight in targets:
                    best[key] = max(best.get(key, 0.0), weight * m.score)
            for key, w in best.items():
                evidence[key].append(w)
        scored = []
        for key, ws in evidence.items():
            ws.sort(reverse=True)
            scored.append((key, ws[0] + AGREEMENT_BONUS * sum(ws[1:])))
        scored.sort(key=lambda kv: -kv[1])
        return scored, list(dict.fromkeys(groups))

    @staticmethod
    def _language(text: str, matches: list[Match]) -> str:
        for rx, lang in SCRIPT_LANGS:
            if rx.search(text):
                if lang in ("uk", "ru"):
                    votes = [t.lang for m in matches for t in m.terms if t.lang in ("uk", "ru")]
                    if votes and lang == "ru" and votes.count("uk") > votes.count("ru"):
                        return "uk"
                return lang
        votes: dict[str, float] = defaultdict(float)
        for m in matches:
            langs = {t.lang for t in m.terms if t.lang}
            for lg in langs:
                votes[lg] += 1 / len(langs)
        if votes:
            best = max(votes.items(), key=lambda kv: (kv[1], kv[0] == "de"))
            if best[0] != "de" and votes.get("de", 0) >= best[1]:
                return "de"
            return best[0]
        return "de"

    @staticmethod
    def _intent(text: str, intents: set[str], categories, place: Place, residual: list[str]) -> str:
        if "volunteer" in intents:
            return "volunteer"
        if "meetings" in intents:
            return "meetings"
        if categories:
            return "find_offers"
        # "Hilfe!" asks about the bot; "Hilfe für meine Mutter" asks for an offer
        if ("help" in intents and not residual) or text.strip().startswith("/"):
            return "help"
        if "smalltalk" in intents and place.kind == "none" and len(residual) <= 3:
            return "smalltalk"
        return "find_offers"

    # -- ranking ------------------------------------------------------------------
    def search(
        self,
        text: str,
        *,
        lang: str | None = None,
        lat: float | None = None,
        lon: float | None = None,
        now: dt.datetime | None = None,
        limit: int = 5,
        offset: int = 0,
        situation: str | None = None,
    ) -> Answer:
        u = (
            self._understood(text, lang, situation)
            if lat is None and lon is None
            else self.understand(text, lang, lat, lon, situation)
        )
        ranked, total = self.rank(u, offset + limit)
        page = ranked[offset : offset + limit]
        now = now or dt.datetime.now(BERLIN)
        for r in page:
            r.next_dates = self.next_dates(r.facility, now)
            r.hours_current = self.hours_current(r.facility, now)
        return Answer(u, page, self.district_names, total=total, situations=self.situations)

    def _understood(self, text: str, lang: str | None, situation: str | None = None) -> Understanding:
        """The last questions' understanding, by wording: people ask the same short things.

        Understanding is a pure function of the words (a shared location is not cached);
        nothing changes an Understanding once made, so answers can share one.
        """
        key = (text, lang, situation)
        u = self._questions.get(key)
        if u is None:
            u = self._questions[key] = self.understand(text, lang, situation=situation)
            if len(self._questions) > QUESTIONS_KEPT:
                self._questions.pop(next(iter(self._questions)))  # the oldest
        return u

    def rank(self, u: Understanding, needed: int | None = None) -> tuple[list[Result], int]:
        """The best `needed` results in order, and how many places match in all.

        The ranking depends only on what was understood, not on the wording: "Seniorentreff
        Durlach", "Senioren in Durlach" and "Treff für Ältere, Durlach" rank alike. For a
        named place (a district, street or postcode, whose point is fixed) the last
        rankings are kept; a shared location is a new point each time and is ranked anew.
        """
        place = u.place
        key = None
        if place.kind != "point":
            key = (
                u.intent,
                tuple(u.categories),
                tuple(u.content),
                place.kind,
                place.district,
                place.alternatives,
                place.lat,
                place.lon,
                needed,
            )
            hit = self._ranked.get(key)
            if hit is not None:
                true = place.kind in TRUE_ORIGINS
                names = self.district_names
                rows = hit[0]
                return [
                    Result(*r, origin_true=true, district_name=names.get(r[0].district)) for r in rows
                ], hit[1]
        out, total = self._rank(u, needed)
        if key is not None:
            rows = [(r.facility, r.category, r.distance_m, r.in_district, r.name_match) for r in out]
            self._ranked[key] = (rows, total)
            if len(self._ranked) > RANKINGS_KEPT:
                self._ranked.popitem(last=False)
        return out, total

    def _rank(self, u: Understanding, needed: int | None) -> tuple[list[Result], int]:
        if u.intent in ("help", "smalltalk") or u.place.kind == "outside":
            return [], 0
        accepted = u.accepted
        if u.intent in ("volunteer", "meetings") and not accepted:
            accepted = list(COORDINATION) if u.intent == "volunteer" else [COORDINATION[0]]
        named = self.names.lookup(u.content) if u.content else {}
        allowed = frozenset(accepted)
        if allowed:
            pool_ids = self._pool(allowed)

            def accept(f: FacilityRecord) -> bool:
                return f.id not in named and any(c in allowed for c in f.categories)

        elif not named and u.place.kind != "none":
            pool_ids = None  # every place matches a question that only names a place

            def accept(f: FacilityRecord) -> bool:
                return f.id not in named

        else:
            pool_ids = set()

            def accept(f: FacilityRecord) -> bool:
                return False

        total = len(self.facilities) if pool_ids is None else len(pool_ids | set(named))
        needed = total if needed is None else min(needed, total)
        scores = dict(u.categories)
        place = u.place
        near = {place.district, *place.alternatives} if place.kind in ("district", "postcode") else set()

        def result(f: FacilityRecord, dist: float | None, cat: str | None = None) -> Result:
            cat = cat or max(
                (c for c in f.categories if c in allowed),
                key=lambda c: scores.get(c, 0.0),
                default=f.category,
            )
            if near:
                in_district: bool | None = f.district in near
            elif place.kind in ("landmark", "stop"):
                in_district = None  # a place named by a point: its distance says how near
            else:
                in_district = None if place.district is None else f.district == place.district
            return Result(
                f,
                cat,
                dist,
                in_district,
                f.id in named,
                origin_true=place.kind in TRUE_ORIGINS,
                district_name=self.district_names.get(f.district),
            )

        top_score = max((scores.get(c, 0.0) for c in allowed), default=0.0)
        tiered = top_score > 0 and any(scores.get(c, 0.0) < top_score for c in allowed)

        def cost(dist: float | None, f: FacilityRecord) -> float:
            """Distance, stretched for a kind of place that fits less well than the best one.

            Among the kinds offered together ("Seniorentreff, Bürgerzentrum, Quartiersarbeit"
            for an older person who is lonely) the best fitting one leads unless another kind
            is clearly nearer: a kind weighted 0.95 of the best counts 1.5 times its distance.
            """
            if dist is None:
                return math.inf
            if not tiered:
                return dist
            return dist * (1.0 + TIER_STRETCH * (1.0 - fit(f)))

        def fit(f: FacilityRecord) -> float:
            """How well the place's best kind fits, relative to the best kind asked for (0..1)."""
            if not tiered:
                return 1.0
            best = max((scores.get(c, 0.0) for c in f.categories if c in allowed), default=0.0)
            return round(best / top_score, 2)

        def distance(f: FacilityRecord) -> float | None:
            if place.has_point and f.lat is not None and f.lon is not None:
                return haversine_m(place.lat, place.lon, f.lat, f.lon)
            return None

        out = [result(f, distance(f)) for _, f in named.values()]
        out.sort(key=lambda r: (-named[r.facility.id][0], _far(r.distance_m), r.facility.name))
        want = needed - len(out)
        if want > 0 and place.has_point:
            found: list[tuple[float, FacilityRecord]] = []
            if near:
                if allowed:
                    # the district's places of the asked kinds, from the (district, kind) lists
                    seen_ids: set[int] = set()
                    inside = []
                    for d in near:
                        for c in allowed:
                            for f in self.by_district_kind.get((d, c), ()):
                                if f.id not in seen_ids and f.lat is not None and accept(f):
                                    seen_ids.add(f.id)
                                    inside.append(f)
                else:
                    inside = [
                        f
                        for d in near
                        for f in self.by_district.get(d, ())
                        if accept(f) and f.lat is not None
                    ]
                # inside a named district every place is "in the district": the best fitting
                # kind leads there, nearest first within a kind (the district's point is only nominal)
                found = sorted(
                    ((distance(f), f) for f in inside), key=lambda x: (-fit(x[1]), _far(x[0]), x[1].name)
                )[:want]
            if len(found) < want:
                keep = (lambda f: accept(f) and f.district not in near) if near else accept
                if pool_ids is not None and len(pool_ids) <= SCAN_POOL:
                    # a rare kind of place: measuring each beats walking rings of empty cells
                    candidates = (self.by_id[i] for i in pool_ids)
                    measured = ((distance(f), f) for f in candidates if f.lat is not None and keep(f))
                    found += heapq.nsmallest(want - len(found), measured, key=lambda x: (cost(*x), x[1].name))
                else:
                    # a few more than needed, so that a better kind of place slightly further away can lead
                    extra = want - len(found)
                    near_ones = self.grid.nearest(place.lat, place.lon, extra * 2 if tiered else extra, keep)
                    near_ones.sort(key=lambda x: (cost(*x), x[1].name))
                    found += near_ones[:extra]
            out += [result(f, d) for d, f in found]
            want = needed - len(out)
            if want > 0:
                unplaced = [f for f in self.unlocated if accept(f)]
                out += [result(f, None) for f in sorted(unplaced, key=lambda f: f.name)[:want]]
        elif want > 0:
            # no point to measure from: best category first, located places first, then by name
            # equal scores keep the order of `accepted` (a frozenset's order changes from
            # one process to the next with string hashing: answers must not)
            order = sorted(dict.fromkeys(accepted), key=lambda c: -scores.get(c, 0)) if allowed else [None]
            seen: set[int] = set()
            for cat in order:
                for f in self.by_category_sorted.get(cat, ()):
                    if len(out) >= needed:
                        break
                    if f.id not in seen and accept(f):
                        seen.add(f.id)
                        out.append(result(f, None, cat))
        return out, total

    def _pool(self, allowed: frozenset[str]) -> set[int]:
        pool = self._pools.get(allowed)
        if pool is None:
            pool = {f.id for c in allowed for f in self.by_category.get(c, ())}
            self._pools[allowed] = pool
        return pool

    def confirmed_within(self, months: int) -> SearchEngine:
        """This engine computing dates from hours confirmed within `months` (shares all else)."""
        if months == self.dates_confirmed_months:
            return self
        other = copy.copy(self)
        other.dates_confirmed_months = months
        other._dates = {}
        return other

    def hours_current(self, f: FacilityRecord, now: dt.datetime) -> bool:
        """Whether the place's hours were confirmed within the configured months before `now`."""
        if f.hours_confirmed is None:
            return False
        local = now.astimezone(BERLIN).date() if now.tzinfo else now.date()
        return f.hours_confirmed >= local - relativedelta(months=self.dates_confirmed_months)

    def occurrences(self, f: FacilityRecord, now: dt.datetime, count: int = 3) -> list[Occurrence]:
        """Next dates merged over all schedules of a facility; none from hours not confirmed lately."""
        if not f.schedules or not self.hours_current(f, now):
            return []
        found: dict[dt.datetime, Occurrence] = {}
        for s in f.schedules:
            timed = s.spec.start is not None
            for start in next_occurrences(
                s.spec, now=now, count=count, valid_from=s.valid_from, valid_to=s.valid_to, anchor=s.anchor
            ):
                occurrence = Occurrence(start, timed, s.spec.duration_minutes, s.spec.part_of_day)
                kept = found.get(start)
                # a day with a time (or a part of the day) says more than the same day alone
                if kept is None or (not kept.timed and not kept.part_of_day and occurrence.part_of_day):
                    found[start] = occurrence
        return sorted(found.values())[:count]

    def next_dates(self, f: FacilityRecord, now: dt.datetime, count: int = 3) -> list[Occurrence]:
        """The next dates, computed again only when one of them has passed or the day changed.

        Expanding the recurrence rules was the costliest part of answering a question.
        The dates at or after `now` stay the same from the moment they were computed until
        the earliest of them (or midnight, for day-only dates and for the confirmation
        window, which moves by days); the cache holds that span.
        """
        if now.tzinfo is None:
            now = now.replace(tzinfo=BERLIN)
        key = (f.id, count)
        entry = self._dates.get(key)
        if entry is not None and entry[0] <= now < entry[1]:
            return list(entry[2])
        dates = self.occurrences(f, now, count)
        local = now.astimezone(BERLIN)
        midnight = (local + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        until = min([d.start for d in dates if d.start > now], default=midnight)
        self._dates[key] = (now, min(until, midnight), dates)
        return list(dates)

    def find_facility(self, ref: str) -> FacilityRecord | None:
        """A facility by slug, or the best name match for a free-text reference."""
        if ref in self.by_slug:
            return self.by_slug[ref]
        words = [t for t in tokens(ref) if t not in self.catalogue.stopwords]
        hits = self.names.lookup(words)
        if not hits:
            return None
        return max(hits.values(), key=lambda h: (h[0], -len(h[1].name)))[1]


def _packaged_model():
    """The learned model shipped with the package, or None: the rules then decide alone."""
    try:
        from knowledge.learned.model import load_model
    except ImportError:
        return None
    return load_model()
