"""End to end: volunteer sign-up, coordinators and the person's rights, through the sandbox.

Three people at once: a volunteer, the coordinator of the volunteer's planning area and a
coordinator of another area; an admin for districts without coordinators.
"""

import asyncio
import datetime as dt
import itertools
import json
import logging

import pytest
from sqlalchemy import func, select

from bot.callbacks import StaffCb
from bot.factory import build_dispatcher, make_bot
from bot.i18n import make_i18n
from bot.models import AuditEntry, OutboxMessage, Person, Signup
from bot.notifications import housekeeping
from bot.polling import polling
from bot.sandbox import BotAPISandbox
from bot.services import signups
from knowledge.db import make_sessionmaker
from knowledge.models import District
from tests.conftest import live_settings

TOKEN = "123456:SIGNUP"
ADMIN = 990_000_001
_users = itertools.count(960_000)
DURLACH = 19


@pytest.fixture
async def env(signup_engine, seeded_url, knowledge, fsm_storage):
    seeded_engine = signup_engine
    sandbox = BotAPISandbox(token=TOKEN)
    await sandbox.start()
    settings = live_settings(sandbox, seeded_url, admin_ids=[ADMIN])
    dp = build_dispatcher(settings, seeded_engine, knowledge, storage=fsm_storage)
    async with polling(dp, make_bot(TOKEN, sandbox.base_url)):
        yield sandbox, settings, make_sessionmaker(seeded_engine)
    await sandbox.stop()
    assert sandbox.invalid_calls == []


def text_of(sent) -> str:
    return sent.params.get("text") or sent.params.get("caption") or sent.message.get("text") or ""


def buttons(sent) -> dict[str, str]:
    markup = sent.params.get("reply_markup") or {}
    return {b["text"]: b["callback_data"] for row in markup.get("inline_keyboard") or [] for b in row}


def button(sent, startswith: str) -> str:
    return next(data for data in buttons(sent).values() if data.startswith(startswith))


async def area_of(sessionmaker, district: int) -> int:
    async with sessionmaker() as s:
        return (await s.get(District, district)).planning_area_id


async def coordinator(sandbox, sessionmaker, area: int, lang: str = "de"):
    async with sessionmaker() as s:
        token = await signups.create_invite(s, area, hours=1)
        await s.commit()
    u = sandbox.user(next(_users), first_name="Koordination", language_code=lang)
    await u.send_text(f"/start inv_{token}")
    (welcome,) = await u.wait_for_bot(1, timeout=10)
    assert "/inbox" in text_of(welcome)
    return u, token


async def step(u, sent, data: str):
    """Press a form button and return the edited message."""
    await u.press(sent.message["message_id"], data)
    (edited,) = await u.wait_for_bot(1, timeout=10)
    return edited


async def sign_up(u, opening: str, *, phone: str | None, note: str | None):
    await u.send_text(opening)
    intro, form = await u.wait_for_bot(2, timeout=10)
    form = await step(u, form, "su:toggle:visiting")
    form = await step(u, form, "su:toggle:digital")
    form = await step(u, form, "su:done:")
    form = await step(u, form, "su:toggle:evenings")
    form = await step(u, form, "su:done:")
    form = await step(u, form, "su:hours:5-10")
    if phone:
        form = await step(u, form, "su:contact:phone")
        await u.send_text("12")  # not a phone number: asked again, nothing changes
        (again,) = await u.wait_for_bot(1, timeout=10)
        assert "0721" in text_of(again)
        await u.send_text(phone)
        (form,) = await u.wait_for_bot(1, timeout=10)
    else:
        form = await step(u, form, "su:contact:bot")
    if note:
        await u.send_text(note)
        (form,) = await u.wait_for_bot(1, timeout=10)
    else:
        form = await step(u, form, "su:skip:")
    summary = form
    form = await step(u, form, "su:ok:")
    receipt = await step(u, form, "su:send:")
    return intro, summary, form, receipt


