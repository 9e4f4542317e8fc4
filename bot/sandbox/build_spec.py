"""Package the part of the Bot API description the sandbox validates against.

    python -m bot.sandbox.build_spec PATH/telegram-bot-api.json

Keeps the methods the bot uses and every type they reference; the description is
a machine-readable copy of the Telegram Bot API documentation (MIT licence).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

OUT = Path(__file__).parent / "bot_api_spec.json"
METHODS = (
    "getMe",
    "getUpdates",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "setChatMenuButton",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "deleteMessage",
    "answerCallbackQuery",
    "sendVenue",
    "sendLocation",
    "sendDocument",
    "sendPhoto",
    "sendChatAction",
    "close",
    "logOut",
)
TYPE_NAME = re.compile(r"[A-Z][A-Za-z]+")


def referenced(types: list[str]) -> set[str]:
    return {name for t in types for name in TYPE_NAME.findall(t)} - {
        "Array",
        "Integer",
        "String",
        "Boolean",
        "Float",
        "True",
        "InputFile",
    }


def _fields(entry: dict) -> list[dict]:
    """A method's or type's fields without their descriptions."""
    return [
        {"name": f["name"], "types": f["types"], "required": f["required"]} for f in entry.get("fields", [])
    ]


def main(src: Path) -> None:
    spec = json.loads(src.read_text(encoding="utf-8"))
    methods = {}
    todo: set[str] = set()
    for name in METHODS:
        m = spec["methods"][name]
        fields = _fields(m)
        methods[name] = {"fields": fields, "returns": m.get("returns", [])}
        for f in fields:
            todo |= referenced(f["types"])
    types: dict[str, dict] = {}
    while todo:
        name = todo.pop()
        if name in types or name not in spec["types"]:
            continue
        t = spec["types"][name]
        fields = _fields(t)
        types[name] = {"fields": fields, "subtypes": t.get("subtypes", [])}
        for f in fields:
            todo |= referenced(f["types"])
        todo |= set(t.get("subtypes", []))
    out = {
        "source": "Telegram Bot API description, machine-readable copy, MIT licence",
        "version": spec["version"],
        "release_date": spec["release_date"],
        "methods": methods,
        "types": dict(sorted(types.items())),
    }
    OUT.write_text(json.dumps(out, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"{len(methods)} methods, {len(types)} types -> {OUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/spec/telegram-bot-api.json"))
