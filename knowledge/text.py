"""Text normalisation shared by the catalogue, place resolution and search.

Both sides of every comparison go through `fold`, so "Mühlburg", "Muehlburg" and
"muhlburg" meet, and so do "Straße", "Strasse" and "Str.".
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_STRIP = dict.fromkeys(map(ord, "'’`´\u02bc\u0640"), None)  # apostrophes, Arabic tatweel
_SPECIAL = str.maketrans({"ß": "ss", "ı": "i", "ø": "o", "æ": "ae", "œ": "oe", "ё": "е"})
_UMLAUT_DIGRAPHS = re.compile(r"(?<=[a-z])(ae|oe|ue)")
_NON_WORD = re.compile(r"[^\w]+")
_DIGITS = re.compile(r"\d")
_CYRILLIC_APOSTROPHE = re.compile(r"(?<=[\u0400-\u04ff])['’\u02bc](?=[\u0400-\u04ff])")
_APOSTROPHE = re.compile(r"['’]")
# street-type words, folded, and their canonical short form
_STREET_SUFFIXES = (("strasse", "str"), ("stra", "str"))
_ARABIC_PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال")


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def fold_word(word: str) -> str:
    """Fold one word: lower case, no diacritics, ß->ss, German umlaut digraphs collapsed."""
    w = _strip_marks(word.lower().translate(_SPECIAL)).translate(_STRIP)
    # "Muehlburg" -> "muhlburg" to meet "Mühlburg" -> "muhlburg"; applied to both sides
    # of every comparison, so the rare false merge ("neue" -> "neu") costs nothing.
    return _UMLAUT_DIGRAPHS.sub(lambda m: m.group(1)[0], w)


def tokens(text: str) -> list[str]:
    """Folded word tokens; apostrophes split Turkish suffixes ("Durlach'ta" -> durlach, ta)."""
    # Latin-script apostrophes split (Turkish suffixes); the Ukrainian one (ʼ) is part of a word
    text = _APOSTROPHE.sub(" ", _CYRILLIC_APOSTROPHE.sub("", text))
    return [fold_word(t) for t in _NON_WORD.split(text.replace("_", " ")) if t]


_WORD = re.compile(r"[^\W_]+(?:['’\u02bc][^\W_]+)*")


def word_spans(text: str) -> list[tuple[int, int]]:
    """Where the words of a text are, inner apostrophes kept; `tokens(text[a:b])` folds each one."""
    return [m.span() for m in _WORD.finditer(text)]


def fold(text: str) -> str:
    """Folded text with single spaces between tokens."""
    return " ".join(tokens(text))


def squash(text: str) -> str:
    """Folded text with no separators: the key for compound matching ("Eltern-Kind" = "elternkind")."""
    return "".join(tokens(text))


def street_key(name: str) -> str:
    """Key for a street name: "Herrenalber Straße", "herrenalber str." -> "herrenalberstr"."""
    key = squash(name)
    for long, short in _STREET_SUFFIXES:
        if key.endswith(long):
            return key[: -len(long)] + short
    return key


def arabic_variants(token: str) -> list[str]:
    """The token without Arabic article/preposition prefixes, for matching "الأسرة" to "أسرة"."""
    if not token or not "\u0600" <= token[0] <= "\u06ff":
        return []  # not Arabic script: nothing to strip
    out = []
    for prefix in _ARABIC_PREFIXES:
        if token.startswith(prefix) and len(token) - len(prefix) >= 2:
            out.append(token[len(prefix) :])
    if token.startswith(("و", "ب", "ل")) and len(token) > 3:
        out.append(token[1:])
    return out


def has_digit(token: str) -> bool:
    return bool(_DIGITS.search(token))
