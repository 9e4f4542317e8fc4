"""A local stand-in for api.telegram.org: Bot API over HTTP, simulated users, validation.

The bot talks to it exactly as to Telegram (`{base}/bot{token}/{method}`); tests and
`quartier chat` act as users through `BotAPISandbox.user(...)`. Every call is checked
(see validation.py); invalid ones get Telegram's error shape and are recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.sandbox.limits import Gate, Verdict
from bot.sandbox.validation import BadRequest, check_call

if TYPE_CHECKING:
    from bot.sandbox.users import SandboxUser

log = logging.getLogger(__name__)
BOT_USER = {
    "id": 100000001,
    "is_bot": True,
    "first_name": "Quartiersassistent",
    "username": "quartier_sandbox_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
MAX_POLL_S = 50
# update kinds a bot gets only when it names them in allowed_updates
NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


@dataclass(slots=True)
class Call:
    method: str
    params: dict[str, Any]
    ok: bool
    at: float


@dataclass(slots=True)
class InvalidCall:
    method: str
    params: dict[str, Any]
    reason: str


@dataclass(slots=True)
class SentMessage:
    """What the bot sent (or edited) in a chat, as Telegram would keep it."""

    method: str
    params: dict[str, Any]
    message: dict[str, Any]
    document: bytes | None = None


@dataclass
class _Chat:
    user: dict[str, Any]  # a private chat's person (a group: empty, members send as themselves)
    next_id: itertools.count = field(default_factory=lambda: itertools.count(1))
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)  # by message_id
    bot_messages: set[int] = field(default_factory=set)
    outbox: list[SentMessage] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)  # answerCallbackQuery, in order
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    info: dict[str, Any] | None = None  # a group's chat object; None for a private chat


class BotAPISandbox:
    def __init__(self, token: str = "123456:TEST", *, host: str = "127.0.0.1", port: int = 0):
        self.token = token
        self.host, self.port = host, port
        self.calls: list[Call] = []
        self.invalid_calls: list[InvalidCall] = []
        self.chats: dict[int, _Chat] = {}
        self.updates: list[dict[str, Any]] = []
        self.allowed_updates: frozenset[str] | None = None  # None: Telegram's default
        self.dropped_updates: list[dict[str, Any]] = []  # of kinds the bot did not ask for
        self.update_ids = itertools.count(1)
        self.confirmed = 0  # highest update_id the bot confirmed via getUpdates offset
        self.new_update = asyncio.Condition()
        self.pending_queries: dict[str, int] = {}  # callback query id -> the user who pressed
        self.webhook: dict[str, Any] | None = None
        self.commands: dict[str, Any] = {}
        self.gate = Gate()  # Telegram's limits and injected faults; off until a test sets them
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task] = set()

    # -- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # port 0 -> the one chosen

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- users -------------------------------------------------------------------------
    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        language_code: str | None = "de",
        username: str | None = None,
    ) -> SandboxUser:
        from bot.sandbox.users import SandboxUser

        info = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            info["language_code"] = language_code
        if username:
            info["username"] = username
        self.chats.setdefault(user_id, _Chat(info))
        return SandboxUser(self, user_id)

    def group(self, chat_id: int, title: str = "Nachbarschaft", kind: str = "supergroup") -> int:
        """A group with the bot in it; people write there with `user.in_group(chat_id)`."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        info = {"id": chat_id, "type": kind, "title": title}
        self.chats.setdefault(chat_id, _Chat({}, info=info))
        return chat_id

    def outbox(self, chat_id: int) -> list[SentMessage]:
        return list(self.chats[chat_id].outbox) if chat_id in self.chats else []

    def wants(self, update: dict[str, Any]) -> bool:
        """Whether the bot asked for this kind of update (allowed_updates, as Telegram keeps it)."""
        kind = next((k for k in update if k != "update_id"), "")
        if self.allowed_updates is None:
            return kind not in NOT_BY_DEFAULT
        return kind in self.allowed_updates

    def _allow(self, params: dict[str, Any]) -> None:
        if "allowed_updates" in params:  # absent: the previous setting stays
            kinds = params["allowed_updates"] or []
            self.allowed_updates = frozenset(kinds) if kinds else None

    async def push_update(self, update: dict[str, Any]) -> int:
        update_id = next(self.update_ids)
        update = {"update_id": update_id, **update}
        if not self.wants(update):
            self.dropped_updates.append(update)  # Telegram does not keep it either
            return update_id
        if self.webhook:
            task = asyncio.create_task(self._deliver(update))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return update_id
        async with self.new_update:
            self.updates.append(update)
            self.new_update.notify_all()
        return update_id

    async def _deliver(self, update: dict[str, Any]) -> None:
        import aiohttp

        headers = {}
        if self.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
        for attempt in range(3):
            try:
                async with (
                    aiohttp.ClientSession() as http,
                    http.post(self.webhook["url"], json=update, headers=headers) as resp,
                ):
                    if resp.status < 300:
                        self.confirmed = max(self.confirmed, update["update_id"])
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2 * (attempt + 1))

    def user_message(
        self, chat_id: int, sender: dict[str, Any] | None = None, **content: Any
    ) -> dict[str, Any]:
        chat = self.chats[chat_id]
        message = {
            "message_id": next(chat.next_id),
            "date": int(time.time()),
            "from": sender or chat.user,
            "chat": self._chat_info(chat),
            **content,
        }
        chat.messages[message["message_id"]] = message
        return message

    def _chat_info(self, chat: _Chat) -> dict[str, Any]:
        if chat.info is not None:
            return dict(chat.info)
        return {"id": chat.user["id"], "type": "private", "first_name": chat.user["first_name"]}

    # -- HTTP --------------------------------------------------------------------------
    async def _params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
        files: dict[str, bytes] = {}
        if request.content_type == "application/json":
            return dict(await request.json()), files
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type.startswith("multipart/"):
                reader = await request.multipart()
                while (part := await reader.next()) is not None:
                    if part.filename:
                        files[part.name] = (bytes(await part.read()), part.filename)
                    else:
                        params[part.name] = await part.text()
            else:
                params.update(dict(await request.post()))
        for name, (data, filename) in list(files.items()):
            files[name] = data
            # a file part is either referenced as attach://<name> or named after its field
            if f"attach://{name}" not in params.values():
                params[name] = f"attach://{name}"
            params[f"__filename_{name}"] = filename
        return params, files

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        params, files = await self._params(request)
        filenames = {k: params.pop(k) for k in list(params) if k.startswith("__filename_")}
        try:
            decoded = check_call(method, params)
            verdict = self.gate.check(method, _chat_id(decoded))
            if verdict is not None:
                return self._refuse(request, method, params, verdict)
            result = await getattr(self, f"_m_{method}", self._m_default)(decoded, files, filenames)
        except BadRequest as exc:
            self.calls.append(Call(method, params, False, time.time()))
            if exc.code != 409:
                self.invalid_calls.append(InvalidCall(method, params, exc.description))
            log.debug("invalid call %s: %s", method, exc.description)
            return web.json_response(
                {"ok": False, "error_code": exc.code, "description": exc.description}, status=exc.code
            )
        self.calls.append(Call(method, params, True, time.time()))
        return web.json_response({"ok": True, "result": result}, dumps=_dumps)

    def _refuse(
        self, request: web.Request, method: str, params: dict[str, Any], verdict: Verdict
    ) -> web.Response:
        """Telegram saying no: a limit, a blocked chat, a server error, or no answer at all."""
        self.calls.append(Call(method, params, False, time.time()))
        if verdict.drop and request.transport is not None:
            request.transport.close()
        body: dict[str, Any] = {"ok": False, "error_code": verdict.status, "description": verdict.description}
        if verdict.retry_after is not None:
            body["parameters"] = {"retry_after": verdict.retry_after}
        return web.json_response(body, status=verdict.status or 500)

    # -- methods -----------------------------------------------------------------------
    async def _m_default(self, params: dict[str, Any], files, filenames) -> Any:
        return True

    async def _m_getMe(self, params, files, filenames) -> Any:
        return BOT_USER

    async def _m_getMyCommands(self, params, files, filenames) -> Any:
        return self.commands.get(params.get("language_code") or "", [])

    async def _m_setMyCommands(self, params, files, filenames) -> Any:
        self.commands[params.get("language_code") or ""] = params["commands"]
        return True

    async def _m_setWebhook(self, params, files, filenames) -> Any:
        self._allow(params)
        self.webhook = {"url": params["url"], "secret_token": params.get("secret_token")}
        return True

    async def _m_deleteWebhook(self, params, files, filenames) -> Any:
        self.webhook = None
        if str(params.get("drop_pending_updates")).lower() == "true":
            self.updates.clear()
        return True

    async def _m_getWebhookInfo(self, params, files, filenames) -> Any:
        return {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }

    async def _m_getUpdates(self, params, files, filenames) -> Any:
        if self.webhook:
            raise BadRequest(
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
                409,
            )
        self._allow(params)
        offset = int(params.get("offset") or 0)
        if offset:
            self.confirmed = max(self.confirmed, offset - 1)
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        limit = int(params.get("limit") or 100)
        timeout = min(float(params.get("timeout") or 0), MAX_POLL_S)
        async with self.new_update:
            if not self.updates and timeout > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.new_update.wait(), timeout)
            return self.updates[:limit]

    def _chat(self, params: dict[str, Any]) -> _Chat:
        chat_id = int(params["chat_id"]) if str(params.get("chat_id", "")).lstrip("-").isdigit() else None
        if chat_id not in self.chats:
            raise BadRequest("Bad Request: chat not found")
        return self.chats[chat_id]

    def _record(
        self,
        chat: _Chat,
        method: str,
        params: dict[str, Any],
        content: dict[str, Any],
        document: bytes | None = None,
    ) -> dict[str, Any]:
        message = {
            "message_id": next(chat.next_id),
            "date": int(time.time()),
            "from": BOT_USER,
            "chat": self._chat_info(chat),
            **content,
        }
        if isinstance(params.get("reply_markup"), dict) and "inline_keyboard" in params["reply_markup"]:
            message["reply_markup"] = params["reply_markup"]
        chat.messages[message["message_id"]] = message
        chat.bot_messages.add(message["message_id"])
        chat.outbox.append(SentMessage(method, params, message, document))
        chat.changed.set()
        return message

    async def _m_sendMessage(self, params, files, filenames) -> Any:
        chat = self._chat(params)
        return self._record(chat, "sendMessage", params, {"text": _shown(params, "text")})

    async def _m_sendVenue(self, params, files, filenames) -> Any:
        chat = self._chat(params)
        location = {"latitude": float(params["latitude"]), "longitude": float(params["longitude"])}
        venue = {"location": location, "title": params["title"], "address": params["address"]}
        return self._record(chat, "sendVenue", params, {"venue": venue, "location": location})

    async def _m_sendLocation(self, params, files, filenames) -> Any:
        chat = self._chat(params)
        location = {"latitude": float(params["latitude"]), "longitude": float(params["longitude"])}
        return self._record(chat, "sendLocation", params, {"location": location})

    async def _m_sendDocument(self, params, files, filenames) -> Any:
        chat = self._chat(params)
        ref = str(params["document"])
        name = ref.removeprefix("attach://")
        data = files.get(name)
        if data is None and ref.startswith("attach://"):
            raise BadRequest("Bad Request: wrong file identifier/HTTP URL specified")
        file_name = filenames.get(f"__filename_{name}", "file")
        document = {
            "file_id": uuid.uuid4().hex,
            "file_unique_id": uuid.uuid4().hex[:16],
            "file_name": file_name,
            "file_size": len(data or b""),
        }
        content = {"document": document}
        if params.get("caption"):
            content["caption"] = _shown(params, "caption")
        return self._record(chat, "sendDocument", params, content, data)

    async def _m_sendPhoto(self, params, files, filenames) -> Any:
        chat = self._chat(params)
        photo = [
            {"file_id": uuid.uuid4().hex, "file_unique_id": uuid.uuid4().hex[:16], "width": 1, "height": 1}
        ]
        content: dict[str, Any] = {"photo": photo}
        if params.get("caption"):
            content["caption"] = _shown(params, "caption")
        return self._record(chat, "sendPhoto", params, content)

    def _bot_message(self, params: dict[str, Any]) -> tuple[_Chat, dict[str, Any]]:
        chat = self._chat(params)
        mid = int(params.get("message_id") or 0)
        if mid not in chat.bot_messages:
            raise BadRequest("Bad Request: message to edit not found")
        return chat, chat.messages[mid]

    async def _m_editMessageText(self, params, files, filenames) -> Any:
        chat, message = self._bot_message(params)
        text = _shown(params, "text")
        markup = params.get("reply_markup")
        if message.get("text") == text and message.get("reply_markup") == markup:
            raise BadRequest(
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message"
            )
        message["text"] = text
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        chat.outbox.append(SentMessage("editMessageText", params, dict(message)))
        chat.changed.set()
        return message

    async def _m_editMessageReplyMarkup(self, params, files, filenames) -> Any:
        _chat, message = self._bot_message(params)
        markup = params.get("reply_markup")
        if message.get("reply_markup") == markup or (markup is None and "reply_markup" not in message):
            raise BadRequest(
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message"
            )
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        return message

    async def _m_deleteMessage(self, params, files, filenames) -> Any:
        chat, message = self._bot_message(params)
        chat.bot_messages.discard(message["message_id"])
        return True

    async def _m_answerCallbackQuery(self, params, files, filenames) -> Any:
        qid = params["callback_query_id"]
        if qid not in self.pending_queries:
            raise BadRequest(
                "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        user_id = self.pending_queries.pop(qid)
        if user_id in self.chats:
            self.chats[user_id].answers.append(
                {"text": params.get("text"), "show_alert": bool(params.get("show_alert"))}
            )
        return True


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)  # Telegram answers in plain UTF-8


def _chat_id(params: dict[str, Any]) -> int | None:
    value = str(params.get("chat_id", ""))
    return int(value) if value.lstrip("-").isdigit() else None


def _shown(params: dict[str, Any], key: str) -> str:
    from bot.sandbox.validation import visible_text

    raw = str(params.get(key, ""))
    return visible_text(raw) if params.get("parse_mode") == "HTML" else raw


async def run_sandbox(host: str, port: int, token: str) -> None:
    sandbox = BotAPISandbox(token=token, host=host, port=port)
    await sandbox.start()
    print(f"Bot API sandbox at {sandbox.base_url} (token {token})", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await sandbox.stop()
