"""aiogram's HTTP session, sending calls without files as JSON bodies.

aiogram posts every call as an urlencoded form; urlencoding a result card (about
1,500 characters with umlauts, emoji and HTML) runs byte by byte in Python and cost
more CPU than searching for the answer. The Bot API takes `application/json` for every
call; the JSON encoder is C. Calls with files still go as multipart forms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiohttp import ClientError

if TYPE_CHECKING:
    from aiogram import Bot


class JsonAiohttpSession(AiohttpSession):
    def json_body(self, bot: Bot, method: TelegramMethod[Any]) -> dict[str, Any] | None:
        """The call as one JSON object, or None when it carries a file."""
        files: dict[str, Any] = {}
        body = self._plain(bot, method.model_dump(warnings=False, exclude_none=True), files)
        return None if files else body

    def _plain(self, bot: Bot, value: Any, files: dict[str, Any]) -> Any:
        """JSON-ready values; aiogram's prepare_value only for what is not plain already.

        Cards carry a dozen buttons; prepare_value's generic walk over them took more
        time than dumping the whole call.
        """
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
        body = self.json_body(bot, method)
        if body is None:
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        try:
            async with session.post(
                url,
                data=self.json_dumps(body),
                headers={"Content-Type": "application/json"},
                timeout=self.timeout if timeout is None else timeout,
            ) as resp:
                raw_result = await resp.text()
        except TimeoutError as e:
            raise TelegramNetworkError(method=method, message="Request timeout error") from e
        except ClientError as e:
            raise TelegramNetworkError(method=method, message=f"{type(e).__name__}: {e}") from e
        response = self.check_response(bot=bot, method=method, status_code=resp.status, content=raw_result)
        return cast(TelegramType, response.result)
