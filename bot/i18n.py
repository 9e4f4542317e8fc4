"""Gettext catalogues (Babel) and the locale of each update.

The .po files in `locales/` are the source; .mo files are compiled from them at
start-up when missing or older, so a fresh install needs no extra step.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiogram.types import TelegramObject
from aiogram.utils.i18n import I18n, I18nMiddleware
from aiogram.utils.i18n.context import get_i18n
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.models import Person

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
LANGUAGES = ("de", "en", "tr", "ar", "uk", "ru")
DEFAULT_LANGUAGE = "de"
RTL_LANGUAGES = frozenset({"ar"})
LANGUAGE_NAMES = {
    "de": "Deutsch",
    "en": "English",
    "tr": "Türkçe",
    "ar": "العربية",
    "uk": "Українська",
    "ru": "Русский",
}
log = logging.getLogger(__name__)


def _target_dir(src: Path) -> Path:
    if os.access(src, os.W_OK):
        return src
    return Path(os.environ.get("QUARTIER_HOME", Path.home() / ".quartier")) / "locales"


def compile_catalogs(src: Path = LOCALES_DIR) -> Path:
    """Compile every locales/<lang>/LC_MESSAGES/messages.po that changed; return the .mo root."""
    dst = _target_dir(src)
    for lang in LANGUAGES:
        po = src / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        if not po.exists():
            continue
        mo = dst / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        with mo.open("wb") as fh:
            write_mo(fh, catalog)
        log.debug("compiled %s", mo)
    return dst


def make_i18n(default: str = DEFAULT_LANGUAGE) -> I18n:
    return I18n(path=compile_catalogs(), default_locale=default, domain=DOMAIN)


def translator(lang: str) -> Callable[[str], str]:
    """gettext of one language, looked up once.

    The context-bound `_` finds the I18n instance and the update's locale on every call;
    an answer with three cards made some twenty such calls. Text rendered with this
    depends only on `lang`, which also makes it safe to cache per language.
    """
    translations = get_i18n().locales.get(lang)
    return translations.gettext if translations is not None else str


def pick_language(chosen: str | None, telegram: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """A language the person chose wins over the one Telegram reports; unknown ones fall back."""
    if chosen in LANGUAGES:
        return chosen
    short = (telegram or "").split("-")[0].lower()
    return short if short in LANGUAGES else default


class PersonI18nMiddleware(I18nMiddleware):
    """Sets the locale of the update from the person record (see PersonMiddleware)."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        person: Person | None = data.get("person")
        user = data.get("event_from_user")
        locale = pick_language(
            person.language if person else None,
            getattr(user, "language_code", None),
            self.i18n.default_locale,
        )
        data["i18n_lang"] = locale  # handlers format dates and numbers with it
        return locale
