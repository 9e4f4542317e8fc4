"""Text normalisation and hashed features of the learned model, shared by training and inference.

Guarantees:
- Deterministic across processes, machines and Python versions: buckets come from arithmetic on
  Unicode code points (a polynomial hash finished by MurmurHash3's 64-bit mixer, in numpy uint64,
  whose wrap-around is defined) and from `zlib.crc32`, never from Python's salted `hash()`.
- The same function, `featurize`, is used to build the training matrix and to read a question,
  so a model never sees features computed differently from those it was trained on.
- Bounded work for any input: at most `MAX_TOKENS` tokens of at most `MAX_TOKEN_CHARS` characters
  are read, so a pasted book or a 10,000-character "aaaa…" costs about what a long message costs.
- Empty or punctuation-only text gives an empty feature vector (no error).

Features, all mapped into `BUCKETS` buckets:
- character n-grams of length 2–5 inside each token padded with a space on both sides
  (like scikit-learn's ``analyzer="char_wb"``), which carry spelling variants, typos, inflection
  and the script of the language;
- word unigrams and bigrams, which carry the phrases ("nicht mehr", "ich könnte").
Values are sublinear term frequencies (1 + ln count), and the vector has unit L2 norm.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
import zlib
from dataclasses import dataclass

import numpy as np

# Raised whenever featurize changes its output: a model built for another version is not loaded.
FEATURE_VERSION = 1
BUCKETS = 1 << 18
NGRAM_MIN, NGRAM_MAX = 2, 5
MAX_TOKENS = 200
MAX_TOKEN_CHARS = 40

# Arabic-Indic (U+0660…) and Extended Arabic-Indic / Persian (U+06F0…) digits read as ASCII,
# so "٨٤" and "۸۴" meet "84". NFKC already maps full-width digits.
_TRANSLATE: dict[int, str | None] = {0x0660 + i: str(i) for i in range(10)}
_TRANSLATE.update({0x06F0 + i: str(i) for i in range(10)})
# Marks people mostly leave out (Arabic harakat, Hebrew points, Cyrillic titlo, combining accents
# NFKC could not compose) and invisible joiners are dropped, so a word reads the same with or
# without them; tatweel (ـ) only stretches a word. The Persian zero-width non-joiner separates
# the parts of a word that many people write with a space ("می‌خواهم" / "می خواهم").
for _lo, _hi in ((0x0300, 0x036F), (0x0483, 0x0489), (0x0591, 0x05C7), (0x0610, 0x061A), (0x064B, 0x065F)):
    _TRANSLATE.update(dict.fromkeys(range(_lo, _hi + 1)))
_TRANSLATE.update(dict.fromkeys((0x0670, 0x0640, 0x200D, 0xFE0E, 0xFE0F, 0x00AD)))
_TRANSLATE[0x200C] = " "
# Words (letters and digits of any script) and single pictographs (emoji, arrows, dingbats):
# "danke 🙏🙏" keeps its two 🙏 as tokens, while punctuation becomes a token boundary.
_TOKEN = re.compile(
    r"[^\W_]+|[\u2190-\u21ff\u2300-\u23ff\u2600-\u27bf\u2b00-\u2bff\u3030\u303d\U0001f000-\U0001faff]"
)

# 64-bit constants: an odd polynomial base and MurmurHash3's fmix64 multipliers.
_BASE = np.uint64(0x100000001B3)
_FMIX1 = np.uint64(0xFF51AFD7ED558CCD)
_FMIX2 = np.uint64(0xC4CEB9FE1A85EC53)
_SALT = {n: np.uint64(0x9E3779B97F4A7C15 * n % (1 << 64)) for n in range(NGRAM_MIN, NGRAM_MAX + 1)}
_MASK = np.uint64(BUCKETS - 1)
_S33 = np.uint64(33)
_WORD_SALT = b"w\x00"
_BIGRAM_SALT = b"b\x00"


def normalise(text: str) -> str:
    """NFKC, case-folded, ASCII digits, punctuation as single spaces, pictographs as own tokens."""
    return " ".join(tokenize(text))


def tokenize(text: str) -> list[str]:
    """The normalised tokens of `text`, at most MAX_TOKENS of at most MAX_TOKEN_CHARS characters."""
    if not text:
        return []
    # Only a bounded prefix is read: enough for MAX_TOKENS long tokens with separators.
    text = unicodedata.normalize("NFKC", text[: MAX_TOKENS * (MAX_TOKEN_CHARS + 2)]).casefold()
    found = _TOKEN.findall(text.translate(_TRANSLATE))
    return [t[:MAX_TOKEN_CHARS] for t in found[:MAX_TOKENS]]


def _fmix(x: np.ndarray) -> np.ndarray:
    x = x ^ (x >> _S33)
    x = x * _FMIX1
    x = x ^ (x >> _S33)
    x = x * _FMIX2
    return x ^ (x >> _S33)


def _char_buckets(tokens: list[str]) -> np.ndarray:
    """Buckets of every char n-gram (2..5) of " token " for every token, with repetitions."""
    padded = " " + " ".join(tokens) + " "
    codes = np.frombuffer(padded.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    length = len(codes)
    # spaces[k] = number of spaces in codes[:k]; a window is inside one padded token when
    # no space stands strictly inside it (its first and last character may be the padding).
    spaces = np.concatenate(([0], np.cumsum(codes == 32)))
    out = []
    h = codes
    with np.errstate(over="ignore"):
        for n in range(2, NGRAM_MAX + 1):
            count = length - n + 1
            if count <= 0:
                break
            h = h[:count] * _BASE + codes[n - 1 :]
            if n < NGRAM_MIN:
                continue
            inside = spaces[n - 1 : n - 1 + count] == spaces[1 : 1 + count]
            out.append(h[inside] + _SALT[n])
        if not out:
            return np.empty(0, dtype=np.uint64)
        return _fmix(np.concatenate(out)) & _MASK


def _word_buckets(tokens: list[str]) -> list[int]:
    mask = BUCKETS - 1
    encoded = [t.encode("utf-8") for t in tokens]
    out = [zlib.crc32(_WORD_SALT + w) & mask for w in encoded]
    out += [zlib.crc32(_BIGRAM_SALT + a + b" " + b) & mask for a, b in itertools.pairwise(encoded)]
    return out


@dataclass(frozen=True, slots=True)
class Features:
    """A sparse unit vector: sorted distinct bucket numbers and their values."""

    indices: np.ndarray  # int64, sorted, distinct
    values: np.ndarray  # float32, same length, L2 norm 1 (or empty)

    def __len__(self) -> int:
        return len(self.indices)


_EMPTY = Features(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32))


def featurize(text: str) -> Features:
    """The hashed feature vector of `text`; the same bytes in every process."""
    tokens = tokenize(text)
    if not tokens:
        return _EMPTY
    buckets = np.concatenate((_char_buckets(tokens).astype(np.int64), np.array(_word_buckets(tokens))))
    indices, counts = np.unique(buckets, return_counts=True)
    values = (1.0 + np.log(counts)).astype(np.float32)
    values /= np.float32(np.sqrt(np.dot(values, values)))
    return Features(indices, values)
