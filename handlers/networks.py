"""District networks in the chat: /subscriptions, partner registration, network meetings,
coordinator broadcasts (/broadcast) and noticing when a person blocks the bot."""

from __future__ import annotations

import datetime as dt

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import KICKED, MEMBER, ChatMemberUpdatedFilter, Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, ChatMemberUpdated, InlineKeyboardButton, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from dateutil import parser as dateparser
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import BroadcastCb, MeetingCb, NetCb, PartnerCb
from bot.filters import TEXT, Magic, private_only
from bot.models import Person
from bot.network_texts import topic_label
from bot.safe_html import NAME, esc, plain
from bot.services import networks, signups
from bot.services.assistant import Assistant
from bot.services.networks import TOPICS, Audience
from bot.services.outbox import aware
from bot.settings import Settings
from handlers.sending import stale_button
from knowledge.calendar import facility_calendar
from knowledge.schedules import BERLIN, Occurrence


class PartnerForm(StatesGroup):
    organisation = State()


class MeetingForm(StatesGroup):
    when = State()
    place = State()
    agenda = State()


class BroadcastForm(StatesGroup):
    audience = State()
    text = State()
    confirm = State()
    schedule = State()


# -- subscriptions ----------------------------------------------------------------------------
async def _next_step(query: CallbackQuery, state: FSMContext, step: State, prompt: str) -> None:
    """A button led to a typed step of a form: enter it and ask for the text."""
    await state.set_state(step)
    await query.answer()
    await query.message.answer(prompt)


async def _subscriptions_view(session: AsyncSession, person: Person, assistant: Assistant):
    districts = await networks.subscribed_districts(session, person)
    topics = await networks.topics_of(session, person)
    names = assistant.engine.district_names
    text = "\n".join(
        [
            _("<b>Your district networks</b>"),
            _("You get the network's meeting dates and the coordination's news. Tap to follow or stop."),
            _("Following: {networks}").format(
                networks=", ".join(sorted(esc(names[d], NAME) for d in districts)) or "–"
            ),
            _("Topics (none chosen = all): {topics}").format(
                topics=", ".join(topic_label(t) for t in sorted(topics)) or "–"
            ),
        ]
    )
    kb = InlineKeyboardBuilder()
    for number, name in sorted(names.items(), key=lambda kv: kv[1]):
        kb.button(
            text=("✅ " if number in districts else "") + name,
            callback_data=NetCb(action="district", value=str(number)),
        )
    kb.adjust(3)
    topic_row = [
        InlineKeyboardButton(
            text=("✅ " if t in topics else "▫ ") + topic_label(t),
            callback_data=NetCb(action="topic", value=t).pack(),
        )
        for t in TOPICS
    ]
    kb.row(*topic_row[:2])
    kb.row(*topic_row[2:])
    kb.row(
        InlineKeyboardButton(
            text="🏢 " + _("Register my organisation"), callback_data=NetCb(action="partner").pack()
        )
    )
    return text, kb.as_markup()


async def subscriptions(
    message: Message, session: AsyncSession, person: Person, assistant: Assistant
) -> None:
    text, markup = await _subscriptions_view(session, person, assistant)
    await message.answer(text, reply_markup=markup)


async def net_button(
    query: CallbackQuery,
    callback_data: NetCb,
    session: AsyncSession,
    person: Person,
    assistant: Assistant,
    state: FSMContext,
) -> None:
    try:
        if callback_data.action == "district":
            number = int(callback_data.value) if callback_data.value.isdecimal() else None
            if number not in assistant.engine.district_names:  # forged: "n:district:99999999999"
                raise signups.Refused("district")
            await networks.toggle_district(session, person, number)
        elif callback_data.action == "topic":
            await networks.toggle_topic(session, person, callback_data.value)
        elif callback_data.action == "partner":
            await _next_step(
                query,
                state,
                PartnerForm.organisation,
                _(
                    "Which organisation do you represent (e.g. Bürgerverein, Kita, Kirchengemeinde)? "
                    "Please write its name."
                ),
            )
            return
        else:
            raise signups.Refused("action")
    except signups.Refused:
        await stale_button(query)
        return
    await query.answer()
    text, markup = await _subscriptions_view(session, person, assistant)
    await query.message.edit_text(text, reply_markup=markup)


