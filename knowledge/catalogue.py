"""The catalogue of categories, target groups, needs and intents, kept as YAML data.

`data/catalogue.yaml` is meant to be edited by city staff; this module only reads it
and turns every word list into `Term`s that the matcher can look up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from knowledge.text import squash, tokens

CATALOGUE_PATH = Path(__file__).parent / "data" / "catalogue.yaml"
LANGUAGES = ("de", "en", "tr", "ar", "uk", "ru")
CATEGORY_KEYS = (
    "buergerzentrum",
    "startpunkt_elterncafe",
    "kinder_familienzentrum",
    "kinder_jugendhaus",
    "seniorenbegegnung",
    "mehrgenerationenhaus",
    "quartiersarbeit",
    "wohncafe",
    "buergerverein",
    "seniorenbuero",
    "pflegestuetzpunkt",
    "asd",
    "integration",
    "stadtteilkoordination",
)
TARGET_GROUP_KEYS = ("older_people", "volunteers", "families", "children_youth")
INTENT_KEYS = ("find_offers", "volunteer", "meetings", "help", "smalltalk")
RELATED_WEIGHT = 0.6


@dataclass(frozen=True, slots=True)
class Term:
    """One word or phrase of the vocabulary and what it points to."""

    text: str
    key: str  # squashed form, the lookup key
    ntokens: int
    kind: str  # category | target_group | need | intent | place | stop
    targets: tuple[tuple[str, float], ...]  # (category key / group / intent / place id, weight)
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class Category:
    key: str
    labels: dict[str, str]
    descriptions: dict[str, str]
    target_groups: tuple[str, ...]

    def label(self, lang: str = "de") -> str:
        return self.labels.get(lang) or self.labels.get("de") or self.key


@dataclass(frozen=True, slots=True)
class TargetGroup:
    key: str
    labels: dict[str, str]
    categories: dict[str, float]


@dataclass(slots=True)
class Catalogue:
    categories: dict[str, Category]
    target_groups: dict[str, TargetGroup]
    terms: list[Term] = field(default_factory=list)
    stopwords: frozenset[str] = frozenset()

    def label(self, key: str, lang: str = "de") -> str:
        cat = self.categories.get(key)
        return cat.label(lang) if cat else key


def _term(text: str, kind: str, targets: tuple[tuple[str, float], ...], lang: str | None) -> Term | None:
    toks = tokens(str(text))
    if not toks:
        return None
    return Term(str(text), "".join(toks), len(toks), kind, targets, lang)


def _per_language(block: dict[str, Any] | None):
    for lang, words in (block or {}).items():
        for word in words or []:
            yield lang, word


def parse_catalogue(data: dict[str, Any]) -> Catalogue:
    categories: dict[str, Category] = {}
    terms: list[Term] = []
    for key, c in (data.get("categories") or {}).items():
        if key not in CATEGORY_KEYS:
            raise ValueError(f"unknown category key in catalogue: {key}")
        categories[key] = Category(
            key,
            dict(c.get("labels") or {}),
            dict(c.get("description") or {}),
            tuple(c.get("target_groups") or ()),
        )
        # the label itself is always a synonym, in every language it is given in
        for lang, label in (c.get("labels") or {}).items():
            terms.append(_term(label, "category", ((key, 1.0),), lang))
        for lang, word in _per_language(c.get("synonyms")):
            terms.append(_term(word, "category", ((key, 1.0),), lang))
        for lang, word in _per_language(c.get("related")):
            terms.append(_term(word, "category", ((key, RELATED_WEIGHT),), lang))
    groups: dict[str, TargetGroup] = {}
    for key, g in (data.get("target_groups") or {}).items():
        weights = {k: float(v) for k, v in (g.get("categories") or {}).items()}
        groups[key] = TargetGroup(key, dict(g.get("labels") or {}), weights)
        targets = tuple(sorted(weights.items(), key=lambda kv: -kv[1]))
        for lang, word in _per_language(g.get("synonyms")):
            terms.append(_term(word, "target_group", ((key, 1.0), *targets), lang))
    for need in data.get("needs") or []:
        targets = tuple((k, float(v)) for k, v in (need.get("categories") or {}).items())
        for lang, word in _per_language(need.get("terms")):
            terms.append(_term(word, "need", targets, lang))
    for intent, block in (data.get("intents") or {}).items():
        if intent not in INTENT_KEYS:
            raise ValueError(f"unknown intent in catalogue: {intent}")
        for lang, word in _per_language(block):
            terms.append(_term(word, "intent", ((intent, 1.0),), lang))
    stop = {t for _, w in _per_language(data.get("stopwords")) for t in tokens(str(w))}
    return Catalogue(categories, groups, [t for t in terms if t], frozenset(stop))


@lru_cache(maxsize=4)
def load_catalogue(path: Path | str | None = None) -> Catalogue:
    raw = Path(path or CATALOGUE_PATH).read_text(encoding="utf-8")
    return parse_catalogue(yaml.safe_load(raw))


def category_label(key: str, lang: str = "de") -> str:
    return load_catalogue().label(key, lang)


__all__ = [
    "CATEGORY_KEYS",
    "INTENT_KEYS",
    "LANGUAGES",
    "TARGET_GROUP_KEYS",
    "Catalogue",
    "Category",
    "Term",
    "category_label",
    "load_catalogue",
    "parse_catalogue",
    "squash",
]
