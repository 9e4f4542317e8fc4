"""Training of the learned model (scikit-learn, offline) into knowledge/learned/model.npz.

    quartier model train      # rebuild model.npz from knowledge/learned/corpus/
    quartier model report     # cross-validated accuracy per label and language
    python -m knowledge.learned.train --compare   # the classifier comparison below

Guarantees:
- Reproducible: the corpus is read in canonical order (`load_corpus`), folds and solvers have
  fixed seeds, and the file is written with fixed zip timestamps, so the same corpus gives the
  same bytes of model.npz.
- Two heads on the same features: the corpus label and the language of the text (`lang`).
- Calibrated: each head's scores are divided by a temperature fitted on out-of-fold scores of a
  5-fold stratified cross-validation (minimal negative log-likelihood), so a probability of 0.8
  means right about 8 times in 10 on texts the model has not seen.
- Compact: only buckets found in at least `min_df` training texts get a weight row; the rows
  are stored as float16 with the sorted list of their bucket numbers.

Classifier comparison (5-fold stratified CV, same features, `--compare`; filled in from the run
on the corpus of this commit, see `_COMPARISON` below).
"""

from __future__ import annotations

import argparse
import io
import json
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from knowledge.learned import features as F
from knowledge.learned.corpus import CORPUS_DIR, Example, load_corpus

MODEL_PATH = Path(__file__).resolve().parent / "model.npz"
FOLDS = 5
SEED = 0

_COMPARISON = """(to be filled)"""


# ----------------------------------------------------------------------------- classifiers


def _logreg(c: float) -> Callable[[], object]:
    # multinomial (softmax) loss: lbfgs on all classes at once, probabilities by construction
    return lambda: LogisticRegression(C=c, solver="lbfgs", max_iter=2000, tol=1e-5)


def _sgd_log(alpha: float) -> Callable[[], object]:
    # one-vs-rest logistic loss, averaged SGD; a fixed number of epochs (tol=None) for reproducibility
    return lambda: SGDClassifier(
        loss="log_loss", alpha=alpha, max_iter=50, tol=None, average=True, random_state=SEED
    )


def _svc(c: float) -> Callable[[], object]:
    # one-vs-rest squared hinge, liblinear's dual coordinate descent (seeded)
    return lambda: LinearSVC(C=c, tol=1e-5, max_iter=10_000, random_state=SEED)


CLASSIFIERS: dict[str, Callable[[], object]] = {
    "logreg_c30": _logreg(30.0),
    "sgd_log": _sgd_log(1e-5),
    "linearsvc_c1": _svc(1.0),
}
CHOSEN = "linearsvc_c1"


# ----------------------------------------------------------------------------- data


def feature_matrix(texts: Sequence[str]) -> sparse.csr_matrix:
    """Rows of `featurize` for each text, as a CSR matrix of BUCKETS columns."""
    indptr = [0]
    idx, val = [], []
    for text in texts:
        f = F.featurize(text)
        idx.append(f.indices)
        val.append(f.values)
        indptr.append(indptr[-1] + len(f))
    indices = np.concatenate(idx) if idx else np.empty(0, dtype=np.int64)
    values = np.concatenate(val) if val else np.empty(0, dtype=np.float32)
    return sparse.csr_matrix(
        (values.astype(np.float64), indices.astype(np.int32), np.array(indptr, dtype=np.int64)),
        shape=(len(texts), F.BUCKETS),
    )


def used_buckets(x: sparse.csr_matrix, min_df: int) -> np.ndarray:
    """Columns present in at least `min_df` rows: the only ones that get a weight."""
    df = np.bincount(x.indices, minlength=x.shape[1])
    return np.flatnonzero(df >= min_df).astype(np.int64)


@dataclass
class Head:
    """A linear head over the kept buckets: scores = x[:, buckets] @ weights + bias."""

    classes: list[str]
    weights: np.ndarray  # (len(buckets), len(classes)) float64
    bias: np.ndarray  # (len(classes),)

    def scores(self, x_kept: sparse.csr_matrix) -> np.ndarray:
        return np.asarray(x_kept @ self.weights) + self.bias


