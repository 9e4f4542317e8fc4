"""Life situations (Lebenslagen): what a person's words say they need, as data.

`data/situations.yaml` lists the situations a social worker would recognise ("lonely in old
age", "a baby and exhausted parents", "debts and forms", "wants to help") with the kinds
of place to suggest first, per stage of life, and cue phrases per language. This module
reads the file and finds the cues in a question; `knowledge.understanding` weighs them with
the learned model and the ages and roles of `knowledge.concerned`.

Guarantees:
- The file is validated when loaded: unknown category keys, intents, stages or missing
  labels in one of the six languages are a named error, never a silent gap.
- Cue lookup uses the same typo- and compound-tolerant matcher as the catalogue; it is a
  pure function of the folded tokens.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from knowledge.catalogue import CATEGORY_KEYS, INTENT_KEYS, LANGUAGES, Term
from knowledge.concerned import STAGES
from knowledge.matching import Vocabulary, select
from knowledge.text import tokens

SITUATIONS_PATH = Path(__file__).parent / "data" / "situations.yaml"
FOR_KINDS = ("older", "child", "family", "adult", "any")
ANSWER_KINDS = ("crisis", "admin", "other", "help", "smalltalk")


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    phone: str | None
    website: str | None
    source: str


@dataclass(frozen=True, slots=True)
class Situation:
    key: str
    labels: dict[str, str]
    for_whom: str
    categories: tuple[tuple[str, float], ...]  # best first
    stages: dict[str, tuple[tuple[str, float], ...]]
    intent: str  # find_offers for situations that are answered with places
    answer: str | None  # how a situation without places is answered
    contacts: tuple[Contact, ...]

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels["de"]

    def categories_for(self, stage: str | None) -> tuple[tuple[str, float], ...]:
        """The kinds of place to suggest, for the stage of life of the person concerned."""
        if stage is not None and stage in self.stages:
            return self.stages[stage]
        return self.categories


@dataclass(slots=True)
class Situations:
    by_key: dict[str, Situation]
    vocabulary: Vocabulary

    def cues(self, toks: list[str]) -> dict[str, float]:
        """Evidence per situation: the matched cues' scores, added up (longer phrases count more)."""
        found: dict[str, float] = defaultdict(float)
        for m in select(self.vocabulary.candidates(toks)):
            weight = m.score * (1.0 + 0.5 * (m.length - 1))
            for key in {t.targets[0][0] for t in m.terms}:
                found[key] += weight
        return dict(found)

    def __getitem__(self, key: str) -> Situation:
        return self.by_key[key]

    def __contains__(self, key: object) -> bool:
        return key in self.by_key

    @property
    def keys(self) -> list[str]:
        return list(self.by_key)


class SituationsError(ValueError):
    """The situations file is not valid; the message names the place."""


def _weights(raw: Any, where: str) -> tuple[tuple[str, float], ...]:
    if not isinstance(raw, dict):
        raise SituationsError(f"{where}: categories must be a mapping of category key to weight")
    out = []
    for key, weight in raw.items():
        if key not in CATEGORY_KEYS:
            raise SituationsError(f"{where}: unknown category {key!r}")
        out.append((str(key), float(weight)))
    return tuple(sorted(out, key=lambda kv: -kv[1]))


def parse_situations(data: dict[str, Any]) -> Situations:
    by_key: dict[str, Situation] = {}
    terms: list[Term] = []
    for key, s in (data.get("situations") or {}).items():
        where = f"situation {key}"
        labels = {str(k): str(v) for k, v in (s.get("labels") or {}).items()}
        missing = [lang for lang in LANGUAGES if lang not in labels]
        if missing:
            raise SituationsError(f"{where}: labels missing for {', '.join(missing)}")
        for_whom = s.get("for", "any")
        if for_whom not in FOR_KINDS:
            raise SituationsError(f"{where}: 'for' must be one of {', '.join(FOR_KINDS)}")
        intent = s.get("intent", "find_offers")
        if intent not in INTENT_KEYS:
            raise SituationsError(f"{where}: unknown intent {intent!r}")
        answer = s.get("answer")
        if answer is not None and answer not in ANSWER_KINDS:
            raise SituationsError(f"{where}: unknown answer {answer!r}")
        stages = {}
        for stage, weights in (s.get("stages") or {}).items():
            if stage not in STAGES:
                raise SituationsError(f"{where}: unknown stage {stage!r}")
            stages[stage] = _weights(weights, f"{where}, stage {stage}")
        contacts = tuple(
            Contact(str(c["name"]), c.get("phone"), c.get("website"), str(c["source"]))
            for c in s.get("contacts") or ()
        )
        by_key[key] = Situation(
            key,
            labels,
            for_whom,
            _weights(s.get("categories") or {}, where),
            stages,
            intent,
            answer,
            contacts,
        )
        for lang, words in (s.get("cues") or {}).items():
            for word in words or ():
                toks = tokens(str(word))
                if toks:
                    terms.append(Term(str(word), "".join(toks), len(toks), "cue", ((key, 1.0),), str(lang)))
    return Situations(by_key, Vocabulary(terms))


@lru_cache(maxsize=2)
def load_situations(path: Path | str | None = None) -> Situations:
    raw = Path(path or SITUATIONS_PATH).read_text(encoding="utf-8")
    return parse_situations(yaml.safe_load(raw))
