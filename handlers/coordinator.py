"""Coordinators: invite links, /inbox, status buttons, notes and messages to the person.

Every action is checked on the server side by the sign-up service (own planning areas
only, admins everywhere); a refusal is polite and audited and changes nothing.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import StaffCb
from bot.filters import TEXT, private_only
from bot.handlers_links import INVITE_PREFIX
from bot.models import Person
from bot.safe_html import NAME, esc
from bot.services import signups
from bot.services.assistant import Assistant
from bot.settings import Settings
from bot.signup_texts import staff_card, staff_keyboard
from handlers.sending import refuse_not_staff, staff_only, stale_button


class StaffInput(StatesGroup):
    placed_note = State()
    message = State()
    cancelled = State()  # a reply was cancelled: the next text is not taken for a question


async def refuse_gone(target: Message | CallbackQuery) -> None:
    """The sign-up was withdrawn or erased: its coordinator learns that kindly, nothing else."""
    text = _(
        "The person has withdrawn this sign-up or deleted their data, so I can no longer "
        "pass anything on to them."
    )
    if isinstance(target, CallbackQuery):
        await target.answer(text, show_alert=True)
    else:
        await target.answer(text)


async def redeem(
    message: Message, command: CommandObject, session: AsyncSession, person: Person, assistant: Assistant
) -> None:
    token = (command.args or "")[len(INVITE_PREFIX) :]
    try:
        area = await signups.redeem_invite(session, person, token)
    except signups.Refused:
        await session.commit()  # keep the audit entry of the refusal
        await message.answer(_("This invitation link is not valid (any more). Please ask for a new one."))
        return
    await session.commit()
    name = await signups.area_name(session, area)
    await message.answer(
        _(
            "Welcome! You are now a coordinator for the planning area {area}. "
            "New sign-ups reach you here; /inbox lists the open ones."
        ).format(area=esc(name, NAME))
    )


async def inbox(
    message: Message, session: AsyncSession, person: Person, settings: Settings, assistant: Assistant
) -> None:
    if not await staff_only(message, session, person, settings, "inbox"):
        return
    rows = await signups.inbox(session, person, settings.admin_ids)
    if not rows:
        await message.answer(_("No open sign-ups in your areas."))
        return
    await message.answer(_("Open sign-ups, oldest first: {count}").format(count=len(rows)))
    for s in rows[:20]:
        district = assistant.engine.district_names.get(s.district_number) if s.district_number else None
        area = await signups.area_name(session, s.planning_area_id)
        sent = await message.answer(
            staff_card(s, district, area), reply_markup=staff_keyboard(s.id, s.status)
        )
        await signups.track_card(session, s.id, sent.chat.id, sent.message_id)
        await session.commit()


async def staff_button(
    query: CallbackQuery,
    callback_data: StaffCb,
    session: AsyncSession,
    person: Person,
    state: FSMContext,
    settings: Settings,
) -> None:
    action, sid = callback_data.action, callback_data.sid
    card = (query.message.chat.id, query.message.message_id) if query.message else None
    try:
        if action in ("contacted", "not_fit"):
            # the card itself is edited through the outbox, like the cards in other coordinators' chats
            s = await signups.set_status(session, person, sid, action, settings.admin_ids, card=card)
            await query.answer(
                _("Sign-up {ref}: marked as “{status}”. The person has been told.").format(
                    ref=s.ref, status=_("contacted") if action == "contacted" else _("not a fit")
                )
            )
            return
        if action in ("placed", "write"):
            s = await signups.get_for_staff(session, person, sid, settings.admin_ids)
            await session.commit()
            if s.status == "withdrawn":
                await refuse_gone(query)
                return
            await state.set_state(StaffInput.placed_note if action == "placed" else StaffInput.message)
            # the card the button was on, for a "placed" note (a relayed answer is no card)
            await state.update_data(
                staff_sid=s.id, staff_card=list(card) if action == "placed" and card else None
            )
            await query.answer()
            kb = InlineKeyboardBuilder()
            if action == "placed":
                kb.button(text="⏭ " + _("Skip"), callback_data=StaffCb(action="placed_skip", sid=s.id))
                prompt = _("Sign-up {ref}: where was the person placed? Write a short note, or press Skip.")
            else:
                prompt = _(
                    "Sign-up {ref}: write your message to the person. I pass it on without your number."
                )
            kb.button(text="✖ " + _("Cancel"), callback_data=StaffCb(action="cancel", sid=s.id))
            await query.message.answer(prompt.format(ref=s.ref), reply_markup=kb.as_markup())
            return
        if action == "placed_skip":
            data = await state.get_data()
            await state.set_state(None)
            pressed = tuple(data["staff_card"]) if data.get("staff_card") else None
            s = await signups.set_status(session, person, sid, "placed", settings.admin_ids, card=pressed)
            await query.answer()
            await query.message.edit_text(
                _("Sign-up {ref}: placed. The person has been told.").format(ref=s.ref)
            )
            return
        if action == "cancel":
            # the next text is not taken for a resident's question: it was most likely meant as the reply
            if await state.get_state() in (StaffInput.message.state, StaffInput.placed_note.state):
                await state.set_state(StaffInput.cancelled)
            await query.answer()
            await query.message.edit_text(_("Cancelled. Nothing was sent."))
            return
    except signups.Refused as exc:
        if str(exc) == "closed":
            await query.answer(_("This sign-up is already closed."), show_alert=True)
            return
        if str(exc) in ("unknown", "gone") and await signups.is_staff(session, person, settings.admin_ids):
            await refuse_gone(query)
            return
        await refuse_not_staff(query)
        return
    await stale_button(query)


async def staff_text(
    message: Message, session: AsyncSession, person: Person, state: FSMContext, settings: Settings
) -> None:
    current = await state.get_state()
    data = await state.get_data()
    await state.set_state(None)
    sid = int(data.get("staff_sid") or 0)
    text = (message.text or "").strip()
    try:
        if current == StaffInput.placed_note.state:
            pressed = tuple(data["staff_card"]) if data.get("staff_card") else None
            s = await signups.set_status(
                session, person, sid, "placed", settings.admin_ids, note=text, card=pressed
            )
            await message.answer(_("Sign-up {ref}: placed. The person has been told.").format(ref=s.ref))
        else:
            s = await signups.relay_to_person(
                session, person, sid, text, settings.admin_ids, f"{message.chat.id}:{message.message_id}"
            )
            await message.answer(_("Sent to the person of sign-up {ref}.").format(ref=s.ref))
    except signups.Refused as exc:
        if str(exc) == "closed":
            await message.answer(_("This sign-up is already closed."))
        elif str(exc) in ("unknown", "gone"):
            await refuse_gone(message)
        else:
            await refuse_not_staff(message)


async def after_cancel(message: Message, state: FSMContext) -> None:
    """The first text after a cancelled reply: neither sent nor searched, the way on is named."""
    await state.set_state(None)
    await message.answer(
        _(
            "You cancelled your reply, so I have not sent this to anybody. To write to the person, "
            "press “Write to the person” on the sign-up again; to search for it, "
            "send your question once more."
        )
    )


def make_router() -> Router:
    router = private_only(Router(name="coordinator"))
    router.message.register(redeem, CommandStart(deep_link=True, magic=F.args.startswith(INVITE_PREFIX)))
    router.message.register(inbox, Command("inbox"))
    router.callback_query.register(staff_button, StaffCb.filter())
    router.message.register(staff_text, StateFilter(StaffInput.placed_note, StaffInput.message), TEXT)
    return router


def make_after_cancel_router() -> Router:
    """After the menu and commands, so that those still work right after a Cancel."""
    router = private_only(Router(name="coordinator-after-cancel"))
    router.message.register(after_cancel, StateFilter(StaffInput.cancelled), TEXT)
    return router
