"""The webhook: only Telegram's posts are handled.

Guarantees:
- There is no webhook without a secret: `SecretRequestHandler` refuses to be built
  without one, and every post must carry it in `X-Telegram-Bot-Api-Secret-Token`
  (compared in constant time); a post without it or with another one is answered 401
  and reaches no handler.
- Optionally (QUARTIER_WEBHOOK_TELEGRAM_NETWORKS_ONLY) only posts from Telegram's
  networks are taken (403 otherwise). The sender is the connection's peer;
  X-Forwarded-For is believed only from QUARTIER_WEBHOOK_TRUSTED_PROXIES, read from the
  right, so a client cannot claim a Telegram address by sending the header itself.
- A post whose update the library cannot parse is answered 200 (Telegram would
  otherwise send it again and again) and skipped with one masked log line.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiogram.webhook.security import IPFilter
from aiohttp import web

from bot.settings import Settings
from bot.updates import parse_update

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class SecretRequestHandler(SimpleRequestHandler):
    """aiogram's handler with the secret required and unparseable updates skipped."""

    def __init__(self, dispatcher: Dispatcher, bot: Bot, secret_token: str, **data: Any):
        if not secret_token:
            raise ValueError("a webhook needs a secret token")
        super().__init__(dispatcher, bot, handle_in_background=True, secret_token=secret_token, **data)
        self._tasks: set[asyncio.Task] = set()

    def verify_secret(self, telegram_secret_token: str, bot: Bot) -> bool:
        # bytes: compare_digest refuses non-ASCII str, and the header is the sender's choice
        given = telegram_secret_token.encode("utf-8", "replace")
        return secrets.compare_digest(given, (self.secret_token or "").encode())

    async def _handle_request_background(self, bot: Bot, request: web.Request) -> web.Response:
        try:
            raw = await request.json(loads=bot.session.json_loads)
        except ValueError:
            log.warning("webhook post with the right secret but no JSON body refused")
            return web.json_response({}, status=400)
        update = parse_update(raw, bot)
        if update is not None:
            task = asyncio.create_task(self._feed(bot, update))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return web.json_response({}, dumps=bot.session.json_dumps)

    async def _feed(self, bot: Bot, update: Update) -> None:
        try:
            result = await self.dispatcher.feed_update(bot, update, **self.data)
        except Exception as exc:  # the errors router handles nearly all; this keeps the rest one line
            log.error("update %s failed: %s", update.update_id, type(exc).__name__)
            return
        if isinstance(result, TelegramMethod):
            await self.dispatcher.silent_call_request(bot=bot, result=result)


def _networks(values: Iterable[str]) -> list[Network]:
    return [ipaddress.ip_network(v, strict=False) for v in values]


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def client_address(peer: str | None, forwarded_for: str, trusted: list[Network]) -> str | None:
    """Who sent the request: the peer, or, behind trusted proxies, the last hop they did not add."""
    hops = [h for h in (forwarded_for or "").split(",") if h.strip()]
    current = peer
    while current is not None:
        addr = _address(current)
        if addr is None or not any(addr in net for net in trusted) or not hops:
            return current
        current = hops.pop().strip()  # each proxy appends the address it was connected from
    return None


def telegram_networks_middleware(
    trusted_proxies: Iterable[str] = (), allowed: IPFilter | None = None
) -> Callable[[web.Request, Callable[[web.Request], Awaitable[web.StreamResponse]]], Awaitable[Any]]:
    ip_filter = allowed or IPFilter.default()
    trusted = _networks(trusted_proxies)

    @web.middleware
    async def only_telegram(request: web.Request, handler) -> web.StreamResponse:
        sender = client_address(request.remote, request.headers.get("X-Forwarded-For", ""), trusted)
        addr = _address(sender or "")
        if not isinstance(addr, ipaddress.IPv4Address) or addr not in ip_filter:
            log.warning("webhook post from outside Telegram's networks refused")
            raise web.HTTPForbidden()
        return await handler(request)

    return only_telegram


def make_webhook_app(dp: Dispatcher, bot: Bot, settings: Settings) -> web.Application:
    """The aiohttp application serving WEBHOOK_PATH; the dispatcher starts and stops with it."""
    middlewares = (
        [telegram_networks_middleware(settings.webhook_trusted_proxies)]
        if settings.webhook_telegram_networks_only
        else []
    )
    app = web.Application(middlewares=middlewares)
    SecretRequestHandler(dp, bot, settings.webhook_secret or "").register(app, path=WEBHOOK_PATH)
    setup_application(app, dp, bot=bot)
    return app
