"""Sign-up to engage: a guided form with back and cancel at every step, then the person's
own view of their data: /mydata, /withdraw, /delete, and replies to the coordination.

Nothing is stored before consent: the draft lives in the FSM state only.
"""

from __future__ import annotations

import json

from aiogram import Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.callbacks import PersonSignupCb, SignupCb
from bot.filters import LOCATION, TEXT, button, private_only
from bot.models import Person, Signup
from bot.safe_html import NAME, esc, fit
from bot.services import erasure, networks, signups
from bot.services.assistant import Assistant
from bot.services.contact import normalise_email, normalise_phone
from bot.services.signups import AVAILABILITY, HOURS, INTERESTS, Draft
from bot.settings import Settings
from bot.signup_texts import (
    availability_label,
    hours_label,
    interest_label,
    privacy_consent_text,
    status_label,
    summary,
)
from handlers.sending import stale_button

MAX_NOTE = 1000


class SignupForm(StatesGroup):
    district = State()
    interests = State()
    availability = State()
    hours = State()
    contact = State()
    phone = State()
    email = State()
    note = State()
    confirm = State()
    consent = State()


class Replying(StatesGroup):
    text = State()


ORDER = [
    SignupForm.district,
    SignupForm.interests,
    SignupForm.availability,
    SignupForm.hours,
    SignupForm.contact,
    SignupForm.note,
    SignupForm.confirm,
    SignupForm.consent,
]


def _nav(kb: InlineKeyboardBuilder, back: bool = True) -> None:
    row = []
    if back:
        row.append(InlineKeyboardButton(text="⬅ " + _("Back"), callback_data=SignupCb(action="back").pack()))
    row.append(InlineKeyboardButton(text="✖ " + _("Cancel"), callback_data=SignupCb(action="cancel").pack()))
    kb.row(*row)


