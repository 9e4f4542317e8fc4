"""Telegram's MarkdownV2, as the Bot API parses it: the visible text, or the error it gives.

Rules from https://core.telegram.org/bots/api#markdownv2-style: the characters
_ * [ ] ( ) ~ ` > # + - = | { } . ! are reserved outside entities and must be escaped
with a backslash; any character from 1 to 126 may be escaped; inside `code` and pre
blocks only ` and \\ are escaped; inside the (...) of a link only ) and \\.
"""

from __future__ import annotations

from bot.sandbox.errors import BadRequest

RESERVED = set("_*[]()~`>#+-=|{}.!")
TOGGLES = {"*": "Bold", "_": "Italic", "__": "Underline", "~": "Strikethrough", "||": "Spoiler"}


def _error(detail: str) -> BadRequest:
    return BadRequest(f"Bad Request: can't parse entities: {detail}")


def _offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def markdown_v2_text(text: str) -> str:
    """The text Telegram shows for a MarkdownV2 message; raises BadRequest where Telegram would."""
    out: list[str] = []
    open_: list[tuple[str, int]] = []  # (marker, index where it opened)
    link_start: list[int] = []
    i, n = 0, len(text)
    line_start = True
    while i < n:
        c = text[i]
        if c == "\\":
            if i + 1 < n and 1 <= ord(text[i + 1]) <= 126:
                out.append(text[i + 1])
                i += 2
                line_start = False
                continue
            raise _error("Character '\\' is reserved and must be escaped with the preceding '\\'")
        if c == "`":
            fence = "```" if text.startswith("```", i) else "`"
            end, body = _code(text, i + len(fence), fence)
            out.append(body)
            i = end + len(fence)
            line_start = False
            continue
        if c == ">" and line_start:
            i += 1  # a blockquote line; its marker is not shown
            continue
        if c == "|" and text.startswith("||", i):
            marker = "||"
        elif c == "_" and text.startswith("__", i):
            marker = "__"
        elif c in "*_~":
            marker = c
        else:
            marker = ""
        if marker:
            if open_ and open_[-1][0] == marker:
                open_.pop()
            elif any(m == marker for m, _ in open_):
                top, at = open_[-1]  # entities nest; they do not overlap
                raise _error(f"Can't find end of {TOGGLES[top]} entity at byte offset {_offset(text, at)}")
            else:
                open_.append((marker, i))
            i += len(marker)
            line_start = False
            continue
        if c == "!" and text.startswith("![", i):
            link_start.append(len(out))
            i += 2
            continue
        if c == "[":
            link_start.append(len(out))
            i += 1
            continue
        if c == "]" and link_start:
            link_start.pop()
            if not text.startswith("(", i + 1):
                raise _error("Can't find end of a link: expected '('")  # "[text]" without a URL
            i = _link_url(text, i + 2)
            continue
        if c in RESERVED:
            raise _error(f"Character '{c}' is reserved and must be escaped with the preceding '\\'")
        out.append(c)
        line_start = c == "\n"
        i += 1
    if link_start:
        raise _error("Can't find end of TextUrl entity")
    if open_:
        marker, at = open_[-1]
        raise _error(f"Can't find end of {TOGGLES[marker]} entity at byte offset {_offset(text, at)}")
    return "".join(out)


def _code(text: str, i: int, fence: str) -> tuple[int, str]:
    """End index of a code or pre block starting after its fence, and its shown text."""
    body: list[str] = []
    n = len(text)
    if fence == "```":
        newline = text.find("\n", i)
        if newline != -1 and text[i:newline].strip() and "`" not in text[i:newline]:
            i = newline + 1  # the language of a pre block is not shown
    while i < n:
        if text[i] == "\\" and i + 1 < n and text[i + 1] in "`\\":
            body.append(text[i + 1])
            i += 2
            continue
        if text.startswith(fence, i):
            return i, "".join(body)
        body.append(text[i])
        i += 1
    kind = "Pre" if fence == "```" else "Code"
    raise _error(f"Can't find end of {kind} entity")


def _link_url(text: str, i: int) -> int:
    """Index after the ')' closing a link's URL; ')' and '\\' inside are escaped."""
    n = len(text)
    while i < n:
        if text[i] == "\\" and i + 1 < n:
            i += 2
            continue
        if text[i] == ")":
            return i + 1
        i += 1
    raise _error("Can't find end of a URL")
