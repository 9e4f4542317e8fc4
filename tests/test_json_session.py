"""Calls without files go as JSON bodies; calls with files stay multipart forms."""

from aiogram.methods import SendDocument, SendMessage
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from bot.factory import make_bot
from bot.sandbox import BotAPISandbox

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
        document = SendDocument(chat_id=5, document=BufferedInputFile(b"BEGIN:VCALENDAR", "a.ics"))
        assert bot.session.json_body(bot, document) is None
    finally:
        await bot.session.close()


async def test_the_sandbox_takes_both_and_finds_them_valid():
    sandbox = BotAPISandbox(token=TOKEN)
    await sandbox.start()
    bot = make_bot(TOKEN, sandbox.base_url)
    user = sandbox.user(4711)
    try:
        markup = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="ℹ", callback_data="p:info:1")]]
        )
        await bot.send_message(user.id, "<i>Hallo</i> Ümit", reply_markup=markup)
        await bot.send_document(
            user.id, BufferedInputFile(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "termin.ics")
        )
        text, document = user.messages[-2:]
        assert text.message["text"] == "Hallo Ümit" and text.params["parse_mode"] == "HTML"
        assert text.params["reply_markup"] == {
            "inline_keyboard": [[{"text": "ℹ", "callback_data": "p:info:1"}]]
        }
        assert document.method == "sendDocument" and document.document.startswith(b"BEGIN:VCALENDAR")
        assert sandbox.invalid_calls == []
    finally:
        await bot.session.close()
        await sandbox.stop()