async def test_full_sign_up_reaches_only_the_district_coordinator(env, caplog):
    sandbox, _settings, sessionmaker = env
    caplog.set_level(logging.DEBUG)
    area = await area_of(sessionmaker, DURLACH)
    coord, _ = await coordinator(sandbox, sessionmaker, area)
    other, _ = await coordinator(sandbox, sessionmaker, area % 6 + 1)
    volunteer = sandbox.user(next(_users), first_name="Ayşe", language_code="de")

    phone, note = "0721 133 5101", "Ich spreche auch Türkisch und habe dienstags Zeit"
    _intro, summary, consent, receipt = await sign_up(
        volunteer, "Ich möchte mich in Durlach engagieren", phone=phone, note=note
    )
    assert "Durlach" in text_of(summary) and "+497211335101" in text_of(summary)
    assert "/withdraw" in text_of(consent)  # the privacy text names the person's rights
    async with sessionmaker() as s:
        stored = await s.scalar(select(Signup).order_by(Signup.id.desc()))
    assert stored.district_number == DURLACH and stored.planning_area_id == area and not stored.unassigned
    assert stored.interests == ["visiting", "digital"] and stored.phone == "+497211335101"
    assert stored.ref in text_of(receipt)
    async with sessionmaker() as s:  # the receipt names the coordination it really went to
        assert await signups.area_name(s, area) in text_of(receipt)

    (notice,) = await coord.wait_for_bot(1, timeout=10)
    assert stored.ref in text_of(notice) and note in text_of(notice)
    assert {"st:contacted", "st:placed", "st:not_fit", "st:write"} <= {
        d.rsplit(":", 1)[0] for d in buttons(notice).values()
    }
    await asyncio.sleep(0.3)
    assert len(other.messages) == 1  # only the welcome: the other area hears nothing

    # the other area's coordinator presses the buttons: refused, audited, nothing changes
    answer = await other.press_for_answer(1, StaffCb(action="contacted", sid=stored.id).pack())
    assert answer["show_alert"]
    answer = await volunteer.press_for_answer(1, StaffCb(action="placed", sid=stored.id).pack())
    assert answer["show_alert"]
    await volunteer.send_text("/inbox")
    (refusal,) = await volunteer.wait_for_bot(1, timeout=10)
    assert "/inbox" not in text_of(refusal) and stored.ref not in text_of(refusal)

    # messages both ways through the bot
    await coord.press(notice.message["message_id"], button(notice, "st:write"))
    await coord.wait_for_bot(1, timeout=10)  # the prompt
    await coord.send_text("Hallo! Passt Ihnen Donnerstag?")
    (relayed, coord_side) = await asyncio.gather(
        volunteer.wait_for_bot(1, timeout=10), coord.wait_for_bot(2, timeout=10)
    )
    relayed = relayed[0]
    assert "Donnerstag" in text_of(relayed) and stored.ref in text_of(relayed)
    # writing to the person counts as contact: the card says so, "Contacted" is gone
    (card,) = [m for m in coord_side if m.method == "editMessageText"]
    assert card.params["message_id"] == notice.message["message_id"]
    assert "Status: in Kontakt mit der Person" in text_of(card) and note in text_of(card)
    assert {d.rsplit(":", 1)[0] for d in buttons(card).values()} == {"st:placed", "st:not_fit", "st:write"}
    await volunteer.press(relayed.message["message_id"], button(relayed, "ps:reply"))
    await volunteer.wait_for_bot(1, timeout=10)
    await volunteer.send_text("Ja, Donnerstag passt.")
    await volunteer.wait_for_bot(1, timeout=10)
    (answer_msg,) = await coord.wait_for_bot(1, timeout=10)
    assert "Donnerstag passt" in text_of(answer_msg)

    # status change reaches the person
    await coord.press(notice.message["message_id"], button(notice, "st:placed"))
    await coord.wait_for_bot(1, timeout=10)  # asks for a note
    await coord.send_text("Seniorenclub Durlach")
    coord_side = await coord.wait_for_bot(2, timeout=10)
    (status,) = await volunteer.wait_for_bot(1, timeout=10)
    assert stored.ref in text_of(status) and "Seniorenclub Durlach" in text_of(status)
    (card,) = [m for m in coord_side if m.method == "editMessageText"]
    assert card.params["message_id"] == notice.message["message_id"] and "Status: vermittelt" in text_of(card)
    assert {d.rsplit(":", 1)[0] for d in buttons(card).values()} == {"st:write"}

    # the person's data: as text and as a JSON file
    await volunteer.send_text("/mydata")
    text, document = await volunteer.wait_for_bot(2, timeout=10)
    assert stored.ref in text_of(text)
    data = json.loads(document.document)
    assert data["signups"][0]["phone"] == "+497211335101" and data["signups"][0]["note"] == note
    assert data["networks"] == [] and data["partner"] is None

    async with sessionmaker() as s:
        refused = await s.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.allowed.is_(False))
        )
        changes = list(await s.scalars(select(AuditEntry.detail).where(AuditEntry.action == "status_change")))
    assert refused >= 2 and "placed" in changes

    # no personal data in any log line of the whole conversation
    logged = caplog.text
    for secret in (phone, "+497211335101", note, "Donnerstag", "Ayşe", "Seniorenclub Durlach"):
        assert secret not in logged