def fit_head(make: Callable[[], object], x_kept: sparse.csr_matrix, y: Sequence[str]) -> Head:
    classes = sorted(set(y))
    if len(classes) == 1:  # one class: nothing to learn, certainty for it
        return Head(classes, np.zeros((x_kept.shape[1], 1)), np.zeros(1))
    model = make()
    model.fit(x_kept, list(y))
    assert list(model.classes_) == classes
    coef = np.asarray(model.coef_, dtype=np.float64)
    bias = np.asarray(model.intercept_, dtype=np.float64)
    if len(classes) == 2:  # binary models keep one row: scores of the second class against the first
        coef = np.vstack([-coef / 2, coef / 2])
        bias = np.concatenate([-bias / 2, bias / 2])
    return Head(classes, coef.T.copy(), bias)


# ----------------------------------------------------------------------------- calibration


def fit_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The T > 0 that minimises the mean NLL of softmax(scores / T) at the true classes."""

    def nll(log_t: float) -> float:
        logp = log_softmax(scores / np.exp(log_t), axis=1)
        return float(-logp[np.arange(len(truth)), truth].mean())

    result = minimize_scalar(nll, bounds=(-5.0, 5.0), method="bounded", options={"xatol": 1e-6})
    return float(np.exp(result.x))


# ----------------------------------------------------------------------------- CV


@dataclass
class CrossValidation:
    """Out-of-fold scores of both heads for every example of the corpus."""

    examples: list[Example]
    labels: list[str]
    languages: list[str]
    label_scores: np.ndarray
    lang_scores: np.ndarray
    seconds: float
    label_temperature: float = 1.0
    lang_temperature: float = 1.0
    extra: dict = field(default_factory=dict)

    @property
    def label_truth(self) -> np.ndarray:
        pos = {c: i for i, c in enumerate(self.labels)}
        return np.array([pos[e.label] for e in self.examples])

    @property
    def lang_truth(self) -> np.ndarray:
        pos = {c: i for i, c in enumerate(self.languages)}
        return np.array([pos[e.lang] for e in self.examples])


def _spread(head: Head, scores: np.ndarray, classes: list[str]) -> np.ndarray:
    """Scores in the column order of all `classes`; a class missing from a fold scores -inf-ish."""
    out = np.full((scores.shape[0], len(classes)), -1e4)
    pos = {c: i for i, c in enumerate(classes)}
    for j, c in enumerate(head.classes):
        out[:, pos[c]] = scores[:, j]
    return out


def cross_validate(
    examples: list[Example], classifier: str = CHOSEN, min_df: int = 2, x: sparse.csr_matrix | None = None
) -> CrossValidation:
    t0 = time.perf_counter()
    make = CLASSIFIERS[classifier]
    if x is None:
        x = feature_matrix([e.text for e in examples])
    y = [e.label for e in examples]
    langs = [e.lang for e in examples]
    labels, languages = sorted(set(y)), sorted(set(langs))
    label_scores = np.zeros((len(examples), len(labels)))
    lang_scores = np.zeros((len(examples), len(languages)))
    # folds stratified by label and language together where each pair is frequent enough
    strata = [f"{e.label}|{e.lang}" for e in examples]
    counts: dict[str, int] = {}
    for s in strata:
        counts[s] = counts.get(s, 0) + 1
    strata = [s if counts[s] >= FOLDS else e.label for s, e in zip(strata, examples, strict=True)]
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    for train, test in folds.split(np.zeros(len(examples)), strata):
        x_train = x[train]
        keep = used_buckets(x_train, min_df)
        xk_train, xk_test = x_train[:, keep], x[test][:, keep]
        head = fit_head(make, xk_train, [y[i] for i in train])
        label_scores[test] = _spread(head, head.scores(xk_test), labels)
        head = fit_head(make, xk_train, [langs[i] for i in train])
        lang_scores[test] = _spread(head, head.scores(xk_test), languages)
    cv = CrossValidation(examples, labels, languages, label_scores, lang_scores, time.perf_counter() - t0)
    cv.label_temperature = fit_temperature(label_scores, cv.label_truth)
    cv.lang_temperature = fit_temperature(lang_scores, cv.lang_truth)
    return cv


# ----------------------------------------------------------------------------- model file


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """np.savez_compressed with fixed member timestamps, so equal arrays give equal bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, member.getvalue(), compresslevel=9)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(buffer.getvalue())
    tmp.replace(path)


