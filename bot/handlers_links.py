"""Deep links into the bot (kept apart from handlers so the CLI needs no aiogram router)."""

from __future__ import annotations

INVITE_PREFIX = "inv_"


def invite_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username.lstrip('@')}?start={INVITE_PREFIX}{token}"