def tr(msgid: str, lang: str) -> str:
    return make_i18n().gettext(msgid, locale=lang)


@pytest.mark.parametrize("lang", ["de", "en"])
async def test_withdraw_and_delete_strip_the_coordinators_cards(env, lang):
    sandbox, _settings, sessionmaker = env
    area = await area_of(sessionmaker, DURLACH)
    coord, _ = await coordinator(sandbox, sessionmaker, area, lang=lang)
    volunteer = sandbox.user(next(_users), language_code="de")
    await sign_up(volunteer, "Ich will in Durlach helfen", phone="0721 133 5102", note="erste Anmeldung")
    (first,) = await coord.wait_for_bot(1, timeout=10)
    await sign_up(volunteer, "Ich möchte mich in Durlach engagieren", phone=None, note="zweite Anmeldung")
    (second,) = await coord.wait_for_bot(1, timeout=10)
    assert "erste Anmeldung" in text_of(first) and "+497211335102" in text_of(first)

    await volunteer.send_text("/withdraw")
    (choice,) = await volunteer.wait_for_bot(1, timeout=10)
    withdraw = min(
        (d for d in buttons(choice).values() if d.startswith("ps:withdraw")),
        key=lambda d: int(d.split(":")[-1]),
    )
    done = await step(volunteer, choice, withdraw)
    told, edited = sorted(await coord.wait_for_bot(2, timeout=10), key=lambda m: m.method != "sendMessage")
    async with sessionmaker() as s:
        statuses = sorted((await s.execute(select(Signup.ref, Signup.status))).all(), key=lambda r: r[0])
    withdrawn = [r for r, st in statuses if st == "withdrawn"]
    assert len(withdrawn) == 1 and withdrawn[0] in text_of(told) and withdrawn[0] in text_of(done)
    assert "erste Anmeldung" not in text_of(told)
    # the card itself no longer shows the phone number or the note, and has no buttons
    assert edited.method == "editMessageText" and edited.params["message_id"] == first.message["message_id"]
    assert withdrawn[0] in text_of(edited)
    assert "erste Anmeldung" not in text_of(edited) and "+497211335102" not in text_of(edited)
    assert not buttons(edited)

    await volunteer.send_text("/delete")
    (confirm,) = await volunteer.wait_for_bot(1, timeout=10)
    erased = await step(volunteer, confirm, button(confirm, "ps:delete"))
    assert erased.method == "editMessageText"
    got = await coord.wait_for_bot(3, timeout=10)
    (told2,) = [m for m in got if m.method == "sendMessage"]
    edits = {m.params["message_id"]: m for m in got if m.method == "editMessageText"}
    assert set(edits) == {first.message["message_id"], second.message["message_id"]}
    for card in edits.values():
        assert "Anmeldung" not in text_of(card).replace("<b>Anmeldung", "") and not buttons(card)
    assert "zweite Anmeldung" not in text_of(edits[second.message["message_id"]])
    async with sessionmaker() as s:
        assert await s.scalar(select(Person).where(Person.telegram_id == volunteer.id)) is None
        assert await s.scalar(select(func.count()).select_from(Signup)) == 0
    assert "Durlach" not in text_of(told2).replace("Durlach und", "")  # only the reference number

    # the coordinator's old buttons now point at nothing: a kind, true answer, nothing changes
    gone = tr(
        "The person has withdrawn this sign-up or deleted their data, so I can no longer "
        "pass anything on to them.",
        lang,
    )
    answer = await coord.press_for_answer(second.message["message_id"], button(second, "st:write"))
    assert answer["show_alert"] and answer["text"] == gone
    answer = await coord.press_for_answer(second.message["message_id"], button(second, "st:contacted"))
    assert answer["show_alert"] and answer["text"] == gone
    # and their next text is a question again (no reply was opened)
    await coord.send_text("Seniorentreff in Durlach")
    (reply,) = await coord.wait_for_bot(1, timeout=10)
    assert gone not in text_of(reply)


