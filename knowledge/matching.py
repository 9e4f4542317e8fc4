"""Find vocabulary terms in a question: exact, compound, prefix and typo-tolerant.

Every term is looked up by its squashed key, so "Senioren Treff", "Seniorentreff"
and "Senioren-Treff" are one key. Spans of adjacent tokens are tried so compounds
written apart still match; typos are forgiven by edit distance (rapidfuzz) within a
bucket of keys sharing the first letter, which keeps the lookup cheap.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA, Levenshtein

from knowledge.catalogue import Term
from knowledge.text import arabic_variants, has_digit

MAX_SPAN = 5
MIN_FUZZY_LEN = 5
MIN_PREFIX_LEN = 6
# place names: a compound of a name is another place ("Schlossgarten" is not the Schloss)
NO_PREFIX_KINDS = frozenset({"intent", "street", "landmark"})
FUZZY_KEPT = 50_000  # typo lookups kept per vocabulary (words, not questions: a few MB at most)


@dataclass(frozen=True, slots=True)
class Match:
    start: int
    end: int  # exclusive token index
    terms: tuple[Term, ...]
    score: float  # 1.0 exact; lower for prefix and typo matches

    @property
    def kind(self) -> str:
        return self.terms[0].kind

    @property
    def length(self) -> int:
        return self.end - self.start


def allowed_edits(length: int) -> int:
    if length < MIN_FUZZY_LEN:
        return 0
    return 1 if length < 9 else 2


class Vocabulary:
    """All terms of the catalogue and the gazetteer, indexed for span lookup."""

    def __init__(self, terms: Iterable[Term], stopwords: frozenset[str] = frozenset()):
        self.exact: dict[str, list[Term]] = defaultdict(list)
        for term in terms:
            if term.key:
                self.exact[term.key].append(term)
        self.stopwords = stopwords
        self.max_span = min(
            MAX_SPAN, max((t.ntokens for ts in self.exact.values() for t in ts), default=1) + 1
        )
        # keys by first letter and length: a key within k edits is at most k longer or
        # shorter, so a typo is compared with a few dozen keys, not a whole letter
        buckets: dict[tuple[str, int], list[tuple[int, str]]] = defaultdict(list)
        for order, key in enumerate(self.exact):
            if len(key) >= MIN_FUZZY_LEN:
                buckets[key[0], len(key)].append((order, key))
        self.buckets = dict(buckets)
        self._near_keys: dict[tuple[str, int, int], list[str]] = {}  # letters x lengths x edits: small
        self._fuzzy_seen: dict[str, tuple[list[Term], float]] = {}

    def _lookup(self, key: str) -> tuple[list[Term], float]:
        terms = self.exact.get(key)
        if terms:
            return terms, 1.0
        for variant in arabic_variants(key):
            if variant in self.exact:
                return self.exact[variant], 0.97
        return [], 0.0

    def _prefix(self, key: str) -> tuple[list[Term], float]:
        # "Seniorentreffs", "Jugendhauses": a known word plus an ending; the longer the
        # rest, the likelier it is another compound, so the score drops with it.
        for cut in range(len(key) - 1, MIN_PREFIX_LEN - 1, -1):
            terms = [t for t in self.exact.get(key[:cut], ()) if t.kind not in NO_PREFIX_KINDS]
            if terms:
                return terms, max(0.6, 0.93 - 0.035 * (len(key) - cut))
        return [], 0.0

    def _fuzzy(self, key: str) -> tuple[list[Term], float]:
        """The closest key within the allowed edits; words recur, so answers are kept (bounded)."""
        known = self._fuzzy_seen.get(key)
        if known is None:
            if len(self._fuzzy_seen) >= FUZZY_KEPT:
                self._fuzzy_seen.clear()
            known = self._fuzzy_seen[key] = self._fuzzy_lookup(key)
        return known

    def _fuzzy_lookup(self, key: str) -> tuple[list[Term], float]:
        edits = allowed_edits(len(key))
        if not edits:
            return [], 0.0
        bucket = self._near(key[0], len(key), edits)
        if not bucket:
            return [], 0.0
        found = process.extractOne(key, bucket, scorer=Levenshtein.distance, score_cutoff=edits)
        if not found:
            return [], 0.0
        cand, dist, _ = found
        if allowed_edits(len(cand)) < dist:
            return [], 0.0
        if dist > 1 and all(t.kind == "landmark" for t in self.exact[cand]) and OSA.distance(key, cand) > 1:
            # names of places are close to everyday words ("Schlüssel" ~ "Schlosses"): one typo
            # only, a swap of two letters counting as one ("Wildparkstadoin")
            return [], 0.0
        return self.exact[cand], 0.92 - 0.07 * dist

    def _near(self, letter: str, length: int, edits: int) -> list[str]:
        """Keys that could be within `edits` of a key of this first letter and length."""
        known = self._near_keys.get((letter, length, edits))
        if known is not None:
            return known
        near = [
            entry
            for n in range(length - edits, length + edits + 1)
            for entry in self.buckets.get((letter, n), ())
        ]
        near.sort()  # the catalogue's order: among equally close keys the first one wins
        known = self._near_keys[letter, length, edits] = [k for _, k in near]
        return known

    def candidates(self, toks: list[str]) -> list[Match]:
        """Every span of the question that names a term, possibly overlapping."""
        found: list[Match] = []
        n = len(toks)
        # typo tolerance only for words: not across function words or numbers
        plain = [t not in self.stopwords and not has_digit(t) for t in toks]
        for i in range(n):
            key = ""
            for j in range(i, min(n, i + self.max_span)):
                key += toks[j]
                terms, score = self._lookup(key)
                if not terms and j - i < 2 and all(plain[i : j + 1]):
                    prefix = self._prefix(key) if j == i else ([], 0.0)
                    terms, score = max(prefix, self._fuzzy(key), key=lambda ts: ts[1])
                if terms:
                    found.append(Match(i, j + 1, tuple(terms), score))
        return _without_shadowing_typos(found, toks)


def _without_shadowing_typos(found: list[Match], toks: list[str]) -> list[Match]:
    """Drop typo matches of joined words that would hide what the words say exactly.

    Joining words lets "Senioren Tref" reach "Seniorentreff", but joined with a one-letter
    preposition ("w Oststadt", Polish "in") a district reads as another one ("Weststadt"),
    and a typo match of two words must not win over a word matched exactly inside it.
    """
    exact_inside: dict[int, set[str]] = defaultdict(set)
    for m in found:
        if m.score >= 1.0 and m.length == 1:
            exact_inside[m.start].update(t.kind for t in m.terms)
    kept = []
    for m in found:
        if m.score < 1.0 and m.length > 1:
            if any(len(toks[k]) < 2 for k in range(m.start, m.end)):
                continue
            kinds = {t.kind for t in m.terms}
            if any(exact_inside[k] & kinds for k in range(m.start, m.end)):
                continue
        kept.append(m)
    return kept


def select(matches: list[Match]) -> list[Match]:
    """Non-overlapping matches, longest and best first (a compound beats its parts)."""
    chosen: list[Match] = []
    taken: set[int] = set()
    for m in sorted(matches, key=lambda m: (-(m.length + m.score), m.start)):
        span = set(range(m.start, m.end))
        if span & taken:
            continue
        chosen.append(m)
        taken |= span
    return sorted(chosen, key=lambda m: m.start)