async def partner_name(
    message: Message, session: AsyncSession, person: Person, state: FSMContext, assistant: Assistant
) -> None:
    name = (message.text or "").strip()[:200]
    districts = sorted(await networks.subscribed_districts(session, person))
    district = person.home_district_number or (districts[0] if districts else None)
    if not name or district is None:
        await message.answer(_("Please follow a district network first (/subscriptions), then register."))
        await state.set_state(None)
        return
    await state.set_state(None)
    await networks.register_partner(session, person, name, district)
    await message.answer(
        _("Thank you! The coordination of {district} will confirm {name} as a partner.").format(
            district=esc(assistant.engine.district_names[district], NAME), name=esc(name, NAME)
        )
    )


async def partner_decision(
    query: CallbackQuery, callback_data: PartnerCb, session: AsyncSession, person: Person, settings: Settings
) -> None:
    try:
        partner = await networks.decide_partner(
            session, person, callback_data.pid, callback_data.action == "confirm", settings.admin_ids
        )
    except signups.Refused:
        await query.answer(
            _("Sorry, this is only for the coordination of the district concerned."), show_alert=True
        )
        return
    await query.answer()
    done = _("Confirmed.") if partner.status == "confirmed" else _("Declined.")
    await query.message.edit_text(f"{query.message.html_text}\n\n{done}")


# -- meetings ---------------------------------------------------------------------------------
async def meeting_calendar(
    query: CallbackQuery, callback_data: MeetingCb, session: AsyncSession, assistant: Assistant
) -> None:
    meeting = await networks.get_meeting(session, callback_data.mid)
    if meeting is None:
        await stale_button(query)
        return
    name = plain(  # the calendar's title: plain text, escaped by the calendar library
        _("Network meeting {district}").format(
            district=assistant.engine.district_names.get(meeting.district_number, "")
        ),
        NAME,
    )
    data = facility_calendar(
        name=name,
        address=meeting.place_text,
        description=meeting.agenda,
        url=None,
        occurrences=[Occurrence(aware(meeting.starts_at), minutes=120)],
        uid_prefix=f"meeting-{meeting.id}",
        now=dt.datetime.now(BERLIN),
    )
    await query.answer()
    await query.message.answer_document(BufferedInputFile(data, filename=f"meeting-{meeting.id}.ics"))


async def _staff_districts(
    session: AsyncSession, person: Person, settings: Settings, assistant: Assistant
) -> list[int]:
    if signups.is_admin(person, settings.admin_ids):
        return sorted(assistant.engine.district_names)
    out: list[int] = []
    for area in sorted(await signups.areas_of(session, person)):
        out += await networks.districts_of_area(session, area)
    return sorted(out)


async def _staff_areas(
    session: AsyncSession, person: Person, settings: Settings
) -> list[tuple[int, list[int]]]:
    """The planning areas a coordinator may write to (admins: all), with their districts."""
    if signups.is_admin(person, settings.admin_ids):
        areas = await networks.all_areas(session)
    else:
        areas = sorted(await signups.areas_of(session, person))
    return [(a, await networks.districts_of_area(session, a)) for a in areas]


async def meeting_command(
    message: Message,
    session: AsyncSession,
    person: Person,
    settings: Settings,
    assistant: Assistant,
    state: FSMContext,
) -> None:
    districts = await _staff_districts(session, person, settings, assistant)
    if not districts:
        await signups.audit(session, person, "meeting_announce", allowed=False)
        await message.answer(_("Sorry, this is only for the coordination of the district concerned."))
        return
    kb = InlineKeyboardBuilder()
    for d in districts:
        kb.button(
            text=assistant.engine.district_names[d], callback_data=BroadcastCb(action="meeting", value=str(d))
        )
    kb.button(text="✖ " + _("Cancel"), callback_data=BroadcastCb(action="cancel"))
    kb.adjust(3)
    await state.set_state(None)
    await message.answer(_("Which district network meets?"), reply_markup=kb.as_markup())


async def _future_time(message: Message, example: str) -> dt.datetime | None:
    """A date and time in the future from what a coordinator typed; says what is wrong if not."""
    try:
        when = dateparser.parse(message.text or "", dayfirst=True)
    except (ValueError, OverflowError):
        when = None
    if when is None or (when.hour == 0 and when.minute == 0):  # a date without a time
        await message.answer(_("Please write date and time, e.g. {example}.").format(example=example))
        return None
    when = when.replace(tzinfo=BERLIN) if when.tzinfo is None else when
    if when < dt.datetime.now(BERLIN):
        await message.answer(_("This date has passed. Please write a date in the future."))
        return None
    return when


