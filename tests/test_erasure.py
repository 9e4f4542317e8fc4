"""Erasure reaches everywhere: after /delete no table holds anything that leads back to the person.

One volunteer lives a whole life with the bot (network, partner registration, two sign-ups,
status changes, messages both ways, a meeting notice, a broadcast, /mydata), then deletes
everything through the real dispatcher; every table of the metadata is read afterwards.
"""

import asyncio
import datetime as dt
import itertools
import json
from collections.abc import Iterable

import pytest
from sqlalchemy import func, select

import bot.models  # noqa: F401  (the people side shares the metadata)
from bot.callbacks import BroadcastCb, NetCb
from bot.factory import build_dispatcher, make_bot
from bot.models import AuditEntry, Broadcast, OutboxMessage, Signup
from bot.notifications import housekeeping
from bot.polling import polling
from bot.sandbox import BotAPISandbox
from bot.services import networks, outbox, people, signups
from bot.settings import Settings
from knowledge.db import make_sessionmaker
from knowledge.models import Base, District
from knowledge.schedules import BERLIN
from tests.conftest import live_settings

TOKEN = "123456:ERASURE"
DURLACH = 19
_users = itertools.count(981_000)
_volunteers = itertools.count(5_551_234_001)  # long and distinctive: found by substring only if stored


@pytest.fixture
async def env(signup_engine, seeded_url, knowledge, fsm_storage):
    sandbox = BotAPISandbox(token=TOKEN)
    await sandbox.start()
    settings = live_settings(sandbox, seeded_url)
    dp = build_dispatcher(settings, signup_engine, knowledge, storage=fsm_storage)
    async with polling(dp, make_bot(TOKEN, sandbox.base_url)):
        yield sandbox, settings, make_sessionmaker(signup_engine)
    await sandbox.stop()
    assert sandbox.invalid_calls == []


def text_of(sent) -> str:
    return sent.params.get("text") or sent.params.get("caption") or ""


def buttons(sent) -> dict[str, str]:
    markup = sent.params.get("reply_markup") or {}
    return {b["text"]: b["callback_data"] for row in markup.get("inline_keyboard") or [] for b in row}


def button(sent, startswith: str) -> str:
    return next(data for data in buttons(sent).values() if data.startswith(startswith))


async def press(u, sent, data: str):
    await u.press(sent.message["message_id"], data)
    (reply,) = await u.wait_for_bot(1, timeout=10)
    return reply


async def say(u, text: str, replies: int = 1):
    await u.send_text(text)
    return await u.wait_for_bot(replies, timeout=10)


async def sign_up(u, *, contact: str, value: str, note: str):
    _intro, form = await say(u, "Ich möchte mich in Durlach engagieren", 2)
    for data in ("su:toggle:visiting", "su:done:", "su:toggle:evenings", "su:done:", "su:hours:5-10"):
        form = await press(u, form, data)
    await press(u, form, f"su:contact:{contact}")
    (form,) = await say(u, value)
    (form,) = await say(u, note)
    form = await press(u, form, "su:ok:")
    return await press(u, form, "su:send:")


async def everything_stored(sm) -> list[tuple[str, str, str]]:
    """(table, column, value as text) for every value of every table of the metadata."""
    found = []
    async with sm() as s:
        for table in Base.metadata.sorted_tables:
            for row in (await s.execute(select(table))).mappings():
                for column, value in row.items():
                    if value is None:
                        continue
                    structured = isinstance(value, dict | list)
                    text = json.dumps(value, ensure_ascii=False) if structured else str(value)
                    found.append((table.name, column, text))
    return found


def where(found: Iterable[tuple[str, str, str]], secret: str) -> list[tuple[str, str]]:
    return sorted({(table, column) for table, column, text in found if secret in text})


async def settled(sm) -> None:
    """Wait until the outbox worker has sent everything that is due."""
    for _ in range(200):
        async with sm() as s:
            open_rows = await s.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status.in_(("pending", "sending")))
            )
        if not open_rows:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the outbox did not settle")


