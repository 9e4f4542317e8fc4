"""End to end: district networks, partners, meetings and broadcasts through the sandbox."""

import asyncio
import datetime as dt
import itertools

import pytest
from icalendar import Calendar
from sqlalchemy import select, update

from bot.callbacks import BroadcastCb
from bot.factory import build_dispatcher, make_bot
from bot.models import Broadcast, Meeting, OutboxMessage, Partner, Person
from bot.notifications import Notifier
from bot.polling import polling
from bot.sandbox import BotAPISandbox, Faults, Limits
from bot.services import networks, people, signups
from bot.services.outbox import OutboxWorker, Pace, aware
from knowledge.db import make_sessionmaker
from knowledge.models import District
from knowledge.schedules import BERLIN
from tests.conftest import live_settings

TOKEN = "123456:NETWORKS"
_users = itertools.count(970_000)
MUEHLBURG, WEST_OTHER = 8, 9  # both in the planning area "West"
DURLACH = 19


@pytest.fixture
async def env(signup_engine, seeded_url, knowledge, fsm_storage):
    sandbox = BotAPISandbox(token=TOKEN)
    await sandbox.start()
    settings = live_settings(sandbox, seeded_url)
    dp = build_dispatcher(settings, signup_engine, knowledge, storage=fsm_storage)
    sm = make_sessionmaker(signup_engine)
    async with polling(dp, make_bot(TOKEN, sandbox.base_url)):
        yield sandbox, sm
    await sandbox.stop()
    assert sandbox.invalid_calls == []


def text_of(sent) -> str:
    return sent.params.get("text") or sent.params.get("caption") or ""


def buttons(sent) -> dict[str, str]:
    markup = sent.params.get("reply_markup") or {}
    return {b["text"]: b["callback_data"] for row in markup.get("inline_keyboard") or [] for b in row}


async def coordinator_of(sandbox, sm, district: int):
    async with sm() as s:
        area = (await s.get(District, district)).planning_area_id
        u = sandbox.user(next(_users), language_code="de")
        person = await people.get_or_create(s, u.id, "de")
        await signups.add_coordinator(s, person, area)
        await s.commit()
    return u


async def subscriber(sandbox, sm, *districts: int):
    u = sandbox.user(next(_users), language_code="de")
    async with sm() as s:
        person = await people.get_or_create(s, u.id, "de")
        for d in districts:
            await networks.toggle_district(s, person, d)
    return u


async def press(u, sent, data: str):
    await u.press(sent.message["message_id"], data)
    (reply,) = await u.wait_for_bot(1, timeout=10)
    return reply


async def test_subscribe_and_unsubscribe(env):
    sandbox, sm = env
    u = sandbox.user(next(_users), language_code="de")
    await u.send_text("/subscriptions")
    (view,) = await u.wait_for_bot(1, timeout=10)
    view = await press(u, view, f"n:district:{MUEHLBURG}")
    assert any(t.startswith("✅ Mühlburg") for t in buttons(view))
    view = await press(u, view, "n:topic:families")
    async with sm() as s:
        person = await s.scalar(select(Person).where(Person.telegram_id == u.id))
        assert await networks.subscribed_districts(s, person) == {MUEHLBURG}
        assert await networks.topics_of(s, person) == {"families"}
    view = await press(u, view, f"n:district:{MUEHLBURG}")
    assert not any(t.startswith("✅ Mühlburg") for t in buttons(view))
    answer = await u.press_for_answer(view.message["message_id"], "n:district:999")  # forged
    assert answer["show_alert"]
    async with sm() as s:
        assert await networks.subscribed_districts(s, person) == set()


