"""The bot in a group: public answers only, personal flows point to the private chat.

Issue 17, finding 3: with the bot in a group, /mydata posted a volunteer's phone, note and
JSON file to the group, a coordinator's /inbox posted full sign-up cards, the sign-up form
ran in the group, and kicking the bot from a group marked the kicking person inactive.
"""

import itertools

import pytest
from sqlalchemy import select

from bot.callbacks import PersonSignupCb, SignupCb, StaffCb
from bot.factory import build_dispatcher
from bot.models import Person, Signup
from bot.services import people, signups
from bot.services.signups import Draft
from bot.settings import Settings
from knowledge.db import make_sessionmaker
from tests.mocked_bot import BOT_USER, MockedSession, People, make_mocked_bot

_ids = itertools.count(890_000)
PHONE, NOTE = "+497211335101", "Ich habe dienstags Zeit, bitte nicht vor 10 Uhr anrufen"
DURLACH = 19


@pytest.fixture
async def group_harness(signup_engine, seeded_url, knowledge, fsm_storage):
    async def make(group_mode: str = "answer"):
        settings = Settings(
            database_url=seeded_url,
            redis_url=None,
            throttle_rate=1000,
            throttle_burst=1000,
            group_mode=group_mode,
        )
        dp = build_dispatcher(settings, signup_engine, knowledge, storage=fsm_storage)
        bot = make_mocked_bot()

        async def feed(update):
            await dp.feed_update(bot, update)
            return bot.session

        return dp, bot, feed

    return make


async def _volunteer_with_sign_up(engine) -> People:
    person = People(user_id=next(_ids))
    async with make_sessionmaker(engine)() as s:
        record = await people.get_or_create(s, person.user.id, "de")
        draft = Draft(
            district=DURLACH,
            interests=["visiting"],
            availability=["evenings"],
            hours="5-10",
            contact_via="phone",
            phone=PHONE,
            note=NOTE,
        )
        await signups.submit(s, record, draft, "de", [])
    return person


async def _coordinator(engine) -> People:
    person = People(user_id=next(_ids))
    async with make_sessionmaker(engine)() as s:
        record = await people.get_or_create(s, person.user.id, "de")
        area = await signups.area_of_district(s, DURLACH)
        await signups.add_coordinator(s, record, area)
        await s.commit()
    return person


def _everything_sent(session: MockedSession) -> str:
    parts = []
    for r in session.requests:
        for name in ("text", "caption"):
            parts.append(str(getattr(r, name, "") or ""))
        document = getattr(r, "document", None)
        if document is not None and hasattr(document, "data"):
            parts.append(document.data.decode("utf-8", "replace"))
    return "\n".join(parts)


def _only_the_pointer(session: MockedSession, group_id: int) -> str:
    """The bot's only message: a short reply in the group with a button into the private chat."""
    sent = [r for r in session.requests if type(r).__name__ not in ("GetMe",)]
    assert [type(r).__name__ for r in sent] == ["SendMessage"], sent
    (reply,) = sent
    assert reply.chat_id == group_id
    (row,) = reply.reply_markup.inline_keyboard
    (button,) = row
    assert button.url.startswith(f"https://t.me/{BOT_USER.username}?start=")
    assert button.callback_data is None
    return button.url


@pytest.mark.parametrize(
    "command",
    [
        "/mydata",
        "/delete",
        "/withdraw",
        "/inbox",
        "/broadcast",
        "/meeting",
        "/stats",
        "/subscriptions",
        "/start",
        "/language",
        "/privacy",
        f"/mydata@{BOT_USER.username}",
    ],
)
async def test_personal_commands_in_a_group_point_to_the_private_chat(group_harness, signup_engine, command):
    _dp, bot, feed = await group_harness()
    volunteer = await _volunteer_with_sign_up(signup_engine)
    group = volunteer.in_group()
    await feed(group.text(command))
    _only_the_pointer(bot.session, group.chat.id)
    sent = _everything_sent(bot.session)
    assert PHONE not in sent and NOTE not in sent and "Q-" not in sent


