"""Keyboards: the main menu (usable with buttons alone), languages, districts."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import DistrictCb, LanguageCb
from bot.i18n import LANGUAGE_NAMES

NEAR_ME = __("📍 Offers near me")
MY_DISTRICT = __("🏘 Offers in my district")
UPCOMING = __("📅 Upcoming dates")
ENGAGE = __("🤝 Get involved")
COORDINATION = __("☎ District coordination")
LANGUAGE = __("🌐 Language")
HELP = __("❓ Help")


MENU = (NEAR_ME, MY_DISTRICT, UPCOMING, ENGAGE, COORDINATION, LANGUAGE, HELP)


def main_menu() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=str(NEAR_ME), request_location=True)],
            [KeyboardButton(text=str(MY_DISTRICT)), KeyboardButton(text=str(UPCOMING))],
            [KeyboardButton(text=str(ENGAGE)), KeyboardButton(text=str(COORDINATION))],
            [KeyboardButton(text=str(LANGUAGE)), KeyboardButton(text=str(HELP))],
        ],
        resize_keyboard=True,
        input_field_placeholder=_("Ask about an offer…"),
    )


def languages() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for code, name in LANGUAGE_NAMES.items():
        kb.button(text=name, callback_data=LanguageCb(code=code))
    kb.adjust(2)
    return kb.as_markup()


def districts(names: dict[int, str]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for number, name in sorted(names.items(), key=lambda kv: kv[1]):
        kb.button(text=name, callback_data=DistrictCb(number=number))
    kb.button(text=_("Skip"), callback_data=DistrictCb(number=0))
    kb.adjust(3)
    return kb.as_markup()
