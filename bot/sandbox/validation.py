"""Check Bot API calls as Telegram would: fields, types, lengths, markup and HTML.

Pure functions over the packaged description (bot_api_spec.json); each failure is
a `BadRequest` whose text follows Telegram's "Bad Request: ..." wording.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from html.parser import HTMLParser
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
TAG = re.compile(r"</?[a-zA-Z][\w-]*(\s[^<>]*)?>")
ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);")


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


def _matches(value: Any, type_name: str, path: str) -> bool:
    if type_name.startswith("Array of "):
        inner = type_name[len("Array of ") :]
        return isinstance(value, list) and all(_matches(v, inner, path) for v in value)
    if type_name == "Integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return True
        return isinstance(value, str) and re.fullmatch(r"-?\d+", value) is not None
    if type_name == "Float":
        try:
            float(value)
        except (TypeError, ValueError):
            return False
        return not isinstance(value, bool)
    if type_name == "String":
        return isinstance(value, str)
    if type_name in ("Boolean", "True"):
        return (
            value in (True, False, "true", "false", "True", "False")
            if type_name == "Boolean"
            else value in (True, "true", "True")
        )
    if type_name == "InputFile":
        return isinstance(value, bytes | str)
    t = spec()["types"].get(type_name)
    if t is None:
        return True  # a type outside the packaged part is not ours to judge
    if t.get("subtypes"):
        return any(_matches(value, sub, path) for sub in t["subtypes"])
    if not isinstance(value, dict):
        return False
    try:
        check_object(value, t["fields"], f"{path}")
    except BadRequest:
        return False
    return True


# a field list -> its names; the list is kept with them, so its id cannot be reused
_KNOWN: dict[int, tuple[list[dict[str, Any]], set[str]]] = {}


def check_object(value: dict[str, Any], fields: list[dict[str, Any]], path: str) -> None:
    entry = _KNOWN.get(id(fields))
    if entry is None or entry[0] is not fields:
        entry = _KNOWN[id(fields)] = (fields, {f["name"] for f in fields})
    known = entry[1]
    for key in value:
        if key not in known:
            raise BadRequest(f'Bad Request: unknown field "{path}{key}"')
    for f in fields:
        if f["required"] and f["name"] not in value:
            raise BadRequest(f'Bad Request: field "{path}{f["name"]}" is required')
        if f["name"] in value and not any(_matches(value[f["name"]], t, path) for t in f["types"]):
            raise BadRequest(
                f'Bad Request: field "{path}{f["name"]}" must be of type {" or ".join(f["types"])}'
            )


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
            actions = [a for a in BUTTON_ACTIONS if a in button]
            if len(actions) != 1:
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


class _TelegramHTML(HTMLParser):
    """Telegram's HTML subset: known tags, properly nested, entities only where allowed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in HTML_TAGS:
            raise BadRequest(f'Bad Request: can\'t parse entities: unsupported start tag "{tag}"')
        if tag == "span" and dict(attrs).get("class") != "tg-spoiler":
            raise BadRequest("Bad Request: can't parse entities: span without class tg-spoiler")
        if tag == "a" and not dict(attrs).get("href"):
            raise BadRequest("Bad Request: can't parse entities: a tag without href")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise BadRequest(f'Bad Request: can\'t parse entities: unmatched end tag "{tag}"')
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in ("lt", "gt", "amp", "quot"):
            raise BadRequest(f'Bad Request: can\'t parse entities: unsupported entity "&{name};"')
        self.text.append({"lt": "<", "gt": ">", "amp": "&", "quot": '"'}[name])

    def handle_charref(self, name: str) -> None:
        self.text.append(chr(int(name[1:], 16) if name.lower().startswith("x") else int(name)))


def visible_text(html_text: str) -> str:
    """The text Telegram shows for an HTML message; raises BadRequest where Telegram would."""
    # a bare "&" that starts no entity, or a "<" that starts no tag, is an error in Telegram
    for m in re.finditer("&", html_text):
        if not ENTITY.match(html_text, m.start()):
            raise BadRequest('Bad Request: can\'t parse entities: unescaped "&"')
    for m in re.finditer("<", html_text):
        if not TAG.match(html_text, m.start()):
            raise BadRequest('Bad Request: can\'t parse entities: unexpected "<"')
    parser = _TelegramHTML()
    parser.feed(html_text)
    parser.close()
    if parser.stack:
        raise BadRequest(
            f"Bad Request: can't parse entities: can't find end tag corresponding to \"{parser.stack[-1]}\""
        )
    return "".join(parser.text)