async def meeting_when(message: Message, state: FSMContext) -> None:
    when = await _future_time(message, "3.12.2026 18:30")
    if when is None:
        return
    await state.update_data(meeting_when=when.isoformat())
    await state.set_state(MeetingForm.place)
    await message.answer(_("Where? Write the place or address."))


async def meeting_place(message: Message, state: FSMContext) -> None:
    await state.update_data(meeting_place=(message.text or "").strip()[:300])
    await state.set_state(MeetingForm.agenda)
    await message.answer(_("What is on the agenda? Write a short text, or “-” for none."))


async def meeting_agenda(
    message: Message,
    session: AsyncSession,
    person: Person,
    state: FSMContext,
    settings: Settings,
    assistant: Assistant,
) -> None:
    data = await state.get_data()
    await state.set_state(None)
    agenda = (message.text or "").strip()
    try:
        meeting = await networks.announce_meeting(
            session,
            person,
            int(data["meeting_district"]),
            dt.datetime.fromisoformat(data["meeting_when"]),
            data.get("meeting_place") or None,
            None if agenda in ("", "-") else agenda[:1500],
            settings.admin_ids,
        )
    except (signups.Refused, KeyError, ValueError):
        await message.answer(_("Sorry, this is only for the coordination of the district concerned."))
        return
    count = await networks.count_audience(session, Audience(districts=[meeting.district_number]))
    await message.answer(_("Announced to {n} subscribers; they are reminded the day before.").format(n=count))


# -- broadcasts -------------------------------------------------------------------------------
async def broadcast_command(
    message: Message,
    session: AsyncSession,
    person: Person,
    settings: Settings,
    assistant: Assistant,
    state: FSMContext,
) -> None:
    districts = await _staff_districts(session, person, settings, assistant)
    if not districts:
        await signups.audit(session, person, "broadcast", allowed=False, detail="not staff")
        await message.answer(_("Sorry, this is only for the coordination of the district concerned."))
        return
    await state.set_state(BroadcastForm.audience)
    await state.update_data(bc=Audience().to_json())
    await _show_audience(message, session, state, person, settings, assistant, edit=False)


async def _show_audience(target, session, state, person, settings, assistant, *, edit: bool) -> None:
    audience = Audience.from_json((await state.get_data()).get("bc") or {})
    names = assistant.engine.district_names
    count = (
        await networks.count_audience(session, audience) if audience.districts or audience.city_wide else 0
    )
    lines = [
        _("<b>Broadcast: who should get it?</b>"),
        _("Networks: {networks}").format(
            networks=_("all of Karlsruhe")
            if audience.city_wide
            else ", ".join(esc(names[d], NAME) for d in audience.districts) or "–"
        ),
        _("Topic: {topic}").format(topic=topic_label(audience.topic) if audience.topic else "–"),
        _("Partners only: {yes}").format(yes=_("yes") if audience.partners_only else _("no")),
        _("Recipients now: {n}").format(n=count),
    ]
    kb = InlineKeyboardBuilder()
    for d in await _staff_districts(session, person, settings, assistant):
        mark = "✅ " if d in audience.districts else ""
        kb.button(text=mark + names[d], callback_data=BroadcastCb(action="district", value=str(d)))
    kb.adjust(3)
    for area, districts in await _staff_areas(session, person, settings):
        whole = all(d in audience.districts for d in districts)
        name = await signups.area_name(session, area)
        kb.row(
            InlineKeyboardButton(
                text=("✅ " if whole else "▫ ") + _("Whole planning area {area}").format(area=name),
                callback_data=BroadcastCb(action="area", value=str(area)).pack(),
            )
        )
    for t in TOPICS:
        kb.row(
            InlineKeyboardButton(
                text=("✅ " if audience.topic == t else "▫ ") + topic_label(t),
                callback_data=BroadcastCb(action="topic", value=t).pack(),
            )
        )
    kb.row(
        InlineKeyboardButton(
            text=("✅ " if audience.partners_only else "▫ ") + _("Partners only"),
            callback_data=BroadcastCb(action="partners").pack(),
        )
    )
    if signups.is_admin(person, settings.admin_ids):
        kb.row(
            InlineKeyboardButton(
                text=("✅ " if audience.city_wide else "▫ ") + _("All of Karlsruhe"),
                callback_data=BroadcastCb(action="city").pack(),
            )
        )
    kb.row(
        InlineKeyboardButton(
            text="➡ " + _("Next: the text"), callback_data=BroadcastCb(action="next").pack()
        ),
        InlineKeyboardButton(text="✖ " + _("Cancel"), callback_data=BroadcastCb(action="cancel").pack()),
    )
    text = "\n".join(lines)
    if edit:
        await target.message.edit_text(text, reply_markup=kb.as_markup())
    else:
        await target.answer(text, reply_markup=kb.as_markup())