async def test_partner_registration_confirmed_by_the_coordinator(env):
    sandbox, sm = env
    coord = await coordinator_of(sandbox, sm, MUEHLBURG)
    other = await coordinator_of(sandbox, sm, DURLACH)
    partner = await subscriber(sandbox, sm, MUEHLBURG)
    await partner.send_text("/subscriptions")
    (view,) = await partner.wait_for_bot(1, timeout=10)
    await press(partner, view, "n:partner:")
    await partner.send_text("Bürgerverein Mühlburg e.V.")
    (thanks,) = await partner.wait_for_bot(1, timeout=10)
    assert "Bürgerverein Mühlburg" in text_of(thanks)
    (request,) = await coord.wait_for_bot(1, timeout=10)
    assert "Bürgerverein Mühlburg" in text_of(request)
    confirm = next(d for d in buttons(request).values() if d.startswith("pt:confirm"))
    refused = await other.press_for_answer(1, confirm)  # another area's coordinator: refused
    assert refused["show_alert"]
    await coord.press(request.message["message_id"], confirm)
    await coord.wait_for_bot(1, timeout=10)  # the request now says: confirmed
    (decision,) = await partner.wait_for_bot(1, timeout=10)
    assert "Bürgerverein Mühlburg" in text_of(decision)
    async with sm() as s:
        stored = await s.scalar(select(Partner))
        assert stored.status == "confirmed"
        assert (await s.scalar(select(Person.role).where(Person.telegram_id == partner.id))) == "partner"


async def test_meeting_announcement_reminder_and_the_question_when_it_meets(env):
    sandbox, sm = env
    coord = await coordinator_of(sandbox, sm, MUEHLBURG)
    follower = await subscriber(sandbox, sm, MUEHLBURG)
    outsider = await subscriber(sandbox, sm, DURLACH)
    await coord.send_text("/meeting")
    (choose,) = await coord.wait_for_bot(1, timeout=10)
    assert f"bc:meeting:{DURLACH}" not in buttons(choose).values()  # only the own area's districts
    await press(coord, choose, f"bc:meeting:{MUEHLBURG}")
    when = (dt.datetime.now(BERLIN) + dt.timedelta(days=5)).strftime("%d.%m.%Y 18:30")
    for text in ("gestern irgendwann", when, "Bürgerzentrum Mühlburg, Rheinstraße 1", "Sommerfest planen"):
        await coord.send_text(text)
        await coord.wait_for_bot(1, timeout=10)
    (announcement,) = await follower.wait_for_bot(1, timeout=10)
    assert "Sommerfest planen" in text_of(announcement) and "18:30" in text_of(announcement)
    await asyncio.sleep(0.3)
    assert outsider.messages == []

    asker = sandbox.user(next(_users), language_code="de")
    await asker.send_text("Wann trifft sich das Stadtteilnetzwerk Mühlburg?")
    (answer,) = await asker.wait_for_bot(1, timeout=10)
    assert "18:30" in text_of(answer)
    cal = next(d for d in buttons(answer).values() if d.startswith("m:"))
    doc = await press(asker, answer, cal)
    (event,) = Calendar.from_ical(doc.document).walk("VEVENT")
    assert event.decoded("dtstart").hour == 18

    async with sm() as s:
        await s.execute(update(Meeting).values(starts_at=networks.utcnow() + dt.timedelta(hours=24)))
        await s.commit()
        assert await networks.remind_meetings(s) == 1
        assert await networks.remind_meetings(s) == 0  # once
    (reminder,) = await follower.wait_for_bot(1, timeout=10)
    assert "⏰" in text_of(reminder)


async def test_broadcast_to_two_networks_with_preview_confirm_and_report(env):
    sandbox, sm = env
    coord = await coordinator_of(sandbox, sm, MUEHLBURG)
    a = await subscriber(sandbox, sm, MUEHLBURG)
    b = await subscriber(sandbox, sm, WEST_OTHER)
    both = await subscriber(sandbox, sm, MUEHLBURG, WEST_OTHER)
    outsider = await subscriber(sandbox, sm, DURLACH)
    gone = await subscriber(sandbox, sm, MUEHLBURG)
    await gone.block()  # my_chat_member: the bot is told, the person is not written to
    await asyncio.sleep(0.3)

    await coord.send_text("/broadcast")
    (form,) = await coord.wait_for_bot(1, timeout=10)
    assert BroadcastCb(action="district", value=str(DURLACH)).pack() not in buttons(form).values()
    form = await press(coord, form, BroadcastCb(action="district", value=str(MUEHLBURG)).pack())
    form = await press(coord, form, BroadcastCb(action="district", value=str(WEST_OTHER)).pack())
    assert "3" in text_of(form).splitlines()[-1]  # recipients now: 3 (the blocked one not counted)
    forged = await coord.press_for_answer(
        form.message["message_id"], BroadcastCb(action="district", value=str(DURLACH)).pack()
    )
    assert forged["show_alert"]
    await press(coord, form, BroadcastCb(action="next").pack())
    await coord.send_text("   ")
    (_empty,) = await coord.wait_for_bot(1, timeout=10)
    await coord.send_text("x" * 5000)
    (too_long,) = await coord.wait_for_bot(1, timeout=10)
    assert "5000" in text_of(too_long)
    await coord.send_text("Einladung zum Stadtteilfest am Samstag!")
    _intro, preview, ask = await coord.wait_for_bot(3, timeout=10)
    assert text_of(preview) == "Einladung zum Stadtteilfest am Samstag!"
    send = next(d for d in buttons(ask).values() if d == "bc:send:")
    await coord.press(ask.message["message_id"], send)
    (_queued,) = await coord.wait_for_bot(1, timeout=10)
    for person in (a, b, both):
        (got,) = await person.wait_for_bot(1, timeout=10)
        assert text_of(got) == text_of(preview)
    (report,) = await coord.wait_for_bot(1, timeout=15)
    assert "3" in text_of(report)
    await asyncio.sleep(0.5)
    assert outsider.messages == [] and gone.messages == [] and len(both.messages) == 1


