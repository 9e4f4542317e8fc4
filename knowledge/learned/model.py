"""The learned second opinion at run time: numpy only, read from knowledge/learned/model.npz.

Guarantees:
- Nothing is downloaded or trained at run time; scikit-learn is not imported. A prediction is
  `featurize` (the code training used) and the sum of the weight rows of the active buckets.
- `load_model()` reads the file once per process; when the file is missing, unreadable or was
  built for other features (another bucket count or feature version), it returns None and the
  search works with its rules alone.
- Probabilities are calibrated: scores are divided by the temperatures fitted on held-out folds
  (see train.py), so they can be weighed against the rules' confidence.
"""

from __future__ import annotations

import json
import logging
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from knowledge.learned import features as F

MODEL_PATH = Path(__file__).resolve().parent / "model.npz"
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Prediction:
    """Probabilities over the corpus labels and over the corpus languages, most likely first."""

    labels: dict[str, float]
    language: dict[str, float]

    @property
    def label(self) -> str:
        return next(iter(self.labels))

    @property
    def confidence(self) -> float:
        return next(iter(self.labels.values()))

    @property
    def lang(self) -> str:
        return next(iter(self.language))

    def top(self, n: int = 3) -> list[tuple[str, float]]:
        return list(self.labels.items())[:n]


def _softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores / temperature
    z = np.exp(z - z.max())
    return z / z.sum()


def _ranked(names: tuple[str, ...], probs: np.ndarray) -> dict[str, float]:
    order = np.argsort(-probs, kind="stable")
    return {names[i]: float(probs[i]) for i in order}


class LearnedModel:
    """Two linear heads (labels, language) over the hashed features of a text."""

    def __init__(
        self,
        buckets: np.ndarray,
        weights: np.ndarray,
        label_bias: np.ndarray,
        lang_bias: np.ndarray,
        labels: tuple[str, ...],
        languages: tuple[str, ...],
        temperature: tuple[float, float],
        meta: dict | None = None,
    ) -> None:
        self.buckets = np.asarray(buckets, dtype=np.int64)
        # float32 at run time: a few MB more memory than float16, and a row sum without conversion;
        # one zero row at the end for every bucket the model has no weight for
        self.weights = np.vstack(
            [np.asarray(weights, dtype=np.float32), np.zeros((1, weights.shape[1]), np.float32)]
        )
        # bucket -> row: one lookup per active bucket instead of a binary search (1 MB of int32)
        self._row = np.full(F.BUCKETS, len(self.buckets), dtype=np.int32)
        self._row[self.buckets] = np.arange(len(self.buckets), dtype=np.int32)
        self.bias = np.concatenate([label_bias, lang_bias]).astype(np.float32)
        self.labels = labels
        self.languages = languages
        self.label_temperature, self.lang_temperature = (float(t) for t in temperature)
        self.meta = meta or {}
        self._k = len(labels)

    @classmethod
    def load(cls, path: Path) -> LearnedModel:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("feature_version") != F.FEATURE_VERSION or meta.get("buckets") != F.BUCKETS:
                version, buckets = meta.get("feature_version"), meta.get("buckets")
                raise ValueError(f"built for feature version {version} with {buckets} buckets")
            return cls(
                buckets=data["buckets"],
                weights=data["weights"],
                label_bias=data["label_bias"],
                lang_bias=data["lang_bias"],
                labels=tuple(str(x) for x in data["labels"]),
                languages=tuple(str(x) for x in data["languages"]),
                temperature=tuple(data["temperature"].tolist()),
                meta=meta,
            )

    def scores(self, text: str) -> np.ndarray:
        """Raw scores: label columns first, then language columns."""
        f = F.featurize(text)
        if not len(f):
            return self.bias.copy()
        return f.values @ self.weights[self._row[f.indices]] + self.bias

    def predict(self, text: str) -> Prediction:
        s = self.scores(text)
        return Prediction(
            labels=_ranked(self.labels, _softmax(s[: self._k], self.label_temperature)),
            language=_ranked(self.languages, _softmax(s[self._k :], self.lang_temperature)),
        )


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> LearnedModel | None:
    """The packaged model, read once; None when there is none usable (rules only)."""
    if not path.exists():
        return None
    try:
        return LearnedModel.load(path)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        log.warning("learned model %s not used: %s", path.name, exc)
        return None