async def test_after_delete_no_table_holds_anything_of_the_person(env):
    sandbox, _settings, sm = env
    async with sm() as s:
        area = (await s.get(District, DURLACH)).planning_area_id
        token = await signups.create_invite(s, area, hours=1)
        await s.commit()
    coord = sandbox.user(next(_users), first_name="Koordination", language_code="de")
    await say(coord, f"/start inv_{token}")
    volunteer = sandbox.user(next(_volunteers), first_name="Ayşe", language_code="de")
    tid = volunteer.id

    # a network, and the volunteer's organisation confirmed as a partner
    (view,) = await say(volunteer, "/subscriptions")
    view = await press(volunteer, view, NetCb(action="district", value=str(DURLACH)).pack())
    await press(volunteer, view, NetCb(action="partner").pack())
    organisation = "Nachbarschaftstreff Ayşe Yılmaz"
    await say(volunteer, organisation)
    (request,) = await coord.wait_for_bot(1, timeout=10)
    await press(coord, request, button(request, "pt:confirm"))
    await volunteer.wait_for_bot(1, timeout=10)  # the decision

    # two sign-ups, one reachable by phone and one by e-mail
    phone, email = "0721 987 6543", "ayse.yilmaz@example.org"
    note1, note2 = "Ich habe dienstags Zeit, Diabetikerin", "Nur vormittags wegen Pflege meiner Mutter"
    await sign_up(volunteer, contact="phone", value=phone, note=note1)
    (card1,) = await coord.wait_for_bot(1, timeout=10)
    await sign_up(volunteer, contact="email", value=email, note=note2)
    (card2,) = await coord.wait_for_bot(1, timeout=10)
    async with sm() as s:
        refs = list(await s.scalars(select(Signup.ref).order_by(Signup.id)))
    assert len(refs) == 2

    # the coordinator writes, the volunteer answers, the first sign-up is placed
    await press(coord, card1, button(card1, "st:write"))
    coordinator_words = "Hallo Frau Yılmaz, passt Donnerstag?"
    await coord.send_text(coordinator_words)
    (relayed,) = await volunteer.wait_for_bot(1, timeout=10)
    await coord.wait_for_bot(2, timeout=10)  # "sent", and card1 edited to "in contact"
    await press(volunteer, relayed, button(relayed, "ps:reply"))
    volunteer_words = "Donnerstag passt, meine Nummer ist 0176 5550123"
    await say(volunteer, volunteer_words)
    (their_answer,) = await coord.wait_for_bot(1, timeout=10)
    assert volunteer_words in text_of(their_answer)
    await press(coord, card1, button(card1, "st:placed"))
    await say(coord, "Seniorentreff Durlach bei Frau Yılmaz", 2)  # "placed", and card1 edited
    await volunteer.wait_for_bot(1, timeout=10)  # the status
    await coord.press(card2.message["message_id"], button(card2, "st:contacted"))
    await coord.wait_for_bot(1, timeout=10)
    await volunteer.wait_for_bot(1, timeout=10)

    # a meeting of the network and a broadcast to it
    (choose,) = await say(coord, "/meeting")
    await press(coord, choose, f"bc:meeting:{DURLACH}")
    when = (dt.datetime.now(BERLIN) + dt.timedelta(days=5)).strftime("%d.%m.%Y 18:30")
    for text in (when, "Begegnungsstätte Durlach", "Sommerfest"):
        await say(coord, text)
    await volunteer.wait_for_bot(1, timeout=10)
    (form,) = await say(coord, "/broadcast")
    form = await press(coord, form, BroadcastCb(action="district", value=str(DURLACH)).pack())
    await press(coord, form, BroadcastCb(action="next").pack())
    _intro, _preview, ask = await say(coord, "Stadtteilfest am Samstag!", 3)
    await press(coord, ask, BroadcastCb(action="send").pack())
    await volunteer.wait_for_bot(1, timeout=10)
    await coord.wait_for_bot(1, timeout=15)  # the delivery report
    await say(volunteer, "/mydata", 2)
    await settled(sm)

    secrets = {
        "telegram id": str(tid),
        "phone": "+497219876543",
        "e-mail": email,
        "note": note1,
        "second note": note2,
        "first reference": refs[0],
        "second reference": refs[1],
        "organisation": organisation,
        "own words": "0176 5550123",
    }
    before = await everything_stored(sm)
    assert where(before, str(tid)) and where(before, refs[0]) and where(before, email)  # the scan sees them
    async with sm() as s:
        person_id = (await people.by_telegram_id(s, tid)).id

    # erasure through the chat
    (confirm,) = await say(volunteer, "/delete")
    erased = await press(volunteer, confirm, button(confirm, "ps:delete"))
    assert "erased" in text_of(erased) or "gelöscht" in text_of(erased)
    # the open sign-up: withdrawn, by number only; both cards and the relayed answer are stripped
    got = await coord.wait_for_bot(4, timeout=10)
    (told,) = [m for m in got if m.method == "sendMessage"]
    assert refs[1] in text_of(told)
    stripped = {m.params["message_id"] for m in got if m.method == "editMessageText"}
    assert stripped == {m.message["message_id"] for m in (card1, card2, their_answer)}
    shown = " ".join(text_of(m) for m in got)
    assert not [name for name, secret in secrets.items() if "reference" not in name and secret in shown]
    await settled(sm)

    after = await everything_stored(sm)
    leaks = {name: where(after, secret) for name, secret in secrets.items() if where(after, secret)}
    assert leaks == {}
    # no reference to the person's record is left dangling either
    async with sm() as s:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if any(fk.column.table.name == "persons" for fk in column.foreign_keys):
                    left = await s.scalar(select(func.count()).select_from(table).where(column == person_id))
                    assert left == 0, f"{table.name}.{column.name} still points at the erased person"
        # the coordinators' trail is kept, with pseudonyms instead of reference numbers
        trail = list(await s.execute(select(AuditEntry.action, AuditEntry.signup_ref)))
        assert sum(1 for action, _ in trail if action == "signup_erased") == 2
        assert all(ref is None or ref.startswith("E-") for _, ref in trail)
        broadcast = await s.scalar(select(Broadcast))
        assert broadcast.recipients == 0  # the person was its only recipient