async def test_non_coordinators_cannot_broadcast(env):
    sandbox, sm = env
    resident = sandbox.user(next(_users), language_code="de")
    await resident.send_text("/broadcast")
    (refused,) = await resident.wait_for_bot(1, timeout=10)
    forged = await resident.press_for_answer(1, BroadcastCb(action="send").pack())
    assert forged["show_alert"]
    async with sm() as s:
        assert await s.scalar(select(OutboxMessage).where(OutboxMessage.kind == "broadcast")) is None
    assert "/broadcast" not in text_of(refused)


# -- delivery under faults, below the chat --------------------------------------------------------
async def _broadcast_to(sm, sandbox, count: int) -> tuple[int, list]:
    users = [sandbox.user(next(_users), language_code="de") for _ in range(count)]
    async with sm() as s:
        admin = await people.get_or_create(s, next(_users), "de")
        for u in users:
            p = await people.get_or_create(s, u.id, "de")
            await networks.toggle_district(s, p, MUEHLBURG)
        b = await networks.create_broadcast(
            s,
            admin,
            networks.Audience(districts=[MUEHLBURG]),
            "Hallo Netzwerk",
            admin_ids=[admin.telegram_id],
        )
    return b.id, users


def _worker(sm, sandbox, knowledge, bot, **kw) -> OutboxWorker:
    from bot.i18n import make_i18n

    notifier = Notifier(bot, sm, make_i18n(), knowledge.district_names)

    async def blocked(chat_id: int) -> None:
        async with sm() as s:
            await networks.set_active(s, chat_id, False)

    return OutboxWorker(sm, notifier.send, pace=Pace(200, chat_gap=0), on_blocked=blocked, **kw)


async def test_broadcast_under_429_403_and_5xx_reaches_everybody_once(signup_engine, knowledge):
    sm = make_sessionmaker(signup_engine)
    sandbox = BotAPISandbox(token=TOKEN)
    await sandbox.start()
    bot = make_bot(TOKEN, sandbox.base_url)
    try:
        broadcast, users = await _broadcast_to(sm, sandbox, 60)
        sandbox.gate.faults = Faults(too_many=0.03, blocked=0.05, server_error=0.1, dropped=0.05, seed=3)
        sandbox.gate.limits = Limits(per_second=150)  # above it: 429 as Telegram answers
        worker = _worker(sm, sandbox, knowledge, bot, max_attempts=6)
        later = networks.utcnow()
        for _ in range(200):  # time is advanced instead of waited for: backoff is minutes long
            later += dt.timedelta(minutes=15)
            await worker.run_once(now=later)
            async with sm() as s:
                r = await networks.report(s, broadcast)
            if r.pending == 0:
                break
        assert r.pending == 0 and r.delivered + r.blocked + sum(r.failed.values()) == 60
        assert r.blocked == len(sandbox.gate.blocked_chats) > 0 and r.delivered > 40
        for u in users:
            assert len(u.messages) <= 1  # nobody twice
            if u.id in sandbox.gate.blocked_chats:
                assert u.messages == []
        delivered = sum(len(u.messages) for u in users)
        assert delivered == r.delivered
        async with sm() as s:
            inactive = set(await s.scalars(select(Person.telegram_id).where(Person.active.is_(False))))
        assert sandbox.gate.blocked_chats <= inactive
        assert sandbox.invalid_calls == []
    finally:
        await bot.session.close()
        await sandbox.stop()


