"""End to end, through the sandbox: dates only from hours that were confirmed lately.

The packaged hours were stated in 2013-2019 (the latest in December 2024): with the default
window of 12 months the bot computes no dates from them, shows them as stated with their
year once and the advice to ask first, and offers no calendar file. With a window reaching
back that far (QUARTIER_DATES_CONFIRMED_MONTHS) the dates come back, and a day whose time
is not stated shows the part of it ("vormittags"), never "00:00".
"""

import itertools

import pytest
from icalendar import Calendar

from bot.callbacks import PlaceCb
from bot.factory import build_dispatcher, make_bot
from bot.polling import polling
from bot.sandbox import BotAPISandbox
from tests.conftest import live_settings

TOKEN = "123456:E2EDATES"
_users = itertools.count(960_000)

ASK_FIRST = {
    "de": "bitte vorher anfragen",
    "en": "please ask before you go",
    "tr": "lütfen gitmeden önce sorun",
}
UPCOMING = {"de": "📅 Nächste Termine", "en": "📅 Upcoming dates"}
SENIORS = {"de": "AWO Seniorennachmittage Weiße Rose", "en": "AWO senior afternoons Weiße Rose"}
MORNING = {"de": "vormittags", "en": "in the morning", "tr": "öğleden önce"}


async def _live(seeded_engine, seeded_url, knowledge, fsm_storage, **overrides):
    sandbox = BotAPISandbox(token=TOKEN)
    await sandbox.start()
    settings = live_settings(sandbox, seeded_url, **overrides)
    dp = build_dispatcher(settings, seeded_engine, knowledge, storage=fsm_storage)
    return sandbox, dp


@pytest.fixture
async def live(seeded_engine, seeded_url, knowledge, fsm_storage):
    """The bot as configured by default: dates from hours confirmed within 12 months."""
    sandbox, dp = await _live(seeded_engine, seeded_url, knowledge, fsm_storage)
    async with polling(dp, make_bot(TOKEN, sandbox.base_url)):
        yield sandbox
    await sandbox.stop()
    assert sandbox.invalid_calls == []


@pytest.fixture
async def live_wide(seeded_engine, seeded_url, knowledge, fsm_storage):
    """QUARTIER_DATES_CONFIRMED_MONTHS=240: the hours of 2016-2019 count as confirmed."""
    sandbox, dp = await _live(seeded_engine, seeded_url, knowledge, fsm_storage, dates_confirmed_months=240)
    async with polling(dp, make_bot(TOKEN, sandbox.base_url)):
        yield sandbox
    await sandbox.stop()
    assert sandbox.invalid_calls == []
    assert knowledge.dates_confirmed_months == 12  # the shared index is not changed


def text_of(sent) -> str:
    return sent.message.get("text") or sent.params.get("text") or ""


def buttons(sent) -> list[dict]:
    markup = sent.params.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard") or [] for b in row]


async def started(sandbox, lang):
    u = sandbox.user(next(_users), first_name="Erika", language_code=lang)
    await u.send_text("/start")
    await u.wait_for_bot(count=2, timeout=10)
    return u


async def ask(u, text, count=1):
    await u.send_text(text)
    return await u.wait_for_bot(count=count, timeout=10)


@pytest.mark.parametrize("lang", ["de", "tr"])
async def test_hours_of_2019_give_no_dates_no_calendar_and_ask_to_check_first(live, lang):
    """Seen: "📅 Nächste Termine" and an .ics from hours stated in 2019, with no caveat."""
    u = await started(live, lang)
    (answer,) = await ask(u, "Elterncafé in Mühlburg")
    text = text_of(answer)
    first_card = text.split("1 · ")[1].split("\n\n")[0]
    # Knielingen's "mittwochs 10–12 Uhr (Stand 2013)", once computed into next Wednesdays
    assert "Startpunkt" in first_card and "Stand 2013" in first_card
    assert "📅" not in text and ASK_FIRST[lang] in first_card
    assert first_card.count("2013") == 1
    assert not [b for b in buttons(answer) if b["callback_data"].startswith("p:ics")]
    assert any(b["callback_data"].startswith("p:map") for b in buttons(answer))