@pytest.mark.parametrize("lang", ["de", "tr"])
async def test_reply_prompts_have_cancel_and_a_cancelled_reply_is_not_searched(env, lang):
    sandbox, _settings, sessionmaker = env
    area = await area_of(sessionmaker, DURLACH)
    coord, _ = await coordinator(sandbox, sessionmaker, area, lang=lang)
    volunteer = sandbox.user(next(_users), language_code=lang)
    await sign_up(volunteer, "Ich möchte mich in Durlach engagieren", phone=None, note=None)
    (notice,) = await coord.wait_for_bot(1, timeout=10)
    heard = len(volunteer.messages)

    # the coordinator opens a reply and cancels it
    await coord.press(notice.message["message_id"], button(notice, "st:write"))
    (prompt,) = await coord.wait_for_bot(1, timeout=10)
    cancelled = await step(coord, prompt, button(prompt, "st:cancel"))
    assert text_of(cancelled) == tr("Cancelled. Nothing was sent.", lang)
    # the text meant as the reply: neither sent nor answered as a search
    await coord.send_text("Passt Ihnen Donnerstag um 18 Uhr?")
    (said,) = await coord.wait_for_bot(1, timeout=10)
    after_cancel = tr(
        "You cancelled your reply, so I have not sent this to anybody. To write to the person, "
        "press “Write to the person” on the sign-up again; to search for it, "
        "send your question once more.",
        lang,
    )
    assert text_of(said) == after_cancel
    # a new question afterwards is answered as one
    await coord.send_text("Seniorentreff in Durlach")
    (answer,) = await coord.wait_for_bot(1, timeout=10)
    assert text_of(answer) != text_of(said)
    await asyncio.sleep(0.3)
    assert len(volunteer.messages) == heard  # nothing reached the person
    async with sessionmaker() as s:
        relays = await s.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "relay_to_person")
        )
    assert relays == 0

    # a real reply: the person's "Reply" prompt has Cancel too, and after it their text is a question
    await coord.press(notice.message["message_id"], button(notice, "st:write"))
    await coord.wait_for_bot(1, timeout=10)
    await coord.send_text("Passt Ihnen Donnerstag?")
    await coord.wait_for_bot(2, timeout=10)  # "sent" and the card now "in contact"
    (relayed,) = await volunteer.wait_for_bot(1, timeout=10)
    await volunteer.press(relayed.message["message_id"], button(relayed, "ps:reply"))
    (reply_prompt,) = await volunteer.wait_for_bot(1, timeout=10)
    undone = await step(volunteer, reply_prompt, button(reply_prompt, "ps:cancel_reply"))
    assert text_of(undone) == tr("Cancelled. Nothing was sent.", lang)
    await volunteer.send_text("Seniorentreff in Durlach")
    await volunteer.wait_for_bot(1, timeout=10)
    with pytest.raises(TimeoutError):  # nothing relayed to the coordination
        await coord.wait_for_bot(1, timeout=0.5)