async def test_mydata_in_the_group_posts_nothing_personal_but_works_in_private(group_harness, signup_engine):
    _dp, bot, feed = await group_harness()
    volunteer = await _volunteer_with_sign_up(signup_engine)
    await feed(volunteer.in_group().text("/mydata"))
    assert not bot.session.sent("SendDocument")
    bot.session.requests.clear()
    await feed(volunteer.text("/mydata"))  # in the private chat: everything, as before
    (document,) = bot.session.sent("SendDocument")
    assert document.chat_id == volunteer.user.id and PHONE in document.document.data.decode()


async def test_inbox_in_the_group_shows_no_sign_up_cards(group_harness, signup_engine):
    _dp, bot, feed = await group_harness()
    await _volunteer_with_sign_up(signup_engine)
    coordinator = await _coordinator(signup_engine)
    await feed(coordinator.in_group().text("/inbox"))
    _only_the_pointer(bot.session, coordinator.in_group().chat.id)
    assert NOTE not in _everything_sent(bot.session)
    bot.session.requests.clear()
    await feed(coordinator.text("/inbox"))
    assert NOTE in _everything_sent(bot.session)  # the private chat still gets the cards


@pytest.mark.parametrize("opening", ["Ich möchte mich in Durlach engagieren", "🤝 Mich engagieren"])
async def test_the_sign_up_form_does_not_run_in_a_group(group_harness, opening):
    _dp, bot, feed = await group_harness()
    person = People(user_id=next(_ids))
    group = person.in_group()
    await feed(group.text(opening))
    url = _only_the_pointer(bot.session, group.chat.id)
    assert url.endswith("?start=engage")
    # the deep link opens the form in the private chat
    bot.session.requests.clear()
    await feed(person.text("/start engage"))
    buttons = [
        b.callback_data
        for r in bot.session.sent("SendMessage")
        if r.reply_markup is not None and hasattr(r.reply_markup, "inline_keyboard")
        for row in r.reply_markup.inline_keyboard
        for b in row
    ]
    assert any(b.startswith("su:") for b in buttons)
    assert all(r.chat_id == person.user.id for r in bot.session.sent("SendMessage"))


@pytest.mark.parametrize(
    "data",
    [
        PersonSignupCb(action="delete").pack(),
        SignupCb(action="send").pack(),
        StaffCb(action="contacted", sid=1).pack(),
    ],
)
async def test_personal_buttons_pressed_in_a_group_change_nothing(group_harness, signup_engine, data):
    _dp, bot, feed = await group_harness()
    volunteer = await _volunteer_with_sign_up(signup_engine)
    await feed(volunteer.in_group().press(data))
    (answer,) = bot.session.sent("AnswerCallbackQuery")  # answered: the button does not spin
    assert answer.show_alert
    assert not bot.session.sent("SendMessage") and not bot.session.sent("EditMessageText")
    async with make_sessionmaker(signup_engine)() as s:
        record = await s.scalar(select(Person).where(Person.telegram_id == volunteer.user.id))
        assert record is not None  # not deleted
        assert await s.scalar(select(Signup.status).where(Signup.person_id == record.id)) == "new"


async def test_public_questions_are_answered_in_the_group(group_harness):
    _dp, bot, feed = await group_harness()
    group = People(user_id=next(_ids)).in_group()
    await feed(group.text(f"@{BOT_USER.username} Elterncafé in Mühlburg"))
    (answer,) = bot.session.sent("SendMessage")
    assert answer.chat_id == group.chat.id and "Startpunkt" in answer.text
    await feed(group.text("/help"))
    assert bot.session.sent("SendMessage")[-1].chat_id == group.chat.id
    bot.session.requests.clear()
    await feed(group.sticker_like())  # other messages in a group are left alone
    await feed(group.text("/weather@some_other_bot"))
    assert not bot.session.sent("SendMessage")


