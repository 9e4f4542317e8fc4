"""Cross-validated figures of the learned model: accuracy per label and per language, macro F1.

`summarise` turns the out-of-fold scores of `train.cross_validate` into plain numbers (the
model never saw the text it is scored on); `render` prints them as two tables and ends with
the same figures as one line of JSON, for scripts that compare runs.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import log_softmax

if TYPE_CHECKING:
    from rich.console import Console

    from knowledge.learned.train import CrossValidation


def _f1(truth: np.ndarray, pred: np.ndarray, k: int) -> tuple[float, float, float]:
    tp = float(np.sum((pred == k) & (truth == k)))
    fp = float(np.sum((pred == k) & (truth != k)))
    fn = float(np.sum((pred != k) & (truth == k)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def summarise(cv: CrossValidation) -> dict:
    truth, lang_truth = cv.label_truth, cv.lang_truth
    pred = cv.label_scores.argmax(axis=1)
    lang_pred = cv.lang_scores.argmax(axis=1)
    logp = log_softmax(cv.label_scores / cv.label_temperature, axis=1)
    nll = float(-logp[np.arange(len(truth)), truth].mean())
    confidence = np.exp(logp.max(axis=1))
    per_label = {}
    f1s = []
    for k, label in enumerate(cv.labels):
        precision, recall, f1 = _f1(truth, pred, k)
        f1s.append(f1)
        per_label[label] = {
            "n": int(np.sum(truth == k)),
            "accuracy": round(recall, 4),
            "precision": round(precision, 4),
            "f1": round(f1, 4),
        }
    per_language = {}
    for k, lang in enumerate(cv.languages):
        rows = lang_truth == k
        per_language[lang] = {
            "n": int(rows.sum()),
            "accuracy": round(float(np.mean(pred[rows] == truth[rows])), 4),
            "language_accuracy": round(float(np.mean(lang_pred[rows] == k)), 4),
        }
    right = pred == truth
    # short questions are where language guessing is hard ("Kita Durlach?"): up to 5 words,
    # and only the six languages the bot answers in, as the bot uses the guess
    words = np.array([len(e.text.split()) for e in cv.examples])
    lang_ok = lang_pred == lang_truth
    six = np.isin(np.array(cv.languages)[lang_truth], ["de", "en", "tr", "ar", "uk", "ru"])
    short = (words <= 5) & six
    return {
        "examples": len(truth),
        "accuracy": round(float(right.mean()), 4),
        "macro_f1": round(float(np.mean(f1s)), 4),
        "nll": round(nll, 4),
        "language_accuracy": round(float(np.mean(lang_pred == lang_truth)), 4),
        "language_accuracy_short": round(float(lang_ok[short].mean()), 4) if short.any() else None,
        "short_questions": int(short.sum()),
        "label_temperature": round(cv.label_temperature, 4),
        "language_temperature": round(cv.lang_temperature, 4),
        # calibration at a glance: mean confidence of right and of wrong first answers
        "confidence_right": round(float(confidence[right].mean()), 4) if right.any() else None,
        "confidence_wrong": round(float(confidence[~right].mean()), 4) if (~right).any() else None,
        "per_label": per_label,
        "per_language": per_language,
        "cv_seconds": round(cv.seconds, 1),
    }


def render(summary: dict, console: Console) -> None:
    from rich.table import Table

    labels = Table(title=f"Labels, {summary['examples']} examples, 5-fold CV")
    for column in ("label", "n", "accuracy", "precision", "F1"):
        labels.add_column(column, justify="left" if column == "label" else "right")
    for label, row in summary["per_label"].items():
        labels.add_row(
            label, str(row["n"]), f"{row['accuracy']:.3f}", f"{row['precision']:.3f}", f"{row['f1']:.3f}"
        )
    console.print(labels)
    langs = Table(title="Languages")
    for column in ("lang", "n", "label accuracy", "language accuracy"):
        langs.add_column(column, justify="left" if column == "lang" else "right")
    for lang, row in summary["per_language"].items():
        langs.add_row(lang, str(row["n"]), f"{row['accuracy']:.3f}", f"{row['language_accuracy']:.3f}")
    console.print(langs)
    console.print(
        f"accuracy {summary['accuracy']:.3f}  macro F1 {summary['macro_f1']:.3f}  "
        f"NLL {summary['nll']:.3f}  language accuracy {summary['language_accuracy']:.3f}  "
        f"T {summary['label_temperature']:.2f}/{summary['language_temperature']:.2f}"
    )
    console.print(json.dumps(summary, ensure_ascii=False), soft_wrap=True, markup=False, highlight=False)
