"""aiogram's HTTP session, sending calls without files as JSON bodies, texts within Telegram's limits.

aiogram posts every call as an urlencoded form; urlencoding a result card (about
1,500 characters with umlauts, emoji and HTML) runs byte by byte in Python and cost
more CPU than searching for the answer. The Bot API takes `application/json` for every
call; the JSON encoder is C. Calls with files still go as multipart forms.

A getUpdates batch the library cannot parse as a whole is parsed update by update: the
ones that fail are skipped with a masked log line (bot/updates.py), and the next
getUpdates confirms them, so one malformed update cannot stop polling for everybody.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

from aiogram.client.default import Default, DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import ClientDecodeError, TelegramNetworkError
from aiogram.methods import AnswerCallbackQuery, GetUpdates, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import InlineKeyboardMarkup
from aiohttp import ClientError, ClientTimeout
from pydantic import ValidationError

from bot.safe_html import MAX_ALERT, MAX_CAPTION, MAX_TEXT, fit
from bot.updates import parse_batch

if TYPE_CHECKING:
    from aiogram import Bot


class _Decoded(str):
    """A response body already decoded, so check_response does not decode it again."""

    data: Any

    def __new__(cls, raw: str, data: Any) -> _Decoded:
        self = super().__new__(cls, raw)
        self.data = data
        return self


def _loads(content: str) -> Any:
    return content.data if isinstance(content, _Decoded) else json.loads(content)


def _dumps(value: Any) -> str:
    # UTF-8 as it is: a card's umlauts and emoji escaped as \\uXXXX made the body a fifth longer
    return json.dumps(value, ensure_ascii=False)


def limit_texts(bot: Bot, method: TelegramMethod[Any]) -> None:
    """Texts and captions cut to Telegram's limits before they are sent (bot.safe_html.fit).

    The renderers bound every value they put in; this is the guard for a message as a
    whole (a card of many long fields, a long /mydata), so that no answer fails for its length.
    """
    if isinstance(method, AnswerCallbackQuery):
        if method.text and len(method.text) > MAX_ALERT:
            method.text = fit(method.text, MAX_ALERT, is_html=False)
        return
    for field, limit in (("text", MAX_TEXT), ("caption", MAX_CAPTION)):
        value = getattr(method, field, None)
        if isinstance(value, str) and 2 * len(value) > limit:
            mode = getattr(method, "parse_mode", None)
            if isinstance(mode, Default):
                mode = bot.default[mode.name]
            mode = getattr(mode, "value", mode)  # ParseMode.HTML is a str enum: its str() is its name
            setattr(method, field, fit(value, limit, is_html=str(mode).upper() == "HTML"))


ANSWERS_KEPT = 4096  # button presses remembered as answered: the last minutes' at most


class JsonAiohttpSession(AiohttpSession):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(json_loads=_loads, json_dumps=_dumps, **kwargs)
        self._defaults: tuple[DefaultBotProperties | None, dict[str, Any]] = (None, {})
        self._confirm_through = 0  # highest update_id skipped as unparseable, confirmed by the next poll
        self._answered: OrderedDict[str, None] = OrderedDict()

    def was_answered(self, query_id: str) -> bool:
        """Whether the bot answered this button press already (Telegram takes one answer only)."""
        return query_id in self._answered

    def _default(self, bot: Bot, value: Default) -> Any:
        """A default of the bot as JSON, worked out once: DefaultBotProperties is immutable."""
        owner, plain = self._defaults
        if owner is not bot.default:
            owner, plain = self._defaults = (bot.default, {})
        if value.name not in plain:
            files: dict[str, Any] = {}
            plain[value.name] = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
        return plain[value.name]

    def json_body(self, bot: Bot, method: TelegramMethod[Any]) -> dict[str, Any] | None:
        """The call as one JSON object, or None when it carries a file."""
        encoded = self.encode(bot, method)
        return None if encoded is None else encoded[0]

    def encode(self, bot: Bot, method: TelegramMethod[Any]) -> tuple[dict[str, Any], str] | None:
        """(body, JSON text) of a call without files; None when it carries a file.

        Only the top level is looked at first: that is where aiogram leaves its
        placeholders for the bot's defaults (parse mode, link previews). Whatever the
        JSON encoder cannot take below that (a file in a media group, a date) sends the
        call through `_plain`, which hands each such value to aiogram's prepare_value.
        """
        files: dict[str, Any] = {}
        body: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False, exclude_none=True).items():
            if isinstance(value, Default):
                value = self._default(bot, value)
            elif not isinstance(value, str | int | float | dict | list):
                value = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if value is not None:
                body[key] = value
        if files:
            return None
        try:
            return body, self.json_dumps(body)
        except TypeError:
            body = self._plain(bot, body, files)
            return None if files else (body, self.json_dumps(body))

    def _plain(self, bot: Bot, value: Any, files: dict[str, Any]) -> Any:
        """JSON-ready values; aiogram's prepare_value only for what is not plain already."""
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if item is not None and (plain := self._plain(bot, item, files)) is not None:
                    out[key] = plain
            return out
        if isinstance(value, list):
            return [plain for item in value if (plain := self._plain(bot, item, files)) is not None]
        if isinstance(value, str | int | float | bool):
            return value
        return self.prepare_value(value, bot=bot, files=files, _dumps_json=False)

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        if isinstance(method, GetUpdates) and (method.offset or 0) <= self._confirm_through:
            method.offset = self._confirm_through + 1  # aiogram moves the offset past parsed updates only
        limit_texts(bot, method)
        if isinstance(method, AnswerCallbackQuery):
            self._answered[method.callback_query_id] = None
            if len(self._answered) > ANSWERS_KEPT:
                self._answered.popitem(last=False)
        encoded = self.encode(bot, method)
        if encoded is None:
            return await super().make_request(bot, method, timeout)
        body, data = encoded
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        try:
            async with session.post(
                url,
                data=data.encode(),
                headers=JSON_HEADERS,
                timeout=_client_timeout(self.timeout if timeout is None else timeout),
            ) as resp:
                # the Bot API answers in UTF-8 JSON: no charset sniffing per response
                raw_result = (await resp.read()).decode("utf-8", "replace")
        except TimeoutError as e:
            raise TelegramNetworkError(method=method, message="Request timeout error") from e
        except ClientError as e:
            raise TelegramNetworkError(method=method, message=f"{type(e).__name__}: {e}") from e
        content = _Decoded(raw_result, _reuse_keyboard(self.json_loads(raw_result), body, method))
        response = self.check_response(bot=bot, method=method, status_code=resp.status, content=content)
        return cast(TelegramType, response.result)

    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        try:
            return super().check_response(bot=bot, method=method, status_code=status_code, content=content)
        except ClientDecodeError as exc:
            # its message carries the whole batch: names, texts, addresses; never let it be logged
            data = exc.data
            if not (
                isinstance(method, GetUpdates)
                and isinstance(exc.original, ValidationError)
                and isinstance(data, dict)
                and isinstance(data.get("result"), list)
            ):
                masked = ValueError(f"{type(exc.original).__name__} (content hidden)")
                raise ClientDecodeError("Failed to deserialize object", masked, "[hidden]") from None
        kept, highest = parse_batch(data["result"], bot)
        if highest is not None:
            self._confirm_through = max(self._confirm_through, highest)
        return super().check_response(
            bot=bot, method=method, status_code=status_code, content=_Decoded("", {**data, "result": kept})
        )


JSON_HEADERS = {"Content-Type": "application/json"}


@lru_cache(maxsize=16)
def _client_timeout(seconds: float) -> ClientTimeout:
    """aiohttp builds a ClientTimeout from a plain number on every request; the few used are kept."""
    return ClientTimeout(total=seconds)


def _reuse_keyboard(data: Any, body: dict[str, Any], method: TelegramMethod[Any]) -> Any:
    """The sent keyboard object in place of its echo in the returned message.

    Telegram returns the message it sent with the keyboard as it was sent; turning that
    echo into a dozen pydantic buttons again cost more than building the answer. The
    object is used only when the echo equals what was sent, so the result is the same.
    """
    result = data.get("result") if isinstance(data, dict) else None
    markup = getattr(method, "reply_markup", None)
    if (
        isinstance(markup, InlineKeyboardMarkup)  # only inline keyboards come back in a message
        and isinstance(result, dict)
        and result.get("reply_markup") == body.get("reply_markup")
    ):
        result["reply_markup"] = markup
    return data
