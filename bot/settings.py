"""Settings from the environment (prefix QUARTIER_) and an optional .env file."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from knowledge.db import default_database_url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QUARTIER_", env_file=".env", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    redis_url: str | None = None
    bot_token: str | None = None
    telegram_api_base: str | None = None
    admin_ids: list[int] = Field(default_factory=list)
    default_language: str = "de"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
