"""The bot in a group: public answers only; everything personal points to the private chat.

Every personal router is limited to private chats (bot.filters.private_only), so in a
group nothing shows a person's data, runs a form or changes a record of theirs. This
router takes what is left of a group's messages:

- QUARTIER_GROUP_MODE=answer (default): questions and shared locations get the public
  answer, /help and /about their text; a personal command (/mydata, /delete, /inbox, ...)
  or the wish to get involved gets a short note with a button into the private chat.
- QUARTIER_GROUP_MODE=quiet: no answers at all; a command addressed to the bot gets the
  note and the button, so nobody is left wondering.

Everything else in a group (other bots' commands, stickers, joins) is left alone.
"""

from __future__ import annotations

import re

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.filters import GROUP, LOCATION, TEXT, button
from bot.models import Person
from bot.services.assistant import Assistant
from handlers import search, start
from handlers.sending import MAX_QUESTION, next_question, send_all
from handlers.start import ENGAGE_PAYLOAD

GROUP_PAYLOAD = "group"
PERSONAL_COMMANDS = (
    "start",
    "mydata",
    "delete",
    "withdraw",
    "inbox",
    "broadcast",
    "meeting",
    "stats",
    "subscriptions",
    "language",
    "privacy",
    "datenschutz",
)


async def private_chat_button(bot: Bot, payload: str) -> InlineKeyboardMarkup:
    me = await bot.me()  # aiogram keeps it after the first call
    url = f"https://t.me/{me.username}?start={payload}"
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="💬 " + _("Open the private chat"), url=url)]]
    )


async def personal(message: Message, bot: Bot) -> None:
    await message.reply(
        _(
            "This is personal, so I answer it only in our private chat. "
            "Open it with the button and send the command there."
        ),
        reply_markup=await private_chat_button(bot, GROUP_PAYLOAD),
    )


async def engage(message: Message, bot: Bot) -> None:
    await message.reply(
        _("Great that you want to get involved! Signing up is personal, so it happens in our private chat."),
        reply_markup=await private_chat_button(bot, ENGAGE_PAYLOAD),
    )


async def quiet(message: Message, bot: Bot) -> None:
    await message.reply(
        _("I do not answer in this group. Please write to me in our private chat."),
        reply_markup=await private_chat_button(bot, GROUP_PAYLOAD),
    )


async def question(
    message: Message,
    session: AsyncSession,
    assistant: Assistant,
    state: FSMContext,
    person: Person,
    i18n_lang: str,
    bot: Bot,
) -> None:
    me = await bot.me()
    text = message.text or ""
    if me.username:  # "@Bot where is ..." asks the bot, the mention is not part of the question
        text = re.sub(rf"@{re.escape(me.username)}\b", " ", text, flags=re.IGNORECASE)
    text = text.strip()[:MAX_QUESTION]
    if not text:
        return
    q = await next_question(state, text)
    reply = await assistant.ask(session, text, i18n_lang, q=q, record=person.counted)
    if reply.signup:
        await engage(message, bot)
        return
    await send_all(message, reply.messages)


def make_router(answer: bool = True) -> Router:
    """Group messages only; `answer=False` is QUARTIER_GROUP_MODE=quiet."""
    router = Router(name="groups")
    router.message.filter(GROUP)
    if answer:
        router.message.register(start.help_, Command("help", "hilfe"))
        router.message.register(start.about, Command("about"))
        router.message.register(personal, Command(*PERSONAL_COMMANDS))
        router.message.register(engage, button(keyboards.ENGAGE))
        router.message.register(question, TEXT)
        router.message.register(search.location, LOCATION)
    else:
        router.message.register(quiet, Command("help", "hilfe", "about", *PERSONAL_COMMANDS))
    return router  # unknown commands in a group may be another bot's: not answered
