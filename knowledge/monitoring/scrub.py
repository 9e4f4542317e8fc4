"""The wording of a question that found nothing, made safe to keep for a while.

The rule (README, "Sozialraummonitoring"): the demand log keeps a word of a question only
when the assistant's own vocabulary knows it, and masks everything else with "…":

* known are the words of the catalogue (categories, target groups, needs, intents, the
  catalogue's stopwords), the district and place names of the gazetteer (districts, their
  aliases and adjectives, informal places, city names, Karlsruhe postcodes) and the common
  function words of the six languages (`data/function_words.yaml`); a known word may carry
  an ending of up to two letters when it has six letters or more ("Seniorentreffs");
* never known: street names (with a house number they are an address), facility names
  (many are named after people), other numbers, e-mail addresses, links and phone numbers;
* masked even when known: the words of `data/special_categories.yaml` (health, religion,
  sexuality, origin, politics, trade unions — Art. 9 GDPR — and convictions);
* when no known word beyond function words is left, no wording is kept at all.

So a name, an address or a diagnosis never reaches the table: "Wo kann meine Frau Fatma
Öztürk (HIV-positiv) anonym hin?" keeps nothing, "Seniorentreff für Herrn Maier mit Demenz
in Durlach" keeps "Seniorentreff für … mit … in Durlach".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from knowledge.text import arabic_variants, has_digit, tokens, word_spans

if TYPE_CHECKING:
    from knowledge.search import SearchEngine

DATA = Path(__file__).resolve().parent.parent / "data"
FUNCTION_WORDS_PATH = DATA / "function_words.yaml"
SPECIAL_CATEGORIES_PATH = DATA / "special_categories.yaml"

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
PHONE = re.compile(r"\+?\(?\d[\d ()/.-]{5,}\d")  # 7 or more digits with separators
DIGITS = re.compile(r"\d{5,}")  # long digit runs (ids, account numbers); postcodes have 5 digits
URL = re.compile(r"https?://\S+|www\.\S+")
POSTCODE = re.compile(r"^76[12]\d\d$")
MAX_KEPT = 200
MASK = "…"
ENDING = 2  # letters a known word of MIN_STEM letters or more may carry
MIN_STEM = 6
PREFIX_LEN = 5  # special-category entries this long also match the start of a word
INSIDE_LEN = 6  # ... and this long anywhere inside a compound
MAX_SPAN = 5  # words of the longest phrase of the vocabulary that is looked for


def scrub(text: str) -> str:
    """Remove e-mail addresses, phone numbers, links and long digit runs; shorten."""
    out = EMAIL.sub("[e-mail]", text)
    out = URL.sub("[link]", out)
    out = PHONE.sub(_phone_or_postcode, out)
    out = DIGITS.sub(_keep_postcode, out)
    out = " ".join(out.split())
    return out[:MAX_KEPT]


def _phone_or_postcode(m: re.Match) -> str:
    digits = re.sub(r"\D", "", m.group(0))
    return m.group(0) if len(digits) == 5 and m.group(0).strip().isdigit() else "[number]"


def _keep_postcode(m: re.Match) -> str:
    # a Karlsruhe postcode (761xx) says where, not who; everything else of 5+ digits goes
    return m.group(0) if len(m.group(0)) == 5 and m.group(0).startswith("76") else "[number]"


def _folded(raw: Iterable[object]) -> set[str]:
    return {t for w in raw for t in tokens(str(w))}


@lru_cache(maxsize=2)
def function_words(path: Path | str = FUNCTION_WORDS_PATH) -> frozenset[str]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return frozenset(_folded(w for ws in (data.get("words") or {}).values() for w in ws or ()))


@lru_cache(maxsize=2)
def special_terms(path: Path | str = SPECIAL_CATEGORIES_PATH) -> tuple[frozenset[str], frozenset[str]]:
    """The special-category entries, folded: (whole words and stems, whole words only)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    stems: set[str] = set()
    whole: set[str] = set()
    for block in (data.get("categories") or {}).values():
        for entries in (block or {}).values():
            for entry in entries or ():
                entry = str(entry)
                target = whole if entry.startswith("=") else stems
                target.update(tokens(entry.lstrip("=")))
    return frozenset(stems), frozenset(whole)