async def _show(target: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Steps chosen with a button edit that message; typed steps get a new one."""
    if isinstance(target, CallbackQuery):
        await target.answer()
        await target.message.edit_text(text, reply_markup=markup)
    else:
        await target.answer(text, reply_markup=markup)


async def _draft(state: FSMContext) -> Draft:
    return Draft.from_data(await state.get_data())


async def _save(state: FSMContext, draft: Draft) -> None:
    await state.update_data(draft=draft.to_data())


async def show_step(
    target: Message | CallbackQuery,
    state: FSMContext,
    step: State,
    assistant: Assistant,
    retention_days: int = 365,
) -> None:
    await state.set_state(step)
    draft = await _draft(state)
    kb = InlineKeyboardBuilder()
    if step == SignupForm.district:
        text = _("In which district would you like to get involved? Choose it or type its name or a street.")
        for number, name in sorted(assistant.engine.district_names.items(), key=lambda kv: kv[1]):
            kb.button(text=name, callback_data=SignupCb(action="district", value=str(number)))
        kb.adjust(3)
        _nav(kb, back=False)
    elif step in (SignupForm.interests, SignupForm.availability):
        many = step == SignupForm.interests
        keys, chosen, label = (
            (INTERESTS, draft.interests, interest_label)
            if many
            else (AVAILABILITY, draft.availability, availability_label)
        )
        text = (
            _("What would you like to do? Choose one or more, then press Done.")
            if many
            else _("When do you have time? Choose one or more, then press Done.")
        )
        for key in keys:
            mark = "✅ " if key in chosen else "▫ "
            kb.button(text=mark + label(key), callback_data=SignupCb(action="toggle", value=key))
        kb.adjust(2)
        kb.row(InlineKeyboardButton(text="✔ " + _("Done"), callback_data=SignupCb(action="done").pack()))
        _nav(kb)
    elif step == SignupForm.hours:
        text = _("About how much time per month?")
        for key in HOURS:
            kb.button(text=hours_label(key), callback_data=SignupCb(action="hours", value=key))
        kb.adjust(1)
        _nav(kb)
    elif step == SignupForm.contact:
        text = _(
            "How should the coordination contact you? Through this chat is enough: "
            "you do not need to give a phone number or e-mail address."
        )
        kb.button(text="💬 " + _("Through this chat"), callback_data=SignupCb(action="contact", value="bot"))
        kb.button(text="☎ " + _("By phone"), callback_data=SignupCb(action="contact", value="phone"))
        kb.button(text="✉ " + _("By e-mail"), callback_data=SignupCb(action="contact", value="email"))
        kb.adjust(1)
        _nav(kb)
    elif step == SignupForm.note:
        text = _("Anything else the coordination should know? Write a short note, or press Skip.")
        kb.button(text="⏭ " + _("Skip"), callback_data=SignupCb(action="skip"))
        _nav(kb)
    elif step == SignupForm.confirm:
        name = assistant.engine.district_names.get(draft.district) if draft.district else None
        text = _("<b>Please check your sign-up:</b>") + "\n" + summary(draft, name)
        kb.button(text="✔ " + _("Looks right"), callback_data=SignupCb(action="ok"))
        kb.button(text="✏ " + _("Correct"), callback_data=SignupCb(action="edit"))
        kb.adjust(2)
        _nav(kb)
    else:  # consent
        text = privacy_consent_text(max(1, round(retention_days / 30.4)))
        kb.button(text="✔ " + _("I agree, send it"), callback_data=SignupCb(action="send"))
        _nav(kb)
    await _show(target, text, kb.as_markup())


async def begin(
    message: Message, state: FSMContext, person: Person, assistant: Assistant, district: int | None = None
) -> None:
    """Start the form; a district from the question or the profile skips the first step."""
    draft = Draft(district=district or person.home_district_number, token=signups.new_token())
    await state.set_data({**await state.get_data(), "draft": draft.to_data()})
    await message.answer(
        _(
            "Great that you want to get involved! I will ask a few short questions; "
            "your answers are only sent when you agree at the end."
        )
    )
    step = SignupForm.interests if draft.district else SignupForm.district
    await show_step(message, state, step, assistant)


async def engage_button(message: Message, state: FSMContext, person: Person, assistant: Assistant) -> None:
    await begin(message, state, person, assistant)


# -- buttons of the form ------------------------------------------------------------------
async def on_button(
    query: CallbackQuery,
    callback_data: SignupCb,
    state: FSMContext,
    session: AsyncSession,
    person: Person,
    assistant: Assistant,
    settings: Settings,
    i18n_lang: str,
) -> None:
    current = await state.get_state()
    if current is None or not current.startswith("SignupForm:"):
        await query.answer(_("This form is closed. Press “Get involved” to start again."), show_alert=True)
        return
    draft = await _draft(state)
    action, value = callback_data.action, callback_data.value
    step = next((s for s in ORDER if s.state == current), None)
    if action == "cancel":
        await state.set_state(None)
        await state.update_data(draft=None)
        await query.answer()
        await query.message.edit_text(_("Cancelled. Nothing was stored."))
        return
    if action == "back":
        if current in (SignupForm.phone.state, SignupForm.email.state):
            target = SignupForm.contact
        else:
            target = ORDER[max(0, ORDER.index(step) - 1)] if step else SignupForm.district
        await show_step(query, state, target, assistant)
        return
    if action == "district" and current == SignupForm.district.state:
        if not value.isdigit() or int(value) not in assistant.engine.district_names:
            await query.answer(_("This district does not exist."), show_alert=True)
            return
        draft.district = int(value)
        await _save(state, draft)
        await show_step(query, state, SignupForm.interests, assistant)
        return
    if action == "toggle" and current in (SignupForm.interests.state, SignupForm.availability.state):
        keys, chosen = (
            (INTERESTS, draft.interests)
            if current == SignupForm.interests.state
            else (AVAILABILITY, draft.availability)
        )
        if value not in keys:
            await stale_button(query)
            return
        chosen.remove(value) if value in chosen else chosen.append(value)
        await _save(state, draft)
        await show_step(query, state, step, assistant)
        return
    if action == "done" and current in (SignupForm.interests.state, SignupForm.availability.state):
        chosen = draft.interests if current == SignupForm.interests.state else draft.availability
        if not chosen:
            await query.answer(_("Please choose at least one."), show_alert=True)
            return
        await show_step(query, state, ORDER[ORDER.index(step) + 1], assistant)
        return
    if action == "hours" and current == SignupForm.hours.state and value in HOURS:
        draft.hours = value
        await _save(state, draft)
        await show_step(query, state, SignupForm.contact, assistant)
        return
    if action == "contact" and current == SignupForm.contact.state and value in signups.CONTACT_VIA:
        draft.contact_via = value
        await _save(state, draft)
        if value == "bot":
            await show_step(query, state, SignupForm.note, assistant)
            return
        await state.set_state(SignupForm.phone if value == "phone" else SignupForm.email)
        kb = InlineKeyboardBuilder()
        _nav(kb)
        prompt = (
            _("Please type your phone number.") if value == "phone" else _("Please type your e-mail address.")
        )
        await _show(query, prompt, kb.as_markup())
        return
    if action == "skip" and current == SignupForm.note.state:
        draft.note = None
        await _save(state, draft)
        await show_step(query, state, SignupForm.confirm, assistant)
        return
    if action == "ok" and current == SignupForm.confirm.state:
        await show_step(query, state, SignupForm.consent, assistant, settings.signup_retention_days)
        return
    if action == "edit" and current == SignupForm.confirm.state:
        await show_step(query, state, SignupForm.district, assistant)
        return
    if action == "send" and current == SignupForm.consent.state:
        if draft.district is None or not draft.interests:
            await show_step(query, state, SignupForm.district, assistant)
            return
        if draft.token is None:  # a form begun before consent tokens existed
            draft.token = signups.new_token()
            await _save(state, draft)
        try:
            signup = await signups.submit(session, person, draft, i18n_lang, settings.admin_ids)
        except signups.AlreadySent as sent:  # the same consent pressed again, maybe at the same moment
            await query.answer(_("Your sign-up {ref} has already been sent.").format(ref=sent.ref))
            return
        except signups.Refused:
            await stale_button(query)
            return
        await state.set_state(None)
        await state.update_data(draft=None)
        await query.answer()
        district = assistant.engine.district_names.get(draft.district, "")
        await query.message.edit_text(await _receipt(session, signup, district, settings.admin_ids))
        return
    await stale_button(query)


async def _receipt(session: AsyncSession, signup: Signup, district: str, admin_ids: list[int]) -> str:
    """Where the sign-up really went: the area's coordination, the central team, or nobody yet."""
    if not signup.unassigned:
        area = await signups.area_name(session, signup.planning_area_id) or district
        return _(
            "Thank you! Your sign-up <b>{ref}</b> has been sent to the district coordination of "
            "{district}. They will answer you here. /mydata shows what is stored, /withdraw withdraws it."
        ).format(ref=signup.ref, district=esc(area, NAME))
    if admin_ids:
        return _(
            "Thank you! No district coordinator is set up for {district} yet, so your sign-up <b>{ref}</b> "
            "has been sent to the city's central team. They will answer you here. "
            "/mydata shows what is stored, /withdraw withdraws it."
        ).format(ref=signup.ref, district=esc(district, NAME))
    return _(
        "Your sign-up <b>{ref}</b> is stored, but nobody can receive it yet: no coordination is set up "
        "for {district}. /mydata shows what is stored, /withdraw withdraws it."
    ).format(ref=signup.ref, district=esc(district, NAME))


# -- typed answers ------------------------------------------------------------------------
async def _set_and_continue(
    message: Message, state: FSMContext, assistant: Assistant, step: State, **values: object
) -> None:
    draft = await _draft(state)
    for name, value in values.items():
        setattr(draft, name, value)
    await _save(state, draft)
    await show_step(message, state, step, assistant)


async def typed_district(message: Message, state: FSMContext, assistant: Assistant) -> None:
    number = assistant.engine.understand(message.text or "").place.district
    if number is None:
        await message.answer(_("I do not know this district. Please choose it from the list."))
        await show_step(message, state, SignupForm.district, assistant)
        return
    await _set_and_continue(message, state, assistant, SignupForm.interests, district=number)


async def located_district(message: Message, state: FSMContext, assistant: Assistant) -> None:
    number = assistant.engine.gazetteer.district_at(message.location.latitude, message.location.longitude)
    if number is None:
        await message.answer(_("This place is outside Karlsruhe. Please choose a district from the list."))
        await show_step(message, state, SignupForm.district, assistant)
        return
    await _set_and_continue(message, state, assistant, SignupForm.interests, district=number)


async def typed_phone(message: Message, state: FSMContext, assistant: Assistant) -> None:
    phone = normalise_phone(message.text or "")
    if phone is None:
        await message.answer(
            _("This does not look like a phone number. Please try again, e.g. 0721 1234567, or press Back.")
        )
        return
    await _set_and_continue(message, state, assistant, SignupForm.note, phone=phone, email=None)


async def typed_email(message: Message, state: FSMContext, assistant: Assistant) -> None:
    email = normalise_email(message.text or "")
    if email is None:
        await message.answer(
            _(
                "This does not look like an e-mail address. "
                "Please try again, e.g. name@example.org, or press Back."
            )
        )
        return
    await _set_and_continue(message, state, assistant, SignupForm.note, email=email, phone=None)


async def typed_note(message: Message, state: FSMContext, assistant: Assistant) -> None:
    note = (message.text or "").strip()[:MAX_NOTE] or None
    await _set_and_continue(message, state, assistant, SignupForm.confirm, note=note)


async def use_the_buttons(message: Message) -> None:
    await message.answer(_("Please use the buttons above, or press Cancel."))


# -- the person's own data ------------------------------------------------------------------
async def my_data(message: Message, session: AsyncSession, person: Person, assistant: Assistant) -> None:
    data = await signups.my_data(session, person)
    data.update(await networks.my_network_data(session, person))
    lines = [_("<b>What I store about you</b>")]
    lines.append(
        _("Language: {language}").format(
            language=esc(person.language or person.telegram_language or "–", NAME)
        )
    )
    home = (
        assistant.engine.district_names.get(person.home_district_number)
        if person.home_district_number
        else None
    )
    lines.append(_("Home district: {district}").format(district=esc(home or "–", NAME)))
    rows = await signups.signups_of(session, person)
    if not rows:
        lines.append(_("No sign-ups."))
    for s in rows:
        name = assistant.engine.district_names.get(s.district_number) if s.district_number else None
        lines.append("")
        lines.append(
            _("<b>Sign-up {ref}</b> ({status})").format(ref=esc(s.ref, NAME), status=status_label(s.status))
        )
        lines.append(summary(s, name))
    await message.answer(fit("\n".join(lines)))
    payload = json.dumps(data, ensure_ascii=False, indent=2).encode()
    await message.answer_document(
        BufferedInputFile(payload, filename="my-data.json"), caption=_("All of it as a file (JSON).")
    )


async def withdraw_command(message: Message, session: AsyncSession, person: Person) -> None:
    rows = await signups.open_signups_of(session, person)
    if not rows:
        await message.answer(_("You have no open sign-up."))
        return
    kb = InlineKeyboardBuilder()
    for s in rows:
        kb.button(
            text=_("Withdraw {ref}").format(ref=s.ref),
            callback_data=PersonSignupCb(action="withdraw", sid=s.id),
        )
    kb.adjust(1)
    await message.answer(_("Which sign-up do you want to withdraw?"), reply_markup=kb.as_markup())


async def delete_command(message: Message) -> None:
    kb = InlineKeyboardBuilder()
    kb.button(text="🗑 " + _("Yes, delete everything"), callback_data=PersonSignupCb(action="delete"))
    kb.button(text=_("No, keep it"), callback_data=PersonSignupCb(action="keep"))
    kb.adjust(1)
    await message.answer(
        _(
            "This erases everything I store about you: your settings and your sign-ups. "
            "The coordination is told that your sign-up was withdrawn. Continue?"
        ),
        reply_markup=kb.as_markup(),
    )


async def person_button(
    query: CallbackQuery,
    callback_data: PersonSignupCb,
    session: AsyncSession,
    person: Person,
    state: FSMContext,
    settings: Settings,
) -> None:
    action = callback_data.action
    if action == "keep":
        await query.answer()
        await query.message.edit_text(_("Nothing was deleted."))
        return
    if action == "delete":
        await erasure.erase_person(session, person, settings.admin_ids)
        await state.clear()
        await query.answer()
        await query.message.edit_text(
            _("Everything about you has been erased. If you write again, I start afresh.")
        )
        return
    try:
        if action == "withdraw":
            s = await signups.withdraw(session, person, callback_data.sid, settings.admin_ids)
            await query.answer()
            await query.message.edit_text(_("Your sign-up {ref} has been withdrawn.").format(ref=s.ref))
            return
        if action == "reply":
            s = await signups.own_signup(session, person, callback_data.sid)
            await state.set_state(Replying.text)
            await state.update_data(reply_sid=s.id)
            await query.answer()
            kb = InlineKeyboardBuilder()
            kb.button(text="✖ " + _("Cancel"), callback_data=PersonSignupCb(action="cancel_reply", sid=s.id))
            await query.message.answer(
                _("Write your answer to the coordination ({ref}):").format(ref=s.ref),
                reply_markup=kb.as_markup(),
            )
            return
        if action == "cancel_reply":
            if await state.get_state() == Replying.text.state:
                await state.set_state(None)
            await query.answer()
            await query.message.edit_text(_("Cancelled. Nothing was sent."))
            return
    except signups.Refused:
        pass
    await stale_button(query)


async def reply_text(
    message: Message, session: AsyncSession, person: Person, state: FSMContext, settings: Settings
) -> None:
    data = await state.get_data()
    await state.set_state(None)
    try:
        s = await signups.relay_to_staff(
            session,
            person,
            int(data.get("reply_sid") or 0),
            message.text or "",
            settings.admin_ids,
            f"{message.chat.id}:{message.message_id}",
        )
    except signups.Refused:
        await message.answer(_("This sign-up no longer exists."))
        return
    await message.answer(
        _("Sent to the coordination ({ref}).").format(ref=s.ref), reply_markup=keyboards.main_menu()
    )


def make_router() -> Router:
    router = private_only(Router(name="volunteer"))
    router.message.register(engage_button, button(keyboards.ENGAGE))
    router.message.register(my_data, Command("mydata"))
    router.message.register(withdraw_command, Command("withdraw"))
    router.message.register(delete_command, Command("delete"))
    router.callback_query.register(on_button, SignupCb.filter())
    router.callback_query.register(person_button, PersonSignupCb.filter())
    router.message.register(typed_district, StateFilter(SignupForm.district), TEXT)
    router.message.register(located_district, StateFilter(SignupForm.district), LOCATION)
    router.message.register(typed_phone, StateFilter(SignupForm.phone), TEXT)
    router.message.register(typed_email, StateFilter(SignupForm.email), TEXT)
    router.message.register(typed_note, StateFilter(SignupForm.note), TEXT)
    router.message.register(reply_text, StateFilter(Replying.text), TEXT)
    router.message.register(
        use_the_buttons,
        StateFilter(
            SignupForm.interests,
            SignupForm.availability,
            SignupForm.hours,
            SignupForm.contact,
            SignupForm.confirm,
            SignupForm.consent,
        ),
        TEXT,
    )
    return router
