"""Filters checked in the event loop.

aiogram runs a bare magic filter (`F.text == ...`) as a plain callable, and plain
callables go through `asyncio.to_thread`: one thread hop per check, several per message
as an update passes the routers (measured: about a third of a search update's time).
Wrapped in a `Filter`, the same expression is awaited directly.
"""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.filters import Filter
from aiogram.types import TelegramObject
from magic_filter import MagicFilter


class Magic(Filter):
    def __init__(self, magic: MagicFilter):
        self.magic = magic

    async def __call__(self, event: TelegramObject) -> Any:
        return self.magic.resolve(event)


def button(label: Any) -> Magic:
    """A reply-keyboard button's text, in the person's language (a lazy gettext string)."""
    return Magic(F.text == label)


class Question(Filter):
    """Typed text that is neither a command nor a menu button in the person's language."""

    def __init__(self, menu: tuple[Any, ...]):
        self.menu = menu

    async def __call__(self, event: TelegramObject) -> bool:
        text = getattr(event, "text", None)
        return bool(text) and not text.startswith("/") and all(text != str(label) for label in self.menu)


TEXT = Magic(F.text & ~F.text.startswith("/"))  # typed text that is not a command
SLASH = Magic(F.text.startswith("/"))
LOCATION = Magic(F.location)
PHOTO = Magic(F.photo)
DOCUMENT = Magic(F.document)