class Wording:
    """Which words of a question the demand log may keep (see the module docstring)."""

    def __init__(
        self,
        known: Iterable[str],
        function: Iterable[str],
        special: Iterable[str],
        special_whole: Iterable[str] = (),
        known_keys: Iterable[str] = (),
    ):
        self.function = frozenset(function)
        self.known = frozenset(known) | self.function
        self.known_keys = frozenset(known_keys)  # phrases, squashed: "Eltern-Kind-Café" -> elternkindcafe
        special = frozenset(special)
        self.special_whole = frozenset(special_whole) | {s for s in special if len(s) < PREFIX_LEN}
        self.special_prefix = tuple(sorted(s for s in special if len(s) >= PREFIX_LEN))
        inside = sorted((s for s in special if len(s) >= INSIDE_LEN), key=len, reverse=True)
        self._inside = re.compile("|".join(map(re.escape, inside))) if inside else None

    @classmethod
    def of(cls, engine: SearchEngine) -> Wording:
        """The assistant's vocabulary without streets and facility names, plus the packaged lists."""
        return _wording_of(engine)

    def special(self, token: str) -> bool:
        candidates = [token, *arabic_variants(token)]
        for t in candidates:
            if t in self.special_whole or t.startswith(self.special_prefix):
                return True
            if self._inside is not None and self._inside.search(t):
                return True
        return False

    def knows(self, token: str) -> bool:
        if has_digit(token):
            return bool(POSTCODE.match(token))
        if token in self.known or token in self.known_keys:
            return True
        if any(v in self.known for v in arabic_variants(token)):
            return True
        return any(
            len(token) - cut >= MIN_STEM and token[:-cut] in self.known for cut in range(1, ENDING + 1)
        )

    def keep(self, text: str | None) -> str | None:
        """The wording to keep for `text`, or None when nothing useful is left."""
        if not text:
            return None
        text = PHONE.sub(f" {MASK} ", URL.sub(f" {MASK} ", EMAIL.sub(f" {MASK} ", text)))
        spans = word_spans(text)
        folded = [tokens(text[a:b]) for a, b in spans]
        kept = self._verdicts(folded)
        items: list[tuple[str, str]] = []  # (what goes before it, a kept word or a mask)

        def mask() -> None:
            if not items or items[-1][1] != MASK:
                items.append((" ", MASK))

        useful = False
        for i, (a, b) in enumerate(spans):
            gap = text[spans[i - 1][1] : a] if i else ""
            if MASK in gap:
                mask()
            if not kept[i]:
                mask()
                continue
            joined = i and kept[i - 1] and MASK not in gap and gap.strip()
            items.append((" ".join(gap.split()) if joined else " ", text[a:b]))  # "Eltern-Kind-Café"
            useful = useful or any(t not in self.function for t in folded[i])
        if spans and MASK in text[spans[-1][1] :]:
            mask()
        if not useful:
            return None
        out = ""
        for glue, item in items:
            piece = glue + item if out else item
            if len(out) + len(piece) > MAX_KEPT:
                break
            out += piece
        return out or None

    def _verdicts(self, folded: list[list[str]]) -> list[bool]:
        """Per word: kept or masked. Phrases of the vocabulary are kept only as a whole."""
        n = len(folded)
        special = [any(self.special(t) for t in toks) for toks in folded]
        kept = [False] * n
        i = 0
        while i < n:
            for j in range(min(n, i + MAX_SPAN), i + 1, -1):
                if not any(special[i:j]) and "".join(t for w in folded[i:j] for t in w) in self.known_keys:
                    kept[i:j] = [True] * (j - i)
                    i = j
                    break
            else:
                kept[i] = not special[i] and bool(folded[i]) and all(self.knows(t) for t in folded[i])
                i += 1
        return kept


@lru_cache(maxsize=4)
def _wording_of(engine: SearchEngine) -> Wording:
    terms = [
        *engine.catalogue.terms,
        *(t for t in engine.gazetteer.terms() if t.kind != "street"),
    ]
    # a phrase's words are known together only: "Brunhilde-Baur-Haus" is a kind of place in
    # the catalogue, "Brunhilde Baur" alone is a person
    known = {t.key for t in terms if t.ntokens == 1}
    known |= engine.catalogue.stopwords
    known |= set(engine.gazetteer.postcodes)
    keys = {t.key for t in terms if t.ntokens > 1}
    stems, whole = special_terms()
    return Wording(known, function_words(), stems, whole, keys)
