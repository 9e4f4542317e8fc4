"""A Bot whose session answers every API call locally, recording the calls.

Modelled on aiogram's own tests/mocked_bot.py: handlers run for real through
Dispatcher.feed_update; only the HTTP round trip is replaced.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import AsyncGenerator
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.enums import ParseMode
from aiogram.methods import TelegramMethod
from aiogram.types import (
    CallbackQuery,
    Chat,
    ChatMemberUpdated,
    Location,
    Message,
    Update,
    User,
)

BOT_USER = User(id=42, is_bot=True, first_name="Quartiersassistent", username="quartier_test_bot")


class MockedSession(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self._ids = itertools.count(1000)

    async def make_request(self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None) -> Any:
        self.requests.append(method)
        returning = method.__returning__
        if returning is bool:
            return True
        if returning is Message or getattr(returning, "__name__", "") == "Message":
            chat_id = getattr(method, "chat_id", None) or 1
            return Message(
                message_id=next(self._ids),
                date=dt.datetime.now(dt.UTC),
                chat=Chat(id=int(chat_id), type="private"),
                from_user=BOT_USER,
                text=getattr(method, "text", None),
            )
        if returning is User:
            return BOT_USER
        return True

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
        yield b""

    async def close(self) -> None:
        pass

    def sent(self, name: str | None = None) -> list[TelegramMethod[Any]]:
        return [r for r in self.requests if name is None or type(r).__name__ == name]


def make_mocked_bot() -> Bot:
    return Bot("42:TEST", session=MockedSession(), default=DefaultBotProperties(parse_mode=ParseMode.HTML))


class People:
    """Builds updates as Telegram would send them for one user."""

    _update_ids = itertools.count(1)
    _message_ids = itertools.count(1)

    def __init__(self, user_id: int = 7001, language_code: str | None = "de", chat: Chat | None = None):
        self.user = User(id=user_id, is_bot=False, first_name="Erika", language_code=language_code)
        self.chat = chat or Chat(id=user_id, type="private", first_name="Erika")

    def in_group(self, chat_id: int = -100_777, kind: str = "supergroup") -> People:
        """The same person writing in a group the bot is a member of."""
        other = People.__new__(People)
        other.user, other.chat = self.user, Chat(id=chat_id, type=kind, title="Nachbarschaft Durlach")
        return other

    def member_change(self, old: str, new: str) -> Update:
        """The bot's membership in this chat changed by this person (a block, a kick from a group)."""
        from aiogram.types import ChatMemberBanned, ChatMemberMember

        states = {
            "member": ChatMemberMember(user=BOT_USER),
            "kicked": ChatMemberBanned(user=BOT_USER, until_date=0),
        }
        return Update(
            update_id=next(self._update_ids),
            my_chat_member=ChatMemberUpdated(
                chat=self.chat,
                from_user=self.user,
                date=dt.datetime.now(dt.UTC),
                old_chat_member=states[old],
                new_chat_member=states[new],
            ),
        )

    def _message(self, **kw: Any) -> Message:
        return Message(
            message_id=next(self._message_ids),
            date=dt.datetime.now(dt.UTC),
            chat=self.chat,
            from_user=self.user,
            **kw,
        )

    def text(self, text: str) -> Update:
        entities = None
        if text.startswith("/"):
            from aiogram.types import MessageEntity

            entities = [MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))]
        return Update(update_id=next(self._update_ids), message=self._message(text=text, entities=entities))

    def location(self, lat: float, lon: float) -> Update:
        return Update(
            update_id=next(self._update_ids),
            message=self._message(location=Location(latitude=lat, longitude=lon)),
        )

    def sticker_like(self) -> Update:
        from aiogram.types import Contact

        return Update(
            update_id=next(self._update_ids),
            message=self._message(contact=Contact(phone_number="+49", first_name="X")),
        )

    def press(self, data: str, message_id: int = 1) -> Update:
        msg = Message(
            message_id=message_id, date=dt.datetime.now(dt.UTC), chat=self.chat, from_user=BOT_USER, text="…"
        )
        return Update(
            update_id=next(self._update_ids),
            callback_query=CallbackQuery(
                id=str(next(self._update_ids)),
                from_user=self.user,
                chat_instance="ci",
                message=msg,
                data=data,
            ),
        )
