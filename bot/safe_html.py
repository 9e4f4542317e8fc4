"""Values from people and imports in the bot's texts: the one place that escapes and bounds them.

The bot sends every text with parse mode HTML. Guarantees:

* every value that came from a person (a note, an organisation's name, a relayed message,
  a meeting's place or agenda, a Telegram language code) or from an import (a facility's
  name, address, hours, contact, description; district and planning area names) goes into
  a text through `esc` or `fmt`, never raw: "&", "<" and ">" become entities, so "Kita & Co"
  or a name with "<" cannot make Telegram refuse the message ("can't parse entities");
  control characters are dropped;
* each value is cut to a limit before it is escaped (an entity is never cut in half): a
  5,000-character imported name shows its first `NAME` characters with "…";
* `fit` shortens a whole HTML message to Telegram's limit without breaking a tag or an
  entity; the bot's session applies it to every text and caption it sends
  (bot.session.TelegramLimits), so no answer fails for its length;
* `plain` does the same for text without HTML (the terminal, a venue's title), and
  `filename` makes a file name of a value (a calendar file named after a facility).

`html.escape` is called nowhere else in bot/ and handlers/ (a test checks).
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Any

MAX_TEXT = 4096  # Telegram: a message's text after entities are parsed
MAX_CAPTION = 1024
MAX_ALERT = 200  # answerCallbackQuery
NAME = 200  # a facility's, an organisation's or an area's name
LINE = 300  # an address, a phone number, a web address, opening hours, a meeting's place
TEXT = 1500  # a note, an agenda, a description
ELLIPSIS = "…"

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# a tag or an entity of Telegram's HTML; everything between them is visible text
_TOKEN = re.compile(r"<(/?)([a-zA-Z][\w-]*)(?:\s[^<>]*)?>|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


class Html(str):
    """Text that is already safe HTML: `fmt` inserts it as it is."""

    __slots__ = ()


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + ELLIPSIS


def esc(value: Any, limit: int = TEXT) -> Html:
    """A value from a person or an import as safe HTML, at most `limit` visible characters."""
    if isinstance(value, Html):
        return value
    text = _CONTROL.sub("", "" if value is None else str(value))
    return Html(html.escape(_cut(text, limit), quote=False))


def fmt(template: str, /, limit: int = TEXT, **values: Any) -> Html:
    """`template.format(**values)` with every value escaped by `esc` (unless it is `Html`)."""
    return Html(template.format(**{k: esc(v, limit) for k, v in values.items()}))


def plain(value: Any, limit: int = TEXT) -> str:
    """A value for text without HTML: control characters dropped, at most `limit` characters."""
    return _cut(_CONTROL.sub("", "" if value is None else str(value)), limit)


def filename(stem: Any, suffix: str, limit: int = 60) -> str:
    """A file name of a value: ASCII letters, digits, dot, dash and underscore only."""
    ascii_stem = unicodedata.normalize("NFKD", str(stem)).encode("ascii", "ignore").decode()
    safe = _FILENAME.sub("-", ascii_stem).strip(".-_")[:limit].strip(".-_")
    return f"{safe or 'file'}{suffix}"


def _units(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts (an emoji is two)."""
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def visible_units(text: str) -> int:
    """UTF-16 length of what Telegram shows for an HTML text (tags dropped, entities one character)."""
    total, pos = 0, 0
    for m in _TOKEN.finditer(text):
        total += _units(text[pos : m.start()])
        if not m.group(2):
            total += _units(html.unescape(m.group(0)))
        pos = m.end()
    return total + _units(text[pos:])


def fit(text: str, limit: int = MAX_TEXT, *, is_html: bool = True) -> str:
    """`text` shortened to `limit` visible characters, tags closed and entities whole.

    Meant for valid HTML as the renderers make it; plain text is cut as it is.
    """
    if 2 * len(text) <= limit:  # a UTF-16 unit per character at most twice: surely short enough
        return text
    if not is_html:
        if _units(text) <= limit:
            return text
        out, used = [], 0
        for c in text:
            used += _units(c)
            if used > limit - 1:
                break
            out.append(c)
        return "".join(out) + ELLIPSIS
    if visible_units(text) <= limit:
        return text
    budget = limit - 1  # room for the ellipsis
    out: list[str] = []
    stack: list[str] = []
    used, pos = 0, 0

    def take(chunk: str) -> bool:
        nonlocal used
        for i, c in enumerate(chunk):
            n = _units(c)
            if used + n > budget:
                out.append(chunk[:i])
                return False
            used += n
        out.append(chunk)
        return True

    complete = True
    for m in _TOKEN.finditer(text):
        if not take(text[pos : m.start()]):
            complete = False
            break
        closing, tag = m.group(1), m.group(2)
        if tag:
            if closing:
                if stack and stack[-1] == tag.lower():
                    stack.pop()
            else:
                stack.append(tag.lower())
            out.append(m.group(0))
        else:
            n = _units(html.unescape(m.group(0)))
            if used + n > budget:
                complete = False
                break
            used += n
            out.append(m.group(0))
        pos = m.end()
    if complete:
        take(text[pos:])
    return "".join(out).rstrip() + ELLIPSIS + "".join(f"</{t}>" for t in reversed(stack))
