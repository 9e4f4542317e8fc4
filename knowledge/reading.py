"""One reading of a question: its situation, intent and the kinds of place to suggest.

Three witnesses are weighed here, where the decision is made:

- the rules: cue phrases of `data/situations.yaml` and the catalogue's intent words, found
  by the typo-tolerant matcher (`knowledge.situations`);
- the learned model (`knowledge.learned`), which reads whole sentences in many languages
  and gives a probability per situation (absent model: the rules decide alone);
- who is concerned and how old (`knowledge.concerned`): a situation for older people is
  unlikely when the question is about a two-year-old, and the other way round.

The combination is a log-linear pool. For each situation `l`

    score(l) = log p_model(l) / T  +  BETA * rule(l)  +  COMPAT * mismatch(l, stage)

where `rule(l) = 1 - exp(-evidence(l))` saturates so that many weak cues never outweigh the
model completely, `T` is the model's own temperature (fitted on held-out folds when it was
trained, so p_model is calibrated), and `mismatch` is 1 when the situation is for another
stage of life than the one the question names. A softmax over `score` is the reading's
confidence. BETA and COMPAT were chosen on out-of-fold predictions of the training corpus
(`python -m knowledge.learned.pool` prints the pooled accuracy for a grid of both):
a rule hit moves a situation by about e^BETA in odds, enough to decide between the model's
close runners-up, not enough to overturn a confident model.

Guarantees: a pure function of the text and the model; no state; bounded work (the tokens
are the search's, already cut to its maximum).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from knowledge.concerned import CHILD_STAGES, Concerned, read_concerned
from knowledge.situations import Situation, Situations

# fitted with `python -m knowledge.learned.pool` on 6,679 corpus sentences (out-of-fold):
# model alone 78.6 %, pooled 80.1 % at BETA 2, COMPAT -3 (flat from BETA 2 to 3, falls beyond 4)
BETA = 2.0
COMPAT = -3.0
UNIFORM_FLOOR = 1e-4
CATALOGUE_INTENT_WEIGHT = 2.0
CRISIS_CUE = 0.9  # one crisis phrase, matched exactly or with a typo, is enough
# below this confidence, or with a runner-up this close, the bot asks before it answers
ASK_BELOW = 0.5  # less than even odds for the best reading: ask
ASK_MARGIN = 0.12
# a situation is taken only with at least this confidence; otherwise the catalogue's words decide
TAKE_FROM = 0.3

# the catalogue's intent words are cues for these situations
# ("Hilfe" and "hallo" are in nearly every question, so only the phrases that switch the
# conversation count: volunteering and network meetings)
CATALOGUE_INTENTS = {"volunteer": "volunteer", "meetings": "meetings"}
# the child situations, by the stage of the child: "Kind (2)" is not a youth-house question
CHILD_BY_STAGE = {
    "infant": "baby",
    "toddler": "toddler",
    "preschool": "toddler",
    "school": "school_child",
    "teen": "teen",
}
CHILD_SITUATIONS = frozenset(CHILD_BY_STAGE.values())
OLDER_SITUATIONS = frozenset({"old_company", "old_care", "old_dementia", "old_advice"})


@dataclass(slots=True)
class Reading:
    situation: str | None
    confidence: float
    ranked: list[tuple[str, float]]  # situations with their probabilities, best first
    concerned: Concerned
    language: dict[str, float] = field(default_factory=dict)  # the model's language guess
    ask: bool = False  # two readings are close or none is sure: ask the person first
    evidence: dict[str, float] = field(default_factory=dict)  # the rules' cues per situation

    @property
    def runner_up(self) -> str | None:
        return self.ranked[1][0] if len(self.ranked) > 1 else None


def _mismatch(s: Situation, concerned: Concerned) -> float:
    stage = concerned.stage
    if stage is None:
        return 0.0
    if s.for_whom == "older":
        return 0.0 if stage == "older" else 1.0
    if s.for_whom == "child":
        return 0.0 if concerned.child_stages else 1.0
    return 0.0


def read(
    text: str,
    toks: list[str],
    situations: Situations,
    catalogue_intents: set[str],
    model=None,
    forced: str | None = None,
    groups: list[str] | tuple[str, ...] = (),
) -> Reading:
    concerned = read_concerned(text)
    if (
        concerned.stage is None
        and "older_people" in groups
        and not {"families", "children_youth"} & set(groups)
    ):
        # "Treff für Ältere", "yaşlılar için": the catalogue names the group, not an age
        concerned = Concerned(concerned.people, retired=True)
    evidence = situations.cues(toks)
    for intent in catalogue_intents:
        key = CATALOGUE_INTENTS.get(intent)
        if key in situations:
            # the catalogue's intent words are phrases made for this ("mich engagieren", "Netzwerktreffen")
            evidence[key] = evidence.get(key, 0.0) + CATALOGUE_INTENT_WEIGHT
    prediction = model.predict(text) if model is not None and toks else None
    keys = situations.keys
    scores: dict[str, float] = {}
    for key in keys:
        p = prediction.labels.get(key, 0.0) if prediction is not None else 1.0 / len(keys)
        rule = 1.0 - math.exp(-evidence.get(key, 0.0))
        scores[key] = (
            math.log(max(p, UNIFORM_FLOOR)) + BETA * rule + COMPAT * _mismatch(situations[key], concerned)
        )
    top = max(scores.values())
    z = sum(math.exp(v - top) for v in scores.values())
    ranked = sorted(((k, math.exp(v - top) / z) for k, v in scores.items()), key=lambda kv: -kv[1])
    language = dict(prediction.language) if prediction is not None else {}
    if evidence.get("crisis", 0.0) >= CRISIS_CUE and "crisis" in situations and forced is None:
        # safety first: words of an acute emergency always get the crisis lines, whatever else
        return Reading("crisis", 1.0, [("crisis", 1.0)], concerned, language, evidence=evidence)
    if forced is not None and forced in situations:
        return Reading(forced, 1.0, [(forced, 1.0)], concerned, language, evidence=evidence)
    if prediction is None and not evidence:
        return Reading(None, 0.0, [], concerned, language, evidence=evidence)
    best, confidence = ranked[0]
    best = _for_stage(best, concerned)
    ranked = [(best, confidence), *((k, p) for k, p in ranked[1:] if k != best)]
    ask = prediction is not None and _should_ask(ranked, situations)
    return Reading(best, confidence, ranked, concerned, language, ask, evidence)


def _for_stage(key: str, concerned: Concerned) -> str:
    """The child situation of the child's own stage; an adult's company is not a senior café."""
    stage = concerned.stage
    if key in CHILD_SITUATIONS and stage in CHILD_STAGES:
        return CHILD_BY_STAGE[stage]
    if key == "old_company" and stage == "adult":
        return "meet_people"
    return key


def _should_ask(ranked: list[tuple[str, float]], situations: Situations) -> bool:
    """Ask only when the two best readings would send the person to different places."""
    if len(ranked) < 2:
        return False
    (first, p1), (second, p2) = ranked[0], ranked[1]
    if p1 >= ASK_BELOW and p1 - p2 >= ASK_MARGIN:
        return False
    a, b = situations[first], situations[second]
    if a.intent != "find_offers" or b.intent != "find_offers":
        return False
    return {k for k, _ in a.categories[:1]} != {k for k, _ in b.categories[:1]}
