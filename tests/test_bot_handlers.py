"""Handlers and middlewares, fed real updates through the real Dispatcher (mocked HTTP)."""

import itertools

import pytest
from aiogram.fsm.storage.memory import MemoryStorage
from icalendar import Calendar
from sqlalchemy import select

from bot.callbacks import FeedbackCb, LanguageCb, PageCb, PlaceCb
from bot.factory import build_dispatcher
from bot.models import Person
from bot.settings import Settings
from knowledge.db import make_sessionmaker
from knowledge.models import DemandRecord
from tests.mocked_bot import MockedSession, People, make_mocked_bot

_ids = itertools.count(880_000)


@pytest.fixture
async def harness(seeded_engine, seeded_url, knowledge, fsm_storage):
    settings = Settings(database_url=seeded_url, redis_url=None, throttle_rate=1000, throttle_burst=1000)
    dp = build_dispatcher(settings, seeded_engine, knowledge, storage=fsm_storage)
    bot = make_mocked_bot()
    person = People(user_id=next(_ids))

    async def feed(update):
        await dp.feed_update(bot, update)
        return bot.session

    yield dp, bot, person, feed
    await bot.session.close()


def texts(session: MockedSession) -> list[str]:
    return [r.text for r in session.sent("SendMessage")]


async def test_start_shows_menu_and_languages(harness):
    _dp, bot, person, feed = harness
    await feed(person.text("/start"))
    first, second = bot.session.sent("SendMessage")
    assert "Quartiersassistent" in first.text
    menu = [b.text for row in first.reply_markup.keyboard for b in row]
    assert len(menu) == 7 and first.reply_markup.keyboard[0][0].request_location is True
    codes = [b.callback_data for row in second.reply_markup.inline_keyboard for b in row]
    assert codes == [LanguageCb(code=c).pack() for c in ("de", "en", "tr", "ar", "uk", "ru")]


async def test_free_text_answers_with_cards_and_buttons(harness):
    _dp, bot, person, feed = harness
    await feed(person.text("Elterncafé in Mühlburg"))
    (answer,) = bot.session.sent("SendMessage")  # one message per answer, one keyboard
    rows = answer.reply_markup.inline_keyboard
    place_rows = [r for r in rows if r[0].callback_data.startswith("p:")]
    assert len(place_rows) == 3 and len(answer.text) <= 4096
    for n, row in enumerate(place_rows, start=1):
        assert f"<b>{n} · " in answer.text and all(b.text.endswith(f" {n}") for b in row)
    assert answer.text.count("Startpunkt") >= 3
    # a district's name is no origin for a distance: no "km" is invented, the district is named
    assert "km" not in answer.text and "Nachbarstadtteil" in answer.text
    assert rows[3][0].callback_data.startswith("pg:") and rows[4][0].callback_data.startswith("fb:")


async def test_landmark_question_names_the_place_distances_are_measured_from(harness):
    _dp, bot, person, feed = harness
    await feed(person.text("Seniorentreff beim Zoo"))
    (answer,) = bot.session.sent("SendMessage")
    assert "Zoologischer Stadtgarten (Südweststadt)" in answer.text and "km" in answer.text
    assert "↪" not in answer.text  # no "not in the district you named": a point was named


async def test_language_choice_wins_over_telegram_language(harness, seeded_engine):
    dp, bot, person, feed = harness
    await feed(person.text("/start"))
    await feed(person.press(LanguageCb(code="tr").pack()))
    i18n = dp["i18n_instance"]
    confirm = bot.session.sent("SendMessage")[-2].text
    assert confirm == i18n.gettext("I will answer in English from now on.", locale="tr")
    async with make_sessionmaker(seeded_engine)() as s:
        stored = await s.scalar(select(Person).where(Person.telegram_id == person.user.id))
    assert stored.language == "tr" and stored.telegram_language == "de"
    await feed(person.text("/help"))
    assert bot.session.sent("SendMessage")[-1].text.startswith(
        i18n.gettext("<b>How I can help</b>", locale="tr")
    )


