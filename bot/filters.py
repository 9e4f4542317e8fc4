"""Filters checked in the event loop.

aiogram runs a bare magic filter (`F.text == ...`) as a plain callable, and plain
callables go through `asyncio.to_thread`: one thread hop per check, several per message
as an update passes the routers (measured: about a third of a search update's time).
Wrapped in a `Filter`, the same expression is awaited directly.
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Filter
from aiogram.types import Chat, TelegramObject
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
    """Typed text outside any form that is neither a command nor a menu button in the person's language.

    One filter for what took two (a state filter and a text filter): this runs for
    every message, and each filter costs aiogram a call with its own arguments.
    """

    def __init__(self, menu: tuple[Any, ...]):
        self.menu = menu
        self._labels: dict[str, frozenset[str]] = {}  # per language: translated once, not per message

    async def __call__(
        self, event: TelegramObject, raw_state: str | None = None, i18n_lang: str | None = None
    ) -> bool:
        text = getattr(event, "text", None)
        if raw_state is not None or not text or text.startswith("/"):
            return False
        labels = self._labels.get(i18n_lang) if i18n_lang else None
        if labels is None:
            labels = frozenset(str(label) for label in self.menu)  # in the update's locale
            if i18n_lang:
                self._labels[i18n_lang] = labels
        return text not in labels


class ChatKind(Filter):
    """The chat the update belongs to (for a button: the chat of its message) is of these kinds.

    It reads the chat aiogram has already resolved for the update (`event_chat`), so one
    filter serves messages, button presses and membership changes alike.
    """

    def __init__(self, *kinds: str):
        self.kinds = frozenset(kinds)

    async def __call__(self, event: TelegramObject, event_chat: Chat | None = None) -> bool:
        return event_chat is not None and event_chat.type in self.kinds


PRIVATE = ChatKind(ChatType.PRIVATE)
GROUP = ChatKind(ChatType.GROUP, ChatType.SUPERGROUP)


def private_only(router: Router) -> Router:
    """Nothing of this router runs outside a private chat: personal data is never posted to a group.

    A router-level filter, so a handler added later is covered without a check of its own.
    """
    for observer in (router.message, router.edited_message, router.callback_query, router.my_chat_member):
        observer.filter(PRIVATE)
    return router


TEXT = Magic(F.text & ~F.text.startswith("/"))  # typed text that is not a command
SLASH = Magic(F.text.startswith("/"))
LOCATION = Magic(F.location)
PHOTO = Magic(F.photo)
DOCUMENT = Magic(F.document)
