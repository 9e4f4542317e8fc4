"""Calls without files go as JSON bodies; calls with files stay multipart forms."""

import json

import pytest
from aiogram.methods import SendDocument, SendMediaGroup, SendMessage
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto

from bot.factory import make_bot
from bot.sandbox import BotAPISandbox
from bot.session import _reuse_keyboard

TOKEN = "123456:JSON"


async def test_a_message_is_one_json_object_with_nested_markup():
    bot = make_bot(TOKEN)
    try:
        markup = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="ä 📍", callback_data="p:map:1")]]
        )
        body = bot.session.json_body(
            bot, SendMessage(chat_id=5, text="<b>Grüß Gott</b> & 👋", reply_markup=markup)
        )
        assert body["reply_markup"] == {"inline_keyboard": [[{"text": "ä 📍", "callback_data": "p:map:1"}]]}
        assert body["parse_mode"] == "HTML" and body["link_preview_options"] == {"is_disabled": True}
        assert body["text"] == "<b>Grüß Gott</b> & 👋" and body["chat_id"] == 5
        _body, text = bot.session.encode(bot, SendMessage(chat_id=5, text="Grüß Gott 👋"))
        assert "Grüß Gott 👋" in text and "\\u" not in text  # UTF-8 as it is, not escaped
        document = SendDocument(chat_id=5, document=BufferedInputFile(b"BEGIN:VCALENDAR", "a.ics"))
        assert bot.session.json_body(bot, document) is None
    finally:
        await bot.session.close()


async def test_defaults_and_files_below_the_top_level_are_found():
    bot = make_bot(TOKEN)
    try:
        by_url = SendMediaGroup(
            chat_id=5,
            media=[InputMediaPhoto(media="https://x.de/a.jpg"), InputMediaPhoto(media="https://x.de/b.jpg")],
        )
        body, text = bot.session.encode(bot, by_url)
        # the bot's parse mode, a placeholder inside each photo, is filled in as Telegram needs it
        assert [m["parse_mode"] for m in body["media"]] == ["HTML", "HTML"]
        assert json.loads(text) == body
        uploaded = SendMediaGroup(
            chat_id=5,
            media=[
                InputMediaPhoto(media=BufferedInputFile(b"\x89PNG", "a.png")),
                InputMediaPhoto(media="https://x.de/b.jpg"),
            ],
        )
        assert bot.session.encode(bot, uploaded) is None  # a file anywhere: multipart
    finally:
        await bot.session.close()


@pytest.fixture
async def sandbox_bot():
    """A sandbox, a bot talking to it and one person, closed after the test."""
    sandbox = BotAPISandbox(token=TOKEN)
    await sandbox.start()
    bot = make_bot(TOKEN, sandbox.base_url)
    try:
        yield sandbox, bot, sandbox.user(4711)
    finally:
        await bot.session.close()
        await sandbox.stop()


async def test_the_sandbox_takes_both_and_finds_them_valid(sandbox_bot):
    sandbox, bot, user = sandbox_bot
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="ℹ", callback_data="p:info:1")]]
    )
    await bot.send_message(user.id, "<i>Hallo</i> Ümit", reply_markup=markup)
    await bot.send_document(user.id, BufferedInputFile(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "termin.ics"))
    text, document = user.messages[-2:]
    assert text.message["text"] == "Hallo Ümit" and text.params["parse_mode"] == "HTML"
    assert text.params["reply_markup"] == {"inline_keyboard": [[{"text": "ℹ", "callback_data": "p:info:1"}]]}
    assert document.method == "sendDocument" and document.document.startswith(b"BEGIN:VCALENDAR")
    assert sandbox.invalid_calls == []


async def test_the_returned_message_carries_the_keyboard_as_sent(sandbox_bot):
    sandbox, bot, user = sandbox_bot
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="📍 1", callback_data="p:map:1")]]
    )
    sent = await bot.send_message(user.id, "<b>Karte</b>", reply_markup=markup)
    assert sent.reply_markup is markup and sent.text == "Karte"
    assert user.messages[-1].message["reply_markup"] == markup.model_dump(exclude_none=True)
    assert sandbox.invalid_calls == []


def test_a_keyboard_that_came_back_changed_is_read_from_the_answer():
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="a", callback_data="x")]])
    method = SendMessage(chat_id=5, text="t", reply_markup=markup)
    body = {"reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "x"}]]}}
    changed = {"inline_keyboard": [[{"text": "b", "callback_data": "x"}]]}
    data = {"ok": True, "result": {"message_id": 1, "reply_markup": changed}}
    assert _reuse_keyboard(data, body, method)["result"]["reply_markup"] is changed
    same = {"ok": True, "result": {"message_id": 1, "reply_markup": dict(body["reply_markup"])}}
    assert _reuse_keyboard(same, body, method)["result"]["reply_markup"] is markup