async def broadcast_button(
    query: CallbackQuery,
    callback_data: BroadcastCb,
    session: AsyncSession,
    person: Person,
    settings: Settings,
    assistant: Assistant,
    state: FSMContext,
    bot: Bot,
) -> None:
    action, value = callback_data.action, callback_data.value
    allowed = await _staff_districts(session, person, settings, assistant)
    if not allowed:
        await signups.audit(session, person, "broadcast", allowed=False, detail="forged button")
        await query.answer(
            _("Sorry, this is only for the coordination of the district concerned."), show_alert=True
        )
        return
    current = await state.get_state()
    if action == "cancel":
        await state.set_state(None)
        await query.answer()
        await query.message.edit_text(_("Cancelled. Nothing was sent."))
        return
    if action == "meeting":
        if not value.isdigit() or int(value) not in allowed:
            await stale_button(query)
            return
        await state.set_state(MeetingForm.when)
        await state.update_data(meeting_district=int(value))
        await query.answer()
        await query.message.edit_text(_("When? Write date and time, e.g. 3.12.2026 18:30."))
        return
    data = await state.get_data()
    audience = Audience.from_json(data.get("bc") or {})
    if current == BroadcastForm.audience.state and action in (
        "district",
        "area",
        "topic",
        "partners",
        "city",
    ):
        areas = dict(await _staff_areas(session, person, settings))
        if action == "area":
            if not value.isdigit() or int(value) not in areas:
                await stale_button(query)
                return
            members = areas[int(value)]
            if all(d in audience.districts for d in members):
                audience.districts = [d for d in audience.districts if d not in members]
            else:
                audience.districts = sorted({*audience.districts, *members})
        elif action == "district":
            if not value.isdigit() or int(value) not in allowed:
                await stale_button(query)
                return
            d = int(value)
            audience.districts = (
                [x for x in audience.districts if x != d]
                if d in audience.districts
                else [*audience.districts, d]
            )
        elif action == "topic" and value in TOPICS:
            audience.topic = None if audience.topic == value else value
        elif action == "partners":
            audience.partners_only = not audience.partners_only
        elif action == "city" and signups.is_admin(person, settings.admin_ids):
            audience.city_wide = not audience.city_wide
        else:
            await stale_button(query)
            return
        await state.update_data(bc=audience.to_json())
        await query.answer()
        await _show_audience(query, session, state, person, settings, assistant, edit=True)
        return
    if current == BroadcastForm.audience.state and action == "next":
        if not (audience.districts or audience.city_wide):
            await query.answer(_("Please choose at least one network."), show_alert=True)
            return
        await _next_step(
            query,
            state,
            BroadcastForm.text,
            _(
                "Write the message. Telegram formatting works: <b>bold</b>, <i>italic</i>, links. "
                "You can also send a photo or a document with a caption."
            ),
        )
        return
    if current == BroadcastForm.confirm.state and action in ("send", "later"):
        if action == "later":
            await _next_step(
                query,
                state,
                BroadcastForm.schedule,
                _("When should it go out? Write date and time, e.g. 3.12.2026 08:00."),
            )
            return
        await _create(query.message, session, person, settings, state, None)
        await query.answer()
        return
    await stale_button(query)


