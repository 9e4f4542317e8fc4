"""Settings from the environment (prefix QUARTIER_) and an optional .env file."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from knowledge.db import default_database_url

SANDBOX_TOKEN = "123456:SANDBOX"
# Telegram accepts 1-256 of these characters; fewer than 16 could be guessed
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{16,256}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QUARTIER_", env_file=".env", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    redis_url: str | None = None
    bot_token: str | None = None
    telegram_api_base: str | None = None  # e.g. http://127.0.0.1:8081 for a local Bot API server
    webhook_url: str | None = None  # public URL; when set, `quartier run` serves a webhook
    webhook_secret: str | None = None  # required with webhook_url: Telegram sends it with every update
    webhook_host: str = "127.0.0.1"
    webhook_port: int = 8080
    # accept webhook posts only from Telegram's networks (aiogram's DEFAULT_TELEGRAM_NETWORKS)
    webhook_telegram_networks_only: bool = False
    # reverse proxies in front of the webhook whose X-Forwarded-For is believed (addresses or networks)
    webhook_trusted_proxies: list[str] = Field(default_factory=list)
    group_mode: Literal["answer", "quiet"] = "answer"  # in groups: answer public questions, or stay quiet
    admin_ids: list[int] = Field(default_factory=list)
    default_language: str = "de"
    log_level: str = "INFO"
    page_size: int = Field(default=3, ge=1, le=10)
    # next dates and calendar files only from opening hours confirmed within this many months
    dates_confirmed_months: int = Field(default=12, ge=1, le=1200)
    throttle_rate: float = 2.0  # messages per second a person may send
    throttle_burst: int = 5
    bot_username: str = "QuartiersassistentBot"  # for invite links; `quartier run` asks Telegram
    signup_reminder_days: float = Field(default=3, gt=0)  # remind coordinators of untouched sign-ups
    signup_retention_days: int = Field(default=365, ge=1)  # erase sign-ups closed longer ago
    invite_hours: float = Field(default=72, gt=0)  # how long an invite link is valid
    # how long a person record is reused without asking the database (0: never)
    person_cache_seconds: float = Field(default=30, ge=0)
    maintenance_seconds: float = Field(default=900, gt=0)  # reminders and erasure run this often
    demand_text_days: int = Field(default=90, ge=1)  # wording of no-result questions is kept this long
    outbox_per_second: float = Field(default=30, gt=0)  # Telegram allows about 30 messages a second
    outbox_stale_seconds: float = Field(default=120, gt=0)  # a claimed row unsent this long is taken again
    outbox_keep_days: float = Field(default=7, gt=0)  # sent and failed outbox rows are deleted after this

    def webhook_problem(self) -> str | None:
        """Why webhook mode must not start with these settings (one line), or None."""
        if not self.webhook_url:
            return None
        if not self.webhook_secret:
            return (
                "QUARTIER_WEBHOOK_SECRET is required when QUARTIER_WEBHOOK_URL is set: without it anyone "
                "who reaches the port could post updates as any user (16-256 characters A-Z a-z 0-9 _ -)"
            )
        if not WEBHOOK_SECRET.fullmatch(self.webhook_secret):
            return "QUARTIER_WEBHOOK_SECRET must be 16-256 characters A-Z a-z 0-9 _ - (Telegram's rule)"
        for proxy in self.webhook_trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                return f"QUARTIER_WEBHOOK_TRUSTED_PROXIES: {proxy!r} is not an IP address or network"
        return None

    def talking_to(self, api_base: str, token: str = SANDBOX_TOKEN) -> Settings:
        """These settings, with the bot talking to another Bot API server (e.g. the local sandbox)."""
        return self.model_copy(update={"bot_token": token, "telegram_api_base": api_base})


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