async def test_arabic_sign_up_without_coordinator_goes_to_admins_and_is_reminded(env):
    sandbox, settings, sessionmaker = env
    admin = sandbox.user(ADMIN, first_name="Zentrale", language_code="de")
    volunteer = sandbox.user(next(_users), language_code="ar")
    _intro, summary, _consent, receipt = await sign_up(
        volunteer, "أريد التطوع في Durlach", phone=None, note=None
    )
    # the form spoke Arabic
    assert any("\u0600" <= ch <= "\u06ff" for ch in text_of(summary) + text_of(receipt))
    (notice,) = await admin.wait_for_bot(1, timeout=10)
    assert "⚠" in text_of(notice)  # flagged: nobody coordinates this area yet
    central = tr(
        "Thank you! No district coordinator is set up for {district} yet, so your sign-up <b>{ref}</b> "
        "has been sent to the city's central team. They will answer you here. "
        "/mydata shows what is stored, /withdraw withdraws it.",
        "ar",
    )
    ref = text_of(receipt).split("<b>")[1].split("</b>")[0]
    assert text_of(receipt) == central.format(ref=ref, district="Durlach")
    async with sessionmaker() as s:
        stored = await s.scalar(select(Signup).order_by(Signup.id.desc()))
        assert stored.unassigned and stored.language == "ar"
        stored.updated_at = stored.created_at - dt.timedelta(days=10)
        await s.commit()
    reminded, _erased = await housekeeping(sessionmaker, settings)
    assert reminded == 1
    (reminder,) = await admin.wait_for_bot(1, timeout=10)
    assert stored.ref in text_of(reminder) and "⏰" in text_of(reminder)
    assert (await housekeeping(sessionmaker, settings))[0] == 0  # once per period, not every hour

    # the admin handles it (admins reach every area) and the person hears it in Arabic
    await admin.press(notice.message["message_id"], button(notice, "st:contacted"))
    (card,) = await admin.wait_for_bot(1, timeout=10)  # the card itself, edited; no extra message
    assert card.method == "editMessageText" and card.params["message_id"] == notice.message["message_id"]
    assert "st:contacted" not in json.dumps(card.params["reply_markup"])
    (status,) = await volunteer.wait_for_bot(1, timeout=10)
    assert stored.ref in text_of(status) and any("\u0600" <= ch <= "\u06ff" for ch in text_of(status))


async def test_invite_links_work_once_and_expire(env):
    sandbox, _settings, sessionmaker = env
    area = await area_of(sessionmaker, DURLACH)
    _coord, token = await coordinator(sandbox, sessionmaker, area)
    thief = sandbox.user(next(_users), language_code="de")
    await thief.send_text(f"/start inv_{token}")  # reused
    (refused,) = await thief.wait_for_bot(1, timeout=10)
    async with sessionmaker() as s:
        expired = await signups.create_invite(s, area, hours=-1)
        await s.commit()
    await thief.send_text(f"/start inv_{expired}")
    (refused2,) = await thief.wait_for_bot(1, timeout=10)
    await thief.send_text("/start inv_forged")
    (refused3,) = await thief.wait_for_bot(1, timeout=10)
    assert text_of(refused) == text_of(refused2) == text_of(refused3)
    await thief.send_text("/inbox")
    (inbox,) = await thief.wait_for_bot(1, timeout=10)
    refusal = make_i18n().gettext(
        "Sorry, this is only for the coordination of the district concerned.", locale="de"
    )
    assert text_of(inbox) == refusal
    async with sessionmaker() as s:
        details = list(
            await s.scalars(
                select(AuditEntry.detail).where(
                    AuditEntry.action == "invite_redeem", AuditEntry.allowed.is_(False)
                )
            )
        )
    assert sorted(details)[-3:] == ["expired", "unknown", "used"]


async def test_cancel_and_back_store_nothing(env):
    sandbox, _settings, sessionmaker = env
    u = sandbox.user(next(_users), language_code="de")
    await u.send_text("Ich möchte mich engagieren")
    _intro, form = await u.wait_for_bot(2, timeout=10)
    assert "su:district:" in json.dumps(form.params["reply_markup"])  # no district known: asked first
    form = await step(u, form, f"su:district:{DURLACH}")
    assert "su:toggle:visiting" in json.dumps(form.params["reply_markup"])
    alert = await u.press_for_answer(form.message["message_id"], "su:done:")  # nothing chosen yet
    assert alert["show_alert"]
    form = await step(u, form, "su:back:")
    assert "su:district:" in json.dumps(form.params["reply_markup"])
    cancelled = await step(u, form, "su:cancel:")
    assert cancelled.method == "editMessageText" and not cancelled.params.get("reply_markup")
    alert = await u.press_for_answer(cancelled.message["message_id"], "su:send:")  # the form is closed
    assert alert["show_alert"]
    async with sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(Signup)) == 0
        assert await s.scalar(select(func.count()).select_from(OutboxMessage)) == 0