async def test_sent_messages_are_purged_after_the_configured_time(signup_engine, seeded_url):
    sm = make_sessionmaker(signup_engine)
    chat = next(_users)
    now = outbox.utcnow()
    async with sm() as s:
        for key, days in (("old", 10), ("recent", 2), ("given up", 8)):
            await outbox.enqueue(s, chat, "signup_status", {"signup": 1}, key, now - dt.timedelta(days=days))
        await outbox.enqueue(s, chat, "signup_status", {"signup": 1}, "owed", now - dt.timedelta(days=30))
        await s.commit()
        old, recent, given_up, owed = await s.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == chat).order_by(OutboxMessage.id)
        )
        for row in (old, recent):
            row.status, row.sent_at, row.payload = "sent", row.created_at, {}
        given_up.status = "failed"
        owed.next_attempt_at = now + dt.timedelta(days=1)  # owed, not yet due: never purged
        await s.commit()
    await housekeeping(sm, Settings(database_url=seeded_url, outbox_keep_days=7))
    async with sm() as s:
        left = list(await s.scalars(select(OutboxMessage.status).where(OutboxMessage.chat_id == chat)))
    assert sorted(left) == ["pending", "sent"]


async def test_dedupe_keys_hold_no_telegram_id(signup_engine):
    sm = make_sessionmaker(signup_engine)
    chat = next(_volunteers)
    async with sm() as s:
        await outbox.enqueue(s, chat, "relay_to_staff", {"text": "x"}, f"relay:{chat}:17:{chat}")
        await outbox.enqueue(s, chat, "relay_to_staff", {"text": "x"}, f"relay:{chat}:17:{chat}")  # again
        person = await people.get_or_create(s, chat, "de")
        await networks.toggle_district(s, person, DURLACH)
        admin = await people.get_or_create(s, next(_users), "de")
        await networks.create_broadcast(
            s, admin, networks.Audience(districts=[DURLACH]), "Hallo", admin_ids=[admin.telegram_id]
        )
        keys = list(await s.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.chat_id == chat)))
    assert len(keys) == 2 and not any(str(chat) in key for key in keys)