@dataclass
class TrainResult:
    path: Path
    examples: int
    buckets: int
    bytes: int
    seconds: float
    cv: CrossValidation


def train(
    corpus_dir: Path = CORPUS_DIR,
    out: Path = MODEL_PATH,
    classifier: str = CHOSEN,
    min_df: int = 2,
    examples: list[Example] | None = None,
) -> TrainResult:
    """Cross-validate (for the temperatures), fit both heads on everything and write `out`."""
    t0 = time.perf_counter()
    # canonical order whatever the caller's, as load_corpus gives it
    examples = load_corpus(corpus_dir) if examples is None else sorted(examples)
    if not examples:
        raise ValueError(f"no corpus examples in {corpus_dir}")
    x = feature_matrix([e.text for e in examples])
    cv = cross_validate(examples, classifier, min_df, x=x)
    keep = used_buckets(x, min_df)
    xk = x[:, keep]
    make = CLASSIFIERS[classifier]
    label_head = fit_head(make, xk, [e.label for e in examples])
    lang_head = fit_head(make, xk, [e.lang for e in examples])
    weights = np.hstack([label_head.weights, lang_head.weights]).astype(np.float16)
    # rows that rounded to zero in both heads carry nothing: not stored
    nonzero = np.any(weights != 0, axis=1)
    meta = {
        "feature_version": F.FEATURE_VERSION,
        "buckets": F.BUCKETS,
        "ngram": [F.NGRAM_MIN, F.NGRAM_MAX],
        "classifier": classifier,
        "min_df": min_df,
        "examples": len(examples),
    }
    arrays = {
        "buckets": keep[nonzero].astype(np.int32),
        "weights": weights[nonzero],
        "label_bias": label_head.bias.astype(np.float32),
        "lang_bias": lang_head.bias.astype(np.float32),
        "labels": np.array(label_head.classes),
        "languages": np.array(lang_head.classes),
        "temperature": np.array([cv.label_temperature, cv.lang_temperature], dtype=np.float32),
        "meta": np.array(json.dumps(meta, sort_keys=True)),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    _write_npz(out, arrays)
    return TrainResult(
        out, len(examples), int(nonzero.sum()), out.stat().st_size, time.perf_counter() - t0, cv
    )


# ----------------------------------------------------------------------------- comparison


def compare(examples: list[Example], names: Sequence[str] = tuple(CLASSIFIERS)) -> list[dict]:
    """CV accuracy, macro F1, calibrated NLL and time of each classifier on the same features."""
    from knowledge.learned.report import summarise

    x = feature_matrix([e.text for e in examples])
    rows = []
    for name in names:
        cv = cross_validate(examples, name, x=x)
        s = summarise(cv)
        rows.append(
            {
                "classifier": name,
                "accuracy": s["accuracy"],
                "macro_f1": s["macro_f1"],
                "nll": s["nll"],
                "language_accuracy": s["language_accuracy"],
                "seconds": round(cv.seconds, 1),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description="Train or compare the learned model")
    parser.add_argument("--compare", action="store_true", help="compare the classifiers with 5-fold CV")
    parser.add_argument("--corpus", type=Path, default=CORPUS_DIR)
    args = parser.parse_args()
    examples = load_corpus(args.corpus)
    if args.compare:
        for row in compare(examples):
            print(json.dumps(row))
        return
    result = train(args.corpus)
    print(json.dumps({"bytes": result.bytes, "buckets": result.buckets, "seconds": round(result.seconds, 1)}))


if __name__ == "__main__":
    main()