async def broadcast_text(
    message: Message, session: AsyncSession, person: Person, settings: Settings, state: FSMContext, bot: Bot
) -> None:
    photo = message.photo[-1].file_id if message.photo else None
    document = message.document.file_id if message.document else None
    text = message.html_text if (message.text or message.caption) else ""
    limit = networks.MAX_CAPTION if photo or document else networks.MAX_BROADCAST
    if not text.strip():
        await message.answer(_("The message is empty. Please write a text."))
        return
    if len(text) > limit:
        await message.answer(
            _("The message is too long: {n} characters, at most {limit}. Please shorten it.").format(
                n=len(text), limit=limit
            )
        )
        return
    audience = Audience.from_json((await state.get_data()).get("bc") or {})
    count = await networks.count_audience(session, audience)
    await message.answer(_("<b>Preview</b>: this is exactly what {n} recipients will get:").format(n=count))
    try:
        if document:
            await bot.send_document(message.chat.id, document, caption=text)
        elif photo:
            await bot.send_photo(message.chat.id, photo, caption=text)
        else:
            await bot.send_message(message.chat.id, text)
    except TelegramBadRequest:
        await message.answer(
            _("Telegram cannot show this formatting. Please check the text and send it again.")
        )
        return
    await state.update_data(bc_text=text, bc_photo=photo, bc_document=document)
    await state.set_state(BroadcastForm.confirm)
    kb = InlineKeyboardBuilder()
    kb.button(text="📨 " + _("Send now to {n}").format(n=count), callback_data=BroadcastCb(action="send"))
    kb.button(text="🕒 " + _("Send later"), callback_data=BroadcastCb(action="later"))
    kb.button(text="✖ " + _("Cancel"), callback_data=BroadcastCb(action="cancel"))
    kb.adjust(1)
    await message.answer(_("Send it?"), reply_markup=kb.as_markup())


async def broadcast_schedule(
    message: Message, session: AsyncSession, person: Person, settings: Settings, state: FSMContext
) -> None:
    when = await _future_time(message, "3.12.2026 08:00")
    if when is None:
        return
    await _create(message, session, person, settings, state, when)


async def _create(
    message: Message, session: AsyncSession, person: Person, settings: Settings, state: FSMContext, when
) -> None:
    data = await state.get_data()
    await state.set_state(None)
    try:
        b = await networks.create_broadcast(
            session,
            person,
            Audience.from_json(data.get("bc") or {}),
            data.get("bc_text") or "",
            settings.admin_ids,
            photo=data.get("bc_photo"),
            document=data.get("bc_document"),
            scheduled_at=when,
        )
    except signups.Refused:
        await message.answer(_("Sorry, this is only for the coordination of the district concerned."))
        return
    if when is None:
        await message.answer(
            _("Broadcast {number} is being sent to {n} recipients. You get a report when it is done.").format(
                number=b.id, n=b.recipients
            )
        )
    else:
        await message.answer(
            _("Broadcast {number} to {n} recipients is scheduled.").format(number=b.id, n=b.recipients)
        )


# -- blocked ------------------------------------------------------------------------------------
async def blocked(event: ChatMemberUpdated, session: AsyncSession) -> None:
    # the router runs in private chats only: a group's member removing the bot from the group
    # has not blocked it, and must keep getting their broadcasts and meeting notices
    await networks.set_active(session, event.from_user.id, False)


async def unblocked(event: ChatMemberUpdated, session: AsyncSession) -> None:
    await networks.set_active(session, event.from_user.id, True)


def make_router() -> Router:
    router = private_only(Router(name="networks"))
    router.my_chat_member.register(blocked, ChatMemberUpdatedFilter(member_status_changed=KICKED))
    router.my_chat_member.register(unblocked, ChatMemberUpdatedFilter(member_status_changed=MEMBER))
    router.message.register(subscriptions, Command("subscriptions"))
    router.message.register(meeting_command, Command("meeting"))
    router.message.register(broadcast_command, Command("broadcast"))
    router.callback_query.register(net_button, NetCb.filter())
    router.callback_query.register(partner_decision, PartnerCb.filter())
    router.callback_query.register(meeting_calendar, MeetingCb.filter())
    router.callback_query.register(broadcast_button, BroadcastCb.filter())
    not_command = TEXT
    router.message.register(partner_name, StateFilter(PartnerForm.organisation), not_command)
    router.message.register(meeting_when, StateFilter(MeetingForm.when), not_command)
    router.message.register(meeting_place, StateFilter(MeetingForm.place), not_command)
    router.message.register(meeting_agenda, StateFilter(MeetingForm.agenda), not_command)
    router.message.register(
        broadcast_text,
        StateFilter(BroadcastForm.text),
        Magic(F.text & ~F.text.startswith("/") | F.photo | F.document),
    )
    router.message.register(broadcast_schedule, StateFilter(BroadcastForm.schedule), not_command)
    return router
