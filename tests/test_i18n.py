"""Every catalogue is complete and keeps placeholders and markup of its source text."""

import re
import string

import pytest
from babel.messages.pofile import read_po

from bot.i18n import LANGUAGES, LOCALES_DIR, compile_catalogs, pick_language

TAGS = re.compile(r"</?[a-z]+[^>]*>")


def catalogue(lang):
    with (LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=lang)


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_is_complete(lang):
    missing = [m.id for m in catalogue(lang) if m.id and not m.string]
    assert missing == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_and_tags_survive_translation(lang):
    for m in catalogue(lang):
        if m.id and m.string:
            assert fields(m.string) == fields(m.id), m.id
            assert sorted(TAGS.findall(m.string)) == sorted(TAGS.findall(m.id)), m.id


def test_menu_buttons_are_distinct_in_every_language():
    from bot import keyboards

    buttons = [
        keyboards.NEAR_ME,
        keyboards.MY_DISTRICT,
        keyboards.UPCOMING,
        keyboards.ENGAGE,
        keyboards.COORDINATION,
        keyboards.LANGUAGE,
        keyboards.HELP,
    ]
    for lang in LANGUAGES:
        cat = catalogue(lang)
        texts = [cat[b._args[0]].string for b in buttons]
        assert len(set(texts)) == len(texts), lang


def test_catalogues_compile(tmp_path):
    root = compile_catalogs()
    for lang in LANGUAGES:
        assert (root / lang / "LC_MESSAGES" / "messages.mo").stat().st_size > 0


@pytest.mark.parametrize(
    ("chosen", "telegram", "expected"),
    [
        ("tr", "de", "tr"),
        (None, "uk", "uk"),
        (None, "ru-RU", "ru"),
        (None, "fr", "de"),
        (None, None, "de"),
        ("xx", "ar", "ar"),
    ],
)
def test_language_choice_order(chosen, telegram, expected):
    assert pick_language(chosen, telegram) == expected
