"""Simulated Telegram users: they send texts, locations and button presses, and read replies."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.sandbox.server import BotAPISandbox, SentMessage


class SandboxUser:
    def __init__(self, sandbox: BotAPISandbox, user_id: int):
        self.sandbox = sandbox
        self.id = user_id
        self._seen = 0  # how much of the outbox earlier waits returned

    @property
    def _chat(self):
        return self.sandbox.chats[self.id]

    @property
    def _user(self) -> dict[str, Any]:
        """Who is acting: the person of this private chat."""
        return self._chat.user

    def in_group(self, chat_id: int) -> GroupMember:
        """This person writing and pressing in a group (see BotAPISandbox.group)."""
        return GroupMember(self.sandbox, chat_id, self.id)

    @property
    def messages(self) -> list[SentMessage]:
        return self.sandbox.outbox(self.id)

    @property
    def last_message(self) -> SentMessage | None:
        out = self.messages
        return out[-1] if out else None

    async def _send(self, **content: Any) -> int:
        message = self.sandbox.user_message(self.id, sender=self._user, **content)
        return await self.sandbox.push_update({"message": message})

    async def send_text(self, text: str) -> int:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return await self._send(**content)

    async def send_location(self, lat: float, lon: float) -> int:
        return await self._send(location={"latitude": lat, "longitude": lon})

    async def send_sticker(self) -> int:
        sticker = {
            "file_id": uuid.uuid4().hex,
            "file_unique_id": uuid.uuid4().hex[:16],
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return await self._send(sticker=sticker)

    async def send_photo(self, caption: str | None = None) -> int:
        photo = [
            {"file_id": uuid.uuid4().hex, "file_unique_id": uuid.uuid4().hex[:16], "width": 10, "height": 10}
        ]
        return await self._send(photo=photo, **({"caption": caption} if caption else {}))

    async def press(self, message_id: int, callback_data: str) -> int:
        """Press an inline button (any data: forged presses are how tests probe the bot)."""
        message = self._chat.messages.get(message_id) or {
            "message_id": message_id,
            "date": 0,
            "chat": self.sandbox._chat_info(self._chat),
            "text": "…",
        }
        query_id = uuid.uuid4().hex
        self.sandbox.pending_queries[query_id] = self.id
        query = {
            "id": query_id,
            "from": self._user,
            "chat_instance": str(self.id),
            "message": message,
            "data": callback_data,
        }
        return await self.sandbox.push_update({"callback_query": query})

    async def press_button(self, text: str, message_id: int | None = None) -> int:
        for sent in reversed(self.messages):
            if message_id is not None and sent.message["message_id"] != message_id:
                continue
            markup = sent.params.get("reply_markup") or {}
            for row in markup.get("inline_keyboard") or []:
                for button in row:
                    if button.get("text") == text:
                        return await self.press(sent.message["message_id"], button["callback_data"])
            for row in markup.get("keyboard") or []:
                for button in row:
                    if button.get("text") == text:
                        return await self.send_text(text)
        raise LookupError(f"no button {text!r}")

    async def wait_for_bot(self, count: int = 1, timeout: float = 5.0) -> list[SentMessage]:
        """The next `count` messages (or edits) the bot sent this person since the last wait."""
        chat = self._chat
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(chat.outbox) - self._seen < count:
            chat.changed.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"bot sent {len(chat.outbox) - self._seen} of {count} messages")
            try:
                await asyncio.wait_for(chat.changed.wait(), remaining)
            except TimeoutError:
                continue
        new = chat.outbox[self._seen : self._seen + count]
        self._seen += count
        return new

    async def block(self) -> int:
        """Block the bot, as a person can: later messages get 403, the bot hears my_chat_member."""
        self.sandbox.gate.blocked_chats.add(self.id)
        return await self._member_update("member", "kicked")

    async def unblock(self) -> int:
        self.sandbox.gate.blocked_chats.discard(self.id)
        return await self._member_update("kicked", "member")

    async def _member_update(self, old: str, new: str) -> int:
        from bot.sandbox.server import BOT_USER

        chat = self.sandbox._chat_info(self._chat)
        update = {
            "chat": chat,
            "from": self._user,
            "date": 0,
            "old_chat_member": {"status": old, "user": BOT_USER},
            "new_chat_member": {
                "status": new,
                "user": BOT_USER,
                **({"until_date": 0} if new == "kicked" else {}),
            },
        }
        return await self.sandbox.push_update({"my_chat_member": update})

    @property
    def answers(self) -> list[dict[str, Any]]:
        """What the bot answered to this person's button presses (toasts and alerts)."""
        return self._chat.answers

    async def press_for_answer(
        self, message_id: int, callback_data: str, timeout: float = 5.0
    ) -> dict[str, Any]:
        """Press a button and return the bot's answer to the press (its toast or alert)."""
        seen = len(self._chat.answers)
        await self.press(message_id, callback_data)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self._chat.answers) <= seen:
            if loop.time() > deadline:
                raise TimeoutError("no answer to the button press")
            await asyncio.sleep(0.01)
        return self._chat.answers[seen]

    async def wait_for_answer(self, update_id: int, timeout: float = 5.0) -> None:
        """Wait until the bot confirmed the update (a later getUpdates offset, or a webhook 2xx)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.sandbox.confirmed < update_id:
            if loop.time() > deadline:
                raise TimeoutError(f"update {update_id} not confirmed")
            await asyncio.sleep(0.02)


class GroupMember(SandboxUser):
    """A person in a group: messages, presses and membership changes come from them, in the group.

    Reading (`messages`, `wait_for_bot`, `answers`) is the group's: what everybody there sees.
    """

    def __init__(self, sandbox: BotAPISandbox, group_id: int, user_id: int):
        super().__init__(sandbox, group_id)
        self.user_id = user_id

    @property
    def _user(self) -> dict[str, Any]:
        return self.sandbox.chats[self.user_id].user

    async def remove_bot(self) -> int:
        """This person removes the bot from the group (the bot hears my_chat_member, in the group)."""
        return await self._member_update("member", "kicked")
