"""Check Bot API calls as Telegram would: fields, types, lengths, markup and HTML.

Pure functions over the packaged description (bot_api_spec.json); each failure is
a `BadRequest` whose text follows Telegram's "Bad Request: ..." wording.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from bot.sandbox.errors import BadRequest
from bot.sandbox.markdown import markdown_v2_text

SPEC_PATH = Path(__file__).parent / "bot_api_spec.json"
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_BYTES = 64
BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_ACTIONS = frozenset(BUTTON_ACTIONS)
HTML_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
}


@lru_cache(maxsize=1)
def spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


def decode_form_value(value: Any, types: list[str]) -> Any:
    """Form fields arrive as strings; objects and arrays as JSON text."""
    if not isinstance(value, str):
        return value
    simple = {"String"}
    if all(t in simple for t in types):
        return value
    if value.startswith(("{", "[")):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


Checker = Callable[[Any, str], bool]
_INTEGER = re.compile(r"-?\d+")


def _is_integer(value: Any, _path: str) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, str) and _INTEGER.fullmatch(value) is not None)


def _is_float(value: Any, _path: str) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return not isinstance(value, bool)


_SIMPLE: dict[str, Checker] = {
    "Integer": _is_integer,
    "Float": _is_float,
    "String": lambda value, _path: isinstance(value, str),
    "Boolean": lambda value, _path: value in (True, False, "true", "false", "True", "False"),
    "True": lambda value, _path: value in (True, "true", "True"),
    "InputFile": lambda value, _path: isinstance(value, bytes | str),
}


@cache
def _checker(type_name: str) -> Checker:
    """A type of the spec turned into a check once, not parsed again for every value.

    A result card's keyboard holds a dozen buttons; reading "Array of Array of
    InlineKeyboardButton" and looking types up for each of them was most of the time
    the sandbox spent on a message.
    """
    if type_name.startswith("Array of "):
        inner = _checker(type_name[len("Array of ") :])
        return lambda value, path: isinstance(value, list) and all(inner(v, path) for v in value)
    if type_name in _SIMPLE:
        return _SIMPLE[type_name]
    t = spec()["types"].get(type_name)
    if t is None:
        return lambda value, path: True  # a type outside the packaged part is not ours to judge
    if t.get("subtypes"):
        subs = [_checker(sub) for sub in t["subtypes"]]
        return lambda value, path: any(sub(value, path) for sub in subs)
    fields = t["fields"]

    def check(value: Any, path: str) -> bool:
        if not isinstance(value, dict):
            return False
        try:
            check_object(value, fields, path)
        except BadRequest:
            return False
        return True

    return check


def _matches(value: Any, type_name: str, path: str) -> bool:
    return _checker(type_name)(value, path)


class _Fields:
    """A field list as Telegram checks it: names, required names, checks per name."""

    __slots__ = ("checks", "fields", "required", "types")

    def __init__(self, fields: list[dict[str, Any]]):
        self.fields = fields  # kept, so its id cannot be reused while it is known
        self.types = {f["name"]: f["types"] for f in fields}
        self.checks = {f["name"]: [_checker(t) for t in f["types"]] for f in fields}
        self.required = [f["name"] for f in fields if f["required"]]


_KNOWN: dict[int, _Fields] = {}


def check_object(value: dict[str, Any], fields: list[dict[str, Any]], path: str) -> None:
    known = _KNOWN.get(id(fields))
    if known is None or known.fields is not fields:
        known = _KNOWN[id(fields)] = _Fields(fields)
    for name in known.required:
        if name not in value:
            raise BadRequest(f'Bad Request: field "{path}{name}" is required')
    checks = known.checks
    for key, item in value.items():
        ok = checks.get(key)
        if ok is None:
            raise BadRequest(f'Bad Request: unknown field "{path}{key}"')
        if not (ok[0](item, path) if len(ok) == 1 else any(c(item, path) for c in ok)):
            types = known.types[key]
            raise BadRequest(f'Bad Request: field "{path}{key}" must be of type {" or ".join(types)}')


def check_call(method: str, params: dict[str, Any]) -> dict[str, Any]:
    """Validate a call; return the params decoded (JSON fields parsed)."""
    m = spec()["methods"].get(method)
    if m is None:
        raise BadRequest("Not Found: method not found", 404)
    fields = {f["name"]: f for f in m["fields"]}
    decoded = {}
    for key, value in params.items():
        if key not in fields:
            raise BadRequest(f'Bad Request: unknown parameter "{key}"')
        decoded[key] = decode_form_value(value, fields[key]["types"])
    check_object(decoded, m["fields"], "")
    _check_lengths(method, decoded)
    if "reply_markup" in decoded:
        check_markup(decoded["reply_markup"])
    return decoded


def _check_lengths(method: str, params: dict[str, Any]) -> None:
    mode = params.get("parse_mode")
    if mode not in (None, "", "HTML", "MarkdownV2", "Markdown"):
        raise BadRequest(f'Bad Request: unsupported parse_mode "{mode}"')
    for key, limit in (("text", MAX_TEXT), ("caption", MAX_CAPTION)):
        if key not in params:
            continue
        raw = str(params[key])
        if mode == "HTML":
            visible = visible_text(raw)
        elif mode == "MarkdownV2":
            visible = markdown_v2_text(raw)
        else:
            visible = raw
        if key == "text" and not visible.strip():
            raise BadRequest("Bad Request: message text is empty")
        if len(visible) > limit:
            raise BadRequest(
                "Bad Request: message is too long"
                if key == "text"
                else "Bad Request: message caption is too long"
            )
    if method == "answerCallbackQuery" and len(str(params.get("text", ""))) > 200:
        raise BadRequest("Bad Request: MESSAGE_TOO_LONG")


def check_markup(markup: Any) -> None:
    if not isinstance(markup, dict):
        raise BadRequest("Bad Request: can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard") or []:
        for button in row:
            if len(_ACTIONS.intersection(button)) != 1:
                raise BadRequest("Bad Request: inline keyboard button must have exactly one action")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode("utf-8")) <= MAX_CALLBACK_BYTES:
                raise BadRequest("Bad Request: BUTTON_DATA_INVALID")
            if not str(button.get("text", "")).strip():
                raise BadRequest("Bad Request: inline keyboard button text is empty")
    for row in markup.get("keyboard") or []:
        for button in row:
            if isinstance(button, dict) and not str(button.get("text", "")).strip():
                raise BadRequest("Bad Request: keyboard button text is empty")


# one pass over an HTML text: a tag, an entity, or a "<" or "&" that starts neither
_HTML_TOKEN = re.compile(
    r"<(/?)([a-zA-Z][\w-]*)(\s[^<>]*)?>|&(?:(lt|gt|amp|quot)|#(\d+)|#x([0-9a-fA-F]+));|([<&])"
)
_ATTR = re.compile(r"""([^\s=/>]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]*))?""")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);")


def _attrs(raw: str | None) -> dict[str, str]:
    out = {}
    for name, value in _ATTR.findall(raw or ""):
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        out[name.lower()] = html.unescape(value)
    return out


@lru_cache(maxsize=256)
def visible_text(html_text: str) -> str:
    """The text Telegram shows for an HTML message; raises BadRequest where Telegram would.

    Telegram's subset: known tags, properly nested, only the four named entities and
    numeric ones, no bare "<" or "&". One regular-expression pass (html.parser took a
    third of the sandbox's time per message); cached because the sandbox checks a
    message and then shows it.
    """
    stack: list[str] = []
    text: list[str] = []
    pos = 0
    for m in _HTML_TOKEN.finditer(html_text):
        text.append(html_text[pos : m.start()])
        pos = m.end()
        closing, tag, attrs, named, dec, hexa, bare = m.groups()
        if bare == "&":
            raise BadRequest('Bad Request: can\'t parse entities: unescaped "&"')
        if bare == "<":
            raise BadRequest('Bad Request: can\'t parse entities: unexpected "<"')
        if named:
            text.append(_NAMED[named])
        elif dec or hexa:
            text.append(chr(int(dec) if dec else int(hexa, 16)))
        elif closing:
            tag = tag.lower()
            if not stack or stack[-1] != tag:
                raise BadRequest(f'Bad Request: can\'t parse entities: unmatched end tag "{tag}"')
            stack.pop()
        else:
            tag = tag.lower()
            if attrs and any(not _ENTITY.match(attrs, i) for i, c in enumerate(attrs) if c == "&"):
                raise BadRequest('Bad Request: can\'t parse entities: unescaped "&"')
            if tag not in HTML_TAGS:
                raise BadRequest(f'Bad Request: can\'t parse entities: unsupported start tag "{tag}"')
            if tag == "span" and _attrs(attrs).get("class") != "tg-spoiler":
                raise BadRequest("Bad Request: can't parse entities: span without class tg-spoiler")
            if tag == "a" and not _attrs(attrs).get("href"):
                raise BadRequest("Bad Request: can't parse entities: a tag without href")
            stack.append(tag)
    if stack:
        raise BadRequest(
            f"Bad Request: can't parse entities: can't find end tag corresponding to \"{stack[-1]}\""
        )
    text.append(html_text[pos:])
    return "".join(text)