@pytest.mark.parametrize("lang", ["de", "en"])
async def test_the_year_of_the_hours_is_named_once_per_card(live, lang):
    """Seen: "(Stand 2019, bitte prüfen) … (Stand 2018/19)" on one card."""
    u = await started(live, lang)
    (answer,) = await ask(u, "Bürgergesellschaft Südstadt")
    first_card = text_of(answer).split("1 · ")[1].split("\n\n")[0]
    assert "Stand ca. 2018/19" in first_card and "2019" not in first_card.replace("2018/19", "")
    assert ASK_FIRST[lang] in first_card and "bitte prüfen" not in first_card


@pytest.mark.parametrize("lang", ["de", "en"])
async def test_upcoming_dates_without_confirmed_hours_say_so_and_offer_no_calendar(live, lang):
    u = await started(live, lang)
    (answer,) = await ask(u, UPCOMING[lang])
    text = text_of(answer)
    intro = {"de": "keine kürzlich bestätigten Termine", "en": "No recently confirmed dates"}[lang]
    assert intro in text.split("\n\n")[0] and "📅" not in text.split("\n\n", 1)[1]
    assert text.count(ASK_FIRST[lang]) >= 3
    assert not [b for b in buttons(answer) if b["callback_data"].startswith("p:ics")]


@pytest.mark.parametrize("lang", ["de", "en"])
async def test_confirmed_hours_give_dates_and_a_part_of_a_day_stays_a_part_of_a_day(live_wide, lang):
    """Seen: "vormittags" became "00:00". With the window reaching back, dates are computed."""
    u = await started(live_wide, lang)
    (answer,) = await ask(u, SENIORS[lang])
    card = next(c for c in text_of(answer).split("\n\n") if "Seniorennachmittage" in c)
    dates = next(line for line in card.splitlines() if "📅" in line)
    assert MORNING[lang] in dates and ":" not in dates.split(":", 1)[1], dates
    assert ASK_FIRST[lang] not in card
    number = card.split(" · ")[0].strip().lstrip("\u200f")
    ics = next(
        b for b in buttons(answer) if b["callback_data"].startswith("p:ics") and b["text"].endswith(number)
    )
    await u.press(answer.message["message_id"], ics["callback_data"])
    (doc,) = await u.wait_for_bot(count=1, timeout=10)
    events = Calendar.from_ical(doc.document).walk("VEVENT")
    assert events and all(not hasattr(e.decoded("dtstart"), "hour") for e in events)  # all-day events


async def test_upcoming_dates_with_confirmed_hours_list_the_soonest_with_calendar_buttons(live_wide):
    u = await started(live_wide, "de")
    (answer,) = await ask(u, UPCOMING["de"])
    text = text_of(answer)
    assert text.startswith("Nächste Termine:") and text.count("📅 Nächste Termine:") >= 3
    assert "00:00" not in text
    assert [b for b in buttons(answer) if b["callback_data"].startswith("p:ics")]


@pytest.mark.parametrize("lang", ["de", "en"])
async def test_a_calendar_button_from_older_hours_is_answered_with_ask_first_and_no_file(
    live, knowledge, lang
):
    """A button kept from an older answer (or forged) gets no file from hours of 2016/17."""
    u = await started(live, lang)
    f = next(f for f in knowledge.facilities if "LA ViE" in f.name)
    (answer,) = await ask(u, "LA ViE")
    alert = await u.press_for_answer(answer.message["message_id"], PlaceCb(action="ics", fid=f.id).pack())
    expected = {"de": "bitte fragen Sie vorher dort an", "en": "please ask them before you go"}[lang]
    assert alert.get("show_alert") is True and expected in alert["text"]
    assert not [m for m in u.messages if m.method == "sendDocument"]
