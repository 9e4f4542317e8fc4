"""Fit the weights that pool the learned model with the rules (knowledge.reading), offline.

    python -m knowledge.learned.pool

Uses the out-of-fold probabilities of a 5-fold cross-validation (so the model never scores a
sentence it was trained on), the rules' cue evidence and the stage of life of every corpus
sentence, and prints the pooled accuracy for a grid of BETA (weight of a rule hit) and COMPAT
(penalty for a situation of another stage of life). The chosen values are written into
knowledge/reading.py by hand, with the figures of the run, so a change is reviewed.
"""

from __future__ import annotations

import json
import math

import numpy as np

from knowledge.catalogue import load_catalogue
from knowledge.concerned import read_concerned
from knowledge.learned.corpus import load_corpus
from knowledge.learned.train import cross_validate
from knowledge.matching import Vocabulary, select
from knowledge.reading import CATALOGUE_INTENT_WEIGHT, CATALOGUE_INTENTS, _for_stage, _mismatch
from knowledge.situations import load_situations
from knowledge.text import tokens

BETAS = (0.0, 1.0, 2.0, 3.0, 4.0, 5.0)
COMPATS = (0.0, -1.0, -3.0, -5.0)


def main() -> None:
    examples = load_corpus()
    cv = cross_validate(examples)
    probs = np.exp(cv.label_scores / cv.label_temperature)
    probs /= probs.sum(axis=1, keepdims=True)
    situations, catalogue = load_situations(), load_catalogue()
    vocabulary = Vocabulary(catalogue.terms, catalogue.stopwords)
    labels = cv.labels
    rule = np.zeros_like(probs)
    mismatch = np.zeros_like(probs)
    concerned = []
    for i, e in enumerate(examples):
        toks = tokens(e.text)[:160]
        evidence = situations.cues(toks)
        for m in select(vocabulary.candidates(toks)):
            for t in m.terms:
                key = CATALOGUE_INTENTS.get(t.targets[0][0]) if t.kind == "intent" else None
                if key:
                    evidence[key] = evidence.get(key, 0.0) + CATALOGUE_INTENT_WEIGHT
        c = read_concerned(e.text)
        concerned.append(c)
        for j, label in enumerate(labels):
            rule[i, j] = 1.0 - math.exp(-evidence.get(label, 0.0))
            mismatch[i, j] = _mismatch(situations[label], c)

    def accuracy(beta: float, compat: float) -> float:
        best = (np.log(np.maximum(probs, 1e-4)) + beta * rule + compat * mismatch).argmax(axis=1)
        hits = [_for_stage(labels[b], concerned[i]) == examples[i].label for i, b in enumerate(best)]
        return float(np.mean(hits))

    grid = {f"{b:g}/{c:g}": accuracy(b, c) for b in BETAS for c in COMPATS}
    print("BETA \\ COMPAT " + " ".join(f"{c:>7g}" for c in COMPATS))
    for b in BETAS:
        print(f"{b:>13g} " + " ".join(f"{grid[f'{b:g}/{c:g}']:7.3f}" for c in COMPATS))
    best = max(grid, key=grid.get)
    print(json.dumps({"model_only": grid["0/0"], "best": best, "pooled": grid[best], "n": len(examples)}))


if __name__ == "__main__":
    main()