async def test_unknown_telegram_language_falls_back_to_german(harness):
    dp, bot, _person, feed = harness
    french = People(user_id=next(_ids), language_code="fr")
    await feed(french.text("/help"))
    i18n = dp["i18n_instance"]
    assert bot.session.sent("SendMessage")[-1].text.startswith(
        i18n.gettext("<b>How I can help</b>", locale="de")
    )


async def test_location_answers_by_distance(harness, knowledge):
    _dp, bot, person, feed = harness
    await feed(person.text("Jugendhaus"))
    bot.session.requests.clear()
    await feed(person.location(48.999, 8.417))
    (answer,) = bot.session.sent("SendMessage")
    first_card = answer.text.split("<b>1 · ")[1].split("\n\n")[0]
    assert "Südstadt" in first_card


async def test_map_and_calendar_buttons(harness, knowledge):
    _dp, bot, person, feed = harness
    f = next(f for f in knowledge.facilities if "LA ViE" in f.name)
    await feed(person.press(PlaceCb(action="map", fid=f.id).pack()))
    venue = bot.session.sent("SendVenue")[-1]
    assert (venue.latitude, venue.longitude) == (f.lat, f.lon) and venue.title.startswith("LA ViE")
    # its hours are "Stand ca. 2016/17": no calendar file from them, an answer that says so
    await feed(person.press(PlaceCb(action="ics", fid=f.id).pack()))
    assert not bot.session.sent("SendDocument")
    alert = bot.session.sent("AnswerCallbackQuery")[-1]
    assert alert.show_alert is True and "vorher" in alert.text


async def test_the_calendar_file_comes_from_hours_confirmed_within_the_configured_months(
    seeded_engine, seeded_url, knowledge, fsm_storage
):
    settings = Settings(database_url=seeded_url, redis_url=None, dates_confirmed_months=12 * 20)
    dp = build_dispatcher(settings, seeded_engine, knowledge, storage=fsm_storage)
    bot, person = make_mocked_bot(), People(user_id=next(_ids))
    f = next(f for f in knowledge.facilities if "LA ViE" in f.name)
    try:
        await dp.feed_update(bot, person.press(PlaceCb(action="ics", fid=f.id).pack()))
        doc = bot.session.sent("SendDocument")[-1]
        cal = Calendar.from_ical(doc.document.data)
        assert len(cal.walk("VEVENT")) == 5 and doc.document.filename.endswith(".ics")
    finally:
        await bot.session.close()
    assert knowledge.dates_confirmed_months == 12  # the shared index is left as it was


async def test_more_results_pages_and_stale_buttons_are_refused(harness):
    _dp, bot, person, feed = harness
    await feed(person.text("Bürgerverein"))
    (first,) = bot.session.sent("SendMessage")
    page = next(
        b.callback_data
        for r in first.reply_markup.inline_keyboard
        for b in r
        if b.callback_data.startswith("pg:")
    )
    bot.session.requests.clear()
    await feed(person.press(page))
    (second,) = bot.session.sent("SendMessage")
    first_fids = {
        b.callback_data
        for r in first.reply_markup.inline_keyboard
        for b in r
        if b.callback_data.startswith("p:info")
    }
    more_fids = {
        b.callback_data
        for r in second.reply_markup.inline_keyboard
        for b in r
        if b.callback_data.startswith("p:info")
    }
    assert len(more_fids) == 3 and not first_fids & more_fids
    assert "<b>4 · " in second.text and "<b>1 · " not in second.text
    await feed(person.text("Seniorentreff"))  # a new question makes old page buttons stale
    bot.session.requests.clear()
    await feed(person.press(page))
    alert = bot.session.sent("AnswerCallbackQuery")[-1]
    assert alert.show_alert and not bot.session.sent("SendMessage")


@pytest.mark.parametrize(
    "data",
    [
        PlaceCb(action="map", fid=99_999_999).pack(),
        "zzz",
        "p:evil:1",
        PageCb(q=9999, offset=3).pack(),
        FeedbackCb(q=1, rec=99_999_999).pack(),
    ],
)
async def test_forged_or_stale_callbacks_change_nothing(harness, data):
    _dp, bot, person, feed = harness
    await feed(person.press(data))
    assert bot.session.sent("AnswerCallbackQuery")[-1].show_alert is True
    assert not bot.session.sent("SendMessage") and not bot.session.sent("SendVenue")