async def test_quiet_groups_get_no_answers(group_harness):
    _dp, bot, feed = await group_harness("quiet")
    group = People(user_id=next(_ids)).in_group()
    await feed(group.text("Elterncafé in Mühlburg"))
    await feed(group.location(48.999, 8.417))
    assert not bot.session.sent("SendMessage")
    await feed(group.text("/help"))
    _only_the_pointer(bot.session, group.chat.id)


async def _active(engine, telegram_id: int) -> bool:
    async with make_sessionmaker(engine)() as s:
        return await s.scalar(select(Person.active).where(Person.telegram_id == telegram_id))


@pytest.mark.parametrize("kind", ["group", "supergroup"])
async def test_kicking_the_bot_from_a_group_does_not_mark_the_person_inactive(
    group_harness, signup_engine, kind
):
    _dp, _bot, feed = await group_harness()
    volunteer = await _volunteer_with_sign_up(signup_engine)
    await feed(volunteer.in_group(kind=kind).member_change("member", "kicked"))
    assert await _active(signup_engine, volunteer.user.id) is True
    # blocking the bot in the private chat is what stops the messages
    await feed(volunteer.member_change("member", "kicked"))
    assert await _active(signup_engine, volunteer.user.id) is False
    await feed(volunteer.in_group(kind=kind).member_change("kicked", "member"))  # added to a group again
    assert await _active(signup_engine, volunteer.user.id) is False
    await feed(volunteer.member_change("kicked", "member"))
    assert await _active(signup_engine, volunteer.user.id) is True


# -- end to end: the bot in a group, through the sandbox ----------------------------------------
TOKEN = "123456:GROUPS"


async def test_a_group_end_to_end(signup_engine, seeded_url, knowledge, fsm_storage):
    from bot.factory import make_bot
    from bot.polling import polling
    from bot.sandbox import BotAPISandbox
    from bot.sandbox.server import BOT_USER as SANDBOX_BOT
    from tests.conftest import live_settings

    sandbox = BotAPISandbox(token=TOKEN)
    await sandbox.start()
    dp = build_dispatcher(live_settings(sandbox, seeded_url), signup_engine, knowledge, storage=fsm_storage)
    volunteer = await _volunteer_with_sign_up(signup_engine)
    try:
        async with polling(dp, make_bot(TOKEN, sandbox.base_url)):
            group_id = sandbox.group(-100_555_001, "Nachbarschaft Durlach")
            me = sandbox.user(volunteer.user.id, first_name="Ayşe")
            there = me.in_group(group_id)

            await there.send_text("/mydata")
            (pointer,) = await there.wait_for_bot(1, timeout=10)
            (button,) = pointer.params["reply_markup"]["inline_keyboard"][0]
            assert button["url"] == f"https://t.me/{SANDBOX_BOT['username']}?start=group"

            await there.send_text("Ich möchte mich in Durlach engagieren")
            (pointer,) = await there.wait_for_bot(1, timeout=10)
            assert pointer.params["reply_markup"]["inline_keyboard"][0][0]["url"].endswith("?start=engage")

            await there.send_text("Elterncafé in Mühlburg")
            (answer,) = await there.wait_for_bot(1, timeout=10)
            assert "Startpunkt" in answer.params["text"]

            # the form opens in the private chat only
            await me.send_text("/start engage")
            _intro, form = await me.wait_for_bot(2, timeout=10)
            assert any(
                b["callback_data"].startswith("su:")
                for row in form.params["reply_markup"]["inline_keyboard"]
                for b in row
            )

            update_id = await there.remove_bot()
            await me.wait_for_answer(update_id, timeout=10)
    finally:
        await sandbox.stop()
    assert sandbox.invalid_calls == []
    everything = "\n".join(str(m.params) + str(m.document or b"") for m in sandbox.outbox(group_id))
    assert PHONE not in everything and NOTE not in everything and "Q-" not in everything
    assert await _active(signup_engine, volunteer.user.id) is True
