"""/start, language and home district, /help, /about, /privacy."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.callbacks import DistrictCb, LanguageCb, PrivacyCb
from bot.filters import button, private_only
from bot.models import Person
from bot.safe_html import NAME, esc
from bot.services import people
from bot.services.assistant import Assistant, help_text
from bot.texts import about_text, privacy_text
from handlers import volunteer

ENGAGE_PAYLOAD = "engage"  # t.me/<bot>?start=engage: straight into the sign-up form


async def start(
    message: Message, command: CommandObject, person: Person, state: FSMContext, assistant: Assistant
) -> None:
    if command.args == ENGAGE_PAYLOAD:  # the button under "get involved" in a group
        await volunteer.begin(message, state, person, assistant)
        return
    await message.answer(
        _(
            "Welcome to the Quartiersassistent Karlsruhe! I show you offers nearby: citizen centres, "
            "parent cafés, family centres, youth houses, meeting places for older people and more."
        ),
        reply_markup=keyboards.main_menu(),
    )
    await message.answer(_("Which language do you prefer?"), reply_markup=keyboards.languages())


async def choose_language(message: Message) -> None:
    await message.answer(_("Which language do you prefer?"), reply_markup=keyboards.languages())


async def language_chosen(
    query: CallbackQuery,
    callback_data: LanguageCb,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    assistant: Assistant,
) -> None:
    if not await people.set_language(session, person, callback_data.code):
        await query.answer(_("This language is not available."), show_alert=True)
        return
    with i18n.use_locale(callback_data.code):
        await query.answer()
        await query.message.answer(
            _("I will answer in English from now on."), reply_markup=keyboards.main_menu()
        )
        if person.home_district_number is None:
            await query.message.answer(
                _("In which district do you live? This helps me find offers near you (optional)."),
                reply_markup=keyboards.districts(assistant.engine.district_names),
            )


async def district_chosen(
    query: CallbackQuery,
    callback_data: DistrictCb,
    session: AsyncSession,
    person: Person,
    assistant: Assistant,
) -> None:
    number = callback_data.number or None
    if not await people.set_home_district(session, person, number):
        await query.answer(_("This district does not exist."), show_alert=True)
        return
    await query.answer()
    if number is None:
        await query.message.answer(
            _("No problem. You can always name a district or street in your question.")
        )
    else:
        name = assistant.engine.district_names[number]
        await query.message.answer(
            _("Saved: {district}. Just ask me what you are looking for.").format(district=esc(name, NAME))
        )


async def help_(message: Message) -> None:
    await message.answer(help_text())


async def about(message: Message) -> None:
    await message.answer(about_text())


def _privacy_keyboard(counted: bool):
    from aiogram.utils.keyboard import InlineKeyboardBuilder

    kb = InlineKeyboardBuilder()
    if counted:
        kb.button(text="🚫 " + _("Do not count my questions"), callback_data=PrivacyCb(count=False))
    else:
        kb.button(text="✅ " + _("Count my questions again"), callback_data=PrivacyCb(count=True))
    return kb.as_markup()


async def privacy(message: Message, person: Person) -> None:
    await message.answer(privacy_text(), reply_markup=_privacy_keyboard(person.counted))


async def privacy_choice(
    query: CallbackQuery, callback_data: PrivacyCb, session: AsyncSession, person: Person
) -> None:
    await people.set_counted(session, person, callback_data.count)
    await query.answer(
        _("Your questions are counted anonymously again.")
        if callback_data.count
        else _("Your questions are no longer counted, not even anonymously."),
        show_alert=True,
    )
    await query.message.edit_reply_markup(reply_markup=_privacy_keyboard(person.counted))


def make_router() -> Router:
    """A fresh router (aiogram attaches a router to one dispatcher only)."""
    router = private_only(Router(name="start"))
    router.message.register(start, CommandStart())
    router.message.register(choose_language, Command("language"))
    router.message.register(choose_language, button(keyboards.LANGUAGE))
    router.callback_query.register(language_chosen, LanguageCb.filter())
    router.callback_query.register(district_chosen, DistrictCb.filter())
    router.message.register(help_, Command("help", "hilfe"))
    router.message.register(help_, button(keyboards.HELP))
    router.message.register(about, Command("about"))
    router.message.register(privacy, Command("privacy", "datenschutz"))
    router.callback_query.register(privacy_choice, PrivacyCb.filter())
    return router