async def test_a_stopped_worker_is_resumed_by_a_fresh_one_without_loss_or_duplicate(signup_engine, knowledge):
    sm = make_sessionmaker(signup_engine)
    sandbox = BotAPISandbox(token=TOKEN)
    await sandbox.start()
    bot = make_bot(TOKEN, sandbox.base_url)
    try:
        broadcast, users = await _broadcast_to(sm, sandbox, 80)
        first = _worker(sm, sandbox, knowledge, bot)
        first.pace = Pace(100, chat_gap=0)
        first.start()
        while sum(len(u.messages) for u in users) < 25:  # noqa: ASYNC110 - counts messages over 80 chats
            await asyncio.sleep(0.01)
        await first.stop()  # in the middle of the broadcast
        sent_before = sum(len(u.messages) for u in users)
        assert 25 <= sent_before < 80
        fresh = _worker(sm, sandbox, knowledge, bot)
        for _ in range(50):
            await fresh.run_once(now=networks.utcnow() + dt.timedelta(minutes=5))
            async with sm() as s:
                if (await networks.report(s, broadcast)).pending == 0:
                    break
        assert [len(u.messages) for u in users] == [1] * 80
    finally:
        await bot.session.close()
        await sandbox.stop()


async def test_broadcast_with_a_photo_scheduled_for_later(env):
    sandbox, sm = env
    coord = await coordinator_of(sandbox, sm, MUEHLBURG)
    follower = await subscriber(sandbox, sm, MUEHLBURG)
    await coord.send_text("/broadcast")
    (form,) = await coord.wait_for_bot(1, timeout=10)
    form = await press(coord, form, BroadcastCb(action="district", value=str(MUEHLBURG)).pack())
    await press(coord, form, BroadcastCb(action="next").pack())
    await coord.send_photo(caption="Plakat zum Fest")
    _intro, preview, ask = await coord.wait_for_bot(3, timeout=10)
    assert preview.method == "sendPhoto" and preview.params["caption"] == "Plakat zum Fest"
    await press(coord, ask, BroadcastCb(action="later").pack())
    await coord.send_text("vorgestern")  # not a usable date: asked again, nothing queued
    await coord.wait_for_bot(1, timeout=10)
    tomorrow = (dt.datetime.now(BERLIN) + dt.timedelta(days=1)).strftime("%d.%m.%Y 08:00")
    await coord.send_text(tomorrow)
    (scheduled,) = await coord.wait_for_bot(1, timeout=10)
    await asyncio.sleep(1.0)
    assert follower.messages == []  # not before its time
    async with sm() as s:
        (row,) = (await s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "broadcast"))).all()
        broadcast = await s.get(Broadcast, row.broadcast_id)
        assert broadcast.recipients == 1 and f" {broadcast.id} " in scheduled.params["text"]
        assert aware(row.next_attempt_at) > networks.utcnow() + dt.timedelta(hours=1)
        await s.execute(update(OutboxMessage).values(next_attempt_at=networks.utcnow()))  # time passes
        await s.commit()
    (got,) = await follower.wait_for_bot(1, timeout=10)
    assert got.method == "sendPhoto" and got.params["caption"] == "Plakat zum Fest"


async def test_a_whole_planning_area_is_one_press(env):
    sandbox, sm = env
    coord = await coordinator_of(sandbox, sm, MUEHLBURG)
    async with sm() as s:
        area = (await s.get(District, MUEHLBURG)).planning_area_id
        west = await networks.districts_of_area(s, area)
    await coord.send_text("/broadcast")
    (form,) = await coord.wait_for_bot(1, timeout=10)
    form = await press(coord, form, BroadcastCb(action="area", value=str(area)).pack())
    chosen = [t for t in buttons(form) if t.startswith("✅ ")]
    assert len(chosen) == len(west) + 1  # every district of the area, and the area itself
    form = await press(coord, form, BroadcastCb(action="area", value=str(area)).pack())
    assert not [t for t in buttons(form) if t.startswith("✅ ")]
    other_area = area % 6 + 1
    forged = await coord.press_for_answer(
        form.message["message_id"], BroadcastCb(action="area", value=str(other_area)).pack()
    )
    assert forged["show_alert"]