async def test_a_restart_in_the_middle_of_the_form_continues_where_the_person_was(
    signup_engine, seeded_url, knowledge, fsm_storage
):
    """The draft lives in the FSM storage (Redis when configured): a new bot process goes on."""
    sandbox = BotAPISandbox(token=TOKEN)
    await sandbox.start()
    settings = live_settings(sandbox, seeded_url)
    u = sandbox.user(next(_users), language_code="de")
    try:
        first = build_dispatcher(settings, signup_engine, knowledge, storage=fsm_storage)
        async with polling(first, make_bot(TOKEN, sandbox.base_url)):
            await u.send_text("Ich möchte mich in Durlach engagieren")
            _intro, form = await u.wait_for_bot(2, timeout=10)
            form = await step(u, form, "su:toggle:children")
            form = await step(u, form, "su:done:")
        # the process is gone; a new one starts with the same storage
        second = build_dispatcher(settings, signup_engine, knowledge, storage=fsm_storage)
        async with polling(second, make_bot(TOKEN, sandbox.base_url)):
            form = await step(u, form, "su:toggle:weekends")
            form = await step(u, form, "su:done:")
            form = await step(u, form, "su:hours:1-4")
            form = await step(u, form, "su:contact:bot")
            form = await step(u, form, "su:skip:")
            assert "Durlach" in text_of(form)
            form = await step(u, form, "su:ok:")
            receipt = await step(u, form, "su:send:")
        async with make_sessionmaker(signup_engine)() as s:
            stored = await s.scalar(select(Signup))
        # no coordinator and no admin (only the sandbox allows that): the receipt says so
        nobody = tr(
            "Your sign-up <b>{ref}</b> is stored, but nobody can receive it yet: no coordination is set up "
            "for {district}. /mydata shows what is stored, /withdraw withdraws it.",
            "de",
        )
        assert text_of(receipt) == nobody.format(ref=stored.ref, district="Durlach")
        assert stored.interests == ["children"] and stored.availability == ["weekends"]
        assert stored.district_number == DURLACH and stored.unassigned
        assert sandbox.invalid_calls == []
    finally:
        await sandbox.stop()


async def test_fifty_presses_of_i_agree_at_once_store_one_sign_up(
    signup_engine, seeded_url, knowledge, fsm_storage
):
    """No event isolation: the presses run side by side; the database lets one consent through."""
    sandbox = BotAPISandbox(token=TOKEN)
    await sandbox.start()
    settings = live_settings(sandbox, seeded_url, admin_ids=[ADMIN], throttle_rate=1000, throttle_burst=1000)
    u = sandbox.user(next(_users), language_code="de")
    admin = sandbox.user(ADMIN, language_code="de")
    try:
        dp = build_dispatcher(settings, signup_engine, knowledge, storage=fsm_storage)
        async with polling(dp, make_bot(TOKEN, sandbox.base_url)):
            await u.send_text("Ich möchte mich in Durlach engagieren")
            _intro, form = await u.wait_for_bot(2, timeout=10)
            for data in ("su:toggle:events", "su:done:", "su:toggle:weekends", "su:done:", "su:hours:1-4"):
                form = await step(u, form, data)
            form = await step(u, form, "su:contact:bot")
            form = await step(u, form, "su:skip:")
            consent = await step(u, form, "su:ok:")
            seen, shown = len(u.answers), len(u.messages)
            await asyncio.gather(*(u.press(consent.message["message_id"], "su:send:") for _ in range(50)))
            for _ in range(500):
                if len(u.answers) >= seen + 50:
                    break
                await asyncio.sleep(0.02)
            assert len(u.answers) == seen + 50  # every press answered
            (receipt,) = await u.wait_for_bot(1, timeout=10)
            (notice,) = await admin.wait_for_bot(1, timeout=10)
            await asyncio.sleep(0.3)
        async with make_sessionmaker(signup_engine)() as s:
            person = await s.scalar(select(Person).where(Person.telegram_id == u.id))
            (stored,) = (await s.scalars(select(Signup).where(Signup.person_id == person.id))).all()
        assert stored.ref in text_of(receipt) and stored.ref in text_of(notice)
        assert len(u.messages) == shown + 1 and len(admin.messages) == 1  # one receipt, one notice
        closed = make_i18n().gettext("This form is closed. Press “Get involved” to start again.", locale="de")
        said = [a.get("text") or "" for a in u.answers[seen:]]
        # the first press is thanked in the message; a press that raced it hears the same number,
        # one that came after it finds the form closed
        assert said.count("") == 1 and all(stored.ref in text or text == closed for text in said if text)
        assert sandbox.invalid_calls == []
    finally:
        await sandbox.stop()