@pytest.mark.parametrize("written_before_press", [False, True])
async def test_not_helpful_marks_the_anonymous_record(harness, seeded_engine, written_before_press):
    dp, bot, person, feed = harness
    await feed(person.text("Seniorentreff Durlach"))
    if written_before_press:
        await dp["assistant"].demand.flush()
    fb = next(
        b.callback_data
        for m in bot.session.sent("SendMessage")
        if m.reply_markup
        for row in m.reply_markup.inline_keyboard
        for b in row
        if b.callback_data.startswith("fb:")
    )
    await feed(person.press(fb))
    assert bot.session.sent("AnswerCallbackQuery")[-1].text.startswith("Danke")
    await dp["assistant"].demand.flush()
    rec = FeedbackCb.unpack(fb).rec
    async with make_sessionmaker(seeded_engine)() as s:
        row = await s.scalar(select(DemandRecord).where(DemandRecord.ref == rec))
    assert row.not_helpful is True and row.district_number == 19 and row.intent == "find_offers"
    assert "person" not in DemandRecord.__table__.columns and "chat_id" not in DemandRecord.__table__.columns


def _strict(seeded_engine, seeded_url, knowledge):
    """A dispatcher that lets a person send 3 updates at once and 1 a second after that."""
    settings = Settings(database_url=seeded_url, redis_url=None, throttle_rate=1, throttle_burst=3)
    dp = build_dispatcher(settings, seeded_engine, knowledge, storage=MemoryStorage())
    return dp, make_mocked_bot(), People(user_id=next(_ids))


async def test_flood_is_throttled_politely(seeded_engine, seeded_url, knowledge):
    dp, bot, person = _strict(seeded_engine, seeded_url, knowledge)
    for _ in range(20):
        await dp.feed_update(bot, person.text("/help"))
    i18n = dp["i18n_instance"]
    note = i18n.gettext(
        "You are writing very fast. Please wait a moment, then I will answer again.", locale="de"
    )
    sent = texts(bot.session)
    assert sent.count(note) == 1
    assert len(sent) == 4  # three answers within the burst, one note, the rest dropped


async def test_throttled_button_presses_are_all_answered(seeded_engine, seeded_url, knowledge):
    dp, bot, person = _strict(seeded_engine, seeded_url, knowledge)
    for _ in range(20):
        await dp.feed_update(bot, person.press(PlaceCb(action="info", fid=1).pack()))
    answers = bot.session.sent("AnswerCallbackQuery")
    assert len({a.callback_query_id for a in answers}) == len(answers) == 20  # no spinning button
    assert sum(1 for a in answers if a.text and "fast" not in a.text and "schnell" in a.text) == 1
    assert len(bot.session.sent("SendMessage")) <= 3  # only the burst was served


async def test_odd_messages_get_friendly_answers(harness):
    _dp, bot, person, feed = harness
    await feed(person.sticker_like())
    await feed(person.text("x" * 5000))
    await feed(person.text("/doesnotexist"))
    sent = texts(bot.session)
    assert len(sent) >= 3 and all(len(t) <= 4096 for t in sent)


async def test_first_messages_arriving_together_create_one_person(seeded_engine, seeded_url, knowledge):
    import asyncio

    settings = Settings(database_url=seeded_url, redis_url=None, throttle_rate=1000, throttle_burst=1000)
    dp = build_dispatcher(settings, seeded_engine, knowledge, storage=MemoryStorage())
    bot = make_mocked_bot()
    person = People(user_id=next(_ids))
    await asyncio.gather(*(dp.feed_update(bot, person.text("/help")) for _ in range(5)))
    async with make_sessionmaker(seeded_engine)() as s:
        rows = (await s.scalars(select(Person).where(Person.telegram_id == person.user.id))).all()
    assert len(rows) == 1
    assert len(bot.session.sent("SendMessage")) == 5
